"""Stage deadlines of a complaint, set as it moves through the state machine (SP4N-LAPOR!):
verification within 3 working days of receipt, the OPD's first answer within 5 working days
of disposition, completion within 60 days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from lapor.domain.clock import WorkingCalendar, due_at
from models import Complaint


@dataclass(frozen=True)
class SlaPolicy:
    verification_days: int = 3  # working days, from receipt
    response_days: int = 5  # working days, from disposition to the OPD
    resolution_days: int = 60  # calendar days, from receipt


@dataclass(frozen=True)
class Deadlines:
    """A calendar and a policy: what each action does to the complaint's deadlines."""

    calendar: WorkingCalendar
    policy: SlaPolicy = SlaPolicy()

    def received(self, complaint: Complaint, now: datetime) -> None:
        complaint.verification_due_at = due_at(now, self.policy.verification_days, self.calendar)
        complaint.resolution_due_at = now + timedelta(days=self.policy.resolution_days)

    def disposed(self, complaint: Complaint, now: datetime) -> None:
        """Routed, verified or transferred: the (new) OPD's answer is due."""
        complaint.verification_due_at = None
        complaint.response_due_at = due_at(now, self.policy.response_days, self.calendar)

    def answered(self, complaint: Complaint, now: datetime) -> None:
        complaint.response_due_at = None


def next_deadline(complaint: Complaint) -> datetime | None:
    """The deadline of the stage the complaint is in now."""
    for due in (complaint.verification_due_at, complaint.response_due_at):
        if due is not None:
            return due
    return complaint.resolution_due_at
