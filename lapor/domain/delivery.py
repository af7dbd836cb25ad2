"""A notification's delivery, kept on its own row (as FixMyStreet keeps a report's send state
on the report): pending → sending → sent, or back to retrying with the next attempt's time,
and failed once the retries are spent. RQ only runs the attempts the rows ask for."""

from __future__ import annotations

from datetime import datetime, timedelta

from models import Notification
from models import NotificationStatus as N

# Pauses before each retry: a message that does not go out is tried for some nine hours.
RETRY_INTERVALS = tuple(timedelta(seconds=s) for s in (10, 60, 300, 1800, 7200, 21600))
# How long an attempt may take before the row is due again (a worker killed mid-send).
LEASE = timedelta(minutes=5)
# A new row is enqueued by the process that committed it; the sweep waits this long first.
GRACE = timedelta(seconds=30)
WAITING = (N.PENDING, N.RETRYING, N.SENDING)


def delivered(row: Notification, now: datetime) -> None:
    """The channel took the message."""
    row.status = N.SENT
    row.sent_at = now
    row.next_attempt_at = None
    row.last_error = None


def failed(row: Notification, error: str, now: datetime) -> None:
    """The attempt failed: try again after the next pause, or give up when none is left."""
    row.last_error = error[:2000]
    if row.attempts > len(RETRY_INTERVALS):
        row.status = N.FAILED
        row.next_attempt_at = None
    else:
        row.status = N.RETRYING
        row.next_attempt_at = now + RETRY_INTERVALS[row.attempts - 1]
