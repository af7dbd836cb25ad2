"""The geometry of the small SVG charts the pages draw without a script: a bar per period for
a count (left axis) and a line for a share of it (right axis, 0–100 %)."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Box:
    """The plot area inside the chart's viewBox."""

    left: float
    right: float
    top: float
    bottom: float


def bars_and_line(counts: list[int], shares: list[float | None], box: Box, bar: float) -> dict:
    """Bars for `counts` and a line through `shares` (None leaves a period out of the line);
    `bar` is the share of each period's width its bar takes. Bars keep the periods' order."""
    highest = max(counts, default=0) or 1
    step = (box.right - box.left) / max(len(counts), 1)
    height = box.bottom - box.top
    bars, points = [], []
    for i, (count, share) in enumerate(zip(counts, shares, strict=True)):
        tall = height * count / highest
        middle = round(box.left + i * step + step / 2, 1)
        bars.append(
            {
                "x": round(box.left + i * step + step * (1 - bar) / 2, 1),
                "y": round(box.bottom - tall, 1),
                "w": round(step * bar, 1),
                "h": round(tall, 1),
                "middle": middle,
            }
        )
        if share is not None:
            points.append((middle, round(box.bottom - height * share, 1)))
    # Whole numbers on the count axis: 0, the middle when it is whole, the top.
    values = sorted({0, highest // 2 if highest % 2 == 0 else 0, highest})
    return {
        "bars": bars,
        "points": points,
        "line": " ".join(f"{x},{y}" for x, y in points),
        "ticks": [{"y": round(box.bottom - height * v / highest, 1), "value": v} for v in values],
        "box": asdict(box),
    }
