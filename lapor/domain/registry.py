"""The rules of the region's OPD registry: what an OPD entry must look like, and an escalation
chain without loops. The fields have the names of agencies.yaml."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass

from lapor.domain.errors import DomainError, FieldProblem, ValidationFailed
from models import AgencyKind

CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{1,39}$")
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
FIELDS = ("code", "name", "short_name", "kind", "parent", "email", "telegram_chat", "active")
# Every kind but the head of the region and outside bodies hangs under a parent.
NEED_PARENT = frozenset(AgencyKind) - {AgencyKind.PIMPINAN, AgencyKind.EXTERNAL}
# A chain longer than this is a mistake in the data (the real ones are three or four deep).
MAX_DEPTH = 12


@dataclass(frozen=True)
class AgencyEntry:
    """One OPD or outside body as the registry describes it."""

    code: str
    name: str
    short_name: str
    kind: AgencyKind
    parent: str | None = None
    email: str | None = None
    telegram_chat: int | None = None
    active: bool = True

    def as_dict(self) -> dict[str, object]:
        """The entry with the field names of agencies.yaml."""
        values = asdict(self)
        values["kind"] = self.kind.value
        return values


def entry_from(values: Mapping[str, object], base: AgencyEntry | None = None) -> AgencyEntry:
    """Check an entry's fields (all of them, or the changed ones over `base`); every problem
    is named by its field."""
    problems: dict[str, FieldProblem] = {}
    unknown = sorted(set(values) - set(FIELDS))
    for name in unknown:
        problems[name] = FieldProblem("unknown_field", f"Kolom tidak dikenal: {name}.")
    merged = {**(base.as_dict() if base else {}), **values}
    checked = {name: _check(name, merged.get(name), problems) for name in FIELDS}
    if checked["kind"] == AgencyKind.EXTERNAL and checked["parent"]:
        problems["parent"] = FieldProblem(
            "external_parent", "Instansi luar tidak berada dalam rantai eskalasi (tanpa induk)."
        )
    elif checked["kind"] in NEED_PARENT and not checked["parent"] and "parent" not in problems:
        # Without a parent an OPD would be a second top of the region: its late complaints
        # would never climb to the head of the region.
        problems["parent"] = FieldProblem(
            "parent_required",
            "OPD daerah wajib punya induk dalam rantai eskalasi (mis. SETDA); hanya pimpinan "
            "daerah dan instansi luar yang tanpa induk.",
        )
    if base is not None and checked["code"] != base.code:
        problems["code"] = FieldProblem("code_fixed", "Kode OPD tidak dapat diubah.")
    if problems:
        raise ValidationFailed(problems)
    if not checked["short_name"]:
        checked["short_name"] = checked["name"][:80]
    return AgencyEntry(**checked)


def _check(name: str, value: object, problems: dict[str, FieldProblem]) -> object:
    try:
        return CHECKS[name](value)
    except _Bad as bad:
        problems[name] = FieldProblem(bad.code, bad.message)
        return None


class _Bad(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _code(value: object) -> str:
    code = _text(value).upper()
    if not CODE.match(code):
        raise _Bad(
            "invalid_code",
            "Kode OPD 2–40 karakter: huruf besar, angka, strip atau garis bawah.",
        )
    return code


def _name(value: object) -> str:
    name = _text(value)
    if not 3 <= len(name) <= 200:
        raise _Bad("invalid_name", "Nama OPD wajib diisi, 3–200 karakter.")
    return name


def _short_name(value: object) -> str:
    name = _text(value)
    if len(name) > 80:
        raise _Bad("too_long", "Nama singkat paling banyak 80 karakter.")
    return name


def _kind(value: object) -> AgencyKind:
    try:
        return AgencyKind(_text(value).lower())
    except ValueError as exc:
        kinds = ", ".join(k.value for k in AgencyKind)
        raise _Bad("invalid_kind", f"Jenis OPD tidak dikenal. Pilih: {kinds}.") from exc


def _parent(value: object) -> str | None:
    if value is None or _text(value) == "":
        return None
    return _code(value)


def _email(value: object) -> str | None:
    email = _text(value)
    if not email:
        return None
    if len(email) > 254 or not EMAIL.match(email):
        raise _Bad("invalid_email", "Alamat email tidak valid.")
    return email


def _telegram_chat(value: object) -> int | None:
    if value is None or _text(value) == "" and not isinstance(value, int):
        return None
    text = str(value).strip()
    digits = text[1:] if text.startswith("-") else text
    if isinstance(value, bool) or not (digits.isascii() and digits.isdigit()) or len(digits) > 18:
        raise _Bad("invalid_telegram_chat", "ID obrolan Telegram berupa bilangan bulat.")
    return int(text)


def _active(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, bool):
        return value
    raise _Bad("invalid_active", "Kolom active bernilai true atau false.")


CHECKS: dict[str, Callable[[object], object]] = {
    "code": _code,
    "name": _name,
    "short_name": _short_name,
    "kind": _kind,
    "parent": _parent,
    "email": _email,
    "telegram_chat": _telegram_chat,
    "active": _active,
}


def check_parent(
    code: str,
    parent: str | None,
    parent_of: Callable[[str], str | None],
    kind_of: Callable[[str], AgencyKind | None],
    inactive: Callable[[str], bool] = lambda _code: False,
) -> None:
    """Refuse a parent that is unknown, an outside body, inactive (an escalation would reach
    no one), or that would close a loop in the escalation chain (the chain must end at the
    top of the region)."""
    if parent is None:
        return
    if inactive(parent):
        raise ValidationFailed(
            {
                "parent": FieldProblem(
                    "inactive_parent", f"Induk '{parent}' sudah nonaktif: pilih OPD yang aktif."
                )
            }
        )
    kind = kind_of(parent)
    if kind is None:
        raise ValidationFailed(
            {"parent": FieldProblem("unknown_parent", f"Induk '{parent}' tidak ada di daftar OPD.")}
        )
    if kind == AgencyKind.EXTERNAL:
        raise ValidationFailed(
            {"parent": FieldProblem("external_parent", "Instansi luar tidak dapat menjadi induk.")}
        )
    current: str | None = parent
    for _ in range(MAX_DEPTH):
        if current == code:
            raise ValidationFailed(
                {
                    "parent": FieldProblem(
                        "cycle",
                        f"'{parent}' tidak dapat menjadi induk {code}: rantai eskalasi akan "
                        f"berputar kembali ke {code}.",
                    )
                }
            )
        current = parent_of(current)
        if current is None:
            return
    raise DomainError(
        f"Rantai induk di atas {parent} lebih dari {MAX_DEPTH} tingkat.", code="chain_too_deep"
    )
