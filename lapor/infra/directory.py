"""The agency table as the intake reads it: cached per process, read again every few seconds."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping

from sqlmodel import Session, select

from lapor.infra import db
from lapor.infra.settings import Settings
from models import Agency

# How long a process trusts its copy. Agencies change only when `lapor init` reseeds the
# registry (or an operator edits a contact): such a change reaches intake within this time.
TTL_SECONDS = 30.0


class AgencyDirectory:
    """Every agency as a detached row by code, per database, reloaded after `ttl` seconds."""

    def __init__(self, ttl: float = TTL_SECONDS, clock: Callable[[], float] = time.monotonic):
        self.ttl = ttl
        self.clock = clock
        self._lock = threading.Lock()
        self._copies: dict[str, tuple[float, dict[str, Agency]]] = {}

    def get(self, settings: Settings) -> Mapping[str, Agency]:
        """The agencies of the settings' database by code (read-only: never add them to a
        session; `session.merge(agency, load=False)` gives a session its own copy)."""
        url = settings.database_url
        with self._lock:
            read_at, agencies = self._copies.get(url, (None, {}))
            if read_at is None or self.clock() - read_at >= self.ttl:
                agencies = self._read(url)
                self._copies[url] = (self.clock(), agencies)
            return agencies

    def clear(self) -> None:
        """Forget every copy (tests, and after reseeding in this process)."""
        with self._lock:
            self._copies.clear()

    @staticmethod
    def _read(url: str) -> dict[str, Agency]:
        with Session(db.engine_for(url), expire_on_commit=False) as session:
            rows = session.exec(select(Agency)).all()
            session.expunge_all()
        return {agency.code: agency for agency in rows}


agencies = AgencyDirectory()
