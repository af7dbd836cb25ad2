"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2) in JSON and XML.

Existing Open311 clients and FixMyStreet-style apps file complaints here. One service per OPD
of the region (service_code = the agency code) plus `UMUM` for "not sure"; whatever service a
client picks, the complaint goes through the same intake and routing as every other channel.
The service it was filed under stays its service_code; the OPD it reaches is the spec's
`agency_responsible`.

`jurisdiction_id` is optional; when sent (on any endpoint here) it must name this region: its
code in the region's agencies.yaml (e.g. "62"), its short name (e.g. "Kalteng", any case) or
the host name the client calls; anything else is a 404. `api_key` is optional too: an
integrator's key (`lapor open311 key create`) has its own per-minute limit and its name is
recorded as the complaint's source; without a key a client files at a citizen's rate per
address. Accounts are not supported: `account_id` is accepted and ignored.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache

from flask import Blueprint, current_app, jsonify, request, url_for
from sqlmodel import select
from werkzeug.datastructures import MultiDict

from lapor.domain import service_attributes
from lapor.domain.errors import DomainError, ValidationFailed
from lapor.domain.files import MAX_FILE_BYTES
from lapor.domain.intake import Submission, Upload
from lapor.domain.timefmt import parse_w3c, utcnow
from lapor.infra import db, region
from lapor.infra.settings import Settings
from lapor.services import georeport, integrators
from lapor.services.filing import file_complaint
from lapor.services.georeport import GENERAL, GENERAL_NAME, MAX_IDS, WINDOW, RequestQuery
from lapor.web.georeport_format import FORMATS, respond, spec_error
from lapor.web.limits import open311_intake
from lapor.web.openapi import open311_document
from models import Agency, AgencyKind, Channel, ComplaintStatus

bp = Blueprint("open311", __name__, url_prefix="/open311/v2")
SPEC = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-12-02T00:00:00Z"
EARLIEST, LATEST = datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 12, 31, tzinfo=UTC)
# Intake's field names as the spec's parameters, for error texts a client can act on.
SPEC_NAMES = {
    "text": "description",
    "lat": "lat",
    "lon": "long",
    "address": "address_string",
    "name": "first_name",
    "email": "email",
    "phone": "phone",
    "attachments": "media",
    "title": "description",
    "media_url": "media_url",
}
# FixMyStreet's "the reporter did not pick a spot": not a location.
NOT_PINPOINTED = "#NOTPINPOINTED#"


@bp.before_request
def check_jurisdiction():
    """A `jurisdiction_id` that is not this region's is a 404 on every endpoint (see above)."""
    given = (request.values.get("jurisdiction_id") or "").strip()
    if not given or given.lower() in _jurisdictions(request.host):
        return None
    return spec_error(404, f"jurisdiction_id '{given[:40]}' tidak dilayani di sini.")


def _jurisdictions(host: str) -> frozenset[str]:
    settings = current_app.extensions["lapor.settings"]
    return _region_names(settings.region) | {host.rsplit(":", 1)[0].lower()}


@lru_cache(maxsize=8)
def _region_names(name: str) -> frozenset[str]:
    """The region's code and short name, lower case (the file is read once per process)."""
    info = region.region_info(name)
    found = (str(info.get(field) or "").strip().lower() for field in ("code", "short_name"))
    return frozenset(value for value in found if value)


@bp.get("/openapi.json")
def openapi():
    return jsonify(open311_document())


@bp.get(f"/discovery.<{FORMATS}:fmt>")
def discovery(fmt: str):
    base = url_for("open311.discovery", fmt="json", _external=True).rsplit("/", 1)[0]
    return respond(
        {
            "changeset": CHANGESET,
            "contact": "Lapor — pengaduan pelayanan publik",
            "key_service": (
                "api_key tidak wajib: tanpa kunci, batas per alamat IP seperti warga. Integrator "
                "(mis. FixMyStreet sebuah kota) meminta kunci ke pengelola Lapor; kunci punya "
                "batas per menit sendiri. Akun (account_id) tidak didukung."
            ),
            "endpoints": [
                {
                    "specification": SPEC,
                    "url": base,
                    "changeset": CHANGESET,
                    "type": "production",
                    "formats": ["text/xml", "application/json"],
                }
            ],
        },
        root="discovery",
    )


def _agencies() -> list[Agency]:
    return list(
        db.get_session().exec(
            select(Agency)
            .where(Agency.active, Agency.kind != AgencyKind.EXTERNAL, Agency.parent_id.is_not(None))
            .order_by(Agency.name)
        )
    )


@bp.get(f"/services.<{FORMATS}:fmt>")
def services(fmt: str):
    defined = _definitions()
    general = {
        "service_code": GENERAL,
        "service_name": GENERAL_NAME,
        "description": "Pilih ini bila tidak tahu OPD yang berwenang.",
        "metadata": GENERAL in defined,
        "type": "realtime",
        "keywords": "umum",
        "group": "Umum",
    }
    listed = [
        {
            "service_code": agency.code,
            "service_name": agency.name,
            "description": f"Pengaduan untuk {agency.short_name}.",
            "metadata": agency.code in defined,
            "type": "realtime",
            "keywords": agency.short_name.lower(),
            "group": agency.kind.value,
        }
        for agency in _agencies()
    ]
    return respond([general, *listed], root="services", item="service")


@bp.get(f"/services/<code>.<{FORMATS}:fmt>")
def service_definition(code: str, fmt: str):
    if code != GENERAL and code not in {a.code for a in _agencies()}:
        return spec_error(404, f"service_code '{code[:40]}' tidak ada.")
    attributes = [attribute.as_spec() for attribute in _definitions().get(code, ())]
    return respond({"service_code": code, "attributes": attributes}, root="service_definition")


def _definitions() -> dict[str, tuple[service_attributes.Attribute, ...]]:
    """The region's service definitions by service_code (open311.yaml, read once)."""
    return region.open311_definitions_for(current_app.extensions["lapor.settings"].region)


def _attributes(form: MultiDict, service_code: str) -> dict:
    """The service's `attribute[code]` values, checked against its definition (a service
    without one takes none: an attribute sent to it is refused, not dropped)."""
    # A multipart part without a readable name is a None key in werkzeug: not an attribute.
    sent = service_attributes.sent_attributes((k, v) for k, v in form.items(multi=True) if k)
    return service_attributes.check(_definitions().get(service_code, ()), sent)


@bp.post(f"/requests.<{FORMATS}:fmt>")
@open311_intake
def create_request(fmt: str):
    """File a service request. A location is lat and long, or address_string: Lapor has no
    address register, so address_id (FixMyStreet's #NOTPINPOINTED# included) is not one and
    is not stored. media_url (the first, if repeated) is kept as a link for staff and never
    fetched; `media` files go through the web form's checks (EXIF removed)."""
    form = request.form
    settings = current_app.extensions["lapor.settings"]
    now = utcnow()
    source, refused = _source(settings, now)
    if refused is not None:
        return refused
    service_code = (form.get("service_code") or "").strip()
    if not service_code:
        return spec_error(400, "service_code wajib diisi.")
    if service_code != GENERAL and service_code not in {a.code for a in _agencies()}:
        return spec_error(404, f"service_code '{service_code[:40]}' tidak ada.")
    point, problem = _point(form)
    if problem:
        return spec_error(400, problem)
    if point is None and not (form.get("address_string") or "").strip():
        return spec_error(400, _no_location(form))
    try:
        attributes = _attributes(form, service_code)
    except service_attributes.InvalidAttributes as refused_attributes:
        return spec_error(400, refused_attributes.message)
    name = " ".join(p for p in (form.get("first_name"), form.get("last_name")) if p) or None
    submission = Submission(
        text=form.get("description") or "",
        channel=Channel.OPEN311,
        address=form.get("address_string") or None,
        lat=point[0] if point else None,
        lon=point[1] if point else None,
        name=name,
        email=form.get("email") or None,
        phone=form.get("phone") or None,
        category=service_code,
        uploads=_media(),
        media_url=next((url for url in form.getlist("media_url") if url.strip()), None),
        source=source,
        service_attributes=attributes,
    )
    try:
        result = file_complaint(settings, submission, now=now)
    except ValidationFailed as failed:
        details = "; ".join(
            f"{SPEC_NAMES.get(name, name)}: {p.message}" for name, p in failed.fields.items()
        )
        return spec_error(400, details)
    except DomainError as error:
        return spec_error(400, error.message)
    complaint = result.complaint
    notice = (
        "Diteruskan ke OPD."
        if complaint.status == ComplaintStatus.ROUTED
        else "Sedang diverifikasi petugas."
    )
    answer = {
        "service_request_id": complaint.tracking_code,
        "service_notice": notice,
        "account_id": None,
    }
    return respond([answer], root="service_requests", item="request", status=201)


def _source(settings: Settings, now: datetime) -> tuple[str | None, object | None]:
    """The integrator's name for a request with an `api_key` (its last use noted), None
    without one; or the 403 for a key that is unknown or revoked."""
    api_key = request.values.get("api_key")
    if not (api_key or "").strip():
        return None, None
    try:
        name = db.run_in_transaction(
            settings, lambda session: integrators.client_name(session, api_key, now=now)
        )
    except integrators.UnknownKey as error:
        return None, spec_error(403, error.message)
    return name, None


def _media() -> list[Upload]:
    """The `media` files, each read at most one byte past the limit, as the web form does."""
    return [
        Upload(storage.filename, storage.stream.read(MAX_FILE_BYTES + 1))
        for storage in request.files.getlist("media")
        if storage and storage.filename
    ]


def _no_location(form: MultiDict) -> str:
    if (form.get("address_id") or "").strip():
        return (
            "Lokasi wajib: lat dan long, atau address_string. address_id (termasuk "
            f"{NOT_PINPOINTED}) bukan lokasi di sini."
        )
    return "Lokasi wajib: lat dan long, atau address_string."


def _point(form: MultiDict) -> tuple[tuple[float, float] | None, str | None]:
    """The spot (lat, long) a client sent, or why it is refused."""
    lat, lon = (form.get("lat") or "").strip(), (form.get("long") or "").strip()
    if not lat and not lon:
        return None, None
    if not (lat and lon):
        return None, "lat dan long harus dikirim bersama."
    try:
        return (float(lat), float(lon)), None
    except ValueError:
        return None, "lat dan long harus berupa angka desimal (WGS84)."


@bp.get(f"/requests.<{FORMATS}:fmt>")
def list_requests(fmt: str):
    query, problem = request_query(request.args, utcnow())
    if problem:
        return spec_error(400, problem)
    session = db.get_session()
    rows = georeport.find(session, query)
    return respond(
        georeport.service_requests(session, rows), root="service_requests", item="request"
    )


def request_query(args: MultiDict, now: datetime) -> tuple[RequestQuery | None, str | None]:
    """The spec's parameters: service_request_id (a comma list, overriding the rest),
    service_code (a comma list), status (open, closed or both), start_date and end_date."""
    ids = _comma_list(args.get("service_request_id"), 20)
    if len(ids) > MAX_IDS:
        return None, f"service_request_id: paling banyak {MAX_IDS} kode."
    statuses = frozenset(_comma_list(args.get("status"), 10, upper=False))
    if statuses - {"open", "closed"}:
        return None, "status: open, closed, atau keduanya (open,closed)."
    try:
        end = _moment(args.get("end_date"), "end_date")
        start = _moment(args.get("start_date"), "start_date")
    except ValueError as bad:
        return None, str(bad)
    if start is None and end is None:
        end = now
    start = start if start is not None else end - WINDOW
    end = end if end is not None else start + WINDOW
    if start > end:
        return None, "start_date harus sebelum end_date."
    if end - start > WINDOW:
        return None, "Rentang start_date sampai end_date paling lama 90 hari."
    codes = _comma_list(args.get("service_code"), 40)
    return RequestQuery(start, end, ids, codes, statuses), None


def _comma_list(raw: str | None, longest: int, *, upper: bool = True) -> list[str]:
    items = [part.strip() for part in (raw or "").split(",") if part.strip()]
    return [(item.upper() if upper else item.lower())[:longest] for item in items]


def _moment(raw: str | None, name: str) -> datetime | None:
    """A W3C date-time (2026-12-01T08:00:00+07:00 or …Z) within 2000–2100, as UTC."""
    if raw is None or not raw.strip():
        return None
    moment = parse_w3c(raw.strip())
    try:
        if moment is None:
            raise ValueError
        moment = moment.astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise ValueError(
            f"{name}: tanggal W3C dengan zona waktu, mis. 2026-12-01T08:00:00+07:00."
        ) from exc
    if not EARLIEST <= moment <= LATEST:
        raise ValueError(f"{name}: di luar jangkauan (tahun 2000 sampai 2100).")
    return moment


@bp.get(f"/requests/<code>.<{FORMATS}:fmt>")
def get_request(code: str, fmt: str):
    session = db.get_session()
    complaint = georeport.one(session, code.strip().upper()[:20])
    if complaint is None:
        return spec_error(404, f"service_request_id '{code[:20]}' tidak ditemukan.")
    return respond(
        georeport.service_requests(session, [complaint]), root="service_requests", item="request"
    )


@bp.get(f"/tokens/<token>.<{FORMATS}:fmt>")
def token(token: str, fmt: str):
    """The spec's token lookup. Lapor answers a POST with the service_request_id at once and
    gives no other token, so a client that asks anyway (FixMyStreet does when an answer has
    only a token) gets the request its id names."""
    session = db.get_session()
    complaint = georeport.one(session, token.strip().upper()[:20])
    if complaint is None:
        return spec_error(404, f"token '{token[:20]}' tidak dikenal.")
    found = {"service_request_id": complaint.tracking_code, "token": token[:20]}
    return respond([found], root="service_requests", item="request")
