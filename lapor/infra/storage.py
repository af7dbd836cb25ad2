"""Attachment files under the data directory, under random names that no upload chooses."""

from __future__ import annotations

import hashlib
import os
import secrets
import tempfile
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.orm import Session

_PENDING_KEY = "lapor.infra.storage.new_files"


class AttachmentStore:
    """Writes each file to <root>/<aa>/<random><ext>; the paths handed out are relative to root.

    Every save gets a fresh name, so removing the files of a rolled-back transaction can never
    take away a file that another, committed transaction refers to.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def save(self, session: Session, content: bytes, extension: str) -> tuple[str, str]:
        """Store the bytes; return (relative path, sha256). Removed if `session` rolls back."""
        digest = hashlib.sha256(content).hexdigest()
        name = secrets.token_hex(16)
        relative = f"{name[:2]}/{name}{extension}"
        target = self.root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        # Write to a temporary name first so a reader never sees half a file.
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
        os.replace(tmp, target)
        session.info.setdefault(_PENDING_KEY, []).append(target)
        return relative, digest

    def open(self, relative: str) -> Path:
        """The absolute path of a stored file, refusing anything outside the root."""
        path = (self.root / relative).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError("attachment path escapes the storage root")
        return path


@event.listens_for(Session, "after_commit")
def _keep_new_files(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)


@event.listens_for(Session, "after_rollback")
def _remove_new_files(session: Session) -> None:
    # Files written for a transaction that did not commit belong to no row: remove them.
    for path in session.info.pop(_PENDING_KEY, []):
        path.unlink(missing_ok=True)
