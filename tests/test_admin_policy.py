"""The admin's pages for the SLA policy (with its preview) and the routing map: valid changes
are saved, audited and reach new stages and new routings; every invalid entry is refused by
name with the entries kept; only admins may use them."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from lapor import create_app
from lapor.domain.intake import Submission
from lapor.infra import db, directory
from lapor.routing.service import label_map
from lapor.services import accounts
from lapor.services.filing import file_complaint
from lapor.web import policy_admin
from models import Complaint, ConfigChange, RegionSetting, Role

from support import STAFF_PASSWORD, route_to, signed_in

WIB = ZoneInfo("Asia/Jakarta")
MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=WIB)  # no holiday in the weeks that follow
SLA, ROUTING = "/admin/tenggat", "/admin/peta-rute"


@pytest.fixture
def app(settings):
    app = create_app(settings)
    app.config.update(TESTING=True, WTF_CSRF_ENABLED=False)
    return app


@pytest.fixture
def admin(app, settings):
    with Session(db.engine_for(settings.database_url)) as session:
        for name, role in (("admin", Role.ADMIN), ("atasan", Role.SUPERVISOR)):
            accounts.create_user(
                session, username=name, password=STAFF_PASSWORD, role=role, now=MONDAY
            )
        session.commit()
    return signed_in(app, "admin")


@pytest.fixture
def monday(monkeypatch):
    """The pages' clock on Monday 23 November 2026, 09.00 WIB."""
    monkeypatch.setattr(policy_admin, "utcnow", lambda: MONDAY.astimezone(UTC))


class FormReader(HTMLParser):
    """The values a browser would submit from one form of a page (submit buttons aside)."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id, self.inside = form_id, False
        self.values: dict[str, list[str]] = {}
        self.select: str | None = None
        self.options: list[tuple[str, bool]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("id") == self.form_id
        if not self.inside:
            return
        kind = attrs.get("type", "text")
        if tag == "input" and kind == "checkbox":
            if "checked" in attrs:
                self.values.setdefault(attrs["name"], []).append(attrs.get("value", "on"))
        elif tag == "input" and kind not in ("submit", "button"):
            self.values.setdefault(attrs["name"], []).append(attrs.get("value", ""))
        elif tag == "select":
            self.select, self.options = attrs["name"], []
        elif tag == "option" and self.select:
            self.options.append((attrs.get("value", ""), "selected" in attrs))

    def handle_endtag(self, tag):
        if tag == "select" and self.inside and self.select:
            chosen = [v for v, selected in self.options if selected] or [self.options[0][0]]
            self.values[self.select] = [chosen[0]]
            self.select = None
        elif tag == "form":
            self.inside = False


def read_form(page: str, form_id: str) -> dict[str, list[str]]:
    reader = FormReader(form_id)
    reader.feed(page)
    return reader.values


def sla_form(client) -> dict[str, list[str]]:
    response = client.get(SLA)
    assert response.status_code == 200
    return read_form(response.get_data(as_text=True), "sla-form")


def changed(form: dict[str, list[str]], **values: str | list[str]) -> dict[str, list[str]]:
    """The form with some fields set (a list for a field of several values)."""
    return {**form, **{k: v if isinstance(v, list) else [v] for k, v in values.items()}}


def row_of(form: dict[str, list[str]], prefix: str, key: str) -> int:
    """The index of the override row holding this OPD or category ('' = the first blank)."""
    return next(
        int(name.split("-")[1])
        for name, value in form.items()
        if name.startswith(prefix + "-") and name.endswith("-key") and value == [key]
    )


def audit(settings, subject: str) -> list[ConfigChange]:
    with Session(db.engine_for(settings.database_url)) as session:
        query = select(ConfigChange).where(ConfigChange.subject == subject)
        return list(session.exec(query))


def file(settings, text: str) -> str:
    return file_complaint(settings, Submission(text=text), now=MONDAY).complaint.tracking_code


def response_due(settings, code: str) -> datetime:
    with Session(db.engine_for(settings.database_url)) as session:
        query = select(Complaint).where(Complaint.tracking_code == code)
        return session.exec(query).one().response_due_at.astimezone(WIB)


# --- the SLA policy -----------------------------------------------------------------------


def test_the_page_shows_the_policy_in_force_and_an_unchanged_form_saves_nothing(admin, settings):
    page = admin.get(SLA).get_data(as_text=True)
    assert "tetap memakai tenggat yang sudah diberikan" in page
    form = sla_form(admin)
    assert form["defaults-response_days"] == ["5"] and form["triage_agency"] == ["DISKOMINFOSANTIK"]
    assert form["weekend"] == ["saturday", "sunday"]
    assert [form[f"level-{n}-after_days"] for n in (1, 2, 3)] == [["0"], ["2"], ["5"]]
    assert form["level-3-target"] == ["root"]
    assert form[f"agency-{row_of(form, 'agency', 'BPBPK')}-response_days"] == ["1"]
    response = admin.post(SLA, data=form)
    assert response.status_code == 303
    assert "Tidak ada perubahan" in admin.get(SLA).get_data(as_text=True)
    assert audit(settings, "sla") == []


def test_a_shorter_deadline_is_saved_audited_and_given_to_stages_that_start_after_it(
    admin, settings
):
    before, after = file(settings, "Lampu jalan mati"), file(settings, "Halte bus rusak berat")
    route_to(settings, before, "DISHUB", MONDAY)
    form = sla_form(admin)
    row = row_of(form, "agency", "")
    response = admin.post(
        SLA,
        data=changed(form, **{f"agency-{row}-key": "DISHUB", f"agency-{row}-response_days": "1"}),
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    assert "Kebijakan tenggat disimpan." in admin.get(SLA).get_data(as_text=True)
    (change,) = audit(settings, "sla")
    assert change.actor == "admin" and change.action == "update"
    assert change.after["agencies"]["DISHUB"] == {"response_days": 1}
    assert change.before["agencies"] == {
        "BPBPK": {"response_days": 1},
        "RSUD-DORIS": {"response_days": 2},
    }
    directory.config.clear()
    route_to(settings, after, "DISHUB", MONDAY)
    assert response_due(settings, after) == datetime(2026, 11, 24, 23, 59, 59, tzinfo=WIB)
    assert response_due(settings, before) == datetime(2026, 11, 30, 23, 59, 59, tzinfo=WIB)
    assert sla_form(admin)[f"agency-{row}-response_days"] == ["1"]


INVALID = [
    (
        {"defaults-response_days": "0"},
        "defaults.response_days: harus bilangan bulat ≥ 1, bukan 0.",
        "defaults-response_days",
    ),
    (
        {"defaults-response_days": "lima"},
        "defaults.response_days: harus bilangan bulat ≥ 1, bukan 'lima'.",
        "defaults-response_days",
    ),
    (
        {"defaults-verification_days": ""},
        "defaults.verification_days: wajib diisi.",
        "defaults-verification_days",
    ),
    (
        {"defaults-reminder_hour": "24"},
        "defaults.reminder_hour: jam 0–23, bukan 24.",
        "defaults-reminder_hour",
    ),
    (
        {"defaults-resolution_calendar_days": "100000"},
        "defaults.resolution_calendar_days: paling banyak 365, bukan 100000.",
        "defaults-resolution_calendar_days",
    ),
    (
        {"level-3-after_days": "1"},
        "escalation[3].after_days: tidak boleh lebih kecil dari tingkat 2 (2), bukan 1.",
        "level-3-after_days",
    ),
    ({"level-1-target": "bupati"}, "escalation[1].target: pilih salah satu dari", "level-1-target"),
    (
        {"triage_agency": ""},
        "triage_agency: wajib diisi (OPD yang memverifikasi pengaduan).",
        "triage_agency",
    ),
    (
        {"weekend": list(policy_admin.WEEKDAYS)},
        "calendar.weekend: paling sedikit satu hari kerja dalam seminggu.",
        "weekend",
    ),
    (
        {"agency-0-response_days": "0"},
        "agencies.BPBPK.response_days: harus bilangan bulat ≥ 1, bukan 0.",
        "agency-0-response_days",
    ),
    (
        {"agency-2-key": "NGAWUR", "agency-2-response_days": "3"},
        "agencies.NGAWUR: OPD tidak dikenal.",
        "agency-2-key",
    ),
    (
        {"agency-2-key": "BPBPK", "agency-2-info_wait_days": "3"},
        "agencies.BPBPK: muncul di dua baris",
        "agency-2-key",
    ),
    ({"agency-2-response_days": "3"}, "agencies: Pilih OPD untuk baris ke-3.", "agency-2-key"),
    (
        {"category-0-key": "Kategori Palsu", "category-0-response_days": "2"},
        "categories.Kategori Palsu: kategori tidak dikenal (label peta rute).",
        "category-0-key",
    ),
]


def test_each_invalid_entry_is_refused_by_name_and_the_entries_stay(admin, settings):
    form = sla_form(admin)
    assert form["agency-0-key"] == ["BPBPK"] and form["agency-2-key"] == [""]
    for entries, says, field in INVALID:
        sent = changed(form, **entries, **{"defaults-info_wait_days": "12"})
        response = admin.post(SLA, data=sent)
        page = html.unescape(response.get_data(as_text=True))
        assert response.status_code == 422, says
        assert says in page.split('id="form-error"')[1].split("</p>")[0]
        assert says in page.split(f'id="{field}-error"')[1].split("</p>")[0]
        kept = read_form(response.get_data(as_text=True), "sla-form")
        assert kept["defaults-info_wait_days"] == ["12"], says
        for name, value in entries.items():
            assert kept[name] == (value if name == "weekend" else [value]), says
    assert audit(settings, "sla") == []
    with Session(db.engine_for(settings.database_url)) as session:
        assert session.get(RegionSetting, "sla") is None


def test_an_unknown_opd_or_category_is_not_offered(admin):
    page = admin.get(SLA).get_data(as_text=True)
    assert 'value="DISHUB"' in page and "NGAWUR" not in page
    assert 'value="Dinas Perhubungan"' in page and "Kategori Palsu" not in page


def test_levels_and_rows_are_added_and_removed_without_saving(admin, settings):
    form = sla_form(admin)
    added = admin.post(SLA, data=changed(form, do="add_level"))
    assert added.status_code == 200
    grown = read_form(added.get_data(as_text=True), "sla-form")
    assert grown["levels"] == ["4"] and grown["level-4-after_days"] == ["5"]
    shrunk = read_form(
        admin.post(SLA, data=changed(grown, do="remove_level")).get_data(as_text=True), "sla-form"
    )
    assert shrunk["levels"] == ["3"] and "level-4-after_days" not in shrunk
    rows = int(form["agency_rows"][0])
    more = admin.post(SLA, data=changed(form, do="add_agency")).get_data(as_text=True)
    assert read_form(more, "sla-form")["agency_rows"] == [str(rows + 1)]
    assert audit(settings, "sla") == []


def test_removing_an_override_row_saves_the_policy_without_it(admin, settings):
    form = sla_form(admin)
    row = row_of(form, "agency", "RSUD-DORIS")
    assert admin.post(SLA, data=changed(form, **{f"agency-{row}-remove": "1"})).status_code == 303
    (change,) = audit(settings, "sla")
    assert change.after["agencies"] == {"BPBPK": {"response_days": 1}}
    assert "RSUD-DORIS" not in [v[0] for k, v in sla_form(admin).items() if k.endswith("-key")]


def test_a_form_made_from_an_older_policy_is_not_saved_over_a_newer_one(admin, app, settings):
    form = sla_form(admin)
    other = signed_in(app, "admin")
    newer = changed(sla_form(other), **{"defaults-verification_days": "2"})
    assert other.post(SLA, data=newer).status_code == 303
    response = admin.post(SLA, data=changed(form, **{"defaults-response_days": "4"}))
    assert response.status_code == 409
    kept = read_form(response.get_data(as_text=True), "sla-form")
    assert kept["defaults-response_days"] == ["4"]
    assert admin.post(SLA, data=kept).status_code == 303  # now knowingly over the newer one
    assert len(audit(settings, "sla")) == 2


def test_the_preview_gives_the_due_date_of_an_opd_with_a_one_day_deadline(admin, monday):
    page = html.unescape(admin.get(SLA + "?opd=BPBPK").get_data(as_text=True))
    one = " ".join(page.split('id="preview-one"')[1].split("</p>")[0].split())
    assert "Pengaduan yang diverifikasi sekarang ke" in one
    assert "wajib ditanggapi paling lambat Selasa, 24 November 2026, 23.59 WIB." in one
    table = page.split('id="preview-overrides"')[1].split("</table>")[0]
    assert "Rabu, 25 November 2026, 23.59 WIB" in table  # RSUD-DORIS: 2 working days
    usual = html.unescape(admin.get(SLA + "?opd=DISHUB").get_data(as_text=True))
    assert "Senin, 30 November 2026, 23.59 WIB" in usual.split('id="preview-one"')[1]


# --- the routing map ----------------------------------------------------------------------


def routing_form(client) -> dict[str, list[str]]:
    response = client.get(ROUTING)
    assert response.status_code == 200
    return read_form(response.get_data(as_text=True), "routing-form")


def test_a_label_sent_to_another_opd_is_saved_audited_and_routed_there(admin, settings):
    page = admin.get(ROUTING).get_data(as_text=True)
    assert 'id="no-model"' in page and "Kota Palangka Raya" in page
    form = routing_form(admin)
    assert form["rute:Dinas Perhubungan"] == ["DISHUB"]
    assert form["rute:Lainnya"] == ["triase"]
    assert form["rute:Kewilayahan (kelurahan/kecamatan)"] == ["lokasi"]
    response = admin.post(ROUTING, data=changed(form, **{"rute:Dinas Perhubungan": "PUPR"}))
    assert response.status_code == 303, response.get_data(as_text=True)
    (change,) = audit(settings, "routing")
    assert change.before == {"Dinas Perhubungan": "DISHUB"}
    assert change.after == {"Dinas Perhubungan": "PUPR"}
    directory.config.clear()
    assert label_map(settings).agency_for("Dinas Perhubungan", None) == "PUPR"
    assert label_map(settings).agency_for("Kewilayahan (kelurahan/kecamatan)", "Kapuas") is None
    again = routing_form(admin)
    assert again["rute:Dinas Perhubungan"] == ["PUPR"]
    assert again["rute:Kewilayahan (kelurahan/kecamatan)"] == ["lokasi"]
    assert admin.post(ROUTING, data=again).status_code == 303
    assert len(audit(settings, "routing")) == 1


@pytest.mark.parametrize(
    ("entries", "says"),
    [
        ({"rute:Dinas Perhubungan": "NGAWUR"}, "OPD tidak dikenal: NGAWUR."),
        ({"rute:Label Palsu": "DISHUB"}, "Label tidak dikenal: Label Palsu."),
    ],
)
def test_a_forged_routing_entry_is_refused(admin, settings, entries, says):
    response = admin.post(ROUTING, data=changed(routing_form(admin), **entries))
    assert response.status_code == 422
    assert says in html.unescape(response.get_data(as_text=True))
    assert audit(settings, "routing") == []


def test_the_routing_page_shows_the_models_precision_and_live_volume(
    admin, routed_settings, settings
):
    code = file(settings, "Lampu penerangan jalan umum mati sudah seminggu di jalan Yos Sudarso")
    with Session(db.engine_for(settings.database_url)) as session:
        complaint = session.exec(select(Complaint).where(Complaint.tracking_code == code)).one()
        complaint.routing_label = "Dinas Perhubungan"
        session.add(complaint)
        session.commit()
    page = admin.get(ROUTING).get_data(as_text=True)
    assert 'id="model-info"' in page and 'id="no-model"' not in page
    row = page.split('name="rute:Dinas Perhubungan"')[1].split("</tr>")[0]
    assert "%" in row and "contoh" in row
    assert row.rstrip().endswith('class="num">1</td>')


def test_only_an_admin_may_use_the_policy_pages(admin, app):
    supervisor = signed_in(app, "atasan")
    for url in (SLA, ROUTING):
        assert supervisor.get(url).status_code == 403
        assert supervisor.post(url, data={}).status_code == 403


def test_two_admins_changing_different_labels_keep_both_changes(admin, app, settings):
    """Each page sends only what its admin changed: the second save does not put back what
    the first admin moved after the second page was shown."""
    other = signed_in(app, "admin")
    first = read_form(admin.get(ROUTING).get_data(as_text=True), "routing-form")
    second = read_form(other.get(ROUTING).get_data(as_text=True), "routing-form")
    first["rute:Dinas Sosial"] = ["DINKES"]
    assert admin.post(ROUTING, data=first).status_code == 303
    second["rute:Dinas Perhubungan"] = ["PUPR"]
    assert other.post(ROUTING, data=second).status_code == 303
    directory.config.clear()
    labels = label_map(settings)
    assert labels.agency_for("Dinas Sosial", None) == "DINKES"
    assert labels.agency_for("Dinas Perhubungan", None) == "PUPR"
    assert [c.after for c in audit(settings, "routing")] == [
        {"Dinas Sosial": "DINKES"},
        {"Dinas Perhubungan": "PUPR"},
    ]
