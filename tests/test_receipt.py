"""The receipt to keep and the reporter's own view: the printable receipt with the private
link as a QR code and what happens next; the reporter's own files (never anyone else's);
what each status means; the stage's deadline in words."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from urllib.parse import urlsplit

import segno
from babel.dates import format_date
from PIL import Image
from sqlmodel import Session, select

from lapor.domain import tracking, workflow
from lapor.infra import db
from lapor.web.templating import long_date
from models import ActorKind, Attachment, Complaint

from support import act_on, jpeg

STAFF = workflow.Actor(ActorKind.STAFF)
REPORTER = workflow.Actor(ActorKind.REPORTER)
TEXT = "Jalan berlubang besar di depan SDN 4 Palangka, sudah tiga bulan"
PDF = b"%PDF-1.4\n" + b"0" * 200


def file_on_web(client, files=(), **fields) -> tuple[str, str]:
    """File through the form as a browser does: (tracking code, private link)."""
    page = client.get("/lapor").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    form_token = re.search(r'name="form_token" value="([^"]*)"', page).group(1)
    data = {"csrf_token": token, "form_token": form_token, "text": TEXT, **fields}
    data["attachments"] = [(io.BytesIO(content), name) for name, content in files]
    response = client.post("/lapor", data=data, content_type="multipart/form-data")
    assert response.status_code == 303, response.get_data(as_text=True)
    receipt = client.get(response.headers["Location"]).get_data(as_text=True)
    link = re.search(r'id="private-link" href="([^"]+)"', receipt).group(1).replace("&amp;", "&")
    return tracking.normalize(urlsplit(link).path.rsplit("/", 1)[1]), link


def stored(settings, code: str) -> Complaint:
    with Session(db.engine_for(settings.database_url)) as session:
        return session.exec(select(Complaint).where(Complaint.tracking_code == code)).one()


def attachment_ids(settings, code: str) -> list[int]:
    complaint = stored(settings, code)
    with Session(db.engine_for(settings.database_url)) as session:
        query = select(Attachment.id).where(Attachment.complaint_id == complaint.id)
        return list(session.exec(query.order_by(Attachment.id)))


def in_words(settings, moment: datetime, locale: str = "id") -> str:
    """The day of a moment as the pages write it, e.g. 'Selasa, 8 Desember 2026'."""
    day = moment.replace(tzinfo=moment.tzinfo or UTC).astimezone(settings.tz).date()
    return format_date(day, format="EEEE, d MMMM y", locale=locale)


# --- the receipt ------------------------------------------------------------------------------


def test_the_receipt_shows_the_code_the_qr_of_the_private_link_and_what_comes_next(app, settings):
    reporter = app.test_client()
    code, link = file_on_web(reporter)
    new = reporter.get(f"/lacak/{code}?baru=1").get_data(as_text=True)
    assert 'id="copy-code"' in new and "hidden>Salin kode</button>" in new  # shown by script
    assert f'href="/lacak/{tracking.display(code)}/tanda-terima"' in new
    response = reporter.get(f"/lacak/{code}/tanda-terima")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f'id="tracking-code">{tracking.display(code)}<' in page
    complaint = stored(settings, code)
    received = in_words(settings, complaint.received_at)
    assert re.search(rf'id="received-at">{received}, \d\d\.\d\d WIB<', page)
    # The QR code is segno's matrix of exactly the private link, drawn as paths only.
    svg = re.search(r'<div class="qr-box" id="qr">(<svg .*?</svg>)</div>', page, re.S).group(1)
    expected = segno.make(link, error="m", micro=False).svg_inline(scale=4, omitsize=True)
    assert re.search(r' d="([^"]+)"', svg).group(1) == re.search(r' d="([^"]+)"', expected).group(1)
    assert "style=" not in svg and "<script" not in svg
    assert f'id="private-link" href="{link}"' in page
    # What happens next, by when: verification by the triage unit, then the OPD's answer.
    verify_by = in_words(settings, complaint.verification_due_at)
    assert f"Petugas wajib memverifikasi pengaduan paling lambat {verify_by}." in page
    assert "Verifikasi oleh Dinas Komunikasi" in page and verify_by in page
    assert "wajib menjawab dalam 5 hari kerja setelah verifikasi" in page
    assert f"Penyelesaian paling lambat {in_words(settings, complaint.resolution_due_at)}" in page
    assert f"/lacak/{tracking.display(code)}</p>" in page  # the public tracking address
    assert "@media print" in app.test_client().get("/static/receipt.css").get_data(as_text=True)
    # The page runs the app's own script (the buttons) and nothing else.
    assert response.headers["Cache-Control"] == "private, no-store"
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy and 'src="/static/js/copy-code.js"' in page


def test_a_routed_complaints_receipt_names_the_opd_and_its_answer_deadline(app, settings):
    reporter = app.test_client()
    code, _ = file_on_web(reporter)
    act_on(
        settings,
        code,
        workflow.Action.VERIFY,
        actor=STAFF,
        now=datetime.now(UTC),
        agency_code="PUPR",
    )
    page = reporter.get(f"/lacak/{code}/tanda-terima").get_data(as_text=True)
    due = in_words(settings, stored(settings, code).response_due_at)
    assert "Diverifikasi dan diteruskan ke OPD yang berwenang." in page
    assert re.search(rf"Dinas Pekerjaan Umum[^<]* wajib menjawab paling lambat {due}\.", page)


def test_a_stranger_gets_the_public_view_and_a_403_not_the_receipt(app, settings):
    code, link = file_on_web(app.test_client())
    stranger = app.test_client()
    response = stranger.get(f"/lacak/{code}/tanda-terima")
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert 'id="refusal"' in page and "hanya dapat dibuka oleh pelapornya" in page
    assert "kunci=" not in page and "<svg" not in page and 'id="public-view"' in page
    assert "script-src 'none'" in response.headers["Content-Security-Policy"]
    # With the private link, another browser becomes the reporter's and gets it.
    parts = urlsplit(link)  # the test client is not at the public address the link names
    assert stranger.get(f"{parts.path}?{parts.query}").status_code == 303
    assert stranger.get(f"/lacak/{code}/tanda-terima").status_code == 200
    assert app.test_client().get("/lacak/ABCDE-FGHJK/tanda-terima").status_code == 404


def test_a_reporter_proven_by_contact_gets_the_receipt_without_a_private_link(app, settings):
    """Through "my complaints" the browser proved the email, not the key: only the key's hash
    is stored, so the receipt cannot show the link and says how to get a new one."""
    from lapor.web.my_complaints import PROVEN

    code, _ = file_on_web(app.test_client(), email="siti@example.id")
    browser = app.test_client()
    with browser.session_transaction() as session:
        until = int(datetime.now(UTC).timestamp()) + 3600
        session[PROVEN] = {"by": "email", "contact": "siti@example.id", "until": until}
    response = browser.get(f"/lacak/{code}/tanda-terima")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'id="no-private-link"' in page and "kunci=" not in page and "<svg" not in page
    assert f'id="tracking-code">{tracking.display(code)}<' in page
    own = browser.get(f"/lacak/{code}").get_data(as_text=True)
    assert 'id="reporter-view"' in own and "kunci=" not in own


# --- the reporter's own files -----------------------------------------------------------------


def test_the_reporter_sees_thumbnails_and_opens_only_their_own_files(app, settings):
    reporter, other = app.test_client(), app.test_client()
    code, _ = file_on_web(reporter, files=[("foto.jpg", jpeg((1200, 900))), ("surat.pdf", PDF)])
    theirs, _ = file_on_web(other, files=[("milik-orang.jpg", jpeg())], text="Lampu PJU mati")
    photo, pdf = attachment_ids(settings, code)
    (foreign,) = attachment_ids(settings, theirs)
    display = tracking.display(code)

    own = reporter.get(f"/lacak/{code}").get_data(as_text=True)
    assert f'src="/lacak/{display}/lampiran/{photo}?kecil=1"' in own
    assert f'href="/lacak/{display}/lampiran/{pdf}" download' in own

    full = reporter.get(f"/lacak/{code}/lampiran/{photo}")
    assert full.status_code == 200 and full.mimetype == "image/jpeg"
    assert full.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in full.headers["Content-Security-Policy"]
    assert "private" in full.headers["Cache-Control"]
    assert "attachment" not in full.headers.get("Content-Disposition", "")
    small = reporter.get(f"/lacak/{code}/lampiran/{photo}?kecil=1")
    assert small.mimetype == "image/jpeg" and len(small.data) < len(full.data)
    assert max(Image.open(io.BytesIO(small.data)).size) <= 320
    document = reporter.get(f"/lacak/{code}/lampiran/{pdf}")
    assert document.status_code == 200 and document.mimetype == "application/pdf"
    assert document.headers["Content-Disposition"].startswith("attachment")
    assert document.headers["X-Content-Type-Options"] == "nosniff"

    # Another complaint's file id, through one's own complaint: not found (no IDOR).
    assert reporter.get(f"/lacak/{code}/lampiran/{foreign}").status_code == 404
    assert reporter.get(f"/lacak/{code}/lampiran/999999").status_code == 404
    # Another complaint's own path: its reporter's files, not this reporter's.
    refused = reporter.get(f"/lacak/{theirs}/lampiran/{foreign}")
    assert refused.status_code == 403 and not refused.mimetype.startswith("image/")
    assert other.get(f"/lacak/{theirs}/lampiran/{foreign}").status_code == 200


def test_strangers_see_no_files_and_cannot_open_them(app, settings):
    code, _ = file_on_web(app.test_client(), files=[("foto.jpg", jpeg())])
    (photo,) = attachment_ids(settings, code)
    stranger = app.test_client()
    page = stranger.get(f"/lacak/{code}").get_data(as_text=True)
    assert "/lampiran/" not in page and 'id="own-attachments"' not in page
    assert 'id="stage-deadline"' not in page and 'id="copy-code"' not in page
    for path in (f"/lacak/{code}/lampiran/{photo}", f"/lacak/{code}/lampiran/{photo}?kecil=1"):
        response = stranger.get(path)
        assert response.status_code == 403 and response.mimetype == "text/html"
        assert "Lampiran pengaduan hanya dapat dibuka oleh pelapornya" in response.get_data(
            as_text=True
        )


def test_a_png_with_transparency_gets_a_flat_thumbnail(app, settings):
    out = io.BytesIO()
    Image.new("RGBA", (640, 200), (0, 0, 0, 0)).save(out, "PNG")
    reporter = app.test_client()
    code, _ = file_on_web(reporter, files=[("denah.png", out.getvalue())])
    (photo,) = attachment_ids(settings, code)
    small = reporter.get(f"/lacak/{code}/lampiran/{photo}?kecil=1")
    image = Image.open(io.BytesIO(small.data))
    assert image.format == "JPEG" and image.size == (320, 100)
    assert image.getpixel((10, 10)) == (255, 255, 255)  # transparent is white, not black


# --- the stage and the statuses ---------------------------------------------------------------


def stage_sentence(client, code: str) -> str:
    page = client.get(f"/lacak/{code}").get_data(as_text=True)
    return re.search(r'id="stage-deadline">([^<]+)<', page).group(1)


def test_the_next_deadline_is_said_in_words_for_each_stage(app, settings):
    reporter = app.test_client()
    code, _ = file_on_web(reporter)

    def at(column: str) -> str:
        return in_words(settings, getattr(stored(settings, code), column))

    def step(action, actor=STAFF, **change) -> None:
        act_on(settings, code, action, actor=actor, now=datetime.now(UTC), **change)

    verify_by = at("verification_due_at")
    assert stage_sentence(reporter, code) == (
        f"Petugas wajib memverifikasi pengaduan paling lambat {verify_by}."
    )
    step(workflow.Action.VERIFY, agency_code="PUPR")
    assert stage_sentence(reporter, code) == (
        f"OPD wajib menjawab paling lambat {at('response_due_at')}."
    )
    step(workflow.Action.RESPOND, note="Tim kami menambal lubangnya minggu ini.")
    assert stage_sentence(reporter, code) == (
        f"OPD wajib menyelesaikan pengaduan paling lambat {at('resolution_due_at')}."
    )
    step(workflow.Action.REQUEST_INFO, note="Di sisi jalan yang mana?")
    assert stage_sentence(reporter, code).startswith(
        f"Kirim keterangan yang diminta paling lambat {at('auto_close_at')};"
    )
    step(workflow.Action.PROVIDE_INFO, actor=REPORTER, note="Sisi kiri dari arah bundaran.")
    step(workflow.Action.RESOLVE, note="Lubang sudah ditambal seluruhnya.")
    page = reporter.get(f"/lacak/{code}").get_data(as_text=True)
    assert stage_sentence(reporter, code).startswith(
        f"Nilai penanganannya atau buka kembali paling lambat {at('auto_close_at')};"
    )
    # The OPD's answers in full, marked as answers in the timeline.
    assert page.count('<li class="answer">') == 2
    assert "Tim kami menambal lubangnya minggu ini." in page
    assert "Lubang sudah ditambal seluruhnya." in page
    step(workflow.Action.REOPEN, actor=REPORTER, note="Lubangnya muncul lagi")
    english = reporter.get(f"/lacak/{code}?lang=en").get_data(as_text=True)
    answer_by = in_words(settings, stored(settings, code).response_due_at, "en")
    assert f'id="stage-deadline">The agency must answer by {answer_by}.<' in english


def test_every_status_is_explained_on_the_page(app, settings):
    code, _ = file_on_web(app.test_client(), confidential="1")
    page = app.test_client().get(f"/lacak/{code}").get_data(as_text=True)
    assert 'id="status-meaning">Pengaduan sudah masuk dan sedang diverifikasi' in page
    meanings = re.search(r'<details class="meanings".*?</details>', page, re.S).group(0)
    assert "<summary>Arti status</summary>" in meanings
    assert meanings.count("<dt>") == 9 and meanings.count("<dd></dd>") == 0
    assert TEXT not in page  # confidential: the public view still withholds the content


def test_a_long_date_is_the_regions_day_in_the_pages_language(app):
    moment = datetime(2026, 12, 7, 17, 30, tzinfo=UTC)  # already Tuesday in Palangka Raya
    with app.test_request_context("/"):
        assert long_date(moment) == "Selasa, 8 Desember 2026"
        assert long_date(moment.isoformat(), time=True) == "Selasa, 8 Desember 2026, 00.30 WIB"
        assert long_date(None) == "-"
    with app.test_request_context("/?lang=en"):
        assert long_date(moment) == "Tuesday, 8 December 2026"
        assert long_date(moment, time=True) == "Tuesday, 8 December 2026, 00:30 WIB"
