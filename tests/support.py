"""Helpers shared by the tests: running jobs the way the worker process does, routing."""

from __future__ import annotations

import io
from datetime import datetime

from PIL import ExifTags, Image
from rq import Queue, SimpleWorker
from sqlmodel import Session, select

from lapor.domain import workflow
from lapor.infra import broker, db, jobs
from lapor.infra.settings import Settings
from lapor.services import effects as casework
from models import Agency, Complaint


def export_settings(monkeypatch, settings: Settings) -> None:
    """Put the settings in the environment, where the jobs read them."""
    env = {
        "LAPOR_ENV": settings.env,
        "LAPOR_DATA_DIR": str(settings.data_dir),
        "LAPOR_DATABASE_URL": settings.database_url,
        "LAPOR_REDIS_URL": settings.redis_url or "",
        "LAPOR_SECRET_KEY": settings.secret_key,
        "TELEGRAM_BOT_TOKEN": settings.telegram_bot_token or "",
        "LAPOR_TELEGRAM_API_URL": settings.telegram_api_url,
        "LAPOR_SMTP_HOST": settings.smtp_host or "",
        "LAPOR_SMTP_PORT": str(settings.smtp_port),
        "LAPOR_SMTP_SECURITY": settings.smtp_security,
        "LAPOR_SMTP_FROM": settings.smtp_from,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)


def with_channels(settings: Settings, telegram, smtp, monkeypatch, **extra: object) -> Settings:
    """Settings with Telegram (the local Bot API server) and email (the local SMTP server)
    on, exported to the environment the jobs read."""
    wired = settings.with_overrides(
        {
            "telegram_bot_token": telegram.token,
            "telegram_api_url": telegram.url,
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp.port,
            "smtp_security": "none",
            **extra,
        }
    )
    export_settings(monkeypatch, wired)
    return wired


STAFF_PASSWORD = "kata-sandi-panjang"


def signed_in(app, username: str, password: str = STAFF_PASSWORD):
    """A test client of the app signed in as this staff member."""
    client = app.test_client()
    response = client.post("/masuk", data={"username": username, "password": password})
    assert response.status_code == 303, response.get_data(as_text=True)
    return client


def work(settings: Settings) -> None:
    """Run every queued job, as the worker process would, until the queues are empty."""
    connection = broker.connect(settings)
    queues = [Queue(name, connection=connection) for name in jobs.QUEUES]
    SimpleWorker(queues, connection=connection).work(burst=True)


def act_on(
    settings: Settings,
    code: str,
    action: workflow.Action,
    *,
    actor: workflow.Actor,
    now: datetime,
    agency_code: str | None = None,
    **change,
) -> None:
    """Take an action on a filed complaint through the state machine, in its own transaction;
    `agency_code` names the OPD of the change, the other keywords fill workflow.Change."""

    def run(session: Session) -> None:
        complaint = session.exec(select(Complaint).where(Complaint.tracking_code == code)).one()
        if agency_code:
            change["agency"] = session.exec(select(Agency).where(Agency.code == agency_code)).one()
        casework.act(
            settings,
            session,
            complaint,
            action,
            actor=actor,
            now=now,
            change=workflow.Change(**change),
        )

    db.run_in_transaction(settings, run)


def route_to(settings: Settings, code: str, agency_code: str, now: datetime) -> None:
    """Route a filed complaint to an OPD through the state machine, as the router would."""
    act_on(
        settings,
        code,
        workflow.Action.ROUTE,
        actor=workflow.Actor.system(),
        now=now,
        agency_code=agency_code,
    )


def jpeg(size: tuple[int, int] = (24, 16), **save_options) -> bytes:
    """A real (small) JPEG photo; `save_options` go to Pillow (exif=, comment=, …)."""
    out = io.BytesIO()
    Image.new("RGB", size, (180, 60, 40)).save(out, "JPEG", **save_options)
    return out.getvalue()


def jpeg_with_gps(size: tuple[int, int] = (24, 16)) -> bytes:
    """A phone photo's metadata: GPS position, camera serial, owner's name, a comment."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneCo"
    exif[ExifTags.Base.BodySerialNumber] = "SN-80412345"
    exif[ExifTags.Base.Artist] = "Budi Santoso"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "S"
    gps[ExifTags.GPS.GPSLatitude] = (2.0, 12.0, 36.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (113.0, 55.0, 12.0)
    return jpeg(size, exif=exif, comment=b"Budi Santoso's phone")


def assert_no_metadata(content: bytes) -> None:
    """The stored photo decodes and carries none of jpeg_with_gps()'s metadata."""
    image = decoded(content)
    assert dict(image.getexif()) == {} and image.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}
    assert "comment" not in image.info and "exif" not in image.info
    for trace in (b"SN-80412345", b"Budi", b"PhoneCo", b"Exif"):
        assert trace not in content


def decoded(content: bytes) -> Image.Image:
    """The picture stored bytes decode to (an error if they do not)."""
    image = Image.open(io.BytesIO(content))
    image.load()
    return image


def domain_effects() -> dict:
    """The default region's clock and notices (in-app only), as keyword arguments: what the
    state machine and intake need in a test that calls the domain directly."""
    from lapor.infra.region import sla_document_for
    from lapor.infra.settings import Settings as Defaults
    from lapor.services.effects import deadlines_from, notices_for

    defaults = Defaults()
    document = sla_document_for(defaults.region)
    deadlines = deadlines_from(document, {}, defaults.timezone)
    return {"deadlines": deadlines, "notices": notices_for(defaults)}
