"""A complaint in the console: actions as separate verbs with only their fields, confirmation
for what cannot be undone, response templates, one-click triage, similar complaints and
duplicates, image previews, the map link."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select

from lapor import create_app
from lapor.domain.intake import Submission, Upload
from lapor.infra import db
from lapor.services import accounts
from lapor.services.filing import file_complaint
from models import Complaint, ComplaintEvent, ResponseTemplate, Role

from support import STAFF_PASSWORD, jpeg, route_to, signed_in

PASSWORD = STAFF_PASSWORD
NOW = datetime.now(UTC)
USERS = {
    "dishub": (Role.OFFICER, "DISHUB"),
    "pupr": (Role.OFFICER, "PUPR"),
    "verif": (Role.VERIFIER, None),
    "admin": (Role.ADMIN, None),
}


@pytest.fixture
def world(settings):
    with Session(db.engine_for(settings.database_url)) as session:
        for name, (role, agency) in USERS.items():
            accounts.create_user(
                session, username=name, password=PASSWORD, role=role, agency_code=agency, now=NOW
            )
        session.commit()
    return {
        "lamp": _file(
            settings, "Lampu lalu lintas mati di simpang empat Jalan Yos Sudarso", "DISHUB"
        ),
        "triage": _file(settings, "Lampu lalu lintas mati di simpang empat Jl Yos Sudarso", None),
    }


def _file(settings, text, agency, **extra) -> str:
    code = file_complaint(settings, Submission(text=text, **extra), now=NOW).complaint
    if agency:
        route_to(settings, code.tracking_code, agency, NOW)
    return code.tracking_code


@pytest.fixture
def app(settings):
    app = create_app(settings)
    app.config.update(TESTING=True, WTF_CSRF_ENABLED=False)
    return app


def events(settings, code, action):
    with Session(db.engine_for(settings.database_url)) as session:
        complaint = session.exec(select(Complaint).where(Complaint.tracking_code == code)).one()
        return session.exec(
            select(ComplaintEvent).where(
                ComplaintEvent.complaint_id == complaint.id, ComplaintEvent.action == action
            )
        ).all()


def test_an_officer_gets_the_verbs_of_their_role_each_with_its_own_fields(app, world):
    page = signed_in(app, "dishub").get(f"/petugas/pengaduan/{world['lamp']}").get_data(True)
    for verb in ("Jawab pelapor", "Minta keterangan", "Alihkan ke OPD lain", "Catatan internal"):
        assert f"<summary>{verb}</summary>" in page
    assert "<summary>Arsipkan</summary>" not in page  # a verifier's, not an officer's
    assert "<summary>Tandai selesai</summary>" not in page  # not before the first answer
    respond = page.split('id="verb-respond"')[1].split("</details>")[0]
    assert 'name="agency"' not in respond and 'name="reason"' not in respond
    assert "dikirim ke pelapor" in respond
    transfer = page.split('id="verb-transfer"')[1].split("</details>")[0]
    assert 'name="agency"' in transfer and "Hanya petugas" in transfer


def test_an_internal_note_stays_with_staff(app, settings, world):
    client = signed_in(app, "dishub")
    response = client.post(
        f"/petugas/pengaduan/{world['lamp']}/tindakan",
        data={"action": "note", "note": "Sudah dicek tim lapangan, kabel putus."},
    )
    assert response.status_code == 303
    (note,) = events(settings, world["lamp"], "note")
    assert note.public is False and note.status_to == note.status_from
    public = app.test_client().get(f"/lacak/{world['lamp']}").get_data(as_text=True)
    assert "kabel putus" not in public


@pytest.mark.parametrize("action", ["reject", "forward"])
def test_what_cannot_be_undone_asks_for_confirmation(app, settings, world, action):
    client = signed_in(app, "verif")
    data = {"action": action, "reason": "spam", "note": "Bukan wewenang daerah, ke BPJS."}
    refused = client.post(f"/petugas/pengaduan/{world['triage']}/tindakan", data=data)
    assert refused.status_code == 422
    assert "Centang konfirmasi" in refused.get_data(as_text=True)
    assert events(settings, world["triage"], action) == []
    confirmed = client.post(
        f"/petugas/pengaduan/{world['triage']}/tindakan", data={**data, "confirm": "1"}
    )
    assert confirmed.status_code == 303
    assert len(events(settings, world["triage"], action)) == 1


def test_a_refused_action_keeps_what_was_typed(app, world):
    client = signed_in(app, "dishub")
    response = client.post(
        f"/petugas/pengaduan/{world['lamp']}/tindakan",
        data={"action": "transfer", "note": "Ini urusan PUPR, bukan kami."},
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "OPD tujuan wajib dipilih" in page
    assert 'id="verb-transfer" open' in page and "Ini urusan PUPR, bukan kami." in page


def test_one_click_on_a_suggestion_verifies(routed_settings, app, world):
    settings = routed_settings
    code = _file(settings, "Ada masalah dengan pelayanan di kantor, mohon dibantu", None)
    world = {"triage": code}
    client = signed_in(app, "verif")
    page = client.get(f"/petugas/pengaduan/{world['triage']}").get_data(as_text=True)
    assert 'id="suggestions"' in page and "Verifikasi ke" in page
    agency = page.split('id="suggestions"')[1].split('name="agency" value="')[1].split('"')[0]
    queue = client.get("/petugas/?triage=1").get_data(as_text=True)
    assert f'name="agency" value="{agency}"' in queue  # the same choice on the queue
    done = client.post(
        f"/petugas/pengaduan/{world['triage']}/tindakan",
        data={"action": "verify", "agency": agency, "next": "/petugas/?triage=1"},
    )
    assert done.status_code == 303 and done.headers["Location"] == "/petugas/?triage=1"
    (verified,) = events(settings, world["triage"], "verify")
    assert verified.data["agency"] == agency


def test_similar_complaints_and_marking_a_duplicate(app, settings, world):
    client = signed_in(app, "verif")
    page = client.get(f"/petugas/pengaduan/{world['triage']}").get_data(as_text=True)
    similar = page.split('id="similar"')[1]
    assert f"{world['lamp'][:5]}-{world['lamp'][5:]}" in similar
    assert "Tandai duplikat dari pengaduan ini" in similar
    response = client.post(
        f"/petugas/pengaduan/{world['triage']}/tindakan",
        data={
            "action": "reject",
            "reason": "duplicate",
            "duplicate_of": world["lamp"],
            "confirm": "1",
        },
    )
    assert response.status_code == 303
    with Session(db.engine_for(settings.database_url)) as session:
        copy = session.exec(
            select(Complaint).where(Complaint.tracking_code == world["triage"])
        ).one()
        original = session.exec(
            select(Complaint).where(Complaint.tracking_code == world["lamp"])
        ).one()
    assert copy.duplicate_of_id == original.id and copy.status == "rejected"
    original_page = client.get(f"/petugas/pengaduan/{world['lamp']}").get_data(as_text=True)
    assert "Duplikatnya" in original_page and world["triage"][:5] in original_page


def test_response_templates_fill_in_and_stay_with_their_opd(app, settings, world):
    dishub = signed_in(app, "dishub")
    saved = dishub.post(
        "/petugas/templat",
        data={"title": "Sudah diperbaiki", "body": "Pengaduan {kode} sudah ditangani {opd}."},
    )
    assert saved.status_code == 303
    with Session(db.engine_for(settings.database_url)) as session:
        template = session.exec(select(ResponseTemplate)).one()
    page = dishub.get(
        f"/petugas/pengaduan/{world['lamp']}?templat={template.id}&untuk=respond"
    ).get_data(as_text=True)
    code = f"{world['lamp'][:5]}-{world['lamp'][5:]}"
    assert f"Pengaduan {code} sudah ditangani Dinas Perhubungan" in page
    assert 'id="verb-respond" open' in page
    pupr = signed_in(app, "pupr")
    assert "Sudah diperbaiki" not in pupr.get("/petugas/templat").get_data(as_text=True)
    assert pupr.post(f"/petugas/templat/{template.id}/hapus").status_code == 404
    too_short = dishub.post("/petugas/templat", data={"title": "", "body": "x"})
    assert too_short.status_code == 422 and "Judul templat wajib" in too_short.get_data(True)
    assert dishub.post(f"/petugas/templat/{template.id}/hapus").status_code == 303


def test_photos_preview_inline_only_as_images(app, settings, world):
    code = _file(
        settings,
        "Pohon tumbang menutup jalan di depan sekolah",
        "DISHUB",
        lat=-2.2136,
        lon=113.9108,
        uploads=[Upload("pohon.jpg", jpeg())],
    )
    client = signed_in(app, "dishub")
    page = client.get(f"/petugas/pengaduan/{code}").get_data(as_text=True)
    assert 'class="thumb"' in page
    assert "openstreetmap.org/?mlat=-2.213600&amp;mlon=113.910800" in page
    with Session(db.engine_for(settings.database_url)) as session:
        complaint = session.exec(select(Complaint).where(Complaint.tracking_code == code)).one()
        from models import Attachment

        (row,) = session.exec(select(Attachment).where(Attachment.complaint_id == complaint.id))
    inline = client.get(f"/petugas/pengaduan/{code}/lampiran/{row.id}?lihat=1")
    assert inline.status_code == 200 and inline.mimetype == "image/jpeg"
    assert "attachment" not in inline.headers.get("Content-Disposition", "")
    assert "sandbox" in inline.headers["Content-Security-Policy"]
    assert inline.headers["X-Content-Type-Options"] == "nosniff"
    download = client.get(f"/petugas/pengaduan/{code}/lampiran/{row.id}")
    assert download.headers["Content-Disposition"].startswith("attachment")
    other = signed_in(app, "pupr").get(f"/petugas/pengaduan/{code}/lampiran/{row.id}?lihat=1")
    assert other.status_code == 404
    assert io.BytesIO(inline.data).read(2) == b"\xff\xd8"


def test_the_history_names_the_staff_member(app, settings, world):
    client = signed_in(app, "dishub")
    client.post(
        f"/petugas/pengaduan/{world['lamp']}/tindakan",
        data={"action": "respond", "note": "Tim kami menuju lokasi hari ini."},
    )
    page = client.get(f"/petugas/pengaduan/{world['lamp']}").get_data(as_text=True)
    assert "(dishub)" in page
    english = client.get(f"/petugas/pengaduan/{world['lamp']}?lang=en").get_data(as_text=True)
    assert "Answered by the OPD" in english and "Reply to the reporter" in english
