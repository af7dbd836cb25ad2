"""Infrastructure: database, Redis, embedded Redis, attachment storage, jobs, message senders,
the region's data files and the process settings."""
