"""Jinja setup: the language (Flask-Babel), CSRF tokens (Flask-WTF), WIB times, ages, and
the labels of stored values (statuses, actions, actors) in the page's language."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from flask import Flask, current_app, g, request, session
from flask_babel import Babel, get_locale, gettext, ngettext
from flask_wtf.csrf import CSRFProtect

from lapor.domain import timefmt, tracking
from lapor.domain.deadlines import next_deadline
from lapor.domain.language import LANGUAGES
from lapor.domain.text import excerpt
from lapor.domain.timefmt import human, utcnow
from lapor.domain.workflow import ACTION_LABELS, STATUS_LABELS
from lapor.infra.region import registry_for
from lapor.services.views import ACTOR_LABELS

csrf = CSRFProtect()


def select_language() -> str:
    """Indonesian, unless the visitor chose English with ?lang=en (remembered in the session).

    The browser's preference is not followed: many phones in Indonesia are set to English,
    and the service speaks Bahasa Indonesia first.
    """
    chosen = request.args.get("lang")
    if chosen in LANGUAGES:
        session["lang"] = chosen
        return chosen
    return session.get("lang") if session.get("lang") in LANGUAGES else "id"


def page_language() -> str:
    """The language this page is written in ('id' or 'en')."""
    return get_locale().language


def local_time(value: str | datetime | None) -> str:
    """An ISO timestamp or datetime as people in the region read it, in the page's language
    ('23 Nov 2026 17.30 WIB', '23 Nov 2026 17:30 WIB')."""
    if value is None:
        return "-"
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return human(moment, current_app.extensions["lapor.settings"].tz, page_language())


def long_date(value: str | datetime | None, time: bool = False) -> str:
    """The day of a moment in words, in the region's zone and the page's language: e.g.
    'Selasa, 9 Desember 2026' ('Tuesday, 9 December 2026' on the English pages); with
    `time`, 'Selasa, 9 Desember 2026, 14.05 WIB'."""
    if value is None:
        return "-"
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    tz = current_app.extensions["lapor.settings"].tz
    return timefmt.long_date(moment, tz, page_language(), time=time)


def age(value: str | datetime) -> str:
    """How long ago, in days, in the page's language."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    days = (utcnow() - moment).days
    return gettext("hari ini") if days <= 0 else ngettext("%(num)s hari", "%(num)s hari", days)


# The stored values whose words are written in Python (marked for the catalog there): the
# templates show them through `label` (lapor/templates/_labels.html), by their stable code.
VOCABULARIES = {"status": STATUS_LABELS, "action": ACTION_LABELS, "actor": ACTOR_LABELS}


def label(vocabulary: str, value: object) -> str:
    """A stored value (a status, an action, who acted) as people read it, in the page's
    language; an unknown value as it is."""
    text = VOCABULARIES[vocabulary].get(str(value))
    return gettext(text) if text else str(value)


# Most pages run no script at all: say so, so an injected one could not run either. A page
# that needs the app's own scripts (the map, "Salin kode") opts in with `allow_scripts`, and
# then only scripts served by the app itself run: never inline ones, never another host's.
POLICY = (
    "default-src 'self'; script-src {scripts}; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'; img-src {images}"
)
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def allow_scripts(*, image_hosts: tuple[str, ...] = ()) -> None:
    """Let this response run the app's own scripts and show images from `image_hosts` too
    (e.g. the map's tile server); called by the views of the pages that need them."""
    g.csp_scripts = True
    g.csp_image_hosts = tuple(getattr(g, "csp_image_hosts", ())) + tuple(image_hosts)


def content_security_policy() -> str:
    """This response's policy: no script unless the view allowed the app's own."""
    scripts = "'self'" if g.get("csp_scripts") else "'none'"
    images = " ".join(("'self'", "data:", *g.get("csp_image_hosts", ())))
    return POLICY.format(scripts=scripts, images=images)


def language_url(language: str) -> str:
    """This page in another language: the same path and query, with `lang` set (a filtered
    list, a receipt's ?baru=1 stay as they are)."""
    query = request.args.to_dict(flat=False)
    query["lang"] = [language]
    return f"{request.path}?{urlencode(query, doseq=True)}"


def _secure(response):
    response.headers.setdefault("Content-Security-Policy", content_security_policy())
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def init_app(app: Flask) -> None:
    app.after_request(_secure)
    Babel(app, locale_selector=select_language, default_locale="id", default_timezone="UTC")
    csrf.init_app(app)
    region_name = registry_for(app.extensions["lapor.settings"].region).region_name
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.filters["long_date"] = long_date
    app.jinja_env.filters["age"] = age
    app.jinja_env.filters["code"] = tracking.display
    app.jinja_env.filters["excerpt"] = excerpt
    app.jinja_env.filters["next_deadline"] = next_deadline
    app.jinja_env.globals["label_of"] = label

    @app.context_processor
    def _globals() -> dict:
        return {
            "lang": select_language(),
            "language_url": language_url,
            "region_name": region_name,
            "status_labels": {s: label("status", s) for s in STATUS_LABELS},
        }
