"""The staff console (/petugas): the officer's and verifier's queues, a complaint with its
actions, and the supervisor's dashboard, each limited to what the role may see."""

from __future__ import annotations

import csv
import io
from datetime import datetime, time, timedelta

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user
from sqlmodel import select

from lapor.domain import tracking, workflow
from lapor.domain.deadlines import next_deadline
from lapor.domain.errors import DomainError
from lapor.domain.timefmt import utcnow
from lapor.domain.workflow import Action, RejectReason
from lapor.infra import db
from lapor.infra.storage import AttachmentStore
from lapor.services import casework as staff
from lapor.services import compliance, inbox, views
from lapor.web.auth import roles_required
from models import Agency, AgencyKind, Attachment, Role

bp = Blueprint("console", __name__, url_prefix="/petugas")
ALL_STAFF = (Role.OFFICER, Role.VERIFIER, Role.SUPERVISOR, Role.ADMIN)
BADGES = {
    "on_time": "Tepat waktu",
    "due_soon": "Segera jatuh tempo",
    "overdue": "Terlambat",
    "none": "-",
}


def me() -> staff.Staff:
    return staff.Staff(id=current_user.id, role=current_user.role, agency_id=current_user.agency_id)


@bp.get("/")
@roles_required(*ALL_STAFF)
def queue():
    session = db.get_session()
    now = utcnow()
    triage = me().role == Role.VERIFIER or request.args.get("triase") == "1"
    rows = staff.queue(
        session,
        me(),
        now=now,
        triage=triage,
        overdue=request.args.get("terlambat") == "1",
        agency_code=request.args.get("opd") or None,
    )
    if request.args.get("format") == "csv":
        return _csv(
            "antrean.csv",
            ["kode", "status", "opd", "judul", "tenggat", "sla", "eskalasi"],
            [
                [
                    tracking.display(c.tracking_code),
                    c.status.value,
                    a.code if a else "",
                    c.title,
                    (d := next_deadline(c)) and d.isoformat(),
                    staff.sla_badge(c, now),
                    c.escalation_level,
                ]
                for c, a in rows
            ],
        )
    agency = session.get(Agency, me().agency_id) if me().agency_id else None
    return render_template(
        "console_queue.html",
        rows=[(c, a, staff.sla_badge(c, now)) for c, a in rows],
        badges=BADGES,
        triage=triage,
        agency=agency,
    )


@bp.get("/pengaduan/<code>")
@roles_required(*ALL_STAFF)
def complaint(code: str):
    session = db.get_session()
    try:
        found = staff.complaint_for(session, me(), code)
    except staff.NotFound:
        abort(404)
    return _complaint_page(found, errors={})


def _complaint_page(found, errors: dict, status: int = 200):
    session = db.get_session()
    view = views.staff_view(session, found, staff.sla_badge(found, utcnow()))
    agencies = session.exec(
        select(Agency)
        .where(Agency.active.is_(True), Agency.kind != AgencyKind.EXTERNAL)
        .order_by(Agency.name)
    ).all()
    externals = session.exec(
        select(Agency).where(Agency.kind == AgencyKind.EXTERNAL).order_by(Agency.name)
    ).all()
    suggestions = _suggestions(found) if found.status.value == "received" else []
    files = session.exec(
        select(Attachment).where(Attachment.complaint_id == found.id).order_by(Attachment.id)
    ).all()
    return (
        render_template(
            "console_complaint.html",
            c=view,
            code=found.tracking_code,
            actions=staff.allowed_actions(me(), found),
            action_labels=workflow.ACTION_LABELS,
            agencies=agencies,
            externals=externals,
            reasons=list(RejectReason),
            suggestions=suggestions,
            files=files,
            errors=errors,
            Action=Action,
        ),
        status,
    )


def _suggestions(found) -> list[tuple[str, str, float]]:
    """The classifier's top agencies for an unplaced complaint: (code, name, probability)."""
    from lapor.routing import service

    router = service.current_router(current_app.extensions["lapor.settings"])
    if router is None:
        return []
    return router.suggest(found.text, found.regency, limit=3)


@bp.get("/pengaduan/<code>/lampiran/<int:attachment_id>")
@roles_required(*ALL_STAFF)
def attachment(code: str, attachment_id: int):
    """A file of a complaint this staff member may see, always as a download: a polyglot file
    (a valid JPEG that is also HTML) is never rendered as a page."""
    session = db.get_session()
    try:
        found = staff.complaint_for(session, me(), code)
    except staff.NotFound:
        abort(404)
    row = session.get(Attachment, attachment_id)
    if row is None or row.complaint_id != found.id:
        abort(404)
    store = AttachmentStore(current_app.extensions["lapor.settings"].attachments_dir)
    try:
        path = store.open(row.path)
    except ValueError:
        abort(404)
    if not path.is_file():
        abort(404)
    return send_file(
        path, mimetype=row.content_type, as_attachment=True, download_name=row.filename
    )


@bp.post("/pengaduan/<code>/tindakan")
@roles_required(*ALL_STAFF)
def take_action(code: str):
    form = request.form
    action = staff.StaffAction(
        form.get("action", ""),
        note=form.get("note") or None,
        agency_code=form.get("agency") or None,
        reason=form.get("reason") or None,
        duplicate_code=form.get("duplicate_of") or None,
        forwarded_to=form.get("forwarded_to") or None,
    )
    settings = current_app.extensions["lapor.settings"]
    try:
        found = staff.take_action(settings, me(), code, action, now=utcnow())
    except staff.NotFound:
        abort(404)
    except DomainError as error:
        found = staff.complaint_for(db.get_session(), me(), code)
        return _complaint_page(found, errors={"form": error.message}, status=422)
    flash("Tindakan tersimpan.")
    if me().role == Role.OFFICER and found.agency_id != me().agency_id:
        return redirect(url_for("console.queue"), code=303)  # handed on: no longer ours
    return redirect(url_for("console.complaint", code=found.tracking_code), code=303)


@bp.get("/dasbor")
@roles_required(Role.SUPERVISOR, Role.ADMIN)
def dashboard():
    session = db.get_session()
    now = utcnow()
    tz = current_app.extensions["lapor.settings"].tz
    start, end, problems = _period(request.args.get("dari"), request.args.get("sampai"), now, tz)
    agencies = session.exec(
        select(Agency)
        .where(Agency.active, Agency.kind != AgencyKind.EXTERNAL)
        .order_by(Agency.short_name)
    ).all()
    agency_code = (request.args.get("opd") or "").strip().upper() or None
    if agency_code and agency_code not in {a.code for a in agencies}:
        # A filter that matches nothing must say so, not show an empty dashboard.
        problems.append(f"OPD dengan kode '{agency_code[:40]}' tidak dikenal.")
        agency_code = None
    stats = compliance.agency_stats(session, start, end, now, agency_code)
    settings = current_app.extensions["lapor.settings"]
    weeks = compliance.weekly_trend(session, start, end, now, settings.timezone, agency_code)
    escalated = compliance.escalation_queue(session)
    if request.args.get("format") == "csv" and request.args.get("daftar") == "eskalasi":
        return _csv(
            "eskalasi.csv",
            ["kode", "tingkat", "opd", "status", "tenggat"],
            [
                [
                    tracking.display(c.tracking_code),
                    c.escalation_level,
                    a.code if a else "",
                    c.status.value,
                    (d := next_deadline(c)) and d.isoformat(),
                ]
                for c, a in escalated
            ],
        )
    if request.args.get("format") == "csv":
        return _csv(
            "kepatuhan.csv",
            [
                "opd",
                "nama",
                "jumlah",
                "tepat_waktu",
                "median_jam_tanggapan",
                "median_hari_selesai",
                "dibuka_kembali",
                "nilai",
                "skor",
                "zona",
            ],
            [
                [
                    s.code,
                    s.name,
                    s.volume,
                    _pct(s.on_time_answer_rate),
                    s.median_answer_hours,
                    s.median_resolution_days,
                    _pct(s.reopen_rate),
                    s.rating,
                    s.score,
                    s.zone,
                ]
                for s in stats
            ],
        )
    levels: dict[int, int] = {}
    for c, _ in escalated:
        levels[c.escalation_level] = levels.get(c.escalation_level, 0) + 1
    return render_template(
        "console_dashboard.html",
        stats=stats,
        escalated=escalated,
        levels=sorted(levels.items()),
        formula=compliance.FORMULA,
        start=start.astimezone(tz).date(),
        end=(end - timedelta(seconds=1)).astimezone(tz).date(),
        agency_code=agency_code or "",
        agencies=agencies,
        problems=problems,
        pct=_pct,
        chart=_chart(stats),
        trend=_trend(weeks),
    ), (400 if problems else 200)


def _period(raw_start: str | None, raw_end: str | None, now: datetime, tz):
    """The dashboard's period in local days (default: the last 90), as UTC bounds."""
    problems = []
    today = now.astimezone(tz).date()

    def day(raw, default):
        if not raw:
            return default
        try:
            return datetime.strptime(raw, "%Y-%m-%d").date()
        except ValueError:
            problems.append(f"Tanggal tidak valid: {raw} (format TTTT-BB-HH).")
            return default

    first = day(raw_start, today - timedelta(days=89))
    last = day(raw_end, today)
    if first > last:
        problems.append("Tanggal awal sesudah tanggal akhir.")
        first, last = last, first
    start = datetime.combine(first, time(0), tzinfo=tz)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=tz)
    return start, end, problems


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{round(value * 100)}%"


def _chart(stats) -> list[dict]:
    """Bars for the on-time rate per OPD (inline SVG in the page, no script needed)."""
    rows = [s for s in stats if s.on_time_answer_rate is not None][:15]
    return [
        {"code": s.code, "rate": s.on_time_answer_rate, "volume": s.volume, "zone": s.zone}
        for s in rows
    ]


def _trend(weeks) -> dict:
    """Coordinates for the weekly chart: volume bars and an on-time line, in a 600×200 box."""
    if not weeks:
        return {"bars": [], "line": "", "max": 0}
    top = max(w.volume for w in weeks) or 1
    step = 600 / len(weeks)
    bars, points = [], []
    for i, week in enumerate(weeks):
        height = 160 * week.volume / top
        bars.append(
            {
                "x": round(i * step + 2, 1),
                "y": round(180 - height, 1),
                "w": round(step - 4, 1),
                "h": round(height, 1),
                "week": week.start,
                "volume": week.volume,
                "rate": _pct(week.on_time_rate),
            }
        )
        if week.on_time_rate is not None:
            points.append(
                f"{round(i * step + step / 2, 1)},{round(180 - 160 * week.on_time_rate, 1)}"
            )
    return {"bars": bars, "line": " ".join(points), "max": top}


# What a spreadsheet reads as the start of a formula (a tab or carriage return first hides one).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def defused(value: object) -> object:
    """A cell that a spreadsheet would run as a formula, quoted so that it is only text."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _csv(filename: str, header: list[str], rows: list[list]) -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows([defused(v) for v in row] for row in rows)
    return Response(
        buffer.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename={filename}"},
    )


# --- the inbox --------------------------------------------------------------------------------


@bp.app_context_processor
def _unread_notices() -> dict:
    """The count in the header of every page a staff member sees."""
    if not current_user.is_authenticated:
        return {}
    settings = current_app.extensions["lapor.settings"]
    return {"unread_notices": inbox.unread_count(db.get_session(), settings, me())}


@bp.get("/pemberitahuan")
@roles_required(*ALL_STAFF)
def notices():
    settings = current_app.extensions["lapor.settings"]
    unread_only = request.args.get("belum") == "1"
    found = inbox.notices(db.get_session(), settings, me(), unread_only=unread_only)
    return render_template("console_inbox.html", notices=found, unread_only=unread_only)


@bp.get("/pemberitahuan/<int:notice_id>")
@roles_required(*ALL_STAFF)
def open_notice(notice_id: int):
    """A notice opened: read, and on to its complaint."""
    settings = current_app.extensions["lapor.settings"]
    found = inbox.find(db.get_session(), settings, me(), notice_id)
    if found is None:
        abort(404)
    inbox.mark_read(settings, me(), now=utcnow(), ids=[notice_id])
    return redirect(url_for("console.complaint", code=found.tracking_code), code=303)


@bp.post("/pemberitahuan/baca")
@roles_required(*ALL_STAFF)
def read_notices():
    settings = current_app.extensions["lapor.settings"]
    ids = [int(i) for i in request.form.getlist("id") if i.isdigit()]
    everything = request.form.get("semua") == "1"
    marked = inbox.mark_read(settings, me(), now=utcnow(), ids=ids, everything=everything)
    flash(f"{marked} pemberitahuan ditandai sudah dibaca.")
    return redirect(url_for("console.notices"), code=303)
