"""Abuse limits on the shared Redis (Flask-Limiter): per client address, per reporter and
per Open311 integrator key."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, current_app, g, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from lapor.domain import tracking
from lapor.infra import broker, db, redis_keys
from lapor.services import integrators
from models import IntegratorKey

limiter = Limiter(
    key_func=get_remote_address,
    strategy="moving-window",
    # Intake must keep working when Redis is down: limits are then skipped, not enforced.
    swallow_errors=True,
    headers_enabled=True,
)

# Filing complaints: generous for people, tight for scripts. Overridable per installation.
DEFAULT_INTAKE_LIMIT = "10/minute;60/hour;200/day"
DEFAULT_REPORTER_LIMIT = "20/day"


def intake_limit() -> str:
    """Limits on filing per client address (LAPOR_INTAKE_LIMIT in the app config)."""
    return current_app.config.get("LAPOR_INTAKE_LIMIT", DEFAULT_INTAKE_LIMIT)


def reporter_limit() -> str:
    """Limits on filing per reporter contact (LAPOR_REPORTER_LIMIT in the app config)."""
    return current_app.config.get("LAPOR_REPORTER_LIMIT", DEFAULT_REPORTER_LIMIT)


def contact_key() -> str:
    """The reporter's contact (e-mail or phone, as typed) when a form or body gives one."""
    body = request.get_json(silent=True) if request.is_json else None
    contact = (body or {}).get("contact") if isinstance(body, dict) else None
    if isinstance(contact, dict):
        value = contact.get("email") or contact.get("phone")
    else:
        value = request.form.get("email") or request.form.get("phone")
    return f"reporter:{str(value).strip().lower()}" if value else ""


def no_contact() -> bool:
    return not contact_key()


def integrator() -> IntegratorKey | None:
    """The valid integrator key the request's `api_key` is (looked up once per request)."""
    if "lapor_integrator" not in g:
        raw = request.values.get("api_key")
        g.lapor_integrator = integrators.key_for(db.get_session(), raw) if raw else None
    return g.lapor_integrator


def _with_integrator() -> bool:
    return integrator() is not None


def _without_integrator() -> bool:
    return integrator() is None


def _integrator_rate() -> str:
    key = integrator()
    # Without a key this limit is exempt; the string is still parsed, so it must be valid.
    return f"{key.per_minute if key else integrators.DEFAULT_PER_MINUTE}/minute"


def _integrator_named() -> str:
    key = integrator()
    return f"integrator:{key.name if key else '-'}"


def open311_intake(view):
    """Decorate an Open311 view that files: a request with a valid `api_key` counts against
    that key's own per-minute limit, any other (no key, or an unknown one) against the client
    address's intake limit, as a citizen's would."""
    # Shared: one budget per key across every Open311 view that writes.
    per_key = limiter.shared_limit(
        _integrator_rate,
        scope="open311-integrator",
        key_func=_integrator_named,
        exempt_when=_without_integrator,
    )
    per_address = limiter.limit(intake_limit, exempt_when=_with_integrator)
    return per_address(per_key(view))


# Refused reporter keys, per client address and per complaint, across the web pages and the
# API alike. A key has 160 bits, so this is no less than a guesser deserves; only refusals
# count, so a reporter's own use of their key never uses the limit up.
KEY_REFUSALS_PER_ADDRESS = "10/minute;50/hour"
KEY_REFUSALS_PER_COMPLAINT = "20/hour"


def _refused(response) -> bool:
    return response.status_code == 403


def _complaint_named() -> str:
    code = tracking.normalize((request.view_args or {}).get("code", "")) or "-"
    return f"complaint:{code}"


def guard_reporter_keys(exempt_when: Callable[[], bool] | None = None):
    """Decorate a view that checks a reporter key: refusals (403) are counted, and past the
    limits the view is not run at all (429)."""

    def decorate(view):
        per_complaint = limiter.shared_limit(
            KEY_REFUSALS_PER_COMPLAINT,
            scope="reporter-key-complaint",
            key_func=_complaint_named,
            deduct_when=_refused,
            exempt_when=exempt_when,
        )
        per_address = limiter.shared_limit(
            KEY_REFUSALS_PER_ADDRESS,
            scope="reporter-key-address",
            deduct_when=_refused,
            exempt_when=exempt_when,
        )
        return per_address(per_complaint(view))

    return decorate


def storage_uri(url: str) -> str:
    """The `limits` library's name for a Redis URL (unix sockets are redis+unix://)."""
    if url.startswith("unix://"):
        return "redis+unix://" + url[len("unix://") :]
    return url


def init_app(app: Flask) -> None:
    settings = app.extensions["lapor.settings"]
    app.config.setdefault("RATELIMIT_STORAGE_URI", storage_uri(broker.redis_url(settings)))
    app.config.setdefault("RATELIMIT_KEY_PREFIX", redis_keys.LIMITER_PREFIX)
    # Said for every app: the limiter is one object, and Flask-Limiter otherwise carries
    # one app's RATELIMIT_ENABLED=False over to the next app it is given.
    app.config.setdefault("RATELIMIT_ENABLED", True)
    limiter.init_app(app)
