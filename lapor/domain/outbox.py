"""The outbox: jobs written in the same transaction as the change that needs them, so a
change is never committed without its jobs, nor a job queued for a change rolled back.
lapor.outbox relays them to RQ after the commit, and again later when Redis was away."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from models import Notification, Outbox

PENDING_KEY = "lapor.outbox"  # session.info: rows this transaction wrote, relayed after commit


def schedule(session: Session, job: str, *args: object, now: datetime) -> Outbox:
    """Write a job to run once this transaction commits (ids only: the job reloads the rest)."""
    row = Outbox(job=job, args=list(args), created_at=now)
    session.add(row)
    session.info.setdefault(PENDING_KEY, []).append(row)
    return row


def schedule_delivery(session: Session, job: str, notification: Notification, *, now: datetime):
    """Write the delivery of a notification (its id is known once the session flushes)."""
    row = Outbox(job=job, notification=notification, created_at=now)
    session.add(row)
    session.info.setdefault(PENDING_KEY, []).append(row)
    return row
