"""The public map of complaints: the public list's complaints at points too coarse to find a
house by, never a confidential one."""

from __future__ import annotations

from sqlmodel import Session

from lapor.domain.places import public_point
from lapor.services.views import agencies_by_id, list_item, public_query
from models import Agency, Complaint

# The newest complaints with a point, enough for a province's map and a phone's memory.
MAX_COMPLAINTS = 2000


def public_map(
    session: Session, *, regency: str | None, agency: str | None, status: str | None
) -> list[dict]:
    """The map's markers, one per grid cell (`places.public_point`), each with its complaints
    newest first; filtered like the public list and under its rule."""
    query = public_query(regency=regency, agency=agency, status=status).where(
        Complaint.lat.is_not(None), Complaint.lon.is_not(None)
    )
    rows = session.exec(
        query.order_by(Complaint.received_at.desc(), Complaint.id.desc()).limit(MAX_COMPLAINTS)
    ).all()
    agencies = agencies_by_id(session, {r.agency_id for r in rows if r.agency_id})
    cells: dict[tuple[float, float], list[dict]] = {}
    for complaint in rows:
        point = public_point(complaint.lat, complaint.lon, anonymous=complaint.anonymous)
        cells.setdefault(point, []).append(_marker_line(complaint, agencies))
    return [{"lat": lat, "lon": lon, "complaints": items} for (lat, lon), items in cells.items()]


def _marker_line(complaint: Complaint, agencies: dict[int, Agency]) -> dict:
    item = list_item(complaint, agencies.get(complaint.agency_id))
    agency = item["agency"]
    return {
        "code": item["tracking_code"],
        "title": item["title"],
        "status": item["status"],
        "agency": agency["short_name"] if agency else None,
    }
