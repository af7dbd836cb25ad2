"""Public accountability (issue 20, item 7): /kinerja and /api/v1/stats/agencies give each own
OPD's figures for a year or the last 90 days, with its months, as counts and rates only.

The complaints below are scripted so that every figure is known by hand (see `scripted`)."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
import redis
import sqlalchemy as sa
from sqlmodel import Session, select

from lapor import create_app
from lapor.domain import workflow
from lapor.domain.intake import Submission
from lapor.infra import db, redis_keys
from lapor.services import compliance, reporter
from lapor.services.filing import file_complaint
from lapor.web import public_stats
from models import Agency, AgencyKind

from support import act_on, route_to

# Monday 23 November 2026, 10.00 WIB. The year runs 1 January – 23 November 2026; the last 90
# days 26 August – 23 November 2026 (months 2026-08 to 2026-11).
NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
STAFF = workflow.Actor.staff(None)
SECRET = {
    "title": "Pungli rahasia di loket Samsat",
    "text": "Petugas loket meminta uang tambahan tiga ratus ribu tanpa kuitansi resmi.",
    "name": "Siti Rahasiawati",
    "email": "siti.rahasia@example.id",
}


@pytest.fixture
def app(settings, monkeypatch):
    monkeypatch.setattr(public_stats, "utcnow", lambda: NOW)
    app = create_app(settings)
    app.config.update(TESTING=True, LAPOR_STATS_CACHE_SECONDS=0)
    return app


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def filed(settings, agency: str, when: datetime, text: str, **fields) -> tuple[str, str]:
    submission = Submission(text=text, email=fields.pop("email", "warga@example.id"), **fields)
    result = file_complaint(settings, submission, now=when)
    route_to(settings, result.complaint.tracking_code, agency, when)
    return result.complaint.tracking_code, result.reporter_key


def staff(settings, code: str, action: workflow.Action, when: datetime) -> None:
    act_on(settings, code, action, actor=STAFF, now=when, note="Sudah kami tindak lanjuti.")


@pytest.fixture
def scripted(settings) -> dict:
    """DISHUB, received in 2026 (local time):
      d1 10 Mar   answered after 6 h (on time), resolved, rated 4
      d2 15 Sep   answered after 10 days (late: 5 working days), never resolved (60 days past)
      d3  2 Nov   answered after 1 day, resolved, reopened, resolved again, rated 2
      d4 20 Nov   not answered, its deadline not yet passed
      d5  1 Oct   confidential, not answered, its deadline passed
    PUPR: p1 3 Feb answered after 12 h, resolved, rated 5; p3 1 Jun 01.30 WIB (31 May in UTC)
    never answered; p2 20 Dec 2025 never answered."""
    d1, k1 = filed(settings, "DISHUB", at("2026-03-10T02:00"), "Lampu lalu lintas mati di simpang")
    staff(settings, d1, workflow.Action.RESPOND, at("2026-03-10T08:00"))
    staff(settings, d1, workflow.Action.RESOLVE, at("2026-03-11T02:00"))
    reporter.rate(
        settings, d1, reporter.KeyProof(k1), 4, "Cukup cepat.", now=at("2026-03-12T02:00")
    )
    d2, _ = filed(settings, "DISHUB", at("2026-09-15T02:00"), "Rambu jalan roboh di Jl. Obos")
    staff(settings, d2, workflow.Action.RESPOND, at("2026-09-25T02:00"))
    d3, k3 = filed(settings, "DISHUB", at("2026-11-02T02:00"), "Halte bus rusak parah di Jl. Yos")
    staff(settings, d3, workflow.Action.RESPOND, at("2026-11-03T02:00"))
    staff(settings, d3, workflow.Action.RESOLVE, at("2026-11-04T02:00"))
    reason = "Haltenya masih rusak, belum diperbaiki."
    reporter.reopen(settings, d3, reporter.KeyProof(k3), reason, now=at("2026-11-05T02:00"))
    staff(settings, d3, workflow.Action.RESOLVE, at("2026-11-06T02:00"))
    reporter.rate(settings, d3, reporter.KeyProof(k3), 2, "Lambat.", now=at("2026-11-07T02:00"))
    filed(settings, "DISHUB", at("2026-11-20T02:00"), "Lampu jalan padam di Jl. Tjilik Riwut")
    d5, _ = filed(
        settings, "DISHUB", at("2026-10-01T02:00"), SECRET["text"], title=SECRET["title"],
        name=SECRET["name"], email=SECRET["email"], confidential=True,
    )  # fmt: skip
    p1, kp = filed(settings, "PUPR", at("2026-02-03T01:00"), "Jalan berlubang besar di km 12")
    staff(settings, p1, workflow.Action.RESPOND, at("2026-02-03T13:00"))
    staff(settings, p1, workflow.Action.RESOLVE, at("2026-02-05T01:00"))
    reporter.rate(settings, p1, reporter.KeyProof(kp), 5, "Cepat.", now=at("2026-02-06T01:00"))
    filed(settings, "PUPR", at("2026-05-31T18:30"), "Jembatan kayu di desa retak dan miring")
    filed(settings, "PUPR", at("2025-12-20T02:00"), "Drainase tersumbat di jalan provinsi")
    return {"confidential": d5, "reason": reason}


def rows(body: dict) -> dict[str, dict]:
    return {row["code"]: row for row in body["agencies"]}


def months(row: dict) -> dict[str, tuple]:
    return {
        m["month"]: (m["received"], m["answered_on_time"], m["answers_due"]) for m in row["months"]
    }


# --- the figures, by hand ----------------------------------------------------------------


def test_this_years_figures_per_opd(client, scripted):
    response = client.get("/api/v1/stats/agencies")
    assert response.status_code == 200 and response.mimetype == "application/json"
    body = response.get_json()
    assert body["period"] == {
        "kind": "year",
        "year": 2026,
        "first_day": "2026-01-01",
        "last_day": "2026-11-23",
        "start": "2026-01-01T00:00:00+07:00",
        "end": "2026-11-24T00:00:00+07:00",
        "timezone": "Asia/Jakarta",
        "months": [f"2026-{m:02d}" for m in range(1, 12)],
    }
    dishub, pupr = rows(body)["DISHUB"], rows(body)["PUPR"]
    # Five received; answered on time d1, d3 of four due (d2 late, d5 overdue; d4 not due).
    assert {k: dishub[k] for k in ("received", "answered", "answered_on_time")} == {
        "received": 5, "answered": 3, "answered_on_time": 2,
    }  # fmt: skip
    assert (dishub["overdue_unanswered"], dishub["on_time_share"]) == (1, 0.5)
    assert dishub["median_days_to_answer"] == 1.0  # of 0.25, 10 and 1 days
    # Resolved d1, d3 in time; d2 is 60 days past unresolved: 2 of 3.
    assert (dishub["resolved"], dishub["resolved_on_time"], dishub["overdue_unresolved"]) == (
        2, 2, 1,
    )  # fmt: skip
    assert dishub["on_time_resolution_share"] == 0.6667
    assert (dishub["reopened"], dishub["reopen_share"]) == (1, 0.5)
    assert (dishub["ratings"], dishub["mean_rating"]) == (2, 3.0)
    # 100 × (0,5 × 1/2 + 0,3 × 2/3 + 0,2 × (3 − 1)/4) = 55,0
    assert (dishub["score"], dishub["zone"]) == (55.0, "kuning")
    assert months(dishub) == {
        **{f"2026-{m:02d}": (0, 0, 0) for m in range(1, 12)},
        "2026-03": (1, 1, 1),
        "2026-09": (1, 0, 1),
        "2026-10": (1, 0, 1),
        "2026-11": (2, 1, 1),
    }
    share = {m["month"]: m["on_time_share"] for m in dishub["months"]}
    assert (share["2026-11"], share["2026-09"], share["2026-01"]) == (1.0, 0.0, None)
    # PUPR: p1 on time, p3 overdue; p3 was received on 1 June in WIB (31 May in UTC).
    assert (pupr["received"], pupr["on_time_share"], pupr["median_days_to_answer"]) == (2, 0.5, 0.5)
    assert (pupr["on_time_resolution_share"], pupr["reopen_share"], pupr["mean_rating"]) == (
        0.5, 0.0, 5.0,
    )  # fmt: skip
    assert (pupr["score"], pupr["zone"]) == (60.0, "kuning")  # 100 × (0,25 + 0,15 + 0,2)
    assert months(pupr)["2026-02"] == (1, 1, 1)
    assert months(pupr)["2026-05"] == (0, 0, 0) and months(pupr)["2026-06"] == (1, 0, 1)
    assert [r["code"] for r in body["agencies"][:2]] == ["PUPR", "DISHUB"]  # best score first


def test_the_last_90_days_count_only_what_was_received_in_them(client, scripted):
    body = client.get("/api/v1/stats/agencies?period=90d").get_json()
    assert body["period"]["kind"] == "90d" and body["period"]["year"] is None
    assert (body["period"]["first_day"], body["period"]["last_day"]) == ("2026-08-26", "2026-11-23")
    assert body["period"]["months"] == ["2026-08", "2026-09", "2026-10", "2026-11"]
    dishub, pupr = rows(body)["DISHUB"], rows(body)["PUPR"]
    # d2, d3, d4, d5: on time d3 of d2, d3, d5; answers after 10 and 1 days.
    assert (dishub["received"], dishub["on_time_share"], dishub["median_days_to_answer"]) == (
        4, 0.3333, 5.5,
    )  # fmt: skip
    assert (dishub["on_time_resolution_share"], dishub["reopen_share"]) == (0.5, 1.0)
    assert (dishub["ratings"], dishub["mean_rating"]) == (1, 2.0)
    # 100 × (0,5 × 1/3 + 0,3 × 1/2 + 0,2 × 1/4) = 36,7
    assert (dishub["score"], dishub["zone"]) == (36.7, "merah")
    assert months(dishub) == {
        "2026-08": (0, 0, 0), "2026-09": (1, 0, 1), "2026-10": (1, 0, 1), "2026-11": (2, 1, 1),
    }  # fmt: skip
    assert (pupr["received"], pupr["score"], pupr["zone"]) == (0, None, None)
    assert all(m["received"] == 0 for m in pupr["months"])


def test_a_past_year_is_the_whole_calendar_year(client, scripted):
    body = client.get("/api/v1/stats/agencies?period=year&year=2025").get_json()
    assert (body["period"]["first_day"], body["period"]["last_day"]) == ("2025-01-01", "2025-12-31")
    assert len(body["period"]["months"]) == 12
    pupr = rows(body)["PUPR"]
    assert (pupr["received"], pupr["on_time_share"], pupr["score"], pupr["zone"]) == (
        1, 0.0, 0.0, "merah",
    )  # fmt: skip
    assert months(pupr)["2025-12"] == (1, 0, 1)
    assert rows(body)["DISHUB"]["received"] == 0


def test_the_json_explains_itself_and_links_the_page_and_the_csv(client, scripted):
    body = client.get("/api/v1/stats/agencies?period=90d").get_json()
    assert "Skor = 100 × (0,5 × tanggapan tepat waktu" in body["formula"]["text"]
    assert body["formula"]["weights"] == {
        "on_time_answers": 0.5, "on_time_resolutions": 0.3, "rating": 0.2,
    }  # fmt: skip
    assert [b["zone"] for b in body["formula"]["zones"]] == ["hijau", "kuning", "merah"]
    assert set(body["definitions"]) >= {"on_time_share", "median_days_to_answer", "reopen_share"}
    assert body["links"] == {
        "page": "/kinerja?periode=90hari",
        "json": "/api/v1/stats/agencies?period=90d",
        "csv": "/api/v1/stats/agencies?period=90d&format=csv",
        "csv_months": "/api/v1/stats/agencies?period=90d&format=csv&by=month",
    }
    assert datetime.fromisoformat(body["generated_at"]) == NOW
    english = client.get("/api/v1/stats/agencies", headers={"Accept-Language": "en"}).get_json()
    assert english["formula"]["text"].startswith("Score = 100 ×")
    assert "calendar days" in english["definitions"]["median_days_to_answer"]


def test_only_own_active_opds_are_listed(client, settings, scripted):
    with Session(db.engine_for(settings.database_url)) as session:
        session.exec(sa.update(Agency).where(Agency.code == "DISPORA").values(active=False))
        session.commit()
        own = {
            a.code
            for a in session.exec(
                select(Agency).where(Agency.active, Agency.kind != AgencyKind.EXTERNAL)
            )
        }
        outside = {a.code for a in session.exec(select(Agency).where(Agency.kind == "external"))}
    codes = set(rows(client.get("/api/v1/stats/agencies").get_json()))
    assert codes == own and "DISPORA" not in codes and not codes & outside


# --- CSV ---------------------------------------------------------------------------------


def read_csv(response) -> list[dict]:
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    return list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8"))))


def test_the_csv_has_a_header_row_and_the_same_numbers(client, scripted):
    table = read_csv(client.get("/api/v1/stats/agencies?format=csv"))
    assert list(table[0])[:6] == ["period", "first_day", "last_day", "code", "name", "received"]
    dishub = next(r for r in table if r["code"] == "DISHUB")
    assert (dishub["period"], dishub["first_day"], dishub["last_day"]) == (
        "2026", "2026-01-01", "2026-11-23",
    )  # fmt: skip
    assert dishub["name"] == "Dinas Perhubungan Provinsi Kalimantan Tengah"
    assert (dishub["received"], dishub["on_time_share"], dishub["median_days_to_answer"]) == (
        "5", "0.5", "1.0",
    )  # fmt: skip
    assert (dishub["reopen_share"], dishub["mean_rating"], dishub["score"], dishub["zone"]) == (
        "0.5", "3.0", "55.0", "kuning",
    )  # fmt: skip
    pupr_90 = next(r for r in read_csv(client.get(
        "/api/v1/stats/agencies?period=90d", headers={"Accept": "text/csv"}
    )) if r["code"] == "PUPR")  # fmt: skip
    assert (pupr_90["period"], pupr_90["received"], pupr_90["score"]) == ("90d", "0", "")
    by_month = read_csv(client.get("/api/v1/stats/agencies?format=csv&by=month&period=90d"))
    assert list(by_month[0]) == [
        "period", "first_day", "last_day", "code", "month", "received", "answered_on_time",
        "answers_due", "on_time_share",
    ]  # fmt: skip
    dishub_months = {r["month"]: r for r in by_month if r["code"] == "DISHUB"}
    assert list(dishub_months) == ["2026-08", "2026-09", "2026-10", "2026-11"]
    assert (dishub_months["2026-11"]["received"], dishub_months["2026-11"]["on_time_share"]) == (
        "2", "1.0",
    )  # fmt: skip
    assert dishub_months["2026-08"]["on_time_share"] == ""


# --- the page ----------------------------------------------------------------------------


def section(page: str, start: str, end: str) -> str:
    begin = page.index(start)
    return page[begin : page.index(end, begin)]


def cell(row: str, name: str) -> str:
    return re.search(rf'class="{name}">(.*?)</td>', row).group(1)


def test_the_page_shows_the_years_figures_and_a_chart_per_opd(client, scripted):
    response = client.get("/kinerja")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    row = section(page, '<tr data-opd="DISHUB">', "</tr>")
    assert [cell(row, c) for c in ("received", "on-time", "median", "resolution", "reopen")] == [
        "5", "50%", "1,0", "67%", "50%",
    ]  # fmt: skip
    assert cell(row, "rating").startswith("3,00") and cell(row, "score") == "55,0"
    assert 'zone-kuning">kuning<' in row and 'href="#opd-DISHUB"' in row
    assert "1 Januari 2026 sampai 23 November 2026" in page
    card = section(page, 'id="opd-DISHUB"', "</article>")
    assert card.count("<svg") == 1 and card.count('class="bar"') == 11
    assert 'role="img"' in card and "<title" in card
    assert '<polyline class="line"' in card and 'class="dot"' in card
    november = section(card, 'data-month="2026-11"', "</tr>")
    assert "November 2026" in november and "<td>2</td>" in november and "100%" in november
    assert ">Mar</text>" in card and ">Nov</text>" in card  # a month under each bar
    assert 'id="opd-PUPR"' in page and 'id="opd-DINKES"' not in page  # charts: OPDs with any
    assert "Dinas Kesehatan" in section(page, 'id="quiet"', "</details>")
    assert "Skor = 100 × (0,5 × tanggapan tepat waktu" in section(
        page, 'id="formula"', "</section>"
    )
    assert 'href="/static/kinerja.css"' in page and "<script" not in page and "style=" not in page


def test_the_page_and_the_data_link_to_each_other(client, scripted):
    page = client.get("/kinerja?periode=90hari").get_data(as_text=True)
    links = section(page, 'id="data-links"', "</p>")
    for href in re.findall(r'href="([^"]+)"', links):
        response = client.get(href.replace("&amp;", "&"))
        assert response.status_code == 200 and "period=90d" in href
    assert 'aria-current="page">90 hari terakhir<' in page
    row = section(page, '<tr data-opd="DISHUB">', "</tr>")
    assert cell(row, "received") == "4" and cell(row, "score") == "36,7"
    assert 'id="opd-PUPR"' not in page  # nothing received in these 90 days
    body = client.get("/api/v1/stats/agencies?period=90d").get_json()
    assert client.get(body["links"]["page"]).status_code == 200
    home = client.get("/").get_data(as_text=True)
    assert home.count('href="/kinerja"') == 2  # the menu and the home page's card
    assert 'href="/kinerja"' in client.get("/lacak").get_data(as_text=True)


def test_the_page_in_english(client, scripted):
    page = client.get("/kinerja?lang=en").get_data(as_text=True)
    row = section(page, '<tr data-opd="DISHUB">', "</tr>")
    assert cell(row, "median") == "1.0" and cell(row, "score") == "55.0"
    assert 'zone-kuning">yellow<' in row
    assert "Agency performance" in page and "January 1, 2026" not in page
    assert "1 January 2026" in page and ">Nov</text>" in page
    assert "Score = 100 ×" in page


def test_no_private_content_is_shown_or_exported(client, scripted):
    code = scripted["confidential"]
    answers = [
        client.get("/kinerja").get_data(as_text=True),
        client.get("/kinerja?periode=90hari").get_data(as_text=True),
        client.get("/api/v1/stats/agencies").get_data(as_text=True),
        client.get("/api/v1/stats/agencies?period=90d&format=csv").get_data(as_text=True),
        client.get("/api/v1/stats/agencies?format=csv&by=month").get_data(as_text=True),
    ]
    for text in answers:
        for secret in (*SECRET.values(), code, code[:5], scripted["reason"], "Lambat."):
            assert secret not in text
    keys = set(client.get("/api/v1/stats/agencies").get_json()["agencies"][0])
    assert not keys & {"title", "text", "tracking_code", "reporter", "name_of_reporter", "comment"}


# --- bad requests --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("period=week", "period", "Periode tidak dikenal: gunakan year atau 90d."),
        ("period=year&year=abcd", "year", "Tahun harus empat angka antara 2000 dan 2026."),
        ("year=1999", "year", "Tahun harus empat angka antara 2000 dan 2026."),
        ("year=2027", "year", "Tahun harus empat angka antara 2000 dan 2026."),
        ("year=%C2%B2026", "year", "Tahun harus empat angka"),
        ("period=90d&year=2026", "year", "Tahun hanya dipakai untuk periode tahunan"),
        ("format=xml", "format", "format harus json atau csv."),
        ("format=csv&by=day", "by", "by harus agency atau month."),
        ("by=month", "by", "by hanya untuk CSV"),
    ],
)
def test_bad_parameters_are_a_400_naming_the_parameter(client, query, field, message):
    response = client.get(f"/api/v1/stats/agencies?{query}")
    assert response.status_code == 400 and response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert error["code"] == "validation_failed" and message in error["fields"][field]


def test_bad_parameters_in_english(client):
    response = client.get("/api/v1/stats/agencies?period=week", headers={"Accept-Language": "en"})
    error = response.get_json()["error"]
    assert response.status_code == 400
    assert error["fields"]["period"] == "Unknown period: use year or 90d."
    assert "not valid" in error["message"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("periode=minggu", "Periode tidak dikenal: gunakan tahun atau 90hari."),
        ("tahun=20x6", "Tahun harus empat angka antara 2000 dan 2026."),
        ("periode=90hari&tahun=2025", "Tahun hanya dipakai untuk periode tahunan"),
    ],
)
def test_the_page_says_what_is_wrong_with_its_query(client, scripted, query, message):
    response = client.get(f"/kinerja?{query}")
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and 'class="alert" role="alert"' in page
    assert message in page and 'id="kinerja-table"' in page  # and still the default figures


# --- cheap to ask for ----------------------------------------------------------------------


def test_the_figures_are_cached_for_a_minute(app, settings, scripted):
    app.config["LAPOR_STATS_CACHE_SECONDS"] = 60
    client = app.test_client()
    first = rows(client.get("/api/v1/stats/agencies").get_json())["DISHUB"]["received"]
    filed(settings, "DISHUB", at("2026-11-23T01:00"), "Lampu taman kota mati semua sejak kemarin")
    assert rows(client.get("/api/v1/stats/agencies").get_json())["DISHUB"]["received"] == first
    page = client.get("/kinerja").get_data(as_text=True)
    assert cell(section(page, '<tr data-opd="DISHUB">', "</tr>"), "received") == str(first)
    store = redis.Redis.from_url(settings.redis_url)
    key = redis_keys.public_stats("year:2026-01-01:2026-11-24")
    assert 0 < store.ttl(key) <= 60
    store.delete(key)
    assert rows(client.get("/api/v1/stats/agencies").get_json())["DISHUB"]["received"] == first + 1
    response = client.get("/api/v1/stats/agencies")
    assert response.headers["Cache-Control"] == "public, max-age=60"
    assert response.headers["X-RateLimit-Limit"]  # and limited per address


def test_the_report_reads_a_few_grouped_queries_however_many_opds_and_months(settings, scripted):
    statements = []
    engine = db.engine_for(settings.database_url)

    def count(*_):
        statements.append(1)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        with Session(engine) as session:
            period = compliance.year_period(2026, NOW, settings.tz)
            report = compliance.public_report(session, period, NOW)
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert len(report["agencies"]) > 50 and len(report["period"]["months"]) == 11
    assert len(statements) <= 5  # the OPDs (twice), figures, months (+ medians on SQLite)


def test_a_complaint_reopened_and_not_yet_resolved_again_counts_as_reopened(settings):
    code, key = filed(settings, "DISHUB", at("2026-11-02T02:00"), "Halte bus rusak di Jl. Yos")
    staff(settings, code, workflow.Action.RESPOND, at("2026-11-02T05:00"))
    staff(settings, code, workflow.Action.RESOLVE, at("2026-11-03T02:00"))
    reopened = at("2026-11-04T02:00")
    reporter.reopen(settings, code, reporter.KeyProof(key), "Belum beres.", now=reopened)
    with Session(db.engine_for(settings.database_url)) as session:
        (row,) = compliance.agency_stats(
            session, NOW - timedelta(days=60), NOW, NOW, agency_code="DISHUB"
        )
    assert (row.resolved, row.reopened, row.reopen_rate) == (0, 1, 1.0)


def test_the_api_document_describes_the_statistics(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/stats/agencies"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"period", "year", "format", "by"}
    assert set(operation["responses"]["200"]["content"]) == {"application/json", "text/csv"}
