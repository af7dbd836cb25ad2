"""Only the reporter acts as the reporter: the secret reporter key, not the public tracking
code, lets someone rate, reopen or answer a complaint, on the web pages and in the JSON API."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from alembic import command
from sqlmodel import Session, SQLModel, select

from lapor import create_app
from lapor.domain import reporter_key, tracking, workflow
from lapor.infra import db
from models import ActorKind, Complaint, ComplaintStatus, Feedback, Notification

from support import act_on, domain_effects, export_settings, work

EFFECTS = domain_effects()

STAFF = workflow.Actor(ActorKind.STAFF)
NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
TEXT = "Jalan berlubang besar di depan SDN 4 Palangka, sudah tiga bulan"


def csrf(client) -> str:
    """A CSRF token of this browser's session (any page with a form has one)."""
    page = client.get("/lacak/kunci").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def file_on_web(client, **fields) -> tuple[str, str]:
    """File through the form as a citizen's browser does: (tracking code, private link)."""
    page = client.get("/lapor").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    form_token = re.search(r'name="form_token" value="([^"]*)"', page).group(1)
    data = {"csrf_token": token, "form_token": form_token, "text": TEXT, **fields}
    response = client.post("/lapor", data=data)
    assert response.status_code == 303
    receipt = client.get(response.headers["Location"]).get_data(as_text=True)
    link = re.search(r'id="private-link" href="([^"]+)"', receipt).group(1)
    parts = urlsplit(link.replace("&amp;", "&"))
    code = tracking.normalize(parts.path.rsplit("/", 1)[1])
    # The path and query: the test client is not at the public address the link names.
    return code, f"{parts.path}?{parts.query}"


def key_of(link: str) -> str:
    return parse_qs(urlsplit(link).query)["kunci"][0]


def file_by_api(client, **body) -> dict:
    response = client.post("/api/v1/complaints", json={"text": TEXT, **body})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def resolve(settings, code: str, when: datetime | None = None) -> None:
    now = when or datetime.now(UTC)
    act_on(settings, code, workflow.Action.VERIFY, actor=STAFF, now=now, agency_code="PUPR")
    act_on(settings, code, workflow.Action.RESPOND, actor=STAFF, now=now, note="Sudah ditambal")
    act_on(settings, code, workflow.Action.RESOLVE, actor=STAFF, now=now, note="Selesai diperbaiki")


def ask(settings, code: str) -> None:
    now = datetime.now(UTC)
    act_on(settings, code, workflow.Action.VERIFY, actor=STAFF, now=now, agency_code="PUPR")
    act_on(settings, code, workflow.Action.REQUEST_INFO, actor=STAFF, now=now, note="Di mana?")


def stored(settings, code: str) -> Complaint:
    with Session(db.engine_for(settings.database_url)) as session:
        return session.exec(select(Complaint).where(Complaint.tracking_code == code)).one()


def feedback_count(settings) -> int:
    with Session(db.engine_for(settings.database_url)) as session:
        return len(session.exec(select(Feedback)).all())


# --- the web pages -------------------------------------------------------------------------


def test_a_stranger_with_the_public_code_cannot_rate_reopen_or_answer(app, settings):
    reporter = app.test_client()
    code, _ = file_on_web(reporter)
    resolve(settings, code)
    stranger = app.test_client()
    page = stranger.get(f"/lacak/{code}").get_data(as_text=True)
    assert "Sudah ditambal" in page  # the public view, with the OPD's answers
    assert 'name="rating"' not in page and 'name="reason"' not in page
    token = csrf(stranger)
    for path, data in (
        ("nilai", {"rating": "1"}),
        ("buka-kembali", {"reason": "Belum diperbaiki sama sekali"}),
    ):
        response = stranger.post(f"/lacak/{code}/{path}", data={"csrf_token": token, **data})
        assert response.status_code == 403
        assert "Hanya pelapor" in response.get_data(as_text=True)
    assert stored(settings, code).status == ComplaintStatus.RESOLVED
    assert feedback_count(settings) == 0
    # The reporter's own browser still can.
    token = csrf(reporter)
    done = reporter.post(f"/lacak/{code}/nilai", data={"csrf_token": token, "rating": "4"})
    assert done.status_code == 303
    assert stored(settings, code).status == ComplaintStatus.CLOSED


def test_a_stranger_cannot_answer_the_opds_question(app, settings):
    reporter = app.test_client()
    code, _ = file_on_web(reporter)
    ask(settings, code)
    stranger = app.test_client()
    assert 'name="info"' not in stranger.get(f"/lacak/{code}").get_data(as_text=True)
    token = csrf(stranger)
    response = stranger.post(
        f"/lacak/{code}/keterangan", data={"csrf_token": token, "info": "Di depan rumah saya"}
    )
    assert response.status_code == 403
    assert stored(settings, code).status == ComplaintStatus.NEEDS_INFO
    token = csrf(reporter)
    ok = reporter.post(
        f"/lacak/{code}/keterangan", data={"csrf_token": token, "info": "Depan SDN 4 persis"}
    )
    assert ok.status_code == 303 and stored(settings, code).status == ComplaintStatus.ROUTED


def test_the_private_link_opens_the_reporters_view_in_another_browser(app, settings):
    code, link = file_on_web(app.test_client())
    resolve(settings, code)
    phone = app.test_client()
    opened = phone.get(link)
    assert opened.status_code == 303
    assert "kunci" not in opened.headers["Location"]  # out of the address bar and history
    page = phone.get(opened.headers["Location"]).get_data(as_text=True)
    assert 'name="rating"' in page and 'id="rating-closes"' in page
    assert "menutup pengaduan" in page  # the page says what a rating does
    token = csrf(phone)
    short = phone.post(f"/lacak/{code}/buka-kembali", data={"csrf_token": token, "reason": "x"})
    assert short.status_code == 422 and "minimal 10" in short.get_data(as_text=True)
    reopened = phone.post(
        f"/lacak/{code}/buka-kembali",
        data={"csrf_token": token, "reason": "Lubangnya muncul lagi setelah hujan"},
    )
    assert reopened.status_code == 303
    assert stored(settings, code).status == ComplaintStatus.REOPENED


def test_a_wrong_key_is_refused_logged_without_it_and_rate_limited(app, settings, caplog):
    code, link = file_on_web(app.test_client())
    wrong = reporter_key.new_key()[0]
    guesser = app.test_client()
    caplog.set_level(logging.WARNING)
    refused = guesser.get(f"/lacak/{code}?kunci={wrong}")
    assert refused.status_code == 403
    assert "tidak berlaku" in refused.get_data(as_text=True)
    assert 'name="rating"' not in refused.get_data(as_text=True)
    assert code in caplog.text and wrong not in caplog.text and key_of(link) not in caplog.text
    statuses = [guesser.get(f"/lacak/{code}?kunci={wrong}{i}").status_code for i in range(12)]
    assert statuses[:9] == [403] * 9 and statuses[-1] == 429  # 10 a minute per address
    # Past the limit even the right key waits: the limit is checked before any key is.
    assert guesser.get(link).status_code == 429
    assert guesser.get(f"/lacak/{code}").status_code == 200  # the public view is not limited
    # Another address still gets in with the real key.
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "10.9.8.7"
    assert other.get(link).status_code == 303


def test_refusals_are_also_limited_per_complaint_across_addresses(app, settings):
    code, link = file_on_web(app.test_client())
    statuses = []
    for i in range(22):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"10.0.0.{i + 1}"
        statuses.append(client.get(f"/lacak/{code}?kunci=guess{i}").status_code)
    assert statuses[:20] == [403] * 20 and statuses[20:] == [429, 429]
    second, _ = file_on_web(app.test_client(), text="Lampu jalan padam di Jalan Tjilik Riwut")
    fresh = app.test_client()
    fresh.environ_base["REMOTE_ADDR"] = "10.0.1.1"
    assert fresh.get(f"/lacak/{second}?kunci=guess").status_code == 403  # its own count


def test_a_confidential_complaint_shows_its_content_to_its_reporter_only(app, settings):
    reporter = app.test_client()
    code, link = file_on_web(reporter, confidential="1")
    own = reporter.get(f"/lacak/{code}").get_data(as_text=True)
    assert "Jalan berlubang besar" in own
    public = app.test_client().get(f"/lacak/{code}").get_data(as_text=True)
    assert "Jalan berlubang besar" not in public and 'id="withheld"' in public
    api = app.test_client().get(f"/api/v1/complaints/{code}").get_json()
    assert api["withheld"] and api["text"] is None and api["title"] is None
    with_key = app.test_client().get(
        f"/api/v1/complaints/{code}", headers={"X-Reporter-Key": key_of(link)}
    )
    assert with_key.status_code == 200 and with_key.get_json()["text"].startswith("Jalan")


# --- the JSON API --------------------------------------------------------------------------


def test_the_api_reporter_commands_need_the_key(client, settings):
    receipt = file_by_api(client)
    code, key = receipt["tracking_code"], receipt["reporter_key"]
    assert receipt["follow_up_url"].endswith(f"/lacak/{code[:5]}-{code[5:]}?kunci={key}")
    resolve(settings, code)
    path = f"/api/v1/complaints/{code}"
    for headers in ({}, {"X-Reporter-Key": "bukan-kunci"}, {"X-Reporter-Key": "é" * 30}):
        response = client.post(f"{path}/feedback", json={"rating": 1}, headers=headers)
        assert response.status_code == 403
        assert response.get_json()["error"]["code"] == "reporter_key_invalid"
        assert "X-Reporter-Key" in response.get_json()["error"]["message"]
    english = client.post(
        f"{path}/reopen", json={"reason": "x"}, headers={"Accept-Language": "en"}
    ).get_json()
    assert english["error"]["message"].startswith("Only the reporter")
    assert stored(settings, code).status == ComplaintStatus.RESOLVED
    mine = {"X-Reporter-Key": key}
    bad = client.post(f"{path}/feedback", json={"rating": 9}, headers=mine)
    assert bad.status_code == 422 and "rating" in bad.get_json()["error"]["fields"]
    assert client.post(f"{path}/feedback", data="x", headers=mine).status_code == 400
    short = client.post(f"{path}/reopen", json={"reason": "belum"}, headers=mine)
    assert short.status_code == 422 and "reason" in short.get_json()["error"]["fields"]
    rated = client.post(f"{path}/feedback", json={"rating": 5, "comment": "Cepat"}, headers=mine)
    assert rated.status_code == 200 and rated.get_json()["status"] == "closed"
    again = client.post(f"{path}/feedback", json={"rating": 5}, headers=mine)
    assert again.status_code == 422 and again.get_json()["error"]["code"] == "not_resolved"
    unknown = client.post("/api/v1/complaints/ABCDE-FGHJK/feedback", json={}, headers=mine)
    assert unknown.status_code == 404


def test_the_api_reporter_answers_and_reopens_with_the_key(client, settings):
    receipt = file_by_api(client)
    code, mine = receipt["tracking_code"], {"X-Reporter-Key": receipt["reporter_key"]}
    ask(settings, code)
    path = f"/api/v1/complaints/{code}"
    assert client.post(f"{path}/info", json={"text": "Depan SDN 4"}).status_code == 403
    wrong_type = client.post(f"{path}/info", json={"text": 12}, headers=mine)
    assert wrong_type.status_code == 422
    answered = client.post(f"{path}/info", json={"text": "Depan SDN 4 persis"}, headers=mine)
    assert answered.status_code == 200 and answered.get_json()["status"] == "routed"
    now = datetime.now(UTC)
    act_on(settings, code, workflow.Action.RESPOND, actor=STAFF, now=now, note="Ditambal")
    act_on(settings, code, workflow.Action.RESOLVE, actor=STAFF, now=now, note="Selesai")
    reopened = client.post(f"{path}/reopen", json={"reason": "Lubangnya muncul lagi"}, headers=mine)
    assert reopened.status_code == 200 and reopened.get_json()["status"] == "reopened"


def test_an_idempotent_retry_gets_the_same_key_back(client, settings):
    def post():
        headers = {"Idempotency-Key": "5f0c9a7e-0d7b-4c55-9a57-2f4f0b1e6c11"}
        return client.post("/api/v1/complaints", json={"text": TEXT}, headers=headers)

    first = post().get_json()
    again = post()
    assert again.status_code == 200
    assert again.get_json()["reporter_key"] == first["reporter_key"]
    assert again.get_json()["follow_up_url"] == first["follow_up_url"]
    path = f"/api/v1/complaints/{first['tracking_code']}"
    assert client.get(path, headers={"X-Reporter-Key": first["reporter_key"]}).status_code == 200
    # Once a new key was issued (by email), a retry cannot bring the old one back.
    with Session(db.engine_for(settings.database_url)) as session:
        complaint = session.exec(select(Complaint)).one()
        workflow.apply(
            session,
            complaint,
            workflow.Action.NEW_KEY,
            actor=workflow.Actor.reporter(),
            now=NOW,
            **EFFECTS,
        )
        session.commit()
    late = post().get_json()
    assert late["reporter_key"] is None and late["follow_up_url"] is None
    assert client.get(path, headers={"X-Reporter-Key": first["reporter_key"]}).status_code == 403


def test_api_key_refusals_are_rate_limited(app, settings):
    client = app.test_client()
    code = file_by_api(client)["tracking_code"]
    statuses = [
        client.get(f"/api/v1/complaints/{code}", headers={"X-Reporter-Key": f"k{i}"}).status_code
        for i in range(11)
    ]
    assert statuses[:10] == [403] * 10 and statuses[10] == 429
    limited = client.post(
        f"/api/v1/complaints/{code}/feedback", json={"rating": 1}, headers={"X-Reporter-Key": "x"}
    )
    assert limited.status_code == 429 and limited.get_json()["error"]["code"] == "rate_limited"
    assert client.get(f"/api/v1/complaints/{code}").status_code == 200  # no key: not limited


# --- the key is nowhere but with the reporter ----------------------------------------------


def test_the_key_appears_in_no_list_page_export_log_notice_or_table(app, settings, caplog):
    from lapor.services import accounts

    caplog.set_level(logging.DEBUG)
    citizen = app.test_client()
    code, link = file_on_web(citizen, email="warga@example.id", name="Warga")
    key = key_of(link)
    api_receipt = file_by_api(app.test_client(), contact={"email": "dua@example.id"})
    keys = [key, api_receipt["reporter_key"]]
    resolve(settings, code)
    resolve(settings, api_receipt["tracking_code"])
    with Session(db.engine_for(settings.database_url)) as session:
        accounts.create_user(
            session,
            username="admin",
            password="kata-sandi-admin-1",
            role="admin",
            now=datetime.now(UTC),
        )
        token = accounts.create_token(session, "admin", now=datetime.now(UTC))
        session.commit()
    staff = app.test_client()
    login = staff.get("/masuk").get_data(as_text=True)
    csrf_token = re.search(r'name="csrf_token" value="([^"]+)"', login).group(1)
    staff.post(
        "/masuk",
        data={"csrf_token": csrf_token, "username": "admin", "password": "kata-sandi-admin-1"},
    )
    bearer = {"Authorization": f"Bearer {token}"}
    pages = [
        app.test_client().get("/pengaduan"),
        app.test_client().get("/api/v1/complaints"),
        app.test_client().get(f"/lacak/{code}"),
        staff.get("/petugas/"),
        staff.get(f"/petugas/pengaduan/{code}"),
        staff.get("/petugas/?format=csv"),
        staff.get("/petugas/dasbor?format=csv"),
        staff.get("/petugas/dasbor?format=csv&daftar=eskalasi"),
        app.test_client().get("/api/v1/staff/complaints", headers=bearer),
        app.test_client().get(f"/api/v1/staff/complaints/{code}", headers=bearer),
    ]
    assert [page.status_code for page in pages] == [200] * len(pages)
    shown = "\n".join(page.get_data(as_text=True) for page in pages)
    assert code in shown or tracking.display(code) in shown
    tables = _every_stored_value(settings)
    for secret in keys:
        assert secret not in shown
        assert secret not in caplog.text
        assert secret not in tables
        assert reporter_key.key_hash(secret) not in shown


def _every_stored_value(settings) -> str:
    """Every row of every table, as text: where a plain key would show if it were stored."""
    values = []
    with db.engine_for(settings.database_url).connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            values += [repr(tuple(row)) for row in connection.execute(sa.select(table))]
    return "\n".join(values)


# --- a new private link by email -----------------------------------------------------------


@pytest.fixture
def emailing(settings, smtp, monkeypatch):
    wired = settings.with_overrides(
        {"smtp_host": "127.0.0.1", "smtp_port": smtp.port, "smtp_security": "none"}
    )
    export_settings(monkeypatch, wired)
    return wired


def test_a_new_link_by_email_retires_the_old_key_and_says_nothing_of_a_match(emailing, smtp):
    app = create_app(emailing)
    reporter = app.test_client()
    code, link = file_on_web(reporter, email="siti@example.id")
    resolve(emailing, code)
    work(emailing)
    receipts = smtp.messages
    assert receipts and all("?kunci=" in m.get_content() for m in receipts)
    # Every email to the reporter carries a private link that opens the reporter's view.
    emailed = re.search(r"(http\S+\?kunci=\S+)", receipts[-1].get_content()).group(1)
    path = emailed.split("5000", 1)[1]
    assert app.test_client().get(path).status_code == 303

    def ask_for(email: str) -> str:
        asker = app.test_client()
        token = csrf(asker)
        answer = asker.post(
            "/lacak/kunci", data={"csrf_token": token, "kode": code.lower(), "email": email}
        )
        assert answer.status_code == 200
        return re.sub(r'value="[^"]*"', "", answer.get_data(as_text=True))

    before = len(smtp.messages)
    no_match = ask_for("orang-lain@example.id")
    work(emailing)
    assert len(smtp.messages) == before  # nothing sent
    assert app.test_client().get(link).status_code == 303  # and the key still works
    match = ask_for("Siti@Example.ID")
    assert match == no_match  # the page is the same either way
    work(emailing)
    [new_mail] = smtp.messages[before:]
    assert new_mail["To"] == "siti@example.id" and "Tautan pribadi baru" in new_mail["Subject"]
    fresh = re.search(r"(http\S+\?kunci=\S+)", new_mail.get_content()).group(1)
    assert app.test_client().get(fresh.split("5000", 1)[1]).status_code == 303
    assert app.test_client().get(link).status_code == 403  # the old key stopped working
    assert app.test_client().get(path).status_code == 403  # so did the old emailed link
    with Session(db.engine_for(emailing.database_url)) as session:
        agency_notices = session.exec(
            select(Notification).where(Notification.agency_id.is_not(None))
        ).all()
    assert agency_notices and not any("kunci" in n.body for n in agency_notices)


def test_a_new_link_form_refuses_a_bad_code_and_needs_email_delivery(app, settings):
    client = app.test_client()
    code, link = file_on_web(client, email="siti@example.id")
    token = csrf(client)
    bad = client.post("/lacak/kunci", data={"csrf_token": token, "kode": "x", "email": "a"})
    assert bad.status_code == 422 and "10 huruf/angka" in bad.get_data(as_text=True)
    # Without an SMTP server nothing can be sent: the key is left as it is.
    sent = client.post(
        "/lacak/kunci", data={"csrf_token": token, "kode": code, "email": "siti@example.id"}
    )
    assert sent.status_code == 200 and 'id="no-email"' in sent.get_data(as_text=True)
    assert app.test_client().get(link).status_code == 303


# --- stored complaints ----------------------------------------------------------------------


def test_the_migration_gives_every_stored_complaint_a_key(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    config = db.alembic_config(url)
    command.upgrade(config, "0004")
    engine = db.engine_for(url)
    with engine.begin() as connection:
        for code in ("AAAAABBBBB", "CCCCCDDDDD"):
            connection.execute(
                sa.text(
                    "INSERT INTO complaint (tracking_code, title, text, anonymous, confidential,"
                    " channel, status, escalation_level, row_version, received_at, updated_at,"
                    " reopen_count) VALUES (:code, '', 'Lama', 0, 0, 'web', 'received', 0, 1,"
                    " '2026-01-05 01:00:00', '2026-01-05 01:00:00', 0)"
                ),
                {"code": code},
            )
    command.upgrade(config, "head")
    with engine.connect() as connection:
        hashes = connection.execute(sa.text("SELECT reporter_key_hash FROM complaint")).scalars()
        hashes = list(hashes)
    assert len(hashes) == 2 and len(set(hashes)) == 2
    assert all(re.fullmatch(r"[0-9a-f]{64}", h) for h in hashes)
    columns = {c["name"]: c for c in sa.inspect(engine).get_columns("complaint")}
    assert columns["reporter_key_hash"]["nullable"] is False
    with Session(engine) as session:  # and the old rows read as complaints with their key
        old = session.exec(select(Complaint).where(Complaint.tracking_code == "AAAAABBBBB")).one()
    assert old.status == ComplaintStatus.RECEIVED and old.reporter_key_hash in hashes


def test_reporter_key_rules():
    key, stored_hash = reporter_key.new_key()
    assert len(key) >= 22 and stored_hash == reporter_key.key_hash(key) != key
    link = reporter_key.link_key(stored_hash, "rahasia")
    assert reporter_key.matches(key, stored_hash, "rahasia")
    assert reporter_key.matches(link, stored_hash, "rahasia")
    assert not reporter_key.matches(link, stored_hash, "rahasia-lain")
    assert not reporter_key.matches(stored_hash, stored_hash, "rahasia")  # the hash is no key
    for wrong in (None, "", key + "x", "é" * 27, "k" * 5000):
        assert not reporter_key.matches(wrong, stored_hash, "rahasia")
    assert reporter_key.new_key()[0] != key


def test_a_late_reopen_is_refused_whatever_the_reason(app, settings):
    reporter = app.test_client()
    code, _ = file_on_web(reporter)
    resolve(settings, code, when=datetime.now(UTC) - timedelta(days=30))
    token = csrf(reporter)
    late = reporter.post(
        f"/lacak/{code}/buka-kembali",
        data={"csrf_token": token, "reason": "Masih rusak parah sampai sekarang"},
    )
    assert late.status_code == 422 and "sudah lewat" in late.get_data(as_text=True)


def test_reopening_what_is_not_resolved_says_so_whatever_the_reason(app, settings):
    """Found by tests/test_fuzz.py: a short reason on a complaint that cannot be reopened was
    a 422 whose message sat in the reopen form, which that page does not show."""
    reporter = app.test_client()
    code, _ = file_on_web(reporter)
    for reason in ("", "Masih rusak parah sampai sekarang"):
        refused = reporter.post(
            f"/lacak/{code}/buka-kembali", data={"csrf_token": csrf(reporter), "reason": reason}
        )
        assert refused.status_code == 422
        alert = re.search(r'class="alert" role="alert">([^<]+)<', refused.text)
        assert alert and "tidak dapat dilakukan" in alert.group(1), refused.text
    assert stored(settings, code).status == ComplaintStatus.RECEIVED
