"""Reporters' personal data (UU 27/2022): how long it is kept, and what erasing it does.

A reporter's identity is their `reporter` row (name, email, phone, Telegram account), the files
they sent, and their messages in the outbox. Erasing it — on request, or when the retention
period after the complaint's end has run out — removes all of that and unlinks the complaint,
which stays (text, place, OPD, events, rating) with the identity's exact words blanked out of
its texts. The audit trail records that it was done, never what was erased.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from lapor.domain import reporter_key, search, workflow
from lapor.domain.deadlines import Deadlines
from lapor.domain.errors import DomainError
from models import (
    Attachment,
    Complaint,
    ComplaintEvent,
    Feedback,
    IntakeRequest,
    Notification,
    NotificationStatus,
    Reporter,
    RoutingExample,
)

DEFAULT_YEARS = 2
MAX_YEARS = 30
BLANK = "[dihapus]"
NOT_SENT = "Tidak dikirim: data pribadi pelapor dihapus."
# Name parts shorter than this are too common to blank on their own ("Ny", "Al").
MIN_NAME_PART = 3
ON_REQUEST, RETENTION = "request", "retention"
# The audit line: that the identity was erased and why, never what it was. Stored as written,
# like every staff note (officers read Indonesian).
NOTES = {
    ON_REQUEST: "Data pribadi pelapor dihapus atas permintaan pelapor (UU 27/2022).",
    RETENTION: "Data pribadi pelapor dihapus: masa retensi {years} tahun telah berakhir.",
}
# Its own action in the trail (never shown to the reporter, no change of status or deadline),
# taken by the server itself: on request the admin runs it, the retention job by the clock.
ERASURE_ACTION = workflow.Action.ERASE_IDENTITY
ERASER = workflow.Actor.system()


class PrivacyPolicyError(DomainError):
    """A retention policy that cannot be applied."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="invalid_privacy_policy")


@dataclass(frozen=True)
class RetentionPolicy:
    """How many years after a complaint ends its reporter's identity is kept."""

    identity_years: int = DEFAULT_YEARS

    @classmethod
    def from_dict(cls, data: dict | None) -> RetentionPolicy:
        """The policy of privacy.yaml's structure (`retention: {identity_years: N}`), checked."""
        retention = (data or {}).get("retention") or {}
        if not isinstance(retention, dict):
            raise PrivacyPolicyError("retention: harus berupa pemetaan.")
        unknown = set(retention) - {"identity_years"}
        if unknown:
            raise PrivacyPolicyError(
                f"retention: kunci tidak dikenal: {', '.join(sorted(unknown))}"
            )
        years = retention.get("identity_years", DEFAULT_YEARS)
        return cls(identity_years=check_years(years))

    def as_dict(self) -> dict:
        return {"retention": {"identity_years": self.identity_years}}

    def cutoff(self, now: datetime) -> datetime:
        """Complaints that ended before this moment are due for erasure at `now`."""
        return years_before(now, self.identity_years)


def check_years(value: object) -> int:
    """A retention period in whole years, 1 to MAX_YEARS."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_YEARS:
        raise PrivacyPolicyError(
            f"identity_years: masa retensi harus bilangan bulat 1–{MAX_YEARS} tahun."
        )
    return value


def years_before(moment: datetime, years: int) -> datetime:
    """The same day and time `years` calendar years earlier (29 February → 28 February)."""
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:
        return moment.replace(year=moment.year - years, day=28)


def due_query(policy: RetentionPolicy, now: datetime, after_id: int, limit: int):
    """The next batch of ended complaints whose identity's retention ran out, by id (one that
    ended without an end date, from an older version, counts from its last change)."""
    ended = sa.func.coalesce(Complaint.closed_at, Complaint.updated_at)
    return (
        select(Complaint)
        .where(
            Complaint.status.in_(list(workflow.TERMINAL)),
            ended < policy.cutoff(now),
            Complaint.identity_erased_at.is_(None),
            Complaint.id > after_id,
        )
        .order_by(Complaint.id)
        .limit(limit)
    )


# --- who the person is -------------------------------------------------------------------


def same_person(session: Session, reporter: Reporter) -> list[Reporter]:
    """The reporter rows of one person as far as Lapor can tell: this row and every row with
    the same email or phone (what "my complaints" shows them together), by id."""
    matches = [Reporter.id == reporter.id]
    if reporter.email:
        matches.append(Reporter.email == reporter.email)  # stored in lower case
    if reporter.phone:
        matches.append(Reporter.phone == reporter.phone)
    return list(session.exec(select(Reporter).where(sa.or_(*matches)).order_by(Reporter.id)))


def complaints_of(session: Session, reporters: Iterable[Reporter]) -> list[Complaint]:
    """Every complaint these reporter rows filed, oldest first."""
    ids = [r.id for r in reporters]
    if not ids:
        return []
    query = select(Complaint).where(Complaint.reporter_id.in_(ids)).order_by(Complaint.id)
    return list(session.exec(query))


# --- blanking the identity's words out of texts ---------------------------------------------


def redactor(reporters: Iterable[Reporter]) -> Callable[[str | None], str | None]:
    """A function blanking these reporters' name (whole, and each part of it), email and phone
    (as typed: 0812-3456-7890, +62 812…) wherever they appear in a text, ignoring case."""
    patterns: list[str] = []
    for reporter in reporters:
        patterns += _name_patterns(reporter.name)
        if reporter.email:
            patterns.append(re.escape(reporter.email))
        if reporter.phone:
            patterns.append(_phone_pattern(reporter.phone))
        for number in (reporter.telegram_user_id, reporter.telegram_chat_id):
            if number is not None:
                patterns.append(rf"(?<!\d){abs(number)}(?!\d)")
    if not patterns:
        return lambda text: text
    # The longest first, so a full name goes before its parts.
    pattern = re.compile("|".join(sorted(set(patterns), key=len, reverse=True)), re.IGNORECASE)
    return lambda text: pattern.sub(BLANK, text) if text else text


def _name_patterns(name: str | None) -> list[str]:
    if not name or not name.strip():
        return []
    parts = [p for p in re.split(r"\W+", name) if len(p) >= MIN_NAME_PART]
    return [rf"\b{re.escape(w)}\b" for w in [name.strip(), *parts]]


def _phone_pattern(phone: str) -> str:
    """A number stored as +62… in any form people type it: 0…, 62…, +62…, with separators."""
    national = phone.removeprefix("+").removeprefix("62")
    digits = r"[\s.-]*".join(national)
    return rf"(?<!\d)(?:\+?62|0)[\s.-]*{digits}(?!\d)"


# --- erasing ----------------------------------------------------------------------------


@dataclass
class Erased:
    """What one erasure did: counts for the operator, and the files to remove after commit."""

    complaints: list[str]
    reporters: int = 0
    attachments: int = 0
    messages: int = 0
    files: tuple[str, ...] = ()
    # The Telegram accounts whose reporter row went: the bot's drafts of theirs go too.
    telegram_users: tuple[int, ...] = ()

    def add(self, other: Erased) -> None:
        """Count another erasure in with this one (a batch of them)."""
        self.complaints += other.complaints
        self.reporters += other.reporters
        self.attachments += other.attachments
        self.messages += other.messages
        self.files += other.files
        self.telegram_users += other.telegram_users


def erase(
    session: Session,
    complaints: list[Complaint],
    reporters: list[Reporter],
    *,
    why: str,
    now: datetime,
    deadlines: Deadlines,
    notices: workflow.Notices,
    years: int | None = None,
) -> Erased:
    """Erase these reporters (deleted once no complaint is theirs any more) from these
    complaints, which stay, anonymised, each with an audit note. No commit; the files listed in
    the result are the caller's to remove once the transaction has committed."""
    blank = redactor(reporters)
    ids = {r.id for r in reporters}
    result = Erased(complaints=[c.tracking_code for c in complaints])
    files: list[str] = []
    for complaint in complaints:
        files += _anonymise(session, complaint, blank, ids, result)
        complaint.identity_erased_at = now
        note = NOTES[why].format(years=years)
        workflow.apply(
            session,
            complaint,
            ERASURE_ACTION,
            actor=ERASER,
            now=now,
            change=workflow.Change(note=note, data={"privacy": why}),
            deadlines=deadlines,
            notices=notices,
        )
    session.flush()
    deleted = _delete_unused(session, reporters)
    result.reporters = len(deleted)
    result.telegram_users = tuple(r.telegram_user_id for r in deleted if r.telegram_user_id)
    result.files = tuple(files)
    return result


def _anonymise(
    session: Session,
    complaint: Complaint,
    blank: Callable[[str | None], str | None],
    reporter_ids: set[int | None],
    result: Erased,
) -> list[str]:
    """Unlink one complaint from its reporter and blank their words; the files to remove."""
    if complaint.reporter_id in reporter_ids:
        complaint.reporter_id = None
    # The private link stops working: nobody may act as this complaint's reporter any more.
    _, complaint.reporter_key_hash = reporter_key.new_key()
    complaint.title = blank(complaint.title) or ""
    complaint.text = blank(complaint.text) or ""
    complaint.address = blank(complaint.address)
    complaint.media_url = None  # a picture the reporter posted on a client's server
    complaint.search_terms = search.document(
        complaint.title, complaint.text, complaint.regency, complaint.district, complaint.address
    )
    for event in _rows(session, ComplaintEvent, complaint):
        event.note = blank(event.note)
        event.data = _blank_values(event.data, blank)
    for row in _rows(session, Feedback, complaint):
        row.comment = blank(row.comment)
    for row in _rows(session, RoutingExample, complaint):
        row.text = blank(row.text) or ""
    result.messages += _forget_messages(session, complaint, blank, reporter_ids)
    # A retry of the submission (by its idempotency key) has nothing left to match.
    for row in _rows(session, IntakeRequest, complaint):
        session.delete(row)
    files = []
    for attachment in _rows(session, Attachment, complaint):
        files.append(attachment.path)
        session.delete(attachment)
    result.attachments += len(files)
    session.add(complaint)
    return files


def _forget_messages(
    session: Session,
    complaint: Complaint,
    blank: Callable[[str | None], str | None],
    reporter_ids: set[int | None],
) -> int:
    """Messages to the reporter lose their address and text (and are not sent any more);
    messages to OPDs keep theirs with the identity's words blanked. How many to the reporter."""
    to_reporter = 0
    for row in _rows(session, Notification, complaint):
        row.subject = blank(row.subject) or ""
        row.body = blank(row.body) or ""
        row.last_error = blank(row.last_error)
        if row.agency_id is None and row.channel != "inapp":
            to_reporter += 1
            _forget_message(row)
        elif row.reporter_id in reporter_ids:
            row.reporter_id = None
    return to_reporter


def _forget_message(row: Notification) -> None:
    """A message to the reporter without address, text or link to them; never sent now."""
    row.address, row.body, row.reporter_id, row.last_error = None, BLANK, None, None
    if row.status not in (NotificationStatus.SENT, NotificationStatus.FAILED):
        row.status, row.next_attempt_at = NotificationStatus.FAILED, None
        row.last_error = NOT_SENT  # what admins read among the failed deliveries


def _delete_unused(session: Session, reporters: list[Reporter]) -> list[Reporter]:
    """Delete the reporter rows no complaint refers to any more (their messages forgotten
    first, wherever they are); the ones deleted."""
    deleted = []
    for reporter in reporters:
        still = session.exec(
            select(Complaint.id).where(Complaint.reporter_id == reporter.id).limit(1)
        ).first()
        if still is not None:
            continue
        for row in session.exec(
            select(Notification).where(Notification.reporter_id == reporter.id)
        ):
            _forget_message(row)
            session.add(row)
        session.flush()
        session.delete(reporter)
        deleted.append(reporter)
    return deleted


def _rows(session: Session, table, complaint: Complaint) -> list:
    return list(session.exec(select(table).where(table.complaint_id == complaint.id)))


def _blank_values(data: dict, blank: Callable[[str | None], str | None]) -> dict:
    """A JSON payload with the identity's words blanked in every text value."""

    def walk(value):
        if isinstance(value, str):
            return blank(value)
        if isinstance(value, list):
            return [walk(v) for v in value]
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        return value

    return walk(dict(data or {}))
