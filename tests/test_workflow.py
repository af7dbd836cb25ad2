"""The state machine: every allowed and every forbidden transition, and what each one writes."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, select

from lapor.domain import workflow
from lapor.domain.errors import DomainError, InvalidTransition
from lapor.domain.intake import Submission, submit
from lapor.domain.workflow import Action, Actor, Change, RejectReason
from lapor.infra import db
from lapor.services import accounts
from models import ActorKind, Agency, Complaint, ComplaintEvent
from models import ComplaintStatus as S

from support import domain_effects

EFFECTS = domain_effects()

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
SYS, REP, STAFF = ActorKind.SYSTEM, ActorKind.REPORTER, ActorKind.STAFF

# Written out by hand from the issue, not derived from workflow.RULES, so that a change to
# the rules that the spec does not allow fails here.
ALLOWED: dict[tuple[S, Action], tuple[S, set[ActorKind]]] = {
    (S.RECEIVED, Action.ROUTE): (S.ROUTED, {SYS}),
    (S.RECEIVED, Action.VERIFY): (S.ROUTED, {STAFF}),
    (S.RECEIVED, Action.REQUEST_INFO): (S.NEEDS_INFO, {STAFF}),
    (S.RECEIVED, Action.FORWARD): (S.FORWARDED, {STAFF}),
    (S.RECEIVED, Action.REJECT): (S.REJECTED, {STAFF}),
    (S.RECEIVED, Action.ESCALATE): (S.RECEIVED, {SYS, STAFF}),
    (S.ROUTED, Action.RESPOND): (S.IN_PROGRESS, {STAFF}),
    (S.ROUTED, Action.REQUEST_INFO): (S.NEEDS_INFO, {STAFF}),
    (S.ROUTED, Action.TRANSFER): (S.ROUTED, {STAFF}),
    (S.ROUTED, Action.FORWARD): (S.FORWARDED, {STAFF}),
    (S.ROUTED, Action.REJECT): (S.REJECTED, {STAFF}),
    (S.ROUTED, Action.ESCALATE): (S.ROUTED, {SYS, STAFF}),
    (S.IN_PROGRESS, Action.RESPOND): (S.IN_PROGRESS, {STAFF}),
    (S.IN_PROGRESS, Action.REQUEST_INFO): (S.NEEDS_INFO, {STAFF}),
    (S.IN_PROGRESS, Action.TRANSFER): (S.ROUTED, {STAFF}),
    (S.IN_PROGRESS, Action.RESOLVE): (S.RESOLVED, {STAFF}),
    (S.IN_PROGRESS, Action.ESCALATE): (S.IN_PROGRESS, {SYS, STAFF}),
    (S.NEEDS_INFO, Action.PROVIDE_INFO): (S.RECEIVED, {REP}),  # resumes: see below
    (S.NEEDS_INFO, Action.REJECT): (S.REJECTED, {STAFF}),
    (S.NEEDS_INFO, Action.CLOSE): (S.CLOSED, {SYS, REP, STAFF}),
    (S.RESOLVED, Action.REOPEN): (S.REOPENED, {REP}),
    (S.RESOLVED, Action.CLOSE): (S.CLOSED, {SYS, REP, STAFF}),
    (S.REOPENED, Action.RESPOND): (S.IN_PROGRESS, {STAFF}),
    (S.REOPENED, Action.REQUEST_INFO): (S.NEEDS_INFO, {STAFF}),
    (S.REOPENED, Action.TRANSFER): (S.ROUTED, {STAFF}),
    (S.REOPENED, Action.RESOLVE): (S.RESOLVED, {STAFF}),
    (S.REOPENED, Action.ESCALATE): (S.REOPENED, {SYS, STAFF}),
    # The SLA sweep's reminder before a stage deadline: recorded, the status stays.
    (S.RECEIVED, Action.REMIND): (S.RECEIVED, {SYS}),
    (S.ROUTED, Action.REMIND): (S.ROUTED, {SYS}),
    (S.IN_PROGRESS, Action.REMIND): (S.IN_PROGRESS, {SYS}),
    (S.REOPENED, Action.REMIND): (S.REOPENED, {SYS}),
    # The reporter asks for a new private link by email, whatever the status: it stays.
    **{(status, Action.NEW_KEY): (status, {REP}) for status in S},
    # Staff write internal notes to each other at any time; nothing else changes.
    **{(status, Action.NOTE): (status, {STAFF}) for status in S},
    # The reporter's identity is erased (on request or after retention) whatever the status.
    **{(status, Action.ERASE_IDENTITY): (status, {SYS}) for status in S},
}
TRANSITIONS = [a for a in Action if a != Action.SUBMIT]
CASES = list(itertools.product(S, TRANSITIONS, ActorKind))


@pytest.mark.parametrize(("status", "action", "actor"), CASES, ids=lambda v: str(v))
def test_every_transition_is_allowed_or_refused_as_specified(status, action, actor):
    expected = ALLOWED.get((status, action))
    if expected is not None and actor in expected[1]:
        assert workflow.next_status(status, action, actor) == expected[0]
    else:
        with pytest.raises(InvalidTransition) as refused:
            workflow.next_status(status, action, actor)
        assert refused.value.message  # a sentence for the person who tried


def test_terminal_statuses_allow_nothing_but_a_new_link_notes_and_the_identity_erasure():
    for status in (S.CLOSED, S.REJECTED, S.FORWARDED):
        for kind in ActorKind:
            expected = {
                REP: [Action.NEW_KEY],
                STAFF: [Action.NOTE],
                SYS: [Action.ERASE_IDENTITY],
            }.get(kind, [])
            assert workflow.allowed_actions(status, kind) == expected


@pytest.mark.parametrize("held_in", [S.RECEIVED, S.ROUTED, S.IN_PROGRESS, S.REOPENED])
def test_needs_info_resumes_the_status_it_was_held_in(held_in):
    assert workflow.next_status(S.NEEDS_INFO, Action.PROVIDE_INFO, REP, resume=held_in) == held_in


# --- applying actions to stored complaints -----------------------------------------------


@pytest.fixture
def staff(session) -> Actor:
    user = accounts.create_user(
        session, username="verifikator", password="kata-sandi-panjang", role="verifier", now=NOW
    )
    session.commit()
    return Actor.staff(user.id)


def _new_complaint(session: Session, store) -> Complaint:
    result = submit(
        session,
        Submission(text="Jalan berlubang di depan pasar"),
        now=NOW,
        store=store,
        **EFFECTS,
    )
    session.commit()
    return result.complaint


def _agency(session: Session, code: str) -> Agency:
    return session.exec(select(Agency).where(Agency.code == code)).one()


def _events(session: Session, complaint: Complaint) -> list[ComplaintEvent]:
    return list(
        session.exec(
            select(ComplaintEvent)
            .where(ComplaintEvent.complaint_id == complaint.id)
            .order_by(ComplaintEvent.id)
        )
    )


def test_a_lifecycle_writes_one_event_per_action(session, store, staff):
    complaint = _new_complaint(session, store)
    pupr, dinkes = _agency(session, "PUPR"), _agency(session, "DINKES")
    officer = staff
    steps = [
        (Action.VERIFY, officer, Change(agency=dinkes), S.ROUTED),
        (Action.TRANSFER, officer, Change(agency=pupr, note="Jalan: urusan PUPR"), S.ROUTED),
        (Action.REQUEST_INFO, officer, Change(note="Di ruas jalan mana?"), S.NEEDS_INFO),
        (Action.PROVIDE_INFO, Actor.reporter(), Change(note="Jl. Tjilik Riwut km 5"), S.ROUTED),
        (Action.RESPOND, officer, Change(note="Tim akan meninjau"), S.IN_PROGRESS),
        (Action.ESCALATE, Actor.system(), Change(), S.IN_PROGRESS),
        (Action.RESOLVE, officer, Change(note="Sudah ditambal"), S.RESOLVED),
        (Action.REOPEN, Actor.reporter(), Change(note="Lubang muncul lagi"), S.REOPENED),
        (Action.RESOLVE, officer, Change(note="Diaspal ulang"), S.RESOLVED),
        (Action.CLOSE, Actor.system(), Change(), S.CLOSED),
    ]
    for minutes, (action, actor, change, expected) in enumerate(steps, start=1):
        workflow.apply(
            session,
            complaint,
            action,
            actor=actor,
            now=NOW + timedelta(minutes=minutes),
            change=change,
            **EFFECTS,
        )
        session.commit()
        assert complaint.status == expected, action
        if action == Action.ESCALATE:
            # Each new stage of the clock (resolving, reopening) starts at level 0 again.
            assert complaint.escalation_level == 1
    events = _events(session, complaint)
    assert [e.action for e in events] == ["submit"] + [s[0].value for s in steps]
    assert [e.status_to for e in events][1:] == [s[3] for s in steps]
    assert all(e.at.tzinfo is not None for e in events)
    assert complaint.agency_id == pupr.id
    assert complaint.first_response_at == NOW + timedelta(minutes=5)
    assert complaint.closed_at == NOW + timedelta(minutes=10)
    transfer = events[2]
    assert transfer.data["agency"] == "PUPR" and transfer.data["from_agency_id"] == dinkes.id
    assert events[6].public is False  # escalation is internal


def test_a_rolled_back_action_leaves_neither_status_nor_event(session, store, staff):
    complaint = _new_complaint(session, store)
    workflow.apply(
        session,
        complaint,
        Action.VERIFY,
        actor=staff,
        now=NOW,
        change=Change(agency=_agency(session, "DINSOS")),
        **EFFECTS,
    )
    session.rollback()
    session.refresh(complaint)
    assert complaint.status == S.RECEIVED
    assert [e.action for e in _events(session, complaint)] == ["submit"]


@pytest.mark.parametrize(
    ("action", "change", "code"),
    [
        (Action.VERIFY, Change(), "agency_required"),
        (Action.REQUEST_INFO, Change(note="   "), "note_required"),
        (Action.FORWARD, Change(), "note_required"),
        (Action.REJECT, Change(), "reason_required"),
        (Action.REJECT, Change(reason=RejectReason.DUPLICATE), "duplicate_of_required"),
    ],
)
def test_actions_refuse_missing_details(session, store, staff, action, change, code):
    complaint = _new_complaint(session, store)
    with pytest.raises(DomainError) as refused:
        workflow.apply(session, complaint, action, actor=staff, now=NOW, change=change, **EFFECTS)
    assert refused.value.code == code
    assert complaint.status == S.RECEIVED


def test_routing_refuses_outside_bodies_and_same_agency(session, store, staff):
    complaint = _new_complaint(session, store)
    with pytest.raises(DomainError) as refused:
        workflow.apply(
            session,
            complaint,
            Action.VERIFY,
            actor=staff,
            now=NOW,
            change=Change(agency=_agency(session, "POLDA")),
            **EFFECTS,
        )
    assert refused.value.code == "agency_not_allowed"
    dinsos = _agency(session, "DINSOS")
    workflow.apply(
        session,
        complaint,
        Action.VERIFY,
        actor=staff,
        now=NOW,
        change=Change(agency=dinsos),
        **EFFECTS,
    )
    with pytest.raises(DomainError) as same:
        workflow.apply(
            session,
            complaint,
            Action.TRANSFER,
            actor=staff,
            now=NOW,
            change=Change(agency=dinsos, note="salah"),
            **EFFECTS,
        )
    assert same.value.code == "same_agency"


def test_reject_as_duplicate_links_the_original(session, store, staff):
    original = _new_complaint(session, store)
    copy = _new_complaint(session, store)
    workflow.apply(
        session,
        copy,
        Action.REJECT,
        actor=staff,
        now=NOW,
        change=Change(reason=RejectReason.DUPLICATE, duplicate_of=original),
        **EFFECTS,
    )
    session.commit()
    assert copy.status == S.REJECTED and copy.duplicate_of_id == original.id
    assert _events(session, copy)[-1].data == {
        "reason": "duplicate",
        "duplicate_of": original.tracking_code,
    }


def test_forward_records_the_outside_body(session, store, staff):
    complaint = _new_complaint(session, store)
    workflow.apply(
        session,
        complaint,
        Action.FORWARD,
        actor=staff,
        now=NOW,
        change=Change(agency=_agency(session, "PLN"), note="Listrik padam: wewenang PLN"),
        **EFFECTS,
    )
    session.commit()
    assert complaint.status == S.FORWARDED
    assert complaint.forwarded_to.startswith("PT PLN")


def test_two_writers_on_one_complaint_cannot_both_win(settings, store):
    with Session(db.engine_for(settings.database_url)) as setup:
        complaint_id = _new_complaint(setup, store).id
    engine = db.engine_for(settings.database_url)
    with Session(engine) as first, Session(engine) as second:
        a, b = first.get(Complaint, complaint_id), second.get(Complaint, complaint_id)
        for session, complaint in ((first, a), (second, b)):
            workflow.apply(
                session, complaint, Action.ESCALATE, actor=Actor.system(), now=NOW, **EFFECTS
            )
        first.commit()
        with pytest.raises(StaleDataError):
            second.commit()
    with Session(engine) as check:
        assert check.get(Complaint, complaint_id).escalation_level == 1
        events = check.exec(select(ComplaintEvent).where(ComplaintEvent.action == "escalate")).all()
        assert len(events) == 1
