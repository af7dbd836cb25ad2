"""What the public may see of a complaint: never a reporter's identity, never internal notes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, func, select
from sqlmodel.sql.expression import SelectOfScalar

from lapor.domain import tracking
from lapor.domain.deadlines import next_deadline
from lapor.domain.language import N_
from lapor.domain.text import excerpt
from lapor.domain.timefmt import human
from lapor.domain.workflow import ACTION_LABELS, ACTIVE, STATUS_LABELS, Action
from models import (
    ActorKind,
    Agency,
    Attachment,
    Complaint,
    ComplaintEvent,
    ComplaintStatus,
    Feedback,
    Reporter,
    User,
)

# Who acted, as the timeline says it (marked for the catalog: pages show it in English too).
ACTOR_LABELS = {
    ActorKind.SYSTEM: N_("Sistem"),
    ActorKind.REPORTER: N_("Pelapor"),
    ActorKind.STAFF: N_("Petugas"),
}
# Notes that are written for the reporter and published with the timeline.
PUBLISHED_NOTES = {
    Action.REQUEST_INFO,
    Action.PROVIDE_INFO,
    Action.RESPOND,
    Action.RESOLVE,
    Action.FORWARD,
    Action.REOPEN,
}


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def find_complaint(session: Session, raw_code: str) -> Complaint | None:
    """The complaint a typed tracking code names (any case, spaces or dashes), or None."""
    code = tracking.normalize(raw_code)
    if code is None:
        return None
    return session.exec(select(Complaint).where(Complaint.tracking_code == code)).first()


def agency_view(agency: Agency | None) -> dict | None:
    if agency is None:
        return None
    return {"code": agency.code, "name": agency.name, "short_name": agency.short_name}


def history(
    session: Session, complaint: Complaint, *, public_only: bool = False
) -> list[ComplaintEvent]:
    """A complaint's events, oldest first; with `public_only`, its public timeline."""
    query = select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint.id)
    if public_only:
        query = query.where(ComplaintEvent.public)
    return list(session.exec(query.order_by(ComplaintEvent.at, ComplaintEvent.id)))


def complaint_view(
    session: Session, complaint: Complaint, tz: ZoneInfo, *, reporter: bool = False
) -> dict:
    """What one complaint shows: to anyone with its code, or to its `reporter` (who proved
    it). Never the identity or internal notes; a confidential complaint's content only to its
    reporter, since the code alone proves nothing."""
    agency = session.get(Agency, complaint.agency_id) if complaint.agency_id else None
    events = history(session, complaint, public_only=True)
    withheld = complaint.confidential and not reporter
    return {
        "tracking_code": complaint.tracking_code,
        "status": complaint.status.value,
        "status_label": STATUS_LABELS[complaint.status],
        "title": None if withheld else complaint.title,
        "text": None if withheld else complaint.text,
        "location": {
            "regency": None if withheld else complaint.regency,
            "district": None if withheld else complaint.district,
        },
        "agency": agency_view(agency),
        "confidential": complaint.confidential,
        "withheld": withheld,
        "received_at": complaint.received_at.isoformat(),
        "updated_at": complaint.updated_at.isoformat(),
        "next_deadline": _iso(next_deadline(complaint)) if complaint.status in ACTIVE else None,
        "timeline": [
            {
                "at": event.at.isoformat(),
                "action": event.action,
                "label": ACTION_LABELS.get(Action(event.action), event.action),
                "actor": ACTOR_LABELS[event.actor_kind],
                "actor_kind": event.actor_kind.value,
                "status": event.status_to.value,
                "note": _published_note(event, withheld),
            }
            for event in events
        ],
        "answers": [] if withheld else _answers(events),
        **_merged_into(session, complaint, withheld),
    }


def _answers(events: list[ComplaintEvent]) -> list[dict]:
    """The OPD's answers among a complaint's public events, oldest first."""
    return [
        {"at": e.at.isoformat(), "text": e.note}
        for e in events
        if e.action in (Action.RESPOND, Action.RESOLVE) and e.note
    ]


def _merged_into(session: Session, complaint: Complaint, withheld: bool) -> dict:
    """The original a duplicate was merged into, and its answers, which are its reporter's
    answers too; a confidential original shows only its code and status. A withheld
    (confidential) duplicate names no original: that would tell what it is about."""
    original = None
    if complaint.duplicate_of_id is not None and not withheld:
        original = session.get(Complaint, complaint.duplicate_of_id)
    if original is None:
        return {"duplicate_of": None, "original_answers": []}
    answers = []
    if not original.confidential:
        answers = _answers(history(session, original, public_only=True))
    return {
        "duplicate_of": {
            "tracking_code": original.tracking_code,
            "status": original.status.value,
            "status_label": STATUS_LABELS[original.status],
        },
        "original_answers": answers,
    }


def _published_note(event: ComplaintEvent, withheld: bool) -> str | None:
    if withheld or Action(event.action) not in PUBLISHED_NOTES:
        return None
    return event.note


def list_item(complaint: Complaint, agency: Agency | None, original: str | None = None) -> dict:
    """One line of the public list of (non-confidential) complaints; `original` is the code
    of the complaint a duplicate was merged into."""
    return {
        "tracking_code": complaint.tracking_code,
        "title": complaint.title or excerpt(complaint.text),
        "status": complaint.status.value,
        "status_label": STATUS_LABELS[complaint.status],
        "regency": complaint.regency,
        "agency": agency_view(agency),
        "received_at": complaint.received_at.isoformat(),
        "outcome": _outcome(complaint, original),
    }


def _outcome(complaint: Complaint, original: str | None) -> dict | None:
    """What a complaint that left the region's hands became: forwarded to which outside
    body, or archived and why (a duplicate: into which complaint)."""
    if complaint.status == ComplaintStatus.FORWARDED:
        return {"kind": "forwarded", "to": complaint.forwarded_to}
    if complaint.status == ComplaintStatus.REJECTED:
        return {"kind": "rejected", "reason": complaint.rejection_reason, "duplicate_of": original}
    return None


@dataclass(frozen=True)
class Page:
    items: list[dict]
    total: int


def public_query(
    *, regency: str | None, agency: str | None, status: str | None
) -> SelectOfScalar[Complaint]:
    """The complaints the public may list (never a confidential one), filtered: the list's
    and the public map's one rule."""
    query = select(Complaint).where(Complaint.confidential.is_(False))
    if status:
        query = query.where(Complaint.status == status)
    if regency:
        query = query.where(func.lower(Complaint.regency) == regency.strip().lower())
    if agency:
        query = query.join(Agency, Agency.id == Complaint.agency_id).where(
            Agency.code == agency.strip().upper()
        )
    return query


def public_complaints(
    session: Session,
    *,
    regency: str | None,
    agency: str | None,
    status: str | None,
    page: int,
    per_page: int,
) -> Page:
    """One page of the complaints that are not confidential, newest first."""
    query = public_query(regency=regency, agency=agency, status=status)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(
        query.order_by(Complaint.received_at.desc(), Complaint.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return Page(list_items(session, rows), total)


def list_items(session: Session, complaints: Sequence[Complaint]) -> list[dict]:
    """Public list lines of these complaints, their OPDs and merged-into codes read at once."""
    agencies = agencies_by_id(session, {c.agency_id for c in complaints if c.agency_id})
    originals = _codes(session, {c.duplicate_of_id for c in complaints if c.duplicate_of_id})
    return [
        list_item(c, agencies.get(c.agency_id), originals.get(c.duplicate_of_id))
        for c in complaints
    ]


def agencies_by_id(session: Session, ids: set[int]) -> dict[int, Agency]:
    """These agencies, by id, in one query."""
    if not ids:
        return {}
    return {a.id: a for a in session.exec(select(Agency).where(Agency.id.in_(ids)))}


def _codes(session: Session, ids: set[int]) -> dict[int, str]:
    """The tracking codes of these complaints, by id."""
    if not ids:
        return {}
    query = select(Complaint.id, Complaint.tracking_code).where(Complaint.id.in_(ids))
    return dict(session.exec(query).all())


# --- what staff and operators read ------------------------------------------------------------


def reporter_for_staff(session: Session, complaint: Complaint) -> dict | None:
    """The reporter as staff may see them: nothing at all for an anonymous complaint."""
    if complaint.anonymous or complaint.reporter_id is None:
        return None
    reporter = session.get(Reporter, complaint.reporter_id)
    if reporter is None:
        return None
    return {"name": reporter.name, "email": reporter.email, "phone": reporter.phone}


def _internal_view(
    session: Session, complaint: Complaint, moment: Callable[[datetime | None], object]
) -> dict:
    """What staff and operators both read of a complaint: everything but a hidden identity;
    `moment` writes a time (ISO for the API, WIB words for the operator)."""
    agency = session.get(Agency, complaint.agency_id) if complaint.agency_id else None
    return {
        "status": complaint.status.value,
        "status_label": STATUS_LABELS[complaint.status],
        "title": complaint.title,
        "text": complaint.text,
        "location": full_location(complaint),
        "channel": complaint.channel.value,
        "anonymous": complaint.anonymous,
        "confidential": complaint.confidential,
        "reporter": reporter_for_staff(session, complaint),
        "agency": {"code": agency.code, "name": agency.name} if agency else None,
        "routing": {"label": complaint.routing_label, "confidence": complaint.routing_confidence},
        "escalation_level": complaint.escalation_level,
        "deadlines": {
            "verification": moment(complaint.verification_due_at),
            "response": moment(complaint.response_due_at),
            "resolution": moment(complaint.resolution_due_at),
        },
        "received_at": moment(complaint.received_at),
    }


def _event_view(event: ComplaintEvent, moment: Callable[[datetime | None], object]) -> dict:
    return {
        "at": moment(event.at),
        "action": event.action,
        "label": ACTION_LABELS.get(Action(event.action), event.action),
        "status_to": event.status_to.value,
        "note": event.note,
    }


def staff_view(session: Session, complaint: Complaint, sla: str) -> dict:
    """A complaint as the console and the staff API show it (JSON-ready); `sla` is its badge."""
    view = _internal_view(session, complaint, _iso)
    view["deadlines"]["next"] = _iso(next_deadline(complaint))
    events = history(session, complaint)
    names = _staff_names(session, {e.actor_user_id for e in events if e.actor_user_id})
    return {
        "tracking_code": tracking.display(complaint.tracking_code),
        **view,
        "sla": sla,
        **_merges(session, complaint),
        "feedback": _latest_feedback(session, complaint),
        "reopen_reasons": [
            {"at": _iso(e.at), "note": e.note} for e in events if e.action == Action.REOPEN
        ],
        "events": [
            {
                **_event_view(e, _iso),
                "actor": e.actor_kind.value,
                "actor_user_id": e.actor_user_id,
                "actor_name": names.get(e.actor_user_id),
                "public": e.public,
                "data": e.data,
            }
            for e in events
        ],
    }


def _staff_names(session: Session, ids: set[int]) -> dict[int, str]:
    """Who acted, by user id: the audit trail names the staff member."""
    if not ids:
        return {}
    rows = session.exec(select(User.id, User.full_name, User.username).where(User.id.in_(ids)))
    return {user_id: full or username for user_id, full, username in rows}


def _merges(session: Session, complaint: Complaint) -> dict:
    """The original this complaint was archived as a duplicate of, and its own duplicates."""
    original = (
        session.get(Complaint, complaint.duplicate_of_id) if complaint.duplicate_of_id else None
    )
    copies = session.exec(
        select(Complaint.tracking_code)
        .where(Complaint.duplicate_of_id == complaint.id)
        .order_by(Complaint.id)
    ).all()
    return {
        "duplicate_of": tracking.display(original.tracking_code) if original else None,
        "duplicates": [tracking.display(code) for code in copies],
    }


def _latest_feedback(session: Session, complaint: Complaint) -> dict | None:
    """The reporter's latest rating of the complaint with its comment, or None."""
    row = session.exec(
        select(Feedback)
        .where(Feedback.complaint_id == complaint.id)
        .order_by(Feedback.created_at.desc(), Feedback.id.desc())
    ).first()
    if row is None:
        return None
    return {"rating": row.rating, "comment": row.comment, "at": _iso(row.created_at)}


def operator_view(session: Session, complaint: Complaint, tz: ZoneInfo) -> dict:
    """A complaint as `lapor complaint show` prints it: times in the region's zone, the model
    that routed it, the attachments, who did what. An anonymous reporter stays hidden here
    too: only the notification jobs use their contact."""

    def moment(value: datetime | None) -> str:
        return human(value, tz)

    view = _internal_view(session, complaint, moment)
    view["routing"]["model_version"] = complaint.model_version
    if complaint.anonymous:
        view["reporter"] = "anonim"
    attachments = session.exec(select(Attachment).where(Attachment.complaint_id == complaint.id))
    names = {u.id: u.username for u in session.exec(select(User))}
    return {
        "tracking_code": complaint.tracking_code,
        **view,
        "attachments": [{"filename": a.filename, "size": a.size} for a in attachments],
        "events": [
            {
                **_event_view(e, moment),
                "actor": e.actor_kind.value
                + (f":{names.get(e.actor_user_id, e.actor_user_id)}" if e.actor_user_id else ""),
                "status_from": e.status_from.value if e.status_from else None,
            }
            for e in history(session, complaint)
        ],
    }


def full_location(complaint: Complaint) -> dict:
    """Where the complaint is, every field: for staff and for the reporter's own data."""
    return {
        "regency": complaint.regency,
        "district": complaint.district,
        "address": complaint.address,
        "lat": complaint.lat,
        "lon": complaint.lon,
    }
