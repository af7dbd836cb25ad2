"""Which uploaded files Lapor accepts, judged by their content, never by their name."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_FILES = 5


@dataclass(frozen=True)
class FileKind:
    content_type: str
    extension: str


JPEG = FileKind("image/jpeg", ".jpg")
PNG = FileKind("image/png", ".png")
WEBP = FileKind("image/webp", ".webp")
PDF = FileKind("application/pdf", ".pdf")


def sniff(content: bytes) -> FileKind | None:
    """The accepted kind the bytes really are (photo or PDF), or None."""
    if content.startswith(b"\xff\xd8\xff"):
        return JPEG
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if len(content) >= 12 and content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return WEBP
    if content.startswith(b"%PDF-"):
        return PDF
    return None


_UNSAFE = re.compile(r"[^\w.\- ]+")


def safe_filename(raw: str, kind: FileKind) -> str:
    """A display name without directories or odd characters, ending in the real extension."""
    name = unicodedata.normalize("NFKC", raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    stem = name.rsplit(".", 1)[0] if "." in name else name
    stem = _UNSAFE.sub("_", stem).strip(" ._")[:80] or "lampiran"
    return stem + kind.extension
