"""Backup and restore: `lapor backup FILE` → a new, empty installation → `lapor restore FILE`
gives the same rows, the same attachment bytes and the same model, on both backends; damaged
archives, non-empty targets, newer schemas and secrets are refused or left out."""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import io
import json
import shutil
import sqlite3
import tarfile
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel

from lapor import create_app
from lapor.cli import main
from lapor.domain.intake import Submission, Upload
from lapor.infra import backup as archive
from lapor.infra import db, directory
from lapor.infra.settings import Settings
from lapor.routing import service as routing
from lapor.services import backup
from lapor.services.filing import file_complaint
from models import Attachment, Complaint

from support import jpeg

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
SECRET_KEY = "kunci-rahasia-4f1c9e"
SMTP_PASSWORD = "sandi-smtp-77b2d0"
BOT_TOKEN = "123456:token-bot-c3a8e1"
DB_PASSWORD = "sandi-db-9e04aa"


def cli(settings: Settings, *args: str):
    return create_app(settings).test_cli_runner().invoke(main, list(args))


def fill(settings: Settings) -> None:
    """Complaints with photos, from several reporters, through the one intake service."""
    for n, size in enumerate([(24, 16), (40, 30), (64, 48)]):
        submission = Submission(
            text=f"Jalan berlubang besar di depan pasar nomor {n}, sudah dua minggu",
            name=f"Pelapor {n}",
            email=f"pelapor{n}@contoh.id",
            uploads=[Upload(f"foto{n}.jpg", jpeg(size)), Upload("kedua.jpg", jpeg((8, 8)))],
        )
        file_complaint(settings, submission, now=NOW + timedelta(minutes=n))


@pytest.fixture
def filled(routed_settings: Settings) -> Settings:
    fill(routed_settings)
    return routed_settings


@pytest.fixture
def empty_target(backend, tmp_path: Path):
    """Settings of a new installation: an empty data directory and, on PostgreSQL, a new
    empty database."""
    data_dir = tmp_path / "restored"
    if backend.is_sqlite:
        yield Settings(
            env="test", data_dir=data_dir, redis_url=backend.redis_url, secret_key="test-secret"
        ).completed()
        return
    name = f"lapor_restore_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(
        backend.database_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool
    )
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.make_url(backend.database_url).set(database=name)
    try:
        yield Settings(
            env="test",
            data_dir=data_dir,
            database_url=url.render_as_string(hide_password=False),
            redis_url=backend.redis_url,
            secret_key="test-secret",
        ).completed()
    finally:
        db.engine_for(url.render_as_string(hide_password=False)).dispose()
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def rows(settings: Settings) -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order."""
    engine = sa.create_engine(settings.database_url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            return {
                table.name: [
                    tuple(row)
                    for row in connection.execute(
                        sa.select(table).order_by(*table.primary_key.columns)
                    )
                ]
                for table in SQLModel.metadata.sorted_tables
            }
    finally:
        engine.dispose()


def files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.name.startswith(".")
    }


def make_archive(settings: Settings, path: Path) -> Path:
    result = cli(settings, "backup", str(path))
    assert result.exit_code == 0, result.output
    return path


@pytest.mark.slow  # the model's first load and two whole installations: 5-10 s
def test_backup_then_restore_into_a_new_installation_gives_the_same_data(
    filled, empty_target, tmp_path
):
    before = rows(filled)
    assert len(before["complaint"]) == 3 and len(before["attachment"]) == 6
    assert len(before["complaint_event"]) >= 3
    model_files = files(routing.model_store(filled).root)
    assert any(name.endswith(".joblib") for name in model_files)

    made = make_archive(filled, tmp_path / "cadangan.tar.gz")
    result = cli(empty_target, "restore", str(made))
    assert result.exit_code == 0, result.output
    assert "Dipulihkan" in result.output

    assert rows(empty_target) == before
    assert files(empty_target.attachments_dir) == files(filled.attachments_dir)
    for attachment in before["attachment"]:
        stored = dict(zip(Attachment.__table__.columns.keys(), attachment, strict=True))
        content = (empty_target.attachments_dir / stored["path"]).read_bytes()
        assert hashlib.sha256(content).hexdigest() == stored["sha256"]
    assert files(routing.model_store(empty_target).root) == model_files
    restored_model = routing.model_store(empty_target).load()
    assert restored_model.version == routing.model_store(filled).current_version()

    # The restored installation takes new complaints (PostgreSQL's sequences came along too).
    directory.agencies.clear()
    again = file_complaint(empty_target, Submission(text="Lampu jalan mati total"), now=NOW)
    ids = Complaint.__table__.columns.keys().index("id")
    assert again.complaint.id == max(r[ids] for r in before["complaint"]) + 1


def test_the_archive_holds_no_secret_and_says_so(filled, backend, tmp_path):
    url = sa.make_url(filled.database_url)
    if not backend.is_sqlite:
        # The test server trusts local connections: a password in the URL is sent, not needed.
        url = url.set(password=DB_PASSWORD)
    with_secrets = dataclasses.replace(
        filled,
        secret_key=SECRET_KEY,
        smtp_password=SMTP_PASSWORD,
        telegram_bot_token=BOT_TOKEN,
        database_url=url.render_as_string(hide_password=False),
    )
    made = make_archive(with_secrets, tmp_path / "cadangan.tar.gz")
    everything = gzip.decompress(made.read_bytes())
    for secret in (SECRET_KEY, SMTP_PASSWORD, BOT_TOKEN, DB_PASSWORD, "test-secret"):
        assert secret.encode() not in everything, secret
    with tarfile.open(made) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
        shown = json.load(tar.extractfile("settings.json"))
    assert any("LAPOR_SECRET_KEY" in s for s in manifest["secrets_left_out"])
    assert "secret_key" not in shown and "smtp_password" not in shown
    assert shown["region"] == "kalteng"
    assert manifest["backend"] == ("sqlite" if backend.is_sqlite else "postgresql")
    assert manifest["counts"] == {
        "complaints": 3,
        "events": manifest["counts"]["events"],
        "attachments": 6,
        "attachment_files": 6,
    }
    assert manifest["alembic_revision"] == archive.known_revisions(filled)[1]
    assert datetime.fromisoformat(manifest["created_at"]).utcoffset() == timedelta(0)
    with tarfile.open(made) as tar:
        for member in tar:
            if member.name != "manifest.json":
                content = tar.extractfile(member).read()
                expected = manifest["members"][member.name]["sha256"]
                assert hashlib.sha256(content).hexdigest() == expected


def test_restore_refuses_a_target_with_data_unless_forced(filled, empty_target, tmp_path):
    made = make_archive(filled, tmp_path / "cadangan.tar.gz")
    assert cli(empty_target, "restore", str(made)).exit_code == 0
    before = rows(empty_target)
    file_complaint(empty_target, Submission(text="Pengaduan baru setelah pemulihan"), now=NOW)

    refused = cli(empty_target, "restore", str(made))
    assert refused.exit_code != 0
    assert "Gagal: Tujuan tidak kosong" in refused.output
    assert "4 pengaduan" in refused.output and "--force" in refused.output
    assert len(rows(empty_target)["complaint"]) == 4  # untouched

    forced = cli(empty_target, "restore", "--force", str(made))
    assert forced.exit_code == 0, forced.output
    assert rows(empty_target) == before
    assert files(empty_target.attachments_dir) == files(filled.attachments_dir)
    assert not list(empty_target.data_dir.glob(".restore-*"))


DAMAGES = ["flip-first", "flip-middle", "flip-last", "truncated", "not-an-archive", "member"]


def damage(made: Path, how: str) -> None:
    content = bytearray(made.read_bytes())
    if how.startswith("flip-"):
        at = {"flip-first": 0, "flip-middle": len(content) // 2, "flip-last": -3}[how]
        content[at] ^= 0x40
    elif how == "truncated":
        content = content[: len(content) * 2 // 3]
    elif how == "not-an-archive":
        content = bytearray(b"ini bukan arsip, hanya teks biasa\n" * 20)
    else:
        content = _with_a_member_changed(bytes(content))
    made.write_bytes(bytes(content))


def _with_a_member_changed(content: bytes) -> bytes:
    """The same archive, recompressed, with one byte of settings.json changed and the
    manifest as it was: only the checksum can tell."""
    out = io.BytesIO()
    with (
        tarfile.open(fileobj=io.BytesIO(content)) as source,
        tarfile.open(fileobj=out, mode="w:gz") as target,
    ):
        for member in source:
            body = source.extractfile(member).read()
            if member.name == "settings.json":
                body = body.replace(b"kalteng", b"kaltenG")
            target.addfile(member, io.BytesIO(body))
    return out.getvalue()


@pytest.mark.parametrize("how", DAMAGES)
def test_verify_catches_a_damaged_archive(settings, tmp_path, how):
    fill(settings)
    made = make_archive(settings, tmp_path / "cadangan.tar.gz")
    good = cli(settings, "backup", "--verify", str(made))
    assert good.exit_code == 0, good.output
    assert "Arsip baik" in good.output and "3 pengaduan" in good.output

    damage(made, how)
    bad = cli(settings, "backup", "--verify", str(made))
    assert bad.exit_code != 0
    assert "Gagal: Arsip" in bad.output
    assert "Traceback" not in bad.output
    if how == "member":
        assert "checksum salah: settings.json" in bad.output


def test_restore_of_a_damaged_archive_changes_nothing(filled, empty_target, tmp_path):
    made = make_archive(filled, tmp_path / "cadangan.tar.gz")
    damage(made, "truncated")
    result = cli(empty_target, "restore", str(made))
    assert result.exit_code != 0 and "Gagal:" in result.output
    assert archive.contents(backup.layout(empty_target)) == []
    assert not list(empty_target.data_dir.glob(".restore-*"))


def test_a_failed_database_restore_puts_the_files_back(filled, backend, tmp_path):
    if not backend.is_sqlite:
        pytest.skip("the failure is made with a SQLite path")
    made = make_archive(filled, tmp_path / "cadangan.tar.gz")
    data_dir = tmp_path / "target"
    (data_dir / "attachments").mkdir(parents=True)
    (tmp_path / "a-file").write_text("not a directory")
    target = Settings(
        env="test",
        data_dir=data_dir,
        database_url=f"sqlite:///{tmp_path / 'a-file' / 'lapor.db'}",
        redis_url=backend.redis_url,
        secret_key="test-secret",
    ).completed()
    result = cli(target, "restore", str(made))
    assert result.exit_code != 0 and "tidak dapat ditulis" in result.output
    assert files(data_dir) == {}  # no attachment, no model left behind


def _rewritten(made: Path, change_db, change_manifest) -> None:
    """Rebuild an embedded archive with its database and manifest changed, checksums right."""
    work = made.parent / "rewrite"
    with tarfile.open(made) as tar:
        tar.extractall(work, filter="data")
    database = work / archive.SQLITE_MEMBER
    connection = sqlite3.connect(database)
    change_db(connection)
    connection.commit()
    connection.close()
    manifest = json.loads((work / "manifest.json").read_text())
    change_manifest(manifest)
    body = database.read_bytes()
    manifest["members"][archive.SQLITE_MEMBER] = {
        "sha256": hashlib.sha256(body).hexdigest(),
        "size": len(body),
    }
    (work / "manifest.json").write_text(json.dumps(manifest))
    with tarfile.open(made, "w:gz") as tar:
        for name in [*manifest["members"], "manifest.json"]:
            tar.add(work / name, name)
    shutil.rmtree(work)


def test_restore_refuses_an_archive_from_a_newer_schema(settings, backend, tmp_path):
    if not backend.is_sqlite:
        pytest.skip("the archive is rewritten as a SQLite file")
    made = make_archive(settings, tmp_path / "cadangan.tar.gz")
    _rewritten(
        made,
        lambda c: c.execute("UPDATE alembic_version SET version_num = '0099'"),
        lambda m: m.update(alembic_revision="0099"),
    )
    assert cli(settings, "backup", "--verify", str(made)).exit_code == 0
    target = tmp_path / "new"
    empty = Settings(env="test", data_dir=target, secret_key="s", redis_url=backend.redis_url)
    result = cli(empty.completed(), "restore", str(made))
    assert result.exit_code != 0
    assert "revisi 0099, lebih baru" in result.output
    assert not (target / "lapor.infra.db").exists()


@pytest.mark.slow
def test_an_older_archive_is_migrated_forward(backend, tmp_path):
    if not backend.is_sqlite:
        pytest.skip("one backend is enough for Alembic's upgrade")
    old = Settings(
        env="test", data_dir=tmp_path / "old", secret_key="s", redis_url=backend.redis_url
    ).completed()
    revisions, head = archive.known_revisions(old)
    previous = sorted(revisions)[-2]
    db.migrate(old.database_url, previous)
    made = make_archive(old, tmp_path / "lama.tar.gz")
    new = Settings(
        env="test", data_dir=tmp_path / "new", secret_key="s", redis_url=backend.redis_url
    ).completed()
    result = cli(new, "restore", str(made))
    assert result.exit_code == 0, result.output
    assert f"dari revisi {previous} ke {head}" in result.output
    with sqlite3.connect(tmp_path / "new" / "lapor.infra.db") as connection:
        assert connection.execute("SELECT version_num FROM alembic_version").fetchone() == (head,)


def test_the_scheduled_backup_is_off_by_default_and_keeps_the_newest(
    settings, backend, tmp_path, monkeypatch
):
    assert backup.scheduled(settings, now=NOW) is None
    kept = dataclasses.replace(settings, backup_dir=tmp_path / "arsip", backup_keep=2)
    for day in range(4):
        done = backup.scheduled(kept, now=NOW + timedelta(days=day))
    names = sorted(p.name for p in (tmp_path / "arsip").iterdir())
    assert names == ["lapor-20261203T030000Z.tar.gz", "lapor-20261204T030000Z.tar.gz"]
    assert len(done.removed) == 1
    assert backup.verify(done.archive).manifest["backend"] in ("sqlite", "postgresql")


@pytest.mark.parametrize("directory_set", [False, True])
def test_the_daily_backup_is_scheduled_only_when_a_directory_is_set(
    settings, tmp_path, monkeypatch, directory_set
):
    from rq.cron import CronScheduler

    from lapor.infra import broker, jobs

    monkeypatch.setenv("LAPOR_DATA_DIR", str(tmp_path / "data"))
    if directory_set:
        monkeypatch.setenv("LAPOR_BACKUP_DIR", str(tmp_path / "arsip"))
    else:
        monkeypatch.delenv("LAPOR_BACKUP_DIR", raising=False)
    scheduler = CronScheduler(broker.connect(settings))
    scheduler.load_config_from_file("workers.cron_config")
    found = [j for j in scheduler.get_jobs() if j.func.__name__ == "daily_backup"]
    if not directory_set:
        assert found == []
        return
    assert [(j.cron, j.queue_name) for j in found] == [("0 19 * * *", jobs.LOW)]
