"""The supervisor's dashboard at ticketing grade (issue 17, point 6) and every staff member's
own password (point 7): one zone rule in table, chart and legend; an OPD leads to its queue
and to its reporters' ratings and reopen reasons; the escalation list acts; passwords."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from lapor import create_app
from lapor.domain import workflow
from lapor.domain.intake import Submission
from lapor.infra import db
from lapor.services import accounts, compliance, reporter
from lapor.services.filing import file_complaint
from models import Agency, Complaint, ComplaintEvent, Role

from support import STAFF_PASSWORD, act_on, route_to, signed_in

PASSWORD = STAFF_PASSWORD
NEW_PASSWORD = "sandi-baru-yang-panjang"
NOW = datetime.now(UTC)
STAFF = workflow.Actor.staff(None)
USERS = {
    "dishub": (Role.OFFICER, "DISHUB"),
    "super": (Role.SUPERVISOR, None),
}


@pytest.fixture
def app(settings):
    app = create_app(settings)
    app.config.update(TESTING=True, WTF_CSRF_ENABLED=False)
    return app


@pytest.fixture
def staff_ids(settings) -> dict[str, int]:
    ids = {}
    with Session(db.engine_for(settings.database_url)) as session:
        for name, (role, agency) in USERS.items():
            user = accounts.create_user(
                session, username=name, password=PASSWORD, role=role, agency_code=agency, now=NOW
            )
            ids[name] = user.id
        session.commit()
    return ids


def filed(settings, text: str, agency: str, when: datetime = NOW) -> tuple[str, str]:
    """A complaint routed to an OPD: (tracking code, reporter key)."""
    result = file_complaint(settings, Submission(text=text, email="warga@example.id"), now=when)
    route_to(settings, result.complaint.tracking_code, agency, when)
    return result.complaint.tracking_code, result.reporter_key


def answered(settings, code: str, when: datetime) -> None:
    act_on(settings, code, workflow.Action.RESPOND, actor=STAFF, now=when, note="Kami tangani.")


def section(page: str, start: str, end: str) -> str:
    """The part of a page from the first `start` to the next `end` after it."""
    begin = page.index(start)
    return page[begin : page.index(end, begin)]


def events_of(settings, code: str, action: str) -> list[ComplaintEvent]:
    with Session(db.engine_for(settings.database_url)) as session:
        complaint = session.exec(select(Complaint).where(Complaint.tracking_code == code)).one()
        return list(
            session.exec(
                select(ComplaintEvent).where(
                    ComplaintEvent.complaint_id == complaint.id, ComplaintEvent.action == action
                )
            )
        )


# --- one zone rule ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "zone"),
    [
        (100.0, "hijau"),
        (80.1, "hijau"),
        (80.06, "hijau"),  # shown as 80,1
        (80.04, "kuning"),  # shown as 80,0
        (80.0, "kuning"),
        (50.1, "kuning"),
        (50.0, "merah"),
        (0.0, "merah"),
        (None, None),
    ],
)
def test_the_zone_is_the_zone_of_the_score_as_shown(value, zone):
    assert compliance.zone(value) == zone


def test_the_legend_bands_are_the_zone_rule_for_every_score_shown():
    bands = compliance.zone_bands()
    assert [(b["zone"], b["low"], b["high"]) for b in bands] == [
        ("hijau", 80.1, 100.0),
        ("kuning", 50.1, 80.0),
        ("merah", 0.0, 50.0),
    ]
    for tenth in range(1001):
        shown = tenth / 10
        (band,) = [b["zone"] for b in bands if b["low"] <= shown <= b["high"]]
        assert band == compliance.zone(shown), shown
    assert "hijau 80,1–100" in compliance.FORMULA and "81–100" not in compliance.FORMULA


def test_a_score_on_the_bound_has_one_zone_in_table_chart_and_legend(app, settings, staff_ids):
    # DISHUB answers four of five on time: 80,0, the top of kuning. PUPR answers all: hijau.
    for i in range(5):
        code, _ = filed(settings, f"Lampu lalu lintas mati di simpang {i + 1}", "DISHUB")
        answered(settings, code, NOW if i < 4 else NOW + timedelta(days=10))
    answered(settings, filed(settings, "Jalan berlubang di Jl. Tjilik Riwut", "PUPR")[0], NOW)
    page = signed_in(app, "super").get("/petugas/dasbor").get_data(as_text=True)

    row = section(page, '<tr data-opd="DISHUB">', "</tr>")
    assert re.search(r'class="score">80,0<', row)
    assert 'class="badge zone-kuning">kuning<' in row
    chart = section(page, 'id="on-time-chart"', "</svg>")
    bar = section(chart, 'href="/petugas/?opd=DISHUB"', "</a>")
    assert 'data-zone="kuning"' in bar and ">80,0</text>" in bar
    assert 'data-zone="hijau"' in section(chart, 'href="/petugas/?opd=PUPR"', "</a>")
    legend = section(page, 'id="zone-legend"', "</ul>")
    assert re.search(r"zone-kuning\">kuning</span> 50,1–80,0", legend)
    assert re.search(r"zone-hijau\">hijau</span> 80,1–100,0", legend)
    assert "dibulatkan ke satu desimal" in page
    english = signed_in(app, "super").get("/petugas/dasbor?lang=en").get_data(as_text=True)
    assert re.search(r'class="score">80.0<', english)
    assert 'zone-kuning">yellow</span> 50.1–80.0' in english


def test_the_charts_have_axes_labels_and_a_legend(app, settings, staff_ids):
    answered(settings, filed(settings, "Lampu jalan mati di Jl. Obos", "DISHUB")[0], NOW)
    page = signed_in(app, "super").get("/petugas/dasbor").get_data(as_text=True)
    trend = section(page, 'id="trend-chart"', "</figure>")
    for text in ("Jumlah pengaduan", "Tepat waktu (%)", "Minggu", ">100%<", ">0<"):
        assert text in trend, text
    assert 'class="legend"' in trend and "sumbu kiri" in trend and "sumbu kanan" in trend
    scores = section(page, 'id="on-time-chart"', "</svg>")
    assert "Skor kepatuhan (0–100)" in scores and 'class="bound"' in scores
    assert all(f">{tick}</text>" in scores for tick in (0, 20, 40, 60, 80, 100))


# --- an OPD leads to its queue and to what its reporters said ---------------------------


def test_an_opd_in_the_table_and_the_chart_opens_its_queue(app, settings, staff_ids):
    answered(settings, filed(settings, "Lampu lalu lintas mati", "DISHUB")[0], NOW)
    client = signed_in(app, "super")
    page = client.get("/petugas/dasbor").get_data(as_text=True)
    row = section(page, '<tr data-opd="DISHUB">', "</tr>")
    assert 'href="/petugas/?opd=DISHUB"' in row
    assert 'href="/petugas/?opd=DISHUB"' in section(page, 'id="on-time-chart"', "</svg>")
    assert client.get("/petugas/?opd=DISHUB").status_code == 200
    detail = re.search(r'href="(/petugas/dasbor/opd/DISHUB[^"]*)"', row).group(1)
    assert client.get(detail.replace("&amp;", "&")).status_code == 200


@pytest.fixture
def voices(settings):
    """A DISHUB complaint reopened once, then rated 2; a PUPR complaint rated 5."""
    code, key = filed(settings, "Lampu lalu lintas mati di simpang Jl. Diponegoro", "DISHUB")
    answered(settings, code, NOW)
    act_on(settings, code, workflow.Action.RESOLVE, actor=STAFF, now=NOW, note="Sudah diganti.")
    reason = "Lampunya mati lagi keesokan harinya, belum diperbaiki."
    reporter.reopen(settings, code, reporter.KeyProof(key), reason, now=NOW)
    act_on(settings, code, workflow.Action.RESOLVE, actor=STAFF, now=NOW, note="Kabel diganti.")
    comment = "Lambat, dua kali baru beres."
    reporter.rate(settings, code, reporter.KeyProof(key), 2, comment, now=NOW)
    other, other_key = filed(settings, "Jalan berlubang di km 12", "PUPR")
    answered(settings, other, NOW)
    act_on(settings, other, workflow.Action.RESOLVE, actor=STAFF, now=NOW, note="Ditambal.")
    reporter.rate(settings, other, reporter.KeyProof(other_key), 5, "Cepat sekali, PUPR.", now=NOW)
    return {"code": code, "reason": reason, "comment": comment, "other": other}


def test_each_opd_shows_its_ratings_and_reopen_reasons(app, settings, staff_ids, voices):
    client = signed_in(app, "super")
    page = client.get("/petugas/dasbor/opd/dishub").get_data(as_text=True)
    ratings = section(page, 'id="ratings"', "</table>")
    assert voices["comment"] in ratings and ">2/5<" in ratings
    assert voices["code"][:5] in ratings
    assert "Cepat sekali, PUPR." not in page and voices["other"][:5] not in page
    reasons = section(page, 'id="reopen-reasons"', "</table>")
    assert voices["reason"] in reasons and voices["code"][:5] in reasons
    assert 'href="/petugas/?opd=DISHUB"' in page
    pupr = client.get("/petugas/dasbor/opd/PUPR").get_data(as_text=True)
    assert "Cepat sekali, PUPR." in pupr and voices["comment"] not in pupr
    assert 'id="reopen-reasons"' not in pupr
    later = (NOW + timedelta(days=30)).date().isoformat()
    outside = client.get(f"/petugas/dasbor/opd/DISHUB?dari={later}&sampai={later}")
    assert outside.status_code == 200 and voices["comment"] not in outside.get_data(as_text=True)
    assert client.get("/petugas/dasbor/opd/TIDAKADA").status_code == 404
    assert signed_in(app, "dishub").get("/petugas/dasbor/opd/DISHUB").status_code == 403


def test_the_per_opd_lists_come_from_the_dashboards_population(settings, voices):
    start, end = NOW - timedelta(days=1), NOW + timedelta(days=1)
    with Session(db.engine_for(settings.database_url)) as session:
        ratings = compliance.ratings(session, "DISHUB", start, end)
        reasons = compliance.reopen_reasons(session, "dishub", start, end)
        (row,) = compliance.agency_stats(session, start, end, NOW, "DISHUB")
        before = compliance.ratings(session, "DISHUB", start - timedelta(days=5), start)
    assert [(r.tracking_code, r.rating, r.text) for r in ratings] == [
        (voices["code"], 2, voices["comment"])
    ]
    assert [(r.tracking_code, r.text) for r in reasons] == [(voices["code"], voices["reason"])]
    assert (row.ratings, row.rating, row.reopened) == (1, 2.0, 1)  # the same complaints
    assert before == []


def test_staff_view_carries_the_rating_and_the_reopen_reasons(settings, voices):
    from lapor.services import views

    with Session(db.engine_for(settings.database_url)) as session:
        rated = session.exec(select(Complaint).where(Complaint.tracking_code == voices["code"]))
        view = views.staff_view(session, rated.one(), "none")
        fresh = file_complaint(settings, Submission(text="Sampah menumpuk di pasar"), now=NOW)
        plain = views.staff_view(session, session.get(Complaint, fresh.complaint.id), "none")
    assert view["feedback"]["rating"] == 2 and view["feedback"]["comment"] == voices["comment"]
    assert datetime.fromisoformat(view["feedback"]["at"])
    assert [r["note"] for r in view["reopen_reasons"]] == [voices["reason"]]
    assert datetime.fromisoformat(view["reopen_reasons"][0]["at"])
    assert plain["feedback"] is None and plain["reopen_reasons"] == []


# --- acting from the escalation list ----------------------------------------------------


@pytest.fixture
def escalated(settings) -> str:
    code, _ = filed(settings, "Lampu lalu lintas mati sejak seminggu di simpang empat", "DISHUB")
    act_on(settings, code, workflow.Action.ESCALATE, actor=workflow.Actor.system(), now=NOW)
    return code


def test_the_escalation_list_offers_the_supervisors_actions(app, staff_ids, escalated):
    page = signed_in(app, "super").get("/petugas/dasbor?opd=DISHUB").get_data(as_text=True)
    table = section(page, 'id="escalations"', "</table>")
    assert f'action="/petugas/pengaduan/{escalated}/tindakan"' in table
    back = re.search(r'name="next" value="([^"]+)"', table).group(1).replace("&amp;", "&")
    assert back.startswith("/petugas/dasbor?") and "opd=DISHUB" in back
    for action in ("transfer", "note", "escalate"):
        assert f'name="action" value="{action}"' in table
    for text in ("Alihkan ke OPD lain", "Catatan internal", "Eskalasi lebih lanjut"):
        assert text in table
    choices = section(table, f'id="agency-{escalated}"', "</select>")
    assert '<option value="PUPR">' in choices and '<option value="DISHUB">' not in choices


def test_a_supervisor_notes_transfers_and_escalates_from_the_dashboard(
    app, settings, staff_ids, escalated
):
    client = signed_in(app, "super")
    path = f"/petugas/pengaduan/{escalated}/tindakan"
    back = "/petugas/dasbor?opd=DISHUB#escalations"
    note = client.post(
        path, data={"action": "note", "note": "Mohon dijawab hari ini.", "next": back}
    )
    assert note.status_code == 303 and note.headers["Location"] == back
    (written,) = events_of(settings, escalated, "note")
    assert (written.actor_user_id, written.public) == (staff_ids["super"], False)
    assert written.note == "Mohon dijawab hari ini."

    further = client.post(path, data={"action": "escalate", "next": back})
    assert further.status_code == 303 and further.headers["Location"] == back
    assert [e.actor_user_id for e in events_of(settings, escalated, "escalate")] == [
        None,
        staff_ids["super"],
    ]

    missing = client.post(path, data={"action": "transfer", "note": "Urusan jalan", "next": back})
    assert missing.status_code == 422 and "OPD tujuan wajib dipilih" in missing.text
    moved = client.post(
        path, data={"action": "transfer", "agency": "PUPR", "note": "Urusan jalan", "next": back}
    )
    assert moved.status_code == 303 and moved.headers["Location"] == back
    (transfer,) = events_of(settings, escalated, "transfer")
    assert transfer.actor_user_id == staff_ids["super"] and transfer.data["agency"] == "PUPR"
    with Session(db.engine_for(settings.database_url)) as session:
        complaint = session.exec(select(Complaint).where(Complaint.tracking_code == escalated))
        pupr = session.exec(select(Agency).where(Agency.code == "PUPR")).one()
        assert complaint.one().agency_id == pupr.id


@pytest.mark.parametrize(
    "target", ["https://evil.example/petugas/", "//evil.example/petugas", "/lacak", "/\\evil"]
)
def test_the_return_address_is_only_a_console_page(app, staff_ids, escalated, target):
    client = signed_in(app, "super")
    response = client.post(
        f"/petugas/pengaduan/{escalated}/tindakan",
        data={"action": "note", "note": "Cek lagi.", "next": target},
    )
    assert response.status_code == 303
    assert response.headers["Location"] == f"/petugas/pengaduan/{escalated}"


def test_an_officer_neither_opens_the_dashboard_nor_escalates(app, settings, staff_ids, escalated):
    officer = signed_in(app, "dishub")
    assert officer.get("/petugas/dasbor").status_code == 403
    refused = officer.post(
        f"/petugas/pengaduan/{escalated}/tindakan",
        data={"action": "escalate", "next": "/petugas/dasbor"},
    )
    assert refused.status_code == 422
    assert [e.actor_user_id for e in events_of(settings, escalated, "escalate")] == [None]


# --- one's own password -----------------------------------------------------------------


def change(client, current: str, new: str, repeat: str | None = None):
    return client.post(
        "/akun/sandi",
        data={"current": current, "new": new, "repeat": new if repeat is None else repeat},
    )


def test_staff_change_their_own_password_and_other_sessions_end(app, staff_ids):
    client = signed_in(app, "dishub")
    elsewhere = signed_in(app, "dishub")  # the same account on another device
    page = client.get("/akun/sandi").get_data(as_text=True)
    assert 'href="/akun/sandi"' in page and 'id="password-form"' in page
    changed = change(client, PASSWORD, NEW_PASSWORD)
    assert changed.status_code == 303
    assert "sudah diganti" in client.get(changed.headers["Location"]).get_data(as_text=True)
    assert client.get("/petugas/").status_code == 200  # this session carries on
    assert elsewhere.get("/petugas/").status_code == 302  # the other one signs in again
    old = app.test_client().post("/masuk", data={"username": "dishub", "password": PASSWORD})
    assert old.status_code == 401
    signed_in(app, "dishub", NEW_PASSWORD)


@pytest.mark.parametrize(
    ("current", "new", "repeat", "message"),
    [
        ("salah-sekali-ini", NEW_PASSWORD, None, "Kata sandi saat ini salah"),
        (PASSWORD, "pendek", None, "minimal 10 karakter"),
        (PASSWORD, NEW_PASSWORD, "sandi-lain-yang-panjang", "Ulangan kata sandi baru tidak sama"),
        (PASSWORD, PASSWORD, None, "harus berbeda"),
        (PASSWORD, "", None, "Isi ketiga kolom"),
    ],
)
def test_a_refused_password_change_changes_nothing(app, staff_ids, current, new, repeat, message):
    client = signed_in(app, "dishub")
    refused = change(client, current, new, repeat)
    assert refused.status_code == 422
    assert message in refused.get_data(as_text=True)
    assert client.get("/petugas/").status_code == 200
    signed_in(app, "dishub", PASSWORD)  # the old password still works


def test_guessing_the_current_password_locks_like_signing_in(app, staff_ids):
    client = signed_in(app, "dishub")
    for _ in range(5):
        assert change(client, "tebakan-yang-salah", NEW_PASSWORD).status_code == 422
    assert change(client, PASSWORD, NEW_PASSWORD).status_code == 429
    locked = app.test_client().post("/masuk", data={"username": "dishub", "password": PASSWORD})
    assert locked.status_code == 429


def test_the_password_page_needs_a_csrf_token_and_a_sign_in(settings, staff_ids):
    app = create_app(settings)
    app.config.update(TESTING=True)
    assert app.test_client().get("/akun/sandi").status_code == 302
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/masuk").text).group(1)
    client.post("/masuk", data={"username": "super", "password": PASSWORD, "csrf_token": token})
    assert change(client, PASSWORD, NEW_PASSWORD).status_code == 400
    form = client.get("/akun/sandi?lang=en").get_data(as_text=True)
    assert "Current password" in form and "Save the new password" in form
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    data = {"current": PASSWORD, "new": NEW_PASSWORD, "repeat": NEW_PASSWORD, "csrf_token": token}
    assert client.post("/akun/sandi", data=data).status_code == 303
