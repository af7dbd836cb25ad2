"""The region's configuration kept in the database: the registry's rules, import and export of
agencies.yaml, the version every process follows, edits while complaints are being filed, and
the whole path from an admin's new OPD to its first escalation."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays as holiday_calendar
import pytest
import yaml
from sqlalchemy import func
from sqlmodel import Session, select

import models
from lapor.cli import main
from lapor.domain.errors import ValidationFailed
from lapor.domain.intake import Submission
from lapor.domain.registry import check_parent, entry_from
from lapor.domain.sla_policy import PolicyError, SlaBook
from lapor.domain.timefmt import utcnow
from lapor.infra import db, directory
from lapor.infra.directory import CHECK_SECONDS
from lapor.services import accounts, policy, registry
from lapor.services import sweep as sla
from lapor.services.changes import Editor
from lapor.services.filing import file_complaint
from models import (
    Agency,
    AgencyKind,
    Complaint,
    ComplaintEvent,
    ConfigChange,
    Notification,
    Role,
)

from support import STAFF_PASSWORD

WIB = ZoneInfo("Asia/Jakarta")
ADMIN = Editor(None, "admin-uji")


# --- the registry's rules -----------------------------------------------------------------


def test_an_entry_is_checked_field_by_field_with_the_names_of_agencies_yaml():
    entry = entry_from(
        {"code": " dinas-baru ", "name": "Dinas Baru", "kind": "DINAS", "parent": "setda"}
    )
    assert (entry.code, entry.short_name, entry.kind, entry.active) == (
        "DINAS-BARU",
        "Dinas Baru",
        AgencyKind.DINAS,
        True,
    )
    with pytest.raises(ValidationFailed) as failed:
        entry_from(
            {
                "code": "x",
                "name": "",
                "kind": "kementerian",
                "email": "bukan-email",
                "telegram_chat": "12ab",
                "colour": "red",
            }
        )
    assert set(failed.value.fields) == {"code", "name", "kind", "email", "telegram_chat", "colour"}
    assert "dinas" in failed.value.fields["kind"].message  # the choices are named


def test_an_outside_body_has_no_parent_and_a_code_is_fixed_once_made():
    with pytest.raises(ValidationFailed) as failed:
        entry_from({"code": "KPK", "name": "Komisi", "kind": "external", "parent": "GUB"})
    assert failed.value.fields["parent"].code == "external_parent"
    base = entry_from({"code": "DINAS-A", "name": "Dinas A", "kind": "dinas", "parent": "SETDA"})
    with pytest.raises(ValidationFailed) as failed:
        entry_from({"code": "DINAS-B"}, base=base)
    assert failed.value.fields["code"].code == "code_fixed"


def test_a_parent_that_closes_a_loop_is_refused():
    parents = {"GUB": None, "SETDA": "GUB", "BIRO-A": "SETDA", "POLDA": None}
    kinds = {"GUB": "pimpinan", "SETDA": "sekretariat", "BIRO-A": "biro", "POLDA": "external"}
    check_parent("SETDA", "GUB", parents.get, lambda c: kinds.get(c) and AgencyKind(kinds[c]))
    for parent, code in (("BIRO-A", "cycle"), ("SETDA", "cycle"), ("POLDA", "external_parent")):
        with pytest.raises(ValidationFailed) as failed:
            check_parent(
                "SETDA" if parent != "SETDA" else "GUB",
                parent,
                parents.get,
                lambda c: kinds.get(c) and AgencyKind(kinds[c]),
            )
        assert failed.value.fields["parent"].code == code
    with pytest.raises(ValidationFailed):
        check_parent("SETDA", "TIDAK-ADA", parents.get, lambda c: None)


def test_moving_an_opd_under_its_own_unit_is_refused_in_the_database(settings, session):
    with pytest.raises(ValidationFailed) as failed:
        registry.update_agency(session, ADMIN, "SETDA", {"parent": "BIRO-HUKUM"}, now=utcnow())
    assert "berputar" in failed.value.fields["parent"].message
    session.rollback()
    assert registry.entry(session, "SETDA").parent == "GUB"


def test_an_unknown_section_of_the_policy_is_named_not_ignored():
    with pytest.raises(PolicyError, match="defalts: kunci tidak dikenal"):
        SlaBook.from_dict({"defalts": {"response_days": 3}})
    with pytest.raises(PolicyError, match="calendar.holidays: kunci tidak dikenal"):
        SlaBook.from_dict({"calendar": {"holidays": {}}})


# --- agencies.yaml in and out -------------------------------------------------------------


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(main, list(args))


def test_export_then_import_changes_nothing_and_a_dry_run_only_tells(cli, settings, tmp_path):
    exported = tmp_path / "agencies.yaml"
    result = cli("registry", "export", str(exported))
    assert result.exit_code == 0, result.output
    assert "0 perubahan" in cli("registry", "import", str(exported)).output

    document = yaml.safe_load(exported.read_text(encoding="utf-8"))
    document["agencies"].append(
        {"code": "DINAS-BARU", "name": "Dinas Baru Provinsi", "kind": "dinas", "parent": "SETDA"}
    )
    moved = next(row for row in document["agencies"] if row["code"] == "SETWAN")
    moved["parent"] = "GUB"
    document["agencies"] = [row for row in document["agencies"] if row["code"] != "BIRO-HUKUM"]
    exported.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")

    dry = cli("registry", "import", "--dry-run", str(exported))
    assert dry.exit_code == 0, dry.output
    assert "+ DINAS-BARU" in dry.output
    assert "~ SETWAN (move) parent: 'SETDA' → 'GUB'" in dry.output
    assert "~ BIRO-HUKUM (deactivate)" in dry.output
    with Session(db.engine_for(settings.database_url)) as session:
        assert session.exec(select(Agency).where(Agency.code == "DINAS-BARU")).first() is None
        assert session.exec(select(func.count()).select_from(ConfigChange)).one() == 0

    applied = cli("registry", "import", str(exported))
    assert "3 perubahan diterapkan" in applied.output, applied.output
    assert "0 perubahan" in cli("registry", "import", str(exported)).output
    with Session(db.engine_for(settings.database_url)) as session:
        changes = session.exec(select(ConfigChange).order_by(ConfigChange.id)).all()
        assert sorted((c.actor, c.key, c.action) for c in changes) == [
            ("cli", "BIRO-HUKUM", "deactivate"),
            ("cli", "DINAS-BARU", "create"),
            ("cli", "SETWAN", "move"),
        ]
        assert not session.exec(select(Agency).where(Agency.code == "BIRO-HUKUM")).one().active

    again = tmp_path / "again.yaml"
    cli("registry", "export", str(again))
    exported_rows = yaml.safe_load(again.read_text(encoding="utf-8"))["agencies"]
    by_code = {row["code"]: row for row in exported_rows}
    assert by_code["DINAS-BARU"]["parent"] == "SETDA" and by_code["SETWAN"]["parent"] == "GUB"
    assert by_code["BIRO-HUKUM"]["active"] is False


def test_an_import_with_a_broken_file_changes_nothing(cli, settings, tmp_path):
    broken = tmp_path / "agencies.yaml"
    broken.write_text(
        "agencies:\n  - {code: ANAK, name: Unit Anak, kind: upt, parent: INDUK}\n"
        "  - {code: INDUK, name: Unit Induk, kind: dinas}\n",
        encoding="utf-8",
    )
    result = cli("registry", "import", str(broken))
    assert result.exit_code != 0 and "induk INDUK dari ANAK belum didefinisikan" in result.output
    with Session(db.engine_for(settings.database_url)) as session:
        assert session.exec(select(func.count()).select_from(ConfigChange)).one() == 0


# --- every process follows the version ----------------------------------------------------

WATCHER = textwrap.dedent(
    """
    import sys, time
    from datetime import date
    from pathlib import Path
    from lapor.infra import directory
    from lapor.infra.settings import Settings
    from lapor.services.effects import deadlines_for

    settings = Settings(
        env="test", data_dir=Path(sys.argv[2]), database_url=sys.argv[1], secret_key="x"
    ).completed()
    day = date.fromisoformat(sys.argv[3])
    def seen():
        name = directory.agencies.get(settings)["SETDA"].short_name
        return name == "Setda Baru" and not deadlines_for(settings).calendar.is_working_day(day)
    assert not seen()
    print("ready", flush=True)
    started = time.monotonic()
    while not seen():
        if time.monotonic() - started > 20:
            print("never", flush=True)
            sys.exit(1)
        time.sleep(0.05)
    print("seen", flush=True)
    """
)


def test_another_process_sees_a_change_within_seconds(settings):
    day = date(2026, 12, 9)  # a Wednesday, no national holiday
    watcher = subprocess.Popen(
        [sys.executable, "-c", WATCHER, settings.database_url, str(settings.data_dir), str(day)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert watcher.stdout.readline().strip() == "ready"

        def change(session):
            registry.update_agency(
                session, ADMIN, "SETDA", {"short_name": "Setda Baru"}, now=utcnow()
            )
            policy.add_day_off(session, ADMIN, day, "Cuti bersama daerah", now=utcnow())

        db.run_in_transaction(settings, change)
        committed = time.monotonic()
        assert watcher.stdout.readline().strip() == "seen"
        waited = time.monotonic() - committed
    finally:
        watcher.kill()
        watcher.wait()
    # The watcher looks every 50 ms; the slack is for a loaded machine (two cores, shared),
    # where a process may wait seconds for the CPU. A change never seen fails at 20 s.
    assert waited <= CHECK_SECONDS + 5


def test_a_change_while_complaints_are_filed_loses_nothing(settings):
    """Complaints filed in one thread while an admin edits agencies and days off in another:
    every complaint is stored with its events, every change is recorded once."""
    start = directory.config.snapshot(settings).version
    errors: list[BaseException] = []
    filed: list[str] = []

    def file_many():
        try:
            for n in range(30):
                text = f"Lampu jalan ke-{n} di Jalan Tjilik Riwut padam sejak minggu lalu"
                result = file_complaint(settings, Submission(text=text), now=utcnow())
                filed.append(result.complaint.tracking_code)
        except BaseException as error:  # re-raised in the test below
            errors.append(error)

    def edit_many():
        try:
            for n in range(10):
                db.run_in_transaction(
                    settings,
                    lambda s, n=n: registry.update_agency(
                        s, ADMIN, "DISHUB", {"short_name": f"Dishub {n}"}, now=utcnow()
                    ),
                )
                day = date(2027, 1, 4) + timedelta(days=n)
                db.run_in_transaction(
                    settings,
                    lambda s, day=day: policy.add_day_off(s, ADMIN, day, "Libur uji", now=utcnow()),
                )
        except BaseException as error:  # re-raised in the test below
            errors.append(error)

    threads = [threading.Thread(target=file_many), threading.Thread(target=edit_many)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    with Session(db.engine_for(settings.database_url)) as session:
        stored = session.exec(select(Complaint.tracking_code)).all()
        assert sorted(stored) == sorted(filed) and len(filed) == 30
        with_events = session.exec(
            select(func.count(func.distinct(ComplaintEvent.complaint_id)))
        ).one()
        assert with_events == 30
        assert session.exec(select(func.count()).select_from(ConfigChange)).one() == 20
        assert directory.current_version(session) == start + 20
        assert session.exec(select(Agency).where(Agency.code == "DISHUB")).one().short_name == (
            "Dishub 9"
        )


# --- from the admin's new OPD to its first escalation ------------------------------------


def _token(settings, username: str, role: Role, agency: str | None = None) -> str:
    def make(session):
        accounts.create_user(
            session,
            username=username,
            password=STAFF_PASSWORD,
            role=role,
            agency_code=agency,
            now=utcnow(),
        )
        return accounts.create_token(session, username, now=utcnow())

    return db.run_in_transaction(settings, make)


def _expected_due(start: date, days: int, day_off: date) -> date:
    """Counted here without Lapor's clock: weekends, national holidays, cuti bersama and the
    region's day off are skipped."""
    national = holiday_calendar.country_holidays("ID", categories=("public", "government"))
    day, counted = start, 0
    while counted < days:
        day += timedelta(days=1)
        if day.weekday() < 5 and day not in national and day != day_off:
            counted += 1
    return day


def test_an_admin_adds_an_opd_with_a_short_deadline_and_a_holiday_and_it_holds(settings, client):
    """The issue's path: a new OPD under Sekretariat Daerah with 2 working days to answer and
    a regional day off tomorrow; a verifier sends a complaint there; the deadline skips the
    day off and counts 2 working days, and the escalation climbs to Sekretariat Daerah."""
    admin = {"Authorization": f"Bearer {_token(settings, 'admin', Role.ADMIN)}"}
    created = client.post(
        "/api/v1/admin/agencies",
        headers=admin,
        json={
            "code": "DISPERTAMAN",
            "name": "Dinas Pertamanan Provinsi Kalimantan Tengah",
            "short_name": "Dispertaman",
            "kind": "dinas",
            "parent": "SETDA",
        },
    )
    assert created.status_code == 201, created.get_json()
    policy_now = client.get("/api/v1/admin/sla", headers=admin).get_json()
    policy_now.setdefault("agencies", {})["DISPERTAMAN"] = {"response_days": 2}
    saved = client.put("/api/v1/admin/sla", headers=admin, json=policy_now)
    assert saved.status_code == 200, saved.get_json()
    today = utcnow().astimezone(WIB).date()
    tomorrow = today + timedelta(days=1)
    added = client.post(
        "/api/v1/admin/holidays",
        headers=admin,
        json={"date": tomorrow.isoformat(), "reason": "Cuti bersama daerah"},
    )
    assert added.status_code == 201, added.get_json()

    code = file_complaint(
        settings, Submission(text="Taman kota tidak terawat, rumput tinggi dan lampu mati"),
        now=utcnow(),
    ).complaint.tracking_code  # fmt: skip
    verifier = {"Authorization": f"Bearer {_token(settings, 'verif', Role.VERIFIER)}"}
    verified = client.post(
        f"/api/v1/staff/complaints/{code}/actions",
        headers=verifier,
        json={"action": "verify", "agency": "DISPERTAMAN"},
    )
    assert verified.status_code == 200, verified.get_json()

    with Session(db.engine_for(settings.database_url)) as session:
        complaint = session.exec(select(Complaint).where(Complaint.tracking_code == code)).one()
        verified_on = complaint.routed_at.astimezone(WIB).date()
        due = complaint.response_due_at.astimezone(WIB)
    assert due.date() == _expected_due(verified_on, 2, tomorrow)
    assert due.date() > tomorrow + timedelta(days=1)  # the day off did not count

    sla.sweep(settings, due + timedelta(days=30))
    with Session(db.engine_for(settings.database_url)) as session:
        complaint = session.exec(select(Complaint).where(Complaint.tracking_code == code)).one()
        escalations = session.exec(
            select(ComplaintEvent)
            .where(ComplaintEvent.complaint_id == complaint.id, ComplaintEvent.action == "escalate")
            .order_by(ComplaintEvent.id)
        ).all()
        told = session.exec(
            select(Agency.code)
            .join(Notification, Notification.agency_id == Agency.id)
            .where(Notification.complaint_id == complaint.id, Notification.kind == "escalate")
        ).all()
    assert [(e.data["level"], e.data["target"]) for e in escalations][:2] == [
        (1, "DISPERTAMAN"),
        (2, "SETDA"),
    ]
    assert "SETDA" in told


def test_a_stage_already_running_keeps_its_deadline_when_the_policy_changes(settings):
    code = file_complaint(
        settings, Submission(text="Jalan berlubang di Jalan Yos Sudarso belum ditambal"),
        now=datetime(2026, 12, 7, 9, tzinfo=WIB),
    ).complaint.tracking_code  # fmt: skip
    with Session(db.engine_for(settings.database_url)) as session:
        before = session.exec(select(Complaint).where(Complaint.tracking_code == code)).one()
        due_before = before.verification_due_at

    def shorten(session):
        document = {"defaults": {"verification_days": 1}, "triage_agency": "DISKOMINFOSANTIK"}
        policy.save_sla(session, ADMIN, document, labels=set(), current={}, now=utcnow())

    db.run_in_transaction(settings, shorten)
    with Session(db.engine_for(settings.database_url)) as session:
        after = session.exec(select(Complaint).where(Complaint.tracking_code == code)).one()
        assert after.verification_due_at == due_before
    later = file_complaint(
        settings, Submission(text="Jalan berlubang di Jalan Imam Bonjol belum ditambal"),
        now=datetime(2026, 12, 7, 9, tzinfo=WIB),
    ).complaint  # fmt: skip
    assert later.verification_due_at.astimezone(WIB).date() == date(2026, 12, 8)


def test_the_unit_that_verifies_complaints_cannot_be_deactivated(settings, client, session):
    admin = {"Authorization": f"Bearer {_token(settings, 'admin', Role.ADMIN)}"}
    refused = client.patch(
        "/api/v1/admin/agencies/DISKOMINFOSANTIK", headers=admin, json={"active": False}
    )
    assert refused.status_code == 409
    assert "unit verifikasi" in refused.get_json()["error"]["message"]
    assert registry.entry(session, "DISKOMINFOSANTIK").active


# --- what a second look found ------------------------------------------------------------


def test_an_opd_of_the_region_needs_a_parent_but_the_head_and_outside_bodies_do_not():
    with pytest.raises(ValidationFailed) as failed:
        entry_from({"code": "DISTOP", "name": "Dinas Tanpa Induk", "kind": "dinas"})
    assert failed.value.fields["parent"].code == "parent_required"
    entry_from({"code": "WAGUB", "name": "Wakil Gubernur", "kind": "pimpinan"})
    entry_from({"code": "BPK", "name": "Badan Pemeriksa Keuangan", "kind": "external"})


def test_an_active_opd_cannot_hang_under_an_inactive_one(settings, session):
    now = utcnow()
    registry.create_agency(
        session, ADMIN, {"code": "UJI-INDUK", "name": "Unit Induk", "kind": "dinas",
                         "parent": "SETDA"}, now=now,
    )  # fmt: skip
    registry.update_agency(session, ADMIN, "UJI-INDUK", {"active": False}, now=now)
    for attempt in (
        lambda: registry.create_agency(
            session,
            ADMIN,
            {"code": "UJI-ANAK", "name": "Unit Anak", "kind": "upt", "parent": "UJI-INDUK"},
            now=now,
        ),  # fmt: skip
        lambda: registry.update_agency(session, ADMIN, "DISHUB", {"parent": "UJI-INDUK"}, now=now),
    ):
        with pytest.raises(ValidationFailed) as failed:
            attempt()
        assert failed.value.fields["parent"].code == "inactive_parent"


def test_the_unit_that_verifies_complaints_cannot_become_an_outside_body(settings, client):
    admin = {"Authorization": f"Bearer {_token(settings, 'admin', Role.ADMIN)}"}
    refused = client.patch(
        "/api/v1/admin/agencies/DISKOMINFOSANTIK",
        headers=admin,
        json={"kind": "external", "parent": None},
    )
    assert refused.status_code == 409, refused.get_json()
    assert client.get("/api/v1/admin/sla", headers=admin).get_json()["triage_agency"] == (
        "DISKOMINFOSANTIK"
    )


def test_a_database_from_before_keeps_the_days_off_its_file_declared(settings, tmp_path):
    """A region that declared days off in sla.yaml, upgraded to the day_off table: init
    brings them in once, and never again after an admin changed the calendar."""
    import shutil

    from lapor.cli.bootstrap import initialise
    from lapor.infra.region import region_dir

    folder = tmp_path / "wilayah"
    shutil.copytree(region_dir("kalteng"), folder)
    sla_file = folder / "sla.yaml"
    sla_file.write_text(
        sla_file.read_text(encoding="utf-8").replace(
            "days_off: {}", 'days_off: {"2031-06-10": "Hari Jadi Kota"}'
        ),
        encoding="utf-8",
    )
    upgraded = settings.with_overrides({"region": str(folder)})
    assert initialise(upgraded)["days_off"] == 1
    assert initialise(upgraded)["days_off"] == 0
    with Session(db.engine_for(settings.database_url)) as session:
        assert [d.reason for d in policy.days_off(session, 2031)] == ["Hari Jadi Kota"]
    db.run_in_transaction(
        settings, lambda s: policy.remove_day_off(s, ADMIN, date(2031, 6, 10), now=utcnow())
    )
    assert initialise(upgraded)["days_off"] == 0


def test_hostile_addresses_on_the_admin_pages_are_refused_not_crashed(settings, app):
    from support import signed_in

    db.run_in_transaction(
        settings,
        lambda s: accounts.create_user(
            s, username="admin", password=STAFF_PASSWORD, role=Role.ADMIN, now=utcnow()
        ),
    )
    app.config.update(WTF_CSRF_ENABLED=False)
    admin = signed_in(app, "admin")
    assert admin.post("/admin/libur/9999-12-31/hapus").status_code == 404
    assert admin.post("/admin/libur/0001-01-01/hapus").status_code == 404
    for path in (
        "/admin/pengguna/99999999999999999999999",
        "/admin/pengguna/2147483648/nonaktifkan",
    ):
        assert admin.get(path).status_code == 404
    with Session(db.engine_for(settings.database_url)) as session:
        own = session.exec(select(models.User).where(models.User.username == "admin")).one()
    refused = admin.post(f"/admin/pengguna/{own.id}/buka-kunci")
    assert refused.status_code == 422 and "tidak sedang terkunci" in refused.get_data(as_text=True)
    with Session(db.engine_for(settings.database_url)) as session:
        assert session.exec(select(func.count()).select_from(ConfigChange)).one() == 0


def test_a_policy_with_a_level_title_that_is_no_text_is_refused():
    with pytest.raises(PolicyError, match=r"escalation\[1\].title"):
        SlaBook.from_dict(
            {"escalation": [{"level": 1, "after_days": 0, "target": "agency", "title": ["x"]}]}
        )
