"""In a real browser: /kinerja draws each OPD's monthly chart (inline SVG, no script) and fits a
360 px phone and a 1280 px screen without sideways scrolling."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lapor import create_app
from lapor.domain import workflow
from lapor.domain.intake import Submission
from lapor.services import reporter
from lapor.services.filing import file_complaint
from lapor.web import public_stats

from support import act_on, route_to

pytestmark = pytest.mark.slow  # a real browser

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
STAFF = workflow.Actor.staff(None)
# Per OPD: (complaints a month, every how many answered late), over January–November.
LOAD = {"DISHUB": (3, 3), "PUPR": (2, 2), "DINKES": (1, 4), "RSUD-DORIS": (2, 5)}


@pytest.fixture
def app(settings, monkeypatch):
    monkeypatch.setattr(public_stats, "utcnow", lambda: NOW)
    app = create_app(settings)
    app.config.update(TESTING=True)
    return app


@pytest.fixture
def seeded(settings) -> None:
    """A few complaints a month for four OPDs, most answered in time, some rated."""
    n = 0
    for agency, (per_month, late_every) in LOAD.items():
        for month in range(1, 12):
            for i in range(per_month if month % 4 else per_month + 1):
                n += 1
                when = datetime(2026, month, 3 + 5 * i, 2, 0, tzinfo=UTC)
                text = f"Pengaduan nomor {n} tentang pelayanan yang perlu diperbaiki segera"
                result = file_complaint(settings, Submission(text=text), now=when)
                code = result.complaint.tracking_code
                route_to(settings, code, agency, when)
                answer = when + timedelta(days=12 if n % late_every == 0 else 1)
                act_on(settings, code, workflow.Action.RESPOND, actor=STAFF, now=answer, note="Ya.")
                if n % 3 == 0:
                    done = answer + timedelta(days=2)
                    act_on(
                        settings, code, workflow.Action.RESOLVE, actor=STAFF, now=done, note="Ok"
                    )
                    key = reporter.KeyProof(result.reporter_key)
                    reporter.rate(settings, code, key, 1 + n % 5, None, now=done + timedelta(1))


@pytest.mark.parametrize("width", [360, 1280])
def test_kinerja_draws_its_charts_and_fits_the_screen(browser, live_url, seeded, tmp_path, width):
    page = browser.new_page(viewport={"width": width, "height": 800})
    refused = []
    page.on("console", lambda message: refused.append(message.text))
    page.goto(f"{live_url}/kinerja")
    assert page.locator("article.opd svg").count() == len(LOAD)
    chart = page.locator("#opd-DISHUB svg")
    assert chart.locator("rect.bar").count() == 11 and chart.locator("circle.dot").count() == 11
    box = chart.bounding_box()
    assert box["width"] >= (290 if width == 360 else 320) and box["height"] > 90
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    # The chart's text alternative: its title, and its numbers as a table behind "Data grafik".
    assert "pengaduan diterima per bulan" in chart.locator("title").first.text_content()
    table = page.locator("#opd-DISHUB table.months")
    assert not table.is_visible()
    page.click("#opd-DISHUB .month-data summary")
    assert table.is_visible() and table.locator("tbody tr").count() == 11
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    summary = page.locator("#kinerja-table thead")
    assert summary.is_visible() == (width == 1280)  # on a phone each OPD is a card
    page.screenshot(path=str(tmp_path / f"kinerja-{width}.png"), full_page=True)
    page.goto(f"{live_url}/kinerja?periode=90hari")
    assert page.locator("#opd-DISHUB svg rect.bar").count() == 4  # August to November
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=str(tmp_path / f"kinerja-90hari-{width}.png"), full_page=True)
    assert not [m for m in refused if "Content Security Policy" in m]
