"""The reporter's own list, "my complaints" (/lacak/saya): ask for the link with the email or
phone number filed with, open it, see the list. The contact the link proved stays in this
browser's session until the link would have expired, and lets the reporter's pages
(lapor.web.citizen) act on each of its complaints as its private link would
(`proven_contact`)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from functools import partial

from flask import (
    Blueprint,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext

from lapor.domain.my_complaints import Contact
from lapor.domain.timefmt import utcnow
from lapor.infra import db
from lapor.infra.settings import Settings
from lapor.services import my_complaints
from lapor.services.my_complaints import LinkExpired, LinkRefused
from lapor.services.reporter import ContactProof
from lapor.web.limits import limiter
from lapor.web.templating import local_time

log = logging.getLogger(__name__)
bp = Blueprint("my_complaints", __name__)

# This browser's proven contact: {"by": "email"|"phone", "contact": …, "until": epoch seconds}.
# Flask's session cookie is signed and HttpOnly, and ends with the browser session.
PROVEN = "my_complaints"
# Asking for the link: per address as for a new private link, and per contact, so that nobody
# fills a reporter's inbox (the count is the same whether the contact is known or not).
PER_ADDRESS = "5/minute;20/hour"
PER_CONTACT = "3/hour;10/day"


def _settings() -> Settings:
    return current_app.extensions["lapor.settings"]


def typed_contact() -> str:
    """What the request typed as the contact: the form's `kontak`, or the JSON body's `contact`."""
    body = request.get_json(silent=True) if request.is_json else None
    raw = body.get("contact") if isinstance(body, dict) else request.form.get("kontak")
    return raw if isinstance(raw, str) else ""


def _contact_named() -> str:
    raw = typed_contact()
    contact = Contact.typed(raw)
    named = f"{contact.by}:{contact.value}" if contact else raw.strip().lower()[:254]
    return f"my-complaints:{named}"


def limited(view):
    """The limits on asking for the link, shared by the page and the JSON API (one budget)."""
    per_address = limiter.shared_limit(PER_ADDRESS, scope="my-complaints-address")
    per_contact = limiter.shared_limit(
        PER_CONTACT, scope="my-complaints-contact", key_func=_contact_named
    )
    return per_address(per_contact(view))


def _request_page(*, value: str = "", error: bool = False, sent: bool = False, refusal=None):
    settings = _settings()
    return render_template(
        "my_complaints.html",
        value=value,
        error=error,
        sent=sent,
        refusal=refusal,
        email_enabled=settings.email_enabled,
        hours=my_complaints.hours(settings),
    )


@bp.get("/lacak/saya")
def request_link():
    """The form, or with `kunci` the link sent (in the query, as a private link's key: the
    access log records paths only)."""
    if "kunci" in request.args:
        return _open_link(request.args["kunci"])
    return _request_page()


@bp.post("/lacak/saya")
@limited
def send_link():
    """The same answer whether the contact is known or not."""
    raw = typed_contact()
    if Contact.typed(raw) is None:
        return _request_page(value=raw, error=True), 422
    return send_after(make_response(_request_page(sent=True)), raw)


def send_after(response, raw: str):
    """Queue the link's messages once `response` has gone out, so that how long the answer
    takes cannot say whether the contact is known either."""
    response.call_on_close(partial(_send, _settings(), raw, utcnow()))
    return response


def _send(settings: Settings, raw: str, now: datetime) -> None:
    try:
        queued = my_complaints.send_link(settings, raw, now=now)
    except Exception:  # the page has gone out: nobody is left to answer but the log
        log.exception("my complaints: the link could not be queued")
        return
    # The log may say what happened (not to whom); the page must not.
    log.info("my complaints: %d message(s) queued", queued)


def _open_link(token: str):
    """The link sent: remember its contact, then show the list without it in the address bar."""
    try:
        opened = my_complaints.open_link(_settings(), db.get_session(), token, now=utcnow())
    except LinkRefused as refused:
        log.warning("my complaints link refused (%s) from %s", refused.code, request.remote_addr)
        status = 410 if isinstance(refused, LinkExpired) else 403
        return _request_page(refusal=refused.code), status
    contact = opened.proof.contact
    until = int(opened.until.timestamp())
    session[PROVEN] = {"by": contact.by, "contact": contact.value, "until": until}
    return redirect(url_for("my_complaints.listing"), code=303)


@bp.get("/lacak/saya/daftar")
def listing():
    proof = proven_contact()
    if proof is None:
        return _request_page(refusal="no_session"), 403
    items = my_complaints.complaints(db.get_session(), proof)
    until = datetime.fromtimestamp(session[PROVEN]["until"], UTC)
    return render_template(
        "my_complaints_list.html",
        items=items,
        contact=proof.contact,
        until=local_time(until),
        at_most=my_complaints.LIST_AT_MOST,
    )


@bp.post("/lacak/saya/keluar")
def forget():
    """Leave the list on a shared device: this browser no longer acts for the contact."""
    session.pop(PROVEN, None)
    flash(gettext("Daftar pengaduan Anda ditutup di browser ini."))
    return redirect(url_for("my_complaints.request_link"), code=303)


def proven_contact() -> ContactProof | None:
    """The contact this browser proved with a link that has not expired yet."""
    held = session.get(PROVEN)
    if not isinstance(held, dict):
        return None
    if held.get("until", 0) <= utcnow().timestamp():
        session.pop(PROVEN, None)
        return None
    return ContactProof(Contact(held["by"], held["contact"]))
