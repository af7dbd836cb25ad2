"""What staff may see and do, one set of rules for the console pages and the staff API.

An officer sees and works only the complaints of their own OPD (anything else is "not
found", never "forbidden", so codes of other OPDs cannot be probed); a verifier works the
triage queue and may see every complaint; supervisors and admins see everything. Every action
goes through the state machine with the staff member as the actor.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from lapor.domain import workflow
from lapor.domain.deadlines import next_deadline
from lapor.domain.errors import DomainError
from lapor.domain.workflow import Action, RejectReason
from lapor.infra import db
from lapor.infra.settings import Settings
from lapor.routing.similar import Match, similar_open_complaints
from lapor.services.effects import act
from lapor.services.views import agencies_by_id, find_complaint
from models import Agency, Complaint, ComplaintEvent, ComplaintStatus, Role

S = ComplaintStatus
OPEN = workflow.OPEN
DUE_SOON = timedelta(days=1)

# Which actions each role may take, on the complaints it can see.
ROLE_ACTIONS: dict[Role, frozenset[Action]] = {
    Role.OFFICER: frozenset(
        {Action.RESPOND, Action.REQUEST_INFO, Action.TRANSFER, Action.RESOLVE, Action.NOTE}
    ),
    Role.VERIFIER: frozenset(
        {Action.VERIFY, Action.REQUEST_INFO, Action.FORWARD, Action.REJECT, Action.NOTE}
    ),
    # A supervisor steers the escalation queue: hands a case to the right OPD, writes the
    # OPD an instruction, escalates further.
    Role.SUPERVISOR: frozenset({Action.ESCALATE, Action.TRANSFER, Action.NOTE}),
    Role.ADMIN: frozenset(
        {
            Action.VERIFY,
            Action.REQUEST_INFO,
            Action.FORWARD,
            Action.REJECT,
            Action.RESPOND,
            Action.TRANSFER,
            Action.RESOLVE,
            Action.ESCALATE,
            Action.NOTE,
        }
    ),
}


class NotFound(DomainError):
    """No such complaint, or not one this staff member may see."""

    def __init__(self) -> None:
        super().__init__("Pengaduan tidak ditemukan.", code="not_found")


@dataclass(frozen=True)
class Staff:
    """Who is acting: the parts of a user the rules look at."""

    id: int
    role: Role
    agency_id: int | None


def visible(staff: Staff) -> list[sa.ColumnElement[bool]]:
    """The WHERE clauses that limit complaints to those this staff member may see."""
    if staff.role == Role.OFFICER:
        return [Complaint.agency_id == staff.agency_id]
    return []


def complaint_for(session: Session, staff: Staff, raw_code: str) -> Complaint:
    """The complaint of a code if this staff member may see it; NotFound otherwise."""
    complaint = find_complaint(session, raw_code)
    if complaint is None:
        raise NotFound()
    if staff.role == Role.OFFICER and complaint.agency_id != staff.agency_id:
        raise NotFound()
    return complaint


def allowed_actions(staff: Staff, complaint: Complaint) -> list[Action]:
    """The actions this staff member may take on this complaint now."""
    possible = workflow.allowed_actions(complaint.status, workflow.ActorKind.STAFF)
    return [a for a in possible if a in ROLE_ACTIONS.get(staff.role, frozenset())]


@dataclass(frozen=True)
class StaffAction:
    """What a staff member asks for, as the console's form or the staff API's body says it."""

    name: str
    note: str | None = None
    agency_code: str | None = None
    reason: str | None = None
    duplicate_code: str | None = None
    forwarded_to: str | None = None


def take_action(
    settings: Settings, staff: Staff, raw_code: str, action: StaffAction, *, now: datetime
) -> Complaint:
    """The staff command: one action on one complaint, in its own transaction (retried on a
    conflict with another writer). The complaint as it is afterwards."""

    def work(session: Session) -> Complaint:
        complaint = complaint_for(session, staff, raw_code)
        perform(
            settings,
            session,
            staff,
            complaint,
            action.name,
            now=now,
            note=action.note,
            agency_code=action.agency_code,
            reason=action.reason,
            duplicate_code=action.duplicate_code,
            forwarded_to=action.forwarded_to,
        )
        return complaint

    return db.run_in_transaction(settings, work)


MAX_BULK = 100


@dataclass(frozen=True)
class Outcome:
    """What became of one complaint of a bulk action: the complaint, or why it was refused."""

    code: str
    complaint: Complaint | None = None
    error: DomainError | None = None


def take_bulk_action(
    settings: Settings, staff: Staff, raw_codes: list[str], action: StaffAction, *, now: datetime
) -> list[Outcome]:
    """One action on several complaints, each in its own transaction with its own audit
    event: one refused complaint does not hold back the others, and is reported."""
    codes = list(dict.fromkeys(c.strip() for c in raw_codes if c and c.strip()))
    if not codes:
        raise DomainError("Pilih minimal satu pengaduan.", code="codes_required")
    if len(codes) > MAX_BULK:
        raise DomainError(f"Paling banyak {MAX_BULK} pengaduan sekaligus.", code="too_many")
    outcomes = []
    for code in codes:
        try:
            outcomes.append(Outcome(code, take_action(settings, staff, code, action, now=now)))
        except DomainError as error:
            outcomes.append(Outcome(code, error=error))
    return outcomes


def perform(
    settings: Settings,
    session: Session,
    staff: Staff,
    complaint: Complaint,
    action_name: str,
    *,
    now: datetime,
    note: str | None = None,
    agency_code: str | None = None,
    reason: str | None = None,
    duplicate_code: str | None = None,
    forwarded_to: str | None = None,
) -> ComplaintEvent:
    """Take an action as this staff member (no commit): checked against the role, then the
    state machine."""
    if not action_name:
        # No default: the first action in a list used to be taken by whoever clicked Save.
        raise DomainError("Pilih tindakan terlebih dahulu.", code="action_required")
    try:
        action = Action(action_name)
    except ValueError as exc:
        raise DomainError(f"Tindakan tidak dikenal: {action_name}.", code="unknown_action") from exc
    if action not in allowed_actions(staff, complaint):
        raise DomainError(
            f"Tindakan '{workflow.ACTION_LABELS.get(action, action_name)}' tidak dapat Anda "
            f"lakukan pada pengaduan berstatus '{workflow.STATUS_LABELS[complaint.status]}'.",
            code="invalid_transition",
        )
    change = workflow.Change(note=note)
    if action in (Action.VERIFY, Action.TRANSFER):
        change.agency = _agency(session, agency_code)
    if action == Action.FORWARD:
        if not (forwarded_to or note):
            raise DomainError("Sebutkan instansi tujuan.", code="forward_target_required")
        if forwarded_to:
            # A body of the registry is recorded as such: the next model learns it too.
            change.agency = session.exec(
                select(Agency).where(Agency.name == forwarded_to, Agency.kind == "external")
            ).first()
            # The body is data, worded in each reader's language where it is shown; the note
            # names it without words of any language.
            change.data["forwarded_to"] = forwarded_to
            change.note = f"{forwarded_to}: {note}" if note else forwarded_to
    if action == Action.REJECT:
        change.reason = _reason(reason)
        if change.reason == RejectReason.DUPLICATE:
            change.duplicate_of = complaint_for(session, staff, duplicate_code or "")
    return act(
        settings,
        session,
        complaint,
        action,
        actor=workflow.Actor.staff(staff.id),
        now=now,
        change=change,
    )


def _agency(session: Session, code: str | None) -> Agency:
    if not code:
        raise DomainError("OPD tujuan wajib dipilih.", code="agency_required")
    agency = session.exec(select(Agency).where(Agency.code == code.strip().upper())).first()
    if agency is None:
        raise DomainError(f"OPD dengan kode '{code}' tidak ada.", code="unknown_agency")
    return agency


def _reason(raw: str | None) -> RejectReason:
    try:
        return RejectReason(raw or "")
    except ValueError as exc:
        choices = ", ".join(r.value for r in RejectReason)
        raise DomainError(
            f"Alasan pengarsipan wajib dipilih: {choices}.", code="reason_required"
        ) from exc


# --- what staff read -------------------------------------------------------------------


def sla_badge(complaint: Complaint, now: datetime) -> str:
    """on_time, due_soon or overdue for the stage deadline; none when no clock runs."""
    due = next_deadline(complaint) if complaint.status in OPEN else None
    if due is None or complaint.status in (S.NEEDS_INFO, S.RESOLVED):
        return "none"
    if due < now:
        return "overdue"
    return "due_soon" if due - now <= DUE_SOON else "on_time"


def similar_for(
    session: Session, staff: Staff, complaint: Complaint, *, now: datetime, limit: int
) -> list[tuple[Complaint, Match, Agency | None]]:
    """Open complaints most like this one among those this staff member may see, most
    similar first, each with its OPD (for the console's and the staff API's list)."""
    found = similar_open_complaints(session, complaint, now=now, limit=limit, where=visible(staff))
    ids = {c.agency_id for c, _ in found if c.agency_id}
    agencies = agencies_by_id(session, ids)
    return [(c, match, agencies.get(c.agency_id)) for c, match in found]
