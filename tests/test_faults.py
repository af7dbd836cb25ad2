"""Faults on the real services: Redis stopped under the web app, a PostgreSQL connection
dropped in the middle of a transaction."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlmodel import Session, select

from lapor import accounts, create_app, db, outbox, sla
from lapor.embedded_redis import EmbeddedRedis
from lapor.timefmt import utcnow
from models import Complaint, ComplaintEvent, Outbox, Role

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
        assert outbox.backlog(session) == 1  # the receipt email waits for Redis

    server = EmbeddedRedis(tmp_path / "redis").start()
    try:
        later = utcnow() + outbox.GRACE
        sla.sweep(local, later)
        with Session(db.engine_for(local.database_url)) as session:
            assert outbox.backlog(session) == 0
            assert session.exec(select(Outbox)).one().relayed_at is not None
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
