"""The `lapor` command: set up, run and inspect a Lapor installation."""

from __future__ import annotations

import contextlib
import itertools
import json
import sys
import time
from datetime import datetime
from pathlib import Path

import click
import yaml
from flask import current_app
from flask.cli import FlaskGroup, routes_command, shell_command
from sqlmodel import Session, select

from lapor import create_app
from lapor.cli.backup import backup_command, restore_command
from lapor.cli.bootstrap import initialise
from lapor.cli.options import parse_now
from lapor.cli.privacy import privacy_group
from lapor.cli.run import CommandError, run_system
from lapor.domain import tracking
from lapor.domain.errors import DomainError
from lapor.domain.timefmt import human, utcnow
from lapor.domain.workflow import ACTION_LABELS, STATUS_LABELS, Action
from lapor.infra import db, region
from lapor.infra.settings import Settings, SettingsError
from lapor.services import accounts, integrators, registry, views
from lapor.services.changes import CLI
from lapor.services.views import find_complaint
from models import (
    Agency,
    Complaint,
    ComplaintEvent,
    Notification,
    Role,
)


def _create_app():
    try:
        return create_app()
    except SettingsError as exc:
        raise CommandError(str(exc)) from exc


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=False)
def main() -> None:
    """Lapor: pengelolaan pengaduan pelayanan publik."""


main.add_command(shell_command)
main.add_command(routes_command)
main.add_command(backup_command)
main.add_command(restore_command)
main.add_command(privacy_group)


def _settings() -> Settings:
    return current_app.extensions["lapor.settings"]


def _session() -> Session:
    return Session(db.engine_for(_settings().database_url), expire_on_commit=False)


@main.command("init")
def init_command() -> None:
    """Siapkan direktori data, migrasi basis data, dan muat daftar OPD."""
    settings = _settings()
    counts = initialise(settings)
    click.echo(f"Direktori data: {settings.data_dir}")
    if counts["added"]:
        click.echo(f"OPD: {counts['added']} dimuat dari berkas wilayah.")
    else:
        click.echo(
            "Daftar OPD sudah ada di basis data dan tidak diubah (dikelola admin di /admin/opd; "
            "`lapor registry import BERKAS` memuat agencies.yaml yang diubah)."
        )


@main.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--procfile", default="Procfile", show_default=True, type=click.Path(path_type=Path))
def run_command(host: str, port: int, procfile: Path) -> None:
    """Jalankan seluruh sistem: web, worker, cron (dan bot bila ada token)."""
    raise SystemExit(run_system(_settings(), procfile.absolute(), host, port))


@main.group("user")
def user_group() -> None:
    """Kelola akun petugas."""


@user_group.command("create")
@click.option("--username", required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--agency", "agency_code", help="Kode OPD (wajib untuk officer).")
@click.option("--name", "full_name", default="")
def user_create(username: str, password: str, role: str, agency_code: str | None, full_name: str):
    """Buat akun petugas baru."""
    with _session() as session:
        try:
            user = accounts.create_user(
                session,
                username=username,
                password=password,
                role=role,
                agency_code=agency_code,
                full_name=full_name,
                now=utcnow(),
                editor=CLI,
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        session.commit()
        click.echo(f"Akun '{user.username}' ({user.role.value}) dibuat.")


@main.command("demo")
@click.option("--count", default=52, show_default=True, type=click.IntRange(1, 1000))
def demo_command(count: int) -> None:
    """Buat akun untuk setiap peran dan contoh pengaduan di setiap keadaan (untuk mencoba)."""
    from lapor.cli.demo import create_demo

    try:
        result = create_demo(_settings(), utcnow(), count=count)
    except DomainError as error:
        raise CommandError(error.message) from error
    click.echo("Akun demo (kata sandi hanya ditampilkan sekali ini):")
    for username, password in result.passwords.items():
        click.echo(f"  {username:<18} {password}")
    actions = ", ".join(f"{k} {v}" for k, v in sorted(result.escalations.items()))
    click.echo(f"{result.complaints} pengaduan contoh dibuat; sapuan SLA: {actions or '-'}.")
    click.echo("Masuk di /masuk, lalu buka /petugas (antrean) atau /petugas/dasbor.")


@main.group("token")
def token_group() -> None:
    """Token untuk API petugas."""


@token_group.command("create")
@click.argument("username")
def token_create(username: str) -> None:
    """Buat token API untuk seorang petugas (dicetak sekali, di baris terakhir)."""
    with _session() as session:
        try:
            token = accounts.create_token(session, username, now=utcnow())
        except DomainError as error:
            raise CommandError(error.message) from error
        session.commit()
    click.echo(f"Token untuk {username} (simpan; tidak dapat ditampilkan lagi):")
    click.echo(token)


@main.group("open311")
def open311_group() -> None:
    """Open311 (GeoReport v2) untuk integrator."""


@open311_group.group("key")
def open311_key_group() -> None:
    """Kunci API integrator Open311 (mis. FixMyStreet sebuah kota)."""


@open311_key_group.command("create")
@click.argument("name")
@click.option(
    "--per-minute",
    default=integrators.DEFAULT_PER_MINUTE,
    show_default=True,
    type=click.IntRange(1, integrators.MAX_PER_MINUTE),
    help="Batas permintaan per menit untuk kunci ini.",
)
def open311_key_create(name: str, per_minute: int) -> None:
    """Buat kunci API untuk integrator NAME (dicetak sekali, di baris terakhir)."""
    with _session() as session:
        try:
            key = integrators.create(session, name, now=utcnow(), per_minute=per_minute)
        except DomainError as error:
            raise CommandError(error.message) from error
        session.commit()
    shown = name.strip().lower()
    click.echo(f"Kunci api_key untuk {shown} (simpan; tidak dapat ditampilkan lagi):")
    click.echo(key)


@open311_key_group.command("list")
def open311_key_list() -> None:
    """Daftar integrator: nama, batas per menit, dibuat, terakhir dipakai, dicabut."""
    with _session() as session:
        keys = integrators.list_keys(session)
    click.echo("nama\tper_menit\tdibuat\tterakhir_dipakai\tdicabut")
    for key in keys:
        used = key.last_used_at.isoformat() if key.last_used_at else "-"
        revoked = "ya" if key.revoked else "tidak"
        click.echo(f"{key.name}\t{key.per_minute}\t{key.created_at.isoformat()}\t{used}\t{revoked}")


@open311_key_group.command("revoke")
@click.argument("name")
def open311_key_revoke(name: str) -> None:
    """Cabut kunci integrator NAME: permintaannya ditolak (403) sejak sekarang."""
    with _session() as session:
        try:
            key = integrators.revoke(session, name)
        except DomainError as error:
            raise CommandError(error.message) from error
        session.commit()
    click.echo(f"Kunci {key.name} dicabut.")


@main.group("agencies")
def agencies_group() -> None:
    """Daftar OPD."""


@agencies_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Keluaran JSON.")
@click.option("--all", "include_all", is_flag=True, help="Termasuk instansi luar dan nonaktif.")
def agencies_list(as_json: bool, include_all: bool) -> None:
    """Tampilkan OPD dengan rantai eskalasinya."""
    with _session() as session:
        agencies = session.exec(select(Agency).order_by(Agency.id)).all()
    by_id = {a.id: a for a in agencies}
    shown = [a for a in agencies if include_all or (a.active and a.kind != "external")]
    if as_json:
        rows = [
            {
                "code": a.code,
                "name": a.name,
                "short_name": a.short_name,
                "kind": a.kind.value,
                "parent": by_id[a.parent_id].code if a.parent_id else None,
                "active": a.active,
            }
            for a in shown
        ]
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for agency in shown:
        depth = len(_chain(agency, by_id)) - 1
        flag = "" if agency.active else "  [nonaktif]"
        click.echo(f"{'  ' * depth}{agency.code:<14} {agency.name}{flag}")


def _chain(agency: Agency, by_id: dict[int | None, Agency]) -> list[Agency]:
    chain = [agency]
    while chain[-1].parent_id is not None:
        chain.append(by_id[chain[-1].parent_id])
    return chain


@main.group("registry")
def registry_group() -> None:
    """Daftar OPD sebagai berkas agencies.yaml: ekspor dan impor."""


@registry_group.command("export")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path))
def registry_export(file: Path) -> None:
    """Tulis daftar OPD di basis data ke BERKAS (struktur agencies.yaml; - untuk layar)."""
    settings = _settings()
    with _session() as session:
        document = region.registry_document(
            region.region_info(settings.region), registry.entries(session)
        )
    text = yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=100)
    if str(file) == "-":
        click.echo(text, nl=False)
        return
    file.write_text(text, encoding="utf-8")
    click.echo(f"{len(document['agencies']) + len(document['external_bodies'])} OPD → {file}")


@registry_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Hanya tampilkan perbedaannya, tanpa mengubah.")
def registry_import(file: Path, dry_run: bool) -> None:
    """Samakan daftar OPD dengan BERKAS: tambah, ubah, pindahkan; yang tidak ada dinonaktifkan."""
    try:
        loaded = region.load_registry(file)
    except region.RegionDataError as exc:
        raise CommandError(str(exc)) from exc
    with _session() as session:
        try:
            differences = registry.import_registry(
                session, CLI, loaded, now=utcnow(), region=_settings().region
            )
        except DomainError as exc:
            raise CommandError(_problem_text(exc)) from exc
        for difference in differences:
            click.echo(difference.describe())
        if dry_run:
            session.rollback()
            click.echo(f"{len(differences)} perbedaan (uji coba: tidak ada yang diubah).")
            return
        session.commit()
    click.echo(f"{len(differences)} perubahan diterapkan.")


def _problem_text(error: DomainError) -> str:
    fields = getattr(error, "fields", None) or {}
    details = "; ".join(f"{name}: {problem.message}" for name, problem in fields.items())
    return f"{error.message} {details}".strip()


@main.group("attachments")
def attachments_group() -> None:
    """Lampiran pengaduan."""


@attachments_group.command("strip-metadata")
def attachments_strip_metadata() -> None:
    """Simpan ulang foto lama tanpa metadata (EXIF: lokasi GPS, nomor seri kamera, pemilik)."""
    from lapor.services.attachments import strip_stored_photos

    result = strip_stored_photos(_settings())
    click.echo(f"Foto diperiksa: {result.checked}, dibersihkan: {result.cleaned}.")
    if result.undecodable:
        ids = ", ".join(str(i) for i in result.undecodable)
        click.echo(f"Tidak dapat dibaca sebagai gambar (dibiarkan): lampiran {ids}.")


@main.group("complaint")
def complaint_group() -> None:
    """Lihat pengaduan."""


@complaint_group.command("show")
@click.argument("code")
@click.option("--json", "as_json", is_flag=True, help="Keluaran JSON.")
def complaint_show(code: str, as_json: bool) -> None:
    """Tampilkan satu pengaduan dan riwayatnya menurut kode pelacakan."""
    with _session() as session:
        view = _complaint_view(session, _complaint_by_code(session, code))
    if as_json:
        click.echo(json.dumps(view, ensure_ascii=False, indent=2, default=str))
        return
    _print_complaint(view)


def _complaint_by_code(session: Session, code: str) -> Complaint:
    """The complaint of a typed code, or a clear error for the operator."""
    if tracking.normalize(code) is None:
        raise CommandError(f"Kode pelacakan tidak valid: {code!r}")
    complaint = find_complaint(session, code)
    if complaint is None:
        raise CommandError(
            f"Pengaduan {tracking.display(tracking.normalize(code))} tidak ditemukan."
        )
    return complaint


def _complaint_view(session: Session, complaint: Complaint) -> dict:
    return views.operator_view(session, complaint, _settings().tz)


def _print_complaint(view: dict) -> None:
    click.secho(f"{tracking.display(view['tracking_code'])}  {view['status_label']}", bold=True)
    if view["title"]:
        click.echo(view["title"])
    click.echo(view["text"])
    location = ", ".join(
        str(v)
        for v in (
            view["location"]["address"],
            view["location"]["district"],
            view["location"]["regency"],
        )
        if v
    )
    click.echo(f"Lokasi   : {location or '-'}")
    click.echo(f"Kanal    : {view['channel']}    Diterima: {view['received_at']}")
    privacy = [
        p for p, on in (("anonim", view["anonymous"]), ("rahasia", view["confidential"])) if on
    ]
    click.echo(f"Privasi  : {', '.join(privacy) or 'terbuka'}")
    agency = view["agency"]
    click.echo(f"OPD      : {agency['name'] if agency else '- (menunggu verifikasi)'}")
    click.echo(f"Eskalasi : level {view['escalation_level']}")
    deadlines = view["deadlines"]
    click.echo(
        f"Tenggat  : verifikasi {deadlines['verification']}; tanggapan {deadlines['response']}; "
        f"selesai {deadlines['resolution']}"
    )
    click.echo("Riwayat  :")
    for event in view["events"]:
        note = f" — {event['note']}" if event["note"] else ""
        click.echo(f"  {event['at']}  {event['label']} [{event['actor']}]{note}")


# --- SLA ---------------------------------------------------------------------------------


@main.group("sla")
def sla_group() -> None:
    """Tenggat, pengingat dan eskalasi pengaduan."""


@sla_group.command("sweep")
@click.option(
    "--now",
    "now_text",
    help="Jalankan seolah-olah pada waktu ini (ISO 8601; tanpa zona = waktu setempat).",
)
@click.option("--batch", default=500, show_default=True, type=click.IntRange(1, 10000))
@click.option("--json", "as_json", is_flag=True, help="Keluaran JSON.")
def sla_sweep(now_text: str | None, batch: int, as_json: bool) -> None:
    """Jalankan satu sapuan SLA sekarang juga (pengingat, eskalasi, penutupan otomatis)."""
    from lapor.services import sweep as sla

    settings = _settings()
    now = parse_now(now_text, settings) if now_text else utcnow()
    result = sla.sweep(settings, now, batch=batch)
    summary = {
        "now": now.isoformat(),
        "looked_at": result.looked_at,
        "actions": dict(sorted(result.actions.items())),
    }
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False, indent=2))
        return
    done = ", ".join(f"{name} {count}" for name, count in summary["actions"].items())
    click.echo(
        f"Sapuan pada {human(now, settings.tz)}: {result.looked_at} pengaduan diperiksa; "
        f"{done or 'tidak ada tindakan'}."
    )


@sla_group.command("show")
@click.argument("code")
@click.option("--json", "as_json", is_flag=True, help="Keluaran JSON.")
def sla_show(code: str, as_json: bool) -> None:
    """Tampilkan tenggat setiap tahap dan riwayat eskalasi satu pengaduan."""
    with _session() as session:
        view = _sla_view(session, _complaint_by_code(session, code))
    if as_json:
        click.echo(json.dumps(view, ensure_ascii=False, indent=2))
        return
    tz = _settings().tz
    click.secho(f"{tracking.display(view['tracking_code'])}  {view['status_label']}", bold=True)
    click.echo(f"OPD      : {view['agency'] or '- (menunggu verifikasi)'}")
    click.echo(f"Eskalasi : level {view['escalation_level']}")
    labels = {
        "verification": "verifikasi",
        "response": "tindak lanjut OPD",
        "resolution": "penyelesaian",
        "auto_close": "tutup otomatis",
        "next_check": "diperiksa lagi",
    }
    for key, label in labels.items():
        value = view["deadlines"][key]
        shown = human(datetime.fromisoformat(value), tz) if value else "-"
        click.echo(f"  {label:<18} {shown}")
    if view["paused_days_left"] is not None:
        click.echo(f"Jeda     : {view['paused_days_left']} hari kerja tersisa")
    click.echo("Pengingat dan eskalasi:")
    for item in view["history"] or [{"label": "belum ada"}]:
        when = human(datetime.fromisoformat(item["at"]), tz) if "at" in item else ""
        target = f" → {item['target']}" if item.get("target") else ""
        click.echo(f"  {when}  {item['label']}{target}")
    click.echo("Notifikasi:")
    for item in view["notifications"] or [{"channel": "-", "status": "belum ada"}]:
        error = f" ({item['last_error']})" if item.get("last_error") else ""
        click.echo(f"  {item['channel']:<9} {item['status']}{error}  {item.get('subject', '')}")


def _sla_view(session: Session, complaint: Complaint) -> dict:
    def iso(moment: datetime | None) -> str | None:
        return moment.isoformat() if moment else None

    agency = session.get(Agency, complaint.agency_id) if complaint.agency_id else None
    events = session.exec(
        select(ComplaintEvent)
        .where(
            ComplaintEvent.complaint_id == complaint.id,
            ComplaintEvent.action.in_(["escalate", "remind"]),
        )
        .order_by(ComplaintEvent.at, ComplaintEvent.id)
    ).all()
    notifications = session.exec(
        select(Notification)
        .where(Notification.complaint_id == complaint.id)
        .order_by(Notification.id)
    ).all()
    return {
        "tracking_code": complaint.tracking_code,
        "status": complaint.status.value,
        "status_label": STATUS_LABELS[complaint.status],
        "agency": agency.code if agency else None,
        "escalation_level": complaint.escalation_level,
        "paused_days_left": complaint.paused_days_left,
        "deadlines": {
            "verification": iso(complaint.verification_due_at),
            "response": iso(complaint.response_due_at),
            "resolution": iso(complaint.resolution_due_at),
            "auto_close": iso(complaint.auto_close_at),
            "next_check": iso(complaint.next_check_at),
        },
        "history": [
            {
                "at": e.at.isoformat(),
                "action": e.action,
                "level": e.data.get("level"),
                "target": e.data.get("target"),
                "stage": e.data.get("stage"),
                "label": ACTION_LABELS[Action(e.action)]
                + (f" tingkat {e.data['level']}" if e.data.get("level") else ""),
            }
            for e in events
        ],
        "notifications": [
            {
                "kind": n.kind,
                "channel": n.channel,
                "status": n.status.value,
                "attempts": n.attempts,
                "last_error": n.last_error,
                "subject": n.subject,
            }
            for n in notifications
        ],
    }


# --- routing ---------------------------------------------------------------------------


def _router():
    from lapor.routing import service

    router = service.current_router(_settings())
    if router is None:
        raise CommandError("Belum ada model yang dapat dipakai. Jalankan `lapor model train`.")
    return router


@main.command("route")
@click.argument("text", required=False)
@click.option(
    "--batch",
    "batch",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="CSV dengan kolom 'text'; satu baris JSON per baris, berurutan.",
)
@click.option("--regency", help="Kabupaten/kota lokasi (untuk urusan kelurahan/kecamatan).")
@click.option("--explain", is_flag=True, help="Sertakan kata-kata yang paling menentukan.")
def route_command(text: str | None, batch: Path | None, regency: str | None, explain: bool):
    """Tentukan OPD tujuan sebuah teks pengaduan (JSON)."""
    from lapor.routing.dataset import DatasetError, read_texts

    if (text is None) == (batch is None):
        raise click.UsageError("Berikan TEXT atau --batch FILE.csv (salah satu).")
    router = _router()
    if batch is not None:
        try:
            texts = read_texts(batch)
        except DatasetError as exc:
            raise CommandError(str(exc)) from exc
        for start in range(0, len(texts), 1000):
            for decision in router.decide_many(texts[start : start + 1000]):
                click.echo(json.dumps(decision.as_json(), ensure_ascii=False))
        return
    decision = router.decide(text, regency)
    body = decision.as_json()
    body["model_version"] = decision.model_version
    if explain:
        body["explanation"] = router.explain(text, decision.label)
    click.echo(json.dumps(body, ensure_ascii=False, indent=2))


@main.group("model")
def model_group() -> None:
    """Latih, nilai, dan kelola model penentu OPD."""


@model_group.command("train")
@click.option(
    "--data",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="CSV pelatihan (format complaints.csv atau text,label). Bawaan: data terlampir.",
)
def model_train(data: Path | None) -> None:
    """Latih model baru dari data dan koreksi petugas, lalu jadikan model aktif."""
    from lapor.routing import service
    from lapor.routing.dataset import DatasetError
    from lapor.routing.model import TRAINING_STAGES

    # One stage more than the model's own: the service first reads the data.
    with _progress_bar(TRAINING_STAGES + 1) as progress:
        try:
            trained = service.train_and_promote(
                _settings(), now=utcnow(), data=data, progress=progress
            )
        except DatasetError as exc:
            raise CommandError(str(exc)) from exc
    scores = trained.metadata["out_of_fold"]
    how = trained.metadata.get("threshold_method", {})
    click.echo(
        f"Model {trained.version} aktif: macro-F1 {scores['macro_f1']:.3f}, akurasi "
        f"{scores['accuracy']:.3f}, {trained.metadata['train_seconds']} detik.\n"
        f"Ambang {trained.threshold:.3f}, dipilih pada {_held_out_period(how)} dengan margin "
        f"{how.get('margin', 0):.0%}: di sana otomatis {scores['auto_coverage']:.0%} dengan "
        f"ketepatan {scores['auto_precision']:.1%} ({scores['n']} contoh)."
    )


def _held_out_period(how: dict) -> str:
    """Where the threshold was chosen, in words."""
    if "from" not in how:
        return "prediksi out-of-fold (lipatan acak)"
    return f"periode terbaru data latih ({how['from'][:10]} – {how['to'][:10]})"


@contextlib.contextmanager
def _progress_bar(stages: int):
    """A progress bar on stderr advanced by each training stage's message."""
    with click.progressbar(
        length=stages,
        label="Melatih",
        file=sys.stderr,
        show_eta=False,
        item_show_func=lambda message: message,
    ) as bar:
        started = []

        def report(message: str) -> None:
            # A message starts a stage: the one before it is done.
            bar.update(1 if started else 0, current_item=message)
            started.append(message)

        yield report
        bar.update(stages - bar.pos, current_item="selesai")


def _progress():
    """A progress reporter printing each training stage with the time elapsed."""
    started = time.perf_counter()
    steps = itertools.count(1)

    def report(message: str) -> None:
        click.echo(f"[{next(steps)}] {time.perf_counter() - started:5.1f}s  {message}", err=True)

    return report


@model_group.command("evaluate")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def model_evaluate(file: Path) -> None:
    """Nilai model aktif pada CSV berlabel (format complaints.csv atau text,label)."""
    from lapor.routing.dataset import DatasetError, read_examples
    from lapor.routing.model import evaluate

    router = _router()
    try:
        examples = read_examples(file, known_labels=router.model.labels)
    except DatasetError as exc:
        raise CommandError(str(exc)) from exc
    if not examples:
        raise CommandError("Berkas tidak berisi contoh berlabel.")
    result = evaluate(router.model, examples, threshold=router.model.threshold)
    click.echo(
        json.dumps(
            {
                "model_version": router.model.version,
                "n": result.n,
                "accuracy": round(result.accuracy, 4),
                "macro_f1": round(result.macro_f1, 4),
                "threshold": round(result.threshold, 4),
                "auto_precision": round(result.auto_precision, 4),
                "auto_coverage": round(result.auto_coverage, 4),
                "per_label": result.per_label,
            },
            ensure_ascii=False,
            indent=2,
        )
    )


@model_group.command("retrain")
@click.option("--enqueue", is_flag=True, help="Jalankan sebagai job RQ, bukan di sini.")
def model_retrain(enqueue: bool) -> None:
    """Latih ulang dengan koreksi baru; promosikan hanya bila tidak lebih buruk."""
    from lapor.infra import jobs
    from lapor.routing import service

    if enqueue:
        job = jobs.enqueue_retrain(_settings())
        click.echo(f"Job {job.id} masuk antrean {job.origin}.")
        return
    result = service.retrain(_settings(), now=utcnow(), progress=_progress())
    click.echo(json.dumps(result.__dict__, ensure_ascii=False, indent=2))


@model_group.command("rollback")
def model_rollback() -> None:
    """Kembali ke model aktif sebelumnya."""
    from lapor.routing import service
    from lapor.routing.artifacts import ModelError

    try:
        version = service.model_store(_settings()).rollback()
    except ModelError as exc:
        raise CommandError(str(exc)) from exc
    click.echo(f"Model {version} aktif kembali.")


@model_group.command("list")
def model_list() -> None:
    """Daftar model tersimpan; yang aktif ditandai *."""
    from lapor.routing import service

    store = service.model_store(_settings())
    current = store.current_version()
    for version in store.versions():
        meta = store.metadata(version)
        scores = meta.get("out_of_fold", {})
        mark = "*" if version == current else " "
        click.echo(
            f"{mark} {version}  macro-F1 {scores.get('macro_f1', 0):.3f}  "
            f"sklearn {meta.get('sklearn_version')}  contoh {meta.get('n_examples')}"
        )


@model_group.command("monitor")
@click.option("--json", "as_json", is_flag=True, help="Keluaran JSON.")
@click.option("--run", "run_now", is_flag=True, help="Naikkan/turunkan ambang sekarang juga.")
def model_monitor(as_json: bool, run_now: bool) -> None:
    """Ketepatan penentuan OPD dari tindakan petugas, per label dan keseluruhan."""
    from lapor.services import routing_monitor

    if run_now:
        for step in routing_monitor.watch(_settings(), now=utcnow()):
            click.echo(f"{step.kind} {step.label}: {step.before} -> {step.after}", err=True)
    with _session() as session:
        found = routing_monitor.status(session, _settings())
    if as_json:
        click.echo(json.dumps(found.as_json(), ensure_ascii=False, indent=2))
        return
    if found.model_version is None:
        raise CommandError("Belum ada model aktif.")

    def pct(value: float | None) -> str:
        return f"{value:.1%}" if value is not None else "-"

    o = found.overall
    click.echo(
        f"Model {found.model_version} (ambang {found.model_threshold:.3f}, target "
        f"{found.target:.0%}): {o.right}/{o.decided} tepat, {o.wrong} salah, {pct(o.precision)}"
    )
    for r in found.rows:
        raise_note = " (dinaikkan)" if r.raised else ""
        click.echo(
            f"  {r.label:<28} {r.decided:>4} {r.right:>4} {r.wrong:>4} {pct(r.precision):>7}"
            f"  ambang {r.threshold:.3f}{raise_note}"
        )


@model_group.command("lift")
@click.argument("label")
def model_lift(label: str) -> None:
    """Kembalikan ambang label yang dinaikkan otomatis ke ambang model."""
    from lapor.services import routing_monitor

    if not routing_monitor.lift(_settings(), label, CLI, now=utcnow()):
        raise CommandError(f"Ambang label '{label}' tidak sedang dinaikkan.")
    click.echo(f"Ambang label '{label}' dikembalikan ke ambang model.")


@complaint_group.command("similar")
@click.argument("code")
@click.option("--limit", default=5, show_default=True, type=click.IntRange(1, 50))
def complaint_similar(code: str, limit: int) -> None:
    """Pengaduan terbuka yang mirip (calon duplikat) untuk digabung saat triase."""
    from lapor.routing.similar import similar_open_complaints

    with _session() as session:
        complaint = _complaint_by_code(session, code)
        matches = similar_open_complaints(session, complaint, now=utcnow(), limit=limit)
    rows = [
        {
            "tracking_code": other.tracking_code,
            "score": match.score,
            "text_similarity": match.text_similarity,
            "distance_km": None if match.distance_km is None else round(match.distance_km, 2),
            "status": other.status.value,
            "text": other.text[:160],
        }
        for other, match in matches
    ]
    click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
