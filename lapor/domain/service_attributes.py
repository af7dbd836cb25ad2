"""Open311 service definitions: the extra questions a service asks (`attribute[code]`).

A region's open311.yaml lists, per service_code, attributes in the GeoReport v2 shape
(code, datatype, required, datatype_description, order, description, values). This module
checks the file and checks what a client sends; it reads no files and knows no web.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from lapor.domain.errors import DomainError
from lapor.domain.timefmt import parse_w3c

DATATYPES = ("string", "number", "datetime", "text", "singlevaluelist", "multivaluelist")
LISTS = ("singlevaluelist", "multivaluelist")
LONGEST = {"string": 300, "text": 2000}
MAX_VALUE = 2000  # any one value a client sends, whatever its datatype
KEYS = {"code", "datatype", "required", "datatype_description", "order", "description"}
KEYS |= {"values", "variable"}
CODE = re.compile(r"^[A-Za-z0-9_.-]{1,60}$")
# `attribute[code]`, or `attribute[code][]` as some clients send a multivaluelist.
FIELD = re.compile(r"^attribute\[([^\]]*)\](\[\])?$")


class DefinitionError(ValueError):
    """An open311.yaml that breaks the format; the message names the place in the file."""


class InvalidAttributes(DomainError):
    """`attribute[...]` values a service's definition refuses; the message names each."""

    code = "invalid_attributes"


@dataclass(frozen=True)
class Value:
    key: str
    name: str


@dataclass(frozen=True)
class Attribute:
    """One question of a service definition, as the spec describes an attribute."""

    code: str
    datatype: str
    required: bool
    description: str
    datatype_description: str = ""
    order: int = 0
    values: tuple[Value, ...] = ()
    variable: bool = True

    def as_spec(self) -> dict:
        """The attribute in the spec's shape (values only for the list datatypes)."""
        shown = {
            "variable": self.variable,
            "code": self.code,
            "datatype": self.datatype,
            "required": self.required,
            "datatype_description": self.datatype_description or None,
            "order": self.order,
            "description": self.description,
        }
        if self.datatype in LISTS:
            shown["values"] = [{"key": v.key, "name": v.name} for v in self.values]
        return shown

    def name_of(self, key: str) -> str:
        """The name of a list value's key (the key itself if the file no longer has it)."""
        return next((v.name for v in self.values if v.key == key), key)


Definitions = Mapping[str, tuple[Attribute, ...]]


def definitions_from(data: object, where: str, known: Collection[str] | None = None) -> dict:
    """Every service's attributes (by service_code, in `order`) from the parsed open311.yaml;
    `known` (if given) are the service codes that exist."""
    if not isinstance(data, Mapping):
        raise DefinitionError(f"{where}: isinya harus pemetaan dengan kunci 'services'.")
    services = data.get("services") or {}
    if not isinstance(services, Mapping):
        raise DefinitionError(f"{where}: services harus pemetaan service_code → atribut.")
    found = {}
    for service, rows in services.items():
        place = f"{where}: services.{service}"
        if known is not None and str(service) not in known:
            raise DefinitionError(f"{place}: service_code ini tidak ada di daftar OPD wilayah.")
        if not isinstance(rows, list) or not rows:
            raise DefinitionError(f"{place}: harus daftar atribut yang tidak kosong.")
        attributes = [_attribute(row, f"{place}[{i}]") for i, row in enumerate(rows)]
        codes = [a.code for a in attributes]
        if len(set(codes)) != len(codes):
            raise DefinitionError(f"{place}: kode atribut ganda.")
        found[str(service)] = tuple(sorted(attributes, key=lambda a: a.order))
    return found


def _attribute(row: object, place: str) -> Attribute:
    if not isinstance(row, Mapping):
        raise DefinitionError(f"{place}: atribut harus pemetaan.")
    unknown = sorted(str(k) for k in set(row) - KEYS)
    if unknown:
        raise DefinitionError(f"{place}: kunci tidak dikenal: {', '.join(unknown)}.")
    code = str(row.get("code") or "")
    if not CODE.match(code):
        raise DefinitionError(f"{place}.code: wajib, huruf/angka/_.- saja (maks. 60).")
    place = f"{place} ({code})"
    datatype = row.get("datatype")
    if datatype not in DATATYPES:
        raise DefinitionError(f"{place}.datatype: salah satu dari {', '.join(DATATYPES)}.")
    for flag in ("required", "variable"):
        if flag in row and not isinstance(row[flag], bool):
            raise DefinitionError(f"{place}.{flag}: harus true atau false.")
    order = row.get("order", 0)
    if isinstance(order, bool) or not isinstance(order, int):
        raise DefinitionError(f"{place}.order: harus bilangan bulat.")
    description = row.get("description")
    if not isinstance(description, str) or not description.strip():
        raise DefinitionError(f"{place}.description: wajib diisi (teks).")
    values = _values(row.get("values"), datatype, place)
    return Attribute(
        code=code,
        datatype=datatype,
        required=bool(row.get("required", False)),
        description=description.strip(),
        datatype_description=str(row.get("datatype_description") or "").strip(),
        order=order,
        values=values,
        variable=bool(row.get("variable", True)),
    )


def _values(raw: object, datatype: str, place: str) -> tuple[Value, ...]:
    if datatype not in LISTS:
        if raw:
            raise DefinitionError(f"{place}.values: hanya untuk {' dan '.join(LISTS)}.")
        return ()
    if not isinstance(raw, list) or not raw:
        raise DefinitionError(f"{place}.values: wajib, daftar {{key, name}}.")
    values = []
    for i, entry in enumerate(raw):
        if not isinstance(entry, Mapping) or set(entry) != {"key", "name"}:
            raise DefinitionError(f"{place}.values[{i}]: harus tepat {{key, name}}.")
        key, name = str(entry["key"]).strip(), str(entry["name"]).strip()
        if not key or not name:
            raise DefinitionError(f"{place}.values[{i}]: key dan name wajib diisi.")
        values.append(Value(key, name))
    if len({v.key for v in values}) != len(values):
        raise DefinitionError(f"{place}.values: key ganda.")
    return tuple(values)


def sent_attributes(fields: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """The `attribute[code]` (and `attribute[code][]`) values of a form, by code, in order."""
    sent: dict[str, list[str]] = {}
    for name, value in fields:
        match = FIELD.match(name)
        if match is None and name.startswith("attribute["):
            sent.setdefault(name[len("attribute[") :], []).append(value)  # refused as unknown
        elif match is not None:
            sent.setdefault(match.group(1), []).append(value)
    return sent


def check(definitions: Iterable[Attribute], sent: Mapping[str, list[str]]) -> dict:
    """The values to store (code → text, or a list of keys for a multivaluelist), or
    InvalidAttributes naming every `attribute[code]` at fault."""
    by_code = {a.code: a for a in definitions if a.variable}
    problems = []
    unknown = sorted(code for code in sent if code not in by_code)
    if unknown:
        names = ", ".join(f"attribute[{code[:40]}]" for code in unknown[:10])
        problems.append(f"{names}: tidak dikenal untuk layanan ini.")
    stored: dict[str, str | list[str]] = {}
    for code, attribute in by_code.items():
        given = [v.strip() for v in sent.get(code, []) if v and v.strip()]
        if not given:
            if attribute.required:
                problems.append(f"attribute[{code}]: wajib diisi ({attribute.description}).")
            continue
        value, problem = _value(attribute, given)
        if problem:
            problems.append(f"attribute[{code}]: {problem}")
        else:
            stored[code] = value
    if problems:
        raise InvalidAttributes("; ".join(problems))
    return stored


def _value(attribute: Attribute, given: list[str]) -> tuple[str | list[str], str | None]:
    """The value to store, or what is wrong with it."""
    if any(len(v) > MAX_VALUE for v in given):
        return "", f"paling panjang {MAX_VALUE} karakter."
    if attribute.datatype == "multivaluelist":
        keys = {v.key for v in attribute.values}
        wrong = [v for v in given if v not in keys]
        if wrong:
            return "", f"nilai '{wrong[0][:40]}' tidak ada di daftar ({_keys(attribute)})."
        return list(dict.fromkeys(given)), None
    if len(given) > 1:
        return "", "hanya boleh satu nilai."
    [value] = given
    return value, _problem(attribute, value)


def _problem(attribute: Attribute, value: str) -> str | None:
    if attribute.datatype == "singlevaluelist":
        if value not in {v.key for v in attribute.values}:
            return f"nilai '{value[:40]}' tidak ada di daftar ({_keys(attribute)})."
    elif attribute.datatype == "number":
        if not _is_number(value):
            return "harus berupa angka (mis. 12 atau 3.5)."
    elif attribute.datatype == "datetime":
        if not _is_w3c(value):
            return "harus tanggal W3C dengan zona waktu, mis. 2026-12-01T08:00:00+07:00."
    elif len(value) > LONGEST[attribute.datatype]:
        return f"paling panjang {LONGEST[attribute.datatype]} karakter."
    return None


def _keys(attribute: Attribute) -> str:
    return ", ".join(v.key for v in attribute.values)


def _is_number(value: str) -> bool:
    try:
        return value.isascii() and math.isfinite(float(value))
    except ValueError:
        return False


def _is_w3c(value: str) -> bool:
    return "T" in value.upper() and parse_w3c(value) is not None


def shown(definitions: Iterable[Attribute], stored: Mapping[str, object] | None) -> list:
    """(description, value's name) pairs of stored values for staff, in the definition's
    order; values of attributes since gone from the file are shown by their code."""
    stored = dict(stored or {})
    pairs = []
    for attribute in definitions:
        if attribute.code in stored:
            raw = stored.pop(attribute.code)
            items = raw if isinstance(raw, list) else [raw]
            pairs.append(
                (attribute.description, ", ".join(attribute.name_of(str(v)) for v in items))
            )
    for code, raw in stored.items():
        pairs.append((code, ", ".join(map(str, raw)) if isinstance(raw, list) else str(raw)))
    return pairs
