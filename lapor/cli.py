"""The `lapor` command: set up, run and inspect a Lapor installation."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup, routes_command, shell_command
from sqlmodel import Session, select

from lapor import accounts, create_app, db
from lapor.bootstrap import initialise
from lapor.domain import tracking
from lapor.domain.errors import DomainError
from lapor.domain.workflow import ACTION_LABELS, STATUS_LABELS, Action
from lapor.settings import Settings, SettingsError
from lapor.timefmt import human, utcnow
from models import Agency, Attachment, Complaint, ComplaintEvent, Reporter, Role, User


def _create_app():
    try:
        return create_app()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from exc


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=False)
def main() -> None:
    """Lapor: pengelolaan pengaduan pelayanan publik."""


main.add_command(shell_command)
main.add_command(routes_command)


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
    click.echo(
        f"OPD: {counts['added']} ditambah, {counts['updated']} diperbarui, "
        f"{counts['deactivated']} dinonaktifkan."
    )


@main.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--procfile", default="Procfile", show_default=True, type=click.Path(path_type=Path))
def run_command(host: str, port: int, procfile: Path) -> None:
    """Jalankan seluruh sistem: web, worker, cron (dan bot bila ada token)."""
    from lapor.runner import run_system

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
            )
        except DomainError as exc:
            raise click.ClickException(exc.message) from exc
        session.commit()
        click.echo(f"Akun '{user.username}' ({user.role.value}) dibuat.")


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


@main.group("complaint")
def complaint_group() -> None:
    """Lihat pengaduan."""


@complaint_group.command("show")
@click.argument("code")
@click.option("--json", "as_json", is_flag=True, help="Keluaran JSON.")
def complaint_show(code: str, as_json: bool) -> None:
    """Tampilkan satu pengaduan dan riwayatnya menurut kode pelacakan."""
    normalized = tracking.normalize(code)
    if normalized is None:
        raise click.ClickException(f"Kode pelacakan tidak valid: {code!r}")
    with _session() as session:
        complaint = session.exec(
            select(Complaint).where(Complaint.tracking_code == normalized)
        ).first()
        if complaint is None:
            raise click.ClickException(f"Pengaduan {tracking.display(normalized)} tidak ditemukan.")
        view = _complaint_view(session, complaint)
    if as_json:
        click.echo(json.dumps(view, ensure_ascii=False, indent=2, default=str))
        return
    _print_complaint(view)


def _complaint_view(session: Session, complaint: Complaint) -> dict:
    tz = _settings().tz
    agency = session.get(Agency, complaint.agency_id) if complaint.agency_id else None
    events = session.exec(
        select(ComplaintEvent)
        .where(ComplaintEvent.complaint_id == complaint.id)
        .order_by(ComplaintEvent.at, ComplaintEvent.id)
    ).all()
    attachments = session.exec(
        select(Attachment).where(Attachment.complaint_id == complaint.id)
    ).all()
    return {
        "tracking_code": complaint.tracking_code,
        "status": complaint.status.value,
        "status_label": STATUS_LABELS[complaint.status],
        "title": complaint.title,
        "text": complaint.text,
        "location": {
            "regency": complaint.regency,
            "district": complaint.district,
            "address": complaint.address,
            "lat": complaint.lat,
            "lon": complaint.lon,
        },
        "channel": complaint.channel.value,
        "anonymous": complaint.anonymous,
        "confidential": complaint.confidential,
        "reporter": _reporter_view(session, complaint),
        "agency": {"code": agency.code, "name": agency.name} if agency else None,
        "routing": {
            "label": complaint.routing_label,
            "confidence": complaint.routing_confidence,
            "model_version": complaint.model_version,
        },
        "escalation_level": complaint.escalation_level,
        "received_at": human(complaint.received_at, tz),
        "attachments": [{"filename": a.filename, "size": a.size} for a in attachments],
        "events": [
            {
                "at": human(e.at, tz),
                "action": e.action,
                "label": ACTION_LABELS.get(Action(e.action), e.action),
                "actor": e.actor_kind.value
                + (f":{_username(session, e.actor_user_id)}" if e.actor_user_id else ""),
                "status_from": e.status_from.value if e.status_from else None,
                "status_to": e.status_to.value,
                "note": e.note,
            }
            for e in events
        ],
    }


def _reporter_view(session: Session, complaint: Complaint) -> dict | str | None:
    # An anonymous reporter's identity stays hidden from operators too: it is only ever
    # used by the notification jobs to reach the reporter.
    if complaint.anonymous:
        return "anonim"
    reporter = session.get(Reporter, complaint.reporter_id) if complaint.reporter_id else None
    if reporter is None:
        return None
    return {"name": reporter.name, "email": reporter.email, "phone": reporter.phone}


def _username(session: Session, user_id: int) -> str:
    user = session.get(User, user_id)
    return user.username if user else str(user_id)


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
    click.echo("Riwayat  :")
    for event in view["events"]:
        note = f" — {event['note']}" if event["note"] else ""
        click.echo(f"  {event['at']}  {event['label']} [{event['actor']}]{note}")
