"""Uploaded photos keep no secrets (EXIF, GPS, comments are not stored), broken images are
refused, and exported CSV cells can never run as spreadsheet formulas."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from datetime import UTC, datetime

import pytest
from PIL import ExifTags, Image
from PIL.PngImagePlugin import PngInfo
from sqlmodel import select

from lapor import create_app
from lapor.domain.errors import ValidationFailed
from lapor.domain.files import JPEG, PNG, WEBP, BadImage, without_metadata
from lapor.domain.intake import Submission, Upload, validate
from lapor.services import accounts
from lapor.services.filing import file_complaint
from lapor.web.console import defused
from models import Attachment, Complaint

from support import assert_no_metadata, decoded, jpeg, jpeg_with_gps

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def post_form(client, content: bytes, filename: str = "foto.jpg"):
    page = client.get("/lapor").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    data = {
        "csrf_token": token,
        "text": "Selokan tersumbat di depan rumah, air meluap ke jalan",
        "anonymous": "1",
        "attachments": (io.BytesIO(content), filename),
    }
    return client.post("/lapor", data=data, content_type="multipart/form-data")


def test_a_web_photo_is_stored_without_its_gps_position(client, session, settings):
    original = jpeg_with_gps((60, 40))
    assert b"SN-80412345" in original  # the metadata is there to begin with
    assert post_form(client, original).status_code == 303
    attachment = session.exec(select(Attachment)).one()
    content = (settings.attachments_dir / attachment.path).read_bytes()
    assert_no_metadata(content)
    assert decoded(content).size == (60, 40)
    assert attachment.size == len(content) and attachment.content_type == "image/jpeg"


@pytest.mark.parametrize(
    "broken",
    [jpeg()[:150], b"\xff\xd8\xff\xe0" + b"\x00" * 300, b"\x89PNG\r\n\x1a\n" + b"\x00" * 80],
    ids=["truncated", "jpeg-header-only", "png-header-only"],
)
def test_a_broken_image_is_refused_and_nothing_is_stored(client, session, settings, broken):
    response = post_form(client, broken)
    assert response.status_code == 422
    assert "rusak atau bukan gambar" in response.get_data(as_text=True)
    assert session.exec(select(Complaint)).all() == []
    assert not any(p.is_file() for p in settings.attachments_dir.rglob("*"))


def test_png_and_webp_text_and_exif_are_left_behind():
    exif = Image.Exif()
    exif[ExifTags.Base.Artist] = "Budi Santoso"
    info = PngInfo()
    info.add_text("Author", "Budi Santoso")
    png, webp = io.BytesIO(), io.BytesIO()
    Image.new("RGBA", (8, 8), (1, 2, 3, 4)).save(png, "PNG", pnginfo=info, exif=exif)
    Image.new("RGB", (8, 8)).save(webp, "WEBP", exif=exif, xmp=b"<x:xmpmeta>Budi Santoso</x>")
    for content, kind in ((png.getvalue(), PNG), (webp.getvalue(), WEBP)):
        assert b"Budi" in content
        clean = without_metadata(content, kind)
        assert b"Budi" not in clean and decoded(clean).size == (8, 8)


def test_a_turned_phone_photo_stays_upright():
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # taken with the phone turned: shown rotated
    clean = without_metadata(jpeg((40, 20), exif=exif), JPEG)
    assert decoded(clean).size == (20, 40) and dict(decoded(clean).getexif()) == {}


def test_a_file_that_is_not_the_image_it_claims_is_refused():
    png = io.BytesIO()
    Image.new("RGB", (4, 4)).save(png, "PNG")
    with pytest.raises(BadImage):
        without_metadata(png.getvalue(), JPEG)  # sniffed as one kind, decodes as another
    with pytest.raises(ValidationFailed) as refused:
        validate(Submission(text="Lampu jalan mati", uploads=[Upload("a.jpg", jpeg()[:100])]))
    assert refused.value.fields["attachments"].code == "bad_image"


def test_csv_cells_never_run_as_formulas_and_empty_stays_empty():
    assert [defused(v) for v in ("=1+2", "+62", "-5", "@SUM(A1)", "\tx", "\rx")] == [
        "'=1+2",
        "'+62",
        "'-5",
        "'@SUM(A1)",
        "'\tx",
        "'\rx",
    ]
    assert [defused(v) for v in ("", "Jalan rusak", 3, None)] == ["", "Jalan rusak", 3, None]


def test_the_queue_export_defuses_a_formula_title_and_keeps_empty_cells(settings):
    app = create_app(settings)
    app.config.update(TESTING=True, WTF_CSRF_ENABLED=False)
    submission = Submission(text="Isi pengaduan yang biasa saja", title='=HYPERLINK("http://x")')
    code = file_complaint(settings, submission, now=NOW).complaint.tracking_code
    from sqlmodel import Session

    from lapor.infra import db

    with Session(db.engine_for(settings.database_url)) as session:
        accounts.create_user(
            session, username="verif", password="kata-sandi-1234", role="verifier", now=NOW
        )
        session.commit()
    client = app.test_client()
    client.post("/masuk", data={"username": "verif", "password": "kata-sandi-1234"})
    exported = client.get("/petugas/?format=csv").get_data(as_text=True)
    header, row = list(csv.reader(io.StringIO(exported)))
    cells = dict(zip(header, row, strict=True))
    assert cells["kode"] == f"{code[:5]}-{code[5:]}"
    assert cells["judul"] == '\'=HYPERLINK("http://x")'
    assert cells["opd"] == ""  # still waiting for verification: no OPD, and no stray quote


def test_photos_stored_before_are_stripped_once_by_the_command(app, session, settings, store):
    from lapor.cli import main

    with_gps, pdf = jpeg_with_gps((30, 20)), b"%PDF-1.4 surat"
    complaint = file_complaint(settings, Submission(text="Lampu jalan mati"), now=NOW).complaint
    rows = []
    for content, kind, extension in (
        (with_gps, "image/jpeg", ".jpg"),
        (pdf, "application/pdf", ".pdf"),
    ):
        path, digest = store.save(session, content, extension)
        rows.append(
            Attachment(
                complaint_id=complaint.id,
                filename=f"lama{extension}",
                content_type=kind,
                size=len(content),
                sha256=digest,
                path=path,
                created_at=NOW,
            )
        )
    session.add_all(rows)
    session.commit()
    old_photo = settings.attachments_dir / rows[0].path
    runner = app.test_cli_runner()
    first = runner.invoke(main, ["attachments", "strip-metadata"])
    assert first.exit_code == 0, first.output
    assert "diperiksa: 1, dibersihkan: 1" in first.output
    session.expire_all()
    photo, document = session.exec(select(Attachment).order_by(Attachment.id)).all()
    content = (settings.attachments_dir / photo.path).read_bytes()
    assert_no_metadata(content)
    assert photo.size == len(content) and photo.sha256 == hashlib.sha256(content).hexdigest()
    assert not old_photo.exists()  # the file with the GPS position is gone
    assert (settings.attachments_dir / document.path).read_bytes() == pdf  # PDFs untouched
    again = runner.invoke(main, ["attachments", "strip-metadata"])
    assert "diperiksa: 1, dibersihkan: 0" in again.output
