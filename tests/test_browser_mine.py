"""In a real browser on a phone-sized screen: a reporter who lost their code asks for "my
complaints" (/lacak/saya), takes the link from the email sink, and sees their complaints."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime

import pytest

from lapor import create_app
from lapor.domain import tracking, workflow
from lapor.domain.my_complaints import SUBJECT
from models import ActorKind

from support import act_on, export_settings, work

pytestmark = pytest.mark.slow  # a real browser

STAFF = workflow.Actor(ActorKind.STAFF)


@pytest.fixture
def wired(settings, smtp, monkeypatch):
    wired = settings.with_overrides(
        {"smtp_host": "127.0.0.1", "smtp_port": smtp.port, "smtp_security": "none"}
    )
    export_settings(monkeypatch, wired)
    return wired


@pytest.fixture
def app(wired):
    """The app live_url serves: with email on."""
    app = create_app(wired)
    app.config.update(TESTING=True)
    return app


def emailed_link(wired, smtp, timeout: float = 15.0) -> str:
    """The link in the delivered email: the row is written once the page has gone out, so run
    the delivery jobs until it arrives."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        work(wired)
        mails = [m for m in smtp.messages if m["Subject"] == SUBJECT]
        if mails:
            return re.search(r"/lacak/saya\?kunci=\S+", mails[-1].get_content()).group(0)
        time.sleep(0.1)
    raise AssertionError("no my-complaints email arrived")


def no_overflow(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_my_complaints_on_a_phone(browser, live_url, app, wired, smtp, tmp_path):
    client = app.test_client()
    codes = []
    for text in (
        "Jalan berlubang besar di depan SDN 4 Palangka, sudah tiga bulan tidak diperbaiki",
        "Lampu penerangan jalan di Jl. G. Obos IX mati sejak seminggu, gelap sekali",
    ):
        answer = client.post(
            "/api/v1/complaints", json={"text": text, "contact": {"email": "siti@example.id"}}
        )
        codes.append(answer.get_json()["tracking_code"])
    client.post(
        "/api/v1/complaints",
        json={"text": "Sampah menumpuk di pasar besar", "contact": {"email": "budi@example.id"}},
    )
    now = datetime.now(UTC)
    act_on(wired, codes[0], workflow.Action.VERIFY, actor=STAFF, now=now, agency_code="PUPR")
    act_on(wired, codes[0], workflow.Action.REQUEST_INFO, actor=STAFF, now=now, note="Di mana?")

    page = browser.new_page(viewport={"width": 360, "height": 740}, device_scale_factor=2)
    page.goto(f"{live_url}/lacak")
    page.click("#my-complaints-link a")
    page.fill("#kontak", "siti@example.id")
    no_overflow(page, 360)
    page.screenshot(path=str(tmp_path / "ask-360.png"), full_page=True)
    page.click("button[type=submit]")
    page.wait_for_selector("#sent")
    assert "Jika alamat itu pernah dipakai" in page.inner_text("#sent")
    page.screenshot(path=str(tmp_path / "sent-360.png"), full_page=True)

    page.goto(live_url + emailed_link(wired, smtp))
    page.wait_for_selector("#my-complaints")
    assert page.url.endswith("/lacak/saya/daftar")
    shown = page.eval_on_selector_all(
        "#my-complaints li", "items => items.map(i => i.dataset.code)"
    )
    assert shown == [codes[1], codes[0]]  # newest first, and nobody else's
    no_overflow(page, 360)
    page.screenshot(path=str(tmp_path / "list-360.png"), full_page=True)

    page.click(f"text={tracking.display(codes[0])}")
    page.wait_for_selector("textarea#info")
    page.fill("#info", "Depan SDN 4 persis, sebelah warung")
    page.click("form[action$='/keterangan'] button[type=submit]")
    page.wait_for_selector("text=keterangan Anda diteruskan")
    no_overflow(page, 360)
    page.screenshot(path=str(tmp_path / "answered-360.png"), full_page=True)

    laptop = browser.new_page(viewport={"width": 1280, "height": 800})
    laptop.goto(live_url + emailed_link(wired, smtp))
    laptop.wait_for_selector("#my-complaints")
    no_overflow(laptop, 1280)
    laptop.screenshot(path=str(tmp_path / "list-1280.png"), full_page=True)
    print(tmp_path)
