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

from sqlmodel import Session, select

from lapor.domain import workflow
from lapor.domain.deadlines import WAITING, Deadlines, stage_column, stage_deadline
from lapor.domain.notices import Notices
from lapor.domain.sla import escalation_targets
from models import Agency, Complaint

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
    for complaint in due_batch(session, now, limit):
        result.looked_at += 1
        for action in check(session, complaint, now, deadlines, notices, agencies):
            result.actions[action] += 1
    return result


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
    deadlines.schedule(complaint)
    session.add(complaint)
    return done


def _remind(complaint, due, now, deadlines, agencies, act) -> None:
    if complaint.reminded_for == due:
        return
    reminder = deadlines.reminder_at(complaint, due)
    if reminder is not None and reminder <= now < due:
        act(
            workflow.Action.REMIND,
            agency=agencies.responsible(complaint),
            data={"stage": _stage(complaint), "due": due.isoformat()},
        )
    elif now >= due or reminder is None:
        complaint.reminded_for = due  # too late to remind: the escalation says it now


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
    """Agencies by id for one sweep batch: whom a complaint's reminders and escalations reach."""

    def __init__(self, session: Session, triage_code: str | None) -> None:
        self.session = session
        self.triage_code = triage_code
        self._triage: Agency | None = None

    def responsible(self, complaint: Complaint) -> Agency | None:
        """The OPD holding the complaint, or the verifying unit while nobody holds it."""
        if complaint.agency_id is not None:
            return self.session.get(Agency, complaint.agency_id)
        if self._triage is None and self.triage_code:
            self._triage = self.session.exec(
                select(Agency).where(Agency.code == self.triage_code)
            ).first()
        return self._triage

    def parent(self, agency: Agency) -> Agency | None:
        return self.session.get(Agency, agency.parent_id) if agency.parent_id else None
