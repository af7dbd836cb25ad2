"""Photos stored before Lapor removed metadata at upload: the same cleaning, applied once."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlmodel import Session, select

from lapor.domain.files import BadImage, is_photo, sniff, without_metadata
from lapor.infra import db
from lapor.infra.settings import Settings
from lapor.infra.storage import AttachmentStore
from models import Attachment

log = logging.getLogger(__name__)


@dataclass
class Scrubbed:
    checked: int = 0
    cleaned: int = 0
    undecodable: list[int] = field(default_factory=list)  # attachment ids, left as they are


def strip_stored_photos(settings: Settings) -> Scrubbed:
    """Store every photo again without its metadata; each photo its own transaction, so an
    interrupted run leaves every row pointing at a whole file and can simply be run again."""
    store = AttachmentStore(settings.attachments_dir)
    result = Scrubbed()
    with db.session_scope(settings) as session:
        ids = list(session.exec(select(Attachment.id).order_by(Attachment.id)))
    for attachment_id in ids:
        outcome, old_path = db.run_in_transaction(
            settings, lambda s, i=attachment_id: _strip_one(s, store, i)
        )
        result.checked += outcome != NOT_A_PHOTO
        if outcome == CLEANED:
            result.cleaned += 1
            old_path.unlink(missing_ok=True)  # only once the row points at the new file
        elif outcome == UNDECODABLE:
            result.undecodable.append(attachment_id)
    return result


NOT_A_PHOTO, UNCHANGED, CLEANED, UNDECODABLE = "not a photo", "unchanged", "cleaned", "bad"


def _strip_one(session: Session, store: AttachmentStore, attachment_id: int):
    """(what happened, the file the row pointed at before)."""
    attachment = session.get(Attachment, attachment_id)
    path = store.open(attachment.path)
    content = path.read_bytes() if path.exists() else b""
    kind = sniff(content)
    if kind is None or not is_photo(kind):
        return NOT_A_PHOTO, path
    try:
        clean = without_metadata(content, kind)
    except BadImage as error:
        log.warning("attachment %s does not decode (%s): left as it is", attachment_id, error)
        return UNDECODABLE, path
    if clean == content:
        return UNCHANGED, path
    attachment.path, attachment.sha256 = store.save(session, clean, kind.extension)
    attachment.size = len(clean)
    return CLEANED, path
