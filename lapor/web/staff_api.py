"""The staff JSON API under /api/v1/staff: the console's queue and actions for programs,
with a bearer token (`lapor token create USER`) and the same rules as the pages."""

from __future__ import annotations

from flask import Blueprint, current_app, g, jsonify, request

from lapor.domain import tracking
from lapor.domain.deadlines import next_deadline
from lapor.domain.errors import DomainError, ValidationFailed
from lapor.domain.timefmt import utcnow
from lapor.infra import db
from lapor.services import accounts, inbox, views
from lapor.services import casework as staff
from lapor.web import schemas
from lapor.web.api import error_response

bp = Blueprint("staff_api", __name__, url_prefix="/api/v1/staff")


@bp.before_request
def _authenticate():
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    user = None
    if scheme.lower() == "bearer" and token.strip():
        user = accounts.user_for_token(db.get_session(), token.strip())
    if user is None:
        return error_response(401, "unauthorized", "Token API tidak ada atau tidak berlaku.")
    g.staff = staff.Staff(id=user.id, role=user.role, agency_id=user.agency_id)
    return None


@bp.errorhandler(staff.NotFound)
def _not_found(error: staff.NotFound):
    return error_response(404, "not_found", error.message)


@bp.get("/complaints")
def list_complaints():
    session = db.get_session()
    status = request.args.get("status") or None
    if status and status not in {s.value for s in staff.ComplaintStatus}:
        return error_response(400, "bad_request", f"Status tidak dikenal: {status}.")
    overdue = request.args.get("overdue", "").lower() in ("1", "true", "ya")
    rows = staff.queue(
        session,
        g.staff,
        now=utcnow(),
        status=status,
        agency_code=request.args.get("agency") or None,
        overdue=overdue,
    )
    now = utcnow()
    return jsonify(
        {
            "complaints": [
                {
                    "tracking_code": tracking.display(c.tracking_code),
                    "status": c.status.value,
                    "agency": a.code if a else None,
                    "title": c.title,
                    "escalation_level": c.escalation_level,
                    "sla": staff.sla_badge(c, now),
                    "next_deadline": (d := next_deadline(c)) and d.isoformat(),
                    "anonymous": c.anonymous,
                }
                for c, a in rows
            ]
        }
    )


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
        fields = {name: problem.message for name, problem in failed.fields.items()}
        message = 'Kirim JSON dengan "action" dan, bila perlu, "note"/"agency".'
        return error_response(400, "bad_request", message, fields)
    settings = current_app.extensions["lapor.settings"]
    action = staff.StaffAction(
        sent.action,
        note=sent.note,
        agency_code=sent.agency,
        reason=sent.reason,
        duplicate_code=sent.duplicate_of,
        forwarded_to=sent.forwarded_to,
    )
    try:
        complaint = staff.take_action(settings, g.staff, code, action, now=utcnow())
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


@bp.post("/notices/read")
def read_notices():
    """Mark notices read: {"ids": [...]} or {"all": true}. Ids not this person's are ignored."""
    try:
        sent = schemas.parse(schemas.ReadNotices, request.get_json(silent=True))
    except ValidationFailed as failed:
        fields = {name: problem.message for name, problem in failed.fields.items()}
        return error_response(
            400, "bad_request", 'Kirim {"ids": [...]} atau {"all": true}.', fields
        )
    settings = current_app.extensions["lapor.settings"]
    marked = inbox.mark_read(
        settings, g.staff, now=utcnow(), ids=sent.ids, everything=bool(sent.all)
    )
    unread = inbox.unread_count(db.get_session(), settings, g.staff)
    return jsonify({"marked": marked, "unread": unread})
