"""The audit of the region's configuration: every change to the registry, the SLA policy, the
days off, the routing map and the staff accounts, with who made it and what it was before and
after. Recording a change to what processes cache also raises the configuration version, so
every process reloads it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import event, func
from sqlmodel import Session, select

from lapor.infra import directory
from models import ConfigChange, ConfigVersion

SUBJECTS = ("agency", "sla", "holiday", "routing", "account")
# What the processes cache (lapor.infra.directory): a change to these raises the version.
CACHED = frozenset({"agency", "sla", "holiday", "routing"})
PAGE_SIZE = 50


@dataclass(frozen=True)
class Editor:
    """Who makes a change: a signed-in admin, or a command run on the server."""

    user_id: int | None
    name: str


CLI = Editor(None, "cli")


def record(
    session: Session,
    editor: Editor,
    *,
    subject: str,
    key: str,
    action: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    now: datetime,
) -> ConfigChange:
    """Write one change in the caller's transaction; one to what the processes cache raises
    the configuration version."""
    change = ConfigChange(
        at=now,
        user_id=editor.user_id,
        actor=editor.name,
        subject=subject,
        key=key[:200],
        action=action,
        before=before,
        after=after,
    )
    session.add(change)
    if subject in CACHED:
        directory.bump_version(session, now)
        # This process sees its own change at once (the others within CHECK_SECONDS).
        event.listen(session, "after_commit", _forget_copies, once=True)
    return change


def lock(session: Session) -> None:
    """Wait for other admins' changes to commit before reading what to change (the
    configuration version's row, locked until the caller's transaction ends on PostgreSQL;
    SQLite has one writer at a time anyway)."""
    session.get(ConfigVersion, 1, with_for_update=True)


def _forget_copies(_session: Session) -> None:
    directory.config.clear()


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict, dict]:
    """Only the fields that differ, as (before, after)."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    keys += [k for k in before if k not in after]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


@dataclass(frozen=True)
class ChangePage:
    rows: list[ConfigChange]
    total: int
    page: int
    pages: int


def listing(session: Session, *, subject: str | None = None, page: int = 1) -> ChangePage:
    """The changes, newest first, optionally of one subject."""
    query = select(ConfigChange)
    count = select(func.count()).select_from(ConfigChange)
    if subject:
        query = query.where(ConfigChange.subject == subject)
        count = count.where(ConfigChange.subject == subject)
    total = session.exec(count).one()
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    rows = session.exec(
        query.order_by(ConfigChange.id.desc()).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)
    ).all()
    return ChangePage(list(rows), total, page, pages)
