"""Open311 integrator keys: a city's FixMyStreet or an app that files for many people gets an
`api_key` of its own, counted against its own limit, its name recorded on what it files.

Only a key's SHA-256 is stored (as for staff API tokens); the key itself is shown once. The
caller commits.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime

from sqlmodel import Session, select

from lapor.domain.errors import DomainError
from models import IntegratorKey

DEFAULT_PER_MINUTE = 60
MAX_PER_MINUTE = 10_000
MAX_KEY = 200
NO_CLIENT = "-"  # what a request without a key is recorded as
# A name is recorded in events and limit keys: plain, short, one word.
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,79}$")


class UnknownKey(DomainError):
    """An api_key that is not (or no longer) an integrator's: refused with 403."""

    code = "unknown_api_key"


def create(
    session: Session, name: str, *, now: datetime, per_minute: int = DEFAULT_PER_MINUTE
) -> str:
    """A new key for the integrator `name`; returned in plain this once, stored hashed."""
    name = _checked_name(name)
    if not 1 <= per_minute <= MAX_PER_MINUTE:
        raise DomainError(
            f"Batas per menit harus 1 sampai {MAX_PER_MINUTE}.", code="invalid_per_minute"
        )
    if _named(session, name) is not None:
        raise DomainError(f"Integrator '{name}' sudah ada.", code="duplicate_integrator")
    key = "o311_" + secrets.token_urlsafe(32)
    session.add(
        IntegratorKey(name=name, key_hash=_hash(key), per_minute=per_minute, created_at=now)
    )
    session.flush()
    return key


def list_keys(session: Session) -> list[IntegratorKey]:
    """Every integrator key, revoked ones included, by name."""
    return list(session.exec(select(IntegratorKey).order_by(IntegratorKey.name)))


def revoke(session: Session, name: str) -> IntegratorKey:
    """Revoke the integrator's key (again is harmless); its requests are refused from now."""
    key = _named(session, name.strip().lower())
    if key is None:
        raise DomainError(f"Integrator '{name[:80]}' tidak ada.", code="unknown_integrator")
    key.revoked = True
    session.add(key)
    session.flush()
    return key


def key_for(session: Session, api_key: str | None) -> IntegratorKey | None:
    """The integrator key `api_key` is, if it is one and not revoked."""
    api_key = (api_key or "").strip()
    if not api_key or len(api_key) > MAX_KEY:
        return None
    found = select(IntegratorKey).where(IntegratorKey.key_hash == _hash(api_key))
    key = session.exec(found).first()
    return key if key is not None and not key.revoked else None


def client_name(session: Session, api_key: str | None, *, now: datetime | None = None) -> str:
    """Who a request comes from: its key's name, or "-" without a key; UnknownKey for an
    unknown or revoked one. With `now`, the key's last use is noted (the caller commits)."""
    if not (api_key or "").strip():
        return NO_CLIENT
    key = key_for(session, api_key)
    if key is None:
        raise UnknownKey("api_key tidak dikenal atau sudah dicabut.")
    if now is not None:
        key.last_used_at = now
        session.add(key)
        session.flush()
    return key.name


def _checked_name(name: str) -> str:
    name = (name or "").strip().lower()
    if not _NAME.match(name):
        raise DomainError(
            "Nama integrator: 1–80 huruf kecil, angka, titik, garis bawah atau tanda hubung, "
            "mis. fixmystreet-palangkaraya.",
            code="invalid_integrator_name",
        )
    return name


def _named(session: Session, name: str) -> IntegratorKey | None:
    return session.exec(select(IntegratorKey).where(IntegratorKey.name == name)).first()


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()
