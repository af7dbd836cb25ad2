"""The staff's lists: search by code and by words (Indonesian word forms), filters, sort,
pages, role scoping, and bulk actions, in the console and the staff API alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from lapor import create_app
from lapor.domain import search, workflow
from lapor.domain.intake import Submission
from lapor.infra import db
from lapor.services import accounts, worklist
from lapor.services.casework import Staff
from lapor.services.filing import file_complaint
from models import Channel, Complaint, ComplaintEvent, Role

from support import STAFF_PASSWORD, act_on, route_to, signed_in

PASSWORD = STAFF_PASSWORD
NOW = datetime.now(UTC)
USERS = {
    "dishub": (Role.OFFICER, "DISHUB"),
    "pupr": (Role.OFFICER, "PUPR"),
    "verif": (Role.VERIFIER, None),
    "super": (Role.SUPERVISOR, None),
}
TEXTS = {
    "road": ("Jalannya berlubang-lubang dan rusaknya parah sekali", "PUPR", "Kota Palangka Raya"),
    "lamp": ("Lampu lalu lintas mati di simpang empat Jl. Tjilik Riwut", "DISHUB", None),
    "bus": ("Bus kota sering terlambat datang ke halte", "DISHUB", "Kabupaten Kapuas"),
    "doubt": ("Ada masalah dengan pelayanan di kantor kelurahan", None, None),
    "doubt2": ("Pelayanan KTP di kantor kecamatan lambat sekali", None, None),
}


@pytest.fixture
def world(settings):
    tokens = {}
    with Session(db.engine_for(settings.database_url)) as session:
        for name, (role, agency) in USERS.items():
            accounts.create_user(
                session, username=name, password=PASSWORD, role=role, agency_code=agency, now=NOW
            )
            tokens[name] = accounts.create_token(session, name, now=NOW)
        session.commit()
    codes = {key: _file(settings, *value) for key, value in TEXTS.items()}
    return {"tokens": tokens, "codes": codes}


def _file(settings, text, agency, regency, when=NOW, channel=Channel.WEB) -> str:
    submission = Submission(text=text, regency=regency, channel=channel)
    code = file_complaint(settings, submission, now=when).complaint.tracking_code
    if agency:
        route_to(settings, code, agency, when)
    return code


@pytest.fixture
def app(settings):
    app = create_app(settings)
    app.config.update(TESTING=True, WTF_CSRF_ENABLED=False)
    return app


def api_list(client, world, name, **params):
    headers = {"Authorization": f"Bearer {world['tokens'][name]}"}
    response = client.get("/api/v1/staff/complaints", query_string=params, headers=headers)
    return response


def codes_of(response) -> set[str]:
    return {c["tracking_code"].replace("-", "") for c in response.get_json()["complaints"]}


# --- search -------------------------------------------------------------------------------


def test_indonesian_word_forms_share_a_stem():
    assert search.query_terms("jalan rusak") == search.query_terms("Jalannya RUSAKNYA")
    assert search.document("berlubang-lubang") == "lubang lubang"
    assert search.query_terms("yang dan") == ["yang", "dan"]  # only stopwords: keep them
    assert search.query_terms("lampu yang mati") == ["lampu", "mati"]


@pytest.mark.parametrize("form", ["dash", "plain", "lower", "spaced"])
def test_a_tracking_code_in_any_form_opens_the_complaint(app, world, form):
    code = world["codes"]["road"]
    typed = {
        "dash": f"{code[:5]}-{code[5:]}",
        "plain": code,
        "lower": code.lower(),
        "spaced": f"  {code[:5].lower()} {code[5:]} ",
    }[form]
    client = signed_in(app, "super")
    response = client.get("/petugas/", query_string={"q": typed})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/petugas/pengaduan/{code}")
    assert codes_of(api_list(client, world, "super", q=typed)) == {code}


def test_words_find_title_text_and_place_in_any_word_form(client, world):
    codes = world["codes"]
    assert codes_of(api_list(client, world, "super", q="jalan rusak")) == {codes["road"]}
    assert codes_of(api_list(client, world, "super", q="lubang")) == {codes["road"]}
    assert codes_of(api_list(client, world, "super", q="pelayanan kantor")) == {
        codes["doubt"],
        codes["doubt2"],
    }
    assert codes_of(api_list(client, world, "super", q="kapuas")) == {codes["bus"]}
    assert codes_of(api_list(client, world, "super", q="tjilik")) == {codes["lamp"]}
    assert codes_of(api_list(client, world, "super", q="jembatan")) == set()


def test_an_officer_never_finds_another_opds_complaint(app, client, world):
    codes = world["codes"]
    assert codes_of(api_list(client, world, "dishub", q="jalan")) == set()
    assert codes_of(api_list(client, world, "dishub", q=codes["road"])) == set()
    assert codes_of(api_list(client, world, "dishub", q="lampu")) == {codes["lamp"]}
    assert codes_of(api_list(client, world, "dishub", status="all")) == {
        codes["lamp"],
        codes["bus"],
    }
    page = signed_in(app, "dishub").get("/petugas/", query_string={"q": codes["road"]})
    assert page.status_code == 200
    assert f"/petugas/pengaduan/{codes['road']}" not in page.get_data(as_text=True)
    assert "Tidak ada pengaduan yang cocok" in page.get_data(as_text=True)


def test_search_includes_closed_complaints_and_the_queue_does_not(settings, client, world):
    codes = world["codes"]
    act_on(
        settings,
        codes["doubt"],
        workflow.Action.REJECT,
        actor=workflow.Actor.staff(1),
        now=NOW,
        reason=workflow.RejectReason.SPAM,
    )
    assert codes["doubt"] not in codes_of(api_list(client, world, "super"))
    assert codes["doubt"] in codes_of(api_list(client, world, "super", q="kelurahan"))
    assert codes_of(api_list(client, world, "super", q="kelurahan", status="open")) == set()


# --- filters, sort, pages ---------------------------------------------------------------------


def test_filters_narrow_the_list(settings, client, world):
    codes = world["codes"]
    old = _file(
        settings, "Trotoar rusak di depan pasar", "PUPR", None, when=NOW - timedelta(days=40)
    )
    telegram = _file(settings, "Sampah menumpuk di pasar", None, None, channel=Channel.TELEGRAM)
    look = lambda **p: codes_of(api_list(client, world, "super", **p))  # noqa: E731
    assert look(agency="dishub") == {codes["lamp"], codes["bus"]}
    assert look(opd="PUPR") == {codes["road"], old}
    assert look(regency="kota palangka raya") == {codes["road"]}
    assert look(channel="telegram") == {telegram}
    assert look(status="received") == {codes["doubt"], codes["doubt2"], telegram}
    assert look(status="routed,received", agency="PUPR") == {codes["road"], old}
    assert look(triage=1) == {codes["doubt"], codes["doubt2"], telegram}
    # The filter's days are the region's (WIB here): after 17:00 UTC its date is a UTC day on.
    day = (NOW - timedelta(days=40)).astimezone(settings.tz).date().isoformat()
    assert look(to=day) == {old}
    since = (NOW - timedelta(days=2)).astimezone(settings.tz).date().isoformat()
    assert old not in look(**{"from": since})
    assert look(sla="overdue") == {old}  # its answer was due weeks ago
    assert look(level=1) == set()


def test_bad_parameters_are_a_400_naming_them(client, world, app):
    response = api_list(client, world, "super", status="lost", page="0", sort="random")
    assert response.status_code == 400
    fields = response.get_json()["error"]["fields"]
    assert set(fields) == {"status", "page", "sort"}
    page = signed_in(app, "super").get("/petugas/?sla=kemarin&from=31-12-2026")
    assert page.status_code == 400
    text = page.get_data(as_text=True)
    assert "Tanggal tidak valid" in text and "tidak dikenal" in text


def test_pages_and_totals(settings, client, world):
    for n in range(23):
        _file(settings, f"Pengaduan halaman nomor {n} tentang drainase", None, None)
    first = api_list(client, world, "super", q="drainase", per_page=10).get_json()
    assert (first["total"], first["page"], first["per_page"]) == (23, 1, 10)
    assert first["total_is_exact"] is True
    third = api_list(client, world, "super", q="drainase", per_page=10, page=3).get_json()
    assert len(third["complaints"]) == 3 and third["page"] == 3
    beyond = api_list(client, world, "super", q="drainase", per_page=10, page=99).get_json()
    assert beyond["page"] == 3  # past the end: the last page
    seen = set()
    for page in (1, 2, 3):
        body = api_list(client, world, "super", q="drainase", per_page=10, page=page).get_json()
        seen |= {c["tracking_code"] for c in body["complaints"]}
    assert len(seen) == 23  # no complaint on two pages, none missed


def test_sorts(settings, session, world):
    staff = Staff(id=0, role=Role.SUPERVISOR, agency_id=None)
    late = _file(settings, "Sorting test pertama", None, None, when=NOW - timedelta(days=3))

    def order(sort):
        filters = worklist.Filters(statuses=None, sort=sort, per_page=100)
        return [c.tracking_code for c, _ in worklist.find(session, staff, filters, now=NOW).rows]

    assert order("age")[0] == late
    assert order("newest")[-1] == late
    assert order("deadline")[0] == late  # its verification is due first
    received = [
        c
        for c, _ in worklist.find(
            session, staff, worklist.Filters(sort="uncertainty", triage=True), now=NOW
        ).rows
    ]
    confidences = [c.routing_confidence for c in received if c.routing_confidence is not None]
    assert confidences == sorted(confidences)


def test_the_console_list_keeps_its_filters_in_links(settings, app, world):
    for n in range(30):
        _file(settings, f"Keluhan air bersih nomor {n}", None, None)
    client = signed_in(app, "super")
    page = client.get("/petugas/?q=air+bersih&per_page=25").get_data(as_text=True)
    assert "1–25 dari 30" in page
    assert "q=air+bersih" in page and "page=2" in page
    second = client.get("/petugas/?q=air+bersih&per_page=25&page=2").get_data(as_text=True)
    assert "26–30 dari 30" in second


def test_the_staff_search_box_is_on_every_console_page(app, world):
    client = signed_in(app, "dishub")
    for path in (
        "/petugas/",
        "/petugas/pemberitahuan",
        f"/petugas/pengaduan/{world['codes']['lamp']}",
    ):
        assert 'id="staff-q"' in client.get(path).get_data(as_text=True), path


# --- bulk actions -----------------------------------------------------------------------------


def test_bulk_verify_takes_each_complaint_on_its_own(settings, client, world):
    codes = world["codes"]
    headers = {"Authorization": f"Bearer {world['tokens']['verif']}"}
    body = {
        "codes": [codes["doubt"], codes["doubt2"], codes["road"], "ZZZZZ-ZZZZZ"],
        "action": "verify",
        "agency": "DISDUKCAPIL",
    }
    response = client.post("/api/v1/staff/complaints/actions", json=body, headers=headers)
    assert response.status_code == 200
    results = {r["tracking_code"].replace("-", ""): r for r in response.get_json()["results"]}
    assert results[codes["doubt"]]["status"] == "routed"
    assert results[codes["doubt2"]]["status"] == "routed"
    assert results[codes["road"]]["error"]["code"] == "invalid_transition"  # already routed
    assert results["ZZZZZZZZZZ"]["error"]["code"] == "not_found"
    with Session(db.engine_for(settings.database_url)) as session:
        for key in ("doubt", "doubt2"):
            complaint = session.exec(
                select(Complaint).where(Complaint.tracking_code == codes[key])
            ).one()
            verified = session.exec(
                select(ComplaintEvent).where(
                    ComplaintEvent.complaint_id == complaint.id, ComplaintEvent.action == "verify"
                )
            ).all()
            assert len(verified) == 1


def test_bulk_in_the_console_reports_the_refused_and_keeps_the_rest(app, settings, world):
    codes = world["codes"]
    client = signed_in(app, "verif")
    response = client.post(
        "/petugas/massal",
        data={
            "codes": [codes["doubt"], "22222-33333"],
            "action": "reject",
            "reason": "not_complaint",
            "next": "/petugas/?triage=1",
        },
    )
    assert response.status_code == 303 and response.headers["Location"] == "/petugas/?triage=1"
    page = client.get("/petugas/?triage=1").get_data(as_text=True)
    assert "1 pengaduan berhasil diproses" in page
    assert "22222-33333: Pengaduan tidak ditemukan." in page  # the refusal names the code
    outside = client.post(
        "/petugas/massal", data={"codes": [codes["doubt2"]], "action": "reject", "next": "//evil"}
    )
    assert outside.headers["Location"] == "/petugas/"


def test_bulk_needs_codes_and_a_well_formed_body(client, world):
    headers = {"Authorization": f"Bearer {world['tokens']['verif']}"}
    empty = client.post(
        "/api/v1/staff/complaints/actions", json={"codes": [], "action": "verify"}, headers=headers
    )
    assert empty.status_code == 400 and empty.get_json()["error"]["code"] == "codes_required"
    wrong = client.post(
        "/api/v1/staff/complaints/actions", json={"codes": "ABC", "action": 1}, headers=headers
    )
    assert wrong.status_code == 400 and set(wrong.get_json()["error"]["fields"]) == {
        "codes",
        "action",
    }
