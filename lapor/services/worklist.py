"""The staff's lists: one search, the filters, the sort and the pages, for the console and the
staff API alike, always within what the staff member may see (casework.visible)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, func, select

from lapor.domain import search, tracking, workflow
from lapor.domain.deadlines import next_deadline_expression
from lapor.services.casework import DUE_SOON, Staff, visible
from models import Agency, Channel, Complaint, ComplaintStatus

S = ComplaintStatus
SORTS = ("deadline", "newest", "age", "activity", "uncertainty")
SLA_STATES = ("on_time", "due_soon", "overdue")
# Counting every match of a common word among a million complaints costs more than a page
# of them; past this many the total is given as "at least".
COUNT_CAP = 10_000
MAX_PER_PAGE = 100


@dataclass(frozen=True)
class Filters:
    """What a staff member asks of a list; None or empty means "any"."""

    q: str = ""
    # None: the open complaints (every status when searching by words).
    statuses: frozenset[ComplaintStatus] | None = None
    agency_code: str | None = None
    regency: str | None = None
    channel: Channel | None = None
    sla: str | None = None
    escalation_level: int | None = None
    received_from: datetime | None = None
    received_before: datetime | None = None
    triage: bool = False
    sort: str = "deadline"
    page: int = 1
    per_page: int = 25


@dataclass(frozen=True)
class Results:
    """One page of a list and how many match in all (`exact` False: at least `total`)."""

    rows: list[tuple[Complaint, Agency | None]]
    total: int
    exact: bool
    filters: Filters
    # The query was a tracking code of a complaint this staff member may see.
    code_match: Complaint | None = None

    @property
    def pages(self) -> int:
        return page_count(self.total, self.filters.per_page)


def page_count(total: int, per_page: int) -> int:
    """How many pages the rows fill (one, empty, when there are none)."""
    return max(1, -(-total // per_page))


def find(session: Session, staff: Staff, filters: Filters, *, now: datetime) -> Results:
    """The page of complaints the filters ask for, sorted, with the total count."""
    found = _by_code(session, staff, filters.q)
    if found is not None:
        agency = session.get(Agency, found.agency_id) if found.agency_id else None
        return Results([(found, agency)], 1, True, filters, code_match=found)
    query = _filtered(session, staff, filters, now)
    total, exact = _count(session, query)
    page = replace(filters, page=min(filters.page, page_count(total, filters.per_page)))
    rows = session.exec(
        query.order_by(*_order(page.sort))
        .offset((page.page - 1) * page.per_page)
        .limit(page.per_page)
    ).all()
    return Results(list(rows), total, exact, page)


def _by_code(session: Session, staff: Staff, raw: str) -> Complaint | None:
    """The complaint a query names by its tracking code (any case, with or without the dash),
    if this staff member may see it."""
    code = tracking.normalize(raw) if raw else None
    if code is None:
        return None
    return session.exec(
        select(Complaint).where(Complaint.tracking_code == code, *visible(staff))
    ).first()


def _filtered(session: Session, staff: Staff, filters: Filters, now: datetime):
    query = (
        select(Complaint, Agency)
        .join(Agency, Agency.id == Complaint.agency_id, isouter=True)
        .where(*visible(staff))
    )
    terms = search.query_terms(filters.q) if filters.q else []
    if terms:
        query = query.where(_matches(session, terms))
    statuses = filters.statuses
    if statuses is None and not terms:
        statuses = workflow.OPEN
    if filters.sla:
        # A running clock needs an active status: one IN list, so the planner counts it once.
        statuses = (statuses or frozenset(ComplaintStatus)) & workflow.ACTIVE
    if statuses:
        query = query.where(Complaint.status.in_(sorted(statuses)))
    if filters.triage:
        query = query.where(Complaint.status == S.RECEIVED, Complaint.agency_id.is_(None))
    if filters.agency_code:
        # By id, not through the join: the planner then uses the open-queue index per OPD.
        agency_id = select(Agency.id).where(Agency.code == filters.agency_code.strip().upper())
        query = query.where(Complaint.agency_id == agency_id.scalar_subquery())
    if filters.regency:
        query = query.where(func.lower(Complaint.regency) == filters.regency.strip().lower())
    if filters.channel:
        query = query.where(Complaint.channel == filters.channel)
    if filters.sla:
        query = query.where(*_sla_clauses(filters.sla, now))
    if filters.escalation_level is not None:
        query = query.where(Complaint.escalation_level == filters.escalation_level)
    if filters.received_from:
        query = query.where(Complaint.received_at >= filters.received_from)
    if filters.received_before:
        query = query.where(Complaint.received_at < filters.received_before)
    return query


def _matches(session: Session, terms: list[str]) -> sa.ColumnElement[bool]:
    """Every stem in the complaint's search terms, through the database's full-text index.
    The stems are letters and digits only (lapor.domain.search.WORD): nothing to escape."""
    if session.get_bind().dialect.name == "postgresql":
        query = func.to_tsquery("simple", " & ".join(terms))
        return Complaint.search_terms.op("@@")(query)
    fts = sa.table("complaint_fts")
    phrase = " ".join(f'"{term}"' for term in terms)
    matching = (
        sa.select(sa.literal_column("rowid"))
        .select_from(fts)
        .where(sa.literal_column("complaint_fts").op("MATCH")(phrase))
    )
    return Complaint.id.in_(matching)


def _sla_clauses(state: str, now: datetime) -> list[sa.ColumnElement[bool]]:
    """casework.sla_badge as SQL: a stage clock runs only while someone must act."""
    due = next_deadline_expression()
    running = [due.is_not(None)]  # the status is narrowed to ACTIVE by _filtered
    if state == "overdue":
        return [*running, due < now]
    if state == "due_soon":
        return [*running, due >= now, due <= now + DUE_SOON]
    return [*running, due > now + DUE_SOON]


def _order(sort: str) -> list:
    due = next_deadline_expression()
    if sort == "newest":
        return [Complaint.received_at.desc(), Complaint.id.desc()]
    if sort == "age":
        return [Complaint.received_at.asc(), Complaint.id.asc()]
    if sort == "activity":
        return [Complaint.updated_at.desc(), Complaint.id.desc()]
    if sort == "uncertainty":
        # The complaints the classifier was least sure of first: a person decides them best,
        # and their verdicts teach the next model most. No model's opinion (None) teaches
        # nothing about the model: last. The oldest first among equals, then by id: stable.
        return [
            Complaint.routing_confidence.asc().nulls_last(),
            Complaint.received_at.asc(),
            Complaint.id.asc(),
        ]
    return [due.asc().nulls_last(), Complaint.received_at.desc(), Complaint.id.desc()]


def _count(session: Session, query) -> tuple[int, bool]:
    """How many rows the query matches, counting no further than COUNT_CAP."""
    capped = query.with_only_columns(Complaint.id).limit(COUNT_CAP + 1).subquery()
    total = session.exec(select(func.count()).select_from(capped)).one()
    return min(total, COUNT_CAP), total <= COUNT_CAP
