"""`lapor backup FILE`, `lapor backup --verify FILE` and `lapor restore FILE`."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from lapor.cli.run import CommandError
from lapor.domain.timefmt import human, utcnow
from lapor.infra.settings import Settings
from lapor.services import backup

ARCHIVE = click.Path(dir_okay=False, path_type=Path)


def _settings() -> Settings:
    return current_app.extensions["lapor.settings"]


def _megabytes(size: int) -> str:
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / 1024 / 1024:.1f} MB"


@click.command("backup")
@click.argument("file", type=ARCHIVE)
@click.option("--verify", "check_only", is_flag=True, help="Hanya periksa arsip FILE.")
@with_appcontext
def backup_command(file: Path, check_only: bool) -> None:
    """Cadangkan basis data, lampiran, model dan setelan (tanpa rahasia) ke satu arsip FILE."""
    started = time.perf_counter()
    if check_only:
        _verify(file, started)
        return
    if file.exists():
        raise CommandError(f"{file} sudah ada: pilih nama lain atau hapus dulu berkas itu.")
    try:
        manifest = backup.create(_settings(), file, now=utcnow())
    except backup.BackupError as error:
        raise CommandError(str(error)) from error
    click.echo(
        f"Cadangan ditulis: {file} ({_megabytes(file.stat().st_size)}, "
        f"{time.perf_counter() - started:.1f} detik)."
    )
    _describe(manifest)
    click.echo("Tidak disertakan (simpan terpisah): " + "; ".join(manifest["secrets_left_out"]))


def _verify(file: Path, started: float) -> None:
    try:
        checked = backup.verify(file)
    except backup.BackupError as error:
        raise CommandError(f"Arsip {file} tidak dapat dipakai. {error}") from error
    manifest = checked.manifest
    created = datetime.fromisoformat(manifest["created_at"])
    click.echo(
        f"Arsip baik: {file} ({_megabytes(checked.size)}); {len(checked.members) + 1} berkas di "
        f"dalamnya, semua checksum cocok ({time.perf_counter() - started:.1f} detik)."
    )
    click.echo(f"Dibuat {human(created, _settings().tz)} oleh Lapor {manifest['lapor_version']}.")
    _describe(manifest)


def _describe(manifest: dict) -> None:
    counts = manifest["counts"]
    models = sum(1 for name in manifest["members"] if name.startswith("models/"))
    click.echo(
        f"Basis data {manifest['backend']} (revisi skema {manifest['alembic_revision']}): "
        f"{counts['complaints']} pengaduan, {counts['events']} peristiwa, "
        f"{counts['attachments']} lampiran; {counts['attachment_files']} berkas lampiran, "
        f"{models} berkas model."
    )


@click.command("restore")
@click.argument("file", type=ARCHIVE)
@click.option(
    "--force", is_flag=True, help="Timpa direktori data dan basis data yang sudah berisi."
)
@with_appcontext
def restore_command(file: Path, force: bool) -> None:
    """Pulihkan arsip FILE ke direktori data dan basis data yang kosong (hentikan Lapor dulu)."""
    started = time.perf_counter()
    settings = _settings()
    try:
        checked = backup.restore(settings, file, force=force)
    except backup.BackupError as error:
        raise CommandError(str(error)) from error
    manifest = checked.manifest
    click.echo(
        f"Dipulihkan dari {file} ke {settings.data_dir} "
        f"({time.perf_counter() - started:.1f} detik)."
    )
    _describe(manifest)
    if manifest["alembic_revision"] != checked.revision_now:
        click.echo(
            f"Skema dimigrasikan dari revisi {manifest['alembic_revision']} ke "
            f"{checked.revision_now}."
        )
    click.echo(
        "Rahasia tidak ikut dipulihkan: pakai LAPOR_SECRET_KEY (atau berkas secret_key) yang "
        "sama dengan instalasi lama, agar tautan pelapor dan sesi tetap berlaku; isi lagi "
        "TELEGRAM_BOT_TOKEN, LAPOR_SMTP_PASSWORD dan kata sandi basis data."
    )
