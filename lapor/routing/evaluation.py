"""Forward-chaining evaluation: the model as a deployment lives with it.

For each test month, a model is trained on every earlier month and scored on that month's
complaints (minus texts it saw in training), at the auto-route threshold it chose for itself.
Random folds mix next quarter's wording into training; this protocol does not.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from lapor.routing.dataset import Example
from lapor.routing.model import Progress, TrainedModel, duplicate_groups, evaluate, train

Trainer = Callable[[Sequence[Example]], TrainedModel]
FIGURES = ("macro_f1", "accuracy", "auto_precision", "auto_coverage")


@dataclass
class MonthResult:
    month: str
    n_train: int
    n_test: int
    macro_f1: float
    accuracy: float
    threshold: float
    auto_precision: float
    auto_coverage: float

    def row(self) -> dict:
        return {k: round(v, 4) if isinstance(v, float) else v for k, v in vars(self).items()}


def month(example: Example) -> str:
    """The example's submission month, `YYYY-MM` ("" without a time)."""
    return example.submitted_at[:7]


def forward_months(examples: Sequence[Example], last: int = 12) -> list[str]:
    """The last `last` months of the data (never the first: something must train)."""
    months = sorted({month(e) for e in examples if month(e)})
    return months[1:][-last:]


def default_trainer(examples: Sequence[Example]) -> TrainedModel:
    return train(examples, now=datetime.now(UTC))


def forward_evaluation(
    examples: Sequence[Example],
    months: Sequence[str] | None = None,
    trainer: Trainer = default_trainer,
    progress: Progress = lambda _msg: None,
) -> list[MonthResult]:
    """Train on the months before each test month, score on it at the model's threshold."""
    groups = duplicate_groups(examples)
    results = []
    for current in months if months is not None else forward_months(examples):
        training = [e for e in examples if month(e) and month(e) < current]
        seen = {groups[i] for i, e in enumerate(examples) if month(e) and month(e) < current}
        test = [e for i, e in enumerate(examples) if month(e) == current and groups[i] not in seen]
        progress(f"{current}: melatih pada {len(training)}, menguji {len(test)}")
        model = trainer(training)
        # A label the model could not learn yet still counts: its complaints are errors.
        scored = evaluate(model, test, model.threshold)
        results.append(
            MonthResult(
                month=current,
                n_train=len(training),
                n_test=scored.n,
                macro_f1=scored.macro_f1,
                accuracy=scored.accuracy,
                threshold=model.threshold,
                auto_precision=scored.auto_precision,
                auto_coverage=scored.auto_coverage,
            )
        )
    return results


def medians(results: Sequence[MonthResult]) -> dict[str, float]:
    """The median over months of each figure."""
    return {
        name: round(statistics.median(getattr(r, name) for r in results), 4) for name in FIGURES
    }
