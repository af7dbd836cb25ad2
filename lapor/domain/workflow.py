"""The complaint state machine: the one place where a complaint's status changes.

The table of transitions is pure data; `apply` checks an action against it, changes the
complaint and writes the audit event in the caller's session (the caller commits).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from sqlmodel import Session

from lapor.domain import reporter_key
from lapor.domain.deadlines import Deadlines, stage_deadline
from lapor.domain.errors import DomainError, InvalidTransition
from lapor.domain.language import N_
from lapor.domain.text import clean_text
from models import ActorKind, Agency, Complaint, ComplaintEvent, RoutingExample
from models import ComplaintStatus as S

SYSTEM, REPORTER, STAFF = ActorKind.SYSTEM, ActorKind.REPORTER, ActorKind.STAFF


class Action(StrEnum):
    SUBMIT = "submit"
    ROUTE = "route"
    VERIFY = "verify"
    REQUEST_INFO = "request_info"
    PROVIDE_INFO = "provide_info"
    FORWARD = "forward"
    REJECT = "reject"
    RESPOND = "respond"
    TRANSFER = "transfer"
    RESOLVE = "resolve"
    REOPEN = "reopen"
    CLOSE = "close"
    ESCALATE = "escalate"
    REMIND = "remind"
    NEW_KEY = "new_key"
    NOTE = "note"
    ERASE_IDENTITY = "erase_identity"


class RejectReason(StrEnum):
    NOT_COMPLAINT = "not_complaint"
    SPAM = "spam"
    DUPLICATE = "duplicate"


MAX_NOTE = 5000

# Stays in the same status: the action is recorded but the status is unchanged.
SAME = "same"
# Returns to the status the complaint had before it was put on hold.
RESUME = "resume"

# The sets of statuses every part of Lapor asks about, here and nowhere else.
# Someone must act, and a stage deadline runs:
ACTIVE = frozenset({S.RECEIVED, S.ROUTED, S.IN_PROGRESS, S.REOPENED})
# With an OPD of the region:
WITH_AGENCY = frozenset({S.ROUTED, S.IN_PROGRESS, S.REOPENED})
# Not yet resolved (waiting on the reporter included): what a new duplicate could repeat.
UNRESOLVED = ACTIVE | {S.NEEDS_INFO}
# Ended: nothing more happens.
TERMINAL = frozenset({S.CLOSED, S.REJECTED, S.FORWARDED})
# Everything before the end (a resolved complaint still waits for the reporter's verdict).
OPEN = frozenset(S) - TERMINAL
# A person choosing where a complaint belongs: each such choice teaches the next model.
TEACHING_ACTIONS = frozenset({Action.VERIFY, Action.TRANSFER, Action.FORWARD})


class Notices(Protocol):
    """Who hears of an event (lapor.domain.notices.Notices): a protocol here, so that the
    state machine does not import the module that reads its labels."""

    def after_event(
        self,
        session: Session,
        complaint: Complaint,
        event: ComplaintEvent,
        *,
        target: Agency | None = None,
    ) -> list: ...


@dataclass(frozen=True)
class Rule:
    """Which statuses an action may start from, where it leads, who may take it."""

    sources: frozenset[S]
    target: S | str
    actors: frozenset[ActorKind]
    needs_note: bool = False
    needs_agency: bool = False
    public: bool = True


RULES: dict[Action, Rule] = {
    Action.ROUTE: Rule(frozenset({S.RECEIVED}), S.ROUTED, frozenset({SYSTEM}), needs_agency=True),
    Action.VERIFY: Rule(frozenset({S.RECEIVED}), S.ROUTED, frozenset({STAFF}), needs_agency=True),
    Action.REQUEST_INFO: Rule(ACTIVE, S.NEEDS_INFO, frozenset({STAFF}), needs_note=True),
    Action.PROVIDE_INFO: Rule(frozenset({S.NEEDS_INFO}), RESUME, frozenset({REPORTER}), True),
    Action.FORWARD: Rule(frozenset({S.RECEIVED, S.ROUTED}), S.FORWARDED, frozenset({STAFF}), True),
    Action.REJECT: Rule(
        frozenset({S.RECEIVED, S.ROUTED, S.NEEDS_INFO}), S.REJECTED, frozenset({STAFF})
    ),
    Action.RESPOND: Rule(WITH_AGENCY, S.IN_PROGRESS, frozenset({STAFF}), needs_note=True),
    Action.TRANSFER: Rule(
        WITH_AGENCY, S.ROUTED, frozenset({STAFF}), needs_note=True, needs_agency=True
    ),
    Action.RESOLVE: Rule(
        frozenset({S.IN_PROGRESS, S.REOPENED}), S.RESOLVED, frozenset({STAFF}), needs_note=True
    ),
    Action.REOPEN: Rule(frozenset({S.RESOLVED}), S.REOPENED, frozenset({REPORTER})),
    Action.CLOSE: Rule(
        frozenset({S.RESOLVED, S.NEEDS_INFO}), S.CLOSED, frozenset({SYSTEM, REPORTER, STAFF})
    ),
    Action.ESCALATE: Rule(ACTIVE, SAME, frozenset({SYSTEM, STAFF}), public=False),
    Action.REMIND: Rule(ACTIVE, SAME, frozenset({SYSTEM}), public=False),
    # The reporter asked for a private link by email: a new key retires the old one.
    Action.NEW_KEY: Rule(frozenset(S), SAME, frozenset({REPORTER}), public=False),
    # Staff write to each other (a supervisor's instruction, a colleague's finding): never
    # shown to the reporter, never a change of status or deadline.
    Action.NOTE: Rule(frozenset(S), SAME, frozenset({STAFF}), needs_note=True, public=False),
    # The reporter's identity was erased (on request or by the retention policy): the trail
    # records that it happened, never what was erased.
    Action.ERASE_IDENTITY: Rule(frozenset(S), SAME, frozenset({SYSTEM}), public=False),
}

# What people read for each action and status, in Indonesian; marked for the catalog, which
# has their English (a page or a message shows them in its reader's language).
ACTION_LABELS = {
    Action.SUBMIT: N_("Pengaduan diterima"),
    Action.ROUTE: N_("Diteruskan otomatis ke OPD"),
    Action.VERIFY: N_("Diverifikasi dan diteruskan ke OPD"),
    Action.REQUEST_INFO: N_("Menunggu keterangan tambahan dari pelapor"),
    Action.PROVIDE_INFO: N_("Pelapor memberi keterangan tambahan"),
    Action.FORWARD: N_("Bukan wewenang daerah: diteruskan ke instansi lain"),
    Action.REJECT: N_("Diarsipkan"),
    Action.RESPOND: N_("Ditanggapi OPD"),
    Action.TRANSFER: N_("Dialihkan ke OPD lain"),
    Action.RESOLVE: N_("Dinyatakan selesai"),
    Action.REOPEN: N_("Dibuka kembali oleh pelapor"),
    Action.CLOSE: N_("Ditutup"),
    Action.ESCALATE: N_("Dieskalasi"),
    Action.REMIND: N_("Pengingat batas waktu dikirim"),
    Action.NEW_KEY: N_("Tautan pribadi baru dikirim ke email pelapor"),
    Action.NOTE: N_("Catatan internal petugas"),
    Action.ERASE_IDENTITY: N_("Data pribadi pelapor dihapus"),
}

STATUS_LABELS = {
    S.RECEIVED: N_("Diterima"),
    S.ROUTED: N_("Diteruskan ke OPD"),
    S.IN_PROGRESS: N_("Ditindaklanjuti"),
    S.NEEDS_INFO: N_("Menunggu keterangan pelapor"),
    S.RESOLVED: N_("Selesai"),
    S.REOPENED: N_("Dibuka kembali"),
    S.CLOSED: N_("Ditutup"),
    S.REJECTED: N_("Diarsipkan"),
    S.FORWARDED: N_("Diteruskan ke instansi lain"),
}


@dataclass(frozen=True)
class Actor:
    """Who takes an action: the system, the reporter, or a staff user (by id)."""

    kind: ActorKind
    user_id: int | None = None

    @classmethod
    def system(cls) -> Actor:
        return cls(SYSTEM)

    @classmethod
    def reporter(cls) -> Actor:
        return cls(REPORTER)

    @classmethod
    def staff(cls, user_id: int) -> Actor:
        return cls(STAFF, user_id)


@dataclass
class Change:
    """What an action carries besides itself: a note, a target agency (for a reminder or an
    escalation: whom it goes to), a reason."""

    note: str | None = None
    agency: Agency | None = None
    reason: RejectReason | None = None
    duplicate_of: Complaint | None = None
    data: dict[str, object] = field(default_factory=dict)


def allowed_actions(status: S, actor_kind: ActorKind) -> list[Action]:
    """The actions an actor of this kind may take on a complaint in this status."""
    return [a for a, r in RULES.items() if status in r.sources and actor_kind in r.actors]


def next_status(status: S, action: Action, actor_kind: ActorKind, resume: S | None = None) -> S:
    """The status an action leads to, or InvalidTransition when it is not allowed."""
    rule = RULES.get(action)
    if rule is None:
        raise InvalidTransition(f"Tindakan tidak dikenal: {action}.", action=str(action))
    if actor_kind not in rule.actors:
        raise InvalidTransition(
            f"Tindakan '{ACTION_LABELS[action]}' tidak boleh dilakukan oleh {actor_kind}.",
            action=str(action),
            status=str(status),
        )
    if status not in rule.sources:
        raise InvalidTransition(
            f"Tindakan '{ACTION_LABELS[action]}' tidak dapat dilakukan pada pengaduan "
            f"berstatus '{STATUS_LABELS[status]}'.",
            action=str(action),
            status=str(status),
        )
    if rule.target == SAME:
        return status
    if rule.target == RESUME:
        return resume or S.RECEIVED
    return S(rule.target)


def apply(
    session: Session,
    complaint: Complaint,
    action: Action,
    *,
    actor: Actor,
    now: datetime,
    deadlines: Deadlines,
    notices: Notices,
    change: Change | None = None,
) -> ComplaintEvent:
    """Take an action on a complaint: check it, change the complaint (its deadlines too, when
    a calendar is given), add its audit event and the notices it calls for."""
    change = change or Change()
    before = complaint.status
    after = next_status(before, action, actor.kind, complaint.resume_status)
    rule = RULES[action]
    note = clean_text(change.note, multiline=True) or None
    if note and len(note) > MAX_NOTE:
        raise DomainError(f"Catatan maksimal {MAX_NOTE} karakter.", code="note_too_long")
    _check_requirements(complaint, action, rule, note, change)
    data = dict(change.data)
    _EFFECTS[action](complaint, change, now, data)
    _move_clock(session, deadlines, complaint, action, change, now, before, after)
    complaint.status = after
    complaint.updated_at = now
    deadlines.schedule(complaint)
    event = ComplaintEvent(
        **complaint_link(complaint),
        at=now,
        actor_kind=actor.kind,
        actor_user_id=actor.user_id,
        action=action.value,
        status_from=before,
        status_to=after,
        note=note,
        public=rule.public,
        data=data,
    )
    if complaint not in session:
        session.add(complaint)
    session.add(event)
    if action in TEACHING_ACTIONS and change.agency is not None:
        session.add(
            RoutingExample(
                complaint_id=complaint.id,
                agency_code=change.agency.code,
                source=action.value,
                text=complaint.text,
                regency=complaint.regency,
                created_at=now,
            )
        )
    target = change.agency if action in (Action.ESCALATE, Action.REMIND) else None
    notices.after_event(session, complaint, event, target=target)
    return event


def _move_clock(
    session: Session,
    deadlines: Deadlines,
    complaint: Complaint,
    action: Action,
    change: Change,
    now: datetime,
    before: S,
    after: S,
) -> None:
    """What an action does to the SLA clock (before the status changes)."""
    if action in (Action.ROUTE, Action.VERIFY, Action.TRANSFER):
        deadlines.disposed(complaint, now, change.agency.code if change.agency else None)
    elif action == Action.REOPEN:
        deadlines.disposed(complaint, now, _agency_code(session, complaint))
    elif action == Action.RESPOND and before != S.IN_PROGRESS:
        deadlines.answered(complaint, now)
    elif action == Action.RESOLVE:
        deadlines.resolved(complaint, now, _agency_code(session, complaint))
    elif action == Action.REQUEST_INFO:
        deadlines.paused(complaint, now, _agency_code(session, complaint))
    elif action == Action.PROVIDE_INFO:
        deadlines.resumed(complaint, now, after)
    elif after in TERMINAL and before != after:
        deadlines.ended(complaint)


def _agency_code(session: Session, complaint: Complaint) -> str | None:
    agency = session.get(Agency, complaint.agency_id) if complaint.agency_id else None
    return agency.code if agency else None


def record_submission(
    session: Session,
    complaint: Complaint,
    *,
    actor: Actor,
    now: datetime,
    notices: Notices,
    category: str | None = None,
    source: str | None = None,
) -> ComplaintEvent:
    """The first event of every complaint: it came in (with the category a client chose and
    the integrator that sent it, if any)."""
    chosen = {"category": category} if category else {}
    sender = {"source": source} if source else {}
    event = ComplaintEvent(
        **complaint_link(complaint),
        at=now,
        actor_kind=actor.kind,
        action=Action.SUBMIT.value,
        status_from=None,
        status_to=complaint.status,
        data={"channel": complaint.channel.value, **chosen, **sender},
    )
    session.add(event)
    notices.after_event(session, complaint, event)
    return event


def complaint_link(complaint: Complaint) -> dict:
    """How a new row refers to its complaint: the complaint itself while it has no id yet
    (intake writes it with its first events in one flush), otherwise its id — the sweep
    detaches complaints from the session, and a relationship set to None would null the id."""
    return {"complaint": complaint} if complaint.id is None else {"complaint_id": complaint.id}


def _check_requirements(
    complaint: Complaint, action: Action, rule: Rule, note: str | None, change: Change
) -> None:
    if rule.needs_note and not note:
        raise DomainError("Catatan wajib diisi untuk tindakan ini.", code="note_required")
    if rule.needs_agency:
        agency = change.agency
        if agency is None:
            raise DomainError("OPD tujuan wajib dipilih.", code="agency_required")
        if agency.kind == "external" or not agency.active:
            raise DomainError(
                "OPD tujuan tidak aktif atau bukan OPD daerah.", code="agency_not_allowed"
            )
        if action == Action.TRANSFER and agency.id == complaint.agency_id:
            raise DomainError(
                "Pengaduan sudah berada di OPD tersebut; pilih OPD lain.", code="same_agency"
            )
    if action == Action.REJECT:
        if change.reason is None:
            raise DomainError("Alasan pengarsipan wajib dipilih.", code="reason_required")
        if change.reason == RejectReason.DUPLICATE:
            if change.duplicate_of is None or change.duplicate_of.id == complaint.id:
                raise DomainError(
                    "Sebutkan pengaduan asli yang diduplikasi.", code="duplicate_of_required"
                )


def _route(complaint: Complaint, change: Change, now: datetime, data: dict) -> None:
    assert change.agency is not None
    data["agency"] = change.agency.code
    complaint.agency_id = change.agency.id
    complaint.routed_at = now


def _transfer(complaint: Complaint, change: Change, now: datetime, data: dict) -> None:
    assert change.agency is not None
    data["from_agency_id"] = complaint.agency_id
    _route(complaint, change, now, data)


def _request_info(complaint: Complaint, change: Change, now: datetime, data: dict) -> None:
    complaint.resume_status = complaint.status


def _provide_info(complaint: Complaint, change: Change, now: datetime, data: dict) -> None:
    complaint.resume_status = None


def _forward(complaint: Complaint, change: Change, now: datetime, data: dict) -> None:
    named = change.data.get("forwarded_to") or change.note
    target = change.agency.name if change.agency is not None else named
    complaint.forwarded_to = (target or "")[:200]
    data["forwarded_to"] = complaint.forwarded_to
    complaint.closed_at = now


def _reject(complaint: Complaint, change: Change, now: datetime, data: dict) -> None:
    assert change.reason is not None
    complaint.rejection_reason = change.reason.value
    data["reason"] = change.reason.value
    if change.duplicate_of is not None:
        complaint.duplicate_of_id = change.duplicate_of.id
        data["duplicate_of"] = change.duplicate_of.tracking_code
    complaint.closed_at = now


def _respond(complaint: Complaint, change: Change, now: datetime, data: dict) -> None:
    if complaint.first_response_at is None:
        complaint.first_response_at = now


def _resolve(complaint: Complaint, change: Change, now: datetime, data: dict) -> None:
    _respond(complaint, change, now, data)
    complaint.resolved_at = now


def _reopen(complaint: Complaint, change: Change, now: datetime, data: dict) -> None:
    complaint.resolved_at = None
    complaint.reopen_count += 1


def _close(complaint: Complaint, change: Change, now: datetime, data: dict) -> None:
    complaint.resume_status = None
    complaint.closed_at = now


def _escalate(complaint: Complaint, change: Change, now: datetime, data: dict) -> None:
    complaint.escalation_level += 1
    data["level"] = complaint.escalation_level
    if change.agency is not None:
        data["target"] = change.agency.code


def _remind(complaint: Complaint, change: Change, now: datetime, data: dict) -> None:
    complaint.reminded_for = stage_deadline(complaint)
    if change.agency is not None:
        data["target"] = change.agency.code


def _new_key(complaint: Complaint, change: Change, now: datetime, data: dict) -> None:
    # Nobody needs the new key itself: the email carries a link key derived from its hash.
    _, complaint.reporter_key_hash = reporter_key.new_key()


def _nothing(complaint: Complaint, change: Change, now: datetime, data: dict) -> None:
    """Actions whose only effect is the status change and the event."""


_EFFECTS = {
    Action.ROUTE: _route,
    Action.VERIFY: _route,
    Action.REQUEST_INFO: _request_info,
    Action.PROVIDE_INFO: _provide_info,
    Action.FORWARD: _forward,
    Action.REJECT: _reject,
    Action.RESPOND: _respond,
    Action.TRANSFER: _transfer,
    Action.RESOLVE: _resolve,
    Action.REOPEN: _reopen,
    Action.CLOSE: _close,
    Action.ESCALATE: _escalate,
    Action.REMIND: _remind,
    Action.NEW_KEY: _new_key,
    Action.NOTE: _nothing,
    Action.ERASE_IDENTITY: _nothing,
}
