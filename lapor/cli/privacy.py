"""`lapor privacy`: a reporter's personal data on request (erase, copy) and its retention."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from lapor.cli.options import parse_now
from lapor.cli.run import CommandError
from lapor.domain import tracking
from lapor.domain.errors import DomainError
from lapor.domain.timefmt import human, utcnow
from lapor.infra import broker, db, jobs
from lapor.infra.settings import Settings
from lapor.services import privacy
from lapor.services.changes import CLI


def _settings() -> Settings:
    return current_app.extensions["lapor.settings"]


def _checked_code(code: str) -> str:
    """The code typed, or a clear error when it cannot be a tracking code."""
    if tracking.normalize(code) is None:
        raise CommandError(f"Kode pelacakan tidak valid: {code!r}")
    return code


@click.group("privacy", cls=AppGroup)
def privacy_group() -> None:
    """Data pribadi pelapor (UU 27/2022): hapus, salinan, dan masa retensi."""


@privacy_group.command("forget")
@click.argument("code")
@click.option("--yes", is_flag=True, help="Jangan minta konfirmasi.")
def privacy_forget(code: str, yes: bool) -> None:
    """Hapus identitas, kontak dan lampiran pelapor pengaduan CODE atas permintaannya.

    Berlaku untuk semua pengaduan orang yang sama (email atau telepon yang sama, atau akun
    Telegram yang sama); pengaduannya tetap ada tanpa pelapor, dan riwayatnya mencatat
    penghapusan itu.
    """
    settings = _settings()
    try:
        codes = privacy.affected(settings, _checked_code(code))
        shown = ", ".join(tracking.display(c) for c in codes)
        if not yes:
            click.confirm(
                f"Hapus data pribadi pelapor dari {len(codes)} pengaduan ({shown})? "
                "Tidak dapat dibatalkan.",
                abort=True,
            )
        broker.ensure_available(settings)  # the bot's drafts of a Telegram reporter go too
        erased = privacy.forget(settings, code, now=utcnow())
    except DomainError as error:
        raise CommandError(error.message) from error
    click.echo(
        f"Data pribadi pelapor dihapus dari {len(erased.complaints)} pengaduan ({shown}): "
        f"{erased.reporters} identitas, {erased.attachments} lampiran, "
        f"{erased.messages} pesan ke pelapor."
    )


@privacy_group.command("export")
@click.argument("code")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Tulis ke berkas ini (bawaan: layar).",
)
def privacy_export(code: str, output: Path | None) -> None:
    """Salinan data pelapor pengaduan CODE (JSON): identitas, kontak, pengaduan, lampiran."""
    try:
        data = privacy.export(_settings(), _checked_code(code), now=utcnow())
    except DomainError as error:
        raise CommandError(error.message) from error
    text = json.dumps(data, ensure_ascii=False, indent=2)
    if output is None:
        click.echo(text)
        return
    output.write_text(text + "\n", encoding="utf-8")
    click.echo(f"{len(data['complaints'])} pengaduan → {output}", err=True)


@privacy_group.command("retention")
@click.option("--years", type=int, help="Ubah masa retensi (tahun setelah pengaduan berakhir).")
def privacy_retention(years: int | None) -> None:
    """Tampilkan (atau ubah) berapa tahun identitas pelapor disimpan setelah pengaduan berakhir."""
    settings = _settings()
    try:
        if years is not None:
            privacy.set_retention(settings, CLI, years, now=utcnow())
        with db.session_scope(settings) as session:
            policy = privacy.policy_in_force(settings, session)
    except DomainError as error:
        raise CommandError(error.message) from error
    click.echo(
        f"Identitas, kontak dan lampiran pelapor dihapus {policy.identity_years} tahun "
        "setelah pengaduan ditutup, diarsipkan atau diteruskan."
    )


@privacy_group.command("apply")
@click.option(
    "--now",
    "now_text",
    help="Jalankan seolah-olah pada waktu ini (ISO 8601; tanpa zona = waktu setempat).",
)
@click.option("--batch", default=privacy.BATCH, show_default=True, type=click.IntRange(1, 10000))
@click.option("--enqueue", is_flag=True, help="Jalankan sebagai job RQ, bukan di sini.")
def privacy_apply(now_text: str | None, batch: int, enqueue: bool) -> None:
    """Terapkan masa retensi sekarang (job harian melakukannya setiap malam)."""
    settings = _settings()
    if enqueue:
        job = jobs.enqueue_retention(settings)
        click.echo(f"Job {job.id} masuk antrean {job.origin}.")
        return
    now = parse_now(now_text, settings) if now_text else utcnow()
    broker.ensure_available(settings)  # the bot's drafts of a Telegram reporter go too
    try:
        run = privacy.apply_retention(settings, now=now, batch=batch)
    except DomainError as error:
        raise CommandError(error.message) from error
    click.echo(
        f"Retensi {run.years} tahun (pengaduan berakhir sebelum {human(run.cutoff, settings.tz)}):"
        f" {run.complaints} pengaduan dianonimkan, {run.reporters} identitas dan "
        f"{run.attachments} lampiran dihapus."
    )
