"""Admins keep the region's SLA policy (deadlines, escalation) and its routing map."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta

from babel.dates import format_datetime
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext
from werkzeug.datastructures import MultiDict

from lapor.domain.errors import DomainError, ValidationFailed
from lapor.domain.language import N_
from lapor.domain.sla_policy import TARGETS, WEEKDAYS, PolicyError, SlaPolicy
from lapor.domain.timefmt import utcnow
from lapor.infra import db, directory
from lapor.infra.region import gazetteer_for
from lapor.routing.artifacts import ModelError
from lapor.routing.service import model_store, routing_document
from lapor.services import policy
from lapor.services.effects import deadlines_for, sla_document
from lapor.web.admin import editor
from lapor.web.auth import roles_required
from models import AgencyKind, Role

bp = Blueprint("policy_admin", __name__, url_prefix="/admin")

POLICY_FIELDS = tuple(f.name for f in fields(SlaPolicy))
EMPTY_ROWS = 2  # blank override rows under the filled ones: enough to add without a script
MAX_ROWS = 300  # more rows than OPDs and labels together: a forged count goes no further
MAX_LEVELS = 10
NUMBER = re.compile(r"-?[0-9]{1,9}")
VOLUME_DAYS = 90
NOTHING_CHANGED = N_("Tidak ada perubahan untuk disimpan.")
TRIAGE, BY_LOCATION = "triase", "lokasi"  # lower case: never an OPD code


def _settings():
    return current_app.extensions["lapor.settings"]


class FormProblem(Exception):
    """An entry the form cannot turn into a policy, with the field it belongs to."""

    def __init__(self, message: str, field_name: str) -> None:
        super().__init__(message)
        self.message, self.field_name = message, field_name


@dataclass
class Override:
    """One row of per-OPD or per-category values; a blank value inherits the default."""

    key: str
    values: dict[str, str]
    remove: bool = False


@dataclass
class SlaForm:
    """The policy as the form holds it: text as typed, so a wrong entry is shown again."""

    defaults: dict[str, str]
    triage: str
    weekend: list[str]
    levels: list[dict[str, str]]
    agencies: list[Override]
    categories: list[Override]
    base: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, document: Mapping) -> SlaForm:
        """The policy in force, with a few blank override rows."""
        effective = SlaPolicy()  # what a value missing from the document means
        given = document.get("defaults") or {}
        calendar = document.get("calendar") or {}
        return cls(
            defaults={n: str(given.get(n, getattr(effective, n))) for n in POLICY_FIELDS},
            triage=str(document.get("triage_agency") or ""),
            weekend=[str(d).lower() for d in calendar.get("weekend", ["saturday", "sunday"])],
            levels=[
                {
                    "after_days": str(item.get("after_days", 0)),
                    "target": str(item.get("target", "")),
                    "title": str(item.get("title") or ""),
                }
                for item in document.get("escalation") or []
            ],
            agencies=_rows(document.get("agencies")),
            categories=_rows(document.get("categories")),
            base=digest(document),
        )

    @classmethod
    def posted(cls, form: MultiDict) -> SlaForm:
        """The form as submitted."""
        levels = [
            {name: _text(form, f"level-{n}-{name}") for name in ("after_days", "target", "title")}
            for n in range(1, _count(form, "levels", MAX_LEVELS) + 1)
        ]
        return cls(
            defaults={name: _text(form, f"defaults-{name}") for name in POLICY_FIELDS},
            triage=_text(form, "triage_agency"),
            weekend=[day for day in WEEKDAYS if day in form.getlist("weekend")],
            levels=levels,
            agencies=_posted_rows(form, "agency"),
            categories=_posted_rows(form, "category"),
            base=_text(form, "base"),
        )

    def change(self, what: str) -> None:
        """Add or remove a row without saving (the page works without a script)."""
        if what == "add_level" and len(self.levels) < MAX_LEVELS:
            after = self.levels[-1]["after_days"] if self.levels else "0"
            self.levels.append({"after_days": after, "target": "root", "title": ""})
        elif what == "remove_level" and self.levels:
            self.levels.pop()
        elif what == "add_agency" and len(self.agencies) < MAX_ROWS:
            self.agencies.append(Override("", {}))
        elif what == "add_category" and len(self.categories) < MAX_ROWS:
            self.categories.append(Override("", {}))

    def document(self) -> dict:
        """The policy the form says, in sla.yaml's structure (days off stay where they are)."""
        defaults = {
            name: _number(_required(value, f"defaults.{name}", f"defaults-{name}"))
            for name, value in self.defaults.items()
        }
        levels = []
        for n, row in enumerate(self.levels, start=1):
            where = f"escalation[{n}].after_days"
            level = {
                "level": n,
                "after_days": _number(_required(row["after_days"], where, f"level-{n}-after_days")),
                "target": row["target"],
            }
            if row["title"]:
                level["title"] = row["title"]
            levels.append(level)
        return {
            "calendar": {"weekend": list(self.weekend)},
            "defaults": defaults,
            "triage_agency": self.triage or None,
            "escalation": levels,
            "agencies": _overrides(self.agencies, "agencies", "agency", "Pilih OPD"),
            "categories": _overrides(self.categories, "categories", "category", "Pilih kategori"),
        }

    def paths(self) -> Iterator[tuple[str, str]]:
        """Each place a PolicyError names, with the form field it belongs to."""
        yield "triage_agency", "triage_agency"
        yield "calendar.weekend", "weekend"
        yield "escalation", "levels"
        for name in POLICY_FIELDS:
            yield f"defaults.{name}", f"defaults-{name}"
        for n in range(1, len(self.levels) + 1):
            for name in ("level", "after_days", "target", "title"):
                yield f"escalation[{n}].{name}", f"level-{n}-{name}"
        for section, prefix, rows in (
            ("agencies", "agency", self.agencies),
            ("categories", "category", self.categories),
        ):
            for i, row in enumerate(rows):
                if not row.key or row.remove:
                    continue
                yield f"{section}.{row.key}", f"{prefix}-{i}-key"
                for name in POLICY_FIELDS:
                    yield f"{section}.{row.key}.{name}", f"{prefix}-{i}-{name}"

    def field_for(self, message: str) -> str | None:
        """The form field a PolicyError's message names (the longest place that matches)."""
        found = [(len(p), f) for p, f in self.paths() if message.startswith(p + ":")]
        return max(found)[1] if found else None


def digest(document: Mapping) -> str:
    """A short fingerprint of a policy: a form made from an older one is noticed."""
    text = json.dumps(document, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _rows(section: object) -> list[Override]:
    rows = [
        Override(str(key), {name: str(v) for name, v in (values or {}).items()})
        for key, values in (section or {}).items()
    ]
    return rows + [Override("", {}) for _ in range(EMPTY_ROWS)]


def _posted_rows(form: MultiDict, prefix: str) -> list[Override]:
    return [
        Override(
            _text(form, f"{prefix}-{i}-key"),
            {name: _text(form, f"{prefix}-{i}-{name}") for name in POLICY_FIELDS},
            remove=bool(form.get(f"{prefix}-{i}-remove")),
        )
        for i in range(_count(form, f"{prefix}_rows", MAX_ROWS))
    ]


def _overrides(rows: list[Override], section: str, prefix: str, pick: str) -> dict:
    """The rows' values by OPD or category; a blank row and a row marked remove are left out."""
    found: dict[str, dict] = {}
    for i, row in enumerate(rows):
        values = {name: _number(v) for name, v in row.values.items() if v}
        if row.remove or not values:
            continue
        if not row.key:
            raise FormProblem(f"{section}: {pick} untuk baris ke-{i + 1}.", f"{prefix}-{i}-key")
        if row.key in found:
            raise FormProblem(
                f"{section}.{row.key}: muncul di dua baris; gabungkan nilainya dalam satu baris.",
                f"{prefix}-{i}-key",
            )
        found[row.key] = values
    return found


def _text(form: MultiDict, name: str) -> str:
    return (form.get(name) or "").strip()[:120]


def _count(form: MultiDict, name: str, most: int) -> int:
    text = form.get(name) or ""
    return min(int(text), most) if text.isascii() and text.isdigit() else 0


def _required(value: str, where: str, field_name: str) -> str:
    if not value:
        raise FormProblem(f"{where}: wajib diisi.", field_name)
    return value


def _number(text: str) -> int | str:
    """A whole number as typed; anything else is left as text, for the policy to refuse by
    name ('harus bilangan bulat ≥ 1, bukan 'lima'')."""
    return int(text) if NUMBER.fullmatch(text) else text


# --- the SLA policy page ------------------------------------------------------------------


@bp.route("/tenggat", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def sla():
    if request.method == "GET":
        settings = _settings()
        # As committed now: the page after a save may be served by another process.
        snapshot = directory.config.snapshot(settings, fresh=True)
        return _sla_page(SlaForm.of(sla_document(settings, snapshot)))
    settings = _settings()
    # Compare with what is saved now, not a copy seconds old.
    current = sla_document(settings, directory.config.snapshot(settings, fresh=True))
    form = SlaForm.posted(request.form)
    what = request.form.get("do", "save")
    if what != "save":
        form.change(what)
        return _sla_page(form)
    if form.base and form.base != digest(current):
        form.base = digest(current)
        message = (
            "Kebijakan tenggat baru saja diubah oleh admin lain. Isian Anda masih di bawah; "
            "periksa lalu simpan lagi untuk menimpanya."
        )
        return _sla_page(form, error=message), 409
    try:
        document = form.document()
        db.run_in_transaction(
            settings,
            lambda session: policy.save_sla(
                session,
                editor(),
                document,
                labels=set(_labels(settings)),
                current=current,
                now=utcnow(),
            ),
        )
    except FormProblem as problem:
        form.errors[problem.field_name] = problem.message
        return _sla_page(form, error=problem.message), 422
    except PolicyError as problem:
        spot = form.field_for(problem.message)
        if spot:
            form.errors[spot] = problem.message
        return _sla_page(form, error=problem.message), 422
    saved = document != current
    flash(gettext("Kebijakan tenggat disimpan.") if saved else gettext(NOTHING_CHANGED))
    return redirect(url_for("policy_admin.sla"), code=303)


def _labels(settings) -> list[str]:
    return list(routing_document(settings).get("labels") or {})


def _sla_page(form: SlaForm, error: str | None = None):
    settings = _settings()
    snapshot = directory.config.snapshot(settings)
    agencies = sorted(snapshot.agencies.values(), key=lambda a: a.code)
    own = [a for a in agencies if a.active and a.kind != AgencyKind.EXTERNAL]
    shown = {a.code for a in own}
    # An override kept for an OPD deactivated since stays visible (and selectable) as it is.
    kept = [a for a in agencies if a.code in {r.key for r in form.agencies} - shown]
    return render_template(
        "admin_sla.html",
        form=form,
        error=error,
        fields=POLICY_FIELDS,
        weekdays=WEEKDAYS,
        targets=TARGETS,
        own=own,
        override_choices=own + kept,
        labels=_labels(settings),
        preview=_preview(settings, snapshot.agencies, own),
    )


def _preview(settings, agencies: Mapping, own: list) -> dict:
    """When a complaint disposed now is due: for the chosen OPD, and every OPD overridden."""
    deadlines, now = deadlines_for(settings), utcnow()
    codes = [a.code for a in own]
    chosen = request.args.get("opd", "")
    if chosen not in codes:
        overridden = [c for c in deadlines.book.by_agency if c in codes]
        chosen = (overridden or codes or [""])[0]
    rows = [
        _due_row(policy.preview(deadlines, code, now), agencies[code])
        for code in sorted(deadlines.book.by_agency)
        if code in agencies
    ]
    one = _due_row(policy.preview(deadlines, chosen, now), agencies[chosen]) if chosen else None
    return {"chosen": chosen, "one": one, "rows": rows}


def _due_row(due: policy.DuePreview, agency) -> dict:
    return {
        "code": due.agency_code,
        "name": agency.short_name or agency.name,
        "days": due.response_days,
        "response": long_time(due.response_due),
        "resolution": long_time(due.resolution_due),
    }


def long_time(moment: datetime) -> str:
    """e.g. 'Senin, 30 November 2026, 23.59 WIB' (English names on the English pages)."""
    tz = _settings().tz
    here = moment.astimezone(tz)
    text = format_datetime(here, "EEEE, d MMMM y, HH.mm", tzinfo=tz, locale=str(get_locale()))
    return f"{text} {here.tzname()}"


# --- the routing map page -----------------------------------------------------------------


@bp.route("/peta-rute", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def routing():
    if request.method == "GET":
        directory.config.snapshot(_settings(), fresh=True)  # as committed now (see sla())
        return _routing_page()
    settings = _settings()
    snapshot = directory.config.snapshot(settings, fresh=True)  # as committed now
    targets = routing_document(settings, snapshot).get("labels") or {}
    posted = {
        key.removeprefix("rute:"): _target(value)
        for key, value in request.form.items()
        if key.startswith("rute:")
    }
    # Only what this admin changed on the page: a label another admin moved since the page was
    # shown keeps that admin's choice (each select carries the value it was shown with).
    changed = {
        label: target
        for label, target in posted.items()
        if request.form.get(f"asal:{label}", _choice(targets.get(label, ""))) != _choice(target)
    }
    if not changed:
        flash(gettext(NOTHING_CHANGED))
        return redirect(url_for("policy_admin.routing"), code=303)
    try:
        db.run_in_transaction(
            settings,
            lambda session: policy.save_routing(
                session,
                editor(),
                changed,
                region=settings.region,
                gazetteer=gazetteer_for(settings.region),
                now=utcnow(),
            ),
        )
    except ValidationFailed as failure:
        problems = {label: p.message for label, p in failure.fields.items()}
        # A label the map does not have has no row to show its problem beside: say it above.
        stray = [message for label, message in problems.items() if label not in targets]
        return _routing_page(posted, problems, " ".join([failure.message, *stray])), 422
    except DomainError as failure:
        return _routing_page(posted, {}, failure.message), 422
    flash(gettext("Peta rute disimpan: %(count)s label diubah.", count=len(changed)))
    return redirect(url_for("policy_admin.routing"), code=303)


def _target(value: str) -> object:
    """A select's value as routing.yaml says it: null, {by_location: true} or an OPD code."""
    if value == TRIAGE:
        return None
    if value == BY_LOCATION:
        return dict(policy.BY_LOCATION)
    return value.strip()[:40]


def _choice(target: object) -> str:
    if target is None:
        return TRIAGE
    if isinstance(target, dict):
        return BY_LOCATION
    return str(target)


def _routing_page(
    posted: Mapping[str, object] | None = None,
    problems: Mapping[str, str] | None = None,
    error: str | None = None,
):
    settings = _settings()
    document = routing_document(settings)
    targets = document.get("labels") or {}
    agencies = directory.config.snapshot(settings).agencies
    metadata = _model(settings)
    scores = (metadata or {}).get("out_of_fold_per_label") or {}
    since = utcnow() - timedelta(days=VOLUME_DAYS)
    volumes = policy.label_volumes(db.get_session(), since)
    rows = [
        {
            "label": label,
            "choice": _choice((posted or {}).get(label, target)),
            "saved": _choice(target),
            "score": scores.get(label),
            "volume": volumes.get(label, 0),
            "problem": (problems or {}).get(label),
        }
        for label, target in targets.items()
    ]
    listed = sorted(agencies.values(), key=lambda a: a.code)
    in_use = {r["choice"] for r in rows}
    return render_template(
        "admin_routing.html",
        rows=rows,
        error=error,
        own=[a for a in listed if a.kind != AgencyKind.EXTERNAL and (a.active or a.code in in_use)],
        outside=[
            a for a in listed if a.kind == AgencyKind.EXTERNAL and (a.active or a.code in in_use)
        ],
        model=metadata,
        unmapped=sorted(set((metadata or {}).get("labels") or []) - set(targets)),
        location_agencies=document.get("location_agencies") or {},
        agencies=agencies,
        triage=TRIAGE,
        by_location=BY_LOCATION,
        volume_days=VOLUME_DAYS,
    )


def _model(settings) -> dict | None:
    """The current model's metadata; None before the first training."""
    store = model_store(settings)
    version = store.current_version()
    if version is None:
        return None
    try:
        return store.metadata(version)
    except ModelError:
        return None
