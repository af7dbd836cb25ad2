"""The staff console and API: who may see and do what (a matrix of role × page/endpoint ×
own/other OPD), the audit trail, CSRF, lockout, and the compliance formula."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from lapor import create_app
from lapor.domain import workflow
from lapor.domain.intake import Submission
from lapor.infra import db
from lapor.services import accounts, compliance
from lapor.services import effects as casework
from lapor.services.filing import file_complaint
from models import Agency, Complaint, ComplaintEvent, Role, RoutingExample

from support import act_on, route_to

PASSWORD = "kata-sandi-panjang"
NOW = datetime.now(UTC)
USERS = {
    "dishub": (Role.OFFICER, "DISHUB"),
    "pupr": (Role.OFFICER, "PUPR"),
    "verif": (Role.VERIFIER, None),
    "super": (Role.SUPERVISOR, None),
    "admin": (Role.ADMIN, None),
}


@pytest.fixture
def world(settings):
    """Staff of every role with API tokens, and three complaints: one at DISHUB (anonymous),
    one at PUPR, one waiting for verification."""
    tokens, ids = {}, {}
    with Session(db.engine_for(settings.database_url)) as session:
        for name, (role, agency) in USERS.items():
            user = accounts.create_user(
                session, username=name, password=PASSWORD, role=role, agency_code=agency, now=NOW
            )
            ids[name] = user.id
            tokens[name] = accounts.create_token(session, name, now=NOW)
        session.commit()
    codes = {
        "dishub": _file(settings, "Lampu lalu lintas mati di simpang empat", "DISHUB", True),
        "pupr": _file(settings, "Jalan berlubang di Jl. RTA Milono km 3", "PUPR"),
        "triage": _file(settings, "Ada masalah dengan pelayanan di kantor", None),
    }
    return {"tokens": tokens, "ids": ids, "codes": codes}


def _file(settings, text: str, agency: str | None, anonymous: bool = False) -> str:
    submission = Submission(
        text=text, name="Budi Santoso", email="budi@example.id", anonymous=anonymous
    )
    code = file_complaint(settings, submission, now=NOW).complaint.tracking_code
    if agency:
        route_to(settings, code, agency, NOW)
    return code


@pytest.fixture
def app(settings):
    app = create_app(settings)
    app.config.update(TESTING=True, WTF_CSRF_ENABLED=False)
    return app


def sign_in(client, name: str):
    response = client.post("/masuk", data={"username": name, "password": PASSWORD})
    assert response.status_code == 303, response.get_data(as_text=True)


def api(client, world, name, method, path, **kw):
    headers = {"Authorization": f"Bearer {world['tokens'][name]}"}
    return client.open(f"/api/v1/staff{path}", method=method, headers=headers, **kw)


# --- who sees what --------------------------------------------------------------------

SEE = {
    # user: (dishub complaint, pupr complaint, dashboard)
    "dishub": (200, 404, 403),
    "pupr": (404, 200, 403),
    "verif": (200, 200, 403),
    "super": (200, 200, 200),
    "admin": (200, 200, 200),
}


@pytest.mark.parametrize("name", list(SEE))
def test_each_role_sees_what_it_may_in_pages_and_api(app, world, name):
    client = app.test_client()
    sign_in(client, name)
    own, other, dashboard = SEE[name]
    codes = world["codes"]
    assert client.get("/petugas/").status_code == 200
    assert client.get(f"/petugas/pengaduan/{codes['dishub']}").status_code == own
    assert client.get(f"/petugas/pengaduan/{codes['pupr']}").status_code == other
    assert client.get("/petugas/dasbor").status_code == dashboard
    assert client.get("/admin/antrean").status_code == (200 if name == "admin" else 403)
    api_client = app.test_client()
    assert api(api_client, world, name, "GET", f"/complaints/{codes['dishub']}").status_code == own
    assert api(api_client, world, name, "GET", f"/complaints/{codes['pupr']}").status_code == other
    listed = api(api_client, world, name, "GET", "/complaints").get_json()["complaints"]
    listed_codes = {c["tracking_code"].replace("-", "") for c in listed}
    assert (codes["dishub"] in listed_codes) == (own == 200)
    assert (codes["pupr"] in listed_codes) == (other == 200)


def test_strangers_are_sent_to_sign_in_and_the_api_wants_a_token(app, world):
    client = app.test_client()
    assert client.get("/petugas/").status_code == 302
    assert client.get("/petugas/dasbor").status_code == 302
    response = client.get("/api/v1/staff/complaints")
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"
    bad = client.get("/api/v1/staff/complaints", headers={"Authorization": "Bearer lpr_nope"})
    assert bad.status_code == 401


def test_an_anonymous_reporter_is_hidden_from_all_staff(app, world):
    code = world["codes"]["dishub"]
    for name in ("dishub", "super", "admin"):
        client = app.test_client()
        sign_in(client, name)
        page = client.get(f"/petugas/pengaduan/{code}").get_data(as_text=True)
        assert "Budi" not in page and "budi@example.id" not in page and "anonim" in page
        body = api(app.test_client(), world, name, "GET", f"/complaints/{code}").get_json()
        assert body["reporter"] is None and "Budi" not in str(body)
    open_page = app.test_client()
    sign_in(open_page, "pupr")
    page = open_page.get(f"/petugas/pengaduan/{world['codes']['pupr']}").get_data(as_text=True)
    assert "Budi Santoso" in page  # not anonymous: the OPD may contact the reporter


# --- who does what --------------------------------------------------------------------


def test_an_officer_answers_and_the_audit_trail_names_them(app, world, settings, client):
    code = world["codes"]["dishub"]
    response = api(
        client,
        world,
        "dishub",
        "POST",
        f"/complaints/{code}/actions",
        json={"action": "respond", "note": "Petugas kami menuju lokasi hari ini."},
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "in_progress"
    with Session(db.engine_for(settings.database_url)) as session:
        complaint = session.exec(select(Complaint).where(Complaint.tracking_code == code)).one()
        event = session.exec(
            select(ComplaintEvent)
            .where(ComplaintEvent.complaint_id == complaint.id)
            .order_by(ComplaintEvent.id.desc())
        ).first()
        assert (event.action, event.actor_user_id) == ("respond", world["ids"]["dishub"])
    public = client.get(f"/lacak/{code}").get_data(as_text=True)
    assert "Petugas kami menuju lokasi hari ini." in public


@pytest.mark.parametrize(
    ("name", "complaint", "body", "status"),
    [
        ("pupr", "dishub", {"action": "respond", "note": "x"}, 404),  # another OPD's
        ("super", "dishub", {"action": "respond", "note": "x"}, 409),  # not a supervisor's
        ("dishub", "dishub", {"action": "verify", "agency": "PUPR"}, 409),
        ("dishub", "dishub", {"action": "respond"}, 422),  # an answer needs a note
        ("dishub", "dishub", {"action": "terbang"}, 422),
        ("dishub", "dishub", {"note": "tanpa tindakan"}, 400),
        ("dishub", "dishub", {"action": "respond", "note": 5}, 400),
        ("verif", "triage", {"action": "verify", "agency": "TIDAKADA"}, 422),
        ("verif", "triage", {"action": "reject", "reason": "bosan"}, 422),
    ],
)
def test_actions_a_role_may_not_take_are_refused_in_the_api_error_shape(
    client, world, name, complaint, body, status
):
    code = world["codes"][complaint]
    response = api(client, world, name, "POST", f"/complaints/{code}/actions", json=body)
    assert response.status_code == status
    error = response.get_json()["error"]
    assert error["code"] and error["message"]


def test_a_verifier_disposes_and_it_teaches_the_model(client, world, settings):
    code = world["codes"]["triage"]
    response = api(
        client,
        world,
        "verif",
        "POST",
        f"/complaints/{code}/actions",
        json={"action": "verify", "agency": "DISDUKCAPIL"},
    )
    assert response.status_code == 200
    assert response.get_json()["agency"]["code"] == "DISDUKCAPIL"
    with Session(db.engine_for(settings.database_url)) as session:
        example = session.exec(select(RoutingExample)).one()
        assert (example.agency_code, example.source) == ("DISDUKCAPIL", "verify")


def test_an_officer_hands_a_misrouted_complaint_on_and_loses_sight_of_it(app, world, client):
    code = world["codes"]["dishub"]
    response = api(
        client,
        world,
        "dishub",
        "POST",
        f"/complaints/{code}/actions",
        json={"action": "transfer", "agency": "PUPR", "note": "Urusan jalan"},
    )
    assert response.status_code == 200
    assert api(client, world, "dishub", "GET", f"/complaints/{code}").status_code == 404
    assert api(client, world, "pupr", "GET", f"/complaints/{code}").status_code == 200


def test_the_console_form_takes_an_action_and_shows_errors_next_to_it(app, world):
    client = app.test_client()
    sign_in(client, "dishub")
    code = world["codes"]["dishub"]
    page = client.get(f"/petugas/pengaduan/{code}").get_data(as_text=True)
    assert 'value="respond"' in page and 'value="verify"' not in page
    missing = client.post(f"/petugas/pengaduan/{code}/tindakan", data={"action": "respond"})
    assert missing.status_code == 422 and "Catatan wajib diisi" in missing.get_data(as_text=True)
    done = client.post(
        f"/petugas/pengaduan/{code}/tindakan",
        data={"action": "respond", "note": "Sedang kami tangani"},
    )
    assert done.status_code == 303


def test_console_forms_need_a_csrf_token(settings, world):
    app = create_app(settings)
    app.config.update(TESTING=True)
    client = app.test_client()
    login_page = client.get("/masuk").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', login_page).group(1)
    client.post("/masuk", data={"username": "dishub", "password": PASSWORD, "csrf_token": token})
    code = world["codes"]["dishub"]
    forged = client.post(
        f"/petugas/pengaduan/{code}/tindakan", data={"action": "respond", "note": "palsu"}
    )
    assert forged.status_code == 400


def test_repeated_failed_sign_ins_lock_the_account(app, world):
    client = app.test_client()
    for _ in range(5):
        wrong = client.post("/masuk", data={"username": "admin", "password": "salah-salah-salah"})
        assert wrong.status_code == 401
    locked = client.post("/masuk", data={"username": "admin", "password": PASSWORD})
    assert locked.status_code == 429
    assert "Terlalu banyak percobaan" in locked.get_data(as_text=True)
    assert (
        app.test_client()
        .post("/masuk", data={"username": "super", "password": PASSWORD})
        .status_code
        == 303
    )  # other accounts are not affected


def test_queue_and_dashboard_export_csv(app, world):
    client = app.test_client()
    sign_in(client, "super")
    queue = client.get("/petugas/?format=csv")
    assert queue.mimetype == "text/csv"
    assert queue.get_data(as_text=True).splitlines()[0].startswith("kode,status,opd")
    board = client.get("/petugas/dasbor?format=csv")
    assert board.get_data(as_text=True).splitlines()[0].startswith("opd,nama,jumlah")
    escalations = client.get("/petugas/dasbor?format=csv&daftar=eskalasi")
    assert escalations.get_data(as_text=True).splitlines()[0] == "kode,tingkat,opd,status,tenggat"
    bad = client.get("/petugas/dasbor?dari=kemarin")
    assert bad.status_code == 400 and "Tanggal tidak valid" in bad.get_data(as_text=True)


# --- the compliance formula ----------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "resolutions", "rating", "expected", "zone"),
    [
        (1.0, 1.0, 5.0, 100.0, "hijau"),
        (0.0, 0.0, 1.0, 0.0, "merah"),
        (0.8, 0.5, 4.0, 70.0, "kuning"),  # 100 × (0.4 + 0.15 + 0.15)
        (0.9, 0.8, None, 86.2, "hijau"),  # 100 × (0.45 + 0.24) / 0.8
        (None, None, 4.5, None, None),
        (0.6, None, None, 60.0, "kuning"),
        (0.5, 0.5, 3.0, 50.0, "merah"),
    ],
)
def test_the_compliance_formula(answers, resolutions, rating, expected, zone):
    score = compliance.score(answers, resolutions, rating)
    assert score == expected
    assert compliance.zone(score) == zone


def test_agency_stats_count_what_happened(settings, world):
    code = world["codes"]["dishub"]

    def answer_late_then_resolve(session):
        complaint = session.exec(select(Complaint).where(Complaint.tracking_code == code)).one()
        later = NOW + timedelta(days=10)
        for action, note in ((workflow.Action.RESPOND, "a"), (workflow.Action.RESOLVE, "b")):
            casework.act(
                settings,
                session,
                complaint,
                action,
                actor=workflow.Actor.staff(None),
                now=later,
                change=workflow.Change(note=note),
            )

    db.run_in_transaction(settings, answer_late_then_resolve)
    with Session(db.engine_for(settings.database_url)) as session:
        stats = {
            s.code: s
            for s in compliance.agency_stats(
                session, NOW - timedelta(days=1), NOW + timedelta(days=1), NOW + timedelta(days=11)
            )
        }
    dishub, pupr = stats["DISHUB"], stats["PUPR"]
    assert (dishub.volume, dishub.answered, dishub.answered_on_time) == (1, 1, 0)
    assert dishub.on_time_answer_rate == 0.0 and dishub.resolved == 1
    assert dishub.median_answer_hours == 240.0
    assert (pupr.volume, pupr.answered, pupr.overdue_unanswered) == (1, 0, 1)
    assert pupr.score == 0.0 and pupr.zone == "merah"


def test_lapor_demo_fills_every_screen(app, settings):
    from lapor.cli import main

    runner = app.test_cli_runner()
    out = runner.invoke(main, ["demo"])
    assert out.exit_code == 0, out.output
    passwords = dict(re.findall(r"^  (demo-[a-z]+)\s+(\S+)$", out.output, flags=re.M))
    assert set(passwords) == {
        "demo-admin",
        "demo-supervisor",
        "demo-verifikator",
        "demo-dishub",
        "demo-pupr",
    }
    with Session(db.engine_for(settings.database_url)) as session:
        rows = session.exec(select(Complaint)).all()
    assert len(rows) == 52
    assert {c.status.value for c in rows} >= {
        "received",
        "routed",
        "in_progress",
        "needs_info",
        "resolved",
        "closed",
        "reopened",
        "rejected",
        "forwarded",
    }
    assert {c.escalation_level for c in rows} >= {0, 1, 2, 3}
    client = app.test_client()
    client.post(
        "/masuk", data={"username": "demo-supervisor", "password": passwords["demo-supervisor"]}
    )
    board = client.get("/petugas/dasbor").get_data(as_text=True)
    assert "DISHUB" in board and "PUPR" in board and 'id="escalations"' in board
    again = runner.invoke(main, ["demo"])
    assert again.exit_code != 0 and "sudah ada" in again.output


def test_attachments_are_downloads_for_those_who_may_see_them(app, settings, world):
    from lapor.domain.intake import Upload

    # A PDF is stored as sent (photos are decoded and written again): it may hold anything.
    polyglot = b"%PDF-1.4 <html><script>alert(1)</script></html>"
    upload = Upload("../../surat.pdf.html", polyglot)
    submission = Submission(text="Lampu jalan mati di depan rumah", uploads=[upload])
    code = file_complaint(settings, submission, now=NOW).complaint.tracking_code
    route_to(settings, code, "DISHUB", NOW)
    officer = app.test_client()
    sign_in(officer, "dishub")
    page = officer.get(f"/petugas/pengaduan/{code}").get_data(as_text=True)
    link = re.search(r'href="(/petugas/pengaduan/\w+/lampiran/\d+)"', page).group(1)
    response = officer.get(link)
    assert response.status_code == 200 and response.data == polyglot
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert "/" not in response.headers["Content-Disposition"].split("filename=")[1]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    other = app.test_client()
    sign_in(other, "pupr")
    assert other.get(link).status_code == 404
    assert officer.get(link.rsplit("/", 1)[0] + "/999999").status_code == 404
    assert app.test_client().get(link).status_code == 302  # strangers sign in first


def test_a_verifier_forwards_to_an_outside_body_and_the_reporter_is_told(client, world, settings):
    code = world["codes"]["triage"]
    with Session(db.engine_for(settings.database_url)) as session:
        pln = session.exec(select(Agency).where(Agency.kind == "external")).first()
    response = api(
        client,
        world,
        "verif",
        "POST",
        f"/complaints/{code}/actions",
        json={"action": "forward", "forwarded_to": pln.name},
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "forwarded"
    with Session(db.engine_for(settings.database_url)) as session:
        complaint = session.exec(select(Complaint).where(Complaint.tracking_code == code)).one()
        assert complaint.forwarded_to == pln.name
        example = session.exec(select(RoutingExample)).one()
        assert example.agency_code == pln.code
    page = client.get(f"/lacak/{code}").get_data(as_text=True)
    assert pln.name in page
    missing = api(
        client,
        world,
        "verif",
        "POST",
        f"/complaints/{world['codes']['pupr']}/actions",
        json={"action": "forward"},
    )
    assert missing.status_code in (409, 422)


def test_the_staff_api_refuses_a_body_of_the_wrong_shape(client, world, settings):
    code = world["codes"]["dishub"]
    path = f"/complaints/{code}/actions"
    for body, field in (({"action": 5}, "action"), ({"action": "respond", "note": ["x"]}, "note")):
        response = api(client, world, "dishub", "POST", path, json=body)
        assert response.status_code == 400
        error = response.get_json()["error"]
        assert error["code"] == "bad_request" and field in error["fields"]
    assert api(client, world, "dishub", "POST", path, data="x").status_code == 400
    with Session(db.engine_for(settings.database_url)) as session:
        complaint = session.exec(select(Complaint).where(Complaint.tracking_code == code)).one()
    assert complaint.status == "routed"  # nothing was done


# --- the inbox -----------------------------------------------------------------------------


def test_an_officer_reads_their_opds_notices_and_the_count_drops(app, world):
    officer = app.test_client()
    sign_in(officer, "dishub")
    page = officer.get("/petugas/pemberitahuan").get_data(as_text=True)
    code = world["codes"]["dishub"]
    assert "Pengaduan baru untuk" in page and f"{code[:5]}-{code[5:]}" in page
    assert world["codes"]["pupr"][:5] not in page  # another OPD's notices are not here
    assert re.search(r'id="unread-count">1<', page)
    notice_id = int(re.search(r'/petugas/pemberitahuan/(\d+)"', page).group(1))
    other = app.test_client()
    sign_in(other, "pupr")
    assert other.get(f"/petugas/pemberitahuan/{notice_id}").status_code == 404
    other.post("/petugas/pemberitahuan/baca", data={"id": str(notice_id)})
    assert 'id="unread-count">1<' in officer.get("/petugas/").get_data(as_text=True)
    opened = officer.get(f"/petugas/pemberitahuan/{notice_id}")
    assert opened.status_code == 303 and opened.headers["Location"].endswith(code)
    after = officer.get("/petugas/pemberitahuan").get_data(as_text=True)
    assert 'id="unread-count"' not in after and "Baru" not in after
    assert 'id="unread-count"' in other.get("/petugas/").get_data(as_text=True)  # their own


def test_the_staff_api_lists_and_marks_notices(client, world, settings):
    def notices(name, query=""):
        return api(client, world, name, "GET", f"/notices{query}").get_json()

    mine = notices("dishub", "?unread=1")
    assert mine["unread"] == 1 and [n["kind"] for n in mine["notices"]] == ["route"]
    theirs = notices("pupr")["notices"][0]["id"]
    marked = api(client, world, "dishub", "POST", "/notices/read", json={"ids": [theirs]})
    assert marked.get_json() == {"marked": 0, "unread": 1}
    everything = api(client, world, "dishub", "POST", "/notices/read", json={"all": True})
    assert everything.get_json() == {"marked": 1, "unread": 0}
    assert notices("dishub")["notices"][0]["read"] is True
    assert notices("pupr")["unread"] == 1  # each officer has their own read state
    bad = api(client, world, "dishub", "POST", "/notices/read", json={"ids": "1"})
    assert bad.status_code == 400 and "ids" in bad.get_json()["error"]["fields"]


def test_supervisors_get_every_escalation(client, world, settings):
    code = world["codes"]["dishub"]
    act_on(
        settings,
        code,
        workflow.Action.ESCALATE,
        actor=workflow.Actor.system(),
        now=NOW,
        agency_code="SETDA",
    )
    seen = api(client, world, "super", "GET", "/notices").get_json()
    assert seen["unread"] >= 1 and {n["kind"] for n in seen["notices"]} == {"escalate"}
    officer = api(client, world, "dishub", "GET", "/notices").get_json()
    assert {n["kind"] for n in officer["notices"]} == {"route", "escalate"}


def test_the_dashboards_opd_filter_is_a_select_and_an_unknown_code_says_so(client, world):
    sign_in(client, "super")
    page = client.get("/petugas/dasbor?opd=dishub").get_data(as_text=True)
    assert 'id="opd-filter"' in page and '<option value="DISHUB" selected>' in page
    unknown = client.get("/petugas/dasbor?opd=TIDAKADA")
    assert unknown.status_code == 400
    assert "tidak dikenal" in unknown.get_data(as_text=True)


def test_the_staff_history_names_actors_and_reasons_in_indonesian(client, world):
    sign_in(client, "verif")
    page = client.get(f"/petugas/pengaduan/{world['codes']['triage']}").get_data(as_text=True)
    assert "(Pelapor)" in page and "(reporter)" not in page
    assert ">Bukan pengaduan</option>" in page and ">not_complaint</option>" not in page
    english = client.get(f"/petugas/pengaduan/{world['codes']['triage']}?lang=en").text
    assert "(Reporter)" in english and ">Not a complaint</option>" in english


def test_the_action_form_has_no_default_action(client, world, settings):
    sign_in(client, "dishub")
    code = world["codes"]["dishub"]
    page = client.get(f"/petugas/pengaduan/{code}").get_data(as_text=True)
    # Each action is its own closed form with its own button: nothing is chosen for you.
    assert '<details class="verb" id="verb-respond">' in page
    assert " open>" not in page
    unchosen = client.post(f"/petugas/pengaduan/{code}/tindakan", data={"note": "halo"})
    assert unchosen.status_code == 422 and "Pilih tindakan" in unchosen.get_data(as_text=True)
    with Session(db.engine_for(settings.database_url)) as session:
        complaint = session.exec(select(Complaint).where(Complaint.tracking_code == code)).one()
    assert complaint.status == "routed"


def test_what_the_fuzz_found_in_the_console_is_refused_or_ignored_not_a_500(client, world):
    """Found by tests/test_fuzz.py: a query name that url_for takes for itself (format, with
    the CSV link; _scheme; endpoint), a row id past any key, a digit int() cannot read."""
    sign_in(client, "super")
    for query in ("format=&status=all", "_scheme=ftp&status=all", "endpoint=x&status=all"):
        page = client.get(f"/petugas/?{query}")
        assert page.status_code == 200, query
        link = re.search(r'href="([^"]+)">Unduh CSV<', page.text).group(1).replace("&amp;", "&")
        assert link.startswith("/petugas/?") and "format=csv" in link and "status=all" in link
        assert client.get(f"/petugas/dasbor?{query}").status_code == 200, query
    assert "page=2" in client.get("/petugas/?_external=1&page=1&per_page=1").text
    assert client.get(f"/petugas/pemberitahuan/{2**31}").status_code == 404
    assert client.post(f"/petugas/templat/{10**22}/hapus").status_code == 404
    read = client.post("/petugas/pemberitahuan/baca", data={"id": ["²", "12"]})
    assert read.status_code == 303
