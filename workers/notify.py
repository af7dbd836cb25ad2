"""Delivering notifications: one job per attempt, as the notification row asks for."""

from __future__ import annotations

from lapor.domain import reporter_key, tracking
from lapor.domain.notices import PRIVATE_LINK_INTRO
from lapor.domain.timefmt import utcnow
from lapor.infra import db
from lapor.infra import senders as delivery
from lapor.infra.settings import Settings
from lapor.infra.translations import translate
from lapor.services import deliveries, my_complaints
from models import Complaint, Notification


def deliver(notification_id: int) -> str:
    """One attempt at sending a notification, if its row says one is due; safe to run twice
    (a sent row, or one another attempt holds, is left alone). The outcome goes on the row,
    which also says when to try again: the job itself never fails for RQ to retry."""
    settings = Settings.from_env()
    if not deliveries.claim(settings, notification_id, utcnow()):
        return "nothing to do"
    with db.session_scope(settings) as session:
        notification = session.get(Notification, notification_id)
        channel, address = notification.channel, notification.address
        subject, body = notification.subject, _body(settings, session, notification)
        markup = _telegram_buttons(session, notification)
    try:
        _send(settings, notification_id, channel, address, subject, body, markup)
    except delivery.DeliveryError as error:
        deliveries.finish(settings, notification_id, utcnow(), str(error))
        return "failed"
    deliveries.finish(settings, notification_id, utcnow(), None)
    return "sent"


def _body(settings: Settings, session, notification: Notification) -> str:
    """The stored text, and for an email to the reporter their private link, made now from the
    complaint's current key so that no credential is ever stored with the message. A "my
    complaints" message gets its own link instead (lapor.services.my_complaints), made now too."""
    if my_complaints.is_link_message(notification):
        return my_complaints.message(settings, session, notification, utcnow())
    if notification.channel != "email" or notification.reporter_id is None:
        return notification.body
    complaint = session.get(Complaint, notification.complaint_id)
    link_key = reporter_key.link_key(complaint.reporter_key_hash, settings.secret_key)
    url = reporter_key.follow_up_url(settings.public_url, complaint.tracking_code, link_key)
    intro = translate(PRIVATE_LINK_INTRO, complaint.language)  # the reporter's language
    return f"{notification.body}\n\n{intro}\n{url}"


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
    notification_id: int,
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
        delivery.send_email(settings, address, subject, body, notification_id)
    else:
        raise delivery.DeliveryError(f"kanal tidak dikenal: {channel}")
