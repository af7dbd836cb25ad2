"""The learning-from-corrections replay (bench/learning.py) on a small sample of the data."""

import importlib.util
import sys
from pathlib import Path

import pytest

from lapor.routing.dataset import SHIPPED, read_examples

BENCH = Path(__file__).resolve().parent.parent / "bench" / "learning.py"


def load_bench():
    """bench/ is not an installed package: load the script as a module."""
    spec = importlib.util.spec_from_file_location("bench_learning", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


learning = load_bench()


@pytest.fixture(scope="module")
def sample():
    return learning.subsample(read_examples(SHIPPED), 600, seed=0)


@pytest.fixture(scope="module")
def replayed(sample):
    return learning.replay(sample, weeks=3)


def test_weeks_split_the_stream_without_loss(sample):
    initial, stream = learning.split_weeks(sample, 3)
    assert len(stream) == 3
    assert len(initial) + sum(len(batch) for _, batch in stream) == len(sample)
    for start, batch in stream:
        assert all(start <= learning.moment(e) < start + learning.WEEK for e in batch)
    assert all(learning.moment(e) < stream[0][0] for e in initial)


def test_figures_are_sane(replayed):
    weeks, overall = replayed
    assert len(weeks) == 3
    for week in weeks:
        assert week.n > 0 and 0 <= week.verified <= week.n
        for figures in (week.frozen, week.retrained):
            for name in ("macro_f1", "accuracy", "coverage", "precision"):
                assert 0.0 <= figures[name] <= 1.0
    # Every complaint the learning model did not auto-route was verified.
    for week in weeks:
        assert week.verified == round(week.n * (1 - week.retrained["coverage"]))
    assert set(overall) == {"frozen", "retrained"}
    for arm in ("frozen", "retrained"):
        assert weeks[-1].running_macro_f1[arm] == pytest.approx(overall[arm]["macro_f1"])
    assert 0.0 <= overall["retrained"]["coverage"] <= 1.0


def test_the_retrained_model_learns_the_verified_complaints(replayed, sample):
    weeks, _ = replayed
    initial, _ = learning.split_weeks(sample, 3)
    assert sum(week.verified for week in weeks) > 0
    assert weeks[0].train_size == len(initial)
    for before, after in zip(weeks, weeks[1:], strict=False):
        assert after.train_size == before.train_size + before.verified
    # The first week is routed by the same initial model either way.
    assert weeks[0].frozen == weeks[0].retrained


def test_markdown_table_and_curves(replayed, tmp_path):
    weeks, overall = replayed
    text = learning.table(weeks, overall, markdown=True)
    lines = text.splitlines()
    assert len(lines) == 2 + len(weeks) + 1 and lines[-1].startswith("| all weeks |")
    pytest.importorskip("matplotlib")
    assert learning.plot(weeks, tmp_path / "learning.png")
    assert (tmp_path / "learning.png").read_bytes().startswith(b"\x89PNG")
