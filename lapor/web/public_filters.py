"""The filters of the public list and the public map: one reading of the query string and one
set of choices, so the list's "Lihat di peta" link and the map ask the same thing."""

from __future__ import annotations

from flask import current_app, request

from lapor.infra import db
from lapor.infra.region import gazetteer_for
from lapor.services.compliance import own_agencies
from models import ComplaintStatus

NAMES = ("regency", "agency", "status")


def public_filters() -> dict[str, str]:
    """The filters as typed, blanks trimmed; an unknown status is no filter."""
    filters = {name: (request.args.get(name) or "").strip() for name in NAMES}
    if filters["status"] not in {s.value for s in ComplaintStatus}:
        filters["status"] = ""
    return filters


def filter_choices() -> dict:
    """What the filters' selects offer: the region's kabupaten/kota, its own active OPDs and
    the statuses."""
    settings = current_app.extensions["lapor.settings"]
    return {
        "regencies": gazetteer_for(settings.region).all_regencies(),
        "agencies": own_agencies(db.get_session()),
        "statuses": list(ComplaintStatus),
    }
