"""The reporter's own list, "my complaints": a reporter who lost their code or private link
asks, with the email or phone number they filed with, for one link that lists every complaint
filed with it.

The link is the proof, so it goes only where that contact already leads: to the email address
typed, or for a phone number (there is no SMS gateway) to the email addresses and Telegram
chats on file of the reporters with that number. Nobody else learns whether a contact is
known: the page says the same either way. The messages are notification rows (the outbox);
the link itself is made when a message is sent, so no credential is ever stored with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from lapor.domain.intake import stored_contact
from lapor.domain.language import N_, Translate, as_written
from models import Complaint, Notification, Reporter
from models import NotificationStatus as N

# The message's kind says which contact its link proves (the row's address may be another).
KINDS = {"email": "my_complaints_email", "phone": "my_complaints_phone"}
BY_KIND = {kind: by for by, kind in KINDS.items()}
AT_MOST = 500  # complaints looked at when choosing where to send; the list has its own limit

# The texts, in the language of the reporter's newest complaint (the English catalog).
SUBJECT = N_("Daftar pengaduan Anda di Lapor")
BODY = N_(
    "Seseorang meminta, lewat halaman Lapor, daftar pengaduan yang dibuat dengan {contact}. "
    "Tautan di bawah membuka daftar itu: dari sana Anda dapat melihat tiap pengaduan, menjawab "
    "pertanyaan OPD, memberi nilai, atau membuka kembali pengaduan. Bila Anda tidak memintanya, "
    "abaikan pesan ini: tanpa tautan ini tidak ada yang dapat melihat daftar Anda."
)
BY_EMAIL = N_("alamat email ini")
BY_PHONE = N_("nomor telepon {phone}")
LINK = N_("Tautan Anda (berlaku {hours} jam; jangan dibagikan):")
NO_LINK = N_("Tautan tidak dapat dibuat: kontak ini tidak lagi tercatat pada pengaduan Anda.")


@dataclass(frozen=True)
class Contact:
    """An email address or phone number as intake stores it: `by` is "email" or "phone"."""

    by: str
    value: str

    @classmethod
    def typed(cls, raw: object) -> Contact | None:
        """The contact a person typed, or None when it is neither an email nor a phone."""
        found = stored_contact(raw)
        return cls(*found) if found else None

    def of(self, reporter: Reporter) -> bool:
        """Whether this is the reporter's email or phone number on file."""
        held = reporter.email if self.by == "email" else reporter.phone
        return bool(self.value) and held == self.value

    def column(self):
        return Reporter.email if self.by == "email" else Reporter.phone


def filed_with(session: Session, contact: Contact, limit: int = AT_MOST) -> list[Complaint]:
    """The complaints whose reporter has this contact on file, newest first."""
    query = (
        select(Complaint)
        .join(Reporter, Reporter.id == Complaint.reporter_id)
        .where(contact.column() == contact.value)
        .order_by(Complaint.received_at.desc(), Complaint.id.desc())
        .limit(limit)
    )
    return list(session.exec(query))


def link_messages(
    session: Session,
    contact: Contact,
    now: datetime,
    *,
    email: bool,
    telegram: bool,
    translate: Translate = as_written,
) -> list[Notification]:
    """The messages carrying the link (none for an unknown contact), added to the session;
    `email` and `telegram` say which channels this installation has."""
    newest: dict[int, Complaint] = {}
    for complaint in filed_with(session, contact):
        newest.setdefault(complaint.reporter_id, complaint)
    reporters = session.exec(select(Reporter).where(Reporter.id.in_(list(newest)))).all()
    # One message per address, on the row of the newest complaint that leads there.
    order = sorted(reporters, key=lambda r: newest[r.id].received_at, reverse=True)
    targets: dict[tuple[str, str], Reporter] = {}
    for reporter in order:
        if email and reporter.email and (contact.by == "phone" or reporter.email == contact.value):
            targets.setdefault(("email", reporter.email), reporter)
        if telegram and contact.by == "phone" and reporter.telegram_chat_id:
            targets.setdefault(("telegram", str(reporter.telegram_chat_id)), reporter)
    rows = [
        _row(newest[reporter.id], reporter, channel, address, contact, now, translate)
        for (channel, address), reporter in targets.items()
    ]
    session.add_all(rows)
    return rows


def _row(
    complaint: Complaint,
    reporter: Reporter,
    channel: str,
    address: str,
    contact: Contact,
    now: datetime,
    translate: Translate,
) -> Notification:
    """One message, in the language of the complaint it is written on."""

    def words(text: str) -> str:
        return translate(text, complaint.language)

    by = words(BY_EMAIL) if contact.by == "email" else words(BY_PHONE).format(phone=contact.value)
    return Notification(
        complaint_id=complaint.id,
        kind=KINDS[contact.by],
        reporter_id=reporter.id,
        channel=channel,
        address=address,
        subject=words(SUBJECT),
        body=words(BODY).format(contact=by),
        status=N.PENDING,
        created_at=now,
        next_attempt_at=now,
    )


def with_link(
    body: str, url: str | None, hours: int, language: str, translate: Translate = as_written
) -> str:
    """The message as sent: its text and the link made for it now, in `language`."""
    if url is None:
        return f"{body}\n\n{translate(NO_LINK, language)}"
    return f"{body}\n\n{translate(LINK, language).format(hours=hours)}\n{url}"
