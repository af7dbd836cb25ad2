"""Enqueueing jobs: the only place that talks to RQ queues, so every job gets its queue,
timeout and retry policy from one table."""

from __future__ import annotations

from dataclasses import dataclass

from rq import Queue, Retry
from rq.job import Job

from lapor.infra import broker
from lapor.infra.settings import Settings

HIGH, DEFAULT, LOW = "lapor-high", "lapor-default", "lapor-low"
QUEUES = (HIGH, DEFAULT, LOW)


@dataclass(frozen=True)
class JobPolicy:
    queue: str
    timeout: int  # seconds
    retries: int
    intervals: tuple[int, ...]  # seconds between retries


RETRAIN = JobPolicy(LOW, timeout=1800, retries=2, intervals=(300, 1800))
# The router's live precision and the threshold raises it calls for (hourly).
WATCH_ROUTING = JobPolicy(LOW, timeout=300, retries=2, intervals=(60, 600))
# One delivery attempt: its row says when the next one is due (lapor.domain.delivery).
NOTIFY = JobPolicy(HIGH, timeout=60, retries=0, intervals=())
SWEEP = JobPolicy(HIGH, timeout=300, retries=0, intervals=())
# The daily backup (off unless LAPOR_BACKUP_DIR is set): a big installation takes a while;
# a failed one is not retried (the next day's run is the retry, and the failure is logged).
BACKUP = JobPolicy(LOW, timeout=3600, retries=0, intervals=())
# The daily retention of reporters' personal data (lapor.services.privacy): batches, each its
# own transaction, at most workers.privacy.PER_RUN complaints a run; not retried (once a day
# per slot, workers.once): the next day's run carries on where a failed one stopped.
RETENTION = JobPolicy(LOW, timeout=1800, retries=0, intervals=())
DELIVER = "workers.notify.deliver"
# A job that is still to run, or running: enqueueing the delivery again would be a repeat.
WAITING = frozenset({"queued", "started", "deferred", "scheduled"})


def _enqueue(settings: Settings, policy: JobPolicy, func: str, *args, job_id: str | None = None):
    queue = Queue(policy.queue, connection=broker.connect(settings))
    return queue.enqueue(
        func,
        *args,
        job_id=job_id,
        job_timeout=policy.timeout,
        retry=Retry(max=policy.retries, interval=list(policy.intervals))
        if policy.retries
        else None,
        failure_ttl=7 * 24 * 3600,
    )


def delivery_job_id(notification_id: int) -> str:
    return f"notify-{notification_id}"


def enqueue_delivery(settings: Settings, notification_id: int) -> Job:
    """Queue one attempt at delivering a notification; the job's id follows the row."""
    job_id = delivery_job_id(notification_id)
    return _enqueue(settings, NOTIFY, DELIVER, notification_id, job_id=job_id)


def deliveries_waiting(settings: Settings, notification_ids: list[int]) -> set[int]:
    """The rows among these whose delivery job is still queued or running (one round trip)."""
    job_ids = [delivery_job_id(i) for i in notification_ids]
    found = Job.fetch_many(job_ids, connection=broker.connect(settings))
    return {
        notification_id
        for notification_id, job in zip(notification_ids, found, strict=True)
        if job is not None and job.get_status(refresh=False) in WAITING
    }


def enqueue_sweep(settings: Settings) -> Job:
    """Queue one SLA sweep now (the cron schedule runs it every minute anyway)."""
    return _enqueue(settings, SWEEP, "workers.sla.sweep")


def enqueue_routing_watch(settings: Settings) -> Job:
    """Queue a measure of the router's live precision (and the raises it calls for)."""
    return _enqueue(settings, WATCH_ROUTING, "workers.routing.watch_precision")


def enqueue_retrain(settings: Settings) -> Job:
    """Queue a retraining of the routing model with the corrections collected so far."""
    return _enqueue(settings, RETRAIN, "workers.routing.retrain_model")


def enqueue_retention(settings: Settings) -> Job:
    """Queue a run of the retention policy (the cron schedule runs it daily anyway)."""
    return _enqueue(settings, RETENTION, "workers.privacy.apply_retention")
