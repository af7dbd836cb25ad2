"""Running the SLA sweep against this installation's database, batch by batch: each batch of
due complaints locked, decided on (lapor.domain.sweep_rules) and written in bulk
(lapor.infra.bulk) in one transaction. Two sweeps at once, or one run twice, act once."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlmodel import Session, select

from lapor.domain.deadlines import Deadlines
from lapor.domain.notices import Notices
from lapor.domain.sweep_rules import AgencyIndex, SweepResult, check
from lapor.infra import bulk, db
from lapor.infra.settings import Settings
from lapor.services import deliveries
from lapor.services.effects import deadlines_for, notices_for
from models import Agency

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


def sweep_batch(
    session: Session, now: datetime, deadlines: Deadlines, notices: Notices, limit: int = BATCH
) -> SweepResult:
    """One batch of the sweep in the caller's transaction (the caller commits)."""
    result = SweepResult()
    agencies = AgencyIndex(list(session.exec(select(Agency))), deadlines.book.triage_agency)
    complaints = bulk.lock_due(session, now, limit)
    for complaint in complaints:
        result.looked_at += 1
        for action in check(session, complaint, now, deadlines, notices, agencies):
            result.actions[action] += 1
    bulk.write_complaints(session, complaints)
    bulk.insert_records(session)
    return result
