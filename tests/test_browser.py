"""In a real browser: a citizen files a complaint on a phone-sized screen and follows it.

Drives Debian's Chromium through Playwright (no browser download). Under CI=true a missing
browser fails the run instead of skipping it.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from support import jpeg

pytestmark = pytest.mark.slow  # a real browser / bot: run by `make test-slow`

JPEG = jpeg()


def test_filing_on_a_phone_and_opening_the_tracking_page(browser, live_url, tmp_path):
    page = browser.new_page(viewport={"width": 360, "height": 740}, device_scale_factor=2)
    page.goto(f"{live_url}/")
    page.click("text=Buat pengaduan")
    page.fill("#title", "Lampu jalan mati")
    page.fill(
        "#text", "Lampu penerangan jalan di Jl. G. Obos IX mati sejak seminggu, gelap sekali."
    )
    page.select_option("#regency", "Kota Palangka Raya")
    page.select_option("#district", "Jekan Raya")
    page.fill("#address", "Jl. G. Obos IX dekat masjid")
    photo = tmp_path / "lampu.jpg"
    photo.write_bytes(JPEG)
    page.set_input_files("#attachments", str(photo))
    page.check("#anonymous")
    page.fill("#email", "warga@example.id")
    # Nothing on the form may be wider than the phone's screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(tmp_path / "form.png"), full_page=True)
    page.click("button[type=submit]")
    page.wait_for_selector("#tracking-code")
    code = page.inner_text("#tracking-code")
    assert len(code) == 11 and code[5] == "-"
    assert "Sedang diverifikasi" in page.content() or "Diteruskan ke" in page.content()
    page.screenshot(path=str(tmp_path / "receipt.png"), full_page=True)
    # Follow it the way a citizen would: type the code on the lookup page.
    page.goto(f"{live_url}/lacak")
    page.fill("#kode", code.lower())
    page.click("button[type=submit]")
    page.wait_for_selector("#timeline")
    assert page.inner_text("#status") in ("Diterima", "Diteruskan ke OPD")
    assert "warga@example.id" not in page.content()
    page.screenshot(path=str(tmp_path / "tracking.png"), full_page=True)
    assert (tmp_path / "tracking.png").stat().st_size > 0


def test_an_officer_answers_and_the_citizen_sees_the_answer(browser, live_url, settings, tmp_path):
    from datetime import UTC, datetime

    from lapor.cli.demo import create_demo

    passwords = create_demo(settings, datetime.now(UTC), count=13).passwords
    page = browser.new_page(viewport={"width": 1024, "height": 800})
    page.goto(f"{live_url}/masuk")
    page.fill("#username", "demo-dishub")
    page.fill("#password", passwords["demo-dishub"])
    page.click("button[type=submit]")
    page.wait_for_selector("table.queue")
    page.click("table.queue a >> nth=0")
    page.wait_for_selector("#verb-respond")
    code = page.url.rstrip("/").rsplit("/", 1)[-1]
    page.click("#verb-respond summary")
    page.fill("#note-respond", "Tim kami memperbaiki lampu itu besok pagi.")
    page.click("#verb-respond button[type=submit]")
    page.wait_for_selector("text=Tindakan tersimpan.")
    page.screenshot(path=str(tmp_path / "officer.png"), full_page=True)

    citizen = browser.new_page(viewport={"width": 360, "height": 740})
    citizen.goto(f"{live_url}/lacak/{code}")
    assert "Tim kami memperbaiki lampu itu besok pagi." in citizen.content()


def test_a_supervisor_sees_escalations_and_the_chart(browser, live_url, settings, tmp_path):
    from datetime import UTC, datetime

    from lapor.cli.demo import create_demo

    passwords = create_demo(settings, datetime.now(UTC), count=26).passwords
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{live_url}/masuk")
    page.fill("#username", "demo-supervisor")
    page.fill("#password", passwords["demo-supervisor"])
    page.click("button[type=submit]")
    page.goto(f"{live_url}/petugas/dasbor")
    page.wait_for_selector("#escalations")
    assert page.locator("#escalations tr").count() > 1
    bars = page.locator("#on-time-chart rect")
    assert bars.count() >= 2
    assert bars.first.bounding_box()["height"] > 0
    weeks = page.locator("#trend-chart rect")
    assert weeks.count() >= 1 and weeks.first.bounding_box()["height"] > 0
    page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
    assert (tmp_path / "dashboard.png").stat().st_size > 10_000


@pytest.fixture
def site(settings):
    """The app served on a port of its own, its public URL set to it (links point back)."""
    import socket

    from lapor import create_app

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    app = create_app(settings.with_overrides({"public_url": url}))
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield url
    server.shutdown()


def test_only_the_reporters_browser_can_rate(browser, site, settings, tmp_path):
    from datetime import UTC, datetime

    from lapor.domain import tracking, workflow
    from models import ActorKind

    from support import act_on

    reporter = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2)
    page = reporter.new_page()
    page.goto(f"{site}/lapor")
    page.fill("#text", "Jembatan kayu di Desa Bukit Tunggal lapuk, papannya banyak yang patah.")
    page.click("button[type=submit]")
    page.wait_for_selector("#private-link")
    link = page.get_attribute("#private-link", "href")
    assert link.startswith(f"{site}/lacak/") and "?kunci=" in link
    assert "hanya menampilkan tampilan publik" in page.inner_text(".notice")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(tmp_path / "receipt-private-link-360.png"), full_page=True)
    code = tracking.normalize(page.inner_text("#tracking-code"))

    staff, now = workflow.Actor(ActorKind.STAFF), datetime.now(UTC)
    act_on(settings, code, workflow.Action.VERIFY, actor=staff, now=now, agency_code="PUPR")
    act_on(settings, code, workflow.Action.RESPOND, actor=staff, now=now, note="Kami periksa")
    act_on(settings, code, workflow.Action.RESOLVE, actor=staff, now=now, note="Sudah diganti")

    stranger = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    stranger.goto(f"{site}/lacak/{tracking.display(code)}")
    stranger.wait_for_selector("#timeline")
    assert stranger.query_selector("input[name=rating]") is None
    assert stranger.query_selector("#public-view") is not None
    stranger.screenshot(path=str(tmp_path / "stranger-1280.png"), full_page=True)
    stranger.set_viewport_size({"width": 360, "height": 740})
    stranger.click("text=Tautan pribadi hilang?")
    stranger.fill("#kode", tracking.display(code))
    stranger.fill("#email", "bukan-pelapornya@example.id")
    stranger.click("text=Kirim tautan baru")
    stranger.wait_for_selector("#no-email")  # no SMTP server here: the page says so
    assert stranger.evaluate("document.documentElement.scrollWidth") <= 360
    stranger.screenshot(path=str(tmp_path / "new-link-360.png"), full_page=True)

    page.goto(f"{site}/lacak/{tracking.display(code)}")
    page.wait_for_selector("#rating-closes")
    page.check("input[name=rating][value='5']")
    page.screenshot(path=str(tmp_path / "reporter-rates-360.png"), full_page=True)
    page.click("text=Kirim penilaian dan tutup pengaduan")
    page.wait_for_selector("text=Terima kasih atas penilaian Anda.")
    assert page.inner_text("#status") == "Ditutup"

    # The private link works in any browser: here the reporter's laptop.
    laptop = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    laptop.goto(link)
    laptop.wait_for_selector("#reporter-view")
    assert "kunci" not in laptop.url  # the key leaves the address bar
    laptop.screenshot(path=str(tmp_path / "reporter-laptop-1280.png"), full_page=True)
    print(f"screenshots in {tmp_path}")


def test_an_officer_reads_a_notice_and_the_count_drops(browser, live_url, settings, tmp_path):
    from datetime import UTC, datetime

    from lapor.cli.demo import create_demo

    passwords = create_demo(settings, datetime.now(UTC), count=13).passwords
    for width in (360, 1280):
        page = browser.new_context(viewport={"width": width, "height": 800}).new_page()
        page.goto(f"{live_url}/masuk")
        page.fill("#username", "demo-dishub")
        page.fill("#password", passwords["demo-dishub"])
        page.click("button[type=submit]")
        page.wait_for_selector("#inbox-link")
        before = int(page.inner_text("#unread-count"))
        page.click("#inbox-link")
        page.wait_for_selector("#inbox")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=str(tmp_path / f"inbox-{width}.png"), full_page=True)
        page.click("#inbox li.unread a")
        page.wait_for_url("**/petugas/pengaduan/*")
        assert int(page.inner_text("#unread-count")) == before - 1
        page.context.close()
    print(f"screenshots in {tmp_path}")


# --- the staff console at work (issue 17) ---------------------------------------------------


def _staff_page(browser, live_url, width, username, password):
    page = browser.new_context(viewport={"width": width, "height": 800}).new_page()
    page.goto(f"{live_url}/masuk")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_selector("#staff-q")
    return page


def _word_of_an_open_complaint(settings, agency_code):
    """A distinctive word of one of the OPD's open complaints, and its code."""
    from sqlmodel import Session, select

    from lapor.domain import workflow
    from lapor.infra import db
    from models import Agency, Complaint

    with Session(db.engine_for(settings.database_url)) as session:
        complaint = session.exec(
            select(Complaint)
            .join(Agency, Agency.id == Complaint.agency_id)
            .where(Agency.code == agency_code, Complaint.status.in_(workflow.WITH_AGENCY))
            .order_by(Complaint.id)
        ).first()
    word = max(complaint.text.split(), key=len).strip(".,;:!?()")
    return word, complaint.tracking_code


def test_an_officer_searches_answers_and_reads_notices(browser, live_url, settings, tmp_path):
    from datetime import UTC, datetime

    from lapor.cli.demo import create_demo

    passwords = create_demo(settings, datetime.now(UTC), count=26).passwords
    word, code = _word_of_an_open_complaint(settings, "DISHUB")
    for width in (1280, 360):
        page = _staff_page(browser, live_url, width, "demo-dishub", passwords["demo-dishub"])
        page.fill("#staff-q", word)
        page.press("#staff-q", "Enter")
        page.wait_for_selector("table.queue")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=str(tmp_path / f"search-{width}.png"), full_page=True)
        page.click(f"table.queue a[href$='{code}']")
        page.wait_for_url(f"**/petugas/pengaduan/{code}")
        page.click("#verb-respond summary")
        page.fill("#note-respond", f"Tim kami menangani ini ({width}).")
        page.click("#verb-respond button[type=submit]")
        page.wait_for_selector("text=Tindakan tersimpan.")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=str(tmp_path / f"answered-{width}.png"), full_page=True)
        before = int(page.inner_text("#unread-count"))
        page.click("#inbox-link")
        page.click("#inbox li.unread a")
        page.wait_for_url("**/petugas/pengaduan/*")
        assert int(page.inner_text("#unread-count")) == before - 1
        page.context.close()
    citizen = browser.new_page(viewport={"width": 360, "height": 740})
    citizen.goto(f"{live_url}/lacak/{code}")
    assert "Tim kami menangani ini (360)." in citizen.content()
    print(f"screenshots in {tmp_path}")


@pytest.fixture
def routed_app(routed_settings):
    from lapor import create_app

    app = create_app(routed_settings)
    app.config.update(TESTING=True)
    return app


def test_a_verifier_verifies_in_one_click_and_marks_a_duplicate(
    browser, routed_settings, routed_app, tmp_path
):
    from datetime import UTC, datetime

    from sqlmodel import Session

    from lapor.domain.intake import Submission
    from lapor.infra import db
    from lapor.services import accounts
    from lapor.services.filing import file_complaint
    from models import Role

    now = datetime.now(UTC)
    with Session(db.engine_for(routed_settings.database_url)) as session:
        accounts.create_user(
            session, username="verif", password="kata-sandi-panjang", role=Role.VERIFIER, now=now
        )
        session.commit()
    text = "Ada masalah dengan pelayanan di kantor kelurahan, petugas tidak ada di tempat"
    first = file_complaint(routed_settings, Submission(text=text), now=now).complaint
    second = file_complaint(routed_settings, Submission(text=text + " lagi"), now=now).complaint
    server = make_server("127.0.0.1", 0, routed_app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    live_url = f"http://127.0.0.1:{server.server_port}"
    try:
        for width, code in ((1280, first.tracking_code), (360, second.tracking_code)):
            page = _staff_page(browser, live_url, width, "verif", "kata-sandi-panjang")
            page.goto(f"{live_url}/petugas/pengaduan/{code}")
            page.wait_for_selector("#similar")
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            page.screenshot(path=str(tmp_path / f"triage-{width}.png"), full_page=True)
            if width == 1280:
                page.click("#suggestions button.chip >> nth=0")
                page.wait_for_selector("text=Tindakan tersimpan.")
                assert "Diteruskan ke OPD" in page.inner_text("h1")
            else:
                page.click("#similar button >> nth=0")
                page.wait_for_selector("text=Tindakan tersimpan.")
                assert "Diarsipkan" in page.inner_text("h1")
                assert "Duplikat dari" in page.content()
            page.context.close()
    finally:
        server.shutdown()
    print(f"screenshots in {tmp_path}")


def test_a_supervisor_filters_by_opd_and_downloads_the_csv(browser, live_url, settings, tmp_path):
    from datetime import UTC, datetime

    from lapor.cli.demo import create_demo

    passwords = create_demo(settings, datetime.now(UTC), count=26).passwords
    for width in (1280, 360):
        page = _staff_page(
            browser, live_url, width, "demo-supervisor", passwords["demo-supervisor"]
        )
        page.goto(f"{live_url}/petugas/")
        page.click("details.more-filters summary")
        page.select_option("#f-agency", "DISHUB")
        page.click("form.filters button[type=submit]")
        page.wait_for_url("**agency=DISHUB**")
        cells = page.locator("table.queue td[data-label='OPD']")
        assert cells.count() >= 1
        assert {cells.nth(i).inner_text().strip() for i in range(cells.count())} == {"Dishub"}
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=str(tmp_path / f"supervisor-{width}.png"), full_page=True)
        with page.expect_download() as download:
            page.click("text=Unduh CSV")
        path = download.value.path()
        lines = Path(path).read_text(encoding="utf-8").splitlines()
        assert lines[0].startswith("kode,status,opd") and len(lines) == cells.count() + 1
        assert all(",DISHUB," in line for line in lines[1:])
        page.context.close()
    print(f"screenshots in {tmp_path}")
