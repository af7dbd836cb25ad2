"""The SQLModel tables of Lapor; nothing but tables and the bases they share."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import declared_attr, relationship
from sqlmodel import Field, Relationship, SQLModel

from models.enums import (
    ActorKind,
    AgencyKind,
    Channel,
    ComplaintStatus,
    NotificationStatus,
    Role,
)
from models.types import SearchDocument, UTCDateTime, enum_type

__all__ = [
    "ActorKind",
    "ApiToken",
    "Agency",
    "AgencyKind",
    "Attachment",
    "Channel",
    "Complaint",
    "ComplaintBase",
    "ComplaintEvent",
    "ComplaintStatus",
    "ConfigChange",
    "ConfigVersion",
    "DayOff",
    "Feedback",
    "IntakeRequest",
    "IntegratorKey",
    "NoticeRead",
    "Open311Update",
    "Notification",
    "NotificationStatus",
    "RegionSetting",
    "Reporter",
    "ResponseTemplate",
    "Role",
    "RoutingExample",
    "User",
]


def _timestamp(*, index: bool = False, nullable: bool = True) -> Any:
    return Field(default=None, sa_type=UTCDateTime, index=index, nullable=nullable)


class Agency(SQLModel, table=True):
    """An OPD of the region, or an outside body complaints can be forwarded to."""

    __tablename__ = "agency"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True, index=True)
    name: str = Field(max_length=200)
    short_name: str = Field(max_length=80)
    kind: AgencyKind = Field(sa_type=enum_type(AgencyKind))
    parent_id: int | None = Field(default=None, foreign_key="agency.id", index=True)
    active: bool = Field(default=True)
    email: str | None = Field(default=None, max_length=254)
    telegram_chat_id: int | None = Field(default=None, sa_type=sa.BigInteger)


class User(SQLModel, table=True):
    """A staff account: officer of one OPD, verifier, supervisor or admin."""

    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=80, unique=True, index=True)
    full_name: str = Field(default="", max_length=120)
    password_hash: str = Field(max_length=255)
    role: Role = Field(sa_type=enum_type(Role))
    agency_id: int | None = Field(default=None, foreign_key="agency.id", index=True)
    active: bool = Field(default=True)
    created_at: datetime = _timestamp(nullable=False)
    last_login_at: datetime | None = _timestamp()


class Reporter(SQLModel, table=True):
    """Who filed a complaint and how to reach them; shown only where privacy allows."""

    __tablename__ = "reporter"
    id: int | None = Field(default=None, primary_key=True)
    name: str | None = Field(default=None, max_length=120)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=20)
    telegram_user_id: int | None = Field(
        default=None, sa_type=sa.BigInteger, unique=True, index=True
    )
    telegram_chat_id: int | None = Field(default=None, sa_type=sa.BigInteger)
    created_at: datetime = _timestamp(nullable=False)


# "My complaints" (/lacak/saya) finds a reporter's complaints by the email or phone typed.
# (Intake stores emails in lower case.)
sa.Index("ix_reporter_email", Reporter.email)
sa.Index("ix_reporter_phone", Reporter.phone)


class ComplaintBase(SQLModel):
    """The fields a reporter supplies, shared by the table and the API schemas."""

    title: str = Field(default="", max_length=150)
    text: str = Field(sa_type=sa.Text)
    regency: str | None = Field(default=None, max_length=100)
    district: str | None = Field(default=None, max_length=100)
    address: str | None = Field(default=None, max_length=300)
    lat: float | None = None
    lon: float | None = None
    anonymous: bool = False
    confidential: bool = False


class Complaint(ComplaintBase, table=True):
    """A complaint and where it stands; its history is in ComplaintEvent."""

    __tablename__ = "complaint"

    @declared_attr  # type: ignore[misc]
    def __mapper_args__(cls) -> dict[str, Any]:  # noqa: N805
        # Every UPDATE checks the version it read, so two writers racing on one complaint
        # (two sweeps, two officers) cannot both win: the loser gets StaleDataError.
        return {"version_id_col": cls.__table__.c.row_version}

    # The supervisors' escalation queue reads only escalated complaints: a small partial index.
    # Staff search by words through a GIN index on PostgreSQL (SQLite: the FTS5 table
    # `complaint_fts`, which the migration creates with the triggers that keep it current).
    __table_args__ = (
        sa.Index(
            "ix_complaint_escalated",
            "escalation_level",
            postgresql_where=sa.text("escalation_level > 0"),
            sqlite_where=sa.text("escalation_level > 0"),
        ),
        sa.Index("ix_complaint_search_terms", "search_terms", postgresql_using="gin").ddl_if(
            dialect="postgresql"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    tracking_code: str = Field(max_length=10, unique=True, index=True)
    # The reporter's secret (lapor.domain.reporter_key): only its SHA-256 is stored.
    reporter_key_hash: str = Field(max_length=64)
    channel: Channel = Field(sa_type=enum_type(Channel))
    status: ComplaintStatus = Field(sa_type=enum_type(ComplaintStatus), index=True)
    agency_id: int | None = Field(default=None, foreign_key="agency.id", index=True)
    reporter_id: int | None = Field(default=None, foreign_key="reporter.id", index=True)
    # The service a client filed it under (an Open311 service_code: an OPD or UMUM), kept as
    # filed whatever OPD it is routed to: the spec's service_code filter finds it by this.
    service_code: str | None = Field(default=None, max_length=40, index=True)
    routing_label: str | None = Field(default=None, max_length=120)
    routing_confidence: float | None = None
    model_version: str | None = Field(default=None, max_length=64)
    escalation_level: int = Field(default=0)
    resume_status: ComplaintStatus | None = Field(
        default=None, sa_type=enum_type(ComplaintStatus), nullable=True
    )
    forwarded_to: str | None = Field(default=None, max_length=200)
    # The language the reporter filed in ("id" or "en"): their emails are written in it.
    language: str = Field(
        default="id", max_length=5, sa_column_kwargs={"server_default": "id"}, nullable=False
    )
    rejection_reason: str | None = Field(default=None, max_length=40)
    # Indexed: every answer to a complaint looks up the duplicates merged into it.
    duplicate_of_id: int | None = Field(default=None, foreign_key="complaint.id", index=True)
    row_version: int = Field(default=1, nullable=False)
    received_at: datetime = _timestamp(index=True, nullable=False)
    updated_at: datetime = _timestamp(nullable=False)
    routed_at: datetime | None = _timestamp()
    first_response_at: datetime | None = _timestamp()
    resolved_at: datetime | None = _timestamp()
    closed_at: datetime | None = _timestamp()
    verification_due_at: datetime | None = _timestamp()
    response_due_at: datetime | None = _timestamp()
    resolution_due_at: datetime | None = _timestamp()
    # The SLA clock's state (lapor.domain.deadlines): paused while waiting on the reporter,
    # the reporter's deadline to answer, which stage deadline was already reminded of, and
    # the next moment the sweep must look at the complaint (the sweep's only index).
    paused_at: datetime | None = _timestamp()
    paused_days_left: int | None = None
    auto_close_at: datetime | None = _timestamp()
    reminded_for: datetime | None = _timestamp()
    next_check_at: datetime | None = _timestamp(index=True)
    # Kept for the compliance dashboard, so it reads one table: whether the OPD's answer came
    # within its deadline (the deadline itself is cleared), how often the reporter reopened
    # it, and the reporter's latest rating.
    answered_on_time: bool | None = None
    reopen_count: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    rating: int | None = None
    # From an Open311 client: the picture it points at (shown to staff as a link, never
    # fetched by the server) and the answers to its service's attributes, by attribute code.
    media_url: str | None = Field(default=None, max_length=500)
    service_attributes: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    # The stems staff find it by (lapor.domain.search.document of title, text and place).
    search_terms: str | None = Field(default=None, sa_type=SearchDocument)
    # When its reporter's identity, contact and files were erased (lapor.domain.privacy): on
    # request, or when the retention period after its end ran out. The complaint stays.
    identity_erased_at: datetime | None = _timestamp()


class ComplaintEvent(SQLModel, table=True):
    """One line of a complaint's append-only audit trail."""

    __tablename__ = "complaint_event"

    id: int | None = Field(default=None, primary_key=True)
    complaint_id: int = Field(foreign_key="complaint.id", index=True)
    at: datetime = _timestamp(nullable=False)
    actor_kind: ActorKind = Field(sa_type=enum_type(ActorKind))
    actor_user_id: int | None = Field(default=None, foreign_key="app_user.id")
    action: str = Field(max_length=30)
    status_from: ComplaintStatus | None = Field(
        default=None, sa_type=enum_type(ComplaintStatus), nullable=True
    )
    status_to: ComplaintStatus = Field(sa_type=enum_type(ComplaintStatus))
    note: str | None = Field(default=None, sa_type=sa.Text)
    public: bool = Field(default=True)
    data: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)

    # Set with the new complaint at intake, so complaint and events go out in one flush.
    complaint: Complaint | None = Relationship(sa_relationship=relationship("Complaint"))


class Attachment(SQLModel, table=True):
    """A file a reporter sent with a complaint, stored under the data directory."""

    __tablename__ = "attachment"

    id: int | None = Field(default=None, primary_key=True)
    complaint_id: int = Field(foreign_key="complaint.id", index=True)
    event_id: int | None = Field(default=None, foreign_key="complaint_event.id")
    filename: str = Field(max_length=200)
    content_type: str = Field(max_length=100)
    size: int
    sha256: str = Field(max_length=64)
    path: str = Field(max_length=300)
    created_at: datetime = _timestamp(nullable=False)


class Feedback(SQLModel, table=True):
    """The reporter's rating of how a complaint was resolved."""

    __tablename__ = "feedback"
    __table_args__ = (sa.CheckConstraint("rating BETWEEN 1 AND 5", name="ck_feedback_rating"),)

    id: int | None = Field(default=None, primary_key=True)
    complaint_id: int = Field(foreign_key="complaint.id", index=True)
    rating: int
    comment: str | None = Field(default=None, sa_type=sa.Text)
    created_at: datetime = _timestamp(nullable=False)


class IntakeRequest(SQLModel, table=True):
    """An idempotency key already used for intake, and the complaint it made."""

    __tablename__ = "intake_request"

    key: str = Field(primary_key=True, max_length=200)
    fingerprint: str = Field(max_length=64)
    complaint_id: int = Field(foreign_key="complaint.id")
    created_at: datetime = _timestamp(nullable=False)


class RoutingExample(SQLModel, table=True):
    """A person's routing decision (verification, transfer, forward): a label to learn from."""

    __tablename__ = "routing_example"

    id: int | None = Field(default=None, primary_key=True)
    complaint_id: int = Field(foreign_key="complaint.id", index=True)
    agency_code: str = Field(max_length=40)
    source: str = Field(max_length=20)
    text: str = Field(sa_type=sa.Text)
    regency: str | None = Field(default=None, max_length=100)
    created_at: datetime = _timestamp(nullable=False)


class Notification(SQLModel, table=True):
    """A message to an OPD or a reporter: in-app, or to deliver by Telegram or email."""

    __tablename__ = "notification"

    id: int | None = Field(default=None, primary_key=True)
    complaint_id: int = Field(foreign_key="complaint.id", index=True)
    kind: str = Field(max_length=30)  # the action of the event it tells of: route, remind, …
    agency_id: int | None = Field(default=None, foreign_key="agency.id", index=True)
    reporter_id: int | None = Field(default=None, foreign_key="reporter.id")
    channel: str = Field(max_length=20)  # inapp | telegram | email
    address: str | None = Field(default=None, max_length=254)
    subject: str = Field(max_length=200)
    body: str = Field(sa_type=sa.Text)
    # The delivery's whole state (lapor.domain.delivery): the row is the queue.
    status: NotificationStatus = Field(sa_type=enum_type(NotificationStatus), index=True)
    attempts: int = Field(default=0)
    last_error: str | None = Field(default=None, sa_type=sa.Text)
    next_attempt_at: datetime | None = _timestamp(index=True)
    created_at: datetime = _timestamp(nullable=False)
    sent_at: datetime | None = _timestamp()
    read_at: datetime | None = _timestamp()

    complaint: Complaint | None = Relationship(sa_relationship=relationship("Complaint"))


class NoticeRead(SQLModel, table=True):
    """That one staff member has read one in-app notice (an OPD's notices are shared by its
    officers, each with their own unread state)."""

    __tablename__ = "notice_read"

    user_id: int = Field(foreign_key="app_user.id", primary_key=True)
    notification_id: int = Field(foreign_key="notification.id", primary_key=True)
    read_at: datetime = _timestamp(nullable=False)


class ApiToken(SQLModel, table=True):
    """A staff member's token for the staff API; only its hash is kept."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    created_at: datetime = _timestamp(nullable=False)
    last_used_at: datetime | None = _timestamp()
    revoked: bool = Field(default=False)


class ResponseTemplate(SQLModel, table=True):
    """A canned answer an OPD's officers start from ({kode}, {opd}, … filled in when used);
    one without an OPD is offered to every OPD."""

    __tablename__ = "response_template"

    id: int | None = Field(default=None, primary_key=True)
    agency_id: int | None = Field(default=None, foreign_key="agency.id", index=True)
    title: str = Field(max_length=120)
    body: str = Field(sa_type=sa.Text)
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = _timestamp(nullable=False)
    updated_at: datetime = _timestamp(nullable=False)


class RegionSetting(SQLModel, table=True):
    """A document of the region's configuration edited by admins: the SLA policy ("sla", in
    the structure of sla.yaml without its days off) and the routing map ("routing", the
    structure of routing.yaml). Seeded from the region's files by `lapor init`."""

    __tablename__ = "region_setting"

    key: str = Field(primary_key=True, max_length=40)
    data: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    updated_at: datetime = _timestamp(nullable=False)


class DayOff(SQLModel, table=True):
    """A day off the region declares on top of the national calendar (cuti, a local holiday)."""

    __tablename__ = "day_off"

    day: date = Field(primary_key=True)
    reason: str = Field(max_length=200)
    created_at: datetime = _timestamp(nullable=False)


class ConfigChange(SQLModel, table=True):
    """One change to the region's configuration (registry, policy, holidays, routing map,
    accounts): who, when, what it was before and after. Append-only."""

    __tablename__ = "config_change"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _timestamp(index=True, nullable=False)
    user_id: int | None = Field(default=None, foreign_key="app_user.id")
    actor: str = Field(max_length=80)  # the username, or "cli" for a command on the server
    subject: str = Field(max_length=20, index=True)  # agency | sla | holiday | routing | account
    key: str = Field(max_length=200)  # which one: an OPD code, a date, a username
    action: str = Field(max_length=30)
    before: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    after: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)


class ConfigVersion(SQLModel, table=True):
    """The configuration's version: one row, raised in the transaction of every change, so
    each process knows its cached agencies, policy, holidays and routing map are stale."""

    __tablename__ = "config_version"

    id: int = Field(default=1, primary_key=True)
    version: int = Field(default=0)
    changed_at: datetime | None = _timestamp()


class IntegratorKey(SQLModel, table=True):
    """An Open311 integrator's api_key (a city's FixMyStreet, an app): only its hash is kept;
    its requests count against its own limit, and its name is recorded on what it files."""

    __tablename__ = "integrator_key"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=80, unique=True)
    key_hash: str = Field(max_length=64, unique=True, index=True)
    per_minute: int = Field(default=60)
    revoked: bool = Field(default=False)
    created_at: datetime = _timestamp(nullable=False)
    last_used_at: datetime | None = _timestamp()


class Open311Update(SQLModel, table=True):
    """An update a client posted (POST servicerequestupdates) under its own update_id: the
    same update_id posted again reaches the complaint once."""

    __tablename__ = "open311_update"
    __table_args__ = (sa.UniqueConstraint("client", "update_id", name="uq_open311_update_client"),)

    id: int | None = Field(default=None, primary_key=True)
    client: str = Field(max_length=80)  # the integrator's name, or "-" without a key
    update_id: str = Field(max_length=100)
    complaint_id: int = Field(foreign_key="complaint.id", index=True)
    event_id: int | None = Field(default=None, foreign_key="complaint_event.id")
    created_at: datetime = _timestamp(nullable=False)
