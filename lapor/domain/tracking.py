"""Tracking codes: short, unguessable, and easy to read aloud or type from a phone."""

from __future__ import annotations

import re
import secrets

# 32 symbols without 0/O and 1/I, which people confuse when reading or typing: 50 bits a code.
ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
LENGTH = 10
_SEPARATORS = re.compile(r"[\s\-_.]+")
_VALID = re.compile(f"[{ALPHABET}]{{{LENGTH}}}")


def new_code() -> str:
    """A fresh random tracking code."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalize(raw: str) -> str | None:
    """The canonical code for what a person typed (any case, spaces or dashes), or None."""
    code = _SEPARATORS.sub("", raw or "").upper()
    return code if _VALID.fullmatch(code) else None


def display(code: str) -> str:
    """The code in two groups of five, the way it is printed for people: ABCDE-FGHJK."""
    return f"{code[:5]}-{code[5:]}"


def display_typed(raw: str) -> str:
    """What a person typed, as a code when it is one, otherwise as they typed it (cut short)."""
    code = normalize(raw)
    return display(code) if code else raw[:40]
