"""Running the SLA sweep against this installation's database, batch by batch."""

from __future__ import annotations

import logging
from datetime import datetime

from lapor.domain.sweep_rules import SweepResult, sweep_batch
from lapor.infra import db
from lapor.infra.settings import Settings
from lapor.services import deliveries
from lapor.services.effects import deadlines_for, notices_for

log = logging.getLogger(__name__)
BATCH = 500
# A bound on one run, so a fault that leaves a complaint due cannot loop forever; what is left
# is taken by the next run a minute later.
MAX_BATCHES = 200


def sweep(settings: Settings, now: datetime, batch: int = BATCH) -> SweepResult:
    """Sweep everything due at `now`, one committed transaction per batch, then enqueue the
    deliveries that are due (retries, and what an outage or a dead worker left behind)."""
    deadlines, notices = deadlines_for(settings), notices_for(settings)
    total = SweepResult()
    for _ in range(MAX_BATCHES):
        result = db.run_in_transaction(
            settings, lambda session: sweep_batch(session, now, deadlines, notices, batch)
        )
        total.add(result)
        if result.looked_at < batch:
            break
    enqueued = deliveries.enqueue_due(settings, now)
    if total.looked_at or enqueued:
        log.info("sweep at %s: %s, deliveries %d", now.isoformat(), dict(total.actions), enqueued)
    return total
