"""The region's configuration as every process reads it — the agencies, the admins' documents
(SLA policy, routing map) and the regional days off — cached per process and read again when
the configuration version in the database moves (checked every few seconds)."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, select

from lapor.infra import db
from lapor.infra.settings import Settings
from models import Agency, ConfigVersion, DayOff, RegionSetting

# How long a process trusts its copy before asking the database for the version again: an
# admin's change reaches every web worker, RQ worker and the bot within this time. The check
# reads one row by its primary key.
CHECK_SECONDS = 2.0


@dataclass(frozen=True)
class Snapshot:
    """The configuration at one version, read-only: never add its agencies to a session
    (`session.merge(agency, load=False)` gives a session its own copy)."""

    version: int
    agencies: Mapping[str, Agency]
    documents: Mapping[str, dict]
    days_off: Mapping[date, str]
    # Which read of this process it is (every read a new number, also after `clear`): what
    # the caches built on a snapshot (the clock, the label map, the router) are keyed by.
    generation: int = 0


class ConfigDirectory:
    """The configuration of each database this process talks to, reloaded on a new version."""

    def __init__(
        self, check_every: float = CHECK_SECONDS, clock: Callable[[], float] = time.monotonic
    ):
        self.check_every = check_every
        self.clock = clock
        self._lock = threading.Lock()
        self._copies: dict[str, tuple[float, Snapshot]] = {}

    def snapshot(self, settings: Settings, *, fresh: bool = False) -> Snapshot:
        """The current configuration of the settings' database; `fresh` asks the version now
        (an admin's page after a save, which may be served by another process)."""
        url = settings.database_url
        with self._lock:
            checked_at, copy = self._copies.get(url, (None, None))
            if copy is None or fresh or self.clock() - checked_at >= self.check_every:
                with Session(db.engine_for(url), expire_on_commit=False) as session:
                    # The version first: content read after it is at least that new, so a
                    # change committed in between is read again at the next check.
                    version = current_version(session)
                    if copy is None or version != copy.version:
                        copy = _read(session, version)
                self._copies[url] = (self.clock(), copy)
            return copy

    def clear(self) -> None:
        """Forget every copy (tests, and a command that changed the data in this process)."""
        with self._lock:
            self._copies.clear()


def _read(session: Session, version: int) -> Snapshot:
    agencies = session.exec(select(Agency)).all()
    documents = {row.key: row.data for row in session.exec(select(RegionSetting))}
    days_off = {row.day: row.reason for row in session.exec(select(DayOff))}
    session.expunge_all()
    agencies_by_code = {a.code: a for a in agencies}
    return Snapshot(version, agencies_by_code, documents, days_off, next(_generations))


_generations = itertools.count(1)


def current_version(session: Session) -> int:
    """The configuration's version as committed (0 before any change)."""
    row = session.get(ConfigVersion, 1)
    return row.version if row is not None else 0


def bump_version(session: Session, now: datetime) -> int:
    """Raise the version in the caller's transaction (locking the row on PostgreSQL, so two
    admins' changes are applied one after the other)."""
    row = session.get(ConfigVersion, 1, with_for_update=True)
    if row is None:
        row = ConfigVersion(id=1, version=0)
    row.version += 1
    row.changed_at = now
    session.add(row)
    return row.version


class AgencyDirectory:
    """The agencies of the current configuration by code."""

    def __init__(self, config: ConfigDirectory) -> None:
        self.config = config

    def get(self, settings: Settings) -> Mapping[str, Agency]:
        return self.config.snapshot(settings).agencies

    def clear(self) -> None:
        self.config.clear()


config = ConfigDirectory()
agencies = AgencyDirectory(config)
