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


def _enqueue(settings: Settings, policy: JobPolicy, func: str, *args, job_id: str | None = None):
    queue = Queue(policy.queue, connection=broker.connect(settings))
    return queue.enqueue(
        func,
        *args,
        job_id=job_id,
        job_timeout=policy.timeout,
        retry=Retry(max=policy.retries, interval=list(policy.intervals)),
        failure_ttl=7 * 24 * 3600,
    )


def enqueue_retrain(settings: Settings) -> Job:
    """Queue a retraining of the routing model with the corrections collected so far."""
    return _enqueue(settings, RETRAIN, "workers.routing.retrain_model")
