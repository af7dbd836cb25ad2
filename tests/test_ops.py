"""Staff sign-in and the operators' queue page (behind the admin role)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from rq import Queue, SimpleWorker
from sqlmodel import Session

from lapor.infra import broker, db, jobs
from lapor.services import accounts
from models import Role

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
PASSWORD = "kata-sandi-panjang"


@pytest.fixture
def staff(settings):
    with Session(db.engine_for(settings.database_url)) as session:
        accounts.create_user(session, username="admin", password=PASSWORD, role=Role.ADMIN, now=NOW)
        accounts.create_user(
            session,
            username="petugas",
            password=PASSWORD,
            role=Role.OFFICER,
            agency_code="DISHUB",
            now=NOW,
        )
        session.commit()


@pytest.fixture
def app(settings):
    from lapor import create_app

    app = create_app(settings)
    app.config.update(TESTING=True, WTF_CSRF_ENABLED=False)
    return app


def sign_in(client, username: str, password: str = PASSWORD, next_url: str | None = None):
    url = "/masuk" + (f"?next={next_url}" if next_url else "")
    return client.post(url, data={"username": username, "password": password})


def test_the_queue_page_asks_a_stranger_to_sign_in(client, staff):
    response = client.get("/admin/antrean")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/masuk?next=")


def test_an_officer_may_not_see_the_queues(client, staff):
    assert sign_in(client, "petugas").status_code == 303
    response = client.get("/admin/antrean")
    assert response.status_code == 403
    assert "tidak berwenang" in response.get_data(as_text=True)


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(client, staff):
    for username, password in (("admin", "salah-sekali-123"), ("tidakada", PASSWORD)):
        response = sign_in(client, username, password)
        assert response.status_code == 401
        assert "Nama pengguna atau kata sandi salah." in response.get_data(as_text=True)
    assert client.get("/admin/antrean").status_code == 302


def test_sign_in_returns_only_to_a_page_of_this_site(client, staff):
    response = sign_in(client, "admin", next_url="https://evil.example/")
    assert response.headers["Location"] == "/petugas/"
    client.post("/keluar")
    response = sign_in(client, "admin", next_url="/admin/antrean")
    assert response.headers["Location"] == "/admin/antrean"


def test_the_admin_sees_queues_workers_and_failed_jobs_and_can_rerun_one(client, staff, settings):
    connection = broker.connect(settings)
    queue = Queue(jobs.LOW, connection=connection)
    job = queue.enqueue("builtins.int", "bukan angka")
    SimpleWorker([queue], connection=connection).work(burst=True)
    assert job.id in queue.failed_job_registry.get_job_ids()

    sign_in(client, "admin")
    page = client.get("/admin/antrean")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    for name in jobs.QUEUES:
        assert name in text
    assert "ValueError" in text
    assert 'id="delivery-backlog">0<' in text

    response = client.post(f"/admin/antrean/{jobs.LOW}/{job.id}/ulangi")
    assert response.status_code == 303
    assert job.id not in queue.failed_job_registry.get_job_ids()
    assert job.id in queue.get_job_ids()
    assert client.post(f"/admin/antrean/{jobs.LOW}/tidak-ada/ulangi").status_code == 404
    assert client.post("/admin/antrean/antrean-lain/x/ulangi").status_code == 404


def test_the_admin_can_start_a_sweep(client, staff, settings):
    sign_in(client, "admin")
    assert client.post("/admin/antrean/sapu").status_code == 303
    queued = Queue(jobs.HIGH, connection=broker.connect(settings)).jobs
    assert [job.func_name for job in queued] == ["workers.sla.sweep"]


def test_signing_out_ends_the_session(client, staff):
    sign_in(client, "admin")
    assert client.get("/admin/antrean").status_code == 200
    client.post("/keluar")
    assert client.get("/admin/antrean").status_code == 302


def test_the_admin_manages_staff_accounts(client, staff, settings):
    import re

    sign_in(client, "admin")
    page = client.get("/admin/pengguna")
    assert page.status_code == 200 and "petugas" in page.get_data(as_text=True)
    made = client.post(
        "/admin/pengguna",
        data={"username": "budi", "full_name": "Budi", "role": "officer", "agency": "PUPR"},
    )
    text = made.get_data(as_text=True)
    password = re.search(r"<code>([^<]+)</code>", text).group(1)
    other = client.application.test_client()
    assert sign_in(other, "budi", password).status_code == 303
    assert other.get("/petugas/").status_code == 200

    refused = client.post("/admin/pengguna", data={"username": "x", "role": "officer"})
    assert refused.status_code == 422 and "Nama pengguna" in refused.get_data(as_text=True)
    no_agency = client.post("/admin/pengguna", data={"username": "siti", "role": "officer"})
    assert no_agency.status_code == 422 and "OPD" in no_agency.get_data(as_text=True)

    from sqlmodel import select

    from models import User

    with Session(db.engine_for(settings.database_url)) as session:
        budi = session.exec(select(User).where(User.username == "budi")).one()
        admin = session.exec(select(User).where(User.username == "admin")).one()
    assert client.post(f"/admin/pengguna/{budi.id}/nonaktifkan").status_code == 303
    assert other.get("/petugas/").status_code == 302  # signed out: the account is off
    assert sign_in(other, "budi", password).status_code == 401
    reset = client.post(f"/admin/pengguna/{budi.id}/sandi-baru").get_data(as_text=True)
    assert re.search(r"<code>([^<]+)</code>", reset).group(1) != password
    assert client.post(f"/admin/pengguna/{admin.id}/nonaktifkan").status_code == 422
    assert client.post("/admin/pengguna/99999/aktifkan").status_code == 404
    officer = client.application.test_client()
    sign_in(officer, "petugas")
    assert officer.get("/admin/pengguna").status_code == 403
