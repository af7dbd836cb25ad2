"""What the reporter may do to their own complaint: rate it, reopen it, answer the OPD, and
ask for a new private link. Each command checks the reporter's proof inside its transaction.

The public tracking code proves nothing: the proof is the reporter key (or a link key from an
email to the reporter), or, for a complaint filed through the bot, the Telegram account, or
the email or phone number proven by a "my complaints" link (every complaint filed with it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from lapor.domain import feedback, reporter_key, workflow
from lapor.domain.errors import DomainError
from lapor.domain.my_complaints import Contact
from lapor.infra import db
from lapor.infra.settings import Settings
from lapor.services.effects import effects
from lapor.services.views import find_complaint
from models import Complaint, ComplaintEvent, ComplaintStatus, Reporter


class UnknownComplaint(DomainError):
    def __init__(self) -> None:
        super().__init__("Pengaduan dengan kode tersebut tidak ditemukan.", code="not_found")


class NotTheReporter(DomainError):
    """The proof given is not the complaint's reporter's: nothing was changed."""


@dataclass(frozen=True)
class KeyProof:
    """The reporter key or a link key, as the browser, the API client or the email link gave it."""

    credential: str | None

    def admits(self, settings: Settings, session: Session, complaint: Complaint) -> bool:
        return reporter_key.matches(
            self.credential, complaint.reporter_key_hash, settings.secret_key
        )

    def refusal(self) -> NotTheReporter:
        return NotTheReporter(
            "Hanya pelapor yang dapat melakukan ini: buka pengaduan dengan tautan pribadi Anda.",
            code="reporter_key_invalid",
        )


@dataclass(frozen=True)
class TelegramProof:
    """The Telegram account a message came from; it must be the one that filed the complaint."""

    telegram_user_id: int

    def admits(self, settings: Settings, session: Session, complaint: Complaint) -> bool:
        reporter = session.get(Reporter, complaint.reporter_id) if complaint.reporter_id else None
        return reporter is not None and reporter.telegram_user_id == self.telegram_user_id

    def refusal(self) -> NotTheReporter:
        return NotTheReporter("Pengaduan itu bukan milik akun Telegram Anda.", code="not_owner")


@dataclass(frozen=True)
class ClientProof:
    """What an Open311 client can show for a citizen's update: it is the integrator that filed
    the complaint, or the update comes from the email address the reporter filed it with."""

    client: str  # the integrator's key name, or "-" without a key
    email: str | None

    def admits(self, settings: Settings, session: Session, complaint: Complaint) -> bool:
        if self.client != "-" and _filed_by(session, complaint) == self.client:
            return True
        email = (self.email or "").strip().lower()
        reporter = session.get(Reporter, complaint.reporter_id) if complaint.reporter_id else None
        return bool(email) and reporter is not None and (reporter.email or "").lower() == email

    def refusal(self) -> NotTheReporter:
        return NotTheReporter(
            "Hanya pelapor yang dapat memperbarui pengaduan ini: email tidak cocok.",
            code="not_the_reporter",
        )


def _filed_by(session: Session, complaint: Complaint) -> str | None:
    """The integrator recorded on the complaint's submission (its event's `source`)."""
    submitted = session.exec(
        select(ComplaintEvent).where(
            ComplaintEvent.complaint_id == complaint.id,
            ComplaintEvent.action == workflow.Action.SUBMIT.value,
        )
    ).first()
    return submitted.data.get("source") if submitted is not None else None


@dataclass(frozen=True)
class ContactProof:
    """The email or phone number a person proved they hold by opening the link sent to it
    ("my complaints", lapor.services.my_complaints): every complaint filed with it is theirs."""

    contact: Contact

    def admits(self, settings: Settings, session: Session, complaint: Complaint) -> bool:
        reporter = session.get(Reporter, complaint.reporter_id) if complaint.reporter_id else None
        return reporter is not None and self.contact.of(reporter)

    def refusal(self) -> NotTheReporter:
        return NotTheReporter(
            "Pengaduan itu tidak dibuat dengan email atau nomor telepon Anda.",
            code="not_the_reporter",
        )


@dataclass(frozen=True)
class EitherProof:
    """Any of several proofs: a browser may hold a complaint's key and a proven contact."""

    proofs: tuple[KeyProof | ContactProof, ...]

    def admits(self, settings: Settings, session: Session, complaint: Complaint) -> bool:
        return any(proof.admits(settings, session, complaint) for proof in self.proofs)

    def refusal(self) -> NotTheReporter:
        return self.proofs[0].refusal()


Proof = KeyProof | TelegramProof | ClientProof | ContactProof | EitherProof


def _own(settings: Settings, session: Session, raw_code: str, proof: Proof) -> Complaint:
    complaint = find_complaint(session, raw_code)
    if complaint is None:
        raise UnknownComplaint()
    if not proof.admits(settings, session, complaint):
        raise proof.refusal()  # the channel logs it, with the client's address
    return complaint


def rate(
    settings: Settings,
    raw_code: str,
    proof: Proof,
    rating: object,
    comment: str | None,
    *,
    now: datetime,
) -> None:
    """The reporter's rating (1–5) of a resolved complaint; it closes the complaint."""

    def work(session: Session) -> None:
        complaint = _own(settings, session, raw_code, proof)
        feedback.rate(session, complaint, rating, comment, now=now, **effects(settings))

    db.run_in_transaction(settings, work)


def reopen(settings: Settings, raw_code: str, proof: Proof, reason: str | None, *, now) -> None:
    """The reporter says the complaint is not resolved: it goes back to its OPD."""

    def work(session: Session) -> None:
        complaint = _own(settings, session, raw_code, proof)
        feedback.reopen(session, complaint, reason, now=now, **effects(settings))

    db.run_in_transaction(settings, work)


def answer_in(
    session: Session,
    settings: Settings,
    raw_code: str,
    proof: Proof,
    text: str | None,
    *,
    reopen_if_resolved: bool,
    now: datetime,
) -> Complaint | None:
    """Inside the caller's transaction (a channel that records more with it): the reporter's
    answer to the OPD's question, or, if the complaint is resolved and `reopen_if_resolved`,
    its reopening with `text` as the reason. None when its state takes neither."""
    complaint = _own(settings, session, raw_code, proof)
    if complaint.status == ComplaintStatus.NEEDS_INFO:
        feedback.provide_info(session, complaint, text, now=now, **effects(settings))
    elif complaint.status == ComplaintStatus.RESOLVED and reopen_if_resolved:
        feedback.reopen(session, complaint, text, now=now, **effects(settings))
    else:
        return None
    return complaint


def provide_info(settings: Settings, raw_code: str, proof: Proof, text: str | None, *, now) -> str:
    """The reporter answers the OPD's question; the clock resumes. The complaint's code."""

    def work(session: Session) -> str:
        complaint = _own(settings, session, raw_code, proof)
        feedback.provide_info(session, complaint, text, now=now, **effects(settings))
        return complaint.tracking_code

    return db.run_in_transaction(settings, work)


def send_new_link(settings: Settings, raw_code: str, email: str | None, *, now: datetime) -> bool:
    """Email a fresh private link when `email` is the one on file (the old key retires).

    Whether anything was sent is for the caller's logs and tests, never for the page: the
    page says the same either way, so it cannot tell anyone whether an address is known.
    """
    wanted = (email or "").strip().lower()
    if not settings.email_enabled:
        return False  # a new key nobody receives would only lock the reporter out

    def work(session: Session) -> bool:
        complaint = find_complaint(session, raw_code)
        reporter = session.get(Reporter, complaint.reporter_id) if complaint else None
        if not wanted or reporter is None or (reporter.email or "").lower() != wanted:
            return False
        workflow.apply(
            session,
            complaint,
            workflow.Action.NEW_KEY,
            actor=workflow.Actor.reporter(),
            now=now,
            **effects(settings),
        )
        return True

    return db.run_in_transaction(settings, work)
