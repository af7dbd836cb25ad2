"""The public JSON API under /api/v1: file a complaint, follow it, list public complaints."""

from __future__ import annotations

import math

from flask import Blueprint, Response, current_app, jsonify, request, url_for
from sqlmodel import select

from lapor import db, messages
from lapor.domain.deadlines import next_deadline
from lapor.domain.errors import DomainError, FieldProblem, ValidationFailed
from lapor.domain.intake import IntakeResult, Submission
from lapor.filing import file_complaint
from lapor.limits import intake_limit, limiter, no_reporter, reporter_key, reporter_limit
from lapor.openapi import document as openapi_document
from lapor.public import agency_view, complaint_view, find_complaint, public_complaints
from lapor.timefmt import utcnow
from models import Agency, AgencyKind, Channel, ComplaintStatus

bp = Blueprint("api", __name__, url_prefix="/api/v1")
MAX_PER_PAGE = 100


def language() -> str:
    """'en' when the client prefers English, otherwise Indonesian."""
    best = request.accept_languages.best_match(["id", "en"], default="id")
    return best or "id"


def error_response(status: int, code: str, message: str, fields: dict | None = None):
    """The API's one error shape: {"error": {"code", "message", "fields"}}."""
    body = {
        "error": {
            "code": code,
            "message": messages.error_message(code, message, language()),
            "fields": fields or {},
        }
    }
    return jsonify(body), status


def validation_response(problems: dict[str, FieldProblem], status: int = 422):
    lang = language()
    fields = {name: messages.field_message(p, lang) for name, p in problems.items()}
    return error_response(
        status, "validation_failed", ValidationFailed(problems).message, fields=fields
    )


@bp.errorhandler(DomainError)
def _domain_error(error: DomainError):
    if isinstance(error, ValidationFailed):
        return validation_response(error.fields)
    status = 409 if error.code in ("idempotency_conflict", "invalid_transition") else 422
    return error_response(status, error.code, error.message)


class _Problems(dict):
    """Collects type errors in the JSON body, by dotted field path."""

    def add(self, path: str, code: str, message: str) -> None:
        self.setdefault(path, FieldProblem(code, message))


def _string(body: dict, key: str, path: str, problems: _Problems) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        problems.add(path, "not_a_string", "Harus berupa teks.")
        return None
    return value


def _boolean(body: dict, key: str, problems: _Problems) -> bool:
    value = body.get(key, False)
    if value is None:
        return False
    if not isinstance(value, bool):
        problems.add(key, "not_a_boolean", "Harus true atau false.")
        return False
    return value


def _number(body: dict, key: str, path: str, problems: _Problems) -> float | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        problems.add(path, "not_a_number", "Harus berupa angka.")
        return None
    return float(value)


def _object(body: dict, key: str, problems: _Problems) -> dict:
    value = body.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        problems.add(key, "not_an_object", "Harus berupa objek JSON.")
        return {}
    return value


def submission_from_json(body: object, channel: Channel = Channel.API) -> Submission:
    """A Submission from the documented JSON shape; wrong types are field errors."""
    if not isinstance(body, dict):
        raise ValidationFailed(
            {"body": FieldProblem("invalid", "Isi permintaan harus objek JSON.")}
        )
    problems = _Problems()
    location = _object(body, "location", problems)
    contact = _object(body, "contact", problems)
    text = _string(body, "text", "text", problems)
    if text is None and "text" not in problems:
        problems.add("text", "required", "Isi pengaduan wajib diisi.")
    submission = Submission(
        text=text or "",
        channel=channel,
        title=_string(body, "title", "title", problems) or "",
        regency=_string(location, "regency", "location.regency", problems),
        district=_string(location, "district", "location.district", problems),
        address=_string(location, "address", "location.address", problems),
        lat=_number(location, "lat", "location.lat", problems),
        lon=_number(location, "lon", "location.lon", problems),
        anonymous=_boolean(body, "anonymous", problems),
        confidential=_boolean(body, "confidential", problems),
        name=_string(contact, "name", "contact.name", problems),
        email=_string(contact, "email", "contact.email", problems),
        phone=_string(contact, "phone", "contact.phone", problems),
        idempotency_key=request.headers.get("Idempotency-Key") or None,
    )
    if problems:
        raise ValidationFailed(dict(problems))
    return submission


# Field names of the domain mapped to the JSON paths clients sent them under.
JSON_PATHS = {
    "regency": "location.regency",
    "district": "location.district",
    "address": "location.address",
    "lat": "location.lat",
    "lon": "location.lon",
    "name": "contact.name",
    "email": "contact.email",
    "phone": "contact.phone",
}


@bp.post("/complaints")
@limiter.limit(intake_limit)
@limiter.limit(reporter_limit, key_func=reporter_key, exempt_when=no_reporter)
def create_complaint():
    """File a complaint; 201 with its tracking code (200 when an idempotent retry)."""
    body = request.get_json(silent=True)
    if body is None:
        return error_response(400, "invalid_json", "Isi permintaan harus objek JSON yang sah.")
    submission = submission_from_json(body)
    settings = current_app.extensions["lapor.settings"]
    try:
        result = file_complaint(settings, submission, now=utcnow())
    except ValidationFailed as failed:
        return validation_response({JSON_PATHS.get(k, k): v for k, v in failed.fields.items()})
    response = jsonify(receipt(result))
    response.status_code = 201 if result.created else 200
    response.headers["Location"] = url_for("api.get_complaint", code=result.complaint.tracking_code)
    if not result.created:
        response.headers["Idempotent-Replayed"] = "true"
    return response


def _iso(moment) -> str | None:
    return moment.isoformat() if moment is not None else None


def receipt(result: IntakeResult) -> dict:
    """What a reporter gets back after filing."""
    complaint, agency = result.complaint, result.agency
    return {
        "tracking_code": complaint.tracking_code,
        "status": complaint.status.value,
        "agency": {"code": agency.code, "name": agency.name} if agency else None,
        "confidence": (
            round(complaint.routing_confidence, 4)
            if complaint.routing_confidence is not None
            else None
        ),
        "next_deadline": _iso(next_deadline(complaint)),
    }


@bp.get("/complaints/<code>")
def get_complaint(code: str):
    """The public view of one complaint, by tracking code."""
    complaint = find_complaint(db.get_session(), code)
    if complaint is None:
        return error_response(404, "not_found", "Pengaduan dengan kode tersebut tidak ditemukan.")
    settings = current_app.extensions["lapor.settings"]
    return jsonify(complaint_view(db.get_session(), complaint, settings.tz))


@bp.get("/complaints")
def list_complaints():
    """Complaints that are not confidential, newest first, filterable and paginated."""
    problems = _Problems()
    page = _positive_int("page", 1, problems)
    per_page = min(_positive_int("per_page", 20, problems), MAX_PER_PAGE)
    status = request.args.get("status") or None
    if status is not None and status not in {s.value for s in ComplaintStatus}:
        problems.add("status", "invalid", "Status tidak dikenal.")
    if problems:
        return validation_response(dict(problems), status=400)
    result = public_complaints(
        db.get_session(),
        regency=request.args.get("regency"),
        agency=request.args.get("agency"),
        status=status,
        page=page,
        per_page=per_page,
    )
    return jsonify(
        {"items": result.items, "page": page, "per_page": per_page, "total": result.total}
    )


def _positive_int(name: str, default: int, problems: _Problems) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or int(raw) < 1 or int(raw) > 1_000_000:
        problems.add(name, "invalid", "Harus bilangan bulat positif.")
        return default
    return int(raw)


@bp.get("/agencies")
def list_agencies():
    """The region's OPD registry (active OPDs, with their parent for the escalation chain)."""
    session = db.get_session()
    agencies = session.exec(
        select(Agency).where(Agency.active, Agency.kind != AgencyKind.EXTERNAL).order_by(Agency.id)
    ).all()
    codes = {a.id: a.code for a in agencies}
    return jsonify(
        [
            {**agency_view(a), "kind": a.kind.value, "parent": codes.get(a.parent_id)}
            for a in agencies
        ]
    )


@bp.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3.1 description of this API."""
    return jsonify(openapi_document())
