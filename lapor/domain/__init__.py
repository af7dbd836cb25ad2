"""Pure rules of complaint handling: intake validation, the state machine, the SLA policy,
the working-day clock, deadlines, sweep decisions, deliveries. No Flask, Redis, RQ or Telegram
here, nothing of Lapor outside this package (only `models`), and `now` is always passed in."""
