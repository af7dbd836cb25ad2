"""The reporter's verdict on a resolved complaint: a rating that closes it, or a reopening."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from lapor.domain import workflow
from lapor.domain.deadlines import Deadlines
from lapor.domain.errors import DomainError, FieldProblem, ValidationFailed
from lapor.domain.notices import Notices
from lapor.domain.text import clean_text
from models import ActorKind, Complaint, ComplaintStatus, Feedback

MAX_COMMENT = 1000
MIN_REASON = 10  # a few words: the OPD must learn what is still wrong
# How long after resolution the reporter may say it is not resolved (SP4N-LAPOR closes a
# resolved complaint after 10 working days without reply; two calendar weeks is the same).
REOPEN_WINDOW = timedelta(days=14)


def rate(
    session: Session,
    complaint: Complaint,
    rating: object,
    comment: str | None,
    *,
    now: datetime,
    deadlines: Deadlines,
    notices: Notices,
) -> Feedback:
    """Store the reporter's rating (1–5) of a resolved complaint and close it."""
    if complaint.status != ComplaintStatus.RESOLVED:
        raise DomainError(
            "Penilaian hanya untuk pengaduan yang sudah selesai.", code="not_resolved"
        )
    try:
        value = int(str(rating))
    except ValueError:
        value = 0
    comment = clean_text(comment, multiline=True) or None
    problems = {}
    if not 1 <= value <= 5:
        problems["rating"] = FieldProblem("out_of_range", "Pilih nilai 1 sampai 5.")
    if comment and len(comment) > MAX_COMMENT:
        problems["comment"] = FieldProblem(
            "too_long", f"Komentar maksimal {MAX_COMMENT} karakter.", {"max": MAX_COMMENT}
        )
    if problems:
        raise ValidationFailed(problems)
    feedback = Feedback(complaint_id=complaint.id, rating=value, comment=comment, created_at=now)
    session.add(feedback)
    complaint.rating = value
    workflow.apply(
        session,
        complaint,
        workflow.Action.CLOSE,
        actor=workflow.Actor.reporter(),
        now=now,
        change=workflow.Change(note=None, data={"rating": value}),
        deadlines=deadlines,
        notices=notices,
    )
    return feedback


def can_reopen(complaint: Complaint, now: datetime) -> bool:
    """Whether the reporter may still say the complaint is not resolved."""
    return (
        complaint.status == ComplaintStatus.RESOLVED
        and complaint.resolved_at is not None
        and now - complaint.resolved_at <= REOPEN_WINDOW
    )


def reopen(
    session: Session,
    complaint: Complaint,
    reason: str | None,
    *,
    now: datetime,
    deadlines: Deadlines,
    notices: Notices,
) -> None:
    """The reporter is not satisfied: the complaint goes back to its OPD."""
    if complaint.status == ComplaintStatus.RESOLVED and not can_reopen(complaint, now):
        raise DomainError(
            "Batas waktu untuk membuka kembali pengaduan ini sudah lewat.", code="reopen_expired"
        )
    # The status before the reason: a reason problem on a complaint that cannot be reopened
    # would point at a form its page does not show.
    workflow.next_status(complaint.status, workflow.Action.REOPEN, ActorKind.REPORTER)
    reason = clean_text(reason, multiline=True)
    if len(reason) < MIN_REASON:
        raise ValidationFailed(
            {
                "reason": FieldProblem(
                    "too_short",
                    f"Jelaskan apa yang belum selesai (minimal {MIN_REASON} karakter).",
                    {"min": MIN_REASON},
                )
            }
        )
    if len(reason) > MAX_COMMENT:
        raise ValidationFailed(
            {"reason": FieldProblem("too_long", f"Alasan maksimal {MAX_COMMENT} karakter.")}
        )
    workflow.apply(
        session,
        complaint,
        workflow.Action.REOPEN,
        actor=workflow.Actor.reporter(),
        now=now,
        change=workflow.Change(note=reason),
        deadlines=deadlines,
        notices=notices,
    )


MIN_INFO = 5
MAX_INFO = 5000


def provide_info(
    session: Session,
    complaint: Complaint,
    text: str | None,
    *,
    now: datetime,
    deadlines: Deadlines,
    notices: Notices,
) -> None:
    """The reporter answers the OPD's question: the complaint and its clock resume."""
    if complaint.status != ComplaintStatus.NEEDS_INFO:
        raise DomainError(
            "Pengaduan ini tidak sedang menunggu keterangan dari Anda.", code="not_waiting"
        )
    text = clean_text(text, multiline=True)
    if not MIN_INFO <= len(text) <= MAX_INFO:
        raise ValidationFailed(
            {
                "info": FieldProblem(
                    "length", f"Keterangan {MIN_INFO}–{MAX_INFO} karakter.", {"max": MAX_INFO}
                )
            }
        )
    workflow.apply(
        session,
        complaint,
        workflow.Action.PROVIDE_INFO,
        actor=workflow.Actor.reporter(),
        now=now,
        change=workflow.Change(note=text),
        deadlines=deadlines,
        notices=notices,
    )
