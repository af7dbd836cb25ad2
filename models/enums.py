"""The closed vocabularies stored in the tables."""

from enum import StrEnum


class ComplaintStatus(StrEnum):
    RECEIVED = "received"
    ROUTED = "routed"
    IN_PROGRESS = "in_progress"
    NEEDS_INFO = "needs_info"
    RESOLVED = "resolved"
    REOPENED = "reopened"
    CLOSED = "closed"
    REJECTED = "rejected"
    FORWARDED = "forwarded"


class Channel(StrEnum):
    WEB = "web"
    API = "api"
    OPEN311 = "open311"
    TELEGRAM = "telegram"


class Role(StrEnum):
    OFFICER = "officer"
    VERIFIER = "verifier"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class ActorKind(StrEnum):
    """Who caused an event: the system (router, clock), the reporter, or a staff user."""

    SYSTEM = "system"
    REPORTER = "reporter"
    STAFF = "staff"


class AgencyKind(StrEnum):
    PIMPINAN = "pimpinan"
    SEKRETARIAT = "sekretariat"
    BIRO = "biro"
    INSPEKTORAT = "inspektorat"
    DINAS = "dinas"
    BADAN = "badan"
    SATPOL = "satpol"
    RSUD = "rsud"
    UPT = "upt"
    EXTERNAL = "external"


class NotificationStatus(StrEnum):
    PENDING = "pending"  # to deliver (Telegram, email)
    SENDING = "sending"  # an attempt is under way (until next_attempt_at: then due again)
    RETRYING = "retrying"  # an attempt failed; the next is due at next_attempt_at
    SENT = "sent"  # delivered, or an in-app notice stored
    FAILED = "failed"  # every retry failed: shown to supervisors
