"""The router watching itself: live precision of auto-routing, read from what staff did with
the complaints it sent, and the per-label threshold raise it calls for.

An auto-routed complaint that an OPD answered was routed right; one handed on to another OPD,
forwarded out of the region or archived as not a complaint was a routing error (a duplicate
says nothing about where it belonged, and a complaint nobody has decided on yet does not
count). The raises are a region document (`KEY`) tied to the model they were measured on: a
new current model makes them void.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

KEY = "routing_watch"  # the region_setting document of the raises
TARGET = 0.95  # the precision auto-routing promises
WINDOW = 200  # the last decided auto-routed complaints the overall figure counts
PER_LABEL = 30  # … and each label's
MIN_SAMPLE = 20  # fewer decided complaints of a label say too little to raise its threshold
PAUSED = 1.0  # a raise to this stops auto-routing the label (no confidence reaches past it)

# The first of these after the routing decides whether it was right.
RIGHT_ACTIONS = frozenset({"respond", "resolve"})
WRONG_ACTIONS = frozenset({"transfer", "forward", "verify", "reject"})
DECISIVE_ACTIONS = RIGHT_ACTIONS | WRONG_ACTIONS
# Archived as a duplicate: the router could not have known, whichever OPD it chose.
NEUTRAL_REASONS = frozenset({"duplicate"})


class Outcome(StrEnum):
    RIGHT = "right"
    WRONG = "wrong"


@dataclass(frozen=True)
class Fact:
    """One decided auto-routed complaint (newest first in every list of them)."""

    label: str
    outcome: Outcome
    confidence: float
    complaint_id: int | None = None


def outcome_of(action: str, data: Mapping | None, routed_to: str | None) -> Outcome | None:
    """What staff's first decisive action says of the routing; None when it says nothing."""
    data = data or {}
    if action in RIGHT_ACTIONS:
        return Outcome.RIGHT
    if action == "reject" and data.get("reason") in NEUTRAL_REASONS:
        return None
    if action == "verify" and data.get("agency") == routed_to:
        return Outcome.RIGHT
    return Outcome.WRONG if action in WRONG_ACTIONS else None


@dataclass(frozen=True)
class Figures:
    """Decided, right and wrong auto-routings of a label (or all), and the precision."""

    label: str | None
    decided: int
    right: int

    @property
    def wrong(self) -> int:
        return self.decided - self.right

    @property
    def precision(self) -> float | None:
        return self.right / self.decided if self.decided else None


def figures(facts: Sequence[Fact], label: str | None = None) -> Figures:
    return Figures(label, len(facts), sum(f.outcome == Outcome.RIGHT for f in facts))


@dataclass(frozen=True)
class Report:
    """The overall figure over the last WINDOW facts and each label's over its last PER_LABEL."""

    overall: Figures
    labels: list[Figures]
    windows: Mapping[str, list[Fact]]


def report(facts: Sequence[Fact], window: int = WINDOW, per_label: int = PER_LABEL) -> Report:
    """Figures from facts given newest first."""
    windows: dict[str, list[Fact]] = {}
    for fact in facts:
        mine = windows.setdefault(fact.label, [])
        if len(mine) < per_label:
            mine.append(fact)
    labels = [figures(windows[label], label) for label in sorted(windows)]
    return Report(figures(facts[:window]), labels, windows)


def threshold_holding(facts: Iterable[Fact], target: float = TARGET) -> float:
    """The lowest confidence at and above which these facts were right often enough (PAUSED
    when no such confidence exists)."""
    ranked = sorted(facts, key=lambda f: -f.confidence)
    best, right = PAUSED, 0
    for seen, fact in enumerate(ranked, start=1):
        right += fact.outcome == Outcome.RIGHT
        nxt = ranked[seen] if seen < len(ranked) else None
        # Only between distinct confidences: a threshold cannot split a tie.
        if right / seen >= target and (nxt is None or nxt.confidence < fact.confidence):
            best = fact.confidence
    return best


@dataclass(frozen=True)
class Watch:
    """The raises in force: per label the threshold, for one model version; labels an admin
    lifted stay unraised for that model."""

    model_version: str | None
    raised: Mapping[str, Mapping]
    waived: frozenset[str] = frozenset()

    @classmethod
    def from_document(cls, data: Mapping | None) -> Watch:
        data = data or {}
        return cls(
            data.get("model_version"),
            dict(data.get("raised") or {}),
            frozenset(data.get("waived") or ()),
        )

    def as_document(self) -> dict:
        return {
            "model_version": self.model_version,
            "raised": {label: dict(v) for label, v in sorted(self.raised.items())},
            "waived": sorted(self.waived),
        }

    def thresholds(self, model_version: str | None) -> dict[str, float]:
        """The raised thresholds that hold for this model (none for any other)."""
        if model_version is None or model_version != self.model_version:
            return {}
        return {label: float(v["threshold"]) for label, v in self.raised.items()}


def threshold_in_force(model_threshold: float, watch: Watch, version: str, label: str) -> float:
    """The router's threshold for a label: the model's, or the raise if higher."""
    return max(model_threshold, watch.thresholds(version).get(label, 0.0))


@dataclass(frozen=True)
class Step:
    """One change the watch makes: a label's threshold raised, or lifted."""

    kind: str  # "raise" | "lift"
    label: str
    before: float | None
    after: float | None
    figures: Figures | None = None
    example_id: int | None = None  # a wrongly routed complaint of the label, the newest


def decide(
    watch: Watch,
    rep: Report,
    *,
    model_version: str,
    model_threshold: float,
    now: datetime,
    target: float = TARGET,
    min_sample: int = MIN_SAMPLE,
) -> tuple[Watch, list[Step]]:
    """The raises for the current model: those of another model lifted; a label whose live
    precision is under the target, on enough complaints, raised to the confidence that
    would have held it. Deciding again on the same facts changes nothing."""
    steps: list[Step] = []
    if watch.model_version != model_version:
        steps += [
            Step("lift", label, float(v["threshold"]), None) for label, v in watch.raised.items()
        ]
        watch = Watch(model_version, {})
    raised = dict(watch.raised)
    for fig in rep.labels:
        if fig.label in watch.waived or fig.decided < min_sample or fig.precision >= target:
            continue
        facts = rep.windows[fig.label]
        before = max(model_threshold, float(raised.get(fig.label, {}).get("threshold", 0.0)))
        after = threshold_holding(facts, target)
        if after <= before:
            continue
        raised[fig.label] = {
            "threshold": after,  # exact: the router compares confidences with it
            "precision": round(fig.precision, 4),
            "decided": fig.decided,
            "at": now.isoformat(),
        }
        wrong = next((f.complaint_id for f in facts if f.outcome == Outcome.WRONG), None)
        steps.append(Step("raise", fig.label, before, after, fig, wrong))
    return Watch(model_version, raised, watch.waived), steps


def lifted(watch: Watch, label: str) -> Watch:
    """The watch without a label's raise, which stays off for this model (an admin's call)."""
    raised = {k: v for k, v in watch.raised.items() if k != label}
    return Watch(watch.model_version, raised, watch.waived | {label})
