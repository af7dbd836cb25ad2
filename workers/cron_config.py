"""The schedule `rq cron workers.cron_config` runs (RQ's own scheduler; run one of these)."""

from rq import cron

from workers import maintenance

cron.register(
    maintenance.remove_stale_uploads, queue_name="lapor-low", cron="17 * * * *", job_timeout=300
)
