"""Getting notification rows delivered: the sweep enqueues what is due again (a retry, an
attempt whose worker died, a row Redis refused after its commit: see
lapor.infra.notification_jobs), and a job runs one attempt as the row allows. The row holds
the whole state (lapor.domain.delivery)."""

from __future__ import annotations

import logging
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from lapor.domain import delivery
from lapor.infra import db, jobs
from lapor.infra.notification_jobs import REDIS_DOWN, enqueue
from lapor.infra.settings import Settings
from models import Notification
from models import NotificationStatus as N

log = logging.getLogger(__name__)


# An attempt failed and the next is scheduled, or an attempt holds the row until its lease ends.
_retried_or_held = Notification.status.in_([N.RETRYING, N.SENDING])


def enqueue_due(settings: Settings, now: datetime, limit: int = 1000) -> int:
    """Queue the deliveries that are due and have no job waiting: a retry whose time came, an
    attempt whose worker died, a new row whose enqueue Redis refused."""
    with db.session_scope(settings) as session:
        ids = list(session.exec(_due(now).limit(limit)))
    try:
        waiting = jobs.deliveries_waiting(settings, ids)
    except REDIS_DOWN as error:
        log.warning("Redis unreachable, %d delivery(ies) stay due: %s", len(ids), error)
        return 0
    return enqueue(settings, [i for i in ids if i not in waiting])


def _due(now: datetime):
    new_and_left = sa.and_(
        Notification.status == N.PENDING, Notification.next_attempt_at <= now - delivery.GRACE
    )
    retry_or_lost = sa.and_(_retried_or_held, Notification.next_attempt_at <= now)
    return (
        select(Notification.id)
        .where(sa.or_(new_and_left, retry_or_lost))
        .order_by(Notification.next_attempt_at)
    )


def backlog(session: Session) -> int:
    """How many deliveries are still to make."""
    query = sa.select(sa.func.count()).where(Notification.status.in_(delivery.WAITING))
    return session.execute(query).scalar_one()


def claim(settings: Settings, notification_id: int, now: datetime) -> bool:
    """Take the row for one attempt if it is due; False when it is not (sent, failed, not yet
    time, or another attempt holds it). One conditional UPDATE, so two workers cannot both."""
    claimed = (
        sa.update(Notification)
        .where(
            Notification.id == notification_id,
            sa.or_(
                # A new row goes out at once, whatever time its event was recorded at.
                Notification.status == N.PENDING,
                sa.and_(_retried_or_held, Notification.next_attempt_at <= now),
            ),
        )
        .values(
            status=N.SENDING,
            attempts=Notification.attempts + 1,
            next_attempt_at=now + delivery.LEASE,
        )
    )
    with db.session_scope(settings) as session:
        return session.execute(claimed).rowcount == 1


def finish(settings: Settings, notification_id: int, now: datetime, error: str | None) -> None:
    """Record the attempt's outcome on the row."""
    with db.session_scope(settings) as session:
        row = session.get(Notification, notification_id)
        if error is None:
            delivery.delivered(row, now)
        else:
            delivery.failed(row, error, now)
            log.warning("notification %s: %s (%s)", notification_id, error, row.status.value)
