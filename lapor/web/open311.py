"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2), JSON format.

Existing Open311 clients and FixMyStreet-style apps file complaints here. One service per OPD
of the region (service_code = the agency code) plus `UMUM` for "not sure"; whatever service a
client picks, the complaint goes through the same intake and routing as every other channel,
with the chosen service recorded as its category.
"""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, current_app, jsonify, request, url_for
from sqlmodel import select

from lapor.domain.errors import DomainError, ValidationFailed
from lapor.domain.intake import Submission
from lapor.domain.timefmt import utcnow
from lapor.domain.workflow import STATUS_LABELS
from lapor.infra import db
from lapor.services.filing import file_complaint
from lapor.web.limits import intake_limit, limiter
from lapor.web.openapi import open311_document
from models import Agency, AgencyKind, Channel, Complaint, ComplaintEvent, ComplaintStatus

bp = Blueprint("open311", __name__, url_prefix="/open311/v2")
GENERAL = "UMUM"
SPEC = "http://wiki.open311.org/GeoReport_v2"
MAX_RESULTS = 1000
CLOSED = {
    ComplaintStatus.RESOLVED,
    ComplaintStatus.CLOSED,
    ComplaintStatus.REJECTED,
    ComplaintStatus.FORWARDED,
}


def spec_error(status: int, description: str):
    """The spec's error format: a list of {code, description}."""
    return jsonify([{"code": status, "description": description}]), status


@bp.errorhandler(404)
def _not_found(_error):
    return spec_error(404, "Tidak ditemukan.")


@bp.get("/openapi.json")
def openapi():
    return jsonify(open311_document())


@bp.get("/discovery.json")
def discovery():
    return jsonify(
        {
            "changeset": "2026-11-23T00:00:00Z",
            "contact": "Lapor — pengaduan pelayanan publik",
            "key_service": "Kunci API tidak diperlukan.",
            "endpoints": [
                {
                    "specification": SPEC,
                    "url": url_for("open311.discovery", _external=True).rsplit("/", 1)[0],
                    "changeset": "2026-11-23T00:00:00Z",
                    "type": "production",
                    "formats": ["application/json"],
                }
            ],
        }
    )


def _agencies() -> list[Agency]:
    return list(
        db.get_session().exec(
            select(Agency)
            .where(Agency.active, Agency.kind != AgencyKind.EXTERNAL, Agency.parent_id.is_not(None))
            .order_by(Agency.name)
        )
    )


@bp.get("/services.json")
def services():
    general = {
        "service_code": GENERAL,
        "service_name": "Pengaduan umum (OPD ditentukan petugas)",
        "description": "Pilih ini bila tidak tahu OPD yang berwenang.",
        "metadata": False,
        "type": "realtime",
        "keywords": "umum",
        "group": "Umum",
    }
    listed = [
        {
            "service_code": agency.code,
            "service_name": agency.name,
            "description": f"Pengaduan untuk {agency.short_name}.",
            "metadata": False,
            "type": "realtime",
            "keywords": agency.short_name.lower(),
            "group": agency.kind.value,
        }
        for agency in _agencies()
    ]
    return jsonify([general, *listed])


@bp.get("/services/<code>.json")
def service_definition(code: str):
    if code != GENERAL and code not in {a.code for a in _agencies()}:
        return spec_error(404, f"Layanan '{code}' tidak ada.")
    return jsonify({"service_code": code, "attributes": []})


@bp.post("/requests.json")
@limiter.limit(intake_limit)
def create_request():
    form = request.form
    service_code = (form.get("service_code") or "").strip()
    if not service_code:
        return spec_error(400, "service_code wajib diisi.")
    if service_code != GENERAL and service_code not in {a.code for a in _agencies()}:
        return spec_error(404, f"Layanan '{service_code}' tidak ada.")
    has_point = form.get("lat") and form.get("long")
    if not (has_point or form.get("address_string") or form.get("address_id")):
        return spec_error(400, "Lokasi wajib: lat dan long, atau address_string.")
    try:
        lat = float(form["lat"]) if has_point else None
        lon = float(form["long"]) if has_point else None
    except ValueError:
        return spec_error(400, "lat dan long harus berupa angka.")
    name = " ".join(p for p in (form.get("first_name"), form.get("last_name")) if p) or None
    submission = Submission(
        text=form.get("description") or "",
        channel=Channel.OPEN311,
        address=form.get("address_string") or None,
        lat=lat,
        lon=lon,
        name=name,
        email=form.get("email") or None,
        phone=form.get("phone") or None,
        category=service_code,
    )
    try:
        result = file_complaint(current_app.extensions["lapor.settings"], submission, now=utcnow())
    except ValidationFailed as failed:
        details = "; ".join(f"{name}: {p.message}" for name, p in failed.fields.items())
        return spec_error(400, details)
    except DomainError as error:
        return spec_error(400, error.message)
    complaint = result.complaint
    notice = (
        "Diteruskan ke OPD."
        if complaint.status == ComplaintStatus.ROUTED
        else "Sedang diverifikasi petugas."
    )
    return jsonify(
        [
            {
                "service_request_id": complaint.tracking_code,
                "service_notice": notice,
                "account_id": None,
            }
        ]
    ), 201


def _parse_date(raw: str | None) -> datetime | None:
    if not raw:
        return None
    moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError("timezone required")
    return moment


@bp.get("/requests.json")
def list_requests():
    session = db.get_session()
    query = select(Complaint).where(Complaint.confidential.is_(False))
    if ids := request.args.get("service_request_id"):
        codes = [c.strip().upper() for c in ids.split(",") if c.strip()][:MAX_RESULTS]
        query = query.where(Complaint.tracking_code.in_(codes))
    try:
        start, end = (
            _parse_date(request.args.get("start_date")),
            _parse_date(request.args.get("end_date")),
        )
    except ValueError:
        return spec_error(400, "start_date/end_date harus tanggal ISO 8601 dengan zona waktu.")
    if start:
        query = query.where(Complaint.received_at >= start)
    if end:
        query = query.where(Complaint.received_at <= end)
    status = request.args.get("status")
    if status not in (None, "", "open", "closed"):
        return spec_error(400, "status harus 'open' atau 'closed'.")
    if status == "open":
        query = query.where(Complaint.status.not_in(CLOSED))
    elif status == "closed":
        query = query.where(Complaint.status.in_(CLOSED))
    if codes := request.args.get("service_code"):
        wanted = [c.strip().upper() for c in codes.split(",") if c.strip()]
        query = query.join(Agency, Agency.id == Complaint.agency_id).where(Agency.code.in_(wanted))
    rows = session.exec(query.order_by(Complaint.received_at.desc()).limit(MAX_RESULTS)).all()
    return jsonify(_requests(rows))


@bp.get("/requests/<code>.json")
def get_request(code: str):
    complaint = (
        db.get_session()
        .exec(select(Complaint).where(Complaint.tracking_code == code.strip().upper()))
        .first()
    )
    if complaint is None or complaint.confidential:
        return spec_error(404, f"Permintaan '{code}' tidak ditemukan.")
    return jsonify(_requests([complaint]))


def _requests(rows: list[Complaint]) -> list[dict]:
    session = db.get_session()
    agency_ids = {r.agency_id for r in rows if r.agency_id}
    agencies = (
        {a.id: a for a in session.exec(select(Agency).where(Agency.id.in_(agency_ids)))}
        if agency_ids
        else {}
    )
    categories = _categories(session, [r.id for r in rows])
    items = []
    for complaint in rows:
        agency = agencies.get(complaint.agency_id)
        service_code = agency.code if agency else categories.get(complaint.id, GENERAL)
        items.append(
            {
                "service_request_id": complaint.tracking_code,
                "status": "closed" if complaint.status in CLOSED else "open",
                "status_notes": STATUS_LABELS[complaint.status],
                "service_name": agency.name if agency else "Pengaduan umum",
                "service_code": service_code,
                "description": complaint.text,
                "agency_responsible": agency.name if agency else None,
                "service_notice": None,
                "requested_datetime": complaint.received_at.isoformat(),
                "updated_datetime": complaint.updated_at.isoformat(),
                "expected_datetime": _expected(complaint),
                "address": complaint.address if not complaint.anonymous else None,
                "address_id": None,
                "zipcode": None,
                # An anonymous reporter's spot can point at their home: not published.
                "lat": complaint.lat if not complaint.anonymous else None,
                "long": complaint.lon if not complaint.anonymous else None,
                "media_url": None,
            }
        )
    return items


def _expected(complaint: Complaint) -> str | None:
    due = complaint.resolution_due_at or complaint.response_due_at
    return due.isoformat() if due else None


def _categories(session, ids: list[int]) -> dict[int, str]:
    """The Open311 service each complaint was filed under, when one was chosen."""
    if not ids:
        return {}
    events = session.exec(
        select(ComplaintEvent).where(
            ComplaintEvent.complaint_id.in_(ids), ComplaintEvent.action == "submit"
        )
    )
    return {e.complaint_id: e.data["category"] for e in events if e.data.get("category")}
