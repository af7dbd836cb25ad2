"""Intake's plain INSERTs (lapor.domain.inserts): the rows, their links, and what the session
knows of them afterwards must be what the unit of work would have made."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from functools import partial

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from lapor import casework, db
from lapor.domain import tracking, workflow
from lapor.domain.inserts import insert_new_rows
from lapor.domain.outbox import PENDING_KEY, schedule_delivery
from lapor.domain.rows import new_row
from models import (
    Agency,
    Channel,
    Complaint,
    ComplaintEvent,
    ComplaintStatus,
    Notification,
    NotificationStatus,
    Outbox,
    Reporter,
)

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


def _complaint(text: str = "Lampu jalan mati") -> Complaint:
    return Complaint(
        tracking_code=tracking.new_code(),
        reporter_key_hash="0" * 64,
        text=text,
        channel=Channel.API,
        status=ComplaintStatus.RECEIVED,
        received_at=NOW,
        updated_at=NOW,
    )


def _submit_event(complaint: Complaint, build=ComplaintEvent) -> ComplaintEvent:
    """A reporter's submit event for the complaint, linked by the relationship (no id yet)."""
    return build(
        complaint=complaint,
        at=NOW,
        actor_kind=workflow.Actor.reporter().kind,
        action="submit",
        status_to=ComplaintStatus.RECEIVED,
    )


def _new_complaint(session: Session, settings) -> Complaint:
    """A complaint routed through the state machine, with an email notice in the outbox."""
    agency = session.exec(select(Agency).where(Agency.code == "DISHUB")).one()
    complaint = _complaint()
    session.add(complaint)
    workflow.record_submission(session, complaint, actor=workflow.Actor.reporter(), now=NOW)
    casework.act(
        settings,
        session,
        complaint,
        workflow.Action.ROUTE,
        actor=workflow.Actor.system(),
        now=NOW,
        change=workflow.Change(agency=agency),
    )
    email = Notification(
        complaint=complaint,
        kind="route",
        channel="email",
        address="opd@example.id",
        subject="Pengaduan baru",
        body="…",
        status=NotificationStatus.PENDING,
        created_at=NOW,
    )
    session.add(email)
    schedule_delivery(session, "workers.notify.deliver", email, now=NOW)
    return complaint


def test_new_rows_are_written_linked_and_become_persistent(settings):
    with db.session_scope(settings) as session:
        complaint = _new_complaint(session, settings)
        insert_new_rows(session)
        assert not session.new and not session.dirty
        assert complaint.id is not None and sa.inspect(complaint).persistent
        outbox_rows = session.info[PENDING_KEY]
        assert [row.notification_id for row in outbox_rows] == [outbox_rows[0].notification.id]
        session.info.pop(PENDING_KEY)  # no relay to RQ in this test
    with Session(db.engine_for(settings.database_url)) as session:
        stored = session.get(Complaint, complaint.id)
        assert stored.status == ComplaintStatus.ROUTED and stored.row_version == 1
        events = session.exec(
            select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint.id)
        ).all()
        assert [e.action for e in events] == ["submit", "route"]
        assert events[1].data["agency"] == "DISHUB"
        notices = session.exec(
            select(Notification).where(Notification.complaint_id == complaint.id)
        ).all()
        assert {n.channel for n in notices} == {"inapp", "email"}
        email = next(n for n in notices if n.channel == "email")
        (outbox,) = session.exec(select(Outbox)).all()
        assert outbox.notification_id == email.id


def test_a_written_complaint_changes_like_a_loaded_one(settings):
    """The next change in the same session is an UPDATE that checks the row version."""
    with db.session_scope(settings) as session:
        complaint = _new_complaint(session, settings)
        insert_new_rows(session)
        session.info.pop(PENDING_KEY)
        complaint.title = "Judul baru"
        session.flush()
    with Session(db.engine_for(settings.database_url)) as session:
        stored = session.get(Complaint, complaint.id)
        assert stored.title == "Judul baru" and stored.row_version == 2
        assert len(session.exec(select(Complaint)).all()) == 1


def test_a_session_with_changed_rows_is_flushed_by_the_unit_of_work(settings):
    with db.session_scope(settings) as session:
        reporter = Reporter(name="Budi", created_at=NOW)
        session.add(reporter)
        session.flush()
        reporter.name = "Budi S."  # a changed row: these INSERTs do not write UPDATEs
        complaint = _new_complaint(session, settings)
        complaint.reporter_id = reporter.id
        insert_new_rows(session)
        assert not session.new and not session.dirty
        session.info.pop(PENDING_KEY)
    with Session(db.engine_for(settings.database_url)) as session:
        assert session.get(Reporter, reporter.id).name == "Budi S."
        assert session.get(Complaint, complaint.id).reporter_id == reporter.id


def test_rows_added_child_first_are_written_parent_first(settings):
    """An event added before its complaint (the complaint joins by cascade) still works."""
    with db.session_scope(settings) as session:
        complaint = _complaint("Jalan berlubang")
        event = _submit_event(complaint)
        session.add(event)
        assert list(session.new)[0] is event
        insert_new_rows(session)
        assert sa.inspect(complaint).persistent and sa.inspect(event).persistent
    with Session(db.engine_for(settings.database_url)) as session:
        assert session.get(ComplaintEvent, event.id).complaint_id == complaint.id


def test_several_parents_each_keep_their_own_children(settings):
    """Two complaints with an event each, in one batch: every event points at its own."""
    with db.session_scope(settings) as session:
        pairs = []
        for text in ("Lampu jalan mati", "Sampah tidak diangkut"):
            complaint = _complaint(text)
            complaint.address = "Jl. Yos Sudarso" if text.startswith("Lampu") else None
            event = _submit_event(complaint)
            session.add(event)  # its complaint joins with it
            pairs.append((complaint, event))
        insert_new_rows(session)
    with Session(db.engine_for(settings.database_url)) as session:
        for complaint, event in pairs:
            stored = session.get(Complaint, complaint.id)
            assert stored.text == complaint.text and stored.address == complaint.address
            assert session.get(ComplaintEvent, event.id).complaint_id == complaint.id


def test_a_complaint_and_its_rows_take_one_statement_on_postgresql(settings):
    """PostgreSQL: one INSERT statement for complaint, events, notices and outbox row;
    elsewhere at least one per table."""
    engine = db.engine_for(settings.database_url)
    statements: list[str] = []

    def note(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    with db.session_scope(settings) as session:
        _new_complaint(session, settings)
        session.connection()  # the agency lookup and the transaction's start are not counted
        sa.event.listen(engine, "before_cursor_execute", note)
        try:
            insert_new_rows(session)
        finally:
            sa.event.remove(engine, "before_cursor_execute", note)
        session.info.pop(PENDING_KEY)
    tables = 4  # complaint, complaint_event, notification, outbox
    if engine.dialect.name == "postgresql":
        assert len(statements) == 1 and statements[0].startswith("WITH")
    else:
        assert len(statements) >= tables


def _fields(row) -> dict:
    return {k: v for k, v in vars(row).items() if not k.startswith("_sa_")}


COMPLAINT_VALUES = {
    "tracking_code": "LPR-TEST-0001",
    "reporter_key_hash": "0" * 64,
    "text": "Lampu jalan mati",
    "channel": Channel.API,
    "status": ComplaintStatus.RECEIVED,
    "received_at": NOW,
    "updated_at": NOW,
}


def test_new_row_builds_what_the_constructor_builds():
    built, constructed = new_row(Complaint, **COMPLAINT_VALUES), Complaint(**COMPLAINT_VALUES)
    assert _fields(built) == _fields(constructed)
    assert built.__pydantic_fields_set__ == constructed.__pydantic_fields_set__
    assert built.model_dump() == constructed.model_dump()
    assert sa.inspect(built).transient
    event = new_row(ComplaintEvent, complaint=built, at=NOW, action="submit")
    assert event.complaint is built and sa.inspect(event).attrs.complaint.history.added == [built]
    assert event.data == {} and event.data is not new_row(ComplaintEvent, at=NOW).data


def test_new_row_refuses_a_field_the_table_does_not_have():
    with pytest.raises(TypeError, match="tracking_kode"):
        new_row(Complaint, tracking_kode="LPR-1")


def test_a_row_built_by_new_row_is_stored_by_both_write_paths(settings):
    for write in (insert_new_rows, Session.flush):
        with db.session_scope(settings) as session:
            values = {**COMPLAINT_VALUES, "tracking_code": tracking.new_code()}
            complaint = new_row(Complaint, **values, title="Gelap")
            session.add(complaint)
            event = _submit_event(complaint, build=partial(new_row, ComplaintEvent))
            session.add(event)
            write(session)
            complaint_id = complaint.id
        with Session(db.engine_for(settings.database_url)) as session:
            stored = session.get(Complaint, complaint_id)
            assert (stored.title, stored.row_version) == ("Gelap", 1)
            events = select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint_id)
            assert [e.action for e in session.exec(events)] == ["submit"]


def test_new_row_sets_a_relationship_in_a_process_that_has_not_used_the_orm_yet():
    # A worker's first ORM act may be intake's new_row: the mappers must be configured by it.
    program = (
        "from datetime import UTC, datetime\n"
        "from lapor.domain.rows import new_row\n"
        "from models import Complaint, ComplaintEvent\n"
        "complaint = new_row(Complaint, text='Lampu mati')\n"
        "event = new_row(ComplaintEvent, complaint=complaint, at=datetime.now(UTC))\n"
        "assert event.complaint is complaint\n"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
