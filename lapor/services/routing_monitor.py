"""The router's live precision, read from staff's actions on the complaints it auto-routed,
and the per-label threshold raises it leads to (lapor.domain.routing_watch): kept as the
region document "routing_watch", each change recorded in the configuration's audit, the
admins told in their inbox."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from lapor.domain import routing_watch as rw
from lapor.infra import db
from lapor.infra.settings import Settings
from lapor.routing import service as routing
from lapor.routing.artifacts import ModelError
from lapor.services import changes
from models import ActorKind, Complaint, ComplaintEvent, Notification, RegionSetting
from models import NotificationStatus as N

# The newest decided auto-routings read (of the current model): enough for every label's window.
READ_AT_MOST = 20_000
SYSTEM = changes.Editor(None, "sistem")
NOTICE_KIND = "routing_watch"  # the in-app notice admins read (lapor.services.inbox)


def facts(session: Session, model_version: str, limit: int = READ_AT_MOST) -> list[rw.Fact]:
    """The current model's decided auto-routings, newest decision first (one query)."""
    route = aliased(ComplaintEvent)
    decision = aliased(ComplaintEvent)
    first = (
        select(ComplaintEvent.complaint_id, sa.func.min(ComplaintEvent.id).label("event_id"))
        .join(Complaint, Complaint.id == ComplaintEvent.complaint_id)
        .where(
            Complaint.model_version == model_version,
            ComplaintEvent.action.in_(sorted(rw.DECISIVE_ACTIONS)),
        )
        .group_by(ComplaintEvent.complaint_id)
        .subquery()
    )
    query = (
        select(
            Complaint.id,
            Complaint.routing_label,
            Complaint.routing_confidence,
            route.data,
            decision.action,
            decision.data,
        )
        .join(first, first.c.complaint_id == Complaint.id)
        .join(decision, decision.id == first.c.event_id)
        .join(
            route,
            sa.and_(
                route.complaint_id == Complaint.id,
                route.action == "route",
                route.actor_kind == ActorKind.SYSTEM,
            ),
        )
        .where(Complaint.model_version == model_version, Complaint.routing_label.is_not(None))
        .order_by(decision.at.desc(), decision.id.desc())
        .limit(limit)
    )
    found = []
    for cid, label, confidence, routed, action, data in session.exec(query):
        outcome = rw.outcome_of(action, data, (routed or {}).get("agency"))
        if outcome is not None:
            found.append(rw.Fact(label, outcome, float(confidence or 0.0), cid))
    return found


@dataclass(frozen=True)
class LabelRow:
    """One line of the per-label table."""

    label: str
    decided: int
    right: int
    wrong: int
    precision: float | None
    threshold: float
    raised: dict | None


@dataclass(frozen=True)
class Status:
    """What the dashboard and `lapor model monitor` show."""

    model_version: str | None
    model_threshold: float | None
    overall: rw.Figures
    rows: list[LabelRow]
    raised: dict[str, dict] = field(default_factory=dict)
    target: float = rw.TARGET

    def as_json(self) -> dict:
        def pct(value):
            return round(value, 4) if value is not None else None

        return {
            "model_version": self.model_version,
            "model_threshold": self.model_threshold,
            "target": self.target,
            "window": {"overall": rw.WINDOW, "per_label": rw.PER_LABEL},
            "overall": {
                "decided": self.overall.decided,
                "right": self.overall.right,
                "wrong": self.overall.wrong,
                "precision": pct(self.overall.precision),
            },
            "labels": [
                {
                    "label": r.label,
                    "decided": r.decided,
                    "right": r.right,
                    "wrong": r.wrong,
                    "precision": pct(r.precision),
                    # Thresholds sit close to 1: four decimals would hide a raise.
                    "threshold": round(r.threshold, 6),
                    "raised": r.raised,
                }
                for r in self.rows
            ],
        }


def _model(settings: Settings) -> tuple[str | None, float | None]:
    store = routing.model_store(settings)
    version = store.current_version()
    if version is None:
        return None, None
    try:
        return version, float(store.metadata(version).get("threshold", 1.0))
    except ModelError:  # a pointer to a missing model: the router sends everything to triage
        return None, None


def _watch(session: Session, *, lock: bool = False) -> rw.Watch:
    row = session.get(RegionSetting, rw.KEY, with_for_update=lock)
    return rw.Watch.from_document(row.data if row is not None else None)


def status(session: Session, settings: Settings) -> Status:
    """The live precision of the current model's auto-routing, and the thresholds in force."""
    version, threshold = _model(settings)
    if version is None:
        return Status(None, None, rw.figures([]), [])
    rep = rw.report(facts(session, version))
    watch = _watch(session)
    raised = {k: v for k, v in watch.raised.items() if watch.model_version == version}
    labels = {f.label: f for f in rep.labels}
    rows = [
        LabelRow(
            label,
            (fig := labels.get(label, rw.Figures(label, 0, 0))).decided,
            fig.right,
            fig.wrong,
            fig.precision,
            rw.threshold_in_force(threshold, watch, version, label),
            raised.get(label),
        )
        for label in sorted(set(labels) | set(raised))
    ]
    return Status(version, threshold, rep.overall, rows, raised)


def watch(settings: Settings, *, now: datetime) -> list[rw.Step]:
    """Measure, and raise (or lift) thresholds as the live precision calls for; one
    transaction, safe to run again (the same facts make no further change)."""
    version, threshold = _model(settings)
    if version is None:
        return []

    def work(session: Session) -> list[rw.Step]:
        changes.lock(session)
        before = _watch(session, lock=True)
        rep = rw.report(facts(session, version))
        after, steps = rw.decide(
            before, rep, model_version=version, model_threshold=threshold, now=now
        )
        if steps:
            _save(session, after, now)
            for step in steps:
                _record(session, step, version, now)
        return steps

    return db.run_in_transaction(settings, work)


def lift(settings: Settings, label: str, editor: changes.Editor, *, now: datetime) -> bool:
    """An admin takes a label's raise back; it is not raised again for this model. False when
    the label has no raise."""

    def work(session: Session) -> bool:
        changes.lock(session)
        before = _watch(session, lock=True)
        if label not in before.raised:
            return False
        old = float(before.raised[label]["threshold"])
        _save(session, rw.lifted(before, label), now)
        step = rw.Step("lift", label, old, None)
        _record(session, step, before.model_version, now, editor)
        return True

    return db.run_in_transaction(settings, work)


def _save(session: Session, watch: rw.Watch, now: datetime) -> None:
    row = session.get(RegionSetting, rw.KEY)
    if row is None:
        row = RegionSetting(key=rw.KEY, data=watch.as_document(), updated_at=now)
    else:
        row.data, row.updated_at = copy.deepcopy(watch.as_document()), now
    session.add(row)


def _record(
    session: Session,
    step: rw.Step,
    version: str | None,
    now: datetime,
    editor: changes.Editor = SYSTEM,
) -> None:
    """The audit row of a step (raising the configuration version, so routers rebuild), and
    for a raise the admins' notice."""
    after = None
    if step.kind == "raise":
        after = {"threshold": step.after, "precision": _rounded(step.figures), "model": version}
    changes.record(
        session,
        editor,
        subject="routing",
        key=f"ambang:{step.label}",
        action=f"{step.kind}_threshold",
        before={"threshold": step.before} if step.before is not None else None,
        after=after,
        now=now,
    )
    if step.kind == "raise" and step.example_id is not None:
        session.add(_notice(step, now))


def _rounded(fig: rw.Figures | None) -> float | None:
    return round(fig.precision, 4) if fig and fig.precision is not None else None


def _notice(step: rw.Step, now: datetime) -> Notification:
    """The admins' in-app notice of a raise, on the newest wrongly routed complaint of it."""
    fig = step.figures
    subject = f"Ambang penentuan otomatis '{step.label}' dinaikkan ke {step.after:.2f}"
    body = (
        f"Ketepatan penentuan OPD untuk label '{step.label}': {fig.right} dari {fig.decided} "
        f"pengaduan terakhir tepat ({fig.precision:.0%}), di bawah target {rw.TARGET:.0%}. "
        f"Pengaduan label ini kini diteruskan otomatis hanya bila keyakinan model minimal "
        f"{step.after:.2f} (sebelumnya {step.before:.2f}); sisanya ke verifikasi. Kenaikan "
        "berlaku sampai model baru aktif, dan dapat dikembalikan di dasbor."
    )
    return Notification(
        complaint_id=step.example_id,
        kind=NOTICE_KIND,
        channel="inapp",
        subject=subject[:200],
        body=body,
        status=N.SENT,
        created_at=now,
        sent_at=now,
    )
