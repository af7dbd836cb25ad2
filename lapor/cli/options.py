"""Reading the values operators type on the command line."""

from __future__ import annotations

from datetime import UTC, datetime

from lapor.cli.run import CommandError
from lapor.infra.settings import Settings


def parse_now(text: str, settings: Settings) -> datetime:
    """A time as an operator types it (ISO; without a zone, the region's), in UTC."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"Waktu tidak valid: {text!r} (contoh: 2026-12-01T09:00)") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=settings.tz)
    return moment.astimezone(UTC)
