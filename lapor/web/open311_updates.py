"""Open311 service request updates (the GeoReport v2 "servicerequestupdates" extension as
FixMyStreet speaks it): what happened to a request since, and the citizen's own updates."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("open311_updates", __name__, url_prefix="/open311/v2")
