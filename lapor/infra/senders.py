"""Sending a message out: Telegram's Bot API (at the configured address) and SMTP email."""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage

import httpx

from lapor.infra.settings import Settings

TIMEOUT = 20  # seconds; a slow server fails the attempt, RQ retries it later
# httpx logs every request's URL at INFO, and a Bot API URL holds the bot's token.
logging.getLogger("httpx").setLevel(logging.WARNING)


class DeliveryError(RuntimeError):
    """The channel refused or could not take the message."""


def send_telegram(
    settings: Settings, chat_id: str, text: str, reply_markup: dict | None = None
) -> None:
    """sendMessage to a chat through the Bot API the settings point at."""
    if not settings.telegram_bot_token:
        raise DeliveryError("TELEGRAM_BOT_TOKEN tidak diatur")
    url = f"{settings.telegram_api_url}{settings.telegram_bot_token}/sendMessage"
    try:
        payload = {"chat_id": chat_id, "text": text}
        if reply_markup is not None:
            payload["reply_markup"] = reply_markup
        response = httpx.post(url, json=payload, timeout=TIMEOUT)
        answer = response.json()
    except (httpx.HTTPError, ValueError) as error:
        raise DeliveryError(f"Telegram: {error.__class__.__name__}: {error}") from error
    if not answer.get("ok"):
        raise DeliveryError(f"Telegram: {answer.get('description', response.status_code)}")


def send_email(
    settings: Settings, to: str, subject: str, body: str, notification_id: int | None = None
) -> None:
    """One plain-text email through the configured SMTP server."""
    if not settings.smtp_host:
        raise DeliveryError("LAPOR_SMTP_HOST tidak diatur")
    # The EHLO name: the sender's domain. Left to smtplib it is socket.getfqdn(), a reverse
    # DNS lookup that took a second per message where DNS is slow.
    helo = settings.smtp_from.rpartition("@")[2] or "localhost"
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = to
    message["Subject"] = subject
    if notification_id is not None:
        # One Message-ID per notification row: if a worker dies after the server took the
        # message but before the row says so, the second attempt is the same message, which
        # mail servers and clients show once.
        message["Message-ID"] = f"<notification-{notification_id}.lapor@{helo}>"
    message.set_content(body)
    try:
        if settings.smtp_security == "ssl":
            client = smtplib.SMTP_SSL(
                settings.smtp_host,
                settings.smtp_port,
                local_hostname=helo,
                timeout=TIMEOUT,
                context=ssl.create_default_context(),
            )
        else:
            client = smtplib.SMTP(
                settings.smtp_host, settings.smtp_port, local_hostname=helo, timeout=TIMEOUT
            )
        with client:
            if settings.smtp_security == "starttls":
                client.starttls(context=ssl.create_default_context())
            if settings.smtp_user:
                client.login(settings.smtp_user, settings.smtp_password or "")
            client.send_message(message)
    except (smtplib.SMTPException, OSError) as error:
        raise DeliveryError(f"SMTP: {error.__class__.__name__}: {error}") from error
