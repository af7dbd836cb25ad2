"""The Open311 GeoReport v2 view of complaints: which ones a query asks for, and each as the
spec's service request (http://wiki.open311.org/GeoReport_v2). Only what the public may see:
never a confidential complaint, never an anonymous reporter's spot or address."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import or_
from sqlmodel import Session, select

from lapor.domain.deadlines import next_deadline
from lapor.domain.workflow import STATUS_LABELS
from models import ActorKind, Agency, Complaint, ComplaintEvent, ComplaintStatus

GENERAL = "UMUM"  # the service for "not sure which OPD"
GENERAL_NAME = "Pengaduan umum (OPD ditentukan petugas)"
MAX_RESULTS = 1000
MAX_IDS = 1000  # service_request_id codes in one query
# The spec's window: without dates the last 90 days, and never more than 90 days at once.
WINDOW = timedelta(days=90)
CLOSED = frozenset(
    {
        ComplaintStatus.RESOLVED,
        ComplaintStatus.CLOSED,
        ComplaintStatus.REJECTED,
        ComplaintStatus.FORWARDED,
    }
)


@dataclass(frozen=True)
class RequestQuery:
    """What a client asks `GET requests` for; `ids`, when given, overrides everything else."""

    start: datetime
    end: datetime
    ids: Sequence[str] = ()
    service_codes: Sequence[str] = ()
    statuses: frozenset[str] = field(default_factory=frozenset)  # open, closed; empty: both


def find(session: Session, query: RequestQuery) -> list[Complaint]:
    """The public complaints the query asks for, newest first, at most MAX_RESULTS."""
    wanted = select(Complaint).where(Complaint.confidential.is_(False))
    if query.ids:
        wanted = wanted.where(Complaint.tracking_code.in_(list(query.ids)[:MAX_RESULTS]))
    else:
        wanted = wanted.where(
            Complaint.received_at >= query.start, Complaint.received_at <= query.end
        )
        if query.service_codes:
            codes = list(query.service_codes)
            filed = Complaint.service_code.in_(codes)
            wanted = wanted.where(
                or_(filed, Complaint.service_code.is_(None)) if GENERAL in codes else filed
            )
        if query.statuses == {"open"}:
            wanted = wanted.where(Complaint.status.not_in(CLOSED))
        elif query.statuses == {"closed"}:
            wanted = wanted.where(Complaint.status.in_(CLOSED))
    ordered = wanted.order_by(Complaint.received_at.desc(), Complaint.id.desc())
    return list(session.exec(ordered.limit(MAX_RESULTS)))


def one(session: Session, code: str) -> Complaint | None:
    """One public complaint by its tracking code."""
    found = session.exec(select(Complaint).where(Complaint.tracking_code == code)).first()
    return None if found is None or found.confidential else found


def service_requests(session: Session, rows: list[Complaint]) -> list[dict]:
    """Each complaint as the spec's service request, with every field the spec names."""
    agencies = {a.id: a for a in session.exec(select(Agency))}
    by_code = {a.code: a for a in agencies.values()}
    notes = _latest_public_answers(session, [r.id for r in rows])
    return [_request(c, agencies.get(c.agency_id), by_code, notes.get(c.id)) for c in rows]


def _request(complaint: Complaint, agency, by_code, note: str | None) -> dict:
    service_code = complaint.service_code or GENERAL
    filed_under = by_code.get(service_code)
    due = next_deadline(complaint)
    hidden = complaint.anonymous  # an anonymous reporter's spot can point at their home
    return {
        "service_request_id": complaint.tracking_code,
        "status": "closed" if complaint.status in CLOSED else "open",
        "status_notes": note or STATUS_LABELS[complaint.status],
        "service_name": filed_under.name if filed_under else GENERAL_NAME,
        "service_code": service_code,
        "description": complaint.text,
        "agency_responsible": agency.name if agency else None,
        "service_notice": None,
        "requested_datetime": w3c(complaint.received_at),
        "updated_datetime": w3c(complaint.updated_at),
        "expected_datetime": w3c(due) if due else None,
        "address": None if hidden else complaint.address,
        "address_id": None,
        "zipcode": None,
        "lat": None if hidden else complaint.lat,
        "long": None if hidden else complaint.lon,
        # A picture the client pointed at (never fetched here); not for an anonymous one.
        "media_url": None if hidden else complaint.media_url,
    }


def w3c(moment: datetime) -> str:
    """A moment in the W3C date-time format the spec asks for, in UTC (…Z)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _latest_public_answers(session: Session, ids: list[int]) -> dict[int, str]:
    """The latest note staff made public on each complaint (the OPD's answer)."""
    if not ids:
        return {}
    events = session.exec(
        select(ComplaintEvent.complaint_id, ComplaintEvent.note)
        .where(
            ComplaintEvent.complaint_id.in_(ids),
            ComplaintEvent.public.is_(True),
            ComplaintEvent.actor_kind == ActorKind.STAFF,
            ComplaintEvent.note.is_not(None),
        )
        .order_by(ComplaintEvent.id)
    )
    return {complaint_id: note for complaint_id, note in events}
