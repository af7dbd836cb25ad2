"""The SLA sweep: reminders before a stage deadline, escalation level by level after it, and
the automatic close of a complaint whose reporter stayed silent.

It looks only at complaints whose `next_check_at` has come (an indexed range scan, so its cost
follows the number due, not the number stored), locks them (FOR UPDATE SKIP LOCKED where the
database has it; the complaint's row version everywhere), decides again from the locked row
and acts through the state machine. Two sweeps at once, or one run twice, act once.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, select

from lapor.domain import workflow
from lapor.domain.deadlines import WAITING, Deadlines, stage_column, stage_deadline
from lapor.domain.notices import Notices
from lapor.domain.sla_policy import escalation_targets
from models import Agency, Complaint, ComplaintEvent, Notification, NotificationStatus

AUTO_CLOSE_NOTES = {
    "needs_info": "Ditutup otomatis: pelapor tidak memberi keterangan dalam batas waktu.",
    "resolved": "Ditutup otomatis: pelapor tidak menanggapi penyelesaian dalam batas waktu.",
}


@dataclass
class SweepResult:
    """What a sweep did, counted by action."""

    looked_at: int = 0
    actions: Counter = field(default_factory=Counter)

    def add(self, other: SweepResult) -> None:
        self.looked_at += other.looked_at
        self.actions.update(other.actions)


def due_batch(session: Session, now: datetime, limit: int) -> list[Complaint]:
    """Lock and load up to `limit` complaints whose next check has come, earliest first."""
    if session.get_bind().dialect.name == "sqlite":
        # SQLite has no row locks: take its one write lock before reading, so a second sweep
        # waits for this batch to commit and then reads what is still due.
        session.exec(sa.text("UPDATE complaint SET id = id WHERE 0"))
    query = (
        select(Complaint)
        .where(Complaint.next_check_at <= now)
        .order_by(Complaint.next_check_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(session.exec(query).all())


def sweep_batch(
    session: Session,
    now: datetime,
    deadlines: Deadlines,
    notices: Notices | None = None,
    limit: int = 500,
) -> SweepResult:
    """One batch of the sweep in the caller's transaction (the caller commits)."""
    result = SweepResult()
    agencies = _Agencies(session, deadlines.book.triage_agency)
    complaints = due_batch(session, now, limit)
    for complaint in complaints:
        result.looked_at += 1
        for action in check(session, complaint, now, deadlines, notices, agencies):
            result.actions[action] += 1
    write_complaints(session, complaints)
    insert_records(session)
    return result


def write_complaints(session: Session, complaints: list[Complaint]) -> None:
    """UPDATE the batch's complaints in a few executemany statements (one per set of changed
    columns) instead of one round trip each: the ORM will not batch versioned rows. Each
    UPDATE still checks the row version it read, as the ORM would."""
    table = Complaint.__table__
    columns = frozenset(c.name for c in table.columns) - {"id", "row_version"}
    groups: dict[frozenset[str], list[dict]] = {}
    for complaint in complaints:
        changed = columns - sa.inspect(complaint).unmodified
        if changed:
            row = {name: getattr(complaint, name) for name in changed}
            row["b_id"], row["b_version"] = complaint.id, complaint.row_version
            groups.setdefault(changed, []).append(row)
        session.expunge(complaint)  # written here, not by the flush
    for changed, rows in groups.items():
        statement = (
            table.update()
            .where(table.c.id == sa.bindparam("b_id"))
            .where(table.c.row_version == sa.bindparam("b_version"))
            .values(
                {name: sa.bindparam(name) for name in sorted(changed)}
                | {"row_version": table.c.row_version + 1}
            )
        )
        matched = session.connection().execute(statement, rows).rowcount
        if matched != len(rows):
            raise StaleDataError(f"complaint: {len(rows)} rows to update, {matched} matched")


def insert_records(session: Session) -> None:
    """INSERT the batch's audit events and in-app notices in one executemany each: nothing
    refers to their ids, so they need no RETURNING round trips. Deliveries are left to the
    flush: their ids are enqueued once the batch commits (lapor.infra.notification_jobs)."""
    by_table: dict[sa.Table, list[dict]] = {}
    for record in list(session.new):
        if isinstance(record, ComplaintEvent) or (
            isinstance(record, Notification) and record.status == NotificationStatus.SENT
        ):
            table = record.__table__
            row = {c.name: getattr(record, c.name) for c in table.columns if c.name != "id"}
            by_table.setdefault(table, []).append(row)
            session.expunge(record)
    for table, rows in by_table.items():
        session.connection().execute(table.insert(), rows)


def check(
    session: Session,
    complaint: Complaint,
    now: datetime,
    deadlines: Deadlines,
    notices: Notices | None,
    agencies: _Agencies,
) -> list[str]:
    """Do what has come due for one complaint; the actions taken."""
    done: list[str] = []

    def act(action: workflow.Action, **change) -> None:
        workflow.apply(
            session,
            complaint,
            action,
            actor=workflow.Actor.system(),
            now=now,
            change=workflow.Change(**change),
            deadlines=deadlines,
            notices=notices,
        )
        done.append(action.value)

    if complaint.status in WAITING:
        if complaint.auto_close_at is not None and complaint.auto_close_at <= now:
            act(workflow.Action.CLOSE, note=AUTO_CLOSE_NOTES[complaint.status.value])
    else:
        due = stage_deadline(complaint)
        if due is not None:
            _remind(complaint, due, now, deadlines, agencies, act)
            _escalate(complaint, due, now, deadlines, agencies, act)
    if not done:  # every action has scheduled the next check already
        deadlines.schedule(complaint)
    return done


def _remind(complaint, due, now, deadlines, agencies, act) -> None:
    if complaint.reminded_for == due:
        return
    if now >= due:
        complaint.reminded_for = due  # too late to remind: the escalation says it now
        return
    reminder = deadlines.reminder_at(complaint, due)
    if reminder is None:
        complaint.reminded_for = due
    elif reminder <= now:
        act(
            workflow.Action.REMIND,
            agency=agencies.responsible(complaint),
            data={"stage": _stage(complaint), "due": due.isoformat()},
        )


def _escalate(complaint, due, now, deadlines, agencies, act) -> None:
    targets = None
    while (level := deadlines.book.level(complaint.escalation_level + 1)) is not None:
        if deadlines.escalation_at(due, level) > now:
            return
        if targets is None:
            targets = escalation_targets(
                agencies.responsible(complaint), deadlines.book.escalation, agencies.parent
            )
        act(
            workflow.Action.ESCALATE,
            agency=targets[level.level],
            data={"title": level.title, "stage": _stage(complaint), "due": due.isoformat()},
        )


def _stage(complaint: Complaint) -> str:
    return (stage_column(complaint.status) or "").removesuffix("_due_at")


class _Agencies:
    """Every agency, loaded once per batch and held (the session's identity map holds its
    objects weakly): whom a complaint's reminders and escalations reach."""

    def __init__(self, session: Session, triage_code: str | None) -> None:
        self.by_id = {agency.id: agency for agency in session.exec(select(Agency)).all()}
        self.triage = next((a for a in self.by_id.values() if a.code == triage_code), None)

    def responsible(self, complaint: Complaint) -> Agency | None:
        """The OPD holding the complaint, or the verifying unit while nobody holds it."""
        if complaint.agency_id is not None:
            return self.by_id.get(complaint.agency_id)
        return self.triage

    def parent(self, agency: Agency) -> Agency | None:
        return self.by_id.get(agency.parent_id) if agency.parent_id else None
