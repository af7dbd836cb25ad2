"""The staff JSON API under /api/v1/staff: the console's queue and actions for programs,
with a bearer token (`lapor token create USER`) and the same rules as the pages."""

from __future__ import annotations

from flask import Blueprint, current_app, g, jsonify, request

from lapor.domain import tracking
from lapor.domain.deadlines import next_deadline
from lapor.domain.errors import DomainError, ValidationFailed
from lapor.domain.text import excerpt
from lapor.domain.timefmt import utcnow
from lapor.domain.workflow import STATUS_LABELS
from lapor.infra import db
from lapor.services import casework as staff
from lapor.services import inbox, views, worklist
from lapor.web import listing, schemas
from lapor.web.api import error_response
from lapor.web.auth import token_user
from lapor.web.openapi import staff_document

bp = Blueprint("staff_api", __name__, url_prefix="/api/v1/staff")
# Served without a token: the description of the API grants nothing, its endpoints need one.
PUBLIC_ENDPOINTS = frozenset({"staff_api.openapi"})


@bp.before_request
def _authenticate():
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    user = token_user()
    if user is None:
        return error_response(401, "unauthorized", "Token API tidak ada atau tidak berlaku.")
    g.staff = staff.Staff(id=user.id, role=user.role, agency_id=user.agency_id)
    return None


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3.1 description of this API (lapor.web.openapi.staff_document)."""
    return jsonify(staff_document())


@bp.errorhandler(staff.NotFound)
def _not_found(error: staff.NotFound):
    return error_response(404, "not_found", error.message)


@bp.get("/complaints")
def list_complaints():
    """The console's lists for programs: search, filters, sort and pages (lapor.web.listing)."""
    settings = current_app.extensions["lapor.settings"]
    filters, problems = listing.parse(request.args, settings.tz)
    if problems:
        return error_response(400, "bad_request", "Parameter tidak valid.", problems)
    now = utcnow()
    results = worklist.find(db.get_session(), g.staff, filters, now=now)
    return jsonify(
        {
            "complaints": [_list_item(c, a, now) for c, a in results.rows],
            "page": results.filters.page,
            "per_page": results.filters.per_page,
            "total": results.total,
            "total_is_exact": results.exact,
        }
    )


def _list_item(complaint, agency, now) -> dict:
    return {
        "tracking_code": tracking.display(complaint.tracking_code),
        "status": complaint.status.value,
        "agency": agency.code if agency else None,
        "title": complaint.title,
        "regency": complaint.regency,
        "channel": complaint.channel.value,
        "received_at": complaint.received_at.isoformat(),
        "updated_at": complaint.updated_at.isoformat(),
        "escalation_level": complaint.escalation_level,
        "sla": staff.sla_badge(complaint, now),
        "next_deadline": (d := next_deadline(complaint)) and d.isoformat(),
        "anonymous": complaint.anonymous,
        "confidential": complaint.confidential,
    }


@bp.post("/complaints/actions")
def take_bulk_action():
    """One action on several complaints; each its own transaction, each reported."""
    try:
        sent = schemas.parse(schemas.BulkActionBody, request.get_json(silent=True))
    except ValidationFailed as failed:
        return _bad_body(failed, 'Kirim JSON dengan "codes" (daftar kode) dan "action".')
    settings = current_app.extensions["lapor.settings"]
    try:
        outcomes = staff.take_bulk_action(
            settings, g.staff, sent.codes, _staff_action(sent), now=utcnow()
        )
    except DomainError as error:
        return error_response(400, error.code, error.message)
    return jsonify({"results": [_outcome(o) for o in outcomes]})


def _bad_body(failed: ValidationFailed, message: str):
    """A body of the wrong shape: 400, what to send, and each field's problem."""
    fields = {name: problem.message for name, problem in failed.fields.items()}
    return error_response(400, "bad_request", message, fields)


def _staff_action(sent: schemas.StaffActionBody) -> staff.StaffAction:
    return staff.StaffAction(
        sent.action,
        note=sent.note,
        agency_code=sent.agency,
        reason=sent.reason,
        duplicate_code=sent.duplicate_of,
        forwarded_to=sent.forwarded_to,
    )


def _outcome(outcome: staff.Outcome) -> dict:
    if outcome.error is None:
        return {
            "tracking_code": tracking.display(outcome.complaint.tracking_code),
            "status": outcome.complaint.status.value,
        }
    return {
        "tracking_code": tracking.display_typed(outcome.code),
        "status": None,
        "error": {"code": outcome.error.code, "message": outcome.error.message},
    }


@bp.get("/complaints/<code>")
def get_complaint(code: str):
    session = db.get_session()
    complaint = staff.complaint_for(session, g.staff, code)
    return jsonify(_view(session, complaint))


@bp.post("/complaints/<code>/actions")
def take_action(code: str):
    try:
        sent = schemas.parse(schemas.StaffActionBody, request.get_json(silent=True))
    except ValidationFailed as failed:
        return _bad_body(failed, 'Kirim JSON dengan "action" dan, bila perlu, "note"/"agency".')
    settings = current_app.extensions["lapor.settings"]
    try:
        complaint = staff.take_action(settings, g.staff, code, _staff_action(sent), now=utcnow())
    except staff.NotFound as error:
        return _not_found(error)
    except DomainError as error:
        status = 409 if error.code == "invalid_transition" else 422
        return error_response(status, error.code, error.message)
    return jsonify(_view(db.get_session(), complaint))


def _view(session, complaint):
    return views.staff_view(session, complaint, staff.sla_badge(complaint, utcnow()))


def _notice_view(notice: inbox.Notice) -> dict:
    return {
        "id": notice.id,
        "kind": notice.kind,
        "subject": notice.subject,
        "body": notice.body,
        "tracking_code": tracking.display(notice.tracking_code),
        "created_at": notice.created_at.isoformat(),
        "read": notice.read,
    }


@bp.get("/notices")
def list_notices():
    """This staff member's in-app notices, newest first, and how many are unread."""
    settings, session = current_app.extensions["lapor.settings"], db.get_session()
    found = inbox.notices(session, settings, g.staff, unread_only=request.args.get("unread") == "1")
    return jsonify(
        {
            "notices": [_notice_view(n) for n in found],
            "unread": inbox.unread_count(session, settings, g.staff),
        }
    )


MAX_ID = 2**31 - 1  # the largest key of an INTEGER column (32 bits on PostgreSQL)


@bp.post("/notices/read")
def read_notices():
    """Mark notices read: {"ids": [...]} or {"all": true}. Ids not this person's are ignored."""
    try:
        sent = schemas.parse(schemas.ReadNotices, request.get_json(silent=True))
    except ValidationFailed as failed:
        return _bad_body(failed, 'Kirim {"ids": [...]} atau {"all": true}.')
    settings = current_app.extensions["lapor.settings"]
    # An id beyond any row's key is no one's notice: ignored like the others, and never sent
    # to the database, which cannot compare it with a key column (it answered 500).
    ids = [i for i in sent.ids or [] if 0 < i <= MAX_ID]
    marked = inbox.mark_read(settings, g.staff, now=utcnow(), ids=ids, everything=bool(sent.all))
    unread = inbox.unread_count(db.get_session(), settings, g.staff)
    return jsonify({"marked": marked, "unread": unread})


SIMILAR_LIMIT = schemas.SIMILAR_LIMIT


@bp.get("/complaints/<code>/similar")
def similar_complaints(code: str):
    """Open complaints most like this one (possible duplicates) that the caller may see."""
    raw = request.args.get("limit", "5").strip()
    if not (raw.isascii() and raw.isdigit() and 1 <= int(raw) <= SIMILAR_LIMIT):
        message = f"limit harus bilangan bulat 1 sampai {SIMILAR_LIMIT}."
        return error_response(400, "bad_request", message, {"limit": message})
    session = db.get_session()
    complaint = staff.complaint_for(session, g.staff, code)
    found = staff.similar_for(session, g.staff, complaint, now=utcnow(), limit=int(raw))
    return jsonify({"similar": [_similar_view(c, match, a) for c, match, a in found]})


def _similar_view(complaint, match, agency) -> dict:
    """One possible duplicate: how alike, and enough to recognise it (never the reporter)."""
    km = match.distance_km
    return {
        "tracking_code": tracking.display(complaint.tracking_code),
        "score": match.score,
        "text_similarity": match.text_similarity,
        "distance_km": None if km is None else round(km, 2),
        "title": complaint.title or excerpt(complaint.text),
        "status": complaint.status.value,
        "status_label": STATUS_LABELS[complaint.status],
        "agency": agency.code if agency else None,
        "regency": complaint.regency,
        "district": complaint.district,
        "received_at": complaint.received_at.isoformat(),
    }
