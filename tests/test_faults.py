"""Faults on the real services: Redis stopped under the web app, a PostgreSQL connection
dropped in the middle of a transaction."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlmodel import Session, select

from lapor import create_app
from lapor.domain import delivery
from lapor.domain.timefmt import utcnow
from lapor.infra import db, jobs
from lapor.infra.embedded_redis import EmbeddedRedis
from lapor.services import accounts, deliveries
from lapor.services import sweep as sla
from models import Complaint, ComplaintEvent, Notification, NotificationStatus, Role

BODY = {
    "text": "Jalan berlubang di depan SDN 2 Menteng, sudah tiga bulan",
    "contact": {"name": "Rina", "email": "rina@example.id"},
}


def test_the_web_app_takes_complaints_and_sign_ins_while_redis_is_down(settings, tmp_path):
    server = EmbeddedRedis(tmp_path / "redis").start()
    local = settings.with_overrides({"redis_url": server.url, "smtp_host": "127.0.0.1"})
    with Session(db.engine_for(local.database_url)) as session:
        accounts.create_user(
            session, username="admin", password="kata-sandi-panjang", role=Role.ADMIN, now=utcnow()
        )
        session.commit()
    app = create_app(local)
    app.config.update(TESTING=True, WTF_CSRF_ENABLED=False)
    client = app.test_client()
    server.stop()

    filed = client.post("/api/v1/complaints", json=BODY)
    assert filed.status_code == 201, filed.get_json()
    code = filed.get_json()["tracking_code"]
    assert client.get(f"/lacak/{code}").status_code == 200
    signed_in = client.post("/masuk", data={"username": "admin", "password": "kata-sandi-panjang"})
    assert signed_in.status_code == 303
    page = client.get("/admin/antrean").get_data(as_text=True)
    assert "Redis tidak dapat dihubungi" in page  # the operators see the outage
    with Session(db.engine_for(local.database_url)) as session:
        assert deliveries.backlog(session) == 1  # the receipt email waits for Redis

    server = EmbeddedRedis(tmp_path / "redis").start()
    try:
        later = utcnow() + delivery.GRACE
        sla.sweep(local, later)
        with Session(db.engine_for(local.database_url)) as session:
            row = session.exec(select(Notification)).one()
        assert row.status == NotificationStatus.PENDING  # no worker here: queued, not sent
        assert row.id in jobs.deliveries_waiting(local, [row.id])
    finally:
        server.stop()


def test_a_dropped_database_connection_fails_cleanly_and_the_next_request_works(settings, backend):
    """Every attempt of the intake transaction loses its connection after the first INSERT:
    the client gets a 503 with a message, and nothing of the complaint is stored. Then the
    pool reconnects and the same request succeeds."""
    if backend.is_sqlite:
        pytest.skip("a PostgreSQL connection is what can be dropped")
    app = create_app(settings)
    client = app.test_client()
    engine = db.engine_for(settings.database_url)
    admin = sa.create_engine(settings.database_url, isolation_level="AUTOCOMMIT")

    def drop_connection(conn, cursor, statement, params, context, executemany):
        if statement.startswith("INSERT INTO complaint_event"):
            pid = conn.connection.dbapi_connection.info.backend_pid
            with admin.connect() as killer:
                killer.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})

    event.listen(engine, "before_cursor_execute", drop_connection)
    try:
        response = client.post("/api/v1/complaints", json=BODY)
    finally:
        event.remove(engine, "before_cursor_execute", drop_connection)
        admin.dispose()
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "unavailable"
    with Session(engine) as session:
        assert session.exec(select(Complaint)).all() == []
        assert session.exec(select(ComplaintEvent)).all() == []

    again = client.post("/api/v1/complaints", json=BODY)
    assert again.status_code == 201


@pytest.mark.slow
def test_a_worker_killed_mid_job_has_its_job_retried_and_done_once(settings, monkeypatch):
    """A delivery hangs on an SMTP server that never greets; the worker is killed with
    SIGKILL mid-job; once the attempt's lease has passed the sweep enqueues it again; a
    healthy worker sends the email once."""
    import os
    import signal
    import socket
    import subprocess
    import sys
    import time
    from pathlib import Path

    from rq import Queue
    from rq.job import Job

    from lapor.domain.intake import Submission
    from lapor.infra import broker, jobs
    from lapor.services.filing import file_complaint
    from models import Notification, NotificationStatus

    from fakes import FakeSmtp
    from support import export_settings, work

    mute = socket.socket()  # accepts connections, never says a word
    mute.bind(("127.0.0.1", 0))
    mute.listen(5)
    hanging = settings.with_overrides(
        {"smtp_host": "127.0.0.1", "smtp_port": mute.getsockname()[1], "smtp_security": "none"}
    )
    export_settings(monkeypatch, hanging)
    rq = Path(sys.executable).parent / "rq"
    worker = subprocess.Popen(
        [str(rq), "worker", "--url", broker.redis_url(hanging), jobs.HIGH],
        env=dict(os.environ),
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    smtp = FakeSmtp().start()
    try:
        submission = Submission(text="Jalan rusak di depan pasar", email="warga@example.id")
        file_complaint(hanging, submission, now=utcnow())
        connection = broker.connect(hanging)
        queue = Queue(jobs.HIGH, connection=connection)
        with Session(db.engine_for(settings.database_url)) as session:
            [email] = session.exec(select(Notification).where(Notification.channel == "email"))
        job_id = jobs.delivery_job_id(email.id)
        deadline = time.monotonic() + 30

        def sending() -> bool:
            with Session(db.engine_for(settings.database_url)) as session:
                row = session.get(Notification, email.id)
                return row.status == NotificationStatus.SENDING

        # Killed mid-send: the job runs and its attempt holds the row (SMTP never answers).
        while Job.fetch(job_id, connection=connection).get_status() != "started" or not sending():
            assert time.monotonic() < deadline, "the worker never started the attempt"
            time.sleep(0.1)
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)

        # What RQ's maintenance does once the dead worker's heartbeat has expired.
        queue.started_job_registry.cleanup(time.time() + 600)
        healthy = hanging.with_overrides({"smtp_port": smtp.port})
        export_settings(monkeypatch, healthy)
        sla.sweep(healthy, utcnow())  # the attempt still holds the row: nothing enqueued
        work(healthy)
        assert smtp.messages == []
        with Session(db.engine_for(settings.database_url)) as session:
            held = session.get(Notification, email.id)
            assert held.status == NotificationStatus.SENDING and held.attempts == 1
            held.next_attempt_at -= delivery.LEASE  # as if the lease's five minutes had passed
            session.commit()
        sla.sweep(healthy, utcnow())
        work(healthy)
        with Session(db.engine_for(settings.database_url)) as session:
            [row] = session.exec(select(Notification).where(Notification.channel == "email"))
            assert row.status == NotificationStatus.SENT
        assert [m["X-Rcpt-To"] for m in smtp.messages] == ["warga@example.id"]
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
        smtp.stop()
        mute.close()


def test_a_pooled_connection_idle_for_a_while_is_checked_before_use(settings, backend, monkeypatch):
    """The server dropped the connection the pool held (a restart, an idle timeout): the next
    request's checkout pings it, finds it dead, and takes a fresh one — no 503."""
    if backend.is_sqlite:
        pytest.skip("a PostgreSQL connection is what can be dropped")
    client = create_app(settings).test_client()
    engine = db.engine_for(settings.database_url)
    engine.dispose()  # the pool holds just the connection this test kills
    pids: set[int] = set()

    def remember(dbapi_connection, _record, _proxy):
        pids.add(dbapi_connection.info.backend_pid)

    event.listen(engine, "checkout", remember)
    try:
        assert client.get("/api/v1/agencies").status_code == 200  # leaves a connection pooled
    finally:
        event.remove(engine, "checkout", remember)
    admin = sa.create_engine(settings.database_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as killer:
            for pid in pids:  # only the app's own: other tests' pools stay intact
                killer.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        admin.dispose()
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.0)  # as if it idled for a while
    try:
        response = client.get("/api/v1/agencies")
        assert response.status_code == 200, response.get_data(as_text=True)
    finally:
        # The pool hands connections out in turn: another one may have taken the request
        # while the dead one waits; the next test must not meet it within the trust window.
        engine.dispose()
