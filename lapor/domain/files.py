"""Which uploaded files Lapor accepts, judged by their content, never by their name."""

from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass
from typing import Protocol

from PIL import ExifTags, Image, ImageOps

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_FILES = 5


@dataclass(frozen=True)
class FileKind:
    content_type: str
    extension: str


JPEG = FileKind("image/jpeg", ".jpg")
PNG = FileKind("image/png", ".png")
WEBP = FileKind("image/webp", ".webp")
PDF = FileKind("application/pdf", ".pdf")


def sniff(content: bytes) -> FileKind | None:
    """The accepted kind the bytes really are (photo or PDF), or None."""
    if content.startswith(b"\xff\xd8\xff"):
        return JPEG
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if len(content) >= 12 and content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return WEBP
    if content.startswith(b"%PDF-"):
        return PDF
    return None


class FileStore(Protocol):
    """Where intake puts a complaint's files (lapor.infra.storage.AttachmentStore)."""

    def save(self, session, content: bytes, extension: str) -> tuple[str, str]:
        """Store the bytes for this session's transaction; (relative path, sha256)."""
        ...


_UNSAFE = re.compile(r"[^\w.\- ]+")


def safe_filename(raw: str, kind: FileKind) -> str:
    """A display name without directories or odd characters, ending in the real extension."""
    name = unicodedata.normalize("NFKC", raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    stem = name.rsplit(".", 1)[0] if "." in name else name
    stem = _UNSAFE.sub("_", stem).strip(" ._")[:80] or "lampiran"
    return stem + kind.extension


# --- photos without their metadata ---------------------------------------------------------

MAX_PIXELS = 50_000_000  # a phone's 200-megapixel mode aside, no complaint photo is larger
# What Pillow calls each accepted kind (phones write JPEGs with a second picture as MPO).
PILLOW_FORMATS = {JPEG: {"JPEG", "MPO"}, PNG: {"PNG"}, WEBP: {"WEBP"}}


class BadImage(ValueError):
    """The bytes do not decode as the photo they start like, or it is far too large."""


def is_photo(kind: FileKind) -> bool:
    return kind in PILLOW_FORMATS


def without_metadata(content: bytes, kind: FileKind) -> bytes:
    """The photo stored again with its pixels and colour profile only.

    EXIF (GPS position, camera serial, owner's name, time), XMP, comments and text chunks are
    left behind: an anonymous reporter's photo would otherwise carry their home's coordinates.
    The EXIF orientation is applied to the pixels first, so the photo still shows upright.
    """
    try:
        with Image.open(io.BytesIO(content)) as image:
            if image.format not in PILLOW_FORMATS[kind]:
                raise BadImage(f"not a {kind.extension} image but {image.format}")
            if image.width * image.height > MAX_PIXELS:
                raise BadImage("too many pixels")
            image.load()
            return _encode(image, kind)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        # Pillow reports a truncated or corrupt file as OSError or SyntaxError.
        raise BadImage(str(error)) from error


def _encode(image: Image.Image, kind: FileKind) -> bytes:
    turned = image.getexif().get(ExifTags.Base.Orientation, 1) != 1
    upright = ImageOps.exif_transpose(image) if turned else image
    profile = image.info.get("icc_profile")
    options: dict[str, object] = {"icc_profile": profile} if profile else {}
    out = io.BytesIO()
    if kind == JPEG:
        # Unrotated, the original quantisation is kept, so the photo loses nothing more.
        quality = 90 if turned else "keep"
        upright.save(out, "JPEG", quality=quality, comment=b"", **options)
    elif kind == PNG:
        upright.save(out, "PNG", optimize=False, **options)
    else:
        upright.save(out, "WEBP", quality=90, **options)
    return out.getvalue()
