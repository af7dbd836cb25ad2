"""Open311 service request updates (the GeoReport v2 "servicerequestupdates" extension as
FixMyStreet speaks it): what happened to a request since, and the citizen's own updates."""

from __future__ import annotations

from flask import Blueprint, current_app, request
from werkzeug.datastructures import MultiDict

from lapor.domain.errors import DomainError, ValidationFailed
from lapor.domain.timefmt import utcnow
from lapor.infra import db
from lapor.services import georeport_updates, integrators
from lapor.services.georeport_updates import ClientUpdate
from lapor.services.reporter import NotTheReporter, UnknownComplaint
from lapor.web.georeport_format import FORMATS, respond, spec_error
from lapor.web.limits import open311_intake
from lapor.web.open311 import check_jurisdiction, request_query

bp = Blueprint("open311_updates", __name__, url_prefix="/open311/v2")
ROOT, ITEM = "service_request_updates", "request_update"
MAX_UPDATE_ID = 100  # Open311Update.update_id
# The reporter's own words, under the spec's name for them in error texts.
SPEC_NAMES = {"info": "description", "reason": "description"}
# A jurisdiction_id that is not this region's is a 404 here too, by requests' rule.
bp.before_request(check_jurisdiction)


@bp.get(f"/servicerequestupdates.<{FORMATS}:fmt>")
def list_updates(fmt: str):
    # Only the dates count here; `requests`' rules read them (W3C, the 90-day window).
    dates = MultiDict({k: v for k, v in request.args.items() if k in ("start_date", "end_date")})
    query, problem = request_query(dates, utcnow())
    if problem:
        return spec_error(400, problem)
    try:
        _client_name(request.args.get("api_key"))
    except integrators.UnknownKey as refused:
        return spec_error(403, refused.message)
    found = georeport_updates.updates(db.get_session(), query.start, query.end)
    return respond(found, root=ROOT, item=ITEM)


@bp.post(f"/servicerequestupdates.<{FORMATS}:fmt>")
@open311_intake
def post_update(fmt: str):
    form = request.form
    try:
        client = _client_name(form.get("api_key"))
    except integrators.UnknownKey as refused:
        return spec_error(403, refused.message)
    sent, problem = _client_update(form, client)
    if problem:
        return spec_error(400, problem)
    settings = current_app.extensions["lapor.settings"]
    try:
        update_id = georeport_updates.post_update(settings, sent, now=utcnow())
    except UnknownComplaint:
        return spec_error(404, f"service_request_id '{sent.service_request_id}' tidak ditemukan.")
    except NotTheReporter as refused:
        return spec_error(403, refused.message)
    except ValidationFailed as failed:
        details = "; ".join(
            f"{SPEC_NAMES.get(name, name)}: {p.message}" for name, p in failed.fields.items()
        )
        return spec_error(400, details)
    except DomainError as error:  # the complaint is in no state this update can change
        return spec_error(409, error.message)
    return respond([{"update_id": update_id}], root=ROOT, item=ITEM)


def _client_update(form: MultiDict, client: str) -> tuple[ClientUpdate | None, str | None]:
    """The fields FixMyStreet posts, or why they are refused."""
    update_id = (form.get("update_id") or "").strip()
    code = (form.get("service_request_id") or "").strip()
    description = (form.get("description") or "").strip()
    if not update_id:
        return None, "update_id wajib diisi."
    if len(update_id) > MAX_UPDATE_ID:
        return None, f"update_id paling panjang {MAX_UPDATE_ID} karakter."
    if not code:
        return None, "service_request_id wajib diisi."
    if not description:
        return None, "description wajib diisi."
    status = (form.get("status") or "").strip().upper()
    if status not in ("", "OPEN", "CLOSED"):
        return None, "status: OPEN atau CLOSED."
    return ClientUpdate(
        client=client,
        update_id=update_id,
        service_request_id=code[:20],
        status=status,
        description=description,
        email=form.get("email") or None,
    ), None


def _client_name(api_key: str | None) -> str:
    """Who posts: the integrator's key name, "-" without a key; integrators.UnknownKey for
    a key that is unknown or revoked."""
    return integrators.client_name(db.get_session(), api_key)
