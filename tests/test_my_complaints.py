""" "My complaints" (/lacak/saya): the email or phone filed with brings one link, read here from
the email (or Telegram message) actually delivered, that lists every complaint filed with it
and lets its reporter act on each; nothing says whether a contact is known."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from lapor import create_app
from lapor.domain import tracking, workflow
from lapor.domain.intake import Submission
from lapor.domain.my_complaints import SUBJECT, Contact
from lapor.infra import db
from lapor.services import my_complaints
from lapor.services.filing import file_complaint
from models import ActorKind, Channel, Complaint, ComplaintStatus, Notification, Reporter

from support import act_on, export_settings, with_channels, work

STAFF = workflow.Actor(ActorKind.STAFF)
TEXT = "Jalan berlubang besar di depan SDN 4 Palangka, sudah tiga bulan"
LINK = re.compile(r"https?://\S+(/lacak/saya\?kunci=[A-Za-z0-9_.\-]+)")


@pytest.fixture
def emailing(settings, smtp, monkeypatch):
    wired = settings.with_overrides(
        {"smtp_host": "127.0.0.1", "smtp_port": smtp.port, "smtp_security": "none"}
    )
    export_settings(monkeypatch, wired)
    return wired


@pytest.fixture
def app(emailing):
    app = create_app(emailing)
    app.config.update(TESTING=True)
    return app


def file(client, text: str = TEXT, **contact) -> str:
    """File by the JSON API with this contact; the tracking code."""
    response = client.post("/api/v1/complaints", json={"text": text, "contact": contact})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["tracking_code"]


def csrf(client, path: str = "/lacak/saya") -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def ask_for_link(client, contact: str):
    """Post the form; buffered, so the work done once the page has gone out is done too."""
    data = {"csrf_token": csrf(client), "kontak": contact}
    return client.post("/lacak/saya", data=data, buffered=True)


def link_mails(smtp) -> list:
    return [m for m in smtp.messages if m["Subject"] == SUBJECT]


def path_in(text: str) -> str:
    """The link's path (the test client is not at the public address the link names)."""
    return LINK.search(text).group(1)


def ask(settings, code: str) -> None:
    now = datetime.now(UTC)
    act_on(settings, code, workflow.Action.VERIFY, actor=STAFF, now=now, agency_code="PUPR")
    act_on(settings, code, workflow.Action.REQUEST_INFO, actor=STAFF, now=now, note="Di mana?")


def resolve(settings, code: str) -> None:
    now = datetime.now(UTC)
    act_on(settings, code, workflow.Action.VERIFY, actor=STAFF, now=now, agency_code="PUPR")
    act_on(settings, code, workflow.Action.RESPOND, actor=STAFF, now=now, note="Ditambal besok")
    act_on(settings, code, workflow.Action.RESOLVE, actor=STAFF, now=now, note="Sudah ditambal")


def status_of(settings, code: str) -> ComplaintStatus:
    with Session(db.engine_for(settings.database_url)) as session:
        return session.exec(select(Complaint).where(Complaint.tracking_code == code)).one().status


def listed(page: str) -> set[str]:
    return set(re.findall(r'data-code="([A-Z0-9]+)"', page))


def opened(app, path: str):
    """A new browser that opened the link: (its client, the list page)."""
    browser = app.test_client()
    response = browser.get(path)
    assert response.status_code == 303
    assert response.headers["Location"] == "/lacak/saya/daftar"  # the token leaves the bar
    return browser, browser.get("/lacak/saya/daftar").get_data(as_text=True)


def test_the_emailed_link_lists_ones_own_complaints_and_lets_one_act(app, emailing, smtp):
    client = app.test_client()
    answered = file(client, email="siti@example.id")
    rated = file(client, text="Lampu jalan padam di Jalan Tjilik Riwut", email="Siti@Example.ID")
    someone_else = file(client, text="Sampah menumpuk di pasar besar", email="budi@example.id")
    ask(emailing, answered)
    resolve(emailing, rated)
    work(emailing)
    assert not link_mails(smtp)

    response = ask_for_link(app.test_client(), "  SITI@example.id ")
    assert response.status_code == 200
    assert "Jika alamat itu pernah dipakai, kami telah mengirim tautannya" in response.text
    work(emailing)
    [mail] = link_mails(smtp)
    assert mail["To"] == "siti@example.id"
    body = mail.get_content()
    assert "berlaku 24 jam" in body
    assert not re.search(r"/lacak/[A-Z0-9]{5}-[A-Z0-9]{5}", body)  # no complaint's own link
    path = path_in(body)
    assert "siti" not in path.lower()  # the token carries no address

    phone, page = opened(app, path)
    assert listed(page) == {answered, rated}
    assert tracking.display(answered) in page and "Lampu jalan padam" in page
    assert "OPD menunggu keterangan Anda" in page and "beri nilai" in page
    # Each complaint opens as its reporter's own view, without its private link.
    own = phone.get(f"/lacak/{answered}").get_data(as_text=True)
    assert 'name="info"' in own and 'id="public-view"' not in own and "?kunci=" not in own
    token = csrf(phone)
    done = phone.post(
        f"/lacak/{answered}/keterangan", data={"csrf_token": token, "info": "Depan SDN 4 persis"}
    )
    assert done.status_code == 303 and status_of(emailing, answered) == ComplaintStatus.ROUTED
    rating = phone.post(f"/lacak/{rated}/nilai", data={"csrf_token": token, "rating": "5"})
    assert rating.status_code == 303 and status_of(emailing, rated) == ComplaintStatus.CLOSED
    # The proven address admits its own complaints only.
    other = phone.get(f"/lacak/{someone_else}").get_data(as_text=True)
    assert 'id="public-view"' in other
    refused = phone.post(f"/lacak/{someone_else}/nilai", data={"csrf_token": token, "rating": "1"})
    assert refused.status_code == 403
    # No credential is stored with the message: its link was made when it went out.
    with Session(db.engine_for(emailing.database_url)) as session:
        rows = session.exec(select(Notification).where(Notification.subject == SUBJECT)).all()
    assert [r.address for r in rows] == ["siti@example.id"]
    assert "kunci=" not in rows[0].body


def test_an_unknown_address_gets_the_same_page_and_nothing_is_sent(app, emailing, smtp):
    file(app.test_client(), email="siti@example.id")

    def answer(contact: str) -> str:
        response = ask_for_link(app.test_client(), contact)
        assert response.status_code == 200
        return re.sub(r'value="[^"]*"', "", response.text)

    unknown = answer("orang-lain@example.id")
    work(emailing)
    assert not link_mails(smtp)
    assert answer("siti@example.id") == unknown
    work(emailing)
    assert [m["To"] for m in link_mails(smtp)] == ["siti@example.id"]
    # Nor does an unknown phone number.
    assert answer("0899 1111 2222") == unknown
    work(emailing)
    assert len(link_mails(smtp)) == 1


def test_a_contact_that_is_neither_email_nor_phone_is_refused(app, emailing):
    response = ask_for_link(app.test_client(), "siti di rumah")
    assert response.status_code == 422
    assert 'id="kontak-error"' in response.text and "nomor telepon" in response.text
    assert 'value="siti di rumah"' in response.text


def test_an_expired_or_tampered_link_is_refused_and_shows_no_list(app, emailing, smtp):
    code = file(app.test_client(), email="siti@example.id")
    with Session(db.engine_for(emailing.database_url)) as session:
        reporter = session.exec(select(Reporter)).one()
    siti = Contact("email", "siti@example.id")
    old = my_complaints.token_for(
        emailing, reporter.id, siti, datetime.now(UTC) - timedelta(hours=25)
    )
    expired = app.test_client().get(f"/lacak/saya?kunci={old}")
    assert expired.status_code == 410
    assert "sudah kedaluwarsa (berlaku 24 jam)" in expired.text
    assert 'id="my-complaints"' not in expired.text and code not in expired.text

    ask_for_link(app.test_client(), "siti@example.id")
    work(emailing)
    good = path_in(link_mails(smtp)[0].get_content())
    token = good.split("kunci=", 1)[1]
    tampered = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    for bad in (tampered, "x", "a" * 400, token.replace(".", "", 1)):
        refused = app.test_client().get(f"/lacak/saya?kunci={bad}")
        assert refused.status_code == 403, bad
        assert "Tautan ini tidak berlaku" in refused.text and code not in refused.text
    # A token made for another address than the row holds (e.g. a Telegram reporter's row
    # whose email changed since) proves nothing.
    stale = my_complaints.token_for(
        emailing, reporter.id, Contact("email", "lama@example.id"), datetime.now(UTC)
    )
    assert app.test_client().get(f"/lacak/saya?kunci={stale}").status_code == 403
    # Without an opened link the list is not shown either.
    stranger = app.test_client().get("/lacak/saya/daftar")
    assert stranger.status_code == 403 and "Minta tautan baru" in stranger.text
    assert app.test_client().get(good).status_code == 303  # the real one still opens


def test_closing_the_list_ends_the_proof_in_this_browser(app, emailing, smtp):
    code = file(app.test_client(), email="siti@example.id")
    ask_for_link(app.test_client(), "siti@example.id")
    work(emailing)
    browser, page = opened(app, path_in(link_mails(smtp)[0].get_content()))
    assert listed(page) == {code}
    closed = browser.post("/lacak/saya/keluar", data={"csrf_token": csrf(browser)})
    assert closed.status_code == 303
    assert browser.get("/lacak/saya/daftar").status_code == 403
    assert 'id="public-view"' in browser.get(f"/lacak/{code}").get_data(as_text=True)


def test_a_phone_number_sends_the_link_to_the_email_and_telegram_on_file(
    settings, smtp, telegram, monkeypatch
):
    wired = with_channels(settings, telegram, smtp, monkeypatch)
    app = create_app(wired)
    client = app.test_client()
    by_web = file(client, phone="0812-3456-7890", email="siti@example.id")
    phone_only = file(client, text="Lampu jalan padam di Jalan Tjilik Riwut", phone="081234567890")
    other = file(client, text="Sampah menumpuk di pasar besar", phone="0813 0000 1111")
    bot = file_complaint(
        wired,
        Submission(
            text="Air PDAM tidak mengalir tiga hari di Jalan Rajawali",
            channel=Channel.TELEGRAM,
            phone="+6281234567890",
            telegram_user_id=4242,
            telegram_chat_id=4242,
        ),
        now=datetime.now(UTC),
    ).complaint.tracking_code
    work(wired)
    chats_before = len(telegram.texts(4242))

    assert ask_for_link(app.test_client(), "0812 3456 7890").status_code == 200
    work(wired)
    [mail] = link_mails(smtp)
    assert mail["To"] == "siti@example.id" and "+6281234567890" in mail.get_content()
    [message] = telegram.texts(4242)[chats_before:]
    for text in (mail.get_content(), message):
        _, page = opened(app, path_in(text))
        assert listed(page) == {by_web, phone_only, bot}
        assert other not in page
    # An email address typed finds only what was filed with that address.
    ask_for_link(app.test_client(), "siti@example.id")
    work(wired)
    _, page = opened(app, path_in(link_mails(smtp)[-1].get_content()))
    assert listed(page) == {by_web}


def test_asking_is_rate_limited_per_address_and_per_contact(app, emailing):
    statuses = []
    for i in range(4):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"10.0.2.{i + 1}"
        statuses.append(ask_for_link(client, "Siti@example.id").status_code)
    assert statuses == [200, 200, 200, 429]  # 3 an hour per contact, however typed
    same = app.test_client()
    same.environ_base["REMOTE_ADDR"] = "10.0.3.1"
    per_address = [ask_for_link(same, f"warga{i}@example.id").status_code for i in range(6)]
    assert per_address == [200] * 5 + [429]  # 5 a minute per address


def test_without_email_the_page_says_links_cannot_be_sent(settings):
    app = create_app(settings)
    client = app.test_client()
    file(client, email="siti@example.id")
    response = ask_for_link(client, "siti@example.id")
    assert response.status_code == 200 and 'id="no-email"' in response.text
    assert 'id="sent"' not in response.text
    with Session(db.engine_for(settings.database_url)) as session:
        assert not session.exec(select(Notification).where(Notification.subject == SUBJECT)).all()


def test_english_pages_and_an_english_email_for_who_filed_in_english(app, emailing, smtp):
    client = app.test_client()
    response = client.post(
        "/api/v1/complaints",
        json={"text": TEXT, "contact": {"email": "siti@example.id"}},
        headers={"Accept-Language": "en"},
    )
    code = response.get_json()["tracking_code"]
    page = client.get("/lacak/saya?lang=en").get_data(as_text=True)
    assert "My complaints" in page and "Pengaduan saya" not in page
    ask_for_link(client, "siti@example.id")
    work(emailing)
    [mail] = [m for m in smtp.messages if m["Subject"] == "Your complaints on Lapor"]
    body = mail.get_content()
    assert "filed with this email address" in body and "valid for 24 hours" in body
    browser = app.test_client()
    browser.get("/?lang=en")
    browser.get(path_in(body))
    listing = browser.get("/lacak/saya/daftar").get_data(as_text=True)
    assert code in listing and "Close the list in this browser" in listing


# --- the JSON API ----------------------------------------------------------------------------


def ask_by_api(client, body, **headers):
    return client.post("/api/v1/my-complaints", json=body, headers=headers, buffered=True)


def test_the_api_sends_the_same_link_and_says_the_same_either_way(app, emailing, smtp):
    client = app.test_client()
    code = file(client, email="siti@example.id")
    unknown = ask_by_api(client, {"contact": "orang-lain@example.id"})
    known = ask_by_api(client, {"contact": "Siti@Example.id"})
    assert unknown.status_code == known.status_code == 202
    assert unknown.get_json() == known.get_json()
    assert known.get_json() == {
        "message": "Jika alamat itu pernah dipakai, kami telah mengirim tautannya.",
        "valid_hours": 24,
    }
    english = ask_by_api(client, {"contact": "0899 1111 2222"}, **{"Accept-Language": "en"})
    assert english.get_json()["message"].startswith("If that address was used")
    work(emailing)
    [mail] = link_mails(smtp)
    _, page = opened(app, path_in(mail.get_content()))
    assert listed(page) == {code}
    client.environ_base["REMOTE_ADDR"] = "10.0.5.1"  # 5 a minute per address
    for body, status in (({"contact": 5}, 422), ({"contact": "bukan kontak"}, 422), ({}, 422)):
        response = ask_by_api(client, body)
        assert response.status_code == status, body
        assert "contact" in response.get_json()["error"]["fields"]
    not_json = client.post("/api/v1/my-complaints", data="x", content_type="text/plain")
    assert not_json.status_code == 400
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "202" in spec["paths"]["/my-complaints"]["post"]["responses"]
    assert "MyComplaintsRequest" in spec["components"]["schemas"]


def test_the_page_and_the_api_share_one_budget_per_contact(app, emailing):
    statuses = []
    for i in range(4):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"10.0.4.{i + 1}"
        if i % 2:
            statuses.append(ask_by_api(client, {"contact": "siti@example.id"}).status_code)
        else:
            statuses.append(ask_for_link(client, "siti@example.id").status_code)
    assert statuses == [200, 202, 200, 429]


def test_the_api_says_when_nothing_can_be_sent(settings):
    response = ask_by_api(create_app(settings).test_client(), {"contact": "siti@example.id"})
    assert response.status_code == 503
