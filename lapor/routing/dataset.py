"""Labelled complaints for training and evaluation, read from CSV files."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from lapor.routing.text import mask_personal_data

KEWILAYAHAN = "Kewilayahan (kelurahan/kecamatan)"
LAINNYA = "Lainnya"
MIN_LABEL_ROWS = 30
SHIPPED = Path(__file__).resolve().parent.parent / "data" / "routing" / "surabaya-2022.csv.gz"

csv.field_size_limit(10_000_000)


class DatasetError(ValueError):
    """A file that cannot be read as labelled complaints."""


@dataclass(frozen=True)
class Example:
    text: str
    label: str
    submitted_at: str = ""
    # A person's routing decision on a complaint the model was unsure of or got wrong: taught
    # from, but not part of the period the threshold is chosen on (estimator.recent_split).
    correction: bool = False


def routing_label(agency: str) -> str:
    """Rule 1 of the label set: every kelurahan and kecamatan office is one label."""
    agency = agency.strip()
    if agency.startswith(("Kelurahan ", "Kecamatan ")):
        return KEWILAYAHAN
    return agency


def derive_labels(agencies: Sequence[str], known: Iterable[str] | None = None) -> list[str]:
    """The routing labels of handling offices: rule 1, then rule 2 (rare offices: Lainnya).

    With `known` (a model's label set) an office outside it becomes Lainnya instead, so a
    later evaluation file is labelled the way the model was trained.
    """
    labels = [routing_label(a) for a in agencies]
    if known is not None:
        keep = set(known)
    else:
        keep = {label for label, n in Counter(labels).items() if n >= MIN_LABEL_ROWS}
    return [label if label in keep else LAINNYA for label in labels]


def _open_text(path: Path) -> io.TextIOBase:
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", newline="")
    return path.open(encoding="utf-8-sig", newline="")


def read_examples(path: Path, known_labels: Iterable[str] | None = None) -> list[Example]:
    """Rows of a CSV with `text` and either `label` or `agency` (the complaints.csv format)."""
    try:
        with _open_text(Path(path)) as handle:
            reader = csv.DictReader(handle)
            columns = set(reader.fieldnames or [])
            rows = list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DatasetError(f"Berkas {path} tidak dapat dibaca: {exc}") from exc
    if "text" not in columns or not ({"label", "agency"} & columns):
        raise DatasetError(f"{path}: perlu kolom 'text' dan 'label' (atau 'agency').")
    if "label" in columns:
        labels = [row["label"].strip() for row in rows]
    else:
        labels = derive_labels([row["agency"] for row in rows], known_labels)
    return [
        Example(row["text"] or "", label, row.get("submitted_at") or "")
        for row, label in zip(rows, labels, strict=True)
        if label
    ]


def read_texts(path: Path) -> list[str]:
    """The `text` column of a CSV, in order (other columns ignored)."""
    try:
        with _open_text(Path(path)) as handle:
            reader = csv.DictReader(handle)
            if "text" not in (reader.fieldnames or []):
                raise DatasetError(f"{path}: tidak ada kolom 'text'.")
            return [row["text"] or "" for row in reader]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DatasetError(f"Berkas {path} tidak dapat dibaca: {exc}") from exc


def write_shipped(examples: Sequence[Example], path: Path = SHIPPED) -> None:
    """Write the training data the project ships: masked text, label, submission time."""
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["text", "label", "submitted_at"])
    for example in examples:
        writer.writerow([mask_personal_data(example.text), example.label, example.submitted_at])
    # mtime=0 keeps the file byte-identical when the data is unchanged.
    path.write_bytes(gzip.compress(buffer.getvalue().encode("utf-8"), mtime=0))


def data_hash(examples: Sequence[Example]) -> str:
    """A short fingerprint of a training set (texts and labels, in order)."""
    digest = hashlib.sha256()
    for example in examples:
        digest.update(example.text.encode())
        digest.update(b"\x1f")
        digest.update(example.label.encode())
        digest.update(b"\x1e")
    return digest.hexdigest()[:16]
