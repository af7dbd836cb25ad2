"""The citizens' pages through the Flask test client: form, receipt, tracking, rating, list."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import func, select

from lapor.domain import workflow
from models import ActorKind, Agency, Attachment, Complaint, ComplaintStatus, Feedback

from support import decoded, domain_effects, jpeg

EFFECTS = domain_effects()

JPEG = jpeg()


def csrf_token(client, path="/lapor") -> tuple[str, str]:
    page = client.get(path).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    form_token = re.search(r'name="form_token" value="([^"]*)"', page)
    return token, form_token.group(1) if form_token else ""


def form(client, **values):
    token, form_token = csrf_token(client)
    data = {
        "csrf_token": token,
        "form_token": form_token,
        "text": "Jalan rusak parah di depan pasar",
        **values,
    }
    return client.post("/lapor", data=data, content_type="multipart/form-data")


def count(session, model=Complaint) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(model)).one()


def test_pages_render_in_indonesian(client):
    for path in ("/", "/lapor", "/lacak", "/pengaduan"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert '<html lang="id">' in response.get_data(as_text=True)
    page = client.get("/lapor").get_data(as_text=True)
    assert "Kotawaringin Barat" in page and "Jekan Raya" in page  # Kalteng lists
    assert "Anonim" in page and "Rahasia" in page


def test_a_filed_complaint_shows_its_receipt(client, session):
    response = form(
        client,
        regency="Kota Palangka Raya",
        district="Jekan Raya",
        name="Budi",
        phone="081299990000",
    )
    assert response.status_code == 303
    receipt = client.get(response.headers["Location"]).get_data(as_text=True)
    code = session.exec(select(Complaint)).one().tracking_code
    assert f"{code[:5]}-{code[5:]}" in receipt
    assert "Sedang diverifikasi" in receipt
    assert "Budi" not in receipt and "081299990000" not in receipt


def test_the_form_refuses_a_post_without_csrf_token(client, session):
    response = client.post("/lapor", data={"text": "Jalan rusak parah sekali"})
    assert response.status_code == 400
    assert count(session) == 0


def test_field_errors_are_shown_next_to_the_fields_and_values_kept(client, session):
    response = form(client, text="abc", email="salah", title="Judul saya", lat="x")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="text-error"' in page and 'id="email-error"' in page and 'id="lat-error"' in page
    assert 'value="Judul saya"' in page
    assert count(session) == 0


@pytest.mark.parametrize(
    ("filename", "content", "message"),
    [
        ("virus.jpg", b"MZ\x90\x00 not an image", "bukan foto"),
        ("besar.jpg", JPEG + b"0" * (5 * 1024 * 1024), "melebihi"),
    ],
)
def test_bad_attachments_are_refused(client, session, settings, filename, content, message):
    token, form_token = csrf_token(client)
    response = client.post(
        "/lapor",
        data={
            "csrf_token": token,
            "form_token": form_token,
            "text": "Jalan rusak parah sekali",
            "attachments": (io.BytesIO(content), filename),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count(session) == 0
    assert not any(p.is_file() for p in settings.attachments_dir.rglob("*"))


def test_a_traversal_filename_is_stored_safely(client, session, settings):
    token, form_token = csrf_token(client)
    response = client.post(
        "/lapor",
        data={
            "csrf_token": token,
            "form_token": form_token,
            "text": "Jalan rusak parah sekali",
            "attachments": (io.BytesIO(JPEG), "../../x"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    attachment = session.exec(select(Attachment)).one()
    assert attachment.filename == "x.jpg"
    stored = (settings.attachments_dir / attachment.path).resolve()
    assert (
        settings.attachments_dir.resolve() in stored.parents
        and decoded(stored.read_bytes()).format == "JPEG"
    )


def test_posting_the_same_form_twice_files_once(client, session):
    token, form_token = csrf_token(client)
    data = {"csrf_token": token, "form_token": form_token, "text": "Sampah menumpuk di pasar"}
    first = client.post("/lapor", data=data)
    second = client.post("/lapor", data=data)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert count(session) == 1


def test_html_in_complaint_text_is_escaped(client, session):
    form(client, text="<script>alert('x')</script> jalan rusak", title="<b>judul</b>")
    code = session.exec(select(Complaint)).one().tracking_code
    for page in (client.get(f"/lacak/{code}"), client.get("/pengaduan")):
        html = page.get_data(as_text=True)
        assert "<script>alert" not in html and "<b>judul</b>" not in html
    assert "&lt;script&gt;" in client.get(f"/lacak/{code}").get_data(as_text=True)


def test_lookup_by_code_redirects_and_bad_codes_get_a_message(client, session):
    form(client)
    code = session.exec(select(Complaint)).one().tracking_code
    found = client.get(f"/lacak?kode={code[:5].lower()} {code[5:]}")
    assert found.status_code == 302 and found.headers["Location"].endswith(f"/lacak/{code}")
    bad = client.get("/lacak?kode=123")
    assert bad.status_code == 400 and "10 huruf" in bad.get_data(as_text=True)
    assert client.get("/lacak/ABCDEFGHJK").status_code == 404


def _resolve(session, code, days_ago=0):
    complaint = session.exec(select(Complaint).where(Complaint.tracking_code == code)).one()
    staff = workflow.Actor(ActorKind.STAFF)
    now = datetime.now(UTC) - timedelta(days=days_ago)
    agency = session.exec(select(Agency).where(Agency.code == "PUPR")).one()
    workflow.apply(
        session,
        complaint,
        workflow.Action.VERIFY,
        actor=staff,
        now=now,
        change=workflow.Change(agency=agency),
        **EFFECTS,
    )
    workflow.apply(
        session,
        complaint,
        workflow.Action.RESPOND,
        actor=staff,
        now=now,
        change=workflow.Change(note="Sudah kami tambal"),
        **EFFECTS,
    )
    workflow.apply(
        session,
        complaint,
        workflow.Action.RESOLVE,
        actor=staff,
        now=now,
        change=workflow.Change(note="Perbaikan selesai"),
        **EFFECTS,
    )
    session.commit()
    return complaint


def test_the_reporter_rates_a_resolved_complaint_and_it_closes(client, session):
    form(client)
    code = session.exec(select(Complaint)).one().tracking_code
    _resolve(session, code)
    page = client.get(f"/lacak/{code}").get_data(as_text=True)
    assert "Sudah kami tambal" in page and "Kirim penilaian" in page
    token, _ = csrf_token(client, f"/lacak/{code}")
    bad = client.post(f"/lacak/{code}/nilai", data={"csrf_token": token, "rating": "9"})
    assert bad.status_code == 422 and count(session, Feedback) == 0
    ok = client.post(
        f"/lacak/{code}/nilai", data={"csrf_token": token, "rating": "4", "comment": "Cepat"}
    )
    assert ok.status_code == 303
    session.expire_all()
    assert session.exec(select(Feedback)).one().rating == 4
    assert session.exec(select(Complaint)).one().status == ComplaintStatus.CLOSED


def test_the_reporter_reopens_within_the_window_only(client, session):
    form(client)
    code = session.exec(select(Complaint)).one().tracking_code
    _resolve(session, code)
    token, _ = csrf_token(client, f"/lacak/{code}")
    response = client.post(
        f"/lacak/{code}/buka-kembali", data={"csrf_token": token, "reason": "Masih berlubang"}
    )
    assert response.status_code == 303
    session.expire_all()
    assert session.exec(select(Complaint)).one().status == ComplaintStatus.REOPENED
    form(client, text="Pengaduan kedua tentang jalan lain")
    second = session.exec(select(Complaint).order_by(Complaint.id.desc())).first()
    _resolve(session, second.tracking_code, days_ago=30)
    page = client.get(f"/lacak/{second.tracking_code}").get_data(as_text=True)
    assert 'name="reason"' not in page and "Kirim penilaian" in page  # too late to reopen
    late = client.post(
        f"/lacak/{second.tracking_code}/buka-kembali", data={"csrf_token": token, "reason": "x"}
    )
    assert late.status_code == 422 and "sudah lewat" in late.get_data(as_text=True)


def test_the_reporter_answers_a_question_and_the_opd_gets_it_back(client, session, settings):
    from lapor.services.effects import deadlines_for

    clock = deadlines_for(settings)
    form(client)
    complaint = session.exec(select(Complaint)).one()
    code = complaint.tracking_code
    staff = workflow.Actor(ActorKind.STAFF)
    agency = session.exec(select(Agency).where(Agency.code == "PUPR")).one()
    now = datetime.now(UTC)
    for action, change in (
        (workflow.Action.VERIFY, workflow.Change(agency=agency)),
        (workflow.Action.REQUEST_INFO, workflow.Change(note="Di depan nomor rumah berapa?")),
    ):
        workflow.apply(
            session,
            complaint,
            action,
            actor=staff,
            now=now,
            change=change,
            deadlines=clock,
            notices=EFFECTS["notices"],
        )
    session.commit()
    page = client.get(f"/lacak/{code}").get_data(as_text=True)
    assert "Di depan nomor rumah berapa?" in page and "Kirim keterangan" in page
    token, _ = csrf_token(client, f"/lacak/{code}")
    short = client.post(f"/lacak/{code}/keterangan", data={"csrf_token": token, "info": "1"})
    assert short.status_code == 422 and "Keterangan 5" in short.get_data(as_text=True)
    ok = client.post(
        f"/lacak/{code}/keterangan", data={"csrf_token": token, "info": "Depan rumah nomor 12"}
    )
    assert ok.status_code == 303
    session.expire_all()
    complaint = session.exec(select(Complaint)).one()
    assert complaint.status == ComplaintStatus.ROUTED
    assert complaint.response_due_at is not None  # the clock runs again
    again = client.post(
        f"/lacak/{code}/keterangan", data={"csrf_token": token, "info": "Sekali lagi ya"}
    )
    assert again.status_code == 422 and "tidak sedang menunggu" in again.get_data(as_text=True)


def test_the_public_list_hides_confidential_complaints(client, session):
    form(client, text="Jalan rusak di Jekan Raya", regency="Kota Palangka Raya")
    form(client, text="Pungutan liar di kantor kelurahan", confidential="1")
    page = client.get("/pengaduan").get_data(as_text=True)
    assert "Jalan rusak" in page and "Pungutan liar" not in page
    filtered = client.get("/pengaduan?regency=Kabupaten+Kapuas").get_data(as_text=True)
    assert "Jalan rusak" not in filtered
    assert client.get("/pengaduan?page=abc&status=<x>").status_code == 200


def test_too_many_complaints_from_one_address_get_a_429(app, client, session):
    app.config["LAPOR_INTAKE_LIMIT"] = "2/minute"
    assert form(client).status_code == 303
    assert form(client, text="Pengaduan kedua yang berbeda").status_code == 303
    third = form(client, text="Pengaduan ketiga yang berbeda")
    assert third.status_code == 429
    assert "Terlalu banyak" in third.get_data(as_text=True)
    assert count(session) == 2


def test_too_many_complaints_from_one_reporter_get_a_429(app, client, session):
    app.config["LAPOR_REPORTER_LIMIT"] = "1/day"
    assert form(client, email="ani@example.id").status_code == 303
    assert (
        form(client, text="Laporan lain dari orang sama", email="ani@example.id").status_code == 429
    )
    assert form(client, text="Laporan dari orang lain", email="budi@example.id").status_code == 303


def test_english_is_switchable(client):
    page = client.get("/?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert '<html lang="en">' in client.get("/lapor").get_data(as_text=True)  # remembered


def test_english_pages_are_translated(client):
    page = client.get("/lapor?lang=en").get_data(as_text=True)
    assert "File a complaint" in page and "Send complaint" in page and "Anonymous" in page
    assert "Kirim pengaduan" not in page


def test_every_template_string_has_an_english_translation():
    from pathlib import Path

    from babel.messages.extract import extract_from_dir
    from babel.messages.mofile import read_mo

    root = Path(__file__).resolve().parent.parent / "lapor"
    found = {
        message[2] if isinstance(message[2], str) else message[2][0]
        for message in extract_from_dir(root / "templates", [("**.html", "jinja2")])
    }
    with (root / "translations/en/LC_MESSAGES/messages.mo").open("rb") as handle:
        catalog = read_mo(handle)
    # A plural entry's id is (singular, plural): the singular is what a template names.
    translated = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id and m.string}
    assert found - translated == set(), "run: pybabel extract/update/compile (see README)"


def test_the_language_link_keeps_the_page_and_its_query(client):
    page = client.get("/pengaduan?halaman=2&kabupaten=Kota+Palangka+Raya").get_data(as_text=True)
    assert (
        'href="/pengaduan?halaman=2&amp;kabupaten=Kota+Palangka+Raya&amp;lang=en" hreflang="en"'
        in page
    )
    english = client.get("/pengaduan?halaman=2&lang=en").get_data(as_text=True)
    assert 'href="/pengaduan?halaman=2&amp;lang=id" hreflang="id"' in english
