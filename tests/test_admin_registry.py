"""The admin's pages for the OPD registry, the regional days off and the audit of
configuration: valid changes, each refusal with its message, what deactivating an OPD with open
complaints does, and who may open the pages."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlmodel import Session, select

from lapor import create_app
from lapor.domain.intake import Submission
from lapor.infra import db, directory
from lapor.services import accounts, policy
from lapor.services.changes import CLI
from lapor.services.effects import deadlines_for
from lapor.services.filing import file_complaint
from models import Agency, Complaint, ConfigChange, Role

from support import STAFF_PASSWORD, route_to, signed_in

NOW = datetime.now(UTC)
STAFF = {
    "admin": (Role.ADMIN, None),
    "super": (Role.SUPERVISOR, None),
    "dishub": (Role.OFFICER, "DISHUB"),
}
NEW_OPD = {
    "code": "DISKOMINFO-2",
    "name": "Dinas Komunikasi Kedua",
    "short_name": "Diskominfo 2",
    "kind": "dinas",
    "parent": "SETDA",
    "email": "kominfo2@kalteng.go.id",
    "telegram_chat": "-1001234567890",
}


@pytest.fixture
def app(settings):
    app = create_app(settings)
    app.config.update(TESTING=True, WTF_CSRF_ENABLED=False)
    with Session(db.engine_for(settings.database_url)) as session:
        for name, (role, agency) in STAFF.items():
            accounts.create_user(
                session,
                username=name,
                password=STAFF_PASSWORD,
                role=role,
                agency_code=agency,
                now=NOW,
            )
        session.commit()
    return app


@pytest.fixture
def admin(app):
    return signed_in(app, "admin")


def _agency(settings, code: str) -> Agency | None:
    with Session(db.engine_for(settings.database_url)) as session:
        return session.exec(select(Agency).where(Agency.code == code)).first()


def _text(response) -> str:
    return response.get_data(as_text=True)


# --- the registry ------------------------------------------------------------------------


def test_an_admin_adds_an_opd_under_setda_and_the_tree_shows_it(admin, settings):
    form = admin.get("/admin/opd/baru")
    assert form.status_code == 200 and 'name="code"' in _text(form)
    response = admin.post("/admin/opd/baru", data=NEW_OPD)
    assert response.status_code == 303, _text(response)
    added = _agency(settings, "DISKOMINFO-2")
    assert added.email == "kominfo2@kalteng.go.id" and added.telegram_chat_id == -1001234567890
    assert added.parent_id == _agency(settings, "SETDA").id
    page = _text(admin.get("/admin/opd"))
    assert 'id="opd-DISKOMINFO-2"' in page and "Dinas Komunikasi Kedua" in page
    row = page[page.index('id="opd-DISKOMINFO-2"') :]
    assert row.startswith('id="opd-DISKOMINFO-2" class="depth-2"')  # GUB → SETDA → it
    assert page.index('id="opd-SETDA"') < page.index('id="opd-DISKOMINFO-2"')
    outside = page[page.index('id="outside"') :]
    assert "DISKOMINFO-2" not in outside and "Tambah OPD" in page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("code", "x", "Kode OPD 2–40 karakter"),
        ("code", "DISHUB", "Kode OPD &#39;DISHUB&#39; sudah dipakai."),
        ("name", "ab", "Nama OPD wajib diisi, 3–200 karakter."),
        ("kind", "planet", "Jenis OPD tidak dikenal."),
        ("email", "bukan-email", "Alamat email tidak valid."),
        ("telegram_chat", "obrolan", "ID obrolan Telegram berupa bilangan bulat."),
        ("parent", "TIDAKADA", "Induk &#39;TIDAKADA&#39; tidak ada di daftar OPD."),
    ],
)
def test_each_wrong_field_is_refused_with_its_message_and_the_values_stay(
    admin, settings, field, value, message
):
    response = admin.post("/admin/opd/baru", data={**NEW_OPD, field: value})
    assert response.status_code == 422
    page = _text(response)
    assert f'id="{field}-error"' in page and message in page
    kept = "email" if field != "email" else "name"
    assert f'value="{NEW_OPD[kept]}"' in page
    if field not in ("kind", "parent"):  # a select cannot show a value it does not offer
        assert f'value="{value}"' in page
    if field != "code":
        assert _agency(settings, "DISKOMINFO-2") is None


def test_setda_cannot_move_under_its_own_biro(admin, settings):
    form = _text(admin.get("/admin/opd/SETDA"))
    assert 'id="code" value="SETDA" readonly' in form
    assert 'value="BIRO-HUKUM"' not in form and 'value="GUB" selected' in form
    response = admin.post(
        "/admin/opd/SETDA",
        data={"name": "Sekretariat Daerah", "kind": "sekretariat", "parent": "BIRO-HUKUM"},
    )
    assert response.status_code == 422
    assert "rantai eskalasi akan berputar kembali ke SETDA" in _text(response)
    assert _agency(settings, "SETDA").parent_id == _agency(settings, "GUB").id


def test_an_edit_is_saved_and_the_audit_shows_who_and_before_and_after(admin, settings):
    data = {
        "name": "Dinas Perhubungan Provinsi Kalimantan Tengah",
        "short_name": "Dishub Kalteng",
        "kind": "dinas",
        "parent": "SETDA",
        "email": "dishub@kalteng.go.id",
        "telegram_chat": "",
    }
    assert admin.post("/admin/opd/DISHUB", data=data).status_code == 303
    assert _agency(settings, "DISHUB").short_name == "Dishub Kalteng"
    audit = _text(admin.get("/admin/riwayat"))
    row = audit[audit.index("<code>DISHUB</code>") - 400 :]
    assert 'class="actor">admin<' in row and "WIB" in row
    assert "<del>Dishub</del> → <ins>Dishub Kalteng</ins>" in row
    assert "<del>—</del> → <ins>dishub@kalteng.go.id</ins>" in row


def _file_at(settings, agency_code: str) -> str:
    submission = Submission(text="Lampu jalan mati di Jl. Tjilik Riwut km 5 sejak sepekan.")
    code = file_complaint(settings, submission, now=NOW).complaint.tracking_code
    route_to(settings, code, agency_code, NOW)
    return code


def test_deactivating_an_opd_with_open_complaints_says_what_happens_and_they_stay_reachable(
    app, admin, settings
):
    code = _file_at(settings, "DISHUB")
    page = _text(admin.get("/admin/opd/DISHUB/nonaktifkan"))
    assert '<strong id="open-count">1</strong>' in page
    assert "tetap dapat dijangkau: petugasnya tetap melihat dan menjawabnya" in page
    assert "SETDA → GUB" in page and "Tidak ada pengaduan baru yang diteruskan" in page
    assert "Dinas Perhubungan" in page[page.index('id="labels"') :]  # the routing label
    assert 'href="/admin/peta-rute"' in page and 'id="confirm"' in page
    assert admin.post("/admin/opd/DISHUB/nonaktifkan").status_code == 303
    assert _agency(settings, "DISHUB").active is False
    assert 'id="opd-DISHUB"' not in _text(admin.get("/admin/opd"))
    assert "nonaktif" in _text(admin.get("/admin/opd?nonaktif=1"))
    officer = signed_in(app, "dishub")
    assert officer.get(f"/petugas/pengaduan/{code}").status_code == 200
    answer = officer.post(
        f"/petugas/pengaduan/{code}/tindakan",
        data={"action": "respond", "note": "Petugas kami menuju lokasi."},
    )
    assert answer.status_code == 303
    with Session(db.engine_for(settings.database_url)) as session:
        complaint = session.exec(select(Complaint).where(Complaint.tracking_code == code)).one()
        assert complaint.status == "in_progress"
    back = admin.get("/admin/opd/DISHUB/aktifkan")
    assert "Pengaduan baru dapat diteruskan lagi" in _text(back)
    assert admin.post("/admin/opd/DISHUB/aktifkan").status_code == 303
    assert _agency(settings, "DISHUB").active is True


def test_deactivating_can_hand_the_open_complaints_to_a_successor(admin, settings):
    code = _file_at(settings, "DISHUB")
    response = admin.post("/admin/opd/DISHUB/nonaktifkan", data={"successor": "PUPR"})
    assert response.status_code == 303
    assert "1 pengaduan dialihkan ke PUPR" in _text(admin.get("/admin/opd"))
    with Session(db.engine_for(settings.database_url)) as session:
        complaint = session.exec(select(Complaint).where(Complaint.tracking_code == code)).one()
        assert complaint.agency_id == _agency(settings, "PUPR").id
    refused = admin.post("/admin/opd/PUPR/nonaktifkan", data={"successor": "DISHUB"})
    assert refused.status_code == 422 and "OPD penerus harus" in _text(refused)
    assert _agency(settings, "PUPR").active is True


def test_an_opd_with_active_units_under_it_cannot_be_deactivated(admin, settings):
    page = _text(admin.get("/admin/opd/SETDA/nonaktifkan"))
    assert "belum dapat dinonaktifkan" in page and "BIRO-HUKUM" in page
    assert 'id="confirm"' not in page
    response = admin.post("/admin/opd/SETDA/nonaktifkan")
    assert response.status_code == 422
    assert "masih menjadi induk OPD aktif" in _text(response)
    assert _agency(settings, "SETDA").active is True


def test_an_unused_opd_can_be_deleted_and_a_used_one_cannot(admin, settings):
    assert admin.post("/admin/opd/baru", data=NEW_OPD).status_code == 303
    page = _text(admin.get("/admin/opd/DISKOMINFO-2/hapus"))
    assert "belum dipakai" in page and 'id="confirm"' in page
    assert admin.post("/admin/opd/DISKOMINFO-2/hapus").status_code == 303
    assert _agency(settings, "DISKOMINFO-2") is None
    assert admin.get("/admin/opd/DISKOMINFO-2").status_code == 404
    used = _text(admin.get("/admin/opd/DISHUB/hapus"))
    assert "tidak dapat dihapus karena sudah dipakai" in used and 'id="confirm"' not in used
    assert "/admin/opd/DISHUB/nonaktifkan" in used
    refused = admin.post("/admin/opd/DISHUB/hapus")
    assert refused.status_code == 409 and "Nonaktifkan saja" in _text(refused)
    assert _agency(settings, "DISHUB") is not None
    audit = _text(admin.get("/admin/riwayat?subjek=agency"))
    assert "dihapus" in audit and "<del>Dinas Komunikasi Kedua</del>" in audit


# --- regional days off -------------------------------------------------------------------


def test_the_calendar_names_national_holidays_and_cuti_bersama(admin):
    page = _text(admin.get("/admin/libur?tahun=2026"))
    assert "Hari libur 2026" in page and 'href="/admin/libur?tahun=2027"' in page
    christmas = page[page.index('id="d-2026-12-25"') - 80 :]
    assert 'class="day-holiday' in christmas[:200] and "Hari Raya Natal" in christmas[:300]
    assert "Cuti Bersama Hari Raya Natal" in page[page.index('id="national"') :]
    assert "Tenggat yang sudah berjalan tetap seperti semula" in page


def test_the_calendar_names_the_holidays_in_the_pages_language(admin):
    admin.post("/admin/libur", data={"date": "2026-12-24", "reason": "Hari Jadi Kota"})
    page = _text(admin.get("/admin/libur?tahun=2026&lang=en"))
    christmas = page[page.index('id="d-2026-12-25"') - 80 :]
    assert "Christmas Day" in christmas[:300] and "Hari Raya Natal" not in page
    assert "Christmas Joint Holiday" in page[page.index('id="national"') :]
    assert "Hari Jadi Kota" in page  # the region's own words stay as the admin wrote them
    saturday = page[page.index('id="d-2026-12-26"') - 80 :]
    assert "weekend" in saturday[:200] and "akhir pekan" not in page


def test_an_admin_adds_and_removes_a_regional_day_off(admin, settings):
    added = admin.post("/admin/libur", data={"date": "2026-05-23", "reason": "Hari Jadi Provinsi"})
    assert added.status_code == 303 and added.headers["Location"].endswith("tahun=2026")
    page = _text(admin.get("/admin/libur?tahun=2026"))
    cell = page[page.index('id="d-2026-05-23"') - 80 :][:300]
    assert "day-regional" in cell and "Hari Jadi Provinsi" in cell
    assert 'id="off-2026-05-23"' in page and "/admin/libur/2026-05-23/hapus" in page
    directory.config.clear()
    reason = deadlines_for(settings).calendar.day_off_reason(date(2026, 5, 23))
    assert reason == "Hari Jadi Provinsi"
    assert admin.post("/admin/libur/2026-05-23/hapus").status_code == 303
    assert 'id="off-2026-05-23"' not in _text(admin.get("/admin/libur?tahun=2026"))
    missing = admin.post("/admin/libur/2026-05-23/hapus")
    assert missing.status_code == 404 and "bukan libur daerah" in _text(missing)
    audit = _text(admin.get("/admin/riwayat?subjek=holiday"))
    assert "2026-05-23" in audit and "<del>Hari Jadi Provinsi</del>" in audit


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"date": "2026-13-01", "reason": "Hari Jadi"}, "date", "Tanggal tidak valid"),
        ({"date": "", "reason": "Hari Jadi"}, "date", "Tanggal tidak valid"),
        ({"date": "2026-05-23", "reason": "x"}, "reason", "Keterangan libur wajib diisi"),
        ({"date": "2026-01-02", "reason": "Hari Jadi"}, "date", "sudah libur daerah"),
    ],
)
def test_a_wrong_day_off_is_refused_with_its_message(admin, settings, data, field, message):
    with Session(db.engine_for(settings.database_url)) as session:
        policy.add_day_off(session, CLI, "2026-01-02", "Libur awal tahun", now=NOW)
        session.commit()
    response = admin.post("/admin/libur", data=data)
    assert response.status_code == 422
    page = _text(response)
    assert f'id="{field}-error"' in page and message in page
    assert f'value="{data["reason"]}"' in page
    with Session(db.engine_for(settings.database_url)) as session:
        assert len(policy.days_off(session)) == 1


# --- the audit of configuration ----------------------------------------------------------


def test_the_audit_filters_by_subject_and_comes_in_pages(admin, settings):
    with Session(db.engine_for(settings.database_url)) as session:
        for day in range(1, 29):
            for month in (3, 4):
                policy.add_day_off(session, CLI, date(2027, month, day), "Libur uji", now=NOW)
        session.commit()
    assert admin.post("/admin/opd/baru", data=NEW_OPD).status_code == 303
    first = _text(admin.get("/admin/riwayat"))
    assert "57 perubahan" in first and "halaman 1 / 2" in first
    assert first.index("DISKOMINFO-2") < first.index("2027-04-28")  # newest first
    assert 'href="/admin/riwayat?halaman=2"' in first
    second = _text(admin.get("/admin/riwayat?halaman=2"))
    assert "2027-03-01" in second and "DISKOMINFO-2" not in second
    agencies = _text(admin.get("/admin/riwayat?subjek=agency"))
    assert "1 perubahan" in agencies and "<ins>Dinas Komunikasi Kedua</ins>" in agencies
    assert "2027-03-01" not in agencies
    with Session(db.engine_for(settings.database_url)) as session:
        change = session.exec(select(ConfigChange).where(ConfigChange.subject == "agency")).one()
        assert change.actor == "admin"


# --- who may ----------------------------------------------------------------------------

PAGES = ["/admin/opd", "/admin/opd/baru", "/admin/opd/DISHUB", "/admin/opd/DISHUB/nonaktifkan"]
PAGES += ["/admin/opd/DISHUB/hapus", "/admin/libur", "/admin/riwayat"]


@pytest.mark.parametrize("name", ["super", "dishub"])
def test_supervisors_and_officers_may_not_keep_the_registry(app, settings, name):
    client = signed_in(app, name)
    for path in PAGES:
        assert client.get(path).status_code == 403, path
    assert client.post("/admin/opd/DISHUB/nonaktifkan").status_code == 403
    holiday = {"date": "2026-05-23", "reason": "Hari Jadi"}
    assert client.post("/admin/libur", data=holiday).status_code == 403
    assert _agency(settings, "DISHUB").active is True


def test_a_stranger_is_sent_to_sign_in(client):
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/masuk")
