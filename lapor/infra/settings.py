"""Settings of a Lapor process, read from the environment in this one place."""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TELEGRAM_API_URL = "https://api.telegram.org/bot"
# OpenStreetMap's standard tiles and the attribution their licence asks for; a region may
# point LAPOR_MAP_TILES at its own tile server.
DEFAULT_MAP_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
DEFAULT_MAP_ATTRIBUTION = (
    '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
)
DEVELOPMENT = "development"
SMTP_SECURITY = ("starttls", "ssl", "none")


class SettingsError(RuntimeError):
    """The environment describes a configuration Lapor refuses to run with."""


@dataclass(frozen=True)
class Settings:
    """Everything a process needs to know about where its data and services live."""

    env: str = DEVELOPMENT
    data_dir: Path = Path("instance")
    database_url: str = ""
    redis_url: str | None = None
    secret_key: str = ""
    timezone: str = "Asia/Jakarta"
    region: str = "kalteng"
    telegram_bot_token: str | None = None
    telegram_api_url: str = DEFAULT_TELEGRAM_API_URL
    telegram_webhook_url: str | None = None
    telegram_webhook_listen: str = "127.0.0.1"
    telegram_webhook_port: int = 8443
    public_url: str = "http://127.0.0.1:5000"
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_from: str = "lapor@localhost"
    smtp_security: str = "starttls"  # starttls | ssl | none
    map_tiles: str = DEFAULT_MAP_TILES
    map_attribution: str = DEFAULT_MAP_ATTRIBUTION
    my_complaints_hours: int = 24  # how long a "my complaints" link (/lacak/saya) is valid
    backup_dir: Path | None = None  # the daily backup's directory; unset: no scheduled backup
    backup_keep: int = 7  # how many scheduled archives to keep
    extra: Mapping[str, object] = field(default_factory=dict)

    @property
    def is_development(self) -> bool:
        return self.env == DEVELOPMENT

    @property
    def uses_embedded_redis(self) -> bool:
        return not self.redis_url

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def email_enabled(self) -> bool:
        return self.smtp_host is not None

    @property
    def telegram_enabled(self) -> bool:
        return self.telegram_bot_token is not None

    @property
    def map_tile_origin(self) -> str:
        """The tile server as the content security policy names it ("{s}." subdomains as
        "*.")."""
        parts = urlsplit(self.map_tiles.replace("{s}.", "*."))
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def attachments_dir(self) -> Path:
        return self.data_dir / "attachments"

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        overrides: Mapping[str, object] | None = None,
    ) -> Settings:
        """Read the LAPOR_* (and TELEGRAM_BOT_TOKEN) variables, apply overrides, validate."""
        environ = os.environ if environ is None else environ

        def read(name: str, default: str = "") -> str:
            return environ.get(name, "").strip() or default

        settings = cls(
            env=read("LAPOR_ENV", DEVELOPMENT).lower(),
            data_dir=Path(read("LAPOR_DATA_DIR", "instance")).expanduser().absolute(),
            database_url=read("LAPOR_DATABASE_URL"),
            redis_url=read("LAPOR_REDIS_URL") or None,
            secret_key=read("LAPOR_SECRET_KEY"),
            timezone=read("LAPOR_TIMEZONE", "Asia/Jakarta"),
            region=read("LAPOR_REGION", "kalteng"),
            telegram_bot_token=read("TELEGRAM_BOT_TOKEN") or None,
            telegram_api_url=read("LAPOR_TELEGRAM_API_URL", DEFAULT_TELEGRAM_API_URL),
            telegram_webhook_url=read("LAPOR_TELEGRAM_WEBHOOK_URL") or None,
            telegram_webhook_listen=read("LAPOR_TELEGRAM_WEBHOOK_LISTEN", "127.0.0.1"),
            telegram_webhook_port=_port(read("LAPOR_TELEGRAM_WEBHOOK_PORT", "8443")),
            public_url=read("LAPOR_PUBLIC_URL", "http://127.0.0.1:5000"),
            smtp_host=read("LAPOR_SMTP_HOST") or None,
            smtp_port=_port(read("LAPOR_SMTP_PORT", "587")),
            smtp_user=read("LAPOR_SMTP_USER") or None,
            smtp_password=read("LAPOR_SMTP_PASSWORD") or None,
            smtp_from=read("LAPOR_SMTP_FROM", "lapor@localhost"),
            smtp_security=read("LAPOR_SMTP_SECURITY", "starttls").lower(),
            map_tiles=read("LAPOR_MAP_TILES", DEFAULT_MAP_TILES),
            map_attribution=read("LAPOR_MAP_ATTRIBUTION", DEFAULT_MAP_ATTRIBUTION),
            my_complaints_hours=_hours(read("LAPOR_MY_COMPLAINTS_HOURS", "24")),
            backup_dir=Path(raw).expanduser().absolute()
            if (raw := read("LAPOR_BACKUP_DIR"))
            else None,
            backup_keep=_backup_keep(read("LAPOR_BACKUP_KEEP", "7")),
        )
        return settings.with_overrides(overrides or {})

    def with_overrides(self, overrides: Mapping[str, object]) -> Settings:
        """Return a copy with the known fields replaced; unknown keys land in `extra`."""
        known = {f.name for f in fields(self)}
        values = {k: v for k, v in overrides.items() if k in known}
        if "data_dir" in values:
            values["data_dir"] = Path(values["data_dir"]).absolute()
        extra = {**self.extra, **{k: v for k, v in overrides.items() if k not in known}}
        return replace(self, **values, extra=extra).completed()

    def completed(self) -> Settings:
        """Derive what was left unset and refuse what cannot work."""
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise SettingsError(f"LAPOR_TIMEZONE tidak dikenal: {self.timezone!r}") from exc
        if self.smtp_security not in SMTP_SECURITY:
            raise SettingsError(
                f"LAPOR_SMTP_SECURITY harus salah satu dari {', '.join(SMTP_SECURITY)}."
            )
        if not _is_tile_url(self.map_tiles):
            raise SettingsError(
                "LAPOR_MAP_TILES harus alamat http(s) dengan {z}, {x} dan {y}, misalnya "
                + DEFAULT_MAP_TILES
            )
        database_url = self.database_url or f"sqlite:///{self.data_dir / 'lapor.infra.db'}"
        database_url = _with_driver(database_url)
        secret_key = self.secret_key
        if not secret_key:
            if not self.is_development:
                raise SettingsError(
                    "LAPOR_SECRET_KEY wajib diisi di luar mode development "
                    "(LAPOR_ENV=" + self.env + ")."
                )
            secret_key = _development_secret(self.data_dir)
        return replace(self, database_url=database_url, secret_key=secret_key)


def _port(raw: str) -> int:
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise SettingsError(f"Nomor port tidak valid: {raw!r}")
    return int(raw)


def _hours(raw: str) -> int:
    if not raw.isdigit() or not 0 < int(raw) <= 24 * 30:
        raise SettingsError(f"LAPOR_MY_COMPLAINTS_HOURS harus 1 sampai 720 jam: {raw!r}")
    return int(raw)


def _backup_keep(raw: str) -> int:
    if not raw.isdigit() or not 0 < int(raw) <= 365:
        raise SettingsError(f"LAPOR_BACKUP_KEEP harus 1 sampai 365: {raw!r}")
    return int(raw)


def _is_tile_url(url: str) -> bool:
    return url.startswith(("https://", "http://")) and all(
        part in url for part in ("{z}", "{x}", "{y}")
    )


def _with_driver(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs that name no driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _development_secret(data_dir: Path) -> str:
    """A per-installation key kept in the data directory, so sessions survive restarts."""
    path = data_dir / "secret_key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=data_dir, prefix=".secret-")
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
        # link() refuses an existing name: when several processes start at once, one key wins.
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
        os.unlink(tmp)
    return path.read_text().strip()
