"""The SLA sweep's decisions for one due complaint: a reminder before a stage deadline,
escalation level by level after it, the automatic close of a complaint whose reporter stayed
silent. lapor.services.sweep finds and locks the due complaints; every action goes through
the state machine."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from lapor.domain import workflow
from lapor.domain.deadlines import WAITING, Deadlines, stage_column, stage_deadline
from lapor.domain.notices import Notices
from lapor.domain.sla_policy import escalation_targets
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


def check(
    session: Session,
    complaint: Complaint,
    now: datetime,
    deadlines: Deadlines,
    notices: Notices,
    agencies: AgencyIndex,
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


class AgencyIndex:
    """Every agency of a batch, held (the session's identity map holds its objects weakly):
    whom a complaint's reminders and escalations reach."""

    def __init__(self, agencies: list[Agency], triage_code: str | None) -> None:
        self.by_id = {agency.id: agency for agency in agencies}
        self.triage = next((a for a in agencies if a.code == triage_code), None)

    def responsible(self, complaint: Complaint) -> Agency | None:
        """The OPD holding the complaint, or the verifying unit while nobody holds it."""
        if complaint.agency_id is not None:
            return self.by_id.get(complaint.agency_id)
        return self.triage

    def parent(self, agency: Agency) -> Agency | None:
        return self.by_id.get(agency.parent_id) if agency.parent_id else None
