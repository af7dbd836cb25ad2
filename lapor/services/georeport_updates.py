"""The GeoReport v2 "servicerequestupdates" extension as FixMyStreet's Open311.pm speaks it:
what the public may see happen to complaints in a window, and a client's update on the
citizen's own complaint, which reaches it once per (client, update_id).

An update list shows only what a complaint's public page shows: never a confidential
complaint, never an internal note, never what the reporter wrote (their answer is named, not
quoted: it may say who they are)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from lapor.domain.errors import DomainError
from lapor.domain.workflow import ACTION_LABELS, Action, RejectReason
from lapor.infra import db
from lapor.infra.settings import Settings
from lapor.services import reporter
from lapor.services.georeport import w3c
from lapor.services.reporter import ClientProof, UnknownComplaint
from lapor.services.views import PUBLISHED_NOTES, find_complaint
from models import ActorKind, Complaint, ComplaintEvent, Open311Update
from models import ComplaintStatus as S

MAX_UPDATES = 1000
# Lapor's status after a public event, as FixMyStreet's states. Its update fetcher maps FIXED,
# NOT_COUNCILS_RESPONSIBILITY, NO_FURTHER_ACTION, OPEN and CLOSED to its own and takes
# INVESTIGATING, IN_PROGRESS, DUPLICATE and INTERNAL_REFERRAL as they are. Waiting for the
# reporter's information is the OPD still looking into it; an archived complaint (not a
# complaint, spam) is no further action; one outside the region's remit, sent on to another
# institution, is not the council's responsibility.
FMS_STATUS = {
    S.RECEIVED: "OPEN",
    S.ROUTED: "OPEN",
    S.IN_PROGRESS: "IN_PROGRESS",
    S.NEEDS_INFO: "INVESTIGATING",
    S.RESOLVED: "FIXED",
    S.REOPENED: "OPEN",
    S.CLOSED: "CLOSED",
    S.REJECTED: "NO_FURTHER_ACTION",
    S.FORWARDED: "NOT_COUNCILS_RESPONSIBILITY",
}
# Where the action says more than the status it leads to: a transfer between OPDs is still
# the region's (ROUTED), but FixMyStreet names it an internal referral.
FMS_STATUS_OF_ACTION = {Action.TRANSFER: "INTERNAL_REFERRAL"}
FMS_DUPLICATE = "DUPLICATE"  # an archived duplicate of another complaint
# The events a citizen sees as an update: the submission is the request itself.
UPDATE_ACTIONS = [a.value for a in Action if a != Action.SUBMIT]


def updates(session: Session, start: datetime, end: datetime) -> list[dict]:
    """The public updates of public complaints between start and end, oldest first."""
    rows = session.exec(
        select(ComplaintEvent, Complaint.tracking_code)
        .join(Complaint, Complaint.id == ComplaintEvent.complaint_id)
        .where(
            Complaint.confidential.is_(False),
            ComplaintEvent.public.is_(True),
            ComplaintEvent.action.in_(UPDATE_ACTIONS),
            ComplaintEvent.at >= start,
            ComplaintEvent.at <= end,
        )
        .order_by(ComplaintEvent.at, ComplaintEvent.id)
        .limit(MAX_UPDATES)
    )
    return [_update(event, code) for event, code in rows]


def _update(event: ComplaintEvent, code: str) -> dict:
    return {
        "update_id": str(event.id),
        "service_request_id": code,
        "status": fms_status(event),
        "updated_datetime": w3c(event.at),
        "description": _description(event),
        "media_url": None,
    }


def fms_status(event: ComplaintEvent) -> str:
    """The FixMyStreet state an event leaves its complaint in."""
    action = Action(event.action)
    if action == Action.REJECT and event.data.get("reason") == RejectReason.DUPLICATE.value:
        return FMS_DUPLICATE
    return FMS_STATUS_OF_ACTION.get(action) or FMS_STATUS[event.status_to]


def _description(event: ComplaintEvent) -> str:
    """Staff's published note, or what happened in a few words."""
    action = Action(event.action)
    if event.note and action in PUBLISHED_NOTES and event.actor_kind != ActorKind.REPORTER:
        return event.note
    return f"{ACTION_LABELS[action]}."


@dataclass(frozen=True)
class ClientUpdate:
    """A citizen's update as a client posts it (FixMyStreet: the comment on its report)."""

    client: str  # the integrator's key name, or "-" without a key
    update_id: str
    service_request_id: str
    status: str  # OPEN or CLOSED: whether the citizen holds the problem open
    description: str
    email: str | None = None


class NoUpdateAction(DomainError):
    """The complaint is in no state a reporter's update can move: nothing is recorded."""

    code = "no_update_action"


def post_update(settings: Settings, sent: ClientUpdate, *, now: datetime) -> str:
    """Take the citizen's update to their complaint as the reporter (through
    lapor.services.reporter), once per (client, update_id); the update_id of the event it
    became, the same when posted again."""

    def work(session: Session) -> str:
        seen = session.exec(
            select(Open311Update).where(
                Open311Update.client == sent.client, Open311Update.update_id == sent.update_id
            )
        ).first()
        if seen is not None:
            return str(seen.event_id) if seen.event_id else seen.update_id
        complaint = find_complaint(session, sent.service_request_id)
        if complaint is None or complaint.confidential:
            raise UnknownComplaint()
        proof = ClientProof(sent.client, sent.email)
        moved = reporter.answer_in(
            session, settings, complaint.tracking_code, proof, sent.description,
            reopen_if_resolved=sent.status == "OPEN", now=now,
        )  # fmt: skip
        if moved is None:
            raise NoUpdateAction(
                "Pembaruan pelapor hanya diterima untuk menjawab pertanyaan OPD (status menunggu "
                "keterangan) atau membuka kembali pengaduan yang selesai (status=OPEN)."
            )
        session.flush()
        event = _latest_reporter_event(session, complaint)
        session.add(
            Open311Update(
                client=sent.client,
                update_id=sent.update_id,
                complaint_id=complaint.id,
                event_id=event.id,
                created_at=now,
            )
        )
        return str(event.id)

    # Two posts of one update at once: the loser's unique violation is retried, finds the
    # winner's row and answers with its update_id.
    return db.run_in_transaction(settings, work)


def _latest_reporter_event(session: Session, complaint: Complaint) -> ComplaintEvent:
    """The event the reporter's action just wrote."""
    return session.exec(
        select(ComplaintEvent)
        .where(
            ComplaintEvent.complaint_id == complaint.id,
            ComplaintEvent.action.in_([Action.PROVIDE_INFO.value, Action.REOPEN.value]),
        )
        .order_by(ComplaintEvent.id.desc())
    ).first()
