"""URL converters of every route, and the one reading of a typed decimal number."""

from __future__ import annotations

import math

from werkzeug.routing import IntegerConverter

LARGEST_ROW_ID = 2**31 - 1  # the ids are INTEGER columns (PostgreSQL's four bytes)


class RowId(IntegerConverter):
    """`<int:…>` in every route: a row id, never past the largest key a database can hold (a
    bigger number is a page that does not exist, not an overflow deep in the driver)."""

    def __init__(self, map, *args, **kwargs) -> None:
        kwargs.setdefault("max", LARGEST_ROW_ID)
        super().__init__(map, *args, **kwargs)


def decimal_number(raw: str | None) -> float | None:
    """A finite number typed with a point or a comma ("-2,21"), or None for anything else."""
    try:
        value = float((raw or "").strip().replace(",", "."))
    except ValueError:
        return None
    return value if math.isfinite(value) else None
