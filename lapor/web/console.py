"""The staff console (/petugas): the officer's and verifier's queues, a complaint with its
actions, and the supervisor's dashboard, each limited to what the role may see."""

from __future__ import annotations

import csv
import dataclasses
import io
from datetime import datetime, time, timedelta
from urllib.parse import urlencode

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
from flask_babel import format_decimal, gettext, ngettext
from flask_login import current_user
from sqlmodel import select

from lapor.domain import service_attributes, tracking
from lapor.domain.deadlines import next_deadline
from lapor.domain.errors import DomainError
from lapor.domain.notices import reworded
from lapor.domain.timefmt import utcnow
from lapor.domain.workflow import Action, RejectReason
from lapor.infra import db, directory
from lapor.infra.region import gazetteer_for, open311_definitions_for
from lapor.infra.storage import AttachmentStore
from lapor.services import canned, changes, compliance, inbox, routing_monitor, views, worklist
from lapor.services import casework as staff
from lapor.web import listing, messages
from lapor.web.auth import local_path, roles_required
from lapor.web.charts import Box, bars_and_line
from lapor.web.templating import page_language
from models import Agency, AgencyKind, Attachment, Channel, ComplaintStatus, Role

bp = Blueprint("console", __name__, url_prefix="/petugas")
ALL_STAFF = (Role.OFFICER, Role.VERIFIER, Role.SUPERVISOR, Role.ADMIN)


def me() -> staff.Staff:
    return staff.Staff(id=current_user.id, role=current_user.role, agency_id=current_user.agency_id)


CSV_ROWS = 10_000


@bp.get("/")
@roles_required(*ALL_STAFF)
def queue():
    """Every list of the console: the queue, triage, search results, filtered views."""
    settings = current_app.extensions["lapor.settings"]
    session = db.get_session()
    now = utcnow()
    args = request.args
    if me().role == Role.VERIFIER and not any(args.get(k) for k in ("q", "status", "triage")):
        args = {**args, "triage": "1"}  # a verifier's day starts at triage
    filters, problems = listing.parse(args, settings.tz)
    as_csv = request.args.get("format") == "csv"
    if as_csv:
        filters = dataclasses.replace(filters, page=1, per_page=CSV_ROWS)
    results = worklist.find(session, me(), filters, now=now)
    if as_csv:
        return _queue_csv(results, now)
    if results.code_match is not None:
        return redirect(url_for("console.complaint", code=results.code_match.tracking_code))
    unplaced = [c for c, _ in results.rows if c.agency_id is None] if filters.triage else []
    return render_template(
        "console_queue.html",
        results=results,
        rows=[(c, a, staff.sla_badge(c, now)) for c, a in results.rows],
        suggestions=_suggestions(settings, unplaced),
        filters=results.filters,
        args=request.args,
        problems=problems,
        agencies=_region_agencies(session),
        regencies=gazetteer_for(settings.region).all_regencies(),
        statuses=list(ComplaintStatus),
        channels=list(Channel),
        sorts=worklist.SORTS,
        reasons=list(RejectReason),
        agency=session.get(Agency, me().agency_id) if me().agency_id else None,
        bulk_actions=_bulk_actions(),
        page_url=_page_url,
        csv_url=_this_list("console.queue", format="csv"),
    ), (400 if problems else 200)


def _page_url(page: int) -> str:
    """This list's address on another page, every filter kept."""
    return _this_list("console.queue", drop=("lang",), page=page)


def _this_list(endpoint: str, *, drop: tuple[str, ...] = (), **changes) -> str:
    """This request's query string (every value of a repeated name) on `endpoint`, with
    `changes` made. Not url_for(**request.args): a name that url_for takes for itself
    (endpoint, _scheme, …) or one of `changes` in the query string would make it fail."""
    kept = [(k, v) for k, v in request.args.items(multi=True) if k not in (*drop, *changes)]
    return f"{url_for(endpoint)}?{urlencode([*kept, *changes.items()])}"


def _queue_csv(results: worklist.Results, now: datetime) -> Response:
    return _csv(
        "antrean.csv",
        ["kode", "status", "opd", "judul", "diterima", "tenggat", "sla", "eskalasi"],
        [
            [
                tracking.display(c.tracking_code),
                c.status.value,
                a.code if a else "",
                c.title,
                c.received_at.isoformat(),
                (d := next_deadline(c)) and d.isoformat(),
                staff.sla_badge(c, now),
                c.escalation_level,
            ]
            for c, a in results.rows
        ],
    )


def _region_agencies(session) -> list[Agency]:
    """The region's own OPDs that can take complaints, by name (for the choices)."""
    return sorted(compliance.own_agencies(session), key=lambda agency: agency.name)


def _externals(session) -> list[Agency]:
    return list(
        session.exec(
            select(Agency).where(Agency.kind == AgencyKind.EXTERNAL).order_by(Agency.name)
        ).all()
    )


def _suggestions(settings, complaints) -> dict[int, list[dict]]:
    """The classifier's top OPDs for each of these complaints, named as the registry names
    them (the label is the training data's, not the region's)."""
    from lapor.routing import service

    router = service.current_router(settings) if complaints else None
    if router is None:
        return {}
    registry = directory.agencies.get(settings)
    return {
        complaint.id: [
            {"code": code, "agency": registry[code], "label": label, "p": p}
            for code, label, p in router.suggest(complaint.text, complaint.regency, limit=3)
            if code and code in registry
        ]
        for complaint in complaints
    }


def _bulk_actions() -> list[Action]:
    """The bulk actions this role may take (each complaint still checked on its own)."""
    offered = (Action.VERIFY, Action.TRANSFER, Action.REJECT)
    return [a for a in offered if a in staff.ROLE_ACTIONS.get(me().role, frozenset())]


@bp.post("/massal")
@roles_required(*ALL_STAFF)
def bulk():
    """One action on the complaints ticked in a list, each in its own transaction."""
    form = request.form
    settings = current_app.extensions["lapor.settings"]
    back = _safe_next(form.get("next")) or url_for("console.queue")
    try:
        outcomes = staff.take_bulk_action(
            settings, me(), form.getlist("codes"), _form_action(form), now=utcnow()
        )
    except DomainError as error:
        flash(messages.domain_error_message(error, page_language()), "error")
        return redirect(back, code=303)
    done = [o for o in outcomes if o.error is None]
    flash(gettext("%(count)s pengaduan berhasil diproses.", count=len(done)))
    for failed in (o for o in outcomes if o.error is not None):
        why = messages.domain_error_message(failed.error, page_language())
        flash(f"{tracking.display_typed(failed.code)}: {why}", "error")
    return redirect(back, code=303)


def _safe_next(raw: str | None) -> str | None:
    """A return address inside the console only (never another site)."""
    path = local_path(raw)
    if path and path.startswith("/petugas") and "\\" not in path:
        return path
    return None


def _form_action(form) -> staff.StaffAction:
    """What an action form (one complaint's, or a list's bulk form) asks for."""
    return staff.StaffAction(
        form.get("action", ""),
        note=form.get("note") or None,
        agency_code=form.get("agency") or None,
        reason=form.get("reason") or None,
        duplicate_code=form.get("duplicate_of") or None,
        forwarded_to=form.get("forwarded_to") or None,
    )


@bp.get("/pengaduan/<code>")
@roles_required(*ALL_STAFF)
def complaint(code: str):
    return _complaint_page(_visible_or_404(code), errors={})


def _visible_or_404(code: str):
    try:
        return staff.complaint_for(db.get_session(), me(), code)
    except staff.NotFound:
        abort(404)


def _complaint_page(found, errors: dict, status: int = 200, sent: dict | None = None):
    """The complaint with what this staff member may do to it now, each action on its own."""
    settings = current_app.extensions["lapor.settings"]
    session = db.get_session()
    now = utcnow()
    view = views.staff_view(session, found, staff.sla_badge(found, now))
    actions = staff.allowed_actions(me(), found)
    agency = session.get(Agency, found.agency_id) if found.agency_id else None
    templates = canned.for_staff(session, me()) if _answers_possible(actions) else []
    sent = dict(sent or {})
    chosen = _chosen_template(templates, request.args.get("templat"))
    if chosen is not None:
        sent.setdefault("note", canned.filled(chosen, found, agency, now=now, tz=settings.tz))
        sent.setdefault("action", request.args.get("untuk") or "respond")
    files = session.exec(
        select(Attachment).where(Attachment.complaint_id == found.id).order_by(Attachment.id)
    ).all()
    return (
        render_template(
            "console_complaint.html",
            c=view,
            code=found.tracking_code,
            actions=actions,
            verbs=[v for v in VERBS if v.action in actions],
            agencies=[a for a in _region_agencies(session) if a.id != found.agency_id],
            externals=_externals(session),
            reasons=list(RejectReason),
            suggestions=_placing_suggestions(settings, found),
            similar=_similar(session, found, now, actions),
            templates=templates,
            files=files,
            previewable=PREVIEWABLE,
            map_url=_map_url(found),
            media_url=found.media_url,
            service_attributes=_service_attributes(settings, found),
            errors=errors,
            sent=sent,
            Action=Action,
        ),
        status,
    )


def _service_attributes(settings, found) -> list[tuple[str, str]]:
    """The Open311 attributes the client sent, as (question, answer's name) pairs."""
    if not found.service_attributes:
        return []
    definitions = open311_definitions_for(settings.region)
    return service_attributes.shown(
        definitions.get(found.service_code or "", ()), found.service_attributes
    )


@dataclasses.dataclass(frozen=True)
class Verb:
    """One action as the complaint page offers it: its button, who reads its note, and
    whether it cannot be taken back (then it asks to be confirmed)."""

    action: Action
    audience: str  # reporter | staff
    confirm: bool = False


# In the order an officer most often needs them.
VERBS = (
    Verb(Action.VERIFY, "staff"),
    Verb(Action.RESPOND, "reporter"),
    Verb(Action.REQUEST_INFO, "reporter"),
    Verb(Action.RESOLVE, "reporter"),
    Verb(Action.TRANSFER, "staff"),
    Verb(Action.FORWARD, "reporter", confirm=True),
    Verb(Action.REJECT, "staff", confirm=True),
    Verb(Action.ESCALATE, "staff"),
    Verb(Action.NOTE, "staff"),
)
CONFIRMED = frozenset(v.action for v in VERBS if v.confirm)
PREVIEWABLE = frozenset({"image/jpeg", "image/png", "image/webp"})


def _answers_possible(actions: list[Action]) -> bool:
    return any(a in actions for a in (Action.RESPOND, Action.REQUEST_INFO, Action.RESOLVE))


def _chosen_template(templates, raw: str | None):
    if not raw or not raw.isdigit():
        return None
    return next((t for t in templates if t.id == int(raw)), None)


def _placing_suggestions(settings, found) -> list[dict]:
    """The classifier's top OPDs for a complaint still to be placed; none once it has one."""
    if found.status != ComplaintStatus.RECEIVED or found.agency_id is not None:
        return []
    from lapor.routing import service
    from lapor.services import triage

    suggestions = _suggestions(settings, [found]).get(found.id, [])
    router = service.current_router(settings) if suggestions else None
    # The words that decided for each OPD: the verifier checks the model's reason at a glance.
    labels = [s["label"] for s in suggestions]
    words = triage.decisive_words(router, found.text, labels) if suggestions else []
    return [{**s, "words": w} for s, w in zip(suggestions, words, strict=True)]


def _similar(session, found, now, actions) -> list:
    """Open complaints like this one, for a person to spot a duplicate (only while it can
    still be archived as one)."""
    if Action.REJECT not in actions:
        return []
    return staff.similar_for(session, me(), found, now=now, limit=5)


def _map_url(found) -> str | None:
    """The complaint's point on OpenStreetMap (a link: no map is loaded into the console)."""
    if found.lat is None or found.lon is None:
        return None
    return (
        f"https://www.openstreetmap.org/?mlat={found.lat:.6f}&mlon={found.lon:.6f}"
        f"#map=17/{found.lat:.6f}/{found.lon:.6f}"
    )


@bp.get("/pengaduan/<code>/lampiran/<int:attachment_id>")
@roles_required(*ALL_STAFF)
def attachment(code: str, attachment_id: int):
    """A file of a complaint this staff member may see, as a download; a photo with
    `?lihat=1` inline, for the page's preview. A polyglot file (a valid JPEG that is also
    HTML) is never rendered as a page: photos were decoded and encoded again at intake, only
    image types are ever sent inline, with nosniff and a sandbox."""
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
    inline = request.args.get("lihat") == "1" and row.content_type in PREVIEWABLE
    response = send_file(
        path, mimetype=row.content_type, as_attachment=not inline, download_name=row.filename
    )
    if inline:
        response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
        response.headers["Cache-Control"] = "private, max-age=300"
    return response


@bp.post("/pengaduan/<code>/tindakan")
@roles_required(*ALL_STAFF)
def take_action(code: str):
    form = request.form
    if form.get("action") in CONFIRMED and form.get("confirm") != "1":
        found = _visible_or_404(code)
        message = gettext("Centang konfirmasi: tindakan ini tidak dapat dibatalkan.")
        return _complaint_page(found, errors={"form": message}, status=422, sent=form)
    settings = current_app.extensions["lapor.settings"]
    try:
        found = staff.take_action(settings, me(), code, _form_action(form), now=utcnow())
    except staff.NotFound:
        abort(404)
    except DomainError as error:
        found = _visible_or_404(code)
        message = messages.domain_error_message(error, page_language())
        return _complaint_page(found, errors={"form": message}, status=422, sent=form)
    flash(gettext("Tindakan tersimpan."))
    if me().role == Role.OFFICER and found.agency_id != me().agency_id:
        return redirect(url_for("console.queue"), code=303)  # handed on: no longer ours
    back = _safe_next(form.get("next"))
    if back:
        return redirect(back, code=303)  # e.g. the dashboard the supervisor acted from
    return redirect(url_for("console.complaint", code=found.tracking_code), code=303)


@bp.route("/templat", methods=["GET", "POST"])
@roles_required(*ALL_STAFF)
def templates():
    """The response templates: the OPD's own and the shared ones; officers keep their OPD's."""
    settings = current_app.extensions["lapor.settings"]
    error, status = None, 200
    if request.method == "POST":
        form = request.form
        raw_id = form.get("id", "")
        try:
            canned.save(
                settings,
                me(),
                title=form.get("title", ""),
                body=form.get("body", ""),
                now=utcnow(),
                template_id=int(raw_id) if raw_id.isdigit() else None,
                shared=form.get("shared") == "1",
            )
        except DomainError as problem:
            error, status = messages.domain_error_message(problem, page_language()), 422
        else:
            flash(gettext("Templat tersimpan."))
            return redirect(url_for("console.templates"), code=303)
    session = db.get_session()
    found = canned.for_staff(session, me())
    editing = _chosen_template(found, request.args.get("ubah"))
    return render_template(
        "console_templates.html",
        templates=found,
        editable={t.id for t in found if canned.editable(me(), t)},
        editing=editing if editing is not None and canned.editable(me(), editing) else None,
        placeholders=canned.PLACEHOLDERS,
        error=error,
        sent=request.form if error else {},
    ), status


@bp.post("/templat/<int:template_id>/hapus")
@roles_required(*ALL_STAFF)
def delete_template(template_id: int):
    try:
        canned.delete(current_app.extensions["lapor.settings"], me(), template_id)
    except DomainError:
        abort(404)
    flash(gettext("Templat dihapus."))
    return redirect(url_for("console.templates"), code=303)


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
        escalated=[(c, a, _escalation_actions(c)) for c, a in escalated[:ESCALATIONS_SHOWN]],
        escalated_total=len(escalated),
        levels=sorted(levels.items()),
        formula=gettext(compliance.FORMULA),
        zones=compliance.zone_bands(),
        start=start.astimezone(tz).date(),
        end=(end - timedelta(seconds=1)).astimezone(tz).date(),
        agency_code=agency_code or "",
        agencies=agencies,
        problems=problems,
        pct=_pct,
        num=_num,
        chart=_chart(stats),
        trend=_trend(weeks),
        period_args=_period_args(),
        csv_url=_this_list("console.dashboard", format="csv"),
        back=url_for("console.dashboard", **_period_args(with_opd=True), _anchor="escalations"),
        routing_watch=routing_monitor.status(session, settings),
        may_lift=current_user.role == Role.ADMIN,
    ), (400 if problems else 200)


@bp.post("/dasbor/ambang/kembalikan")
@roles_required(Role.ADMIN)
def lift_threshold():
    """An admin takes back a label's automatically raised routing threshold."""
    settings = current_app.extensions["lapor.settings"]
    label = (request.form.get("label") or "").strip()[:120]
    editor = changes.Editor(current_user.id, current_user.username)
    if label and routing_monitor.lift(settings, label, editor, now=utcnow()):
        flash(gettext("Ambang label %(label)s dikembalikan ke ambang model.", label=label))
        return redirect(url_for("console.dashboard", _anchor="routing-watch"), code=303)
    flash(gettext("Ambang label itu tidak sedang dinaikkan."), "error")
    return redirect(url_for("console.dashboard", _anchor="routing-watch"), code=303)


# Each escalated row carries its own action form with the OPD list: past this many rows the
# page would weigh hundreds of kilobytes on a phone; the CSV lists them all.
ESCALATIONS_SHOWN = 50
# What a supervisor does from the escalation list, in the order of the buttons.
ESCALATION_ACTIONS = (Action.TRANSFER, Action.NOTE, Action.ESCALATE)


def _escalation_actions(complaint) -> list[Action]:
    """The escalation list's actions this staff member may take on this complaint now."""
    allowed = staff.allowed_actions(me(), complaint)
    return [a for a in ESCALATION_ACTIONS if a in allowed]


def _period_args(with_opd: bool = False) -> dict:
    """The dashboard's period (and OPD filter) in this request, to keep them on its links."""
    keep = ("dari", "sampai", "opd") if with_opd else ("dari", "sampai")
    return {k: v for k, v in request.args.items() if k in keep and v}


VOICES_SHOWN = 50  # ratings, and reopen reasons, on an OPD's page: the most recent


@bp.get("/dasbor/opd/<code>")
@roles_required(Role.SUPERVISOR, Role.ADMIN)
def dashboard_agency(code: str):
    """One OPD's row of the dashboard, and what its reporters said about the complaints it
    received in the period: their ratings with comments, their reasons for reopening."""
    session = db.get_session()
    agency = session.exec(select(Agency).where(Agency.code == code.strip().upper()[:40])).first()
    if agency is None or agency.kind == AgencyKind.EXTERNAL:
        abort(404)
    now = utcnow()
    tz = current_app.extensions["lapor.settings"].tz
    start, end, problems = _period(request.args.get("dari"), request.args.get("sampai"), now, tz)
    stats = compliance.agency_stats(session, start, end, now, agency.code)
    return render_template(
        "console_dashboard_agency.html",
        agency=agency,
        row=stats[0] if stats else None,
        ratings=compliance.ratings(session, agency.code, start, end, limit=VOICES_SHOWN),
        reopenings=compliance.reopen_reasons(session, agency.code, start, end, limit=VOICES_SHOWN),
        limit=VOICES_SHOWN,
        start=start.astimezone(tz).date(),
        end=(end - timedelta(seconds=1)).astimezone(tz).date(),
        problems=problems,
        pct=_pct,
        num=_num,
        period_args=_period_args(),
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
            problems.append(gettext("Tanggal tidak valid: %(raw)s (format TTTT-BB-HH).", raw=raw))
            return default

    first = day(raw_start, today - timedelta(days=89))
    last = day(raw_end, today)
    if first > last:
        problems.append(gettext("Tanggal awal sesudah tanggal akhir."))
        first, last = last, first
    start = datetime.combine(first, time(0), tzinfo=tz)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=tz)
    return start, end, problems


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{round(value * 100)}%"


def _num(value: float | None, digits: int = 1) -> str:
    """A figure as the page's language writes it (80,8 in Indonesian, 80.8 in English)."""
    return "-" if value is None else format_decimal(value, format="#,##0." + "0" * digits)


# The score chart's geometry in its viewBox units (360 wide): OPD codes left of LEFT, the
# 0–100 axis from LEFT over 100 × SCALE, one ROW per OPD below TOP.
LEFT, SCALE, ROW, TOP = 66, 2.5, 18, 16


def _chart(stats) -> dict:
    """The compliance score of each OPD that has one, in the table's order and zones, on a
    0–100 axis with the zone bounds marked (an inline SVG: no script needed)."""
    rows = [s for s in stats if s.score is not None]
    axis = TOP + len(rows) * ROW + 2
    bands = compliance.zone_bands()
    return {
        "bars": [
            {
                "code": s.code,
                "name": s.name,
                "score": s.score,
                "zone": s.zone,
                "y": TOP + i * ROW,
                "w": round(s.score * SCALE, 1),
            }
            for i, s in enumerate(rows)
        ],
        "left": LEFT,
        "axis": axis,
        "height": axis + 34,
        "ticks": [{"x": LEFT + v * SCALE, "value": v} for v in range(0, 101, 20)],
        # A zone ends at its highest one-decimal score: the line sits just past it.
        "bounds": [round(LEFT + (b["high"] + 0.05) * SCALE, 1) for b in bands[1:]],
    }


# The weekly chart's plot area in its 360 × 208 viewBox: volume axis left, on-time axis right.
TREND_BOX = Box(left=40, right=316, top=12, bottom=172)


def _trend(weeks) -> dict:
    """The weekly chart: a bar per week for the volume (left axis), a line for the share
    answered on time (right axis, 0–100 %), a date under every few weeks."""
    if not weeks:
        return {"bars": []}
    shares = [w.on_time_rate for w in weeks]
    chart = bars_and_line([w.volume for w in weeks], shares, TREND_BOX, bar=0.8)
    every = -(-len(weeks) // 6)  # at most six dates fit under the axis
    for i, (bar, week) in enumerate(zip(chart["bars"], weeks, strict=True)):
        bar["week"] = week.start
        bar["label"] = f"{week.start[8:10]}/{week.start[5:7]}" if i % every == 0 else ""
        bar["volume"] = week.volume
        bar["rate"] = _pct(week.on_time_rate)
    return chart


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
    # Stored in Indonesian for the OPD; worded in the page's language here.
    found = [dataclasses.replace(n, subject=reworded(n.subject, gettext)) for n in found]
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
    ids = [int(i) for i in request.form.getlist("id") if i.isascii() and i.isdigit()]
    everything = request.form.get("semua") == "1"
    marked = inbox.mark_read(settings, me(), now=utcnow(), ids=ids, everything=everything)
    flash(
        ngettext(
            "%(num)s pemberitahuan ditandai sudah dibaca.",
            "%(num)s pemberitahuan ditandai sudah dibaca.",  # Indonesian has no plural
            marked,
        )
    )
    return redirect(url_for("console.notices"), code=303)
