"""In a real browser on a 360 px phone: the reporter files with a photo, copies the code with
"Salin kode", opens the receipt and prints it to PDF; their own page shows the photo's
thumbnail; nothing is wider than the screen; printing leaves out the menu and the forms."""

from __future__ import annotations

import re
import socket
import threading

import pytest
from werkzeug.serving import make_server

from lapor import create_app

from support import jpeg

pytestmark = pytest.mark.slow  # a real browser: run by `make test-slow`

PHONE = {"width": 360, "height": 740}
LAPTOP = {"width": 1280, "height": 900}


@pytest.fixture
def site(settings):
    """The app on a port of its own with its public URL set to it (the QR code points back)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    app = create_app(settings.with_overrides({"public_url": url}))
    server = make_server("127.0.0.1", port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield url
    server.shutdown()


def no_overflow(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


def test_the_reporter_copies_the_code_and_prints_the_receipt(browser, site, tmp_path):
    context = browser.new_context(viewport=PHONE, device_scale_factor=2)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site)
    page = context.new_page()
    page.goto(f"{site}/lapor")
    page.fill("#text", "Jembatan kayu di Desa Bukit Tunggal lapuk, papannya banyak yang patah.")
    photo = tmp_path / "jembatan.jpg"
    photo.write_bytes(jpeg((1600, 1200)))
    page.set_input_files("#attachments", str(photo))
    page.click("button[type=submit]")
    page.wait_for_selector("#tracking-code")
    display = page.inner_text("#tracking-code")

    # "Salin kode": the script shows the button; the code lands on the clipboard.
    assert page.is_visible("#copy-code")
    page.click("#copy-code")
    page.wait_for_selector("#copy-status:has-text('Kode disalin.')")
    assert page.evaluate("navigator.clipboard.readText()") == display
    no_overflow(page, 360)
    page.screenshot(path=str(tmp_path / "new-360.png"), full_page=True)

    # The receipt: the code, the QR code of the private link, the deadlines in words.
    page.click("#print-receipt")
    page.wait_for_selector("#qr svg.qr")
    assert page.inner_text("#tracking-code") == display
    link = page.get_attribute("#private-link", "href")
    assert link.startswith(f"{site}/lacak/{display}?kunci=")
    assert "paling lambat" in page.inner_text("#stage-deadline")
    qr = page.locator("#qr svg").bounding_box()
    assert qr["width"] >= 150 and qr["width"] == qr["height"]
    assert page.is_visible("#print-button")
    no_overflow(page, 360)
    page.screenshot(path=str(tmp_path / "receipt-360.png"), full_page=True)

    # Printed: no menu, no buttons; the code, the QR code and the link stay.
    page.emulate_media(media="print")
    assert not page.is_visible("header nav") and not page.is_visible("#print-button")
    assert not page.is_visible("#copy-code") and not page.is_visible("footer")
    assert page.is_visible("#tracking-code") and page.is_visible("#qr svg")
    page.screenshot(path=str(tmp_path / "receipt-print-360.png"), full_page=True)
    pdf = tmp_path / "receipt.pdf"
    page.pdf(path=str(pdf), format="A4")
    content = pdf.read_bytes()
    assert content.startswith(b"%PDF-") and len(content) > 10_000
    assert len(re.findall(rb"/Type\s*/Page[^s]", content)) == 1  # one sheet
    # The PDF's title (Chromium writes the page's, in UTF-16) holds the code, and the private
    # link stays a live link in it. (No PDF text extractor is installed to read the text.)
    title = re.search(rb"/Title\s*<([0-9A-Fa-f]+)>", content).group(1)
    assert display in bytes.fromhex(title.decode()).decode("utf-16")
    assert f"/URI ({link})".encode() in content
    page.emulate_media(media="screen")

    # Their own page: the photo as a thumbnail that loads; printed without forms or menu.
    page.goto(f"{site}/lacak/{display}")
    thumb = page.locator("#own-attachments img").first
    thumb.wait_for()
    page.wait_for_function("document.querySelector('#own-attachments img').naturalWidth > 0")
    assert page.evaluate("document.querySelector('#own-attachments img').naturalWidth") <= 320
    assert "paling lambat" in page.inner_text("#stage-deadline")
    no_overflow(page, 360)
    page.screenshot(path=str(tmp_path / "own-view-360.png"), full_page=True)
    page.emulate_media(media="print")
    assert not page.is_visible("header nav") and not page.is_visible("#reporter-view")
    page.screenshot(path=str(tmp_path / "own-view-print-360.png"), full_page=True)
    page.emulate_media(media="screen")

    # The same at 1280 px.
    page.set_viewport_size(LAPTOP)
    no_overflow(page, 1280)
    page.screenshot(path=str(tmp_path / "own-view-1280.png"), full_page=True)
    page.goto(f"{site}/lacak/{display}/tanda-terima")
    no_overflow(page, 1280)
    page.screenshot(path=str(tmp_path / "receipt-1280.png"), full_page=True)

    # Anyone else: the public view, no photo, no receipt.
    stranger = browser.new_context(viewport=PHONE).new_page()
    response = stranger.goto(f"{site}/lacak/{display}/tanda-terima")
    assert response.status == 403 and stranger.is_visible("#refusal")
    assert stranger.locator("#own-attachments").count() == 0
    assert not stranger.is_visible("#copy-code")
    no_overflow(stranger, 360)
    stranger.screenshot(path=str(tmp_path / "stranger-receipt-360.png"), full_page=True)
    print(f"screenshots in {tmp_path}")


def test_without_javascript_the_code_is_text_and_the_buttons_stay_hidden(browser, site, tmp_path):
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{site}/lapor")
    page.fill("#text", "Sampah menumpuk di pasar Kahayan sejak minggu lalu, baunya menyengat.")
    page.click("button[type=submit]")
    page.wait_for_selector("#tracking-code")
    assert not page.is_visible("#copy-code")
    assert page.is_visible("#print-receipt")  # a link: works without a script
    page.click("#print-receipt")
    page.wait_for_selector("#qr svg")
    assert not page.is_visible("#print-button") and not page.is_visible("#copy-code")
    no_overflow(page, 360)
    page.screenshot(path=str(tmp_path / "receipt-nojs-360.png"), full_page=True)
