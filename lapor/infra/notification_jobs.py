"""Deliveries enqueued when the transaction that wrote their rows commits, never before (a
rolled-back change sends nothing) and never lost (a row Redis refuses stays due for the
sweep). Sessions made by lapor.infra.db carry their settings, so the listeners know where RQ is."""

from __future__ import annotations

import logging

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy import event
from sqlalchemy.orm import Session

from lapor.infra import jobs
from lapor.infra.settings import Settings
from models import Notification
from models import NotificationStatus as N

log = logging.getLogger(__name__)
REDIS_DOWN = (RedisConnectionError, RedisTimeoutError, OSError)
SETTINGS_KEY = "lapor.settings"  # session.info: the installation the session belongs to
_NEW_KEY = "lapor.services.deliveries.new"  # session.info: ids of rows the transaction wrote


@event.listens_for(Session, "after_flush")
def _note_new_rows(session: Session, _context) -> None:
    pending = [
        row.id for row in session.new if isinstance(row, Notification) and row.status == N.PENDING
    ]
    if pending:
        session.info.setdefault(_NEW_KEY, []).extend(pending)


@event.listens_for(Session, "after_commit")
def _enqueue_committed(session: Session) -> None:
    ids = session.info.pop(_NEW_KEY, [])
    settings = session.info.get(SETTINGS_KEY)
    if ids and settings is not None:
        enqueue(settings, ids)


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    session.info.pop(_NEW_KEY, None)


def enqueue(settings: Settings, ids: list[int]) -> int:
    """Queue a delivery job per row; what Redis refuses the sweep enqueues later."""
    done = 0
    try:
        for notification_id in ids:
            jobs.enqueue_delivery(settings, notification_id)
            done += 1
    except REDIS_DOWN as error:
        left = len(ids) - done
        log.warning("Redis unreachable, %d delivery(ies) wait for the sweep: %s", left, error)
    return done
