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
