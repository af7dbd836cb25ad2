"""Enqueueing jobs: the only place that talks to RQ queues, so every job gets its queue,
timeout and retry policy from one table."""

from __future__ import annotations

from dataclasses import dataclass

from rq import Queue, Retry
from rq.job import Job

from lapor import broker
from lapor.settings import Settings

HIGH, DEFAULT, LOW = "lapor-high", "lapor-default", "lapor-low"
QUEUES = (HIGH, DEFAULT, LOW)


@dataclass(frozen=True)
class JobPolicy:
    queue: str
    timeout: int  # seconds
    retries: int
    intervals: tuple[int, ...]  # seconds between retries


RETRAIN = JobPolicy(LOW, timeout=1800, retries=2, intervals=(300, 1800))
# A message that did not go out is tried again with growing pauses, for about a day.
NOTIFY = JobPolicy(HIGH, timeout=60, retries=6, intervals=(10, 60, 300, 1800, 7200, 21600))
SWEEP = JobPolicy(HIGH, timeout=300, retries=0, intervals=())
# The jobs the outbox may hold, by the name it stores.
OUTBOX_POLICIES = {"workers.notify.deliver": NOTIFY}


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


def enqueue_outbox_job(settings: Settings, job: str, args: list, outbox_id: int) -> Job:
    """Queue a job the outbox held; its id follows the outbox row, so a relay twice is one job."""
    policy = OUTBOX_POLICIES.get(job)
    if policy is None:
        raise ValueError(f"job not allowed in the outbox: {job}")
    return _enqueue(settings, policy, job, *args, job_id=f"outbox-{outbox_id}")


def enqueue_sweep(settings: Settings) -> Job:
    """Queue one SLA sweep now (the cron schedule runs it every minute anyway)."""
    return _enqueue(settings, SWEEP, "workers.sla.sweep")


def enqueue_retrain(settings: Settings) -> Job:
    """Queue a retraining of the routing model with the corrections collected so far."""
    return _enqueue(settings, RETRAIN, "workers.routing.retrain_model")
