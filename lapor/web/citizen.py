"""The citizens' pages: home, complaint form, receipt and tracking, public complaints."""

from __future__ import annotations

import logging
import math
import secrets
from functools import partial

import segno
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask_babel import gettext
from markupsafe import Markup

from lapor.domain import feedback, tracking
from lapor.domain.deadlines import current_stage
from lapor.domain.errors import DomainError, ValidationFailed
from lapor.domain.files import MAX_FILE_BYTES, MAX_FILES
from lapor.domain.intake import Submission, Upload, validate
from lapor.domain.reporter_key import follow_up_url
from lapor.domain.timefmt import utcnow
from lapor.infra import db
from lapor.infra.region import gazetteer_for
from lapor.services import privacy, receipt, reporter
from lapor.services.filing import file_complaint
from lapor.services.reporter import EitherProof, KeyProof, NotTheReporter
from lapor.services.views import complaint_view, find_complaint, public_complaints
from lapor.web import messages
from lapor.web.converters import decimal_number
from lapor.web.limits import (
    contact_key,
    guard_reporter_keys,
    intake_limit,
    limiter,
    no_contact,
    reporter_limit,
)
from lapor.web.maps import map_config
from lapor.web.my_complaints import proven_contact
from lapor.web.public_filters import filter_choices, public_filters
from lapor.web.templating import allow_scripts, local_time, page_language
from models import Channel, Complaint, ComplaintStatus

log = logging.getLogger(__name__)
bp = Blueprint("web", __name__)
PER_PAGE = 20
FORM_FIELDS = (
    "title",
    "text",
    "regency",
    "district",
    "address",
    "lat",
    "lon",
    "name",
    "email",
    "phone",
)


def _settings():
    return current_app.extensions["lapor.settings"]


@bp.get("/")
def home():
    return render_template("home.html")


@bp.get("/privasi")
def privacy_policy():
    """What is kept of a reporter, who sees it, for how long (the region's retention policy)."""
    years = privacy.retention_in_force(_settings()).identity_years
    return render_template("privacy.html", years=years)


@bp.get("/lapor")
def form():
    return render_template("form.html", values={}, errors={}, **_form_context())


def _form_context() -> dict:
    gazetteer = gazetteer_for(_settings().region)
    return {
        "regencies": gazetteer.all_regencies(),
        "form_token": secrets.token_urlsafe(16),
        "max_files": MAX_FILES,
        "max_mb": MAX_FILE_BYTES // (1024 * 1024),
        # The map and the kecamatan narrowed by kabupaten, for browsers that run scripts.
        "map_config": map_config(),
    }


@bp.post("/lapor")
@limiter.limit(intake_limit)
@limiter.limit(reporter_limit, key_func=contact_key, exempt_when=no_contact)
def submit_form():
    values = {name: request.form.get(name, "") for name in FORM_FIELDS}
    values["anonymous"] = request.form.get("anonymous") == "1"
    values["confidential"] = request.form.get("confidential") == "1"
    errors: dict[str, str] = {}
    lat, lon = _coordinate(values["lat"], "lat", errors), _coordinate(values["lon"], "lon", errors)
    submission = Submission(
        text=values["text"],
        channel=Channel.WEB,
        title=values["title"],
        regency=values["regency"] or None,
        district=values["district"] or None,
        address=values["address"] or None,
        lat=lat,
        lon=lon,
        anonymous=values["anonymous"],
        confidential=values["confidential"],
        name=values["name"] or None,
        email=values["email"] or None,
        phone=values["phone"] or None,
        uploads=_uploads(),
        # One token per rendered form: a double click or a reposted page files once.
        idempotency_key=(request.form.get("form_token") or "")[:64] or None,
        language=page_language(),  # the reporter's emails are written in the page's language
    )
    try:
        if errors:
            # Show every field's problem at once, not only the coordinates'.
            validate(submission, gazetteer_for(_settings().region))
        else:
            result = file_complaint(_settings(), submission, now=utcnow())
    except ValidationFailed as failed:
        errors.update(messages.field_messages(failed.fields, page_language()))
    except DomainError as error:
        errors["form"] = messages.domain_error_message(error, page_language())
    if errors:
        context = {**_form_context(), "form_token": request.form.get("form_token") or ""}
        return render_template("form.html", values=values, errors=errors, **context), 422
    code = result.complaint.tracking_code
    if result.reporter_key:
        _remember_key(code, result.reporter_key)
    return redirect(url_for("web.track", code=code, baru=1), code=303)


def _coordinate(raw: str, name: str, errors: dict[str, str]) -> float | None:
    if not raw.strip():
        return None
    value = decimal_number(raw)
    if value is None:
        errors[name] = gettext("Harus berupa angka, misalnya -2.2100.")
    return value


def _uploads() -> list[Upload]:
    """The attached files, each read at most one byte past the limit (enough to refuse it)."""
    uploads = []
    for storage in request.files.getlist("attachments"):
        if not storage or not storage.filename:
            continue
        uploads.append(Upload(storage.filename, storage.stream.read(MAX_FILE_BYTES + 1)))
    return uploads


@bp.get("/lacak")
def track_lookup():
    raw = request.args.get("kode")
    if raw is None:
        return render_template("lookup.html", error=None)
    code = tracking.normalize(raw)
    if code is None:
        error = gettext("Kode pelacakan terdiri dari 10 huruf/angka, misalnya ABCDE-FGHJK.")
        return render_template("lookup.html", error=error, raw=raw), 400
    return redirect(url_for("web.track", code=code))


def _complaint_or_404(code: str) -> Complaint:
    complaint = find_complaint(db.get_session(), code)
    if complaint is None:
        abort(404)
    return complaint


# The reporter keys this browser has shown, by tracking code: the session is the reporter's
# proof from one page to the next. Flask's session cookie is signed and HttpOnly, and ends
# with the browser session; a few recent complaints are enough.
REMEMBERED_KEYS = "reporter_keys"
REMEMBER_AT_MOST = 10


def _remembered_key(code: str) -> str | None:
    return (session.get(REMEMBERED_KEYS) or {}).get(code)


def _remember_key(code: str, credential: str) -> None:
    keys = {k: v for k, v in (session.get(REMEMBERED_KEYS) or {}).items() if k != code}
    keys[code] = credential
    session[REMEMBERED_KEYS] = dict(list(keys.items())[-REMEMBER_AT_MOST:])


def _forget_key(code: str) -> None:
    keys = dict(session.get(REMEMBERED_KEYS) or {})
    if keys.pop(code, None) is not None:
        session[REMEMBERED_KEYS] = keys


def _is_reporter(complaint: Complaint) -> bool:
    """Whether this browser holds the complaint's current key (a retired one is forgotten), or
    proved the contact it was filed with ("my complaints")."""
    credential = _remembered_key(complaint.tracking_code)
    if credential is not None:
        if KeyProof(credential).admits(_settings(), db.get_session(), complaint):
            return True
        _forget_key(complaint.tracking_code)
    contact = proven_contact()
    return contact is not None and contact.admits(_settings(), db.get_session(), complaint)


def _no_key_in_query() -> bool:
    return "kunci" not in request.args


@bp.get("/lacak/<code>")
@guard_reporter_keys(exempt_when=_no_key_in_query)
def track(code: str):
    complaint = _complaint_or_404(code)
    if "kunci" in request.args:
        return _open_private_link(complaint, request.args["kunci"])
    return _track_page(complaint, new=request.args.get("baru") == "1")


def _open_private_link(complaint: Complaint, credential: str):
    """A private link: remember its key, then show the page without it in the address bar."""
    code = complaint.tracking_code
    if not KeyProof(credential).admits(_settings(), db.get_session(), complaint):
        log.warning("private link refused for complaint %s from %s", code, request.remote_addr)
        return _track_page(complaint, refusal="invalid_link", status=403)
    _remember_key(code, credential)
    return redirect(url_for("web.track", code=code), code=303)


def _track_page(
    complaint: Complaint,
    *,
    new: bool = False,
    errors: dict | None = None,
    refusal: str | None = None,
    status: int = 200,
):
    """The complaint's page: its reporter's own view (with their forms) or the public view;
    `refusal` names why a private link or a reporter's action was refused."""
    reporter = _is_reporter(complaint)
    view = complaint_view(db.get_session(), complaint, _settings().tz, reporter=reporter)
    credential = _remembered_key(complaint.tracking_code) if reporter else None
    now = utcnow()
    return render_template(
        "track.html",
        **(_own_view(complaint) if reporter else {}),
        complaint=view,
        code=complaint.tracking_code,
        display=tracking.display(complaint.tracking_code),
        new=new,
        reporter=reporter,
        private_link=credential
        and follow_up_url(_settings().public_url, complaint.tracking_code, credential),
        next_deadline=view["next_deadline"] and local_time(view["next_deadline"]),
        can_rate=reporter and complaint.status == ComplaintStatus.RESOLVED,
        can_reopen=reporter and feedback.can_reopen(complaint, now),
        needs_info=reporter and complaint.status == ComplaintStatus.NEEDS_INFO,
        errors=errors or {},
        refusal=refusal,
    ), status


def _own_view(complaint: Complaint) -> dict:
    """What only the reporter's own page shows: the stage's deadline, their files, the
    "Salin kode" button (the page's one script)."""
    allow_scripts()
    return {
        "stage": current_stage(complaint),
        "attachments": receipt.own_attachments(db.get_session(), complaint),
        "photos": receipt.PHOTOS,
    }


@bp.get("/lacak/<code>/tanda-terima")
def receipt_page(code: str):
    """The receipt to print or save as a PDF: it carries the private link (as text and as a
    QR code), so it is the reporter's alone; anyone else gets the public view and why."""
    complaint = _complaint_or_404(code)
    if not _is_reporter(complaint):
        return _track_page(complaint, refusal="receipt", status=403)
    settings, session = _settings(), db.get_session()
    code = complaint.tracking_code
    # A reporter who came through "my complaints" proved their contact, not the key: no
    # private link to show then (only its hash is stored), the receipt says how to get one.
    credential = _remembered_key(code)
    link = credential and follow_up_url(settings.public_url, code, credential)
    allow_scripts()
    page = render_template(
        "receipt.html",
        complaint=complaint_view(session, complaint, settings.tz, reporter=True),
        code=code,
        display=tracking.display(code),
        received_at=complaint.received_at,
        private_link=link,
        qr=link and _qr_svg(link),
        public_link=f"{settings.public_url.rstrip('/')}/lacak/{tracking.display(code)}",
        steps=receipt.next_steps(settings, session, complaint),
        stage=current_stage(complaint),
        email_enabled=settings.email_enabled,
    )
    # It holds the private link: kept by no cache, shared or the browser's own.
    return page, 200, {"Cache-Control": "private, no-store"}


def _qr_svg(url: str) -> Markup:
    """The link as an inline SVG QR code: paths only, no style attribute (the page's policy
    allows none), sized by the stylesheet."""
    qr = segno.make(url, error="m", micro=False)
    return Markup(qr.svg_inline(scale=4, omitsize=True, svgclass="qr", lineclass="qr-modules"))


@bp.get("/lacak/<code>/lampiran/<int:attachment_id>")
@limiter.limit("120/minute")  # a page shows five at most; thumbnails cost a decode each
def own_attachment(code: str, attachment_id: int):
    """A file the reporter sent, for the reporter only: a photo inline (a small JPEG with
    ?kecil=1), a PDF as a download; another complaint's file id is not found here."""
    complaint = _complaint_or_404(code)
    if not _is_reporter(complaint):
        return _track_page(complaint, refusal="attachment", status=403)
    found = receipt.attachment_file(_settings(), db.get_session(), complaint, attachment_id)
    if found is None:
        abort(404)
    row, path = found
    photo = row.content_type in receipt.PHOTOS
    small = receipt.thumbnail(path) if photo and request.args.get("kecil") == "1" else None
    if small is not None:
        response = current_app.response_class(small, mimetype="image/jpeg")
    else:
        response = send_file(
            path, mimetype=row.content_type, as_attachment=not photo, download_name=row.filename
        )
    # Never rendered as a page (a photo was re-encoded at intake; nosniff is on every answer).
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@bp.post("/lacak/<code>/nilai")
@limiter.limit("10/minute")
@guard_reporter_keys()
def rate(code: str):
    def rate_it(settings, proof, now):
        form = request.form
        reporter.rate(settings, code, proof, form.get("rating"), form.get("comment"), now=now)

    return _reporter_action(code, rate_it, gettext("Terima kasih atas penilaian Anda."))


@bp.post("/lacak/<code>/buka-kembali")
@limiter.limit("10/minute")
@guard_reporter_keys()
def reopen(code: str):
    def reopen_it(settings, proof, now):
        reporter.reopen(settings, code, proof, request.form.get("reason"), now=now)

    done = gettext("Pengaduan dibuka kembali dan dikembalikan ke OPD.")
    return _reporter_action(code, reopen_it, done)


@bp.post("/lacak/<code>/keterangan")
@limiter.limit("10/minute")
@guard_reporter_keys()
def provide_info(code: str):
    def answer(settings, proof, now):
        reporter.provide_info(settings, code, proof, request.form.get("info"), now=now)

    done = gettext("Terima kasih, keterangan Anda diteruskan ke OPD.")
    return _reporter_action(code, answer, done)


def _reporter_action(code: str, act, done: str):
    """Run one of the reporter's commands with this browser's key or proven contact; back to
    the page."""
    complaint = _complaint_or_404(code)
    code = complaint.tracking_code
    proof = KeyProof(_remembered_key(code))
    contact = proven_contact()
    if contact is not None:
        proof = EitherProof((proof, contact))
    try:
        act(_settings(), proof, utcnow())
    except NotTheReporter:
        log.warning("reporter action refused for complaint %s from %s", code, request.remote_addr)
        return _track_page(complaint, refusal="not_the_reporter", status=403)
    except ValidationFailed as failed:
        errors = messages.field_messages(failed.fields, page_language())
        return _track_page(_fresh(complaint), errors=errors, status=422)
    except DomainError as error:
        message = messages.domain_error_message(error, page_language())
        return _track_page(_fresh(complaint), errors={"form": message}, status=422)
    flash(done)
    return redirect(url_for("web.track", code=code), code=303)


def _fresh(complaint: Complaint) -> Complaint:
    db.get_session().refresh(complaint)
    return complaint


@bp.route("/lacak/kunci", methods=["GET", "POST"])
@limiter.limit("5/minute;20/hour", methods=["POST"])
def new_link():
    """Ask for a new private link by email: the code and the email on file."""
    page = partial(render_template, "new_link.html", email_enabled=_settings().email_enabled)
    if request.method == "GET":
        return page(values={}, errors={}, sent=False)
    values = {"kode": request.form.get("kode", ""), "email": request.form.get("email", "")}
    code = tracking.normalize(values["kode"])
    # Which fields are wrong; the page words each problem in the visitor's language.
    errors = {"kode": code is None, "email": "@" not in values["email"]}
    if any(errors.values()):
        return page(values=values, errors=errors, sent=False), 422
    sent = reporter.send_new_link(_settings(), code, values["email"], now=utcnow())
    # The log may say what happened; the page must not.
    log.info("new private link for %s: %s", code, "sent" if sent else "no match")
    return page(values={}, errors={}, sent=True)


@bp.get("/pengaduan")
def public_list():
    filters = public_filters()
    page = request.args.get("page", "1")
    page = int(page) if page.isdigit() and 0 < int(page) < 100_000 else 1
    result = public_complaints(
        db.get_session(),
        regency=filters["regency"],
        agency=filters["agency"],
        status=filters["status"] or None,
        page=page,
        per_page=PER_PAGE,
    )
    return render_template(
        "list.html",
        items=result.items,
        filters=filters,
        page=page,
        pages=max(1, math.ceil(result.total / PER_PAGE)),
        total=result.total,
        **filter_choices(),
    )


@bp.get("/favicon.ico")
def favicon():
    """Browsers and feed readers ask for /favicon.ico whatever the page says: the SVG icon."""
    return redirect(url_for("static", filename="favicon.svg"), code=301)
