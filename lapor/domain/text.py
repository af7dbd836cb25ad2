"""Free text as people type it, made safe to store: one normal form, no control characters
(PostgreSQL refuses NUL in text), blanks trimmed."""

from __future__ import annotations

import re
import unicodedata

# Control characters, and lone surrogates (a JSON "\ud800" escape: no character, and no
# database can store one).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def clean_text(value: object, *, multiline: bool = False) -> str:
    """Unicode-normalised text without control characters or surrounding blanks."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFC", str(value)).replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    if not multiline:
        text = " ".join(text.split())
    return text.strip()


def excerpt(text: str, limit: int = 80) -> str:
    """The text shortened to at most `limit` characters at a word's end, with "…" when cut
    (a title made from the text never ends mid-word: "…sudah tiga b")."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    # Back to the last blank, unless the first word alone is longer than the limit.
    if not text[limit - 1].isspace() and " " in cut:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,.;:-—") + "…"
