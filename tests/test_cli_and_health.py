"""The `lapor` command and GET /healthz, against real databases and Redis."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from lapor import create_app
from lapor.cli import main
from lapor.domain import tracking, workflow
from lapor.domain.intake import Submission, submit
from lapor.infra.settings import Settings
from models import ActorKind, Agency, User

from support import domain_effects

EFFECTS = domain_effects()

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()
    return lambda *args, **kw: runner.invoke(main, list(args), **kw)


def test_healthz_reports_database_and_redis(client, backend):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["database"] == {
        "ok": True,
        "backend": "sqlite" if backend.is_sqlite else "postgresql",
    }
    assert body["redis"]["ok"] is True


def test_healthz_says_which_dependency_is_down(settings: Settings):
    down = Settings(
        env="test",
        data_dir=settings.data_dir,
        secret_key="x",
        database_url="postgresql+psycopg://nobody@127.0.0.1:1/none",
        redis_url="redis://127.0.0.1:1/0",
    ).completed()
    response = create_app(down).test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "degraded"
    assert body["database"]["ok"] is False and body["redis"]["ok"] is False


def test_init_is_idempotent(cli):
    first = cli("init")
    assert first.exit_code == 0, first.output
    # The test database is seeded already: init leaves the admins' registry alone.
    assert "sudah ada di basis data dan tidak diubah" in first.output
    assert cli("init").exit_code == 0


def test_user_create_validates_and_stores_a_hashed_password(cli, session):
    ok = cli(
        "user",
        "create",
        "--username",
        "Budi",
        "--password",
        "kata-sandi-kuat",
        "--role",
        "officer",
        "--agency",
        "dinkes",
    )
    assert ok.exit_code == 0, ok.output
    user = session.exec(select(User).where(User.username == "budi")).one()
    assert user.password_hash != "kata-sandi-kuat" and user.agency_id is not None
    taken = cli(
        "user", "create", "--username", "budi", "--password", "kata-sandi-kuat", "--role", "admin"
    )
    assert taken.exit_code != 0 and "sudah dipakai" in taken.output
    no_agency = cli(
        "user", "create", "--username", "ani", "--password", "kata-sandi-kuat", "--role", "officer"
    )
    assert no_agency.exit_code != 0 and "OPD" in no_agency.output
    unknown = cli(
        "user",
        "create",
        "--username",
        "ani",
        "--password",
        "kata-sandi-kuat",
        "--role",
        "officer",
        "--agency",
        "NOPE",
    )
    assert unknown.exit_code != 0 and "NOPE" in unknown.output
    weak = cli("user", "create", "--username", "ani", "--password", "pendek", "--role", "admin")
    assert weak.exit_code != 0 and "minimal" in weak.output


def test_agencies_list_shows_the_chain(cli, session):
    result = cli("agencies", "list", "--json")
    assert result.exit_code == 0
    rows = {row["code"]: row for row in json.loads(result.output)}
    assert rows["SAMSAT-PKY"]["parent"] == "BAPENDA"
    assert "POLDA" not in rows  # outside bodies only with --all
    assert "POLDA" in {
        r["code"] for r in json.loads(cli("agencies", "list", "--all", "--json").output)
    }
    text = cli("agencies", "list").output
    assert "    SAMSAT-PKY" in text  # indented under Bapenda, under Setda


def _file(session, store, **values) -> str:
    complaint = submit(
        session,
        Submission(text="Pelayanan Samsat lambat sekali", **values),
        now=NOW,
        store=store,
        **EFFECTS,
    ).complaint
    agency = session.exec(select(Agency).where(Agency.code == "SAMSAT-PKY")).one()
    workflow.apply(
        session,
        complaint,
        workflow.Action.VERIFY,
        actor=workflow.Actor(ActorKind.STAFF),
        now=NOW,
        change=workflow.Change(agency=agency),
        **EFFECTS,
    )
    session.commit()
    return complaint.tracking_code


def test_complaint_show_prints_the_audit_trail_in_wib(cli, session, store):
    code = _file(session, store, name="Rahmat", phone="081234567890")
    result = cli("complaint", "show", tracking.display(code).lower())
    assert result.exit_code == 0, result.output
    assert "23 Nov 2026 10.00 WIB" in result.output  # 03:00 UTC
    assert "Diverifikasi dan diteruskan ke OPD" in result.output
    view = json.loads(cli("complaint", "show", code, "--json").output)
    assert view["agency"]["code"] == "SAMSAT-PKY"
    assert view["reporter"]["name"] == "Rahmat"
    assert [e["action"] for e in view["events"]] == ["submit", "verify"]
    assert set(view["deadlines"]) == {"verification", "response", "resolution"}
    assert "Tenggat" in result.output


def test_complaint_show_never_reveals_an_anonymous_reporter(cli, session, store):
    code = _file(session, store, name="Rahasia Sekali", phone="081234567890", anonymous=True)
    output = cli("complaint", "show", code, "--json").output
    assert "Rahasia Sekali" not in output and "81234567890" not in output
    assert json.loads(output)["reporter"] == "anonim"


def test_complaint_show_refuses_bad_and_unknown_codes(cli):
    bad = cli("complaint", "show", "<script>")
    assert bad.exit_code != 0 and "tidak valid" in bad.output
    missing = cli("complaint", "show", "ABCDE-FGHJK")
    assert missing.exit_code != 0 and "tidak ditemukan" in missing.output
