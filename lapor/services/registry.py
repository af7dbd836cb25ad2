"""The region's OPD registry as admins keep it: create, edit, move, deactivate and delete an
OPD or outside body, import and export agencies.yaml. Every change is audited
(lapor.services.changes) and reaches every process through the configuration version."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, select

from lapor.domain.errors import DomainError, FieldProblem, NotFound, ValidationFailed
from lapor.domain.registry import AgencyEntry, check_parent, entry_from
from lapor.domain.workflow import OPEN, WITH_AGENCY
from lapor.infra.region import Registry, documents_in_force
from lapor.services import changes
from lapor.services.changes import Editor
from models import (
    Agency,
    AgencyKind,
    Complaint,
    Notification,
    RegionSetting,
    ResponseTemplate,
    User,
)


def entries(session: Session) -> list[AgencyEntry]:
    """Every OPD and outside body, each parent before its children (the tree's order)."""
    rows = session.exec(select(Agency).order_by(Agency.code)).all()
    by_id = {a.id: a for a in rows}
    children: dict[int | None, list[Agency]] = {}
    for agency in rows:
        parent = agency.parent_id if agency.parent_id in by_id else None
        children.setdefault(parent, []).append(agency)
    ordered: list[Agency] = []

    def walk(parent_id: int | None) -> None:
        for child in children.get(parent_id, []):
            ordered.append(child)
            walk(child.id)

    walk(None)
    return [_entry(a, by_id) for a in ordered]


def depth_of(entry_list: list[AgencyEntry]) -> dict[str, int]:
    """How deep each entry sits in the tree (0 at the top), for indenting it."""
    depth: dict[str, int] = {}
    for entry in entry_list:  # parents come first
        depth[entry.code] = depth.get(entry.parent, -1) + 1 if entry.parent else 0
    return depth


def descendants(entry_list: list[AgencyEntry], code: str) -> set[str]:
    """The codes of every OPD under this one, at any depth (it cannot become their child)."""
    under: set[str] = set()
    for entry in entry_list:  # parents come first
        if entry.parent == code or entry.parent in under:
            under.add(entry.code)
    return under


def _entry(agency: Agency, by_id: Mapping[int | None, Agency]) -> AgencyEntry:
    parent = by_id.get(agency.parent_id) if agency.parent_id else None
    return AgencyEntry(
        code=agency.code,
        name=agency.name,
        short_name=agency.short_name,
        kind=AgencyKind(agency.kind),
        parent=parent.code if parent else None,
        email=agency.email,
        telegram_chat=agency.telegram_chat_id,
        active=agency.active,
    )


def entry(session: Session, code: str) -> AgencyEntry:
    """One OPD's entry by its code."""
    agency = _agency(session, code)
    parent = session.get(Agency, agency.parent_id) if agency.parent_id else None
    return _entry(agency, {parent.id: parent} if parent else {})


def _agency(session: Session, code: str) -> Agency:
    found = session.exec(select(Agency).where(Agency.code == str(code).strip().upper())).first()
    if found is None:
        raise NotFound(f"OPD dengan kode '{code}' tidak ada.")
    return found


def _parent_lookup(session: Session):
    rows = session.exec(select(Agency)).all()
    by_id = {a.id: a for a in rows}
    by_code = {a.code: a for a in rows}

    def parent_of(code: str) -> str | None:
        agency = by_code.get(code)
        parent = by_id.get(agency.parent_id) if agency and agency.parent_id else None
        return parent.code if parent else None

    def kind_of(code: str) -> AgencyKind | None:
        agency = by_code.get(code)
        return AgencyKind(agency.kind) if agency else None

    return parent_of, kind_of, by_code


def _inactive(by_code: Mapping[str, Agency]):
    return lambda code: code in by_code and not by_code[code].active


def create_agency(
    session: Session, editor: Editor, values: Mapping[str, object], *, now: datetime
) -> Agency:
    """Add an OPD or outside body; its code is new and its parent chain ends at the top."""
    new = entry_from(values)
    parent_of, kind_of, by_code = _parent_lookup(session)
    if new.code in by_code:
        raise ValidationFailed(
            {"code": FieldProblem("code_taken", f"Kode OPD '{new.code}' sudah dipakai.")}
        )
    check_parent(new.code, new.parent, parent_of, kind_of, _inactive(by_code))
    agency = Agency(code=new.code, **_columns(new, by_code))
    session.add(agency)
    session.flush()
    changes.record(
        session, editor, subject="agency", key=new.code, action="create",
        before=None, after=new.as_dict(), now=now,
    )  # fmt: skip
    return agency


def update_agency(
    session: Session,
    editor: Editor,
    code: str,
    values: Mapping[str, object],
    *,
    now: datetime,
    region: str | None = None,
) -> Agency:
    """Change some fields of an OPD (the others stay). Moving or reactivating it checks the
    chain; deactivating it, or making it an outside body, checks that nothing active hangs
    under it and, given the `region`, that it is not the unit that verifies complaints under
    the policy in force."""
    agency = _agency(session, code)
    before = entry(session, agency.code)
    after = entry_from(values, base=before)
    parent_of, kind_of, by_code = _parent_lookup(session)
    if after.parent != before.parent or (after.active and not before.active):
        check_parent(after.code, after.parent, parent_of, kind_of, _inactive(by_code))
    leaving = after.kind == AgencyKind.EXTERNAL and before.kind != AgencyKind.EXTERNAL
    if (before.active and not after.active) or leaving:
        triage = documents(session, region)["sla"].get("triage_agency") if region else None
        _check_can_deactivate(session, agency, triage)
    if leaving:
        _check_no_children(session, agency)
    if after == before:
        return agency
    agency.sqlmodel_update(_columns(after, by_code))
    session.add(agency)
    old, new = changes.changed_fields(before.as_dict(), after.as_dict())
    changes.record(
        session, editor, subject="agency", key=agency.code, action=_action(before, after),
        before=old, after=new, now=now,
    )  # fmt: skip
    return agency


def _action(before: AgencyEntry, after: AgencyEntry) -> str:
    if before.active != after.active:
        return "activate" if after.active else "deactivate"
    return "move" if before.parent != after.parent else "update"


def _columns(entry: AgencyEntry, by_code: Mapping[str, Agency]) -> dict[str, object]:
    return {
        "name": entry.name,
        "short_name": entry.short_name,
        "kind": entry.kind,
        "parent_id": by_code[entry.parent].id if entry.parent else None,
        "active": entry.active,
        "email": entry.email,
        "telegram_chat_id": entry.telegram_chat,
    }


def _check_can_deactivate(session: Session, agency: Agency, triage_agency: str | None) -> None:
    if agency.code == triage_agency:
        raise DomainError(
            f"{agency.code} adalah unit verifikasi di kebijakan tenggat: pilih unit lain di "
            "halaman Tenggat dahulu.",
            code="triage_agency",
        )
    children = session.exec(
        select(Agency.code).where(Agency.parent_id == agency.id, Agency.active)
    ).all()
    if children:
        raise DomainError(
            f"{agency.code} masih menjadi induk OPD aktif ({', '.join(children)}): pindahkan "
            "atau nonaktifkan dulu unit di bawahnya, agar rantai eskalasinya tidak terputus.",
            code="has_active_children",
        )


def _check_no_children(session: Session, agency: Agency) -> None:
    # An outside body is no link of the escalation chain: nothing may hang under it.
    children = session.exec(select(Agency.code).where(Agency.parent_id == agency.id)).all()
    if children:
        raise ValidationFailed(
            {
                "kind": FieldProblem(
                    "has_children",
                    f"{agency.code} masih menjadi induk ({', '.join(children)}): instansi luar "
                    "tidak dapat menjadi induk.",
                )
            }
        )


@dataclass(frozen=True)
class Impact:
    """What hangs on an OPD: what happens to it when the OPD is deactivated or deleted."""

    open_complaints: int
    complaints: int
    officers: int
    active_children: list[str]
    children: int
    labels: list[str]
    sla_override: bool
    references: int  # notices, response templates and accounts (active or not)

    @property
    def deletable(self) -> bool:
        return not (
            self.complaints or self.officers or self.children or self.labels
            or self.sla_override or self.references
        )  # fmt: skip


def impact(session: Session, code: str, routing: Mapping, sla: Mapping) -> Impact:
    """Count what refers to an OPD (routing and sla: the documents in force)."""
    agency = _agency(session, code)

    def count(model, column, *where) -> int:
        query = select(func.count()).select_from(model).where(column == agency.id, *where)
        return session.exec(query).one()

    targets = routing.get("labels") or {}
    labels = [label for label, target in targets.items() if target == agency.code]
    labels += [
        f"lokasi: {name}"
        for name, target in (routing.get("location_agencies") or {}).items()
        if target == agency.code
    ]
    children = session.exec(select(Agency).where(Agency.parent_id == agency.id)).all()
    return Impact(
        open_complaints=count(Complaint, Complaint.agency_id, Complaint.status.in_(OPEN)),
        complaints=count(Complaint, Complaint.agency_id),
        officers=count(User, User.agency_id, User.active),
        active_children=[c.code for c in children if c.active],
        children=len(children),
        labels=labels,
        sla_override=agency.code in (sla.get("agencies") or {})
        or sla.get("triage_agency") == agency.code,
        references=count(Notification, Notification.agency_id)
        + count(ResponseTemplate, ResponseTemplate.agency_id)
        + count(User, User.agency_id),
    )


def transferable(session: Session, code: str) -> list[str]:
    """The tracking codes of the OPD's complaints that can be handed to another OPD now."""
    agency = _agency(session, code)
    return list(
        session.exec(
            select(Complaint.tracking_code)
            .where(Complaint.agency_id == agency.id, Complaint.status.in_(WITH_AGENCY))
            .order_by(Complaint.id)
        )
    )


def delete_agency(
    session: Session, editor: Editor, code: str, routing: Mapping, sla: Mapping, *, now: datetime
) -> None:
    """Remove an OPD entered by mistake; one that anything refers to is refused (deactivate
    it instead)."""
    found = impact(session, code, routing, sla)
    if not found.deletable:
        raise DomainError(
            f"OPD {code} tidak dapat dihapus karena sudah dipakai (pengaduan, akun, unit di "
            "bawahnya, peta rute atau tenggat). Nonaktifkan saja.",
            code="agency_in_use",
        )
    before = entry(session, code)
    session.delete(_agency(session, code))
    changes.record(
        session, editor, subject="agency", key=before.code, action="delete",
        before=before.as_dict(), after=None, now=now,
    )  # fmt: skip


@dataclass
class Difference:
    """One line of an import: an OPD added, changed (which fields) or deactivated."""

    code: str
    action: str
    fields: dict[str, tuple[object, object]] = field(default_factory=dict)

    def describe(self) -> str:
        if self.action == "create":
            return f"+ {self.code}"
        details = ", ".join(f"{k}: {a!r} → {b!r}" for k, (a, b) in self.fields.items())
        return f"~ {self.code} ({self.action}) {details}".rstrip()


def import_registry(
    session: Session,
    editor: Editor,
    registry: Registry,
    *,
    now: datetime,
    region: str | None = None,
) -> list[Difference]:
    """Make the table match the file: add, update and move what it lists, deactivate what it
    does not (deepest first). Importing the same file again changes nothing."""
    differences: list[Difference] = []
    listed = {e.code for e in registry.agencies}
    existing = {a.code: a for a in session.exec(select(Agency)).all()}
    for new in registry.agencies:
        values = new.as_dict()
        if new.code not in existing:
            create_agency(session, editor, values, now=now)
            differences.append(Difference(new.code, "create"))
            continue
        before = entry(session, new.code)
        # Deactivations wait until the end: the file may move the children first.
        wanted = {**values, "active": new.active or before.active}
        update_agency(session, editor, new.code, wanted, now=now, region=region)
        after = entry(session, new.code)
        diff = _field_diff(before, after)
        if diff:
            differences.append(Difference(new.code, _action(before, after), diff))
    to_deactivate = [e for e in reversed(entries(session)) if e.active]
    to_deactivate = [
        e for e in to_deactivate
        if e.code not in listed or not _listed(registry, e.code).active
    ]  # fmt: skip
    for old in to_deactivate:
        update_agency(session, editor, old.code, {"active": False}, now=now, region=region)
        differences.append(Difference(old.code, "deactivate", {"active": (True, False)}))
    return differences


def _listed(registry: Registry, code: str) -> AgencyEntry:
    return next(e for e in registry.agencies if e.code == code)


def _field_diff(before: AgencyEntry, after: AgencyEntry) -> dict[str, tuple[object, object]]:
    old, new = before.as_dict(), after.as_dict()
    return {k: (old[k], new[k]) for k in old if old[k] != new[k]}


def documents(session: Session, region: str) -> dict[str, dict]:
    """The SLA policy and routing map in force as this session reads them (not a cached copy):
    the admins' saved documents, else the region's files."""
    saved = {row.key: row.data for row in session.exec(select(RegionSetting))}
    return documents_in_force(region, saved)
