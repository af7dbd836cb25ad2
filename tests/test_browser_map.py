"""In a real browser at phone width: the form's map (tap, drag, "use my location"), the
kecamatan following the kabupaten, and the public map of complaints.

Tiles come from a small local server (every /{z}/{x}/{y}.png is the same drawn square), set
as LAPOR_MAP_TILES, so nothing leaves the machine; any request to another host fails the
test. Screenshots are saved under the test's tmp_path.
"""

from __future__ import annotations

import io
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import expect
from sqlmodel import select

from lapor.domain.intake import Submission
from lapor.infra.region import gazetteer_for
from lapor.services.filing import file_complaint
from models import Complaint

pytestmark = pytest.mark.slow  # a real browser: run by `make test-slow`

PHONE = {"width": 360, "height": 740}
LAPTOP = {"width": 1280, "height": 900}


def _tile() -> bytes:
    """A 256 px tile: a pale square with a darker edge, so the map's grid shows."""
    image = Image.new("RGB", (256, 256), (226, 236, 222))
    ImageDraw.Draw(image).rectangle((0, 0, 255, 255), outline=(170, 190, 165), width=2)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


class TileServer:
    """Serves the same PNG for every /{z}/{x}/{y}.png and counts what it served."""

    def __init__(self) -> None:
        tile, served = _tile(), []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (the standard library's name)
                served.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(tile)))
                self.end_headers()
                self.wfile.write(tile)

            def log_message(self, *args):
                pass

        self.served = served
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/{{z}}/{{x}}/{{y}}.png"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def tiles():
    server = TileServer()
    yield server
    server.stop()


@pytest.fixture
def settings(settings, tiles):
    """The installation's settings with the map's tiles from the local tile server."""
    return settings.with_overrides({"map_tiles": tiles.url, "map_attribution": "Peta uji"})


def _watch(page) -> list[str]:
    """Problems seen by the page: a refused script or image (the content security policy),
    a script error, a request to another host."""
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"error: {error}"))
    page.on(
        "console",
        lambda message: (
            problems.append(f"console: {message.text}") if message.type == "error" else None
        ),
    )

    def only_local(route):
        if route.request.url.startswith(("http://127.0.0.1", "data:")):
            route.continue_()
        else:
            problems.append(f"request to {route.request.url}")
            route.abort()

    page.route("**/*", only_local)
    return problems


def _fits(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def _tiles_shown(page, selector: str) -> None:
    page.wait_for_selector(f"{selector} img.leaflet-tile-loaded")


def _fill_complaint(page) -> None:
    page.fill("#title", "Jembatan kayu patah")
    page.fill(
        "#text", "Jembatan kayu di ujung gang patah sejak banjir kemarin, motor tidak bisa lewat."
    )


def test_a_point_tapped_and_dragged_on_the_map_is_filed(browser, live_url, session, tmp_path):
    context = browser.new_context(viewport=PHONE, device_scale_factor=2)
    page = context.new_page()
    problems = _watch(page)
    page.goto(f"{live_url}/lapor")
    _tiles_shown(page, "#form-map")
    assert page.is_visible("#form-map") and page.is_visible("#locate-me")
    _fill_complaint(page)
    page.select_option("#regency", "Kota Palangka Raya")  # the map moves to the city
    expect(page.locator("#district option")).to_have_count(6)

    page.locator("#form-map").scroll_into_view_if_needed()
    box = page.locator("#form-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(page.locator("#district")).not_to_have_value("")
    tapped = float(page.input_value("#lat")), float(page.input_value("#lon"))
    # The middle of the map is the city's centre point; its nearest kecamatan is filled in.
    assert tapped == pytest.approx((-2.0075, 113.7675), abs=0.01)
    assert page.input_value("#district") == "Bukit Batu"
    assert "Bukit Batu" in page.inner_text("#map-status")
    page.screenshot(path=str(tmp_path / "form-map-tapped-360.png"), full_page=True)

    # Drag the marker south-east: the fields follow, and a different kecamatan is offered,
    # never put in place of the one already chosen without asking.
    marker = page.locator(".leaflet-marker-icon").bounding_box()
    x, y = marker["x"] + marker["width"] / 2, marker["y"] + marker["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 30, y + 50, steps=8)
    page.mouse.up()
    expect(page.locator("#lat")).not_to_have_value(f"{tapped[0]:.6f}")
    dragged = float(page.input_value("#lat")), float(page.input_value("#lon"))
    assert dragged[0] < tapped[0] and dragged[1] > tapped[1]
    expected = gazetteer_for("kalteng").nearest(*dragged)
    assert expected.district != "Bukit Batu"
    page.wait_for_selector("#map-suggestion:not([hidden])")
    assert expected.district in page.inner_text("#map-suggestion-text")
    assert page.input_value("#district") == "Bukit Batu"
    _fits(page, 360)
    page.screenshot(path=str(tmp_path / "form-map-suggestion-360.png"), full_page=True)
    page.click("#map-suggestion-use")
    assert page.input_value("#district") == expected.district

    page.click("button[type=submit]")
    page.wait_for_selector("#tracking-code")
    session.expire_all()
    complaint = session.exec(select(Complaint)).one()
    assert (complaint.lat, complaint.lon) == dragged
    assert (complaint.regency, complaint.district) == ("Kota Palangka Raya", expected.district)
    assert problems == []

    laptop = browser.new_context(viewport=LAPTOP).new_page()
    laptop.goto(f"{live_url}/lapor")
    _tiles_shown(laptop, "#form-map")
    laptop.screenshot(path=str(tmp_path / "form-map-1280.png"), full_page=True)
    context.close()


def test_use_my_location_with_and_without_permission(browser, live_url, tmp_path):
    where = {"latitude": -2.2136, "longitude": 113.9208, "accuracy": 12}
    allowed = browser.new_context(
        viewport=PHONE, geolocation=where, permissions=["geolocation"], device_scale_factor=2
    )
    page = allowed.new_page()
    problems = _watch(page)
    page.goto(f"{live_url}/lapor")
    _tiles_shown(page, "#form-map")
    assert page.input_value("#lat") == ""  # nothing asked before the button is pressed
    page.click("#locate-me")
    expect(page.locator("#lat")).not_to_have_value("")
    assert (page.input_value("#lat"), page.input_value("#lon")) == ("-2.213600", "113.920800")
    expect(page.locator("#district")).not_to_have_value("")
    assert page.input_value("#regency") == "Kota Palangka Raya"
    assert page.input_value("#district") == "Pahandut"
    _fits(page, 360)
    page.screenshot(path=str(tmp_path / "form-my-location-360.png"), full_page=True)
    assert problems == []
    allowed.close()

    refused = browser.new_context(viewport=PHONE, geolocation=where, permissions=[])
    page = refused.new_page()
    page.goto(f"{live_url}/lapor")
    page.click("#locate-me")
    expect(page.locator("#map-status")).to_contain_text("Izin lokasi ditolak")
    assert "Ketuk peta" in page.inner_text("#map-status")
    assert page.input_value("#lat") == ""
    page.screenshot(path=str(tmp_path / "form-location-refused-360.png"), full_page=True)
    refused.close()


def test_the_kecamatan_follow_the_kabupaten(browser, live_url):
    page = browser.new_context(viewport=PHONE).new_page()
    page.goto(f"{live_url}/lapor")
    names = "Array.from(document.querySelectorAll('#district option')).map(o => o.value)"
    assert len(page.evaluate(names)) == 137  # the placeholder and all 136, grouped
    page.select_option("#regency", "Kabupaten Kapuas")
    kapuas = page.evaluate(names)
    assert len(kapuas) == 18 and "Selat" in kapuas and "Pahandut" not in kapuas
    page.select_option("#district", "Selat")
    page.select_option("#regency", "Kota Palangka Raya")  # Selat is not in the city
    assert page.input_value("#district") == ""
    assert page.evaluate(names) == [
        "",
        "Bukit Batu",
        "Jekan Raya",
        "Pahandut",
        "Rakumpit",
        "Sabangau",
    ]
    page.select_option("#district", "Jekan Raya")
    page.select_option("#regency", "")  # all again; the choice stays
    assert len(page.evaluate(names)) == 137 and page.input_value("#district") == "Jekan Raya"
    page.select_option("#district", "Mantangai")  # a kecamatan first: its kabupaten follows
    assert page.input_value("#regency") == "Kabupaten Kapuas"
    assert len(page.evaluate(names)) == 18 and page.input_value("#district") == "Mantangai"


def _file(settings, text: str, lat: float, lon: float, **values) -> Complaint:
    submission = Submission(text=text, title=text, lat=lat, lon=lon, **values)
    return file_complaint(settings, submission, now=datetime.now(UTC)).complaint


def test_the_public_map_shows_coarse_markers_and_no_confidential_one(
    browser, live_url, settings, tmp_path
):
    _file(settings, "Lampu jalan mati di Jl. Yos Sudarso", -2.2093, 113.9012)
    _file(settings, "Drainase tersumbat di Jl. Rajawali", -2.1831, 113.8621)
    _file(settings, "Jalan berlubang di Kuala Kapuas", -3.0012, 114.3891)
    anonymous = [
        _file(
            settings,
            f"Pungli di kantor kelurahan {i}",
            -2.2301 + i * 0.004,
            113.9301,
            anonymous=True,
            email=f"warga{i}@example.id",
        )
        for i in range(2)
    ]
    _file(settings, "Dugaan korupsi dana desa", -2.2201, 113.9101, confidential=True)

    context = browser.new_context(viewport=PHONE, device_scale_factor=2)
    page = context.new_page()
    problems = _watch(page)
    page.goto(f"{live_url}/pengaduan")
    page.click("#map-link")
    page.wait_for_url("**/pengaduan/peta**")
    _tiles_shown(page, "#public-map")
    expect(page.locator("#map-status")).to_contain_text("5 pengaduan")
    markers = page.locator("#public-map .leaflet-marker-icon")
    assert markers.count() == 4  # the two anonymous ones share one coarse cell
    assert page.locator("#public-map .map-count").inner_text() == "2"
    assert "korupsi" not in page.content()
    _fits(page, 360)
    page.locator("#public-map .map-count").click()
    page.wait_for_selector(".leaflet-popup-content a")
    page.wait_for_timeout(500)  # the popup's fade and the map's pan to show it
    popup = page.inner_text(".leaflet-popup-content")
    assert "Pungli di kantor kelurahan 0" in popup and "Pungli di kantor kelurahan 1" in popup
    link = page.locator(".leaflet-popup-content a").first.get_attribute("href")
    assert link.startswith("/lacak/") and link.split("/")[-1] in {
        a.tracking_code for a in anonymous
    }
    page.screenshot(path=str(tmp_path / "public-map-360.png"), full_page=True)
    assert problems == []

    laptop = browser.new_context(viewport=LAPTOP).new_page()
    laptop.goto(f"{live_url}/pengaduan/peta?regency=")
    _tiles_shown(laptop, "#public-map")
    laptop.wait_for_selector("#public-map .leaflet-marker-icon")
    laptop.screenshot(path=str(tmp_path / "public-map-1280.png"), full_page=True)
    context.close()
