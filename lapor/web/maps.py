"""The maps: where a point on the form probably is, and the public map of complaints."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template, request, url_for
from flask_babel import gettext

from lapor.domain.places import Gazetteer
from lapor.infra import db
from lapor.infra.region import gazetteer_for
from lapor.services.public_map import public_map
from lapor.web.converters import decimal_number
from lapor.web.limits import limiter
from lapor.web.public_filters import filter_choices, public_filters
from lapor.web.templating import allow_scripts

bp = Blueprint("maps", __name__)


def _settings():
    return current_app.extensions["lapor.settings"]


def map_config() -> dict:
    """What a page's map script needs (read from a JSON data block), and the policy that lets
    it run and show the tile server's images."""
    settings = _settings()
    allow_scripts(image_hosts=(settings.map_tile_origin,))
    return {
        "tiles": settings.map_tiles,
        "attribution": settings.map_attribution,
        "bounds": province_bounds(gazetteer_for(settings.region)),
        "lookup_url": url_for("maps.place"),
        "track_url": url_for("web.track", code="CODE"),
    }


# The whole country: the first view of a region whose wilayah.yaml gives no centre points.
INDONESIA = [[-11.0, 95.0], [6.0, 141.0]]


def province_bounds(gazetteer: Gazetteer) -> list[list[float]]:
    """South-west and north-east corners around every kecamatan's centre."""
    points = [c for r in gazetteer.all_regencies() for c in r.district_centres.values()]
    if not points:
        return INDONESIA
    lats, lons = [p[0] for p in points], [p[1] for p in points]
    return [[min(lats), min(lons)], [max(lats), max(lons)]]


@bp.get("/lapor/wilayah")
@limiter.limit("120/minute")
def place():
    """The kabupaten and kecamatan a point on the form's map is probably in (the nearest
    kecamatan centre), or nulls outside the region."""
    lat, lon = decimal_number(request.args.get("lat")), decimal_number(request.args.get("lon"))
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        message = gettext("Lintang dan bujur harus berupa angka, misalnya -2.2100 dan 113.9000.")
        return jsonify({"error": message}), 400
    found = gazetteer_for(_settings().region).nearest(lat, lon)
    if found is None:
        return jsonify({"regency": None, "district": None, "km": None})
    return jsonify(
        {"regency": found.regency.name, "district": found.district, "km": round(found.km, 1)}
    )


@bp.get("/pengaduan/peta")
def public_map_page():
    filters = public_filters()
    return render_template(
        "public_map.html",
        filters=filters,
        **filter_choices(),
        map_config={
            **map_config(),
            "data_url": url_for("maps.public_map_data", **{k: v for k, v in filters.items() if v}),
        },
    )


@bp.get("/pengaduan/peta.json")
def public_map_data():
    """The public map's markers: never a confidential complaint, never an exact point."""
    filters = {k: v or None for k, v in public_filters().items()}
    cells = public_map(db.get_session(), **filters)
    return jsonify({"cells": cells, "complaints": sum(len(c["complaints"]) for c in cells)})
