"""The admin JSON API under /api/v1/admin: the region's registry, SLA policy, days off and the
audit of configuration for scripts, with an admin's bearer token and the pages' rules (the
services check every change and audit it, with the token's owner as the editor)."""

from __future__ import annotations

import copy
import math
import re
from datetime import UTC, date

from flask import Blueprint, current_app, g, jsonify, request

from lapor.domain.errors import DomainError, NotFound, ValidationFailed
from lapor.domain.sla_policy import PolicyError
from lapor.domain.timefmt import utcnow
from lapor.infra import db, directory
from lapor.routing.service import routing_document
from lapor.services import changes, effects, policy, registry
from lapor.services.changes import Editor
from lapor.web import messages, schemas
from lapor.web.api import error_response, language
from lapor.web.auth import token_user
from lapor.web.openapi import admin_document
from models import ConfigChange, DayOff, Role

bp = Blueprint("admin_api", __name__, url_prefix="/api/v1/admin")
# Served without a token: the description of the API grants nothing, its endpoints need one.
PUBLIC_ENDPOINTS = frozenset({"admin_api.openapi"})
# Refusals that are a clash with what exists, not a wrong value: 409.
CONFLICTS = frozenset({"code_taken", "already_off", "has_active_children", "triage_agency"})
_DAY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_PATH_CODE = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
_POLICY_PATH = re.compile(r"^([A-Za-z0-9_.\[\]-]+): ")
MAX_PAGE = 100_000


@bp.before_request
def _authenticate():
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    user = token_user()
    if user is None:
        return error_response(401, "unauthorized", "Token API tidak ada atau tidak berlaku.")
    if user.role != Role.ADMIN:
        return error_response(
            403, "forbidden", "Token ini bukan milik admin: API admin hanya untuk admin."
        )
    g.editor = Editor(user.id, user.username)
    return None


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3.1 description of this API (lapor.web.openapi.admin_document)."""
    return jsonify(admin_document())


class BadBody(DomainError):
    """A body that is no JSON object, or holds what no database can store: 400."""

    code = "bad_request"

    def __init__(self, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.fields = fields or {}


@bp.errorhandler(DomainError)
def _refused(error: DomainError):
    if isinstance(error, BadBody):
        return error_response(400, error.code, error.message, error.fields)
    if isinstance(error, NotFound) or error.code == "not_found":
        return error_response(404, "not_found", error.message)
    if isinstance(error, ValidationFailed):
        lang = language()
        fields = {name: messages.field_message(p, lang) for name, p in error.fields.items()}
        conflict = any(p.code in CONFLICTS for p in error.fields.values())
        return error_response(409 if conflict else 422, error.code, error.message, fields)
    if isinstance(error, PolicyError):
        # The message starts with the path it is about (defaults.response_days: …).
        where = _POLICY_PATH.match(error.message)
        fields = {where.group(1): error.message} if where else {}
        return error_response(422, error.code, error.message, fields)
    return error_response(409 if error.code in CONFLICTS else 422, error.code, error.message)


def _settings():
    return current_app.extensions["lapor.settings"]


def _json_object() -> dict:
    """The request's JSON object, with only text and numbers a database can store."""
    try:
        body = request.get_json(silent=True)
        problems = _unstorable(body, "") if isinstance(body, dict) else {}
    except RecursionError:  # nested deeper than the parser or the check goes
        body = None
    if not isinstance(body, dict):
        raise BadBody("Isi permintaan harus objek JSON (Content-Type: application/json).")
    if problems:
        raise BadBody("Isi permintaan memuat nilai yang tidak dapat disimpan.", problems)
    return body


def _unstorable(value: object, where: str) -> dict[str, str]:
    """Text with NUL or a lone surrogate, and NaN or infinity, by their dotted path."""
    if isinstance(value, str):
        if "\x00" in value or not value.isascii() and _has_surrogate(value):
            return {where or "body": "Memuat karakter yang tidak diizinkan (NUL atau surrogate)."}
        return {}
    if isinstance(value, float) and not math.isfinite(value):
        return {where or "body": "Harus berupa angka yang terhingga."}
    if not isinstance(value, dict | list):
        return {}
    items = value.items() if isinstance(value, dict) else enumerate(value)
    found: dict[str, str] = {}
    for key, item in items:
        path = f"{where}.{key}" if where else str(key)
        found.update(_unstorable(key, path) if isinstance(key, str) else {})
        found.update(_unstorable(item, path))
    return found


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _changed(work):
    """Run one change in its own transaction (recording it makes this process read the
    configuration again at once, the others within directory.CHECK_SECONDS)."""
    return db.run_in_transaction(_settings(), work)


# --- the registry ---------------------------------------------------------------------------


@bp.get("/agencies")
def list_agencies():
    """Every OPD and outside body, parents before their children."""
    entries = registry.entries(db.get_session())
    return jsonify({"agencies": [entry.as_dict() for entry in entries]})


@bp.post("/agencies")
def create_agency():
    """A new OPD or outside body (201 with its entry)."""
    sent = schemas.parse(schemas.NewAgency, _json_object()).model_dump(exclude_unset=True)
    agency = _changed(
        lambda session: registry.create_agency(session, g.editor, sent, now=utcnow()).code
    )
    return jsonify(registry.entry(db.get_session(), agency).as_dict()), 201


@bp.patch("/agencies/<code>")
def update_agency(code: str):
    """Change some fields of an OPD; the others stay."""
    if not _PATH_CODE.match(code):
        raise NotFound(f"OPD dengan kode '{code[:40]}' tidak ada.")
    sent = schemas.parse(schemas.AgencyChanges, _json_object()).model_dump(exclude_unset=True)
    changed = _changed(
        lambda session: (
            registry.update_agency(
                session, g.editor, code, sent, now=utcnow(), region=_settings().region
            ).code
        )
    )
    return jsonify(registry.entry(db.get_session(), changed).as_dict())


# --- the SLA policy -------------------------------------------------------------------------


@bp.get("/sla")
def get_sla():
    """The policy in force in the structure of sla.yaml, with the regional days off."""
    return jsonify(_sla_document())


def _sla_document() -> dict:
    document = copy.deepcopy(effects.sla_document(_settings()))
    calendar = dict(document.get("calendar") or {})
    days = policy.days_off(db.get_session())
    calendar["days_off"] = {day.day.isoformat(): day.reason for day in days}
    document["calendar"] = calendar
    return document


@bp.put("/sla")
def put_sla():
    """Replace the policy whole (and, when calendar.days_off is sent, the regional days off);
    the same document again changes nothing."""
    document = _json_object()
    settings = _settings()
    # Compare with the policy as committed, not with this process's copy of a moment ago.
    current = effects.sla_document(settings, directory.config.snapshot(settings, fresh=True))
    labels = set(routing_document(settings).get("labels") or {})
    _changed(
        lambda session: policy.save_sla(
            session, g.editor, document, labels=labels, current=current, now=utcnow()
        )
    )
    db.get_session().expire_all()
    return jsonify(_sla_document())


# --- regional days off ----------------------------------------------------------------------


@bp.get("/holidays")
def list_holidays():
    """The regional days off (the national holidays come from the `holidays` package)."""
    raw = request.args.get("year", "")
    year = None
    if raw:
        if not (raw.isascii() and raw.isdigit() and 2000 <= int(raw) <= 2100):
            raise BadBody("Parameter tidak valid.", {"year": "Tahun 2000–2100."})
        year = int(raw)
    days = policy.days_off(db.get_session(), year)
    return jsonify({"holidays": [_holiday(day) for day in days]})


def _holiday(day: DayOff) -> dict:
    return {"date": day.day.isoformat(), "reason": day.reason}


@bp.post("/holidays")
def add_holiday():
    """Declare a regional day off (201)."""
    sent = schemas.parse(schemas.NewHoliday, _json_object())
    added = _changed(
        lambda session: _holiday(
            policy.add_day_off(session, g.editor, sent.date, sent.reason, now=utcnow())
        )
    )
    return jsonify(added), 201


@bp.delete("/holidays/<day>")
def remove_holiday(day: str):
    """Take a regional day off back (204)."""
    try:
        parsed = date.fromisoformat(day) if _DAY.match(day) else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise BadBody(
            "Tanggal tidak valid (format YYYY-MM-DD).",
            {"date": "Tanggal tidak valid (format YYYY-MM-DD)."},
        )
    _changed(lambda session: policy.remove_day_off(session, g.editor, parsed, now=utcnow()))
    return "", 204


# --- the audit of configuration -------------------------------------------------------------


@bp.get("/audit")
def audit():
    """The changes to the configuration, newest first, 50 a page."""
    subject = request.args.get("subject", "")
    raw_page = request.args.get("page", "1")
    problems = {}
    if subject and subject not in changes.SUBJECTS:
        problems["subject"] = f"Pilih salah satu: {', '.join(changes.SUBJECTS)}."
    if not (raw_page.isascii() and raw_page.isdigit() and 1 <= int(raw_page) <= MAX_PAGE):
        problems["page"] = f"Bilangan bulat 1–{MAX_PAGE}."
    if problems:
        raise BadBody("Parameter tidak valid.", problems)
    found = changes.listing(db.get_session(), subject=subject or None, page=int(raw_page))
    return jsonify(
        {
            "changes": [_change(row) for row in found.rows],
            "page": found.page,
            "pages": found.pages,
            "total": found.total,
        }
    )


def _change(row: ConfigChange) -> dict:
    return {
        "at": row.at.astimezone(UTC).isoformat(),
        "actor": row.actor,
        "subject": row.subject,
        "key": row.key,
        "action": row.action,
        "before": row.before,
        "after": row.after,
    }
