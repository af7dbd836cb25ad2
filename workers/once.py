"""One run per period for scheduled jobs, however many `rq cron` processes enqueue them.

RQ's cron scheduler has no lock of its own: two of them (a second machine, an operator's
mistake) would each enqueue every job. The first run in a period claims it with SET NX in
Redis; the others return at once. The jobs are safe to run twice anyway; this keeps the
work, the logs and the notifications single.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable

from lapor.infra import broker, redis_keys
from lapor.infra.settings import Settings

log = logging.getLogger(__name__)
clock = time.time  # the wall clock; a test may hold it still


def once_per(seconds: int) -> Callable:
    """Run the decorated job at most once per `seconds`-long slot of the clock."""

    def decorate(job: Callable) -> Callable:
        @functools.wraps(job)
        def guarded(*args, **kwargs):
            slot = int(clock() // seconds)
            key = redis_keys.cron_slot(f"{job.__module__}.{job.__name__}", slot)
            redis = broker.connect(Settings.from_env())
            if not redis.set(key, "1", nx=True, ex=seconds * 2):
                log.info("%s already ran in this period: skipped", job.__name__)
                return {"skipped": True}
            return job(*args, **kwargs)

        return guarded

    return decorate
