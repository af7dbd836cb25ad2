"""The public JSON API under /api/v1: file a complaint, follow it, list public complaints."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, jsonify, request, url_for
from sqlmodel import select

from lapor.domain.deadlines import next_deadline
from lapor.domain.errors import DomainError, FieldProblem, ValidationFailed
from lapor.domain.intake import IntakeResult, Submission
from lapor.domain.my_complaints import Contact
from lapor.domain.reporter_key import follow_up_url
from lapor.domain.timefmt import utcnow
from lapor.infra import db
from lapor.infra.translations import translate
from lapor.services import my_complaints, reporter
from lapor.services.filing import file_complaint
from lapor.services.reporter import KeyProof, NotTheReporter
from lapor.services.views import agency_view, complaint_view, find_complaint, public_complaints
from lapor.web import messages, schemas
from lapor.web.limits import (
    contact_key,
    guard_reporter_keys,
    intake_limit,
    limiter,
    no_contact,
    reporter_limit,
)
from lapor.web.my_complaints import limited, send_after
from lapor.web.openapi import document as openapi_document
from models import Agency, AgencyKind, Channel, Complaint, ComplaintStatus

log = logging.getLogger(__name__)
bp = Blueprint("api", __name__, url_prefix="/api/v1")
MAX_PER_PAGE = 100


def language() -> str:
    """'en' when the client prefers English, otherwise Indonesian."""
    best = request.accept_languages.best_match(["id", "en"], default="id")
    return best or "id"


# The fields of the public views that hold a label written in Indonesian (by the views in
# lapor.services.views, from the texts of lapor.domain.workflow and .language).
LABEL_FIELDS = ("status_label", "label", "actor")


def in_language(view: object, language: str) -> object:
    """A view (dicts and lists) with its labels in the client's language: status, history
    and actor labels; everything else as it is."""
    if language == "id":
        return view
    if isinstance(view, list):
        return [in_language(item, language) for item in view]
    if not isinstance(view, dict):
        return view
    return {
        key: translate(value, language)
        if key in LABEL_FIELDS and isinstance(value, str)
        else in_language(value, language)
        for key, value in view.items()
    }


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


def submission_from_json(body: object, channel: Channel = Channel.API) -> Submission:
    """A Submission from the documented JSON shape (schemas.NewComplaint); wrong types are
    field errors."""
    sent = schemas.parse(schemas.NewComplaint, body)
    location, contact = sent.location or schemas.Location(), sent.contact or schemas.Contact()
    return Submission(
        text=sent.text,
        channel=channel,
        title=sent.title or "",
        regency=location.regency,
        district=location.district,
        address=location.address,
        lat=location.lat,
        lon=location.lon,
        anonymous=bool(sent.anonymous),
        confidential=bool(sent.confidential),
        name=contact.name,
        email=contact.email,
        phone=contact.phone,
        idempotency_key=request.headers.get("Idempotency-Key") or None,
        language=language(),  # the reporter's emails follow the client's Accept-Language
    )


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
@limiter.limit(reporter_limit, key_func=contact_key, exempt_when=no_contact)
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
    sent = receipt(result, settings.public_url)
    if ignored := schemas.ignored_keys(schemas.NewComplaint, body):
        sent["ignored_fields"] = ignored
    response = jsonify(sent)
    response.status_code = 201 if result.created else 200
    response.headers["Location"] = url_for("api.get_complaint", code=result.complaint.tracking_code)
    if not result.created:
        response.headers["Idempotent-Replayed"] = "true"
    return response


def _iso(moment) -> str | None:
    return moment.isoformat() if moment is not None else None


def receipt(result: IntakeResult, public_url: str) -> dict:
    """What a reporter gets back after filing: the only time the reporter key is shown."""
    complaint, agency = result.complaint, result.agency
    return {
        "tracking_code": complaint.tracking_code,
        "reporter_key": result.reporter_key,
        "follow_up_url": result.reporter_key
        and follow_up_url(public_url, complaint.tracking_code, result.reporter_key),
        "status": complaint.status.value,
        "agency": {"code": agency.code, "name": agency.name} if agency else None,
        "confidence": (
            round(complaint.routing_confidence, 4)
            if complaint.routing_confidence is not None
            else None
        ),
        "next_deadline": _iso(next_deadline(complaint)),
    }


REPORTER_KEY_HEADER = "X-Reporter-Key"


def _has_no_key() -> bool:
    return REPORTER_KEY_HEADER not in request.headers


@bp.get("/complaints/<code>")
@guard_reporter_keys(exempt_when=_has_no_key)
def get_complaint(code: str):
    """One complaint by tracking code: the public view, or with the reporter key (header
    X-Reporter-Key) the reporter's own, which includes a confidential complaint's content."""
    session = db.get_session()
    complaint = find_complaint(session, code)
    if complaint is None:
        return error_response(404, "not_found", "Pengaduan dengan kode tersebut tidak ditemukan.")
    settings = current_app.extensions["lapor.settings"]
    own = not _has_no_key()
    if own and not _proof().admits(settings, session, complaint):
        return _not_the_reporter(complaint)
    view = complaint_view(session, complaint, settings.tz, reporter=own)
    return jsonify(in_language(view, language()))


def _proof() -> KeyProof:
    return KeyProof(request.headers.get(REPORTER_KEY_HEADER))


def _not_the_reporter(complaint: Complaint) -> tuple:
    log.warning(
        "reporter key refused for complaint %s from %s",
        complaint.tracking_code,
        request.remote_addr,
    )
    return error_response(
        403,
        "reporter_key_invalid",
        "Hanya pelapor yang dapat melakukan ini: kirim kunci pelapor yang Anda terima saat "
        "melapor di header X-Reporter-Key.",
    )


def _reporter_command(code: str, model: type[schemas.Strict], command) -> tuple:
    """Run one of the reporter's commands with the key of the request; the reporter's view
    after. The key is checked first: a stranger learns nothing from the body's errors."""
    settings = current_app.extensions["lapor.settings"]
    session = db.get_session()
    complaint = find_complaint(session, code)
    if complaint is None:
        return error_response(404, "not_found", "Pengaduan dengan kode tersebut tidak ditemukan.")
    if not _proof().admits(settings, session, complaint):
        return _not_the_reporter(complaint)
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return error_response(400, "invalid_json", "Isi permintaan harus objek JSON yang sah.")
    try:
        command(settings, schemas.parse(model, body), utcnow())
    except NotTheReporter:  # the key was replaced in between
        return _not_the_reporter(complaint)
    session.refresh(complaint)
    view = complaint_view(session, complaint, settings.tz, reporter=True)
    return jsonify(in_language(view, language()))


@bp.post("/complaints/<code>/feedback")
@guard_reporter_keys()
def rate_complaint(code: str):
    """The reporter rates a resolved complaint (1–5): this closes it."""

    def rate(settings, sent: schemas.Feedback, now):
        reporter.rate(settings, code, _proof(), sent.rating, sent.comment, now=now)

    return _reporter_command(code, schemas.Feedback, rate)


@bp.post("/complaints/<code>/reopen")
@guard_reporter_keys()
def reopen_complaint(code: str):
    """The reporter says a resolved complaint is not resolved, and why."""

    def reopen(settings, sent: schemas.Reopening, now):
        reporter.reopen(settings, code, _proof(), sent.reason, now=now)

    return _reporter_command(code, schemas.Reopening, reopen)


@bp.post("/complaints/<code>/info")
@guard_reporter_keys()
def answer_question(code: str):
    """The reporter answers the OPD's question; the complaint's clock resumes."""

    def answer(settings, sent: schemas.Answer, now):
        reporter.provide_info(settings, code, _proof(), sent.text, now=now)

    return _reporter_command(code, schemas.Answer, answer)


# The answer is the same whether the contact is known or not (as on /lacak/saya).
LINK_SENT = {
    "id": "Jika alamat itu pernah dipakai, kami telah mengirim tautannya.",
    "en": "If that address was used, we have sent the link to it.",
}


@bp.post("/my-complaints")
@limited
def request_my_complaints():
    """Send the "my complaints" link to the email or phone number filed with (202 either way)."""
    settings = current_app.extensions["lapor.settings"]
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return error_response(400, "invalid_json", "Isi permintaan harus objek JSON yang sah.")
    sent = schemas.parse(schemas.MyComplaintsRequest, body)
    if Contact.typed(sent.contact) is None:
        problem = FieldProblem("invalid", "Tuliskan alamat email atau nomor telepon yang sah.")
        return validation_response({"contact": problem})
    if not (settings.email_enabled or settings.telegram_enabled):
        message = "Instalasi ini belum dapat mengirim tautan (email belum diatur)."
        return error_response(503, "unavailable", message)
    answer = {"message": LINK_SENT[language()], "valid_hours": my_complaints.hours(settings)}
    return send_after(jsonify(answer), sent.contact), 202


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
    items = in_language(result.items, language())
    return jsonify({"items": items, "page": page, "per_page": per_page, "total": result.total})


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
