"""Relaying the outbox to RQ: right after the commit that wrote the jobs, and from the sweep
for whatever is left (Redis was down, the process died between commit and relay)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlmodel import Session, select

from lapor import db, jobs
from lapor.domain.outbox import PENDING_KEY
from lapor.settings import Settings
from lapor.timefmt import utcnow
from models import Outbox

log = logging.getLogger(__name__)
REDIS_DOWN = (RedisConnectionError, RedisTimeoutError, OSError)
# Rows younger than this are left to the process that wrote them (its relay follows its commit).
GRACE = timedelta(seconds=30)


def relay_committed(settings: Settings, session: Session) -> int:
    """Relay the jobs a just-committed session wrote; those Redis refuses wait for the sweep."""
    rows: list[Outbox] = session.info.pop(PENDING_KEY, [])
    if not rows:
        return 0
    return _relay(settings, [(row.id, row.job, row.job_args) for row in rows])


def relay_pending(settings: Settings, now: datetime, limit: int = 1000) -> int:
    """Relay jobs that were committed but never reached RQ, oldest first."""
    with db.session_scope(settings) as session:
        query = (
            select(Outbox)
            .where(Outbox.relayed_at.is_(None), Outbox.created_at <= now - GRACE)
            .order_by(Outbox.id)
            .limit(limit)
        )
        pending = [(row.id, row.job, row.job_args) for row in session.exec(query).all()]
    return _relay(settings, pending) if pending else 0


def backlog(session: Session) -> int:
    """How many jobs wait in the outbox for Redis."""
    query = select(sa.func.count()).select_from(Outbox).where(Outbox.relayed_at.is_(None))
    return session.exec(query).one()


def _relay(settings: Settings, pending: list[tuple[int, str, list]]) -> int:
    relayed = []
    try:
        for outbox_id, job, args in pending:
            jobs.enqueue_outbox_job(settings, job, args, outbox_id)
            relayed.append(outbox_id)
    except REDIS_DOWN as error:
        log.warning("Redis unreachable, %d job(s) stay in the outbox: %s", len(pending), error)
    if relayed:
        with db.session_scope(settings) as session:
            session.exec(
                sa.update(Outbox).where(Outbox.id.in_(relayed)).values(relayed_at=utcnow())
            )
    return len(relayed)
