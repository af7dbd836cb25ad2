"""Notifications through real RQ workers to a real SMTP server and a local Bot API server;
retries and their record; and a Redis outage that loses nothing."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from lapor.domain import delivery
from lapor.domain.intake import Submission
from lapor.domain.timefmt import utcnow
from lapor.infra import db, jobs
from lapor.infra.embedded_redis import EmbeddedRedis
from lapor.infra.settings import Settings
from lapor.services import deliveries
from lapor.services import sweep as sla
from lapor.services.filing import file_complaint
from models import Agency, Channel, Complaint, Notification, NotificationStatus

from fakes import FakeSmtp, FakeTelegram
from support import export_settings, route_to, with_channels, work

WIB = ZoneInfo("Asia/Jakarta")
MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=WIB)
CHAT_DISHUB = -100200300
CHAT_REPORTER = 777001


@pytest.fixture
def wired(settings: Settings, telegram: FakeTelegram, smtp: FakeSmtp, monkeypatch) -> Settings:
    """Settings with Telegram and email on, and the same in the environment the jobs read."""
    wired = with_channels(settings, telegram, smtp, monkeypatch, smtp_from="lapor@kalteng.go.id")
    with Session(db.engine_for(wired.database_url)) as session:
        dishub = session.exec(select(Agency).where(Agency.code == "DISHUB")).one()
        dishub.email, dishub.telegram_chat_id = "dishub@kalteng.go.id", CHAT_DISHUB
        setda = session.exec(select(Agency).where(Agency.code == "SETDA")).one()
        setda.email = "setda@kalteng.go.id"
        session.commit()
    return wired


def file(settings: Settings, **fields) -> str:
    text = "Lampu lalu lintas di simpang Jl. Yos Sudarso mati sejak kemarin"
    submission = Submission(text=text, **fields)
    return file_complaint(settings, submission, now=MONDAY).complaint.tracking_code


def route(settings: Settings, code: str, agency_code: str = "DISHUB") -> None:
    route_to(settings, code, agency_code, MONDAY)


def notifications(settings: Settings) -> list[Notification]:
    with Session(db.engine_for(settings.database_url)) as session:
        return list(session.exec(select(Notification).order_by(Notification.id)).all())


def test_the_opd_and_the_reporter_hear_of_a_complaint_by_email_and_telegram(wired, telegram, smtp):
    code = file(wired, name="Siti Rahmawati", email="siti@example.id", anonymous=True)
    route(wired, code)
    work(wired)

    rows = notifications(wired)
    assert {(n.channel, n.status) for n in rows} == {
        ("inapp", NotificationStatus.SENT),
        ("email", NotificationStatus.SENT),
        ("telegram", NotificationStatus.SENT),
    }
    to = sorted(message["X-Rcpt-To"] for message in smtp.messages)
    assert to == ["dishub@kalteng.go.id", "siti@example.id", "siti@example.id"]
    receipt, routed = [m for m in smtp.messages if m["X-Rcpt-To"] == "siti@example.id"]
    assert "Diterima" in receipt["Subject"] and "Diteruskan ke OPD" in routed["Subject"]
    assert f"/lacak/{code[:5]}-{code[5:]}" in receipt.get_content()
    # Each email's Message-ID is its row's: a second attempt after a kill is the same message.
    email_ids = {n.id for n in rows if n.channel == "email"}
    assert {m["Message-ID"] for m in smtp.messages} == {
        f"<notification-{i}.lapor@{wired.smtp_from.rpartition('@')[2]}>" for i in email_ids
    }
    [chat] = telegram.sent()
    assert chat["chat_id"] == str(CHAT_DISHUB)
    assert "Pengaduan baru untuk Dishub" in chat["text"]
    # The anonymous reporter is nowhere in what the OPD reads.
    opd_email = next(m for m in smtp.messages if m["X-Rcpt-To"] == "dishub@kalteng.go.id")
    for text in (chat["text"], opd_email.get_content(), *(n.body for n in rows if n.agency_id)):
        assert "Siti" not in text and "siti@example.id" not in text


def test_escalations_reach_each_level_by_its_channels(wired, smtp):
    code = file(wired)
    route(wired, code)
    work(wired)
    smtp.messages.clear()
    sla.sweep(wired, datetime(2026, 12, 3, 9, tzinfo=WIB))  # levels 1 and 2 are due
    work(wired)
    to = sorted(message["X-Rcpt-To"] for message in smtp.messages)
    assert to == ["dishub@kalteng.go.id", "setda@kalteng.go.id"]
    setda = next(m for m in smtp.messages if m["X-Rcpt-To"] == "setda@kalteng.go.id")
    assert setda["Subject"] == "Eskalasi tingkat 2: pengaduan melewati batas waktu"
    inapp = [(n.kind, n.agency_id) for n in notifications(wired) if n.channel == "inapp"]
    assert [kind for kind, _ in inapp] == ["route", "escalate", "escalate", "escalate"]


def test_a_reporter_from_telegram_hears_back_in_telegram(wired, telegram):
    submission = dict(telegram_user_id=555, telegram_chat_id=CHAT_REPORTER, name="Budi")
    code = file(wired, channel=Channel.TELEGRAM, **submission)
    work(wired)
    assert telegram.sent() == []  # the bot answers the submission itself, in the chat
    route(wired, code)
    work(wired)
    to_reporter = [m for m in telegram.sent() if m["chat_id"] == str(CHAT_REPORTER)]
    assert len(to_reporter) == 1
    assert "Diteruskan ke OPD" in to_reporter[0]["text"]


def retry_due(settings: Settings, rounds: int) -> None:
    """What the cron's sweep does for deliveries every minute, `rounds` times, with a worker."""
    for _ in range(rounds):
        deliveries.enqueue_due(settings, utcnow())
        work(settings)


def test_a_failed_attempt_waits_longer_each_time_then_gives_up():
    row = Notification(status=NotificationStatus.SENDING, attempts=1)
    pauses = []
    while row.status != NotificationStatus.FAILED:
        delivery.failed(row, "SMTP: timeout", MONDAY)
        pauses.append(row.next_attempt_at and row.next_attempt_at - MONDAY)
        row.attempts += 1
    assert pauses == [*delivery.RETRY_INTERVALS, None]
    assert pauses[0] == timedelta(seconds=10) and sum(pauses[:-1], timedelta()) > timedelta(hours=8)
    delivery.delivered(row, MONDAY)
    assert (row.status, row.last_error, row.next_attempt_at) == ("sent", None, None)


def test_a_failed_delivery_is_retried_and_recorded(wired, telegram, monkeypatch):
    monkeypatch.setattr(delivery, "RETRY_INTERVALS", (timedelta(0),))
    telegram.failures_left = 1
    code = file(wired)
    route(wired, code)
    work(wired)
    [row] = [n for n in notifications(wired) if n.channel == "telegram"]
    assert row.status == NotificationStatus.RETRYING and row.attempts == 1
    assert "Bad Gateway" in row.last_error
    retry_due(wired, rounds=1)
    [row] = [n for n in notifications(wired) if n.channel == "telegram"]
    assert row.status == NotificationStatus.SENT
    assert row.attempts == 2
    assert len(telegram.sent()) == 2


def test_a_delivery_that_keeps_failing_is_marked_failed_with_its_error(
    wired, telegram, monkeypatch
):
    monkeypatch.setattr(delivery, "RETRY_INTERVALS", (timedelta(0), timedelta(0)))
    telegram.failures_left = 99
    code = file(wired)
    route(wired, code)
    work(wired)
    retry_due(wired, rounds=3)  # the third round finds nothing left to try
    [row] = [n for n in notifications(wired) if n.channel == "telegram"]
    assert row.status == NotificationStatus.FAILED
    assert row.attempts == 3
    assert "Bad Gateway" in row.last_error
    with Session(db.engine_for(wired.database_url)) as session:
        # The state change it reported on stands.
        complaint = session.exec(select(Complaint).where(Complaint.tracking_code == code)).one()
        assert complaint.status == "routed"


def test_running_a_delivery_twice_sends_once(wired, smtp):
    from workers import notify

    file(wired, email="warga@example.id")
    work(wired)
    [row] = [n for n in notifications(wired) if n.channel == "email"]
    assert notify.deliver(row.id) == "nothing to do"
    assert len(smtp.messages) == 1


def test_a_redis_outage_loses_nothing(wired, smtp, tmp_path, monkeypatch):
    server = EmbeddedRedis(tmp_path / "redis").start()
    local = wired.with_overrides({"redis_url": server.url})
    export_settings(monkeypatch, local)
    server.stop()

    code = file(local, email="warga@example.id")  # commits although Redis is down
    with Session(db.engine_for(local.database_url)) as session:
        assert session.exec(select(Complaint).where(Complaint.tracking_code == code)).one()
        assert deliveries.backlog(session) == 1
    [row] = [n for n in notifications(local) if n.channel == "email"]
    assert row.status == NotificationStatus.PENDING

    server = EmbeddedRedis(tmp_path / "redis").start()
    try:
        later = MONDAY + timedelta(minutes=2)
        sla.sweep(local, later)  # the cron's sweep enqueues what the outage left behind
        work(local)
    finally:
        server.stop()
    with Session(db.engine_for(local.database_url)) as session:
        assert deliveries.backlog(session) == 0
    [row] = [n for n in notifications(local) if n.channel == "email"]
    assert row.status == NotificationStatus.SENT
    assert [m["X-Rcpt-To"] for m in smtp.messages] == ["warga@example.id"]


def test_a_delivery_enqueued_twice_is_delivered_once(wired, smtp):
    file(wired, email="warga@example.id")
    [row] = [n for n in notifications(wired) if n.channel == "email"]
    jobs.enqueue_delivery(wired, row.id)  # a second job for the same row, as a repeat would
    deliveries.enqueue_due(wired, MONDAY + timedelta(minutes=5))  # already queued: no third
    work(wired)
    assert len(smtp.messages) == 1
    [row] = [n for n in notifications(wired) if n.channel == "email"]
    assert row.status == NotificationStatus.SENT and row.attempts == 1


def test_two_attempts_at_once_cannot_both_send(wired, smtp):
    file(wired, email="warga@example.id")
    [row] = [n for n in notifications(wired) if n.channel == "email"]
    now = utcnow()
    assert deliveries.claim(wired, row.id, now) is True
    assert deliveries.claim(wired, row.id, now) is False  # the first attempt holds it
    assert deliveries.claim(wired, row.id, now + delivery.LEASE) is True  # its worker died


def test_secrets_stay_out_of_the_logs(wired, telegram, caplog, client, monkeypatch):
    """The bot token (in every Bot API URL), passwords and API tokens are never logged."""
    import logging

    from lapor.services import accounts

    caplog.set_level(logging.DEBUG)
    code = file(wired, channel=Channel.TELEGRAM, telegram_user_id=5, telegram_chat_id=5)
    route(wired, code)
    work(wired)
    assert telegram.sent()  # something went through the Bot API
    with Session(db.engine_for(wired.database_url)) as session:
        accounts.create_user(
            session, username="admin", password="rahasia-sekali-123", role="admin", now=MONDAY
        )
        token = accounts.create_token(session, "admin", now=MONDAY)
        session.commit()
    client.post("/masuk", data={"username": "admin", "password": "rahasia-sekali-123"})
    client.get("/api/v1/staff/complaints", headers={"Authorization": f"Bearer {token}"})
    logged = caplog.text
    for secret in (telegram.token, "rahasia-sekali-123", token, wired.secret_key):
        assert secret not in logged
