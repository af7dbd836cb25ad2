"""Triage that helps the model: the verifier's queue most uncertain first (no model's opinion
last, ties stable) in the console and the staff API, and the words that decided for each
suggested OPD on the complaint's page."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from lapor import create_app
from lapor.domain.intake import Submission
from lapor.infra import db, directory
from lapor.routing import service as routing
from lapor.services import accounts, triage, worklist
from lapor.services.casework import Staff
from lapor.services.filing import file_complaint
from lapor.web.openapi import staff_document
from models import Complaint, Role

from support import STAFF_PASSWORD, signed_in

NOW = datetime.now(UTC)
# Scripted confidences, in filing order (oldest first); None: no model decided.
SCRIPT = [0.9, None, 0.2, 0.55, 0.2, None, 0.2]
# Filed at these minutes before now: the 0.2 at index 6 shares its time with the one at 4,
# so only the id tells them apart.
MINUTES_AGO = [70, 60, 50, 40, 30, 20, 30]


@pytest.fixture
def app(settings):
    app = create_app(settings)
    app.config.update(TESTING=True, WTF_CSRF_ENABLED=False)
    return app


@pytest.fixture
def scripted(settings) -> list[str]:
    """Complaints awaiting triage with the scripted confidences, and a verifier with a token;
    the codes most uncertain first, as the queue must list them, and the verifier's token."""
    codes = []
    for n, ago in enumerate(MINUTES_AGO):
        when = NOW - timedelta(minutes=ago)
        text = f"Keluhan nomor {n} tentang pelayanan umum"
        codes.append(file_complaint(settings, Submission(text=text), now=when).complaint)
    with Session(db.engine_for(settings.database_url)) as session:
        accounts.create_user(
            session, username="verif", password=STAFF_PASSWORD, role=Role.VERIFIER, now=NOW
        )
        token = accounts.create_token(session, "verif", now=NOW)
        rows = {c.id: c for c in session.exec(select(Complaint)).all()}
        for filed, confidence in zip(codes, SCRIPT, strict=True):
            rows[filed.id].routing_confidence = confidence
        session.commit()
    expected = [codes[i].tracking_code for i in (2, 4, 6, 3, 0, 1, 5)]
    return {"expected": expected, "token": token}


def test_the_most_uncertain_come_first_then_no_model_stable(settings, session, scripted):
    verifier = Staff(id=0, role=Role.VERIFIER, agency_id=None)
    filters = worklist.Filters(triage=True, sort="uncertainty")
    rows = worklist.find(session, verifier, filters, now=NOW).rows
    assert [c.tracking_code for c, _ in rows] == scripted["expected"]
    # Pages cut the same order: no complaint on two pages, none missed.
    pages = [
        worklist.find(session, verifier, replace(filters, page=n, per_page=3), now=NOW).rows
        for n in (1, 2, 3)
    ]
    assert [c.tracking_code for page in pages for c, _ in page] == scripted["expected"]


def _listed(page: str) -> list[str]:
    return list(dict.fromkeys(re.findall(r'href="/petugas/pengaduan/(\w+)"', page)))


def test_the_console_offers_the_order_and_says_why(app, scripted):
    client = signed_in(app, "verif")
    chosen = client.get("/petugas/?triage=1&sort=uncertainty").get_data(as_text=True)
    assert _listed(chosen) == scripted["expected"]
    assert '<option value="uncertainty" selected>' in chosen
    assert 'id="f-sort-why"' in chosen and 'id="sort-why"' in chosen
    assert "paling banyak mengajari model" in chosen
    # A verifier's day starts at triage in this order, as before.
    assert _listed(client.get("/petugas/").get_data(as_text=True)) == scripted["expected"]
    oldest_first = client.get("/petugas/?triage=1&sort=age").get_data(as_text=True)
    assert _listed(oldest_first)[0] == scripted["expected"][4]
    assert 'id="sort-why"' not in oldest_first
    wrong = client.get("/petugas/?triage=1&sort=ragu")
    assert wrong.status_code == 400 and "uncertainty" in wrong.get_data(as_text=True)
    english = client.get("/petugas/?triage=1&sort=uncertainty&lang=en").get_data(as_text=True)
    assert "teaches the model most" in english


def test_the_staff_api_orders_the_same(app, scripted):
    headers = {"Authorization": f"Bearer {scripted['token']}"}
    client = app.test_client()
    response = client.get(
        "/api/v1/staff/complaints",
        query_string={"triage": 1, "sort": "uncertainty"},
        headers=headers,
    )
    assert response.status_code == 200
    listed = [c["tracking_code"].replace("-", "") for c in response.get_json()["complaints"]]
    assert listed == scripted["expected"]
    wrong = client.get("/api/v1/staff/complaints?sort=ragu", headers=headers)
    assert wrong.status_code == 400
    sort = next(
        p
        for p in staff_document()["paths"]["/complaints"]["get"]["parameters"]
        if p["name"] == "sort"
    )
    assert "uncertainty" in sort["schema"]["enum"]


def test_each_suggestion_shows_the_words_that_decided(routed_settings, app):
    settings = routed_settings
    text = "Lampu jalan mati, jalan berlubang dan sampah menumpuk di depan sekolah"
    filed = file_complaint(settings, Submission(text=text), now=NOW).complaint
    assert filed.agency_id is None  # not sure enough to route: at triage
    with Session(db.engine_for(settings.database_url)) as session:
        accounts.create_user(
            session, username="verif", password=STAFF_PASSWORD, role=Role.VERIFIER, now=NOW
        )
        session.commit()
    page = signed_in(app, "verif").get(f"/petugas/pengaduan/{filed.tracking_code}")
    html = page.get_data(as_text=True)
    router = routing.current_router(settings)
    shown = re.findall(r'<span class="words">([^<]*)</span>', html)
    registry = directory.agencies.get(settings)
    labels = [label for code, label, _ in router.suggest(text, None, limit=3) if code in registry]
    expected = [", ".join(words) for words in triage.decisive_words(router, text, labels)]
    assert len(labels) > 1 and shown == [words for words in expected if words]
    assert html.count("kata penentu:") == len(shown)
    lists = [words.split(", ") for words in shown]
    for words in lists:
        assert 1 <= len(words) <= triage.WORDS_SHOWN
        assert all(word in text.lower() for word in words)
    assert not set.intersection(*map(set, lists))  # none said for every OPD alike


def test_the_words_are_kept_and_looked_for_in_the_first_words(routed_settings):
    router = routing.current_router(routed_settings)
    filler = " ".join(["pelayanan"] * triage.EXPLAINED)
    label = router.suggest("lampu pju mati", None, limit=1)[0][1]
    assert "pju" not in triage.decisive_words(router, f"{filler} lampu pju mati", [label])[0]
    text = "lampu pju mati total di jalan 12"
    (first,) = triage.decisive_words(router, text, [label])
    assert "pju" in first and "0" not in first and "12" not in first
    assert triage._explained(router, text, label) is triage._explained(router, text, label)


@pytest.mark.slow
def test_the_queue_and_the_suggestions_at_360_px(browser, routed_settings, live_url, tmp_path):
    text = "Lampu jalan mati, jalan berlubang dan sampah menumpuk di depan sekolah"
    filed = file_complaint(routed_settings, Submission(text=text), now=NOW).complaint
    with Session(db.engine_for(routed_settings.database_url)) as session:
        accounts.create_user(
            session, username="verif", password=STAFF_PASSWORD, role=Role.VERIFIER, now=NOW
        )
        session.commit()
    for width in (360, 1280):
        page = browser.new_context(viewport={"width": width, "height": 800}).new_page()
        page.goto(f"{live_url}/masuk")
        page.fill("#username", "verif")
        page.fill("#password", STAFF_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector("#staff-q")
        page.goto(f"{live_url}/petugas/?triage=1&sort=uncertainty")
        assert page.is_visible("#sort-why")
        assert page.is_visible("#f-sort-why")  # a chosen sort opens the filters
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=str(tmp_path / f"queue-{width}.png"), full_page=True)
        page.goto(f"{live_url}/petugas/pengaduan/{filed.tracking_code}")
        assert page.is_visible("#suggestions .decisive")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.locator("#suggestions").screenshot(path=str(tmp_path / f"suggestions-{width}.png"))
        page.context.close()
    print(f"screenshots in {tmp_path}")
