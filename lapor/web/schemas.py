"""The JSON API's request bodies as strict pydantic models: a wrong type is a field error, and
the OpenAPI document's schemas are generated from these models, so they cannot drift apart.

The models check shape and type only (and, for the staff bodies, that text can be stored:
StaffText). The rules (lengths, places, ranges, formats) are the domain's (lapor.domain.intake,
lapor.domain.workflow), which the web form and the bot share; their limits appear in the
schemas through the same constants."""

from __future__ import annotations

from typing import Annotated, Any, get_args

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import PydanticCustomError

from lapor.domain.errors import FieldProblem, ValidationFailed
from lapor.domain.feedback import MAX_COMMENT, MIN_REASON
from lapor.domain.intake import MAX_ADDRESS, MAX_NAME, MAX_TEXT, MAX_TITLE, MIN_TEXT
from lapor.domain.workflow import MAX_NOTE, RejectReason
from lapor.services.casework import MAX_BULK, ROLE_ACTIONS
from models import AgencyKind

REF_TEMPLATE = "#/components/schemas/{model}"


class Strict(BaseModel):
    """No coercion ("1" is no number, "ya" no boolean), no NaN or infinity; unknown keys are
    ignored, as the API always has."""

    model_config = ConfigDict(strict=True, allow_inf_nan=False, extra="ignore")


def _text(description: str | None = None, **limits: int) -> Any:
    schema = {{"max": "maxLength", "min": "minLength"}[k]: v for k, v in limits.items()}
    return Field(None, description=description, json_schema_extra=schema or None)


class Location(Strict):
    regency: str | None = _text("kabupaten/kota")
    district: str | None = _text("kecamatan")
    address: str | None = _text(max=MAX_ADDRESS)
    lat: float | None = Field(None, json_schema_extra={"minimum": -90, "maximum": 90})
    lon: float | None = Field(None, json_schema_extra={"minimum": -180, "maximum": 180})


class Contact(Strict):
    name: str | None = _text(max=MAX_NAME)
    email: str | None = Field(None, json_schema_extra={"format": "email"})
    phone: str | None = None


class NewComplaint(Strict):
    """POST /api/v1/complaints."""

    text: str = Field(json_schema_extra={"minLength": MIN_TEXT, "maxLength": MAX_TEXT})
    title: str | None = _text(max=MAX_TITLE)
    location: Location | None = None
    anonymous: bool | None = Field(None, description="anonim: identitas disembunyikan dari OPD")
    confidential: bool | None = Field(None, description="rahasia: tidak tampil di publik")
    contact: Contact | None = None


class Feedback(Strict):
    """POST /api/v1/complaints/<code>/feedback: the rating closes the complaint."""

    rating: int = Field(json_schema_extra={"minimum": 1, "maximum": 5})
    comment: str | None = _text(max=MAX_COMMENT)


class Reopening(Strict):
    """POST /api/v1/complaints/<code>/reopen."""

    reason: str = Field(json_schema_extra={"minLength": MIN_REASON, "maxLength": MAX_COMMENT})


class Answer(Strict):
    """POST /api/v1/complaints/<code>/info: the reporter's answer to the OPD's question."""

    text: str = Field(json_schema_extra={"minLength": 5, "maxLength": 5000})


def _storable(value: str) -> str:
    """Text a database can store and compare: no NUL (PostgreSQL refuses one; the forms and
    query strings refuse it too, lapor.web.errors) and no lone surrogate (no UTF-8 for it)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise PydanticCustomError("unstorable_text", "lone surrogate") from None
    if "\x00" in value:
        raise PydanticCustomError("unstorable_text", "NUL character")
    return value


StaffText = Annotated[str, AfterValidator(_storable)]


# Every action some staff role may take (lapor.services.casework.ROLE_ACTIONS), for the schema:
# any other word is refused by the rules (422 unknown_action), not by the model.
STAFF_ACTIONS = sorted({action.value for actions in ROLE_ACTIONS.values() for action in actions})


class StaffActionBody(Strict):
    """POST /api/v1/staff/complaints/<code>/actions."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"action": "respond", "note": "Tim sudah meninjau lokasi; perbaikan minggu depan."},
                {"action": "note", "note": "Menunggu anggaran pemeliharaan."},
                {"action": "transfer", "agency": "DISHUB", "note": "Urusan lampu lalu lintas."},
                {"action": "reject", "reason": "duplicate", "duplicate_of": "ABCDE-FGHJK"},
            ]
        }
    )
    action: StaffText = Field(
        description="Tindakan; yang boleh tergantung peran dan status pengaduan.",
        json_schema_extra={"enum": STAFF_ACTIONS},
    )
    note: StaffText | None = Field(
        None,
        description="Catatan; wajib untuk respond, request_info, transfer, resolve dan note. "
        "Catatan respond, request_info, resolve dan forward tampil kepada pelapor.",
        json_schema_extra={"maxLength": MAX_NOTE},
    )
    agency: StaffText | None = Field(None, description="kode OPD tujuan (verify, transfer)")
    reason: StaffText | None = Field(
        None,
        description="alasan pengarsipan (reject)",
        json_schema_extra={"enum": [r.value for r in RejectReason] + [None]},
    )
    duplicate_of: StaffText | None = Field(
        None, description="kode pelacakan pengaduan asli (reject dengan reason duplicate)"
    )
    forwarded_to: StaffText | None = Field(
        None, description="nama instansi di luar Pemda yang menerima (forward)"
    )


class BulkActionBody(StaffActionBody):
    """POST /api/v1/staff/complaints/actions: one action on several complaints."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"codes": ["ABCDE-FGHJK", "KLMNP-QRSTU"], "action": "note", "note": "Dicek."},
                {"codes": ["ABCDE-FGHJK"], "action": "verify", "agency": "PUPR"},
            ]
        }
    )
    codes: list[str] = Field(
        description="kode pelacakan",
        json_schema_extra={"minItems": 1, "maxItems": MAX_BULK},
    )


# GET /api/v1/staff/complaints/<code>/similar?limit=: at most this many (a query parameter).
SIMILAR_LIMIT = 20


class ReadNotices(Strict):
    """POST /api/v1/staff/notices/read."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"ids": [12, 15]}, {"all": True}]})
    ids: list[int] | None = Field(None, description="id pemberitahuan yang dibaca")
    all: bool | None = Field(None, description="true: semua pemberitahuan dibaca")


# pydantic's error types, as the API's field problems (lapor.web.messages words them in English).
PROBLEMS = {
    "missing": ("required", "Wajib diisi."),
    "string_type": ("not_a_string", "Harus berupa teks."),
    "bool_type": ("not_a_boolean", "Harus true atau false."),
    "float_type": ("not_a_number", "Harus berupa angka."),
    "int_type": ("not_a_number", "Harus berupa bilangan bulat."),
    "finite_number": ("not_a_number", "Harus berupa angka."),
    "model_type": ("not_an_object", "Harus berupa objek JSON."),
    "model_attributes_type": ("not_an_object", "Harus berupa objek JSON."),
    "list_type": ("not_a_list", "Harus berupa daftar."),
    "unstorable_text": ("invalid", "Memuat karakter yang tidak diizinkan (NUL atau surrogate)."),
    "extra_forbidden": ("unknown_field", "Kolom tidak dikenal."),
}


def parse(model: type[Strict], body: object) -> Strict:
    """The body as the model, or ValidationFailed naming each field by its dotted JSON path."""
    if not isinstance(body, dict):
        raise ValidationFailed(
            {"body": FieldProblem("invalid", "Isi permintaan harus objek JSON.")}
        )
    try:
        return model.model_validate(body)
    except ValidationError as error:
        problems: dict[str, FieldProblem] = {}
        for item in error.errors():
            path = ".".join(str(part) for part in item["loc"])
            code, message = PROBLEMS.get(item["type"], ("invalid", "Nilai tidak valid."))
            problems.setdefault(path, FieldProblem(code, message))
        raise ValidationFailed(problems) from None


def ignored_keys(model: type[BaseModel], body: object, prefix: str = "") -> list[str]:
    """The dotted paths of the keys the model ignores in a body (a misspelt "reporter" for
    "contact" would otherwise lose the reporter's contact without a word)."""
    if not isinstance(body, dict):
        return []
    ignored = []
    for key, value in body.items():
        field = model.model_fields.get(key)
        if field is None:
            ignored.append(f"{prefix}{key}")
        elif nested := _nested_model(field.annotation):
            ignored += ignored_keys(nested, value, f"{prefix}{key}.")
    return ignored


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    for candidate in (annotation, *get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


# --- The admin API's bodies (/api/v1/admin): the field names of agencies.yaml. The models
# check types; the registry's rules (lapor.domain.registry) check the values.

_AGENCY_EXAMPLE = {
    "code": "DISPERTA",
    "name": "Dinas Pertanian Provinsi Kalimantan Tengah",
    "short_name": "Dispertan",
    "kind": "dinas",
    "parent": "SETDA",
    "email": "disperta@example.go.id",
    "telegram_chat": None,
    "active": True,
}


class AgencyFields(Strict):
    """The fields of an agencies.yaml entry that a change may send."""

    model_config = ConfigDict(extra="forbid")
    # Fields that cannot be null default to None, which means "not sent" (PATCH).
    name: StaffText = Field(None, json_schema_extra={"minLength": 3, "maxLength": 200})  # type: ignore[assignment]
    short_name: StaffText | None = Field(
        None,
        description="nama singkat (kosong: dari nama)",
        json_schema_extra={"maxLength": 80},
    )
    kind: StaffText = Field(  # type: ignore[assignment]
        None,
        description="jenis: external untuk instansi di luar Pemda (tanpa induk)",
        json_schema_extra={"enum": [k.value for k in AgencyKind]},
    )
    parent: StaffText | None = Field(
        None, description="kode induk dalam rantai eskalasi (null: puncak rantai)"
    )
    email: StaffText | None = Field(None, json_schema_extra={"format": "email"})
    telegram_chat: int | None = Field(
        None,
        description="ID obrolan Telegram grup OPD",
        json_schema_extra={"minimum": -(10**18) + 1, "maximum": 10**18 - 1},
    )
    active: bool = Field(None, description="false: nonaktif (tidak menerima pengaduan baru)")  # type: ignore[assignment]


class NewAgency(AgencyFields):
    """POST /api/v1/admin/agencies: an OPD or outside body, as an agencies.yaml entry."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [_AGENCY_EXAMPLE, {**_AGENCY_EXAMPLE, "code": "SETDA"}]},
    )
    code: StaffText = Field(
        description="kode unik, huruf besar",
        json_schema_extra={"pattern": "^[A-Z0-9][A-Z0-9_-]{1,39}$"},
    )
    name: StaffText = Field(json_schema_extra={"minLength": 3, "maxLength": 200})
    kind: StaffText = Field(json_schema_extra={"enum": [k.value for k in AgencyKind]})


class AgencyChanges(AgencyFields):
    """PATCH /api/v1/admin/agencies/<code>: only the fields sent change."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"name": "Dinas Pertanian dan Peternakan Provinsi Kalimantan Tengah"},
                {"parent": "BIRO-EKON"},
                {"email": "dishub@example.go.id", "telegram_chat": -1001234567890},
                {"parent": "DISHUB"},
                {"active": False},
            ]
        },
    )
    code: StaffText | None = Field(None, description="tidak dapat diubah: sama dengan kode di URL")


class NewHoliday(Strict):
    """POST /api/v1/admin/holidays: a regional day off."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"date": "2031-05-23", "reason": "Hari jadi provinsi (cuti daerah)"},
                {"date": "2031-02-30", "reason": "Tanggal yang tidak ada"},
            ]
        },
    )
    date: StaffText = Field(
        description="YYYY-MM-DD, antara 2000 dan 2100",
        json_schema_extra={"pattern": r"^\d{4}-\d{2}-\d{2}$"},
    )
    reason: StaffText = Field(json_schema_extra={"minLength": 3, "maxLength": 200})


class MyComplaintsRequest(Strict):
    """POST /api/v1/my-complaints: the link to every complaint filed with this contact."""

    contact: str = Field(
        description="email atau nomor telepon yang diisi saat melapor",
        json_schema_extra={"minLength": 1, "maxLength": 254},
    )


PUBLIC_BODIES: tuple[type[Strict], ...] = (
    NewComplaint,
    Feedback,
    Reopening,
    Answer,
    MyComplaintsRequest,
)
STAFF_BODIES: tuple[type[Strict], ...] = (StaffActionBody, BulkActionBody, ReadNotices)
ADMIN_BODIES: tuple[type[Strict], ...] = (NewAgency, AgencyChanges, NewHoliday)


def components(models: tuple[type[Strict], ...] = PUBLIC_BODIES) -> dict[str, dict]:
    """The request models' JSON schemas (the public API's by default), for an OpenAPI
    document's components."""
    schemas: dict[str, dict] = {}
    for model in models:
        schema = model.model_json_schema(ref_template=REF_TEMPLATE)
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    return schemas


def ref(model: type[Strict]) -> dict:
    return {"$ref": REF_TEMPLATE.format(model=model.__name__)}
