"""Learning from corrections: replay the last weeks of the routing data as a stream.

    python bench/learning.py [--weeks 13] [--sample 0.2|2000] [--seed 0] [--markdown]
                             [--png docs/learning.png] [--data FILE]

The model is trained (lapor.routing.model.train) on every complaint before the replay starts.
Then, week by week, the week's complaints are routed by two models: the frozen initial model,
and the retrained one. The complaints the retrained model was unsure of (confidence below its
own auto-route threshold) are "verified" (their true label revealed, as a verifier would), and
the weekly retraining trains on the initial data plus every complaint verified so far, as
`lapor model retrain` adds corrections to the training set. Per week: macro-F1, accuracy,
coverage (share auto-routed) and auto-route precision of both models.

Auto-routed means confidence >= the model's threshold (as in model.score); the router's other
conditions (label mapped to an own OPD, known words) are left out. The retrained model is
always promoted (the retrain's promotion check, which trains two more models, is skipped).
Each retrain is a full `train`, so a run costs `weeks` trainings (13: about 3 minutes here).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from sklearn.metrics import f1_score

from lapor.routing import model as routing_model
from lapor.routing.dataset import SHIPPED, Example, read_examples

WEEK = timedelta(days=7)


@dataclass
class Week:
    start: str
    n: int
    verified: int
    train_size: int
    frozen: dict[str, float]
    retrained: dict[str, float]
    # Macro-F1 over all weeks up to this one (a weekly figure over ~25 labels is noisy).
    running_macro_f1: dict[str, float]


def moment(example: Example) -> datetime:
    """An example's submission time, timezone-aware (naive times are taken as UTC)."""
    when = datetime.fromisoformat(example.submitted_at)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def subsample(examples: Sequence[Example], sample: float, seed: int) -> list[Example]:
    """A fraction (<= 1) or a count (> 1) of the examples, drawn at random, kept in order."""
    count = round(sample * len(examples)) if sample <= 1 else int(sample)
    if count >= len(examples):
        return list(examples)
    keep = sorted(random.Random(seed).sample(range(len(examples)), count))
    return [examples[i] for i in keep]


def split_weeks(
    examples: Sequence[Example], weeks: int
) -> tuple[list[Example], list[tuple[datetime, list[Example]]]]:
    """The examples before the replay, and the replay's weeks (the last one ends with the data)."""
    ordered = sorted(examples, key=moment)
    last = moment(ordered[-1])
    end = datetime(last.year, last.month, last.day, tzinfo=UTC) + timedelta(days=1)
    start = end - weeks * WEEK
    stream = [(start + i * WEEK, []) for i in range(weeks)]
    initial = []
    for example in ordered:
        when = moment(example)
        if when < start:
            initial.append(example)
        else:
            stream[(when - start) // WEEK][1].append(example)
    return initial, stream


@dataclass
class Routed:
    """One model's decisions on a week: predicted labels and which were auto-routed."""

    predicted: np.ndarray
    auto: np.ndarray
    evaluation: routing_model.Evaluation


def route(trained: routing_model.TrainedModel, examples: Sequence[Example]) -> Routed:
    """The model's decisions and scores on a week's complaints."""
    proba = trained.probabilities([e.text for e in examples])
    labels = np.array(trained.labels)
    truth = [e.label for e in examples]
    evaluation = routing_model.score(proba, labels, truth, trained.threshold)
    return Routed(labels[proba.argmax(axis=1)], proba.max(axis=1) >= trained.threshold, evaluation)


def figures(evaluation: routing_model.Evaluation) -> dict[str, float]:
    return {
        "macro_f1": evaluation.macro_f1,
        "accuracy": evaluation.accuracy,
        "coverage": evaluation.auto_coverage,
        "precision": evaluation.auto_precision,
        "threshold": evaluation.threshold,
    }


def pooled(truth: Sequence[str], decisions: Sequence[Routed]) -> dict[str, float]:
    """The figures over all replayed weeks at once (each week routed by its own model)."""
    truth = np.asarray(truth)
    predicted = np.concatenate([d.predicted for d in decisions])
    auto = np.concatenate([d.auto for d in decisions])
    correct = predicted == truth
    return {
        "macro_f1": float(f1_score(truth, predicted, average="macro", zero_division=0)),
        "accuracy": float(correct.mean()),
        "coverage": float(auto.mean()),
        "precision": float(correct[auto].mean()) if auto.any() else 1.0,
    }


def replay(
    examples: Sequence[Example], weeks: int, log: Callable[[str], None] = lambda _msg: None
) -> tuple[list[Week], dict[str, dict[str, float]]]:
    """Week-by-week figures of the frozen and the retrained model, and pooled over the replay."""
    initial, stream = split_weeks(examples, weeks)
    log(f"initial model: {len(initial)} complaints before {stream[0][0]:%Y-%m-%d}")
    frozen = routing_model.train(initial, now=stream[0][0])
    current, verified, trained_on = frozen, [], 0
    results: list[Week] = []
    truth: list[str] = []
    decisions: dict[str, list[Routed]] = {"frozen": [], "retrained": []}
    for start, batch in stream:
        if not batch:
            continue
        if len(verified) > trained_on:
            # The weekly retrain: the initial data plus every complaint verified so far.
            current, trained_on = routing_model.train(initial + verified, now=start), len(verified)
        still, learning = route(frozen, batch), route(current, batch)
        # What a verifier decided is a correction: taught from, not part of the threshold's
        # period (as lapor.routing.service marks people's decisions).
        new = [
            replace(e, correction=True)
            for e, auto in zip(batch, learning.auto, strict=True)
            if not auto
        ]
        verified += new
        truth += [e.label for e in batch]
        decisions["frozen"].append(still)
        decisions["retrained"].append(learning)
        week = Week(
            f"{start:%Y-%m-%d}",
            len(batch),
            len(new),
            len(initial) + trained_on,
            figures(still.evaluation),
            figures(learning.evaluation),
            {name: pooled(truth, routed)["macro_f1"] for name, routed in decisions.items()},
        )
        results.append(week)
        log(
            f"{week.start}: {week.n} complaints, trained on {week.train_size}, "
            f"macro-F1 {week.frozen['macro_f1']:.3f} -> {week.retrained['macro_f1']:.3f}, "
            f"{week.verified} verified"
        )
    return results, {name: pooled(truth, routed) for name, routed in decisions.items()}


COLUMNS = ("macro_f1", "accuracy", "coverage", "precision", "threshold")


def table(weeks: Sequence[Week], overall: dict[str, dict[str, float]], markdown: bool) -> str:
    """The week-by-week figures, frozen / retrained, as plain text or Markdown."""
    head = ["week", "n", "train", "verified", *(f"{c} (frozen / retrained)" for c in COLUMNS)]
    rows = [
        [
            w.start,
            str(w.n),
            str(w.train_size),
            str(w.verified),
            *(f"{w.frozen[c]:.3f} / {w.retrained[c]:.3f}" for c in COLUMNS),
        ]
        for w in weeks
    ]
    total = [sum(w.n for w in weeks), sum(w.verified for w in weeks)]
    rows.append(
        [
            "all weeks",
            str(total[0]),
            "",
            str(total[1]),
            *(f"{overall['frozen'][c]:.3f} / {overall['retrained'][c]:.3f}" for c in COLUMNS[:-1]),
            "",
        ]
    )
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
        return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in [head, *rows]
    )


def plot(weeks: Sequence[Week], path: Path) -> bool:
    """Macro-F1, coverage and auto-route precision per week, as a PNG; False without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    x = [w.start[5:] for w in weeks]  # month-day of each week's first day
    titles = {
        "macro_f1": "macro-F1 of the week",
        "running": "macro-F1 of the weeks so far",
        "coverage": "coverage (share auto-routed)",
        "precision": "auto-route precision",
    }
    figure, axes = plt.subplots(1, 4, figsize=(16, 3.8), sharex=True)
    for ax, (key, title) in zip(axes, titles.items(), strict=True):
        for arm, style, colour in (("frozen", "o--", "grey"), ("retrained", "o-", "tab:blue")):
            values = [
                w.running_macro_f1[arm] if key == "running" else getattr(w, arm)[key] for w in weeks
            ]
            ax.plot(x, values, style, color=colour, label=arm)
        ax.set_title(title)
        ax.grid(alpha=0.3)
        ax.tick_params(axis="x", labelrotation=60, labelsize=8)
    lowest = min(min(w.frozen["precision"], w.retrained["precision"]) for w in weeks)
    axes[3].set_ylim(min(0.85, lowest - 0.02), 1.01)
    axes[3].axhline(routing_model.TARGET_PRECISION, color="tab:red", lw=0.8, ls=":", label="target")
    axes[3].legend()
    figure.supxlabel("week starting (month-day)", fontsize=9)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", type=Path, default=SHIPPED, help="CSV with text,label,submitted_at"
    )
    parser.add_argument("--weeks", type=int, default=13, help="weeks replayed (default 13)")
    parser.add_argument("--sample", type=float, help="fraction (<= 1) or count of rows to use")
    parser.add_argument("--seed", type=int, default=0, help="seed of --sample")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    parser.add_argument("--png", type=Path, help="write the curves to this PNG (matplotlib)")
    args = parser.parse_args()
    examples = read_examples(args.data)
    if args.sample:
        examples = subsample(examples, args.sample, args.seed)
    started = time.perf_counter()
    weeks, overall = replay(examples, args.weeks, log=lambda msg: print(msg, file=sys.stderr))
    print(table(weeks, overall, args.markdown))
    print(f"\n{len(examples)} rows, {args.weeks} weeks, {time.perf_counter() - started:.0f} s")
    if args.png:
        made = plot(weeks, args.png)
        print(f"curves: {args.png}" if made else "matplotlib is not installed: no PNG")


if __name__ == "__main__":
    main()
