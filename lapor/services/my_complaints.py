"""The reporter's own list, "my complaints" (lapor.domain.my_complaints): sending the link,
opening it, and the list it shows.

The link's token is signed with the installation's secret (itsdangerous, a salt of its own)
and says which reporter row's contact it proves, a fingerprint of that contact and when it
was made. It carries no email address or phone number: URLs end up in logs and histories. A
token stops proving anything when it is older than the setting's hours, or when that row no
longer holds the contact it was made for. Like a private link's key, it travels in the query
string (`/lacak/saya?kunci=…`), which the access log leaves out.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer
from sqlmodel import Session

from lapor.domain.errors import DomainError
from lapor.domain.my_complaints import BY_KIND, Contact, filed_with, link_messages, with_link
from lapor.infra import db
from lapor.infra.settings import Settings
from lapor.infra.translations import translate
from lapor.services.reporter import ContactProof
from lapor.services.views import list_items
from models import Complaint, Notification, Reporter

SALT = "lapor.my-complaints"
LIST_AT_MOST = 100
MAX_TOKEN = 300  # longer than any token made here: refused before any work
SKEW = timedelta(minutes=5)  # another process's clock may run a little ahead


class LinkRefused(DomainError):
    """A link that is not one of ours, or no longer proves its contact."""

    def __init__(self) -> None:
        super().__init__(
            "Tautan ini tidak berlaku. Minta tautan baru di bawah.", code="link_invalid"
        )


class LinkExpired(LinkRefused):
    def __init__(self, hours: int) -> None:
        DomainError.__init__(
            self,
            f"Tautan ini sudah kedaluwarsa (berlaku {hours} jam). Minta tautan baru di bawah.",
            code="link_expired",
            hours=hours,
        )


@dataclass(frozen=True)
class Opened:
    """A link opened: the contact it proves, until when."""

    proof: ContactProof
    until: datetime


def hours(settings: Settings) -> int:
    return settings.my_complaints_hours


def send_link(settings: Settings, raw_contact: object, *, now: datetime) -> int:
    """Queue the messages carrying the link for the contact typed; how many (0 for an unknown
    contact: for the caller's logs and tests, never for the page)."""
    contact = Contact.typed(raw_contact)
    if contact is None:
        return 0

    def work(session: Session) -> int:
        channels = {"email": settings.email_enabled, "telegram": settings.telegram_enabled}
        return len(link_messages(session, contact, now, **channels, translate=translate))

    return db.run_in_transaction(settings, work)


def is_link_message(notification: Notification) -> bool:
    return notification.kind in BY_KIND


def message(settings: Settings, session: Session, notification: Notification, now) -> str:
    """The text of a link message as it goes out, with its link made now (none is stored)."""
    reporter = session.get(Reporter, notification.reporter_id) if notification.reporter_id else None
    contact = reporter and _contact_of(reporter, BY_KIND[notification.kind])
    url = contact and link_url(settings, token_for(settings, reporter.id, contact, now))
    complaint = session.get(Complaint, notification.complaint_id)  # its language
    return with_link(notification.body, url, hours(settings), complaint.language, translate)


def link_url(settings: Settings, token: str) -> str:
    return f"{settings.public_url.rstrip('/')}/lacak/saya?kunci={token}"


def token_for(settings: Settings, reporter_id: int, contact: Contact, now: datetime) -> str:
    """A link's token: the reporter row whose contact it proves, made at `now`."""
    issued = int(now.timestamp())
    return _signer(settings).dumps(
        [reporter_id, contact.by, _fingerprint(settings, contact), issued]
    )


def open_link(settings: Settings, session: Session, token: str, *, now: datetime) -> Opened:
    """The contact a link proves, or LinkRefused / LinkExpired."""
    if len(token) > MAX_TOKEN:
        raise LinkRefused()
    try:
        reporter_id, by, fingerprint, issued = _signer(settings).loads(token)
        made = datetime.fromtimestamp(int(issued), UTC)
    except (BadSignature, TypeError, ValueError, OverflowError) as error:
        raise LinkRefused() from error
    until = made + timedelta(hours=hours(settings))
    if made > now + SKEW:
        raise LinkRefused()
    if now >= until:
        raise LinkExpired(hours(settings))
    reporter = session.get(Reporter, reporter_id) if isinstance(reporter_id, int) else None
    contact = reporter and _contact_of(reporter, str(by))
    if not contact or not hmac.compare_digest(_fingerprint(settings, contact), str(fingerprint)):
        raise LinkRefused()
    return Opened(ContactProof(contact), until)


def complaints(session: Session, proof: ContactProof, limit: int = LIST_AT_MOST) -> list[dict]:
    """The complaints filed with the proven contact, newest first, as the list shows them."""
    found = filed_with(session, proof.contact, limit)
    return list_items(session, found)


def _contact_of(reporter: Reporter, by: str) -> Contact | None:
    value = {"email": reporter.email, "phone": reporter.phone}.get(by)
    return Contact(by, value) if value else None


def _signer(settings: Settings) -> URLSafeSerializer:
    return URLSafeSerializer(settings.secret_key, salt=SALT)


def _fingerprint(settings: Settings, contact: Contact) -> str:
    """Ties a token to the contact its row held when it was made, without writing it out."""
    message = f"my-complaints:{contact.by}:{contact.value}".encode()
    return hmac.new(settings.secret_key.encode(), message, hashlib.sha256).hexdigest()[:20]
