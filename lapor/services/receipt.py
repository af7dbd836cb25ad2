"""What a complaint's reporter reads beyond the public view: the stage it is in and by when,
what happens next (the receipt to keep), and the files they sent."""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from PIL import Image
from sqlmodel import Session, select

from lapor.domain.workflow import TERMINAL
from lapor.infra import directory
from lapor.infra.settings import Settings
from lapor.infra.storage import AttachmentStore
from lapor.services.effects import deadlines_for
from models import Agency, Attachment, Complaint
from models import ComplaintStatus as S

log = logging.getLogger(__name__)
ANSWERED = frozenset({S.IN_PROGRESS, S.RESOLVED, S.CLOSED})
PHOTOS = frozenset({"image/jpeg", "image/png", "image/webp"})
THUMBNAIL_PIXELS = 320


@dataclass(frozen=True)
class Step:
    """One thing that happens next: who does it, by when (or within how many working days of
    the step before, when its clock has not started yet), and whether it is done."""

    name: str  # verification | response | resolution
    done: bool
    due: datetime | None
    days: int | None
    who: str | None


def next_steps(settings: Settings, session: Session, complaint: Complaint) -> list[Step]:
    """Verification by the triage unit, the OPD's answer, completion: with the complaint's own
    deadlines and, for a step not yet started, the SLA policy in force. None once it ended."""
    if complaint.status in TERMINAL:
        return []
    deadlines = deadlines_for(settings)
    agency = session.get(Agency, complaint.agency_id) if complaint.agency_id else None
    policy = deadlines.policy(complaint, agency.code if agency else None)
    triage = directory.agencies.get(settings).get(deadlines.book.triage_agency)
    opd = agency.name if agency else None
    verified = agency is not None and complaint.status != S.RECEIVED
    return [
        Step(
            "verification",
            verified,
            complaint.verification_due_at,
            policy.verification_days,
            triage.name if triage else None,
        ),
        Step(
            "response",
            complaint.status in ANSWERED,
            complaint.response_due_at,
            policy.response_days,
            opd,
        ),
        Step(
            "resolution",
            complaint.status in {S.RESOLVED, S.CLOSED},
            complaint.resolution_due_at,
            policy.resolution_calendar_days,
            opd,
        ),
    ]


# --- the reporter's files -----------------------------------------------------------------


def own_attachments(session: Session, complaint: Complaint) -> list[Attachment]:
    """The files sent with the complaint, in the order they were sent."""
    query = select(Attachment).where(Attachment.complaint_id == complaint.id)
    return list(session.exec(query.order_by(Attachment.id)))


def attachment_file(
    settings: Settings, session: Session, complaint: Complaint, attachment_id: int
) -> tuple[Attachment, Path] | None:
    """One of this complaint's files and where it is stored; None for another complaint's
    file, an unknown id or a file gone from the disk."""
    row = session.get(Attachment, attachment_id)
    if row is None or row.complaint_id != complaint.id:
        return None
    try:
        path = AttachmentStore(settings.attachments_dir).open(row.path)
    except ValueError:
        return None
    return (row, path) if path.is_file() else None


def thumbnail(path: Path, pixels: int = THUMBNAIL_PIXELS) -> bytes | None:
    """A small JPEG of a stored photo (a phone on mobile data would otherwise load up to
    5 MB per picture just to show a thumbnail), transparency on white; None when the file
    does not decode (the caller sends it as it is)."""
    try:
        with Image.open(path) as image:
            # Only ever smaller; a JPEG is decoded at 1/2…1/8 of its size already (draft).
            image.thumbnail((pixels, pixels))
            small = image.convert("RGBA")
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        log.warning("attachment %s has no thumbnail: %s", path.name, error)
        return None
    flat = Image.alpha_composite(Image.new("RGBA", small.size, "white"), small).convert("RGB")
    out = io.BytesIO()
    flat.save(out, "JPEG", quality=80)
    return out.getvalue()
