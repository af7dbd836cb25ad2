"""Every citizen page on a 360 px phone, in both languages: nothing wider than the screen,
and a screenshot of each under the test's tmp dir to look at."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lapor.cli.demo import create_demo

pytestmark = pytest.mark.slow  # a real browser: run by `make test-slow`

# The public pages; {code} is a demo complaint's tracking code.
PAGES = (
    "/",
    "/lapor",
    "/lacak",
    "/lacak/kunci",
    "/lacak/{code}",
    "/lacak/ABCDEFGHJK",  # an unknown code: the 404 page
    "/pengaduan",
    "/pengaduan?status=rejected",
    "/pengaduan/peta",
    "/lacak/saya",
    "/kinerja",
    "/kinerja?periode=90hari",
    "/tidak-ada",
)


@pytest.mark.parametrize("width", [360, 1280])
def test_no_citizen_page_is_wider_than_the_screen(browser, live_url, settings, tmp_path, width):
    create_demo(settings, datetime.now(UTC), count=20)
    page = browser.new_page(viewport={"width": width, "height": 740})
    page.goto(f"{live_url}/pengaduan")
    code = page.locator("table a[href^='/lacak/']").first.get_attribute("href").rsplit("/")[-1]
    for language in ("id", "en"):
        for number, path in enumerate(PAGES):
            url = f"{live_url}{path.format(code=code)}"
            page.goto(url + ("&" if "?" in url else "?") + f"lang={language}")
            shot = tmp_path / f"{width}-{language}-{number:02d}.png"
            page.screenshot(path=str(shot), full_page=True)
            wide = page.evaluate("document.documentElement.scrollWidth")
            assert wide <= width, f"{path} ({language}) is {wide}px wide at {width}px: {shot}"
