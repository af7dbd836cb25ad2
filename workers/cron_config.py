"""The schedule `rq cron workers.cron_config` runs (RQ's own scheduler; run one of these)."""

from rq import cron

from lapor.infra import jobs
from workers import maintenance, routing, sla

# sla.sweep and maintenance.remove_stale_uploads run once per period however many `rq cron`
# processes enqueue them (workers.once); the weekly retraining does nothing the second time.

# Every minute: reminders, escalations, automatic closes, and the deliveries due.
cron.register(sla.sweep, queue_name=jobs.HIGH, cron="* * * * *", job_timeout=jobs.SWEEP.timeout)

cron.register(
    maintenance.remove_stale_uploads, queue_name=jobs.LOW, cron="17 * * * *", job_timeout=300
)
# Sundays 02:30 WIB (19:30 UTC on Saturday): learn from the week's corrections.
cron.register(
    routing.retrain_model,
    queue_name=jobs.LOW,
    cron="30 19 * * 6",
    job_timeout=jobs.RETRAIN.timeout,
)
# Every hour: the router's live precision, and the per-label threshold raises it calls for.
cron.register(
    routing.watch_precision,
    queue_name=jobs.WATCH_ROUTING.queue,
    cron="41 * * * *",
    job_timeout=jobs.WATCH_ROUTING.timeout,
)
