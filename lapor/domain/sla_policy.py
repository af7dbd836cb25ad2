"""The SLA policy as data: stage deadlines, reminders and escalation levels, with overrides per
OPD and per complaint category (read from the region's sla.yaml by lapor.infra.region)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from datetime import date
from typing import TypeVar

from lapor.domain.errors import DomainError

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
TARGETS = ("agency", "parent", "root")
SECTIONS = ("calendar", "defaults", "triage_agency", "escalation", "agencies", "categories")
# A year: more is a typing slip, and counting it would take the clock ages (or past year 9999).
MAX_DAYS = 365
MAX_TITLE = 120  # an escalation level's title, shown in notices and on the dashboard
T = TypeVar("T")


class PolicyError(DomainError):
    """The SLA policy file says something that cannot be run."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="invalid_sla_policy")


@dataclass(frozen=True)
class SlaPolicy:
    """The deadlines of one kind of complaint; days are working days unless named calendar."""

    verification_days: int = 3
    response_days: int = 5
    resolution_calendar_days: int = 60
    info_wait_days: int = 10
    confirm_wait_days: int = 10
    reminder_lead_days: int = 1
    reminder_hour: int = 8

    def overridden(self, values: Mapping[str, object], where: str) -> SlaPolicy:
        """A copy with some values replaced, each checked."""
        known = {f.name for f in fields(self)}
        changes: dict[str, int] = {}
        for name, value in values.items():
            if name not in known:
                raise PolicyError(f"{where}: kunci tidak dikenal '{name}'.")
            low = 0 if name in ("reminder_lead_days", "reminder_hour") else 1
            changes[name] = _whole(value, f"{where}.{name}", low=low, high=MAX_DAYS)
        if changes.get("reminder_hour", 0) > 23:
            raise PolicyError(f"{where}.reminder_hour: jam 0–23, bukan {changes['reminder_hour']}.")
        return replace(self, **changes)


@dataclass(frozen=True)
class EscalationLevel:
    """A level of escalation: when after a missed deadline, and whom it reaches."""

    level: int
    after_days: int
    target: str  # agency | parent | root
    title: str


@dataclass(frozen=True)
class SlaBook:
    """Every policy of a region: defaults, overrides, escalation levels, the calendar's rules."""

    defaults: SlaPolicy = SlaPolicy()
    by_agency: Mapping[str, SlaPolicy] = None  # type: ignore[assignment]
    by_category: Mapping[str, Mapping[str, object]] = None  # type: ignore[assignment]
    escalation: tuple[EscalationLevel, ...] = ()
    triage_agency: str | None = None
    weekend: frozenset[int] = frozenset({5, 6})
    days_off: Mapping[date, str] = None  # type: ignore[assignment]

    def __post_init__(self) -> None:
        for name in ("by_agency", "by_category", "days_off"):
            if getattr(self, name) is None:
                object.__setattr__(self, name, {})

    def policy_for(self, agency_code: str | None, category: str | None) -> SlaPolicy:
        """The policy of a complaint: defaults, then its OPD's values, then its category's."""
        policy = self.by_agency.get(agency_code or "", self.defaults)
        overrides = self.by_category.get(category or "")
        return policy.overridden(overrides, f"categories.{category}") if overrides else policy

    def level(self, number: int) -> EscalationLevel | None:
        """The escalation level with this number, or None above the last one."""
        return next((lvl for lvl in self.escalation if lvl.level == number), None)

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> SlaBook:
        """Build and check a book from the parsed sla.yaml."""
        _known_keys(_mapping(data, "sla"), SECTIONS, "")
        _known_keys(
            _mapping(data.get("calendar"), "calendar"), ("weekend", "days_off"), "calendar."
        )
        defaults = SlaPolicy().overridden(_mapping(data.get("defaults"), "defaults"), "defaults")
        agencies = _mapping(data.get("agencies"), "agencies")
        by_agency = {
            str(code): defaults.overridden(_mapping(values, f"agencies.{code}"), f"agencies.{code}")
            for code, values in agencies.items()
        }
        categories = _mapping(data.get("categories"), "categories")
        by_category = {}
        for name, values in categories.items():
            checked = _mapping(values, f"categories.{name}")
            defaults.overridden(checked, f"categories.{name}")  # refuse bad values at load
            by_category[str(name)] = checked
        calendar = _mapping(data.get("calendar"), "calendar")
        return cls(
            defaults=defaults,
            by_agency=by_agency,
            by_category=by_category,
            escalation=_levels(data.get("escalation") or []),
            triage_agency=(str(data["triage_agency"]) if data.get("triage_agency") else None),
            weekend=_weekend(calendar.get("weekend", ["saturday", "sunday"])),
            days_off=_days_off(calendar.get("days_off") or {}),
        )


def escalation_targets(
    start: T | None, levels: tuple[EscalationLevel, ...], parent_of: Callable[[T], T | None]
) -> dict[int, T | None]:
    """Who each level reaches, walking up the parent chain from the responsible unit."""
    targets: dict[int, T | None] = {}
    current = start
    for lvl in levels:
        if lvl.target == "parent" and current is not None:
            current = parent_of(current) or current
        elif lvl.target == "root" and current is not None:
            while (up := parent_of(current)) is not None:
                current = up
        targets[lvl.level] = current
    return targets


def _known_keys(data: Mapping[str, object], known: tuple[str, ...], where: str) -> None:
    for key in data:
        if key not in known:
            raise PolicyError(
                f"{where}{key}: kunci tidak dikenal (yang dikenal: {', '.join(known)})."
            )


def _whole(value: object, where: str, low: int, high: int = MAX_DAYS) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise PolicyError(f"{where}: harus bilangan bulat ≥ {low}, bukan {value!r}.")
    if value > high:
        raise PolicyError(f"{where}: paling banyak {high}, bukan {value}.")
    return value


def _mapping(value: object, where: str) -> Mapping[str, object]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise PolicyError(f"{where}: harus berupa pemetaan kunci: nilai.")
    return value


def _levels(raw: object) -> tuple[EscalationLevel, ...]:
    if not isinstance(raw, list):
        raise PolicyError("escalation: harus berupa daftar tingkat.")
    levels = []
    for index, item in enumerate(raw, start=1):
        item = _mapping(item, f"escalation[{index}]")
        target = str(item.get("target", ""))
        if target not in TARGETS:
            raise PolicyError(f"escalation[{index}].target: pilih salah satu dari {TARGETS}.")
        levels.append(
            EscalationLevel(
                level=_whole(item.get("level"), f"escalation[{index}].level", low=1),
                after_days=_whole(item.get("after_days", 0), f"escalation[{index}].after_days", 0),
                target=target,
                title=_title(item.get("title"), index),
            )
        )
    numbers = [lvl.level for lvl in levels]
    if numbers != list(range(1, len(levels) + 1)):
        raise PolicyError("escalation: tingkat harus berurutan 1, 2, 3, …")
    for before, after in zip(levels, levels[1:], strict=False):
        if after.after_days < before.after_days:
            raise PolicyError(
                f"escalation[{after.level}].after_days: tidak boleh lebih kecil dari tingkat "
                f"{before.level} ({before.after_days}), bukan {after.after_days}."
            )
    return tuple(levels)


def _title(raw: object, index: int) -> str:
    if raw is None or raw == "":
        return f"Tingkat {index}"
    if not isinstance(raw, str) or len(raw.strip()) > MAX_TITLE:
        raise PolicyError(f"escalation[{index}].title: teks paling banyak {MAX_TITLE} karakter.")
    return raw.strip()


def _weekend(raw: object) -> frozenset[int]:
    if not isinstance(raw, list) or any(str(day).lower() not in WEEKDAYS for day in raw):
        raise PolicyError(f"calendar.weekend: daftar nama hari dari {WEEKDAYS}.")
    weekend = frozenset(WEEKDAYS.index(str(day).lower()) for day in raw)
    if len(weekend) == len(WEEKDAYS):
        # No working day at all: no deadline could ever be counted.
        raise PolicyError("calendar.weekend: paling sedikit satu hari kerja dalam seminggu.")
    return weekend


def _days_off(raw: object) -> dict[date, str]:
    days = {}
    for key, reason in _mapping(raw, "calendar.days_off").items():
        try:
            day = key if isinstance(key, date) else date.fromisoformat(str(key))
        except ValueError as exc:
            raise PolicyError(f"calendar.days_off: tanggal tidak valid '{key}'.") from exc
        days[day] = str(reason or "libur daerah")
    return days
