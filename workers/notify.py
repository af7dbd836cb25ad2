"""Delivering notifications: one job per message, retried by RQ with growing pauses."""

from __future__ import annotations

import logging

from rq import get_current_job

from lapor import db, delivery
from lapor.domain import reporter_key, tracking
from lapor.settings import Settings
from lapor.timefmt import utcnow
from models import Complaint, Notification
from models import NotificationStatus as N

log = logging.getLogger(__name__)
PRIVATE_LINK_INTRO = (
    "Tautan pribadi Anda untuk melihat, menjawab, menilai atau membuka kembali pengaduan ini "
    "(jangan dibagikan: siapa pun yang memegangnya dapat bertindak atas nama Anda):"
)


def deliver(notification_id: int) -> str:
    """Send one notification; safe to run twice (a sent one is not sent again). A failure is
    written on the row and raised, so RQ retries; after the last retry the row says failed."""
    settings = Settings.from_env()
    with db.session_scope(settings) as session:
        notification = session.get(Notification, notification_id)
        if notification is None or notification.status == N.SENT:
            return "nothing to do"
        channel, address = notification.channel, notification.address
        subject, body = notification.subject, _body(settings, session, notification)
        markup = _telegram_buttons(session, notification)
    try:
        _send(settings, channel, address, subject, body, markup)
    except delivery.DeliveryError as error:
        _record_failure(settings, notification_id, str(error))
        raise
    with db.session_scope(settings) as session:
        notification = session.get(Notification, notification_id)
        notification.status = N.SENT
        notification.attempts += 1
        notification.sent_at = utcnow()
        notification.last_error = None
    return "sent"


def _body(settings: Settings, session, notification: Notification) -> str:
    """The stored text, and for an email to the reporter their private link, made now from the
    complaint's current key so that no credential is ever stored with the message."""
    if notification.channel != "email" or notification.reporter_id is None:
        return notification.body
    complaint = session.get(Complaint, notification.complaint_id)
    link_key = reporter_key.link_key(complaint.reporter_key_hash, settings.secret_key)
    url = reporter_key.follow_up_url(settings.public_url, complaint.tracking_code, link_key)
    return f"{notification.body}\n\n{PRIVATE_LINK_INTRO}\n{url}"


def _telegram_buttons(session, notification: Notification) -> dict | None:
    """A resolved complaint's message to its reporter asks for a rating, or to reopen."""
    if notification.channel != "telegram" or notification.kind != "resolve":
        return None
    if notification.reporter_id is None:
        return None
    complaint = session.get(Complaint, notification.complaint_id)
    code = tracking.display(complaint.tracking_code)
    stars = [{"text": str(n), "callback_data": f"rate:{code}:{n}"} for n in range(1, 6)]
    again = [{"text": "Belum selesai", "callback_data": f"reopen:{code}"}]
    return {"inline_keyboard": [stars, again]}


def _send(
    settings: Settings,
    channel: str,
    address: str | None,
    subject: str,
    body: str,
    markup: dict | None = None,
):
    if not address:
        raise delivery.DeliveryError("alamat tujuan kosong")
    if channel == "telegram":
        delivery.send_telegram(settings, address, body, markup)
    elif channel == "email":
        delivery.send_email(settings, address, subject, body)
    else:
        raise delivery.DeliveryError(f"kanal tidak dikenal: {channel}")


def _record_failure(settings: Settings, notification_id: int, error: str) -> None:
    job = get_current_job()
    final = job is None or not job.retries_left
    with db.session_scope(settings) as session:
        notification = session.get(Notification, notification_id)
        notification.attempts += 1
        notification.last_error = error[:2000]
        notification.status = N.FAILED if final else N.RETRYING
    log.warning("notification %s: %s (%s)", notification_id, error, "final" if final else "retry")
