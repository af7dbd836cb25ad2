"""Each staff member's inbox: the in-app notices meant for them, with their own read state.

An officer reads their OPD's notices (new complaint, the reporter's answer, a reopening, a
reminder, an escalation); a verifier the triage unit's; supervisors and admins every
escalation, and their own unit's notices if they belong to one. The OPD's officers share its
notices, each with an unread state of their own (NoticeRead).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from lapor.infra import db, directory
from lapor.infra.settings import Settings
from lapor.services.casework import Staff
from lapor.services.effects import deadlines_for
from models import Complaint, NoticeRead, Notification, Role

SHOWN = 100


@dataclass(frozen=True)
class Notice:
    """One line of the inbox."""

    id: int
    kind: str
    subject: str
    body: str
    tracking_code: str
    created_at: datetime
    read: bool


def _visible(session: Session, settings: Settings, staff: Staff) -> sa.ColumnElement[bool]:
    """Which in-app notices are this staff member's."""
    mine = [Notification.channel == "inapp"]
    agency_ids = [staff.agency_id] if staff.agency_id is not None else []
    if staff.role == Role.VERIFIER:
        # From the per-process agency cache: this runs for the header of every staff page.
        triage = directory.agencies.get(settings).get(deadlines_for(settings).book.triage_agency)
        agency_ids += [triage.id] if triage is not None else []
    audience = [Notification.agency_id.in_(agency_ids)] if agency_ids else []
    if staff.role in (Role.SUPERVISOR, Role.ADMIN):
        audience.append(Notification.kind == "escalate")
    if staff.role == Role.ADMIN:
        # A routing threshold raised by the router's watch (lapor.services.routing_monitor).
        audience.append(Notification.kind == "routing_watch")
    if not audience:
        return sa.false()
    return sa.and_(*mine, sa.or_(*audience))


def _read_by(staff: Staff):
    return sa.and_(NoticeRead.notification_id == Notification.id, NoticeRead.user_id == staff.id)


def _inbox(session: Session, settings: Settings, staff: Staff):
    return (
        select(Notification, Complaint.tracking_code, NoticeRead.user_id)
        .join(Complaint, Complaint.id == Notification.complaint_id)
        .outerjoin(NoticeRead, _read_by(staff))
        .where(_visible(session, settings, staff))
    )


def _notice(row) -> Notice:
    n, code, reader = row
    return Notice(n.id, n.kind, n.subject, n.body, code, n.created_at, reader is not None)


def notices(
    session: Session, settings: Settings, staff: Staff, *, unread_only: bool = False
) -> list[Notice]:
    """The newest notices first (at most SHOWN), each saying whether this person read it."""
    query = _inbox(session, settings, staff)
    if unread_only:
        query = query.where(NoticeRead.user_id.is_(None))
    newest = (Notification.created_at.desc(), Notification.id.desc())
    rows = session.exec(query.order_by(*newest).limit(SHOWN)).all()
    return [_notice(row) for row in rows]


def find(session: Session, settings: Settings, staff: Staff, notice_id: int) -> Notice | None:
    """One of this person's notices, or None (not theirs, or no such notice)."""
    query = _inbox(session, settings, staff).where(Notification.id == notice_id)
    row = session.exec(query).first()
    return _notice(row) if row is not None else None


def unread_count(session: Session, settings: Settings, staff: Staff) -> int:
    """How many of this person's notices they have not read."""
    query = (
        sa.select(sa.func.count())
        .select_from(Notification)
        .outerjoin(NoticeRead, _read_by(staff))
        .where(_visible(session, settings, staff), NoticeRead.user_id.is_(None))
    )
    return session.execute(query).scalar_one()


def mark_read(
    settings: Settings,
    staff: Staff,
    *,
    now: datetime,
    ids: list[int] | None = None,
    everything: bool = False,
) -> int:
    """Mark the given notices (or all) read for this person; ids that are not theirs are
    ignored. How many were newly marked."""

    def work(session: Session) -> int:
        query = (
            select(Notification.id)
            .outerjoin(NoticeRead, _read_by(staff))
            .where(_visible(session, settings, staff), NoticeRead.user_id.is_(None))
        )
        if not everything:
            query = query.where(Notification.id.in_(ids or []))
        unread = list(session.exec(query))
        session.add_all(
            NoticeRead(user_id=staff.id, notification_id=i, read_at=now) for i in unread
        )
        return len(unread)

    return db.run_in_transaction(settings, work)
