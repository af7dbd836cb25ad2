"""The maps without a browser: the region's centre points, the nearest kecamatan, the coarse
public points, the form's no-JavaScript path, the public map's JSON and the pages' policies."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from lapor.domain.intake import Submission
from lapor.domain.places import (
    ANONYMOUS_GRID,
    PUBLIC_GRID,
    Gazetteer,
    distance_km,
    public_point,
)
from lapor.infra.region import gazetteer_for
from lapor.infra.settings import Settings, SettingsError
from lapor.services.filing import file_complaint
from lapor.web.maps import INDONESIA, province_bounds
from models import Complaint


def csrf_token(client) -> tuple[str, str]:
    page = client.get("/lapor").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return token, re.search(r'name="form_token" value="([^"]*)"', page).group(1)


# --- the region's centre points and the nearest kecamatan ------------------------------------


def test_every_regency_and_kecamatan_of_kalteng_has_a_centre_point_in_the_province():
    gazetteer = gazetteer_for("kalteng")
    regencies = gazetteer.all_regencies()
    assert len(regencies) == 14
    assert all(r.centre is not None for r in regencies)
    centres = [c for r in regencies for c in r.district_centres.values()]
    assert len(centres) == 136
    assert set().union(*(r.district_centres for r in regencies)) == {
        name for r in regencies for name in r.districts.values()
    }
    for lat, lon in centres + [r.centre for r in regencies]:
        assert -3.6 < lat < 0.8 and 110.7 < lon < 115.9  # Kalimantan Tengah's extent
    # A kecamatan's centre is in its own regency's part of the province, not across it.
    for regency in regencies:
        for centre in regency.district_centres.values():
            assert distance_km(centre, regency.centre) < 200


def test_the_nearest_kecamatan_centre_names_the_place():
    gazetteer = gazetteer_for("kalteng")
    pahandut = gazetteer.nearest(-2.21, 113.92)  # Palangka Raya, by the Kahayan bridge
    assert (pahandut.regency.name, pahandut.district) == ("Kota Palangka Raya", "Pahandut")
    assert pahandut.km < 5
    sampit = gazetteer.nearest(-2.53, 112.95)
    assert sampit.regency.name == "Kabupaten Kotawaringin Timur"
    kuala_kapuas = gazetteer.nearest(-3.0, 114.39)
    assert (kuala_kapuas.regency.name, kuala_kapuas.district) == ("Kabupaten Kapuas", "Selat")
    assert gazetteer.nearest(-6.2, 106.82) is None  # Jakarta is not in the region
    for regency in gazetteer.all_regencies():  # every centre finds its own kecamatan
        for name, (lat, lon) in regency.district_centres.items():
            found = gazetteer.nearest(lat, lon)
            assert (found.regency, found.district, found.km) == (regency, name, 0.0)


def test_a_region_without_centre_points_still_has_a_map_but_no_suggestion():
    bare = Gazetteer.from_dict(
        {"regencies": [{"code": "1", "name": "Kota Contoh", "districts": [{"name": "Tengah"}]}]}
    )
    assert bare.nearest(-2.2, 113.9) is None
    assert province_bounds(bare) == INDONESIA
    assert province_bounds(gazetteer_for("kalteng")) == [[-3.3297, 110.896], [0.2966, 115.6012]]


def test_distance_is_the_great_circle_one():
    assert distance_km((0.0, 0.0), (0.0, 1.0)) == pytest.approx(111.19, abs=0.01)
    assert distance_km((-2.2, 113.9), (-2.2, 113.9)) == 0.0


# --- the coarse public point ------------------------------------------------------------------


def _on_grid(value: float, grid: float) -> bool:
    """Whether the value is a cell centre of the grid: (n + 0.5) * grid."""
    cells = value / grid - 0.5
    return math.isclose(cells, round(cells), abs_tol=1e-6)


@pytest.mark.parametrize(
    "lat, lon",
    [
        (-2.2100, 113.9000),
        (-2.20999, 113.90001),
        (-2.214321, 113.917654),
        (0.0, 0.0),
        (0.004, -0.004),
        (-3.5499999, 115.85),
    ],
)
def test_a_public_point_is_a_cell_centre_and_tells_only_the_cell(lat, lon):
    for anonymous, grid in ((False, PUBLIC_GRID), (True, ANONYMOUS_GRID)):
        shown = public_point(lat, lon, anonymous=anonymous)
        assert all(_on_grid(v, grid) for v in shown)
        assert abs(shown[0] - lat) <= grid / 2 + 1e-9 and abs(shown[1] - lon) <= grid / 2 + 1e-9
        # Anywhere else in the same cell gives the same point.
        corner = (math.floor(round(lat / grid, 9)) * grid, math.floor(round(lon / grid, 9)) * grid)
        assert (
            public_point(corner[0] + grid * 0.01, corner[1] + grid * 0.99, anonymous=anonymous)
            == shown
        )
    assert public_point(-2.2100, 113.9000, anonymous=False) == (-2.205, 113.905)
    assert public_point(-2.2100, 113.9000, anonymous=True) == (-2.225, 113.925)


# --- settings ---------------------------------------------------------------------------------


def test_the_tile_server_is_a_setting_and_its_origin_goes_into_the_policy(tmp_path):
    env = {"LAPOR_DATA_DIR": str(tmp_path)}
    assert Settings.from_env(env).map_tile_origin == "https://tile.openstreetmap.org"
    assert "OpenStreetMap" in Settings.from_env(env).map_attribution
    own = Settings.from_env(
        {
            **env,
            "LAPOR_MAP_TILES": "https://{s}.peta.example.id/{z}/{x}/{y}.png",
            "LAPOR_MAP_ATTRIBUTION": "© Pemprov",
        }
    )
    assert own.map_tile_origin == "https://*.peta.example.id" and own.map_attribution == "© Pemprov"
    with pytest.raises(SettingsError, match="LAPOR_MAP_TILES"):
        Settings.from_env({**env, "LAPOR_MAP_TILES": "peta.example.id/tiles"})


# --- the form: the point by hand, the lookup, the policy ---------------------------------------


def test_without_javascript_the_form_files_a_complaint_with_its_typed_point(client, session):
    token, form_token = csrf_token(client)
    response = client.post(
        "/lapor",
        data={
            "csrf_token": token,
            "form_token": form_token,
            "text": "Jembatan kayu di Jalan Tjilik Riwut km 7 patah, motor tidak bisa lewat.",
            "regency": "Kota Palangka Raya",
            "district": "Jekan Raya",
            "lat": "-2,183456",  # a comma, as phones in Indonesia type it
            "lon": "113.857321",
        },
    )
    assert response.status_code == 303
    complaint = session.exec(select(Complaint)).one()
    assert (complaint.lat, complaint.lon) == (-2.183456, 113.857321)
    assert complaint.district == "Jekan Raya"


def test_the_form_page_carries_the_map_but_works_without_it(client):
    page = client.get("/lapor").get_data(as_text=True)
    assert 'id="map-block" class="map-block" hidden' in page  # shown only by the script
    assert 'name="lat"' in page and 'name="lon"' in page  # the typed fields stay
    assert '<optgroup label="Kabupaten Kapuas">' in page  # grouped, as without scripts
    assert 'data-lat="-2.0075" data-lon="113.7675"' in page  # Kota Palangka Raya's centre
    config = re.search(r'id="form-map-config">(.*?)</script>', page).group(1)
    assert '"tiles": "https://tile.openstreetmap.org/{z}/{x}/{y}.png"' in config
    assert '"lookup_url": "/lapor/wilayah"' in config
    english = client.get("/lapor?lang=en").get_data(as_text=True)
    assert "Use my location" in english and "Gunakan lokasi saya" not in english


def test_the_lookup_names_the_probable_kabupaten_and_kecamatan(client):
    found = client.get("/lapor/wilayah?lat=-2.21&lon=113.92").get_json()
    assert found["regency"] == "Kota Palangka Raya" and found["district"] == "Pahandut"
    assert client.get("/lapor/wilayah?lat=-6.2&lon=106.8").get_json() == {
        "regency": None,
        "district": None,
        "km": None,
    }
    for query in ("lat=abc&lon=113", "lat=-2.2", "lat=91&lon=113", "lat=nan&lon=1"):
        refused = client.get(f"/lapor/wilayah?{query}")
        assert refused.status_code == 400 and "angka" in refused.get_json()["error"]
    english = client.get("/lapor/wilayah?lat=x&lon=y&lang=en").get_json()
    assert english["error"].startswith("Latitude and longitude must be numbers")


def _policy(response) -> dict[str, str]:
    header = response.headers["Content-Security-Policy"]
    return {part.split()[0]: part.strip() for part in header.split(";") if part.strip()}


def test_only_the_map_pages_run_scripts_and_only_the_apps_own(client, settings):
    code = file_complaint(settings, Submission(text="Lampu jalan mati"), now=datetime.now(UTC))
    code = code.complaint.tracking_code
    for path in ("/lapor", "/pengaduan/peta"):
        policy = _policy(client.get(path))
        assert policy["script-src"] == "script-src 'self'", path
        assert "https://tile.openstreetmap.org" in policy["img-src"], path
        assert policy["default-src"] == "default-src 'self'"
    for path in ("/", "/lacak", "/pengaduan", f"/lacak/{code}", "/lacak/kunci"):
        policy = _policy(client.get(path))
        assert policy["script-src"] == "script-src 'none'", path
        assert "openstreetmap" not in policy["img-src"], path


def test_a_region_with_its_own_tile_server_gets_it_in_the_policy(settings):
    from lapor import create_app

    own = settings.with_overrides({"map_tiles": "https://peta.kalteng.example/{z}/{x}/{y}.png"})
    client = create_app(own).test_client()
    policy = _policy(client.get("/lapor"))
    assert "https://peta.kalteng.example" in policy["img-src"]
    assert "openstreetmap" not in policy["img-src"]


# --- the public map ----------------------------------------------------------------------------


def _file(settings, text: str, lat: float, lon: float, **values) -> Complaint:
    submission = Submission(text=text, lat=lat, lon=lon, regency="Kota Palangka Raya", **values)
    return file_complaint(settings, submission, now=datetime.now(UTC)).complaint


def test_the_public_map_never_shows_an_exact_point_nor_a_confidential_complaint(client, settings):
    ordinary = [
        _file(
            settings, f"Jalan berlubang nomor {i}", -2.201234 - i * 0.0137, 113.902345 + i * 0.0071
        )
        for i in range(4)
    ]
    anonymous = [
        _file(
            settings,
            f"Pungli di kantor kelurahan {i}",
            -2.216789 + i * 0.003,
            113.912876,
            anonymous=True,
            email=f"warga{i}@example.id",
        )
        for i in range(3)
    ]
    secret = _file(settings, "Dugaan korupsi dana desa", -2.219912, 113.919934, confidential=True)
    unplaced = file_complaint(settings, Submission(text="Tanpa titik"), now=datetime.now(UTC))

    data = client.get("/pengaduan/peta.json").get_json()
    shown = {
        c["code"]: (cell["lat"], cell["lon"]) for cell in data["cells"] for c in cell["complaints"]
    }
    assert data["complaints"] == len(shown) == 7
    assert secret.tracking_code not in shown and unplaced.complaint.tracking_code not in shown
    for complaint, grid in [(c, PUBLIC_GRID) for c in ordinary] + [
        (c, ANONYMOUS_GRID) for c in anonymous
    ]:
        lat, lon = shown[complaint.tracking_code]
        assert (lat, lon) != (complaint.lat, complaint.lon)
        assert lat != complaint.lat and lon != complaint.lon
        assert _on_grid(lat, grid) and _on_grid(lon, grid)
        assert abs(lat - complaint.lat) <= grid / 2 + 1e-9
    # The three anonymous ones lie in one coarse cell: one marker, nothing to tell them apart.
    cells = {(cell["lat"], cell["lon"]): cell for cell in data["cells"]}
    assert len(cells[shown[anonymous[0].tracking_code]]["complaints"]) == 3
    body = client.get("/pengaduan/peta.json").get_data(as_text=True)
    for complaint in ordinary + anonymous + [secret]:
        assert f"{complaint.lat:.4f}" not in body and f"{complaint.lon:.4f}" not in body
    assert "korupsi" not in body and "warga0@" not in body


def test_the_public_map_filters_like_the_list(client, settings):
    _file(settings, "Jalan rusak", -2.21, 113.91)
    kapuas = Submission(text="Banjir", lat=-3.0, lon=114.39, regency="Kabupaten Kapuas")
    file_complaint(settings, kapuas, now=datetime.now(UTC))
    everything = client.get("/pengaduan/peta.json").get_json()
    assert everything["complaints"] == 2
    only = client.get("/pengaduan/peta.json?regency=Kabupaten+Kapuas").get_json()
    assert only["complaints"] == 1 and only["cells"][0]["lat"] == pytest.approx(-2.995)
    assert client.get("/pengaduan/peta.json?status=closed").get_json()["complaints"] == 0
    assert client.get("/pengaduan/peta.json?status=nonsense").get_json()["complaints"] == 2
    page = client.get("/pengaduan/peta?regency=Kabupaten+Kapuas").get_data(as_text=True)
    assert "/pengaduan/peta.json?regency=Kabupaten+Kapuas" in page
    assert 'id="public-map"' in page and "<noscript>" in page
    listing = client.get("/pengaduan?regency=Kabupaten+Kapuas").get_data(as_text=True)
    assert 'href="/pengaduan/peta?regency=Kabupaten+Kapuas' in listing
