"""Stage deadlines of a complaint, set as it moves through the state machine (SP4N-LAPOR!):
verification within 3 working days of receipt, the OPD's first answer within 5 working days
of disposition, completion within 60 days; a complaint waiting on the reporter stops the
clock and is closed when they stay silent. The numbers come from the region's SlaBook.

Every change ends with `schedule`, which sets `next_check_at`: the one indexed moment at which
the sweep must look at the complaint again (a reminder, an escalation level, an automatic close).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

import sqlalchemy as sa

from lapor.domain.language import N_
from lapor.domain.sla_policy import EscalationLevel, SlaBook, SlaPolicy
from lapor.domain.working_days import WorkingCalendar, due_at, pause, resume
from models import Complaint
from models import ComplaintStatus as S

STAGE_COLUMNS = {
    S.RECEIVED: "verification_due_at",
    S.ROUTED: "response_due_at",
    S.REOPENED: "response_due_at",
    S.IN_PROGRESS: "resolution_due_at",
}
STAGE_NAMES = {
    "verification_due_at": "verifikasi",
    "response_due_at": "tindak lanjut OPD",
    "resolution_due_at": "penyelesaian",
}
WAITING = frozenset({S.NEEDS_INFO, S.RESOLVED})  # the reporter's turn: closed when silent
# Whose move it is in each status, and the sentence the reporter reads about it (the receipt,
# their own page and their emails say the same; %(date)s is the day in words).
STAGES = {
    S.RECEIVED: (
        "verification",
        N_("Petugas wajib memverifikasi pengaduan paling lambat %(date)s."),
    ),
    S.ROUTED: ("response", N_("OPD wajib menjawab paling lambat %(date)s.")),
    S.REOPENED: ("response", N_("OPD wajib menjawab paling lambat %(date)s.")),
    S.IN_PROGRESS: (
        "resolution",
        N_("OPD wajib menyelesaikan pengaduan paling lambat %(date)s."),
    ),
    S.NEEDS_INFO: (
        "info",
        N_(
            "Kirim keterangan yang diminta paling lambat %(date)s; tanpa jawaban, pengaduan "
            "ditutup otomatis."
        ),
    ),
    S.RESOLVED: (
        "confirm",
        N_(
            "Nilai penanganannya atau buka kembali paling lambat %(date)s; setelah itu "
            "pengaduan ditutup otomatis."
        ),
    ),
}


@dataclass(frozen=True)
class Stage:
    """The stage a complaint is in, the moment it must end (the reporter's turn included),
    and the sentence that says so."""

    name: str
    due: datetime
    sentence: str


def current_stage(complaint: Complaint) -> Stage | None:
    """The stage and its deadline, or None when no clock runs (ended, or no date set)."""
    if complaint.status not in STAGES:
        return None
    due = complaint.auto_close_at if complaint.status in WAITING else stage_deadline(complaint)
    name, sentence = STAGES[complaint.status]
    return Stage(name, due, sentence) if due else None


def stage_column(status: S) -> str | None:
    """The deadline column of the stage a complaint in this status is in."""
    return STAGE_COLUMNS.get(status)


def stage_deadline(complaint: Complaint) -> datetime | None:
    """The deadline of the stage the complaint is in now (None when none runs)."""
    column = stage_column(complaint.status)
    return getattr(complaint, column) if column else None


def next_deadline(complaint: Complaint) -> datetime | None:
    """The next deadline to show a reporter: the stage's, or the final one."""
    for due in (complaint.verification_due_at, complaint.response_due_at):
        if due is not None:
            return due
    return complaint.resolution_due_at


def next_deadline_expression() -> sa.ColumnElement:
    """`next_deadline` as SQL, to sort and filter by it in the database."""
    return sa.func.coalesce(
        Complaint.verification_due_at, Complaint.response_due_at, Complaint.resolution_due_at
    )


@dataclass(frozen=True)
class Deadlines:
    """A calendar and the region's policies: what each action does to a complaint's clock."""

    calendar: WorkingCalendar
    book: SlaBook = field(default_factory=SlaBook)

    def policy(self, complaint: Complaint, agency_code: str | None) -> SlaPolicy:
        return self.book.policy_for(agency_code, complaint.routing_label)

    def received(self, complaint: Complaint, now: datetime) -> None:
        policy = self.policy(complaint, None)
        complaint.verification_due_at = due_at(now, policy.verification_days, self.calendar)
        complaint.resolution_due_at = now + timedelta(days=policy.resolution_calendar_days)
        _new_stage(complaint)

    def disposed(self, complaint: Complaint, now: datetime, agency_code: str | None) -> None:
        """Routed, verified, transferred or reopened: the OPD's answer is due."""
        policy = self.policy(complaint, agency_code)
        complaint.verification_due_at = None
        complaint.auto_close_at = None
        complaint.response_due_at = due_at(now, policy.response_days, self.calendar)
        _new_stage(complaint)

    def answered(self, complaint: Complaint, now: datetime) -> None:
        """The OPD's first answer: what is left is completing the case."""
        if complaint.response_due_at is not None:
            complaint.answered_on_time = now <= complaint.response_due_at
        complaint.response_due_at = None
        _new_stage(complaint)

    def resolved(self, complaint: Complaint, now: datetime, agency_code: str | None) -> None:
        """Declared resolved: the reporter may rate or reopen; silence closes it."""
        policy = self.policy(complaint, agency_code)
        complaint.response_due_at = None
        complaint.auto_close_at = due_at(now, policy.confirm_wait_days, self.calendar)
        _new_stage(complaint)

    def paused(self, complaint: Complaint, now: datetime, agency_code: str | None) -> None:
        """Waiting on the reporter: the stage clock stops with the working days it had left."""
        column = stage_column(complaint.status)
        due = getattr(complaint, column) if column else None
        complaint.paused_at = now
        if column is not None and column != "resolution_due_at" and due is not None:
            complaint.paused_days_left = pause(now, due, self.calendar)
            setattr(complaint, column, None)
        policy = self.policy(complaint, agency_code)
        complaint.auto_close_at = due_at(now, policy.info_wait_days, self.calendar)

    def resumed(self, complaint: Complaint, now: datetime, status: S) -> None:
        """The reporter answered: the stopped stage gets its days back, the final deadline too."""
        if complaint.paused_at is not None and complaint.resolution_due_at is not None:
            complaint.resolution_due_at += now - complaint.paused_at
        column = stage_column(status)
        if column is not None and complaint.paused_days_left is not None:
            setattr(complaint, column, resume(now, complaint.paused_days_left, self.calendar))
        complaint.paused_at = None
        complaint.paused_days_left = None
        complaint.auto_close_at = None

    def ended(self, complaint: Complaint) -> None:
        """Closed, archived or forwarded: no clock runs any more."""
        complaint.verification_due_at = None
        complaint.response_due_at = None
        complaint.auto_close_at = None
        complaint.paused_at = None
        complaint.paused_days_left = None

    def reminder_at(self, complaint: Complaint, due: datetime) -> datetime | None:
        """When to remind of a stage deadline (None when the policy sends no reminder)."""
        policy = self.policy(complaint, None)
        if policy.reminder_lead_days == 0:
            return None
        day = self.calendar.local_day(due)
        for _ in range(policy.reminder_lead_days):
            day = self.calendar.previous_working_day(day)
        return datetime.combine(day, time(policy.reminder_hour), tzinfo=self.calendar.tz)

    def escalation_at(self, due: datetime, level: EscalationLevel) -> datetime:
        """When a missed deadline reaches a level: at the deadline, or working days after it."""
        return due if level.after_days == 0 else due_at(due, level.after_days, self.calendar)

    def next_check(self, complaint: Complaint) -> datetime | None:
        """The next moment the sweep has something to do for this complaint."""
        if complaint.status in WAITING:
            return complaint.auto_close_at
        due = stage_deadline(complaint)
        if due is None:
            return None
        moments = []
        if complaint.reminded_for != due:
            reminder = self.reminder_at(complaint, due)
            moments.append(reminder if reminder is not None and reminder < due else due)
        level = self.book.level(complaint.escalation_level + 1)
        if level is not None:
            moments.append(self.escalation_at(due, level))
        return min(moments) if moments else None

    def schedule(self, complaint: Complaint) -> None:
        complaint.next_check_at = self.next_check(complaint)


def _new_stage(complaint: Complaint) -> None:
    """A new stage starts: no reminder sent for it yet, and no escalation."""
    complaint.reminded_for = None
    complaint.escalation_level = 0
