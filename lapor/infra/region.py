"""A region's data files: its OPD registry and its kabupaten/kota and kecamatan.

Another region ships its own folder under lapor/data/regions (or points LAPOR_REGION at a
folder of its own); the code reads whatever the files say.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml
from sqlmodel import Session, select

from lapor.domain.errors import ValidationFailed
from lapor.domain.places import Gazetteer
from lapor.domain.registry import AgencyEntry, entry_from
from lapor.domain.service_attributes import Attribute, DefinitionError, definitions_from
from models import Agency, AgencyKind

REGIONS_DIR = Path(__file__).parent.parent / "data" / "regions"


class RegionDataError(ValueError):
    """A region data file that is missing or contradicts itself."""


def region_dir(region: str) -> Path:
    """The folder of a region's files: a bundled region name, or a path to a folder."""
    candidate = Path(region)
    path = candidate if candidate.is_dir() else REGIONS_DIR / region
    if not path.is_dir():
        raise RegionDataError(f"Data wilayah '{region}' tidak ditemukan ({path}).")
    return path


@dataclass(frozen=True)
class Registry:
    """The region's name and its agencies, parents always listed before their children."""

    region_name: str
    agencies: tuple[AgencyEntry, ...]


def _read_yaml(path: Path) -> dict:
    try:
        with path.open(encoding="utf-8") as handle:
            data = yaml.safe_load(handle)
    except (OSError, yaml.YAMLError) as exc:
        raise RegionDataError(f"Berkas {path} tidak dapat dibaca: {exc}") from exc
    if not isinstance(data, dict):
        raise RegionDataError(f"Berkas {path} tidak berisi pemetaan YAML.")
    return data


def load_registry(path: Path) -> Registry:
    """Read agencies.yaml; external bodies become agencies of kind 'external'."""
    return registry_from(_read_yaml(path), str(path), default_name=path.parent.name)


def registry_from(data: dict, where: str, default_name: str = "") -> Registry:
    """A registry from the parsed structure of agencies.yaml, every entry checked."""
    entries: list[AgencyEntry] = []
    seen: set[str] = set()
    rows = [(row, None) for row in data.get("agencies") or []]
    rows += [(row, AgencyKind.EXTERNAL) for row in data.get("external_bodies") or []]
    for row, forced_kind in rows:
        if not isinstance(row, dict):
            raise RegionDataError(f"{where}: baris OPD bukan pemetaan: {row!r}")
        values = {**row, "kind": forced_kind.value} if forced_kind else dict(row)
        values.setdefault("short_name", values.get("name"))
        try:
            entry = entry_from(values)
        except ValidationFailed as failed:
            problems = "; ".join(f"{k}: {p.message}" for k, p in failed.fields.items())
            raise RegionDataError(f"{where}: OPD {row.get('code')!r}: {problems}") from failed
        if entry.code in seen:
            raise RegionDataError(f"{where}: kode OPD ganda: {entry.code}")
        if entry.parent is not None and entry.parent not in seen:
            raise RegionDataError(
                f"{where}: induk {entry.parent} dari {entry.code} belum didefinisikan"
            )
        seen.add(entry.code)
        entries.append(entry)
    region_name = (data.get("region") or {}).get("name") or default_name
    return Registry(region_name=region_name, agencies=tuple(entries))


def registry_document(region_info: dict, entries: list[AgencyEntry]) -> dict:
    """The structure of agencies.yaml for these entries (parents before their children)."""

    def row(entry: AgencyEntry, external: bool) -> dict:
        values = entry.as_dict()
        if external:
            values.pop("kind")
            values.pop("parent")
        return {k: v for k, v in values.items() if v is not None and (k != "active" or not v)}

    return {
        "region": region_info,
        "agencies": [row(e, False) for e in entries if e.kind != AgencyKind.EXTERNAL],
        "external_bodies": [row(e, True) for e in entries if e.kind == AgencyKind.EXTERNAL],
    }


def region_info(region: str) -> dict:
    """The `region:` header of the region's agencies.yaml (code, name, timezone)."""
    return dict(_read_yaml(region_dir(region) / "agencies.yaml").get("region") or {})


def seed_agencies(session: Session, registry: Registry) -> dict[str, int]:
    """Make the agency table match the registry; agencies gone from the file become inactive."""
    existing = {a.code: a for a in session.exec(select(Agency)).all()}
    counts = {"added": 0, "updated": 0, "deactivated": 0}
    ids: dict[str, int | None] = {code: a.id for code, a in existing.items()}
    for entry in registry.agencies:
        agency = existing.get(entry.code)
        values = {
            "name": entry.name,
            "short_name": entry.short_name,
            "kind": entry.kind,
            "parent_id": ids.get(entry.parent) if entry.parent else None,
            "active": entry.active,
            "email": entry.email,
            "telegram_chat_id": entry.telegram_chat,
        }
        if agency is None:
            agency = Agency(code=entry.code, **values)
            counts["added"] += 1
        elif any(getattr(agency, k) != v for k, v in values.items()):
            agency.sqlmodel_update(values)
            counts["updated"] += 1
        else:
            continue
        session.add(agency)
        session.flush()
        ids[entry.code] = agency.id
    listed = {e.code for e in registry.agencies}
    for code, agency in existing.items():
        if code not in listed and agency.active:
            agency.active = False
            session.add(agency)
            counts["deactivated"] += 1
    return counts


@cache
def gazetteer_for(region: str) -> Gazetteer:
    """The region's gazetteer, read once per process."""
    return Gazetteer.from_dict(_read_yaml(region_dir(region) / "wilayah.yaml"))


@cache
def open311_definitions_for(region: str) -> dict[str, tuple[Attribute, ...]]:
    """The region's Open311 service definitions by service_code (open311.yaml, read once per
    process; none without the file). A code must be an OPD's or UMUM, the general service."""
    path = region_dir(region) / "open311.yaml"
    if not path.exists():
        return {}
    known = {entry.code for entry in registry_for(region).agencies} | {"UMUM"}
    try:
        return definitions_from(_read_yaml(path), str(path), known)
    except DefinitionError as exc:
        raise RegionDataError(str(exc)) from exc


def registry_for(region: str) -> Registry:
    """The region's OPD registry as its file says now."""
    return load_registry(region_dir(region) / "agencies.yaml")


def sla_document_for(region: str) -> dict:
    """The region's sla.yaml as parsed: the policy until an admin saves one."""
    return _read_yaml(region_dir(region) / "sla.yaml")


def privacy_document_for(region: str) -> dict:
    """The region's privacy.yaml as parsed (the retention of reporters' personal data) until an
    admin saves one; empty without the file (lapor.domain.privacy has the defaults)."""
    path = region_dir(region) / "privacy.yaml"
    return _read_yaml(path) if path.exists() else {}


def routing_document_for(region: str) -> dict:
    """The region's routing.yaml as parsed: the label map until an admin saves one."""
    return _read_yaml(region_dir(region) / "routing.yaml")


def documents_in_force(region: str, saved: Mapping[str, dict]) -> dict[str, dict]:
    """The SLA policy and the routing map in force: the ones admins saved (`saved`, by key),
    else the region's files. The file's days off are not part of it: `lapor init` seeds them
    into the day_off table, the calendar's only source."""
    sla = saved.get("sla")
    if sla is None:
        sla = dict(sla_document_for(region))
        calendar = dict(sla.get("calendar") or {})
        calendar.pop("days_off", None)
        sla["calendar"] = calendar
    routing = saved.get("routing")
    return {"sla": sla, "routing": routing if routing is not None else routing_document_for(region)}
