"""The languages people read Lapor in, and how a text written in Python gets its English.

Every text is written once, in Indonesian, where it arises. Its English is in the one catalog
(lapor/translations/en/LC_MESSAGES/messages.po), keyed by the Indonesian text, as for the
templates. A text in Python is marked with `N_` so that pybabel extracts it (babel.cfg), and
is translated where it is shown: by Flask-Babel on a page, and by a `Translate` its caller
gives the domain in a message (lapor.infra.translations reads the catalog with Babel).
"""

from __future__ import annotations

from collections.abc import Callable

LANGUAGES = ("id", "en")
DEFAULT = "id"

# (Indonesian text, language) -> the text in that language.
Translate = Callable[[str, str], str]


def N_(text: str) -> str:
    """Mark an Indonesian text for the catalog; it is translated where it is shown."""
    return text


def as_written(text: str, language: str) -> str:
    """No translation: every text stays as written (in Indonesian)."""
    return text


def chosen(language: str | None) -> str:
    """One of LANGUAGES: Indonesian unless English was asked for."""
    return language if language in LANGUAGES else DEFAULT
