"""Backup archives of one installation: the database snapshot, the attachments, the routing
models and the settings that are not secrets, in one .tar.gz with a manifest of checksums.

The database is copied as a consistent snapshot while the system runs: SQLite's online backup
API on the embedded default, `pg_dump --format=custom` on PostgreSQL (in an exported snapshot,
so the counts in the manifest are those of the dump). Attachment files are never changed once
written, so those the snapshot refers to are on disk when the files are read after it.
A restore extracts and checks everything in a staging directory first, then moves it into
place; if the database cannot be restored, the files are moved back.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from importlib import metadata
from pathlib import Path, PurePosixPath

import alembic.util
import sqlalchemy as sa
from alembic.script import ScriptDirectory

from lapor.infra import db
from lapor.infra.settings import Settings

FORMAT = "lapor-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SETTINGS_MEMBER = "settings.json"
SQLITE_MEMBER = "database/lapor.sqlite3"
POSTGRES_MEMBER = "database/lapor.pgdump"
ATTACHMENTS, MODELS = "attachments", "models"
TOP_LEVEL = {MANIFEST, SETTINGS_MEMBER, "database", ATTACHMENTS, MODELS}
CHUNK = 1024 * 1024
REQUIRED = ("lapor_version", "created_at", "backend", "alembic_revision", "database", "counts")
ARCHIVE_PATTERN = "lapor-*.tar.gz"
# What is never written into an archive: keep these with the operator's other secrets.
SECRETS_LEFT_OUT = (
    "LAPOR_SECRET_KEY (dan berkas secret_key di direktori data)",
    "TELEGRAM_BOT_TOKEN",
    "LAPOR_SMTP_PASSWORD",
    "kata sandi di LAPOR_DATABASE_URL",
    "kata sandi di LAPOR_REDIS_URL",
)
# Settings fields whose value is a secret, and fields that hold a URL with a password.
SECRET_FIELDS = frozenset({"secret_key", "telegram_bot_token", "smtp_password", "extra"})
URL_FIELDS = frozenset({"database_url", "redis_url"})


class BackupError(RuntimeError):
    """An archive that cannot be written, checked or restored; the message says why."""


@dataclass(frozen=True)
class Layout:
    """Where one installation keeps what a backup holds."""

    settings: Settings
    attachments_dir: Path
    models_dir: Path

    @property
    def backend(self) -> str:
        return "sqlite" if self.settings.is_sqlite else "postgresql"


@dataclass
class Checked:
    """A verified archive: its manifest, its size, and where its members were extracted."""

    manifest: dict
    size: int
    extracted: Path | None = None
    members: dict[str, dict] = field(default_factory=dict)
    revision_now: str | None = None  # after a restore: the schema's revision now


# --- writing ---------------------------------------------------------------------------


def create(layout: Layout, target: Path, now: datetime) -> dict:
    """Write the archive to `target` (via a temporary name beside it); returns the manifest."""
    target = Path(target).absolute()
    if not target.parent.is_dir():
        raise BackupError(f"Direktori tujuan tidak ada: {target.parent}")
    try:
        return _create(layout, target, now)
    except (OSError, sqlite3.Error) as exc:
        raise BackupError(f"Arsip {target} tidak dapat ditulis: {exc}") from exc


def _create(layout: Layout, target: Path, now: datetime) -> dict:
    with tempfile.TemporaryDirectory(prefix=".lapor-backup-", dir=target.parent) as work:
        snapshot = _snapshot_database(layout.settings, Path(work))
        settings_file = Path(work) / SETTINGS_MEMBER
        settings_file.write_text(json.dumps(public_settings(layout.settings), indent=2))
        fd, partial = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as raw:
                manifest = _write_archive(raw, layout, snapshot, settings_file, now)
                raw.flush()
                os.fsync(raw.fileno())
            os.replace(partial, target)
        except BaseException:
            Path(partial).unlink(missing_ok=True)
            raise
    return manifest


@dataclass(frozen=True)
class Snapshot:
    path: Path
    member: str
    revision: str | None
    counts: dict[str, int]
    server_version: str | None = None


def _write_archive(raw, layout: Layout, snapshot: Snapshot, settings_file: Path, now) -> dict:
    members: dict[str, dict] = {}
    with tarfile.open(fileobj=raw, mode="w:gz", compresslevel=6) as tar:
        members[snapshot.member] = _add_file(tar, snapshot.path, snapshot.member)
        members[SETTINGS_MEMBER] = _add_file(tar, settings_file, SETTINGS_MEMBER)
        for top, root in ((ATTACHMENTS, layout.attachments_dir), (MODELS, layout.models_dir)):
            for path in _stored_files(root):
                name = f"{top}/{path.relative_to(root).as_posix()}"
                try:
                    members[name] = _add_file(tar, path, name)
                except FileNotFoundError:
                    continue  # removed since it was listed (an erasure on request): leave it out
        manifest = _manifest(layout, snapshot, members, now)
        body = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
        tar.addfile(_member_info(MANIFEST, len(body)), io.BytesIO(body))
    return manifest


def _manifest(layout: Layout, snapshot: Snapshot, members: dict, now: datetime) -> dict:
    attachment_files = sum(1 for name in members if name.startswith(ATTACHMENTS + "/"))
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "lapor_version": metadata.version("lapor"),
        "created_at": now.isoformat(),
        "backend": layout.backend,
        "server_version": snapshot.server_version,
        "alembic_revision": snapshot.revision,
        "database": snapshot.member,
        "region": layout.settings.region,
        "counts": {**snapshot.counts, "attachment_files": attachment_files},
        "secrets_left_out": list(SECRETS_LEFT_OUT),
        "members": members,
    }


def _stored_files(root: Path) -> list[Path]:
    """The files under a store, without the dot-files of writes in progress."""
    if not root.is_dir():
        return []
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file()
        and not p.is_symlink()
        and not any(part.startswith(".") for part in p.relative_to(root).parts)
    )


class _Hashing(io.RawIOBase):
    """A reader that hashes what passes through it."""

    def __init__(self, handle) -> None:
        self.handle = handle
        self.digest = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        chunk = self.handle.read(size)
        self.digest.update(chunk)
        return chunk


def _member_info(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = size, 0o600, int(time.time())
    return info


def _add_file(tar: tarfile.TarFile, path: Path, name: str) -> dict:
    with path.open("rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        reader = _Hashing(handle)
        tar.addfile(_member_info(name, size), reader)
    return {"sha256": reader.digest.hexdigest(), "size": size}


def public_settings(settings: Settings) -> dict:
    """The settings without their secrets (and URLs without their passwords)."""
    shown = {}
    for name, value in vars(settings).items():
        if name in SECRET_FIELDS:
            continue
        if name in URL_FIELDS and value:
            value = _without_password(str(value))
        shown[name] = str(value) if isinstance(value, Path) else value
    return shown


def _without_password(url: str) -> str:
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return re.sub(r"//[^@/]*@", "//***@", url)


# --- the database snapshot -------------------------------------------------------------


def _sqlite_path(settings: Settings) -> Path:
    return Path(sa.make_url(settings.database_url).database or "")


def _snapshot_database(settings: Settings, work: Path) -> Snapshot:
    if settings.is_sqlite:
        return _snapshot_sqlite(_sqlite_path(settings), work / "lapor.sqlite3")
    return _snapshot_postgres(settings.database_url, work / "lapor.pgdump")


def _snapshot_sqlite(source: Path, copy: Path) -> Snapshot:
    if not source.is_file():
        raise BackupError(f"Basis data SQLite tidak ada: {source}")
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(copy)
    try:
        src.backup(dst)  # one step: a consistent copy while other processes keep writing
        revision, counts = _facts(dst.execute)
    finally:
        dst.close()
        src.close()
    return Snapshot(copy, SQLITE_MEMBER, revision, counts)


def _facts(execute) -> tuple[str | None, dict[str, int]]:
    """The Alembic revision and the row counts, through a DB-API style `execute`."""
    counts = {}
    for key, table in (
        ("complaints", "complaint"),
        ("events", "complaint_event"),
        ("attachments", "attachment"),
    ):
        counts[key] = execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    revision = execute("SELECT version_num FROM alembic_version").fetchone()
    return (revision[0] if revision else None), counts


def libpq(url: str) -> tuple[str, dict[str, str]]:
    """A SQLAlchemy URL as a libpq connection string, with the password in the environment
    (so it never shows in the process list)."""
    parsed = sa.make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(command: list[str], env: dict[str, str], what: str) -> subprocess.CompletedProcess:
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    except FileNotFoundError as exc:
        raise BackupError(
            f"{command[0]} tidak ditemukan: pasang klien PostgreSQL (postgresql-client)."
        ) from exc
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise BackupError(f"{what} gagal: {' '.join(detail) or done.returncode}")
    return done


def _major(version: str) -> int:
    found = re.search(r"(\d+)(?:\.\d+)?", version)
    if not found:
        raise BackupError(f"Versi tidak dikenali: {version!r}")
    return int(found.group(1))


@contextmanager
def _connected(engine: sa.Engine) -> Iterator[sa.Connection]:
    """A connection, or a BackupError that names the database that did not answer."""
    try:
        connection = engine.connect()
    except sa.exc.OperationalError as exc:
        where = engine.url.render_as_string(hide_password=True)
        raise BackupError(f"Basis data {where} tidak dapat dihubungi: {exc.orig}") from exc
    with connection:
        yield connection


def _snapshot_postgres(url: str, dump: Path) -> Snapshot:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with _connected(engine) as conn:
            conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                return _dump_in_snapshot(conn, url, dump)
    finally:
        engine.dispose()


def _dump_in_snapshot(conn: sa.Connection, url: str, dump: Path) -> Snapshot:
    """Run pg_dump in this transaction's exported snapshot, so the counts are the dump's."""
    conninfo, env = libpq(url)
    server = str(conn.execute(sa.text("SHOW server_version")).scalar_one())
    tool = _run(["pg_dump", "--version"], env, "pg_dump --version").stdout
    if _major(tool.partition(")")[2]) < _major(server):
        raise BackupError(
            f"{tool.strip()} lebih tua dari server PostgreSQL {server}: "
            f"pasang postgresql-client-{_major(server)}."
        )
    snapshot_id = conn.execute(sa.text("SELECT pg_export_snapshot()")).scalar_one()
    revision, counts = _facts(lambda sql: conn.execute(sa.text(sql)))
    _run(
        ["pg_dump", "--format=custom", f"--snapshot={snapshot_id}", "--no-owner"]
        + ["--no-privileges", f"--file={dump}", conninfo],
        env,
        "pg_dump",
    )
    return Snapshot(dump, POSTGRES_MEMBER, revision, counts, server_version=server)


# --- checking ----------------------------------------------------------------------------


def verify(archive: Path, into: Path | None = None) -> Checked:
    """Read the whole archive: manifest present, every checksum right, no member missing or
    extra, the database snapshot readable. Extracts into `into` (else a temporary place)."""
    archive = Path(archive)
    if not archive.is_file():
        raise BackupError(f"Berkas arsip tidak ada: {archive}")
    with _workdir(into) as where:
        members, manifest = _read_members(archive, where)
        _check_manifest(manifest, members)
        _check_database(where / manifest["database"], manifest)
        return Checked(manifest, archive.stat().st_size, into, members)


@contextmanager
def _workdir(into: Path | None) -> Iterator[Path]:
    if into is not None:
        yield into
        return
    with tempfile.TemporaryDirectory(prefix="lapor-verify-") as work:
        yield Path(work)


def _read_members(archive: Path, where: Path) -> tuple[dict[str, dict], dict]:
    members: dict[str, dict] = {}
    manifest_body = None
    try:
        # gzip's own reader, read to the end: it checks the CRC and length in the trailer,
        # which tarfile's stream reader does not.
        with gzip.open(archive, "rb") as unpacked:
            with tarfile.open(fileobj=unpacked, mode="r|") as tar:
                for member in tar:
                    name = _safe_name(member)
                    source = tar.extractfile(member)
                    if name == MANIFEST:
                        manifest_body = source.read()
                        continue
                    members[name] = _extract(source, where / name)
            while unpacked.read(CHUNK):
                pass
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise BackupError(
            f"Arsip rusak, terpotong, atau bukan arsip cadangan Lapor (.tar.gz): {exc}"
        ) from exc
    if manifest_body is None:
        raise BackupError("Arsip tidak memuat manifest.json: bukan cadangan Lapor yang utuh.")
    try:
        manifest = json.loads(manifest_body)
    except ValueError as exc:
        raise BackupError(f"manifest.json rusak: {exc}") from exc
    return members, manifest


def _safe_name(member: tarfile.TarInfo) -> str:
    """The member's name if it is a plain file inside one of the archive's parts."""
    path = PurePosixPath(member.name)
    if (
        not member.isfile()
        or path.is_absolute()
        or ".." in path.parts
        or path.parts[0] not in TOP_LEVEL
    ):
        raise BackupError(f"Anggota arsip tidak dikenal atau tidak aman: {member.name!r}")
    return path.as_posix()


def _extract(source, destination: Path) -> dict:
    destination.parent.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    with destination.open("wb") as out:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    return {"sha256": digest.hexdigest(), "size": size}


def _check_manifest(manifest: dict, members: dict[str, dict]) -> None:
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError("manifest.json bukan manifest cadangan Lapor.")
    if manifest.get("format_version", 0) > FORMAT_VERSION:
        raise BackupError(
            f"Format arsip versi {manifest['format_version']} lebih baru dari yang dikenal "
            f"versi Lapor ini ({FORMAT_VERSION}): perbarui Lapor dulu."
        )
    missing = [key for key in REQUIRED if key not in manifest]
    if missing:
        raise BackupError(f"manifest.json tidak lengkap: tidak ada {', '.join(missing)}.")
    listed = manifest.get("members")
    if not isinstance(listed, dict):
        raise BackupError("manifest.json tidak memuat daftar anggota arsip.")
    problems = [f"hilang: {n}" for n in sorted(set(listed) - set(members))]
    problems += [f"tidak tercatat: {n}" for n in sorted(set(members) - set(listed))]
    problems += [
        f"checksum salah: {n}"
        for n in sorted(set(listed) & set(members))
        if listed[n].get("sha256") != members[n]["sha256"]
        or listed[n].get("size") != members[n]["size"]
    ]
    database = manifest.get("database")
    if database not in (SQLITE_MEMBER, POSTGRES_MEMBER) or database not in members:
        problems.append("tidak ada salinan basis data")
    if problems:
        shown = "; ".join(problems[:5]) + (
            f" (dan {len(problems) - 5} lagi)" if len(problems) > 5 else ""
        )
        raise BackupError(f"Arsip tidak cocok dengan manifest-nya: {shown}.")


def _check_database(copy: Path, manifest: dict) -> None:
    if manifest["database"] == SQLITE_MEMBER:
        _check_sqlite(copy, manifest)
    else:
        _run(["pg_restore", "--list", str(copy)], dict(os.environ), "pg_restore --list")


def _check_sqlite(copy: Path, manifest: dict) -> None:
    try:
        connection = sqlite3.connect(f"file:{copy}?mode=ro", uri=True)
        try:
            result = connection.execute("PRAGMA integrity_check").fetchall()
            revision, _ = _facts(connection.execute)
        finally:
            connection.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"Salinan basis data SQLite tidak dapat dibaca: {exc}") from exc
    if result != [("ok",)]:
        raise BackupError(f"Salinan basis data SQLite rusak: {result[:3]}")
    if revision != manifest.get("alembic_revision"):
        raise BackupError("Revisi skema di salinan basis data berbeda dengan manifest.")


# --- restoring ---------------------------------------------------------------------------


def contents(layout: Layout) -> list[str]:
    """What is already in the target, in words; empty when there is nothing to overwrite."""
    found = _database_contents(layout.settings)
    for label, root in (("lampiran", layout.attachments_dir), ("model", layout.models_dir)):
        files = _stored_files(root)
        if files:
            found.append(f"{label}: {len(files)} berkas di {root}")
    return found


def _database_contents(settings: Settings) -> list[str]:
    if settings.is_sqlite:
        path = _sqlite_path(settings)
        if not path.is_file() or path.stat().st_size == 0:
            return []
        connection = sqlite3.connect(path, timeout=30)
        try:
            return _describe(connection.execute, "sqlite_master WHERE type = 'table'", str(path))
        finally:
            connection.close()
    engine = sa.create_engine(settings.database_url, poolclass=sa.pool.NullPool)
    try:
        with _connected(engine) as conn:
            return _describe(
                lambda sql: conn.execute(sa.text(sql)),
                "pg_tables WHERE schemaname = 'public'",
                sa.make_url(settings.database_url).database or "",
            )
    finally:
        engine.dispose()


def _describe(execute, tables_from: str, where: str) -> list[str]:
    tables = execute(f"SELECT count(*) FROM {tables_from}").fetchone()[0]
    if not tables:
        return []
    try:
        complaints = execute("SELECT count(*) FROM complaint").fetchone()[0]
    except (sqlite3.DatabaseError, sa.exc.DBAPIError):
        return [f"basis data {where}: {tables} tabel"]
    return [f"basis data {where}: {tables} tabel, {complaints} pengaduan"]


def known_revisions(settings: Settings) -> tuple[set[str], str | None]:
    """The migrations this code has, and its head."""
    script = ScriptDirectory.from_config(db.alembic_config(settings.database_url))
    return {s.revision for s in script.walk_revisions()}, script.get_current_head()


def restore(layout: Layout, archive: Path, force: bool = False) -> Checked:
    """Verify the archive, then put its database, attachments and models in place."""
    present = contents(layout)
    if present and not force:
        raise BackupError(
            "Tujuan tidak kosong (" + "; ".join(present) + "). Pulihkan ke direktori data dan "
            "basis data yang kosong, atau tambahkan --force untuk menimpanya."
        )
    data_dir = layout.settings.data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".restore-", dir=data_dir) as work:
        staging = Path(work)
        checked = verify(archive, into=staging / "archive")
        _refuse_mismatch(layout, checked.manifest)
        moved_aside = _swap_files(layout, staging)
        try:
            _restore_database(layout.settings, staging / "archive", checked.manifest, bool(present))
        except BaseException:
            _swap_back(moved_aside)
            raise
        checked.revision_now = _migrate_forward(layout.settings, checked.manifest)
    return checked


def _refuse_mismatch(layout: Layout, manifest: dict) -> None:
    if manifest.get("backend") != layout.backend:
        raise BackupError(
            f"Arsip berisi basis data {manifest.get('backend')}, sedangkan tujuan "
            f"{layout.backend}: pulihkan ke jenis basis data yang sama."
        )
    known, head = known_revisions(layout.settings)
    revision = manifest.get("alembic_revision")
    if revision not in known:
        raise BackupError(
            f"Arsip dibuat dengan skema revisi {revision}, lebih baru dari yang dikenal versi "
            f"Lapor ini (terbaru {head}): perbarui Lapor dulu, lalu pulihkan."
        )


def _swap_files(layout: Layout, staging: Path) -> list[tuple[Path, Path | None]]:
    """Move the extracted stores into place; returns (place, old contents moved aside)."""
    moved: list[tuple[Path, Path | None]] = []
    try:
        for top, place in ((ATTACHMENTS, layout.attachments_dir), (MODELS, layout.models_dir)):
            incoming = staging / "archive" / top
            incoming.mkdir(parents=True, exist_ok=True)
            aside = staging / f"old-{top}" if place.exists() else None
            if aside is not None:
                os.replace(place, aside)
            moved.append((place, aside))
            place.parent.mkdir(parents=True, exist_ok=True)
            os.replace(incoming, place)
    except OSError as exc:
        _swap_back(moved)
        raise BackupError(f"Berkas tidak dapat dipindahkan ke tempatnya: {exc}") from exc
    return moved


def _swap_back(moved: list[tuple[Path, Path | None]]) -> None:
    """Undo _swap_files: the restored stores out, the old ones back."""
    for place, aside in reversed(moved):
        shutil.rmtree(place, ignore_errors=True)
        if aside is not None:
            os.replace(aside, place)


def _restore_database(settings: Settings, extracted: Path, manifest: dict, replace: bool):
    copy = extracted / manifest["database"]
    if settings.is_sqlite:
        target = _sqlite_path(settings)
        try:
            _restore_sqlite(copy, target)
        except (OSError, sqlite3.Error) as exc:
            raise BackupError(f"Basis data SQLite {target} tidak dapat ditulis: {exc}") from exc
    else:
        _restore_postgres(copy, settings.database_url, replace)


def _restore_sqlite(copy: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(copy)
    dst = sqlite3.connect(target, timeout=30)
    try:
        src.backup(dst)  # one transaction on the target: all of it or nothing
    finally:
        dst.close()
        src.close()


def _restore_postgres(dump: Path, url: str, replace: bool) -> None:
    conninfo, env = libpq(url)
    if not replace:
        _run(
            ["pg_restore", "--single-transaction", "--exit-on-error", "--no-owner"]
            + ["--no-privileges", f"--dbname={conninfo}", str(dump)],
            env,
            "pg_restore",
        )
        return
    # --force on a database with tables: empty the schema and restore in one transaction, so
    # a failure leaves the old contents as they were.
    script = dump.with_suffix(".sql")
    _run(
        ["pg_restore", "--no-owner", "--no-privileges", f"--file={script}", str(dump)],
        env,
        "pg_restore",
    )
    _run(
        ["psql", "--no-psqlrc", "--quiet", "--single-transaction", "-v", "ON_ERROR_STOP=1"]
        + ["-c", "DROP SCHEMA public CASCADE", "-c", "CREATE SCHEMA public"]
        + ["-f", str(script), f"--dbname={conninfo}"],
        env,
        "psql (pemulihan)",
    )


def _migrate_forward(settings: Settings, manifest: dict) -> str | None:
    """Bring an older archive's schema up to this code's; returns the revision now."""
    _, head = known_revisions(settings)
    if manifest.get("alembic_revision") != head:
        try:
            db.migrate(settings.database_url)
        except (sa.exc.SQLAlchemyError, alembic.util.CommandError) as exc:
            raise BackupError(
                f"Data sudah dipulihkan, tetapi migrasi skema ke {head} gagal: {exc}. "
                "Perbaiki penyebabnya, lalu jalankan `lapor init`."
            ) from exc
    db.engine_for(settings.database_url).dispose()
    return head


# --- keeping N ---------------------------------------------------------------------------


def prune(directory: Path, keep: int) -> list[Path]:
    """Remove all but the `keep` newest scheduled archives in `directory`; returns the
    removed."""
    archives = sorted(Path(directory).glob(ARCHIVE_PATTERN))
    removed = archives[: max(len(archives) - keep, 0)]
    for path in removed:
        path.unlink(missing_ok=True)
    return removed


def scheduled_name(now: datetime) -> str:
    """The file name of a scheduled archive: they sort by time."""
    return f"lapor-{now.strftime('%Y%m%dT%H%M%SZ')}.tar.gz"
