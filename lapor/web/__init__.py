"""The web layer: one blueprint per audience (citizens, API, Open311, console, admin, auth,
health), with the app's error pages, templating and abuse limits."""
