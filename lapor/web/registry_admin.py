"""Admins keep the region's OPD registry, its days off and read the audit of configuration."""

from __future__ import annotations

import json
from datetime import date

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user

from lapor.domain.errors import DomainError, NotFound, ValidationFailed
from lapor.domain.registry import AgencyEntry
from lapor.domain.timefmt import utcnow
from lapor.infra import db
from lapor.services import casework, changes, policy, registry
from lapor.services.effects import deadlines_for
from lapor.web import messages
from lapor.web.admin import editor
from lapor.web.auth import roles_required
from lapor.web.templating import page_language
from models import AgencyKind, Role

bp = Blueprint("registry_admin", __name__, url_prefix="/admin")

FORM_FIELDS = ("code", "name", "short_name", "kind", "parent", "email", "telegram_chat")
MAX_INPUT = 300
TRUE = ("1", "ya", "true", "on")


def _settings():
    return current_app.extensions["lapor.settings"]


def _problems(failure: DomainError) -> dict[str, str]:
    """Each field's message; a refusal that names no field under '_'."""
    if isinstance(failure, ValidationFailed):
        return messages.field_messages(failure.fields, page_language())
    return {"_": messages.domain_error_message(failure, page_language())}


# --- the registry --------------------------------------------------------------------------


@bp.get("/opd")
@roles_required(Role.ADMIN)
def agencies():
    """The registry as a tree; outside bodies apart; inactive ones on request."""
    show_inactive = request.args.get("nonaktif", "") in TRUE
    found = registry.entries(db.get_session())
    shown = [e for e in found if e.active or show_inactive]
    return render_template(
        "admin_agencies.html",
        region=[e for e in shown if e.kind != AgencyKind.EXTERNAL],
        outside=[e for e in shown if e.kind == AgencyKind.EXTERNAL],
        depth=registry.depth_of(found),
        inactive=sum(not e.active for e in found),
        show_inactive=show_inactive,
    )


@bp.route("/opd/baru", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def agencies_new():
    """A new OPD or outside body."""
    values = {name: "" for name in FORM_FIELDS} | {"kind": AgencyKind.DINAS.value}
    if request.method == "GET":
        return _form_page(values, {}, None)
    values = _form_values(FORM_FIELDS)
    try:
        created = db.run_in_transaction(
            _settings(),
            lambda session: registry.create_agency(session, editor(), values, now=utcnow()),
        )
    except DomainError as failure:
        return _form_page(values, _problems(failure), None), 422
    flash(gettext("OPD %(code)s ditambahkan.", code=created.code))
    return redirect(url_for(".agencies") + f"#opd-{created.code}", code=303)


@bp.route("/opd/<code>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def agencies_edit(code: str):
    """An OPD's fields; its code stays."""
    current = _entry_or_404(code)
    if request.method == "GET":
        return _form_page(_as_form(current), {}, current)
    values = _form_values(FORM_FIELDS[1:])
    try:
        db.run_in_transaction(
            _settings(),
            lambda session: registry.update_agency(
                session, editor(), current.code, values, now=utcnow(), region=_settings().region
            ),
        )
    except DomainError as failure:
        return _form_page({**values, "code": current.code}, _problems(failure), current), 422
    flash(gettext("OPD %(code)s disimpan.", code=current.code))
    return redirect(url_for(".agencies") + f"#opd-{current.code}", code=303)


def _entry_or_404(code: str) -> AgencyEntry:
    try:
        return registry.entry(db.get_session(), code[:40])
    except NotFound:
        abort(404)


def _form_values(names: tuple[str, ...]) -> dict[str, str]:
    return {name: request.form.get(name, "").strip()[:MAX_INPUT] for name in names}


def _as_form(entry: AgencyEntry) -> dict[str, str]:
    values = entry.as_dict()
    return {name: "" if values[name] is None else str(values[name]) for name in FORM_FIELDS}


def _form_page(values: dict[str, str], problems: dict[str, str], current: AgencyEntry | None):
    found = registry.entries(db.get_session())
    return render_template(
        "admin_agencies_form.html",
        values=values,
        problems=problems,
        current=current,
        kinds=list(AgencyKind),
        parents=_parent_choices(found, current),
        depth=registry.depth_of(found),
    )


def _parent_choices(found: list[AgencyEntry], current: AgencyEntry | None) -> list[AgencyEntry]:
    """Active OPDs of the region, in tree order; never the OPD itself or one under it (that
    would close a loop). The present parent stays listed even when inactive."""
    barred = {current.code} | registry.descendants(found, current.code) if current else set()
    keep = current.parent if current else None
    return [
        e
        for e in found
        if e.kind != AgencyKind.EXTERNAL and e.code not in barred and (e.active or e.code == keep)
    ]


# --- deactivate, activate, delete ------------------------------------------------------------


def _documents(session) -> tuple[dict, dict]:
    """The routing map and SLA policy in force, read in this session (not a cached copy)."""
    found = registry.documents(session, _settings().region)
    return found["routing"], found["sla"]


def _impact(code: str) -> registry.Impact:
    session = db.get_session()
    return registry.impact(session, code, *_documents(session))


@bp.route("/opd/<code>/<any(nonaktifkan, aktifkan):what>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def agencies_status(code: str, what: str):
    """Deactivate or activate an OPD, after a page that says what follows from it."""
    current = _entry_or_404(code)
    deactivate = what == "nonaktifkan"
    if request.method == "GET":
        return _status_page(current, deactivate, None)
    successor = request.form.get("successor", "").strip().upper()[:40] if deactivate else ""
    try:
        if successor:
            _check_successor(current, successor)
        db.run_in_transaction(
            _settings(),
            lambda session: registry.update_agency(
                session,
                editor(),
                current.code,
                {"active": not deactivate},
                now=utcnow(),
                region=_settings().region,
            ),
        )
    except DomainError as failure:
        return _status_page(current, deactivate, failure.message, successor), 422
    if deactivate:
        done = gettext("OPD %(code)s dinonaktifkan.", code=current.code)
    else:
        done = gettext("OPD %(code)s diaktifkan kembali.", code=current.code)
    flash(done + (_hand_over(current, successor) if successor else ""))
    return redirect(url_for(".agencies", nonaktif=1 if deactivate else None), code=303)


def _status_page(current: AgencyEntry, deactivate: bool, error: str | None, successor=""):
    session = db.get_session()
    found = registry.entries(session)
    by_code = {e.code: e for e in found}
    parent = by_code.get(current.parent or "")
    routing, sla = _documents(session)
    return render_template(
        "admin_agencies_status.html",
        current=current,
        deactivate=deactivate,
        impact=registry.impact(session, current.code, routing, sla),
        # The policy in force verifies complaints at this OPD: it must stay active.
        triage=sla.get("triage_agency") == current.code,
        chain=_chain(by_code, current),
        parent_inactive=parent is not None and not parent.active,
        error=error,
        successor=successor,
        successors=[e for e in _parent_choices(found, None) if e.code != current.code and e.active],
        depth=registry.depth_of(found),
    )


def _chain(by_code: dict[str, AgencyEntry], entry: AgencyEntry) -> list[str]:
    """The codes above an OPD, nearest first: where its late complaints escalate."""
    chain: list[str] = []
    while entry.parent and entry.parent in by_code and entry.parent not in chain:
        entry = by_code[entry.parent]
        chain.append(entry.code)
    return chain


def _check_successor(current: AgencyEntry, code: str) -> None:
    try:
        chosen = registry.entry(db.get_session(), code)
    except NotFound as missing:
        raise DomainError(missing.message, code="unknown_successor") from missing
    if chosen.code == current.code or not chosen.active or chosen.kind == AgencyKind.EXTERNAL:
        raise DomainError("OPD penerus harus OPD daerah lain yang aktif.", code="invalid_successor")


def _hand_over(current: AgencyEntry, successor: str) -> str:
    """Transfer the OPD's complaints that can be transferred, one action (and one audit
    event) each, as the admin; what could not be moved is counted in the message."""
    staff = casework.Staff(id=current_user.id, role=Role.ADMIN, agency_id=None)
    codes = registry.transferable(db.get_session(), current.code)
    action = casework.StaffAction(
        "transfer",
        note=f"{current.name} tidak lagi menerima pengaduan; dialihkan ke OPD penerusnya.",
        agency_code=successor,
    )
    moved = 0
    for code in codes:
        try:
            casework.take_action(_settings(), staff, code, action, now=utcnow())
            moved += 1
        except DomainError:
            continue  # its status changed meanwhile: it stays, reachable as before
    left = _impact(current.code).open_complaints
    message = " " + gettext("%(moved)s pengaduan dialihkan ke %(to)s.", moved=moved, to=successor)
    if left:
        message += " " + gettext(
            "%(left)s pengaduan terbuka tetap di %(code)s (statusnya tidak dapat dialihkan "
            "sekarang).",
            left=left,
            code=current.code,
        )
    return message


@bp.route("/opd/<code>/hapus", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def agencies_delete(code: str):
    """Delete an OPD entered by mistake; one in use can only be deactivated."""
    current = _entry_or_404(code)
    if request.method == "GET":
        return _delete_page(current, None)

    def work(session):
        registry.delete_agency(session, editor(), current.code, *_documents(session), now=utcnow())

    try:
        db.run_in_transaction(_settings(), work)
    except DomainError as failure:
        return _delete_page(current, failure.message), 409
    flash(gettext("OPD %(code)s dihapus.", code=current.code))
    return redirect(url_for(".agencies"), code=303)


def _delete_page(current: AgencyEntry, error: str | None):
    return render_template(
        "admin_agencies_delete.html", current=current, impact=_impact(current.code), error=error
    )


# --- regional days off -----------------------------------------------------------------------

FIRST_YEAR, LAST_YEAR = policy.EARLIEST_DAY_OFF.year, policy.LATEST_DAY_OFF.year


@bp.route("/libur", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def holidays():
    """The year's calendar, the region's days off, and a form to add one."""
    if request.method == "GET":
        return _holidays_page(_year(), {}, {})
    values = {name: request.form.get(name, "").strip()[:MAX_INPUT] for name in ("date", "reason")}
    try:
        added = db.run_in_transaction(
            _settings(),
            lambda session: policy.add_day_off(
                session, editor(), values["date"], values["reason"], now=utcnow()
            ),
        )
    except DomainError as failure:
        return _holidays_page(_year(), values, _problems(failure)), 422
    flash(
        gettext(
            "%(day)s ditetapkan sebagai libur daerah: %(reason)s.",
            day=added.day.isoformat(),
            reason=added.reason,
        )
    )
    return _to_year(added.day)


@bp.post("/libur/<day>/hapus")
@roles_required(Role.ADMIN)
def holidays_remove(day: str):
    """Take a regional day off back."""
    try:
        parsed = date.fromisoformat(day)
        db.run_in_transaction(
            _settings(),
            lambda session: policy.remove_day_off(session, editor(), parsed, now=utcnow()),
        )
    except ValueError:
        invalid = gettext("Tanggal tidak valid: %(day)s.", day=day[:20])
        return _holidays_page(_year(), {}, {"_": invalid}), 404
    except DomainError as failure:
        shown = parsed.year if FIRST_YEAR <= parsed.year <= LAST_YEAR else _year()
        return _holidays_page(shown, {}, _problems(failure)), 404
    flash(
        gettext(
            "Libur daerah %(day)s dihapus: hari itu kembali menjadi hari kerja.",
            day=parsed.isoformat(),
        )
    )
    return _to_year(parsed)


def _to_year(day: date):
    return redirect(url_for(".holidays", tahun=day.year), code=303)


def _year() -> int:
    """The year asked for (?tahun=), else this year in the region."""
    asked = request.args.get("tahun", type=int)
    if asked is not None and FIRST_YEAR <= asked <= LAST_YEAR:
        return asked
    return utcnow().astimezone(_settings().tz).year


def _holidays_page(year: int, values: dict[str, str], problems: dict[str, str]):
    settings = _settings()
    return render_template(
        "admin_holidays.html",
        view=policy.year_calendar(
            db.get_session(), deadlines_for(settings).calendar, year, page_language()
        ),
        today=utcnow().astimezone(settings.tz).date(),
        values=values or {"date": "", "reason": ""},
        problems=problems,
        first_year=FIRST_YEAR,
        last_year=LAST_YEAR,
    )


# --- the audit of configuration --------------------------------------------------------------


@bp.get("/riwayat")
@roles_required(Role.ADMIN)
def audit():
    """Every change to the configuration, newest first, by subject, in pages."""
    subject = request.args.get("subjek", "")
    subject = subject if subject in changes.SUBJECTS else ""
    page = request.args.get("halaman", type=int) or 1
    found = changes.listing(db.get_session(), subject=subject or None, page=page)
    return render_template(
        "admin_audit.html",
        found=found,
        rows=[(change, _fields(change.before, change.after)) for change in found.rows],
        subject=subject,
        subjects=changes.SUBJECTS,
    )


MAX_SHOWN = 400


def _fields(before: dict | None, after: dict | None) -> list[tuple[str, str | None, str | None]]:
    """Each field a change touched: (name, before, after); None where the side is absent.
    A record added or removed lists only the fields it had."""
    names = list(dict.fromkeys([*(before or {}), *(after or {})]))
    if before is None or after is None:
        names = [n for n in names if (before or after).get(n) is not None]
    return [
        (
            name,
            _shown(before.get(name)) if before is not None else None,
            _shown(after.get(name)) if after is not None else None,
        )
        for name in names
    ]


def _shown(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "ya" if value else "tidak"
    if isinstance(value, dict | list):
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
        return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 1] + "…"
    return str(value)
