"""The one intake service: every channel files a complaint through `submit`."""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from sqlmodel import Session, select

from lapor.domain import reporter_key, search, tracking, workflow
from lapor.domain.deadlines import Deadlines
from lapor.domain.errors import FieldProblem, IdempotencyConflict, ValidationFailed
from lapor.domain.files import (
    MAX_FILE_BYTES,
    MAX_FILES,
    BadImage,
    FileStore,
    is_photo,
    safe_filename,
    sniff,
    without_metadata,
)
from lapor.domain.language import DEFAULT as DEFAULT_LANGUAGE
from lapor.domain.language import chosen as chosen_language
from lapor.domain.notices import Notices
from lapor.domain.places import Gazetteer
from lapor.domain.text import clean_text
from models import (
    Agency,
    Attachment,
    Channel,
    Complaint,
    ComplaintStatus,
    IntakeRequest,
    Reporter,
)

MIN_TEXT = 5
MAX_TEXT = 5000
MAX_TITLE = 150
MAX_ADDRESS = 300
MAX_NAME = 120
MAX_KEY = 200
MAX_MEDIA_URL = 500
MAX_SOURCE = 80

_EMAIL = re.compile(
    r"^[^@\s]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9-]{1,63})+$"
)
_PHONE_CHARS = re.compile(r"[\s\-().]")


@dataclass
class Upload:
    """A file as it arrived: the name the sender gave it and its bytes."""

    filename: str
    content: bytes


@dataclass
class Submission:
    """What a reporter sends through any channel; only `text` is required."""

    text: str
    channel: Channel = Channel.WEB
    title: str = ""
    regency: str | None = None
    district: str | None = None
    address: str | None = None
    lat: float | None = None
    lon: float | None = None
    anonymous: bool = False
    confidential: bool = False
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    telegram_user_id: int | None = None
    telegram_chat_id: int | None = None
    uploads: list[Upload] = field(default_factory=list)
    idempotency_key: str | None = None
    category: str | None = None  # what the client chose (an Open311 service), if anything
    # A photo's address on the sender's server (Open311 media_url): stored, shown to staff as
    # a link, never fetched here.
    media_url: str | None = None
    source: str | None = None  # the Open311 integrator that sent it, by its key's name
    # Open311 `attribute[code]` answers, already checked against the service's definition
    # (lapor.domain.service_attributes): code → value, or a list for a multivaluelist.
    service_attributes: dict[str, str | list[str]] | None = None
    # The language the reporter filed in ("id" or "en"): their emails are written in it.
    language: str = DEFAULT_LANGUAGE


@dataclass(frozen=True)
class RoutingDecision:
    """What the router says about a complaint's text (see lapor.routing)."""

    label: str
    confidence: float
    agency_code: str | None
    auto: bool
    model_version: str


Router = Callable[[Submission], RoutingDecision | None]


@dataclass
class IntakeResult:
    complaint: Complaint
    created: bool
    agency: Agency | None = None  # where it was routed, loaded while the session was open
    # The reporter's secret, in plain this once: the caller shows it to the reporter.
    reporter_key: str | None = None


def submit(
    session: Session,
    submission: Submission,
    *,
    now: datetime,
    store: FileStore,
    gazetteer: Gazetteer | None = None,
    router: Router | None = None,
    deadlines: Deadlines,
    notices: Notices,
    agencies: Mapping[str, Agency] | None = None,
    secret: str | None = None,
) -> IntakeResult:
    """Validate and store a complaint with its reporter, files and first events (no commit).

    A submission with an idempotency key already used returns the complaint made then; the
    same key with different content is refused. The caller commits, or rolls back on error,
    which also removes files written here. `agencies` is the caller's copy of the agency
    table by code (detached rows), so routing needs no query; without it the router's OPD is
    read from the database. `secret` (the installation's) is needed for a submission with an
    idempotency key: its reporter key is derived from it, so a retry gets the same key back.
    """
    clean = validate(submission, gazetteer)
    key = f"{clean.channel.value}:{clean.idempotency_key}" if clean.idempotency_key else None
    fingerprint = _fingerprint(clean) if key is not None else None
    if key is not None:
        earlier = session.get(IntakeRequest, key)
        if earlier is not None:
            if earlier.fingerprint != fingerprint:
                raise IdempotencyConflict(
                    "Kunci idempotensi ini sudah dipakai untuk pengaduan lain.", key=key
                )
            complaint = session.get(Complaint, earlier.complaint_id)
            agency = session.get(Agency, complaint.agency_id) if complaint.agency_id else None
            given, given_hash = _reporter_key(secret, key, fingerprint)
            # The same key as the first answer, unless a new one was issued since.
            again = given if given_hash == complaint.reporter_key_hash else None
            return IntakeResult(complaint, created=False, agency=agency, reporter_key=again)

    decision = router(clean) if router is not None else None
    # Looked up before the complaint joins the session, so the query flushes nothing.
    agency = _auto_agency(session, decision, agencies)
    given, given_hash = _reporter_key(secret, key, fingerprint)
    complaint = Complaint(
        tracking_code=tracking.new_code(),
        reporter_key_hash=given_hash,
        title=clean.title,
        text=clean.text,
        regency=clean.regency,
        district=clean.district,
        address=clean.address,
        lat=clean.lat,
        lon=clean.lon,
        anonymous=clean.anonymous,
        confidential=clean.confidential,
        channel=clean.channel,
        service_code=clean.category,
        media_url=clean.media_url,
        service_attributes=clean.service_attributes,
        language=clean.language,
        status=ComplaintStatus.RECEIVED,
        reporter_id=_reporter_for(session, clean, now),
        # The router's opinion and an automatic routing go into the one INSERT.
        routing_label=decision.label if decision else None,
        routing_confidence=decision.confidence if decision else None,
        model_version=decision.model_version if decision else None,
        received_at=now,
        updated_at=now,
        search_terms=search.document(
            clean.title, clean.text, clean.regency, clean.district, clean.address
        ),
    )
    deadlines.received(complaint, now)
    deadlines.schedule(complaint)
    session.add(complaint)
    submitted = workflow.record_submission(
        session,
        complaint,
        actor=workflow.Actor.reporter(),
        now=now,
        category=clean.category,
        source=clean.source,
        notices=notices,
    )
    if agency is not None:
        _route(session, complaint, agency, decision, now, deadlines, notices)
    if clean.uploads or key is not None:
        session.flush()  # attachments and the idempotency record refer to these ids
    for upload in clean.uploads:
        kind = sniff(upload.content)
        assert kind is not None  # validate() refused everything else
        path, digest = store.save(session, upload.content, kind.extension)
        session.add(
            Attachment(
                complaint_id=complaint.id,
                event_id=submitted.id,
                filename=safe_filename(upload.filename, kind),
                content_type=kind.content_type,
                size=len(upload.content),
                sha256=digest,
                path=path,
                created_at=now,
            )
        )
    if key is not None:
        session.add(
            IntakeRequest(
                key=key, fingerprint=fingerprint, complaint_id=complaint.id, created_at=now
            )
        )
    session.flush()
    return IntakeResult(complaint, created=True, agency=agency, reporter_key=given)


def _reporter_key(secret: str | None, key: str | None, fingerprint: str | None):
    """A new complaint's reporter key and its hash: random, or retry-safe for a keyed filing."""
    if key is None:
        return reporter_key.new_key()
    if not secret:
        raise ValueError("an idempotent submission needs the installation's secret")
    return reporter_key.retry_safe_key(secret, key, fingerprint)


def _auto_agency(
    session: Session, decision: RoutingDecision | None, agencies: Mapping[str, Agency] | None
) -> Agency | None:
    """The OPD the router is sure of, if it is one of the region's active OPDs."""
    if decision is None or not decision.auto or decision.agency_code is None:
        return None
    if agencies is None:
        agency = session.exec(select(Agency).where(Agency.code == decision.agency_code)).first()
    else:
        agency = agencies.get(decision.agency_code)
    if agency is None or not agency.active or agency.kind == "external":
        return None
    # A copy of its own for this session, without a query (the cached row stays untouched).
    return session.merge(agency, load=False) if agencies is not None else agency


def _route(
    session: Session,
    complaint: Complaint,
    agency: Agency,
    decision: RoutingDecision,
    now: datetime,
    deadlines: Deadlines,
    notices: Notices,
) -> None:
    """Dispose to the OPD automatically: the router is sure."""
    workflow.apply(
        session,
        complaint,
        workflow.Action.ROUTE,
        actor=workflow.Actor.system(),
        now=now,
        change=workflow.Change(
            agency=agency,
            data={"label": decision.label, "confidence": round(decision.confidence, 4)},
        ),
        deadlines=deadlines,
        notices=notices,
    )


def _reporter_for(session: Session, clean: Submission, now: datetime) -> int | None:
    """The reporter row to link: one per Telegram account, one per web submission with contact."""
    if clean.telegram_user_id is not None:
        reporter = session.exec(
            select(Reporter).where(Reporter.telegram_user_id == clean.telegram_user_id)
        ).first()
        if reporter is None:
            reporter = Reporter(telegram_user_id=clean.telegram_user_id, created_at=now)
        reporter.telegram_chat_id = clean.telegram_chat_id or reporter.telegram_chat_id
        reporter.name = clean.name or reporter.name
        reporter.email = clean.email or reporter.email
        reporter.phone = clean.phone or reporter.phone
    elif clean.name or clean.email or clean.phone:
        reporter = Reporter(name=clean.name, email=clean.email, phone=clean.phone, created_at=now)
    else:
        return None
    session.add(reporter)
    session.flush()
    return reporter.id


def _fingerprint(clean: Submission) -> str:
    """A hash of everything submitted, to tell a retry from a different complaint."""
    fields = asdict(clean)
    del fields["language"]  # not what the complaint says: a retry in another language is one
    fields["uploads"] = [[u.filename, hashlib.sha256(u.content).hexdigest()] for u in clean.uploads]
    fields["channel"] = clean.channel.value
    payload = json.dumps(fields, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


# --- validation ---------------------------------------------------------------------------


def validate(submission: Submission, gazetteer: Gazetteer | None = None) -> Submission:
    """A cleaned copy of the submission, or ValidationFailed naming every field at fault."""
    problems: dict[str, FieldProblem] = {}

    def problem(name: str, code: str, message: str, **params: object) -> None:
        problems.setdefault(name, FieldProblem(code, message, dict(params)))

    text = clean_text(submission.text, multiline=True)
    if len(text) < MIN_TEXT:
        problem("text", "too_short", f"Isi pengaduan minimal {MIN_TEXT} karakter.", min=MIN_TEXT)
    elif len(text) > MAX_TEXT:
        problem("text", "too_long", f"Isi pengaduan maksimal {MAX_TEXT} karakter.", max=MAX_TEXT)
    title = clean_text(submission.title)
    if len(title) > MAX_TITLE:
        problem("title", "too_long", f"Judul maksimal {MAX_TITLE} karakter.", max=MAX_TITLE)
    address = clean_text(submission.address) or None
    if address and len(address) > MAX_ADDRESS:
        problem("address", "too_long", f"Alamat maksimal {MAX_ADDRESS} karakter.", max=MAX_ADDRESS)
    regency, district = _place(submission, gazetteer, problem)
    lat, lon = _point(submission.lat, submission.lon, problem)
    name = clean_text(submission.name) or None
    if name and len(name) > MAX_NAME:
        problem("name", "too_long", f"Nama maksimal {MAX_NAME} karakter.", max=MAX_NAME)
    email = clean_text(submission.email).lower() or None
    if email and (len(email) > 254 or not _EMAIL.match(email)):
        problem("email", "invalid", "Alamat email tidak valid.")
    phone = _phone(submission.phone, problem)
    uploads = _checked_uploads(submission.uploads, problem)
    key = clean_text(submission.idempotency_key) or None
    if key and len(key) > MAX_KEY:
        problem("idempotency_key", "too_long", f"Kunci idempotensi maksimal {MAX_KEY} karakter.")
    media_url = _media_url(submission.media_url, problem)
    if not isinstance(submission.channel, Channel):
        problem("channel", "invalid", "Kanal pengaduan tidak dikenal.")
    if problems:
        raise ValidationFailed(problems)
    return Submission(
        text=text,
        channel=submission.channel,
        title=title,
        regency=regency,
        district=district,
        address=address,
        lat=lat,
        lon=lon,
        anonymous=bool(submission.anonymous),
        confidential=bool(submission.confidential),
        name=name,
        email=email,
        phone=phone,
        telegram_user_id=submission.telegram_user_id,
        telegram_chat_id=submission.telegram_chat_id,
        uploads=uploads,
        idempotency_key=key,
        category=clean_text(submission.category)[:40] or None,
        media_url=media_url,
        source=clean_text(submission.source)[:MAX_SOURCE] or None,
        service_attributes=dict(submission.service_attributes or {}) or None,
        language=chosen_language(submission.language),
    )


def _place(
    submission: Submission, gazetteer: Gazetteer | None, problem
) -> tuple[str | None, str | None]:
    regency = clean_text(submission.regency) or None
    district = clean_text(submission.district) or None
    if gazetteer is None:
        return regency, district
    if regency is None:
        if district is not None:
            problem("regency", "required", "Pilih kabupaten/kota dari kecamatan tersebut.")
        return None, None
    found = gazetteer.regency(regency)
    if found is None:
        problem(
            "regency",
            "unknown",
            f"Kabupaten/kota '{regency}' tidak dikenal di {gazetteer.province}.",
        )
        return None, None
    if district is None:
        return found.name, None
    canonical = gazetteer.district(found, district)
    if canonical is None:
        problem("district", "unknown", f"Kecamatan '{district}' tidak ada di {found.name}.")
    return found.name, canonical


def _point(lat: object, lon: object, problem) -> tuple[float | None, float | None]:
    if lat in (None, "") and lon in (None, ""):
        return None, None
    try:
        lat_f, lon_f = float(lat), float(lon)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        problem("lat", "invalid", "Titik lokasi harus berupa lintang dan bujur berupa angka.")
        return None, None
    if not (math.isfinite(lat_f) and -90 <= lat_f <= 90):
        problem("lat", "out_of_range", "Lintang harus di antara -90 dan 90.")
    if not (math.isfinite(lon_f) and -180 <= lon_f <= 180):
        problem("lon", "out_of_range", "Bujur harus di antara -180 dan 180.")
    return lat_f, lon_f


def _media_url(raw: object, problem) -> str | None:
    """An http(s) address of at most 500 characters, kept as sent (it is only ever a link)."""
    url = clean_text(raw)
    if not url:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unclosed [IPv6] host
        parts = None
    if (
        parts is None
        or len(url) > MAX_MEDIA_URL
        or " " in url
        or parts.scheme.lower() not in ("http", "https")
        or not parts.hostname
    ):
        problem(
            "media_url",
            "invalid",
            f"Harus alamat http:// atau https:// (maksimal {MAX_MEDIA_URL} karakter).",
            max=MAX_MEDIA_URL,
        )
        return None
    return url


def stored_contact(raw: object) -> tuple[str, str] | None:
    """An email address or phone number typed, as intake stores it and which it is:
    ("email", "siti@example.id") or ("phone", "+62812…"); None when it is neither."""
    text = clean_text(raw)
    if "@" in text:
        email = text.lower()
        return ("email", email) if len(email) <= 254 and _EMAIL.match(email) else None
    phone = _phone(text, lambda *_args, **_params: None)
    return ("phone", phone) if phone else None


def _phone(raw: object, problem) -> str | None:
    """An Indonesian number as +62…, from 08…, 628… or +628… with spaces or dashes."""
    text = _PHONE_CHARS.sub("", clean_text(raw))
    if not text:
        return None
    if text.startswith("+"):
        digits = text[1:]
    elif text.startswith("0"):
        digits = "62" + text[1:]
    else:
        digits = text
    if not digits.isdigit() or not 10 <= len(digits) <= 15:
        problem("phone", "invalid", "Nomor telepon tidak valid (contoh: 0812 3456 7890).")
        return None
    return "+" + digits


def _checked_uploads(uploads: list[Upload], problem) -> list[Upload]:
    """The files as they will be stored: photos decoded and written again without metadata."""
    if len(uploads) > MAX_FILES:
        problem("attachments", "too_many", f"Lampiran maksimal {MAX_FILES} berkas.", max=MAX_FILES)
        return []
    checked = []
    for upload in uploads:
        kind = sniff(upload.content)
        if len(upload.content) == 0:
            problem("attachments", "empty", f"Berkas '{upload.filename}' kosong.")
        elif len(upload.content) > MAX_FILE_BYTES:
            limit = MAX_FILE_BYTES // (1024 * 1024)
            problem("attachments", "too_large", f"Berkas '{upload.filename}' melebihi {limit} MB.")
        elif kind is None:
            problem(
                "attachments",
                "bad_type",
                f"Berkas '{upload.filename}' bukan foto (JPEG, PNG, WebP) atau PDF.",
            )
        elif is_photo(kind):
            try:
                checked.append(Upload(upload.filename, without_metadata(upload.content, kind)))
            except BadImage:
                problem(
                    "attachments",
                    "bad_image",
                    f"Berkas '{upload.filename}' rusak atau bukan gambar {kind.extension} yang "
                    "utuh. Kirim ulang fotonya.",
                )
        else:
            checked.append(upload)
    return checked
