"""The schedule `rq cron workers.cron_config` runs (RQ's own scheduler; run one of these)."""

from rq import cron

from lapor.infra import jobs
from lapor.infra.settings import Settings
from workers import backup, maintenance, privacy, routing, sla

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

# Daily at 01:30 WIB (18:30 UTC), before the backup: the retention of reporters' personal
# data (the archive then holds no identity past its period).
cron.register(
    privacy.apply_retention,
    queue_name=jobs.RETENTION.queue,
    cron="30 18 * * *",
    job_timeout=jobs.RETENTION.timeout,
)

# Daily at 02:00 WIB (19:00 UTC): a backup archive, only when LAPOR_BACKUP_DIR is set.
if Settings.from_env().backup_dir is not None:
    cron.register(
        backup.daily_backup,
        queue_name=jobs.BACKUP.queue,
        cron="0 19 * * *",
        job_timeout=jobs.BACKUP.timeout,
    )
