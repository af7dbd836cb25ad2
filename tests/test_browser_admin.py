"""In a real browser: an admin runs the region — creates an OPD, gives it a shorter deadline and
declares a regional day off — on a desktop and on a phone; screenshots under the test's tmp
dir. Drives Debian's Chromium through Playwright (fixtures in conftest.py)."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from lapor.domain.timefmt import utcnow
from lapor.infra import db, directory
from lapor.services import accounts
from lapor.services.effects import deadlines_for
from models import Role

from support import STAFF_PASSWORD

pytestmark = pytest.mark.slow  # a real browser: run by `make test-slow`

WIB = ZoneInfo("Asia/Jakarta")


def _sign_in(page, live_url: str) -> None:
    page.goto(f"{live_url}/masuk")
    page.fill("#username", "admin")
    page.fill("#password", STAFF_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#admin-link")


def _fits(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


def test_an_admin_creates_an_opd_sets_its_deadline_and_a_holiday(
    browser, live_url, settings, tmp_path
):
    db.run_in_transaction(
        settings,
        lambda session: accounts.create_user(
            session, username="admin", password=STAFF_PASSWORD, role=Role.ADMIN, now=utcnow()
        ),
    )
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    _sign_in(page, live_url)

    # A new OPD under Sekretariat Daerah, from the registry's tree.
    page.click("#admin-link")
    page.click("text=Tambah OPD")
    page.fill("#code", "DISPERTAMAN")
    page.fill("#name", "Dinas Pertamanan Provinsi Kalimantan Tengah")
    page.fill("#short_name", "Dispertaman")
    page.select_option("#kind", "dinas")
    page.select_option("#parent", "SETDA")
    page.screenshot(path=str(tmp_path / "opd-form-1280.png"), full_page=True)
    page.click("button:has-text('Tambah OPD')")
    page.wait_for_selector("text=DISPERTAMAN")
    page.screenshot(path=str(tmp_path / "opd-list-1280.png"), full_page=True)

    # Its answer deadline: 2 working days, in the first empty override row.
    page.click("nav.tabs >> text=Tenggat")
    page.wait_for_selector("#agencies")
    keys = page.locator("#agencies select[id$='-key']")
    empty = next(i for i in range(keys.count()) if keys.nth(i).input_value() == "")
    row_key = keys.nth(empty).get_attribute("id")
    page.select_option(f"#{row_key}", "DISPERTAMAN")
    page.fill(f"#{row_key.removesuffix('-key')}-response_days", "2")
    page.locator("button[value=save]").last.click()
    page.wait_for_selector("[role=status]")
    page.goto(f"{live_url}/admin/tenggat?opd=DISPERTAMAN")
    preview = page.inner_text("#preview-one")
    assert "Dispertaman" in preview or "DISPERTAMAN" in preview
    page.screenshot(path=str(tmp_path / "deadlines-1280.png"), full_page=True)

    # A regional day off tomorrow, on the year calendar.
    tomorrow = (utcnow().astimezone(WIB) + timedelta(days=1)).date()
    page.click("nav.tabs >> text=Hari libur")
    page.fill("#date", tomorrow.isoformat())
    page.fill("#reason", "Cuti bersama daerah")
    page.click("#add-day-off button[type=submit]")
    page.wait_for_selector(f"#off-{tomorrow.isoformat()}")
    page.screenshot(path=str(tmp_path / "holidays-1280.png"), full_page=True)

    # What the admin did is what the clock now counts with, and the history says who.
    directory.config.clear()
    clock = deadlines_for(settings)
    assert clock.book.policy_for("DISPERTAMAN", None).response_days == 2
    assert not clock.calendar.is_working_day(tomorrow)
    page.click("nav.tabs >> text=Riwayat perubahan")
    history = page.inner_text("main")
    assert history.count("admin") >= 3 and "DISPERTAMAN" in history

    # The same pages on a phone: nothing wider than the screen.
    phone = browser.new_page(viewport={"width": 360, "height": 740}, device_scale_factor=2)
    _sign_in(phone, live_url)
    for path, name in (
        ("/admin/opd", "opd-list"),
        ("/admin/opd/DISPERTAMAN", "opd-edit"),
        ("/admin/tenggat?opd=DISPERTAMAN", "deadlines"),
        ("/admin/libur", "holidays"),
        ("/admin/peta-rute", "routing"),
        ("/admin/pengguna", "accounts"),
        ("/admin/riwayat", "history"),
    ):
        phone.goto(f"{live_url}{path}")
        _fits(phone, 360)
        phone.screenshot(path=str(tmp_path / f"{name}-360.png"), full_page=True)
