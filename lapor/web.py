"""The citizens' pages: home, complaint form, receipt and tracking, public complaints."""

from __future__ import annotations

import math
import secrets

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlmodel import select

from lapor import db
from lapor.casework import effects
from lapor.domain import feedback, tracking
from lapor.domain.errors import DomainError, ValidationFailed
from lapor.domain.files import MAX_FILE_BYTES, MAX_FILES
from lapor.domain.intake import Submission, Upload, validate
from lapor.filing import file_complaint
from lapor.limits import intake_limit, limiter, no_reporter, reporter_key, reporter_limit
from lapor.public import complaint_view, find_complaint, public_complaints
from lapor.region import gazetteer_for
from lapor.templating import local_time
from lapor.timefmt import utcnow
from models import Agency, AgencyKind, Channel, Complaint, ComplaintStatus

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
    }


@bp.post("/lapor")
@limiter.limit(intake_limit)
@limiter.limit(reporter_limit, key_func=reporter_key, exempt_when=no_reporter)
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
    )
    try:
        if errors:
            # Show every field's problem at once, not only the coordinates'.
            validate(submission, gazetteer_for(_settings().region))
        else:
            result = file_complaint(_settings(), submission, now=utcnow())
    except ValidationFailed as failed:
        errors.update({name: problem.message for name, problem in failed.fields.items()})
    except DomainError as error:
        errors["form"] = error.message
    if errors:
        context = {**_form_context(), "form_token": request.form.get("form_token") or ""}
        return render_template("form.html", values=values, errors=errors, **context), 422
    code = result.complaint.tracking_code
    return redirect(url_for("web.track", code=code, baru=1), code=303)


def _coordinate(raw: str, name: str, errors: dict[str, str]) -> float | None:
    raw = raw.strip().replace(",", ".")
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        errors[name] = "Harus berupa angka, misalnya -2.2100."
        return None
    if not math.isfinite(value):
        errors[name] = "Harus berupa angka, misalnya -2.2100."
        return None
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
        error = "Kode pelacakan terdiri dari 10 huruf/angka, misalnya ABCDE-FGHJK."
        return render_template("lookup.html", error=error, raw=raw), 400
    return redirect(url_for("web.track", code=code))


def _complaint_or_404(code: str) -> Complaint:
    complaint = find_complaint(db.get_session(), code)
    if complaint is None:
        abort(404)
    return complaint


@bp.get("/lacak/<code>")
def track(code: str):
    complaint = _complaint_or_404(code)
    view = complaint_view(db.get_session(), complaint, _settings().tz)
    return render_template(
        "track.html",
        complaint=view,
        code=complaint.tracking_code,
        display=tracking.display(complaint.tracking_code),
        new=request.args.get("baru") == "1",
        next_deadline=view["next_deadline"] and local_time(view["next_deadline"]),
        can_rate=complaint.status == ComplaintStatus.RESOLVED,
        can_reopen=feedback.can_reopen(complaint, utcnow()),
        needs_info=complaint.status == ComplaintStatus.NEEDS_INFO,
        errors={},
    )


@bp.post("/lacak/<code>/nilai")
@limiter.limit("10/minute")
def rate(code: str):
    def rate_it(session, complaint):
        form = request.form
        feedback.rate(
            session,
            complaint,
            form.get("rating"),
            form.get("comment"),
            now=utcnow(),
            **effects(_settings()),
        )

    return _reporter_action(code, rate_it, "Terima kasih atas penilaian Anda.")


@bp.post("/lacak/<code>/buka-kembali")
@limiter.limit("10/minute")
def reopen(code: str):
    def reopen_it(session, complaint):
        feedback.reopen(
            session, complaint, request.form.get("reason"), now=utcnow(), **effects(_settings())
        )

    return _reporter_action(code, reopen_it, "Pengaduan dibuka kembali dan dikembalikan ke OPD.")


@bp.post("/lacak/<code>/keterangan")
@limiter.limit("10/minute")
def provide_info(code: str):
    def answer(session, complaint):
        feedback.provide_info(
            session, complaint, request.form.get("info"), now=utcnow(), **effects(_settings())
        )

    return _reporter_action(code, answer, "Terima kasih, keterangan Anda diteruskan ke OPD.")


def _reporter_action(code: str, act, done: str):
    """Run a reporter's action on the complaint, commit, and go back to its page."""
    complaint = _complaint_or_404(code)
    session = db.get_session()
    try:
        act(session, complaint)
        db.commit_request_session(session)
    except ValidationFailed as failed:
        session.rollback()
        return _track_with_errors(complaint, {k: p.message for k, p in failed.fields.items()})
    except DomainError as error:
        session.rollback()
        return _track_with_errors(complaint, {"form": error.message})
    flash(done)
    return redirect(url_for("web.track", code=complaint.tracking_code), code=303)


def _track_with_errors(complaint: Complaint, errors: dict[str, str]):
    session = db.get_session()
    session.refresh(complaint)
    view = complaint_view(session, complaint, _settings().tz)
    return render_template(
        "track.html",
        complaint=view,
        code=complaint.tracking_code,
        display=tracking.display(complaint.tracking_code),
        new=False,
        can_rate=complaint.status == ComplaintStatus.RESOLVED,
        can_reopen=feedback.can_reopen(complaint, utcnow()),
        needs_info=complaint.status == ComplaintStatus.NEEDS_INFO,
        errors=errors,
    ), 422


@bp.get("/pengaduan")
def public_list():
    session = db.get_session()
    filters = {k: (request.args.get(k) or "").strip() for k in ("regency", "agency", "status")}
    status = filters["status"] if filters["status"] in {s.value for s in ComplaintStatus} else None
    page = request.args.get("page", "1")
    page = int(page) if page.isdigit() and 0 < int(page) < 100_000 else 1
    result = public_complaints(
        session,
        regency=filters["regency"],
        agency=filters["agency"],
        status=status,
        page=page,
        per_page=PER_PAGE,
    )
    agencies = session.exec(
        select(Agency).where(Agency.active, Agency.kind != AgencyKind.EXTERNAL)
    ).all()
    return render_template(
        "list.html",
        items=result.items,
        filters=filters,
        page=page,
        pages=max(1, math.ceil(result.total / PER_PAGE)),
        total=result.total,
        regencies=gazetteer_for(_settings().region).all_regencies(),
        agencies=agencies,
        statuses=list(ComplaintStatus),
    )
