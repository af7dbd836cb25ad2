"""The OpenAPI 3.1 documents: the public API (/api/v1/openapi.json), the staff API
(/api/v1/staff/openapi.json), the admin API (/api/v1/admin/openapi.json) and Open311
(/open311/v2/openapi.json)."""

from __future__ import annotations

from lapor.domain import tracking
from lapor.domain.sla_policy import MAX_DAYS, MAX_TITLE, TARGETS, WEEKDAYS
from lapor.services import georeport, inbox
from lapor.services.casework import MAX_BULK, ROLE_ACTIONS
from lapor.services.changes import PAGE_SIZE, SUBJECTS
from lapor.services.georeport_updates import FMS_DUPLICATE, FMS_STATUS, FMS_STATUS_OF_ACTION
from lapor.services.worklist import MAX_PER_PAGE, SLA_STATES, SORTS
from lapor.web import listing, schemas
from models import ActorKind, AgencyKind, Channel, ComplaintStatus, Role

_STATUS = {"type": "string", "enum": [s.value for s in ComplaintStatus]}
_NULLABLE_STRING = {"type": ["string", "null"]}

_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "fields"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "fields": {"type": "object", "additionalProperties": {"type": "string"}},
            },
        }
    },
}

_AGENCY = {
    "type": ["object", "null"],
    "required": ["code", "name"],
    "properties": {
        "code": {"type": "string"},
        "name": {"type": "string"},
        "short_name": {"type": "string"},
    },
}

_RECEIPT = {
    "type": "object",
    "required": [
        "tracking_code",
        "reporter_key",
        "follow_up_url",
        "status",
        "agency",
        "confidence",
        "next_deadline",
    ],
    "properties": {
        "tracking_code": {"type": "string", "pattern": "^[2-9A-HJ-NP-Z]{10}$"},
        "reporter_key": {
            "type": ["string", "null"],
            "description": "Kunci rahasia pelapor; Lapor hanya menyimpan hash-nya. Kirim di "
            "header X-Reporter-Key untuk menilai, membuka kembali, atau menjawab. Kiriman ulang "
            "dengan Idempotency-Key dan isi yang sama mendapat kunci yang sama (null bila "
            "pelapor sudah meminta tautan baru); karena itu Idempotency-Key harus acak dan "
            "tidak dapat ditebak, misalnya UUID.",
        },
        "follow_up_url": {
            "type": ["string", "null"],
            "description": "Tautan pribadi pelapor ke halaman lacaknya (memuat kunci pelapor).",
        },
        "status": _STATUS,
        "agency": _AGENCY,
        "confidence": {"type": ["number", "null"]},
        "next_deadline": {"type": ["string", "null"], "format": "date-time"},
        "ignored_fields": {
            "type": "array",
            "items": {"type": "string"},
            "description": "Kunci kiriman yang tidak dikenal dan diabaikan, dengan jalurnya "
            "(mis. reporter.name, padahal kontak pelapor dikirim di contact); hanya ada bila "
            "ada kunci seperti itu.",
        },
    },
}

_EVENT = {
    "type": "object",
    "properties": {
        "at": {"type": "string", "format": "date-time"},
        "action": {"type": "string"},
        "label": {"type": "string"},
        "actor": {"type": "string"},
        "status": _STATUS,
        "note": _NULLABLE_STRING,
    },
}

_COMPLAINT = {
    "type": "object",
    "required": ["tracking_code", "status", "text", "timeline"],
    "properties": {
        "tracking_code": {"type": "string"},
        "status": _STATUS,
        "status_label": {"type": "string"},
        "title": _NULLABLE_STRING,
        "text": _NULLABLE_STRING,
        "location": {
            "type": "object",
            "properties": {"regency": _NULLABLE_STRING, "district": _NULLABLE_STRING},
        },
        "agency": _AGENCY,
        "confidential": {"type": "boolean"},
        "withheld": {
            "type": "boolean",
            "description": "Isi pengaduan rahasia disembunyikan: hanya pelapor (dengan "
            "X-Reporter-Key) yang melihat judul, isi, lokasi, dan catatannya.",
        },
        "received_at": {"type": "string", "format": "date-time"},
        "updated_at": {"type": "string", "format": "date-time"},
        "next_deadline": {"type": ["string", "null"], "format": "date-time"},
        "timeline": {"type": "array", "items": _EVENT},
        "answers": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"at": {"type": "string"}, "text": {"type": "string"}},
            },
        },
        "duplicate_of": {
            "type": ["object", "null"],
            "description": "Pengaduan asli, bila pengaduan ini digabung dengannya sebagai "
            "duplikat: jawabannya berlaku juga untuk pelapor pengaduan ini.",
            "required": ["tracking_code", "status", "status_label"],
            "properties": {
                "tracking_code": {"type": "string"},
                "status": _STATUS,
                "status_label": {"type": "string"},
            },
        },
        "original_answers": {
            "type": "array",
            "description": "Jawaban OPD atas pengaduan asli (kosong bila pengaduan asli rahasia).",
            "items": {
                "type": "object",
                "properties": {"at": {"type": "string"}, "text": {"type": "string"}},
            },
        },
    },
}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_CODE_PARAMETER = {"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}


def _reporter_key_parameter(required: bool) -> dict:
    return {
        "name": "X-Reporter-Key",
        "in": "header",
        "required": required,
        "description": "Kunci pelapor dari tanda terima (reporter_key), atau kunci dari "
        "tautan pribadi di email kepada pelapor.",
        "schema": {"type": "string"},
    }


def _reporter_command(summary: str, body: dict) -> dict:
    """A reporter's action on their complaint: the key in a header, the reporter's view back."""
    return {
        "post": {
            "summary": summary,
            "parameters": [_CODE_PARAMETER, _reporter_key_parameter(required=True)],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": body}},
            },
            "responses": {
                "200": _json(_COMPLAINT, "Dilakukan; tampilan pelapor atas pengaduannya"),
                "400": _error("Isi permintaan bukan objek JSON"),
                "403": _error("Kunci pelapor tidak ada atau salah; tidak ada yang diubah"),
                "404": _error("Tidak ditemukan"),
                "409": _error("Tidak dapat dilakukan pada status pengaduan sekarang"),
                "422": _error("Isian tidak valid, atau tidak dapat dilakukan sekarang"),
                "429": _error("Terlalu banyak kunci salah; tunggu sebelum mencoba lagi"),
            },
        }
    }


def _reporter_commands() -> dict:
    return {
        "/complaints/{code}/feedback": _reporter_command(
            "Pelapor menilai pengaduan yang selesai (1–5); penilaian menutup pengaduan",
            schemas.ref(schemas.Feedback),
        ),
        "/complaints/{code}/reopen": _reporter_command(
            "Pelapor menyatakan pengaduan belum selesai: kembali ke OPD",
            schemas.ref(schemas.Reopening),
        ),
        "/complaints/{code}/info": _reporter_command(
            "Pelapor menjawab pertanyaan OPD; jam tenggat berjalan lagi",
            schemas.ref(schemas.Answer),
        ),
    }


def _error(description: str) -> dict:
    return _json(_ERROR, description)


def _my_complaints() -> dict:
    """Asking for the "my complaints" link (the web page /lacak/saya does the same)."""
    sent = {
        "type": "object",
        "required": ["message", "valid_hours"],
        "properties": {
            "message": {"type": "string"},
            "valid_hours": {"type": "integer", "minimum": 1},
        },
    }
    return {
        "post": {
            "summary": "Minta tautan yang menampilkan semua pengaduan yang dibuat dengan email "
            "atau nomor telepon ini",
            "description": "Tautan (berlaku `valid_hours` jam) dikirim ke alamat email itu; "
            "untuk nomor telepon, ke email dan akun Telegram yang tercatat bersama nomor itu. "
            "Jawabannya sama, diketahui atau tidak alamatnya: tidak ada yang dapat mengetahui "
            "dari sini apakah sebuah alamat pernah dipakai. Dibatasi per alamat IP dan per "
            "kontak, bersama halaman /lacak/saya.",
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": schemas.ref(schemas.MyComplaintsRequest)}
                },
            },
            "responses": {
                "202": _json(sent, "Diterima; tautan dikirim bila kontak itu pernah dipakai"),
                "400": _error("Isi permintaan bukan objek JSON"),
                "422": _error("Bukan alamat email atau nomor telepon yang sah"),
                "429": _error("Terlalu banyak permintaan dari alamat ini atau untuk kontak ini"),
                "503": _error("Instalasi ini belum dapat mengirim email atau pesan Telegram"),
            },
        }
    }


_SHARE = {"type": ["number", "null"], "minimum": 0, "maximum": 1}
_STATS_MONTH = {
    "type": "object",
    "required": ["month", "received", "answered_on_time", "answers_due", "on_time_share"],
    "properties": {
        "month": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"},
        "received": {"type": "integer", "minimum": 0},
        "answered_on_time": {"type": "integer", "minimum": 0},
        "answers_due": {"type": "integer", "minimum": 0},
        "on_time_share": _SHARE,
    },
}
_STATS_COUNTS = (
    "received",
    "answered",
    "answered_on_time",
    "overdue_unanswered",
    "resolved",
    "resolved_on_time",
    "overdue_unresolved",
    "reopened",
    "ratings",
)
_STATS_SHARES = ("on_time_share", "on_time_resolution_share", "reopen_share")
_STATS_AGENCY = {
    "type": "object",
    "description": "Angka satu OPD pada periode itu: hanya jumlah dan rasio.",
    "required": ["code", "name", *_STATS_COUNTS, *_STATS_SHARES, "score", "zone", "months"],
    "properties": {
        "code": {"type": "string"},
        "name": {"type": "string"},
        "short_name": _NULLABLE_STRING,
        **{name: {"type": "integer", "minimum": 0} for name in _STATS_COUNTS},
        **{name: _SHARE for name in _STATS_SHARES},
        "median_days_to_answer": {"type": ["number", "null"], "minimum": 0},
        "mean_rating": {"type": ["number", "null"], "minimum": 1, "maximum": 5},
        "score": {"type": ["number", "null"], "minimum": 0, "maximum": 100},
        "zone": {"type": ["string", "null"], "enum": ["hijau", "kuning", "merah", None]},
        "months": {"type": "array", "items": _STATS_MONTH},
    },
}
_STATS_REPORT = {
    "type": "object",
    "required": ["period", "generated_at", "formula", "definitions", "links", "agencies"],
    "properties": {
        "period": {
            "type": "object",
            "required": ["kind", "year", "first_day", "last_day", "start", "end", "months"],
            "properties": {
                "kind": {"type": "string", "enum": ["year", "90d"]},
                "year": {"type": ["integer", "null"]},
                "first_day": {"type": "string", "format": "date"},
                "last_day": {"type": "string", "format": "date"},
                "start": {"type": "string", "format": "date-time"},
                "end": {"type": "string", "format": "date-time", "description": "eksklusif"},
                "timezone": {"type": "string"},
                "months": {"type": "array", "items": {"type": "string"}},
            },
        },
        "generated_at": {"type": "string", "format": "date-time"},
        "formula": {
            "type": "object",
            "required": ["text", "weights", "zones"],
            "properties": {
                "text": {"type": "string"},
                "weights": {"type": "object", "additionalProperties": {"type": "number"}},
                "zones": {"type": "array", "items": {"type": "object"}},
            },
        },
        "definitions": {"type": "object", "additionalProperties": {"type": "string"}},
        "links": {"type": "object", "additionalProperties": {"type": "string"}},
        "agencies": {"type": "array", "items": _STATS_AGENCY},
    },
}


def _stats_paths() -> dict:
    """The public performance figures of each OPD (the data of /kinerja)."""

    def enum(*values: str) -> dict:
        return {"type": "string", "enum": list(values)}

    return {
        "/stats/agencies": {
            "get": {
                "summary": "Kinerja setiap OPD: jumlah pengaduan, ketepatan waktu, median hari "
                "menanggapi, dibuka kembali, nilai, skor dan zona, per periode dan per bulan",
                "description": "Hanya angka, tanpa isi pengaduan. CSV dengan `format=csv` atau "
                "`Accept: text/csv` (satu baris per OPD; `by=month`: per OPD dan bulan).",
                "parameters": [
                    _query("period", enum("year", "90d"), "Tahun kalender (bawaan) atau 90 hari"),
                    _query("year", {"type": "integer"}, "Hanya dengan period=year; bawaan: kini"),
                    _query("format", enum("json", "csv"), "Bawaan: menurut Accept, JSON dulu"),
                    _query("by", enum("agency", "month"), "Baris CSV: per OPD, atau OPD dan bulan"),
                ],
                "responses": {
                    "200": {
                        "description": "Angka setiap OPD aktif (bukan instansi luar)",
                        "content": {
                            "application/json": {"schema": _STATS_REPORT},
                            "text/csv": {"schema": {"type": "string"}},
                        },
                    },
                    "400": _error("Parameter tidak valid (pesan per parameter)"),
                    "429": _error("Terlalu banyak permintaan"),
                },
            }
        }
    }


def document() -> dict:
    """The whole OpenAPI document."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Lapor API",
            "version": "1.0.0",
            "description": "Pengaduan pelayanan publik: kirim, lacak, dan lihat pengaduan. "
            "Pesan galat dalam Bahasa Indonesia; kirim `Accept-Language: en` untuk Inggris.",
        },
        "servers": [{"url": "/api/v1"}],
        # The request bodies, generated from the models the API parses them with.
        "components": {"schemas": schemas.components()},
        "paths": {
            "/complaints": {
                "post": {
                    "summary": "Kirim pengaduan baru",
                    "parameters": [
                        {
                            "name": "Idempotency-Key",
                            "in": "header",
                            "required": False,
                            "schema": {"type": "string", "maxLength": 200},
                        }
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": schemas.ref(schemas.NewComplaint)}
                        },
                    },
                    "responses": {
                        "201": _json(_RECEIPT, "Pengaduan diterima"),
                        "200": _json(_RECEIPT, "Pengiriman ulang dengan kunci yang sama"),
                        "400": _error("Isi permintaan bukan JSON"),
                        "409": _error("Kunci idempotensi dipakai untuk isi lain"),
                        "422": _error("Isian tidak valid"),
                        "429": _error("Terlalu banyak permintaan"),
                    },
                },
                "get": {
                    "summary": "Daftar pengaduan publik (tidak rahasia)",
                    "parameters": [
                        {"name": "regency", "in": "query", "schema": {"type": "string"}},
                        {"name": "agency", "in": "query", "schema": {"type": "string"}},
                        {"name": "status", "in": "query", "schema": _STATUS},
                        {
                            "name": "page",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 1},
                        },
                        {
                            "name": "per_page",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 1, "maximum": 100},
                        },
                    ],
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["items", "page", "per_page", "total"],
                                "properties": {
                                    "items": {"type": "array", "items": {"type": "object"}},
                                    "page": {"type": "integer"},
                                    "per_page": {"type": "integer"},
                                    "total": {"type": "integer"},
                                },
                            },
                            "Daftar pengaduan",
                        ),
                        "400": _error("Parameter tidak valid"),
                    },
                },
            },
            "/complaints/{code}": {
                "get": {
                    "summary": "Lacak pengaduan dengan kode pelacakan (dengan X-Reporter-Key: "
                    "tampilan pelapor)",
                    "parameters": [_CODE_PARAMETER, _reporter_key_parameter(required=False)],
                    "responses": {
                        "200": _json(_COMPLAINT, "Pengaduan"),
                        "403": _error("Kunci pelapor salah"),
                        "404": _error("Tidak ditemukan"),
                        "429": _error("Terlalu banyak kunci salah"),
                    },
                }
            },
            **_reporter_commands(),
            "/my-complaints": _my_complaints(),
            "/agencies": {
                "get": {
                    "summary": "Daftar OPD",
                    "responses": {
                        "200": _json({"type": "array", "items": _AGENCY}, "Daftar OPD"),
                    },
                }
            },
            **_stats_paths(),
        },
    }


# --- The staff API (/api/v1/staff/openapi.json) ---------------------------------------------

_CODE_ALPHABET = f"[{tracking.ALPHABET}]"
_DISPLAY_CODE = {
    "type": "string",
    "pattern": f"^{_CODE_ALPHABET}{{5}}-{_CODE_ALPHABET}{{5}}$",
    "description": "Kode pelacakan dalam dua kelompok lima huruf, seperti dicetak: ABCDE-FGHJK.",
}
_MOMENT = {"type": "string", "format": "date-time"}
_MOMENT_OR_NULL = {"type": ["string", "null"], "format": "date-time"}
_SLA = {
    "type": "string",
    "enum": [*SLA_STATES, "none"],
    "description": "Tenggat tahap sekarang: on_time, due_soon (kurang dari sehari lagi), overdue; "
    "none bila tidak ada jam yang berjalan (menunggu pelapor, selesai, atau berakhir).",
}
_AGENCY_CODE_OR_NULL = {"type": ["string", "null"], "description": "kode OPD"}


def _object(properties: dict, description: str | None = None) -> dict:
    """An object that always has all these keys (more may be added later)."""
    schema = {"type": "object", "required": list(properties), "properties": properties}
    return {"description": description, **schema} if description else schema


_STAFF_LIST_ITEM = _object(
    {
        "tracking_code": _DISPLAY_CODE,
        "status": _STATUS,
        "agency": _AGENCY_CODE_OR_NULL,
        "title": _NULLABLE_STRING,
        "regency": _NULLABLE_STRING,
        "channel": {"type": "string", "enum": [c.value for c in Channel]},
        "received_at": _MOMENT,
        "updated_at": _MOMENT,
        "escalation_level": {"type": "integer", "minimum": 0},
        "sla": _SLA,
        "next_deadline": _MOMENT_OR_NULL,
        "anonymous": {"type": "boolean"},
        "confidential": {"type": "boolean"},
    }
)

_STAFF_EVENT = _object(
    {
        "at": _MOMENT,
        "action": {"type": "string", "description": "submit, route, verify, respond, …"},
        "label": {"type": "string"},
        "status_to": _STATUS,
        "note": _NULLABLE_STRING,
        "actor": {"type": "string", "enum": [k.value for k in ActorKind]},
        "actor_user_id": {"type": ["integer", "null"]},
        "actor_name": {
            "type": ["string", "null"],
            "description": "Nama petugas yang bertindak (null untuk sistem dan pelapor).",
        },
        "public": {
            "type": "boolean",
            "description": "Tampil di linimasa publik; false untuk catatan internal, eskalasi, "
            "pengingat.",
        },
        "data": {"type": "object"},
    }
)

_STAFF_COMPLAINT = _object(
    {
        "tracking_code": _DISPLAY_CODE,
        "status": _STATUS,
        "status_label": {"type": "string"},
        "title": _NULLABLE_STRING,
        "text": {"type": "string"},
        "location": _object(
            {
                "regency": _NULLABLE_STRING,
                "district": _NULLABLE_STRING,
                "address": _NULLABLE_STRING,
                "lat": {"type": ["number", "null"]},
                "lon": {"type": ["number", "null"]},
            }
        ),
        "channel": {"type": "string", "enum": [c.value for c in Channel]},
        "anonymous": {"type": "boolean"},
        "confidential": {"type": "boolean"},
        "reporter": {
            **_object(
                {"name": _NULLABLE_STRING, "email": _NULLABLE_STRING, "phone": _NULLABLE_STRING}
            ),
            "type": ["object", "null"],
            "description": "Kontak pelapor; null untuk pengaduan anonim (identitasnya tidak "
            "pernah tampil kepada petugas) atau tanpa data pelapor.",
        },
        "agency": {
            **_object({"code": {"type": "string"}, "name": {"type": "string"}}),
            "type": ["object", "null"],
            "description": "OPD yang menangani; null selama belum didisposisi.",
        },
        "routing": _object(
            {"label": _NULLABLE_STRING, "confidence": {"type": ["number", "null"]}},
            "Usulan OPD dari model klasifikasi dan keyakinannya.",
        ),
        "escalation_level": {"type": "integer", "minimum": 0},
        "deadlines": _object(
            {
                "verification": _MOMENT_OR_NULL,
                "response": _MOMENT_OR_NULL,
                "resolution": _MOMENT_OR_NULL,
                "next": _MOMENT_OR_NULL,
            },
            "Tenggat tiap tahap, dan tenggat berikut yang berjalan (next).",
        ),
        "received_at": _MOMENT,
        "sla": _SLA,
        "duplicate_of": {
            **_DISPLAY_CODE,
            "type": ["string", "null"],
            "description": "Pengaduan asli, bila pengaduan ini diarsipkan sebagai duplikatnya.",
        },
        "duplicates": {
            "type": "array",
            "items": _DISPLAY_CODE,
            "description": "Pengaduan yang diarsipkan sebagai duplikat pengaduan ini.",
        },
        "feedback": {
            **_object({"rating": {"type": "integer"}, "comment": _NULLABLE_STRING, "at": _MOMENT}),
            "type": ["object", "null"],
            "description": "Penilaian terakhir pelapor (1–5) dan komentarnya.",
        },
        "reopen_reasons": {
            "type": "array",
            "items": _object({"at": _MOMENT, "note": _NULLABLE_STRING}),
            "description": "Alasan pelapor membuka kembali pengaduan, terlama dulu.",
        },
        "events": {
            "type": "array",
            "items": _STAFF_EVENT,
            "description": "Riwayat lengkap (jejak audit), terlama dulu, dengan catatan internal.",
        },
    }
)

_NOTICE = _object(
    {
        "id": {"type": "integer"},
        "kind": {"type": "string", "description": "tindakan yang diberitahukan: route, remind, …"},
        "subject": {"type": "string"},
        "body": {"type": "string"},
        "tracking_code": _DISPLAY_CODE,
        "created_at": _MOMENT,
        "read": {"type": "boolean", "description": "sudah dibaca oleh pemegang token ini"},
    }
)

_SIMILAR = _object(
    {
        "tracking_code": _DISPLAY_CODE,
        "score": {"type": "number", "description": "kemiripan isi disesuaikan tempat, 0–1"},
        "text_similarity": {"type": "number"},
        "distance_km": {"type": ["number", "null"]},
        "title": {"type": "string", "description": "judul, atau awal isi bila tanpa judul"},
        "status": _STATUS,
        "status_label": {"type": "string"},
        "agency": _AGENCY_CODE_OR_NULL,
        "regency": _NULLABLE_STRING,
        "district": _NULLABLE_STRING,
        "received_at": _MOMENT,
    }
)

_OUTCOME = {
    "type": "object",
    "required": ["tracking_code", "status"],
    "properties": {
        "tracking_code": {
            "type": "string",
            "description": "Kode seperti dicetak, atau yang dikirim bila bukan kode.",
        },
        "status": {
            "type": ["string", "null"],
            "enum": [*_STATUS["enum"], None],
            "description": "Status sesudah tindakan; null bila ditolak.",
        },
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
            "description": "Mengapa pengaduan ini ditolak (hanya ada bila ditolak): not_found, "
            "invalid_transition, note_required, …",
        },
    },
}

# Who may do what: the visibility rule per role (lapor.services.casework.visible); the
# actions are read from ROLE_ACTIONS.
_ROLE_SCOPE = {
    Role.OFFICER: "petugas OPD: melihat dan menangani hanya pengaduan OPD-nya sendiri",
    Role.VERIFIER: "verifikator: menangani antrean triase, yaitu pengaduan yang belum punya "
    "OPD; melihat semua pengaduan",
    Role.SUPERVISOR: "supervisor: mengarahkan antrean eskalasi; melihat semua pengaduan",
    Role.ADMIN: "admin: melihat semua pengaduan",
}


def _roles() -> str:
    lines = []
    for role in Role:
        actions = ", ".join(sorted(a.value for a in ROLE_ACTIONS.get(role, ())))
        lines.append(f"- `{role.value}` ({_ROLE_SCOPE[role]}). Tindakan: {actions}.")
    return "\n".join(lines)


_NOT_VISIBLE = (
    "Officer hanya melihat pengaduan OPD-nya: pengaduan OPD lain juga 404, tidak pernah 403, "
    "sehingga kode OPD lain tidak dapat diraba. Verifier, supervisor, dan admin melihat semua."
)
_UNAUTHORIZED = "Token tidak ada, salah, dicabut, atau penggunanya nonaktif"


def _staff_error(description: str) -> dict:
    return _json({"$ref": "#/components/schemas/Error"}, description)


def _staff_operation(summary: str, description: str, responses: dict, **parts) -> dict:
    """One operation: every one answers 401 without a valid token."""
    return {
        "summary": summary,
        "description": description,
        **parts,
        "responses": {**responses, "401": _staff_error(_UNAUTHORIZED)},
    }


def _query(name: str, schema: dict, description: str, **more) -> dict:
    return {"name": name, "in": "query", "schema": schema, "description": description, **more}


_FLAG = {"type": "string", "enum": [*listing.TRUE, "0"]}
_STATUSES = "|".join(s.value for s in ComplaintStatus)


def _list_parameters() -> list[dict]:
    """The query string of the staff list, as lapor.web.listing reads it."""
    return [
        _query(
            "q",
            {"type": "string"},
            "Cari kode pelacakan atau kata (bentuk kata bahasa Indonesia); tanpa status, "
            f"pencarian meliputi semua status. Dipotong {listing.MAX_QUERY} karakter.",
        ),
        _query(
            "status",
            {
                "type": "string",
                "pattern": f"^(open|terbuka|all|semua|({_STATUSES})(,({_STATUSES}))*)$",
            },
            "open (bawaan: semua yang belum berakhir), all, atau daftar status dipisah koma.",
        ),
        _query("agency", {"type": "string"}, "Kode OPD (huruf besar/kecil sama)."),
        _query("opd", {"type": "string"}, "Nama lama untuk agency.", deprecated=True),
        _query("regency", {"type": "string"}, "Kabupaten/kota."),
        _query("channel", {"type": "string", "enum": [c.value for c in Channel]}, "Saluran."),
        _query("sla", {"type": "string", "enum": list(SLA_STATES)}, "Keadaan tenggat."),
        _query("overdue", _FLAG, "1/true/ya/on: sama dengan sla=overdue (bila sla kosong)."),
        _query("level", {"type": "integer", "minimum": 0, "maximum": 10}, "Tingkat eskalasi."),
        _query(
            "from",
            {"type": "string", "format": "date"},
            "Diterima sejak tanggal ini (TTTT-BB-HH, zona waktu daerah).",
        ),
        _query(
            "to",
            {"type": "string", "format": "date"},
            "Diterima sampai dengan tanggal ini (TTTT-BB-HH, zona waktu daerah).",
        ),
        _query(
            "triage",
            _FLAG,
            "1/true/ya/on: hanya antrean triase (diterima, belum ada OPD); urutan bawaan "
            "menjadi uncertainty.",
        ),
        _query(
            "sort",
            {"type": "string", "enum": list(SORTS)},
            "deadline (bawaan: tenggat terdekat dulu), newest, age (terlama dulu), activity "
            "(perubahan terakhir), uncertainty (keyakinan model terendah dulu: contoh yang "
            "paling mengajari model; tanpa keputusan model di akhir; sama: terlama dulu).",
        ),
        _query("page", {"type": "integer", "minimum": 1, "maximum": 100_000}, "Halaman."),
        _query(
            "per_page",
            {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": 25},
            "Baris per halaman.",
        ),
    ]


def _body(model: type[schemas.Strict]) -> dict:
    return {"required": True, "content": {"application/json": {"schema": schemas.ref(model)}}}


def _staff_paths() -> dict:
    code = {
        **_CODE_PARAMETER,
        "description": "Kode pelacakan (huruf besar/kecil, tanda pisah dan spasi diabaikan).",
    }
    staff_view = _json(_STAFF_COMPLAINT, "Pengaduan seperti tampil di konsol")
    return {
        "/complaints": {
            "get": _staff_operation(
                "Daftar pengaduan: cari, saring, urutkan, per halaman",
                "Daftar yang sama dengan konsol. Officer hanya melihat pengaduan OPD-nya; "
                "verifier, supervisor, dan admin melihat semua. Nama parameter lama masih "
                "diterima: opd, kabupaten, tingkat, dari, sampai, terlambat, triase. "
                "Parameter yang salah: 400 dengan pesan per parameter di `fields`.",
                {
                    "200": _json(
                        _object(
                            {
                                "complaints": {"type": "array", "items": _STAFF_LIST_ITEM},
                                "page": {"type": "integer", "minimum": 1},
                                "per_page": {"type": "integer", "minimum": 1},
                                "total": {"type": "integer", "minimum": 0},
                                "total_is_exact": {
                                    "type": "boolean",
                                    "description": "false: hasil pencarian sangat banyak, "
                                    "total adalah batas bawah",
                                },
                            }
                        ),
                        "Satu halaman daftar",
                    ),
                    "400": _staff_error("Parameter tidak valid"),
                },
                parameters=_list_parameters(),
            )
        },
        "/complaints/actions": {
            "post": _staff_operation(
                "Satu tindakan pada beberapa pengaduan sekaligus",
                "Tiap pengaduan dalam transaksinya sendiri, dengan jejak auditnya sendiri: "
                "satu yang ditolak tidak menahan yang lain, dan dilaporkan di `results` "
                "(urutan kode dikirim, kode ganda sekali). Aturan peran dan status sama "
                f"dengan tindakan satu pengaduan. Paling banyak {MAX_BULK} kode. Tindakan yang "
                "boleh menurut peran:\n\n" + _roles(),
                {
                    "200": _json(
                        _object({"results": {"type": "array", "items": _OUTCOME}}),
                        "Hasil per pengaduan",
                    ),
                    "400": _staff_error(
                        "Isi bukan objek JSON, isian salah tipe, teks memuat NUL atau surrogate "
                        "tunggal, tanpa kode (codes_required), "
                        f"atau lebih dari {MAX_BULK} kode (too_many)"
                    ),
                },
                requestBody=_body(schemas.BulkActionBody),
            )
        },
        "/complaints/{code}": {
            "get": _staff_operation(
                "Satu pengaduan dengan riwayat lengkap",
                "Isi, lokasi, kontak pelapor (kecuali anonim), OPD, usulan model, tenggat, "
                "duplikat, penilaian, dan jejak audit lengkap termasuk catatan internal. "
                + _NOT_VISIBLE,
                {"200": staff_view, "404": _staff_error("Tidak ditemukan")},
                parameters=[code],
            )
        },
        "/complaints/{code}/actions": {
            "post": _staff_operation(
                "Tindakan petugas pada satu pengaduan",
                "Melalui mesin status dengan petugas sebagai pelaku, dalam satu transaksi. "
                "Tindakan yang boleh menurut peran:\n\n" + _roles() + "\n\n"
                "Lalu menurut status: verify/forward hanya pada pengaduan yang baru diterima, "
                "respond/transfer pada pengaduan di OPD, resolve pada yang sedang ditindaklanjuti "
                "atau dibuka kembali, request_info dan escalate pada yang masih berjalan, note "
                "kapan saja. verify dan transfer butuh `agency`, reject butuh `reason` (dan "
                "`duplicate_of` untuk duplicate), forward butuh `forwarded_to` atau `note`. "
                + _NOT_VISIBLE,
                {
                    "200": _json(_STAFF_COMPLAINT, "Dilakukan; pengaduan sesudahnya"),
                    "400": _staff_error(
                        "Isi bukan objek JSON, isian salah tipe, atau teks memuat NUL atau "
                        "surrogate tunggal"
                    ),
                    "404": _staff_error(
                        "Pengaduan (atau pengaduan asli untuk duplicate_of) tidak ditemukan"
                    ),
                    "409": _staff_error(
                        "Tindakan tidak boleh untuk peran ini atau status pengaduan sekarang "
                        "(invalid_transition)"
                    ),
                    "422": _staff_error(
                        "Tidak lengkap atau tidak valid: action_required, unknown_action, "
                        "note_required, note_too_long, agency_required, unknown_agency, "
                        "agency_not_allowed, same_agency, reason_required, "
                        "duplicate_of_required, forward_target_required, …"
                    ),
                },
                parameters=[code],
                requestBody=_body(schemas.StaffActionBody),
            )
        },
        "/complaints/{code}/similar": {
            "get": _staff_operation(
                "Pengaduan terbuka yang mirip (kemungkinan duplikat)",
                "Pengaduan terbuka 90 hari terakhir yang paling mirip isinya dan tempatnya, "
                "di antara yang boleh dilihat pemegang token (officer: hanya dari OPD-nya), "
                "paling mirip dulu; tanpa data pelapor. " + _NOT_VISIBLE,
                {
                    "200": _json(
                        _object({"similar": {"type": "array", "items": _SIMILAR}}),
                        "Yang mirip",
                    ),
                    "400": _staff_error(f"limit bukan bilangan 1–{schemas.SIMILAR_LIMIT}"),
                    "404": _staff_error("Tidak ditemukan"),
                },
                parameters=[
                    code,
                    _query(
                        "limit",
                        {
                            "type": "integer",
                            "minimum": 1,
                            "maximum": schemas.SIMILAR_LIMIT,
                            "default": 5,
                        },
                        "Paling banyak sekian.",
                    ),
                ],
            )
        },
        "/notices": {
            "get": _staff_operation(
                "Pemberitahuan dalam aplikasi, terbaru dulu",
                "Milik pemegang token: officer untuk OPD-nya, verifier untuk unit triase, "
                f"supervisor dan admin untuk setiap eskalasi. Paling banyak {inbox.SHOWN}; "
                "`unread` adalah jumlah yang belum dibaca.",
                {
                    "200": _json(
                        _object(
                            {
                                "notices": {"type": "array", "items": _NOTICE},
                                "unread": {"type": "integer", "minimum": 0},
                            }
                        ),
                        "Pemberitahuan",
                    ),
                    "400": _staff_error("Parameter tidak valid"),
                },
                parameters=[
                    _query(
                        "unread",
                        {"type": "string", "enum": ["1", "0"]},
                        "1: hanya yang belum dibaca",
                    )
                ],
            )
        },
        "/notices/read": {
            "post": _staff_operation(
                "Tandai pemberitahuan dibaca",
                'Kirim {"ids": [...]} atau {"all": true}. Setiap peran menandai pemberitahuannya '
                "sendiri (tanda baca milik tiap orang); id yang bukan miliknya diabaikan. "
                "`marked`: yang baru ditandai; `unread`: yang masih belum dibaca.",
                {
                    "200": _json(
                        _object(
                            {
                                "marked": {"type": "integer", "minimum": 0},
                                "unread": {"type": "integer", "minimum": 0},
                            }
                        ),
                        "Ditandai",
                    ),
                    "400": _staff_error("Isi bukan objek JSON, atau isian salah tipe"),
                },
                requestBody=_body(schemas.ReadNotices),
            )
        },
    }


def staff_document() -> dict:
    """The OpenAPI 3.1 document of the staff API (/api/v1/staff/openapi.json)."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Lapor staff API",
            "version": "1.0.0",
            "description": "Antrean dan tindakan konsol untuk program, dengan aturan yang sama "
            "dengan halaman konsol. Setiap permintaan butuh token: `Authorization: Bearer "
            "<token>` dari `lapor token create USER` (dicetak sekali). Dokumen ini publik; "
            "endpointnya tidak. Peran:\n\n" + _roles() + "\n\nPesan galat dalam Bahasa "
            "Indonesia; kirim `Accept-Language: en` untuk Inggris.",
        },
        "servers": [{"url": "/api/v1/staff"}],
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "Token API petugas dari `lapor token create USER`.",
                }
            },
            # The request bodies, generated from the models the staff API parses them with.
            "schemas": {**schemas.components(schemas.STAFF_BODIES), "Error": _ERROR},
        },
        "paths": _staff_paths(),
    }


# --- Open311 GeoReport v2 (JSON and XML) -----------------------------------------------------
# Every operation twice, `….json` and `….xml`: the same data, as JSON or as the spec's XML
# (a list is `<root><item>…</item></root>`, an empty element is a missing value).

_O311_TEXT = {"type": ["string", "null"]}
_O311_MOMENT = {"type": "string", "format": "date-time", "description": "W3C, UTC (…Z)"}
_O311_MOMENT_OR_NULL = {"type": ["string", "null"], "format": "date-time"}


def _o311_list(root: str, item: str, properties: dict, required: list[str]) -> dict:
    """A list answer: a JSON array, in XML `<root><item>…</item>…</root>`."""
    return {
        "type": "array",
        "xml": {"name": root, "wrapped": True},
        "items": {
            "type": "object",
            "xml": {"name": item},
            "required": required,
            "properties": properties,
        },
    }


def _o311_wrapped(item: str, schema: dict) -> dict:
    """A list inside an answer: in XML its element holds one `<item>` per entry."""
    return {"type": "array", "xml": {"wrapped": True}, "items": {**schema, "xml": {"name": item}}}


_O311_ERRORS = _o311_list(
    "errors",
    "error",
    {
        "code": {"type": "integer", "description": "the HTTP status"},
        "description": {"type": "string"},
    },
    ["code", "description"],
)
_O311_DISCOVERY = {
    "type": "object",
    "xml": {"name": "discovery"},
    "required": ["changeset", "contact", "endpoints"],
    "properties": {
        "changeset": _O311_MOMENT,
        "contact": {"type": "string"},
        "key_service": {"type": "string"},
        "endpoints": _o311_wrapped(
            "endpoint",
            {
                "type": "object",
                "required": ["specification", "url", "changeset", "type", "formats"],
                "properties": {
                    "specification": {"type": "string"},
                    "url": {"type": "string"},
                    "changeset": _O311_MOMENT,
                    "type": {"type": "string", "enum": ["production", "test"]},
                    "formats": _o311_wrapped("format", {"type": "string"}),
                },
            },
        ),
    },
}
_O311_SERVICES = _o311_list(
    "services",
    "service",
    {
        "service_code": {"type": "string"},
        "service_name": {"type": "string"},
        "description": _O311_TEXT,
        "metadata": {"type": "boolean", "description": "true: it has a service definition"},
        "type": {"type": "string", "enum": ["realtime", "batch", "blackbox"]},
        "keywords": _O311_TEXT,
        "group": _O311_TEXT,
    },
    ["service_code", "service_name", "metadata", "type"],
)
_O311_ATTRIBUTE = {
    "type": "object",
    "required": ["code", "datatype"],
    "properties": {
        "variable": {"type": "boolean"},
        "code": {"type": "string", "description": "posted as attribute[code]"},
        "datatype": {
            "type": "string",
            "enum": ["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"],
        },
        "required": {"type": "boolean"},
        "datatype_description": _O311_TEXT,
        "order": {"type": "integer"},
        "description": _O311_TEXT,
        "values": _o311_wrapped(
            "value",
            {
                "type": "object",
                "required": ["key", "name"],
                "properties": {"key": {"type": "string"}, "name": {"type": "string"}},
            },
        ),
    },
}
_O311_DEFINITION = {
    "type": "object",
    "xml": {"name": "service_definition"},
    "required": ["service_code", "attributes"],
    "properties": {
        "service_code": {"type": "string"},
        "attributes": _o311_wrapped("attribute", _O311_ATTRIBUTE),
    },
}
_O311_REQUESTS = _o311_list(
    "service_requests",
    "request",
    {
        "service_request_id": {"type": "string", "description": "the tracking code"},
        "status": {"type": "string", "enum": ["open", "closed"]},
        "status_notes": {
            "type": ["string", "null"],
            "description": "the OPD's latest public answer, else the state's name",
        },
        "service_name": _O311_TEXT,
        "service_code": {"type": "string", "description": "the service it was filed under"},
        "description": _O311_TEXT,
        "agency_responsible": {
            "type": ["string", "null"],
            "description": "the OPD it was routed to",
        },
        "service_notice": _O311_TEXT,
        "requested_datetime": _O311_MOMENT,
        "updated_datetime": _O311_MOMENT_OR_NULL,
        "expected_datetime": {**_O311_MOMENT_OR_NULL, "description": "the next deadline"},
        "address": _O311_TEXT,
        "address_id": _O311_TEXT,
        "zipcode": _O311_TEXT,
        "lat": {"type": ["number", "null"]},
        "long": {"type": ["number", "null"]},
        "media_url": _O311_TEXT,
    },
    ["service_request_id", "status", "service_code", "requested_datetime"],
)
_O311_CREATED = _o311_list(
    "service_requests",
    "request",
    {
        "service_request_id": {"type": "string"},
        "service_notice": _O311_TEXT,
        "account_id": {"type": "null", "description": "accounts are not supported"},
    },
    ["service_request_id"],
)
_O311_TOKEN = _o311_list(
    "service_requests",
    "request",
    {"service_request_id": {"type": "string"}, "token": {"type": "string"}},
    ["service_request_id", "token"],
)
_O311_UPDATES = _o311_list(
    "service_request_updates",
    "request_update",
    {
        "update_id": {"type": "string"},
        "service_request_id": {"type": "string"},
        "status": {
            "type": "string",
            "enum": sorted({*FMS_STATUS.values(), *FMS_STATUS_OF_ACTION.values(), FMS_DUPLICATE}),
        },
        "updated_datetime": _O311_MOMENT,
        "description": {"type": "string"},
        "media_url": _O311_TEXT,
    },
    ["update_id", "service_request_id", "status", "updated_datetime", "description"],
)
_O311_UPDATE_POSTED = _o311_list(
    "service_request_updates",
    "request_update",
    {"update_id": {"type": "string", "description": "the same when posted again"}},
    ["update_id"],
)
_O311_STATUS_TEXT = {
    400: "Bad parameters (the description names the spec's parameter)",
    403: "api_key unknown or revoked (or not allowed to update this request)",
    404: "jurisdiction_id not this region's, or an unknown service_code / service_request_id",
    409: "The request is in no state a citizen's update can change",
    413: "The body is too large",
    429: "Too many requests for this api_key or client address",
}
_O311_JURISDICTION = {
    "type": "string",
    "description": "optional; the region's code (e.g. 62), short name or host name; else 404",
}
_O311_API_KEY = {
    "type": "string",
    "description": "optional integrator key; unknown or revoked: 403; empty: no key",
}


def _o311_content(fmt: str, schema: dict) -> dict:
    media = "application/json" if fmt == "json" else "text/xml"
    return {media: {"schema": schema}}


def _o311_responses(fmt: str, success: tuple[str, str, dict], errors: tuple[int, ...]) -> dict:
    """The success answer and the spec's error list for each error status, in `fmt`."""
    status, description, schema = success
    answers = {status: {"description": description, "content": _o311_content(fmt, schema)}}
    for code in (400, *errors):  # a NUL in any parameter is a 400 everywhere
        answers[str(code)] = {
            "description": _O311_STATUS_TEXT[code],
            "content": _o311_content(fmt, _O311_ERRORS),
        }
    return answers


def _o311_query(name: str, schema: dict, description: str | None = None) -> dict:
    parameter = {"name": name, "in": "query", "required": False, "schema": schema}
    return parameter | ({"description": description} if description else {})


def _o311_path(name: str, description: str) -> dict:
    parameter = {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
    return parameter | {"description": description}


def _o311_dates(window_days: int) -> list[dict]:
    text = (
        f"W3C date-time with a zone, 2000–2100; without both the last {window_days} days, "
        f"never more than {window_days} days between start_date and end_date (else 400)"
    )
    moment = {"type": "string", "format": "date-time"}
    return [_o311_query("start_date", moment, text), _o311_query("end_date", moment, text)]


def _o311_form(properties: dict, required: list[str], *, media: bool) -> dict:
    """A form body, urlencoded or multipart (with `media` files when `media`)."""
    schema = {"type": "object", "required": required, "properties": properties}
    multipart = dict(schema, properties=dict(properties))
    if media:
        multipart["properties"]["media"] = {
            "type": "string",
            "format": "binary",
            "description": "a photo (JPEG/PNG); checked and EXIF removed as on the web form",
        }
    return {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {"schema": schema},
            "multipart/form-data": {"schema": multipart},
        },
    }


def _o311_request_form() -> dict:
    properties = {
        "service_code": {"type": "string", "description": "UMUM or an OPD's code; else 404"},
        "lat": {
            "type": "number",
            "description": "WGS84; with long (a location: lat+long or address_string)",
        },
        "long": {"type": "number"},
        "address_string": {"type": "string"},
        "address_id": {"type": "string", "description": "not a location here (#NOTPINPOINTED#)"},
        "description": {"type": "string"},
        "email": {"type": "string"},
        "device_id": {"type": "string"},
        "account_id": {"type": "string", "description": "accepted and ignored"},
        "first_name": {"type": "string"},
        "last_name": {"type": "string"},
        "phone": {"type": "string"},
        "media_url": {"type": "string", "description": "kept as a link for staff, never fetched"},
        "api_key": _O311_API_KEY,
        "jurisdiction_id": _O311_JURISDICTION,
    }
    body = _o311_form(properties, ["service_code"], media=True)
    for content in body["content"].values():
        content["schema"]["patternProperties"] = {
            r"^attribute\[[^\]]+\]$": {
                "type": "string",
                "description": "attribute[code]: a value for the service definition's attribute",
            }
        }
    return body


def _o311_update_form() -> dict:
    properties = {
        "update_id": {"type": "string", "description": "the client's id; at most 100 characters"},
        "service_request_id": {"type": "string"},
        "status": {"type": "string", "description": "OPEN (reopens a resolved one) or CLOSED"},
        "description": {"type": "string"},
        "updated_datetime": {"type": "string"},
        "email": {"type": "string"},
        "first_name": {"type": "string"},
        "last_name": {"type": "string"},
        "media_url": {"type": "string"},
        "api_key": _O311_API_KEY,
        "jurisdiction_id": _O311_JURISDICTION,
    }
    required = ["update_id", "service_request_id", "description"]
    return _o311_form(properties, required, media=False)


def _o311_operations(fmt: str, window_days: int, max_ids: int) -> dict:
    """Every Open311 path in one format."""
    jurisdiction = _o311_query("jurisdiction_id", _O311_JURISDICTION)
    listed = ("200", "Service requests", _O311_REQUESTS)
    request_filters = [
        jurisdiction,
        _o311_query("api_key", {"type": "string"}, "accepted; not needed to read"),
        _o311_query(
            "service_request_id",
            {"type": "string"},
            f"comma list of tracking codes (at most {max_ids}); overrides every other filter",
        ),
        _o311_query("service_code", {"type": "string"}, "comma list"),
        _o311_query("status", {"type": "string", "enum": ["open", "closed", "open,closed"]}),
        *_o311_dates(window_days),
    ]
    return {
        f"/discovery.{fmt}": {
            "get": {
                "summary": "Where the endpoint is and which formats it speaks",
                "parameters": [jurisdiction],
                "responses": _o311_responses(fmt, ("200", "Discovery", _O311_DISCOVERY), (404,)),
            }
        },
        f"/services.{fmt}": {
            "get": {
                "summary": "One service per OPD, and UMUM",
                "parameters": [jurisdiction],
                "responses": _o311_responses(fmt, ("200", "Services", _O311_SERVICES), (404,)),
            }
        },
        f"/services/{{service_code}}.{fmt}": {
            "get": {
                "summary": "A service's definition (its attributes)",
                "parameters": [_o311_path("service_code", "UMUM or an OPD's code"), jurisdiction],
                "responses": _o311_responses(
                    fmt, ("200", "Service definition", _O311_DEFINITION), (404,)
                ),
            }
        },
        f"/requests.{fmt}": {
            "get": {
                "summary": "Service requests (newest first, at most 1000)",
                "parameters": request_filters,
                "responses": _o311_responses(fmt, listed, (404,)),
            },
            "post": {
                "summary": "File a service request",
                "requestBody": _o311_request_form(),
                "responses": _o311_responses(
                    fmt, ("201", "Filed", _O311_CREATED), (403, 404, 413, 429)
                ),
            },
        },
        f"/requests/{{service_request_id}}.{fmt}": {
            "get": {
                "summary": "One service request",
                "parameters": [_o311_path("service_request_id", "the tracking code"), jurisdiction],
                "responses": _o311_responses(fmt, listed, (404,)),
            }
        },
        f"/tokens/{{token}}.{fmt}": {
            "get": {
                "summary": "The request a token names (Lapor gives the id at once: the token "
                "is the tracking code)",
                "parameters": [_o311_path("token", "the tracking code"), jurisdiction],
                "responses": _o311_responses(fmt, ("200", "Request id", _O311_TOKEN), (404,)),
            }
        },
        f"/servicerequestupdates.{fmt}": {
            "get": {
                "summary": "Public updates (answers, status changes) in a window, oldest first",
                "parameters": [
                    jurisdiction,
                    _o311_query("api_key", _O311_API_KEY),
                    *_o311_dates(window_days),
                ],
                "responses": _o311_responses(fmt, ("200", "Updates", _O311_UPDATES), (403, 404)),
            },
            "post": {
                "summary": "The citizen's update (idempotent on update_id)",
                "requestBody": _o311_update_form(),
                "responses": _o311_responses(
                    fmt, ("200", "Taken", _O311_UPDATE_POSTED), (403, 404, 409, 413, 429)
                ),
            },
        },
    }


def open311_document() -> dict:
    """An OpenAPI 3.1 description of the GeoReport v2 endpoints, for clients and for tests."""
    window = georeport.WINDOW.days
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Lapor Open311 GeoReport v2",
            "version": "v2",
            "description": (
                "GeoReport v2 (http://wiki.open311.org/GeoReport_v2) and FixMyStreet's "
                "servicerequestupdates extension; each path in JSON (`.json`) and XML (`.xml`), "
                "errors in the format asked for."
            ),
        },
        "servers": [{"url": "/open311/v2"}],
        "paths": _o311_operations("json", window, georeport.MAX_IDS)
        | _o311_operations("xml", window, georeport.MAX_IDS),
    }


# --- The admin API (/api/v1/admin/openapi.json) ---------------------------------------------

_AGENCY_ENTRY = _object(
    {
        "code": {"type": "string", "description": "kode unik (huruf besar)"},
        "name": {"type": "string"},
        "short_name": {"type": "string"},
        "kind": {"type": "string", "enum": [k.value for k in AgencyKind]},
        "parent": {
            "type": ["string", "null"],
            "description": "kode induk dalam rantai eskalasi; null di puncak rantai",
        },
        "email": _NULLABLE_STRING,
        "telegram_chat": {"type": ["integer", "null"]},
        "active": {"type": "boolean"},
    },
    "Satu OPD atau instansi luar, dengan nama kolom agencies.yaml.",
)


def _days(low: int, description: str | None = None) -> dict:
    schema = {"type": "integer", "minimum": low, "maximum": MAX_DAYS}
    return {**schema, "description": description} if description else schema


_SLA_VALUES = {
    "type": "object",
    "additionalProperties": False,
    "description": "Hari kerja kalender daerah, kecuali yang bernama calendar (hari kalender).",
    "properties": {
        "verification_days": _days(1, "verifikasi dan disposisi"),
        "response_days": _days(1, "tanggapan pertama OPD"),
        "resolution_calendar_days": _days(1, "penyelesaian (hari kalender)"),
        "info_wait_days": _days(1, "ditutup bila pelapor tidak memberi keterangan"),
        "confirm_wait_days": _days(1, "ditutup bila pelapor tidak menilai atau membuka kembali"),
        "reminder_lead_days": _days(0, "pengingat sekian hari kerja sebelum tenggat"),
        "reminder_hour": {"type": "integer", "minimum": 0, "maximum": 23},
    },
}

_SLA_DOCUMENT = {
    "type": "object",
    "additionalProperties": False,
    "description": "Kebijakan tenggat dengan struktur sla.yaml. GET lalu PUT dokumen yang sama "
    "tidak mengubah apa pun.",
    "required": ["triage_agency"],
    "properties": {
        "calendar": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "weekend": {"type": "array", "items": {"type": "string", "enum": list(WEEKDAYS)}},
                "days_off": {
                    "type": "object",
                    "description": "Libur daerah, YYYY-MM-DD: keterangan. Bila dikirim, "
                    "menggantikan seluruh libur daerah.",
                    "propertyNames": {"pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"},
                    "additionalProperties": {"type": "string", "minLength": 3, "maxLength": 200},
                },
            },
        },
        "defaults": _SLA_VALUES,
        "triage_agency": {
            "type": "string",
            "description": "OPD aktif yang memverifikasi pengaduan yang belum punya OPD",
        },
        "escalation": {
            "type": "array",
            "description": "Tingkat eskalasi berurutan 1, 2, 3, …; after_days tidak turun.",
            "items": {
                "type": "object",
                "required": ["level", "target"],
                "properties": {
                    "level": {"type": "integer", "minimum": 1, "maximum": MAX_DAYS},
                    "after_days": _days(0, "hari kerja sesudah tenggat terlewat"),
                    "target": {
                        "type": "string",
                        "enum": list(TARGETS),
                        "description": "agency: kepala OPD; parent: satu langkah ke atas rantai "
                        "induk; root: puncak rantai",
                    },
                    "title": {"type": "string", "maxLength": MAX_TITLE},
                },
            },
        },
        "agencies": {
            "type": "object",
            "description": "Nilai khusus per kode OPD",
            "additionalProperties": _SLA_VALUES,
        },
        "categories": {
            "type": "object",
            "description": "Nilai khusus per kategori (label peta rute); menang atas nilai OPD",
            "additionalProperties": _SLA_VALUES,
        },
    },
}

_HOLIDAY = _object(
    {"date": {"type": "string", "format": "date"}, "reason": {"type": "string"}},
    "Satu libur daerah.",
)

_CONFIG_CHANGE = _object(
    {
        "at": {**_MOMENT, "description": "waktu perubahan (UTC)"},
        "actor": {"type": "string", "description": "nama pengguna admin, atau cli"},
        "subject": {"type": "string", "enum": list(SUBJECTS)},
        "key": {"type": "string", "description": "yang diubah: kode OPD, tanggal, nama, …"},
        "action": {"type": "string", "description": "create, update, move, deactivate, …"},
        "before": {"type": ["object", "null"], "description": "kolom yang berubah, sebelum"},
        "after": {"type": ["object", "null"], "description": "kolom yang berubah, sesudah"},
    }
)

_ADMIN_UNAUTHORIZED = "Token tidak ada, salah, dicabut, atau penggunanya nonaktif"
_NOT_ADMIN = "Token milik petugas yang bukan admin"
_BAD_BODY = (
    "Isi bukan objek JSON, atau memuat teks dengan NUL atau surrogate tunggal, atau angka NaN "
    "atau tak hingga (`fields` menyebut jalurnya)"
)


def _admin_operation(summary: str, description: str, responses: dict, **parts) -> dict:
    """One operation: every one answers 401 without a valid token and 403 to a non-admin."""
    return {
        "summary": summary,
        "description": description,
        **parts,
        "responses": {
            **responses,
            "401": _staff_error(_ADMIN_UNAUTHORIZED),
            "403": _staff_error(_NOT_ADMIN),
        },
    }


def _schema(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _admin_agency_paths() -> dict:
    entry = _json(_schema("Agency"), "Entri OPD sesudahnya")
    code = {**_CODE_PARAMETER, "description": "Kode OPD (huruf besar/kecil sama)."}
    return {
        "/agencies": {
            "get": _admin_operation(
                "Semua OPD dan instansi luar",
                "Setiap entri dengan kolom agencies.yaml; induk sebelum anak-anaknya.",
                {
                    "200": _json(
                        _object({"agencies": {"type": "array", "items": _schema("Agency")}}),
                        "Daftar OPD",
                    )
                },
            ),
            "post": _admin_operation(
                "Tambah OPD atau instansi luar",
                "Kode baru; induk harus ada, bukan instansi luar, dan rantai induknya tidak "
                "berputar. Instansi luar (kind external) tanpa induk.",
                {
                    "201": _json(_schema("Agency"), "Ditambahkan"),
                    "400": _staff_error(_BAD_BODY),
                    "409": _staff_error("Kode sudah dipakai (`fields.code`: code_taken)"),
                    "422": _staff_error(
                        "Isian tidak valid, dengan pesan per kolom di `fields`: kolom tidak "
                        "dikenal, salah tipe, kode, nama, jenis, induk (unknown_parent, "
                        "external_parent), email, telegram_chat"
                    ),
                },
                requestBody=_body(schemas.NewAgency),
            ),
        },
        "/agencies/{code}": {
            "patch": _admin_operation(
                "Ubah sebagian kolom OPD",
                "Kolom yang tidak dikirim tetap. Memindah OPD (parent) memeriksa rantai: "
                "rantai yang berputar ditolak (`fields.parent`: cycle). Menonaktifkan OPD yang "
                "masih menjadi induk OPD aktif ditolak (409 has_active_children); pengaduannya "
                "tetap dapat dibuka dan ditangani. Kode tidak dapat diubah.",
                {
                    "200": entry,
                    "400": _staff_error(_BAD_BODY),
                    "404": _staff_error("Kode OPD tidak ada"),
                    "409": _staff_error("Masih menjadi induk OPD aktif (has_active_children)"),
                    "422": _staff_error(
                        "Isian tidak valid, dengan pesan per kolom di `fields` (cycle, "
                        "unknown_parent, code_fixed, …)"
                    ),
                },
                parameters=[code],
                requestBody=_body(schemas.AgencyChanges),
            )
        },
    }


def _admin_policy_paths() -> dict:
    document = _json(_schema("SlaDocument"), "Kebijakan tenggat yang berlaku")
    return {
        "/sla": {
            "get": _admin_operation(
                "Kebijakan tenggat (struktur sla.yaml)",
                "Yang disimpan admin, atau sla.yaml daerah; calendar.days_off berisi libur "
                "daerah dari basis data.",
                {"200": document},
            ),
            "put": _admin_operation(
                "Ganti seluruh kebijakan tenggat",
                "Diperiksa seperti sla.yaml (SlaBook.from_dict) dan terhadap daftar OPD dan "
                "label peta rute. Berlaku untuk tahap yang dimulai sesudahnya; tahap yang sedang "
                "berjalan tetap dengan tenggatnya. calendar.days_off, bila dikirim, menggantikan "
                "libur daerah. Dokumen yang sama dengan yang berlaku tidak mengubah apa pun dan "
                "tidak dicatat.",
                {
                    "200": document,
                    "400": _staff_error(_BAD_BODY),
                    "422": _staff_error(
                        "Kebijakan tidak valid (invalid_sla_policy): pesannya diawali jalur "
                        "yang salah, mis. `defaults.response_days: …`, juga di `fields`"
                    ),
                },
                requestBody={
                    "required": True,
                    "content": {"application/json": {"schema": _schema("SlaDocument")}},
                },
            ),
        },
    }


def _admin_holiday_paths() -> dict:
    day = {
        "name": "day",
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
        "description": "YYYY-MM-DD",
    }
    return {
        "/holidays": {
            "get": _admin_operation(
                "Libur daerah",
                "Hari libur yang ditetapkan daerah, urut tanggal (libur nasional dan cuti "
                "bersama berasal dari paket holidays dan tidak tercantum).",
                {
                    "200": _json(
                        _object({"holidays": {"type": "array", "items": _schema("Holiday")}}),
                        "Libur daerah",
                    ),
                    "400": _staff_error("Parameter year bukan tahun 2000–2100"),
                },
                parameters=[
                    _query(
                        "year",
                        {"type": "integer", "minimum": 2000, "maximum": 2100},
                        "Hanya tahun ini.",
                    )
                ],
            ),
            "post": _admin_operation(
                "Tetapkan libur daerah",
                "Jam kerja setiap proses melewatinya dalam beberapa detik, untuk tenggat baru.",
                {
                    "201": _json(_schema("Holiday"), "Ditetapkan"),
                    "400": _staff_error(_BAD_BODY),
                    "409": _staff_error("Tanggal itu sudah libur daerah (`fields.date`)"),
                    "422": _staff_error(
                        "Tanggal tidak valid atau di luar 2000–2100, keterangan bukan 3–200 "
                        "karakter, kolom tidak dikenal"
                    ),
                },
                requestBody=_body(schemas.NewHoliday),
            ),
        },
        "/holidays/{day}": {
            "delete": _admin_operation(
                "Batalkan libur daerah",
                "Hari itu kembali menjadi hari kerja untuk tenggat baru.",
                {
                    "204": {"description": "Dibatalkan"},
                    "400": _staff_error("Tanggal bukan YYYY-MM-DD"),
                    "404": _staff_error("Tanggal itu bukan libur daerah"),
                },
                parameters=[day],
            )
        },
    }


def _admin_audit_paths() -> dict:
    return {
        "/audit": {
            "get": _admin_operation(
                "Riwayat perubahan pengaturan",
                "Setiap perubahan OPD, kebijakan tenggat, libur, peta rute, dan akun: siapa, "
                f"kapan, sebelum dan sesudah; terbaru dulu, {PAGE_SIZE} per halaman. Jejak "
                "audit pengaduan terpisah.",
                {
                    "200": _json(
                        _object(
                            {
                                "changes": {"type": "array", "items": _schema("ConfigChange")},
                                "page": {"type": "integer", "minimum": 1},
                                "pages": {"type": "integer", "minimum": 1},
                                "total": {"type": "integer", "minimum": 0},
                            }
                        ),
                        "Satu halaman riwayat",
                    ),
                    "400": _staff_error("Parameter subject atau page tidak valid"),
                },
                parameters=[
                    _query("subject", {"type": "string", "enum": list(SUBJECTS)}, "Hanya ini."),
                    _query(
                        "page", {"type": "integer", "minimum": 1, "maximum": 100_000}, "Halaman."
                    ),
                ],
            )
        }
    }


def admin_document() -> dict:
    """The OpenAPI 3.1 document of the admin API (/api/v1/admin/openapi.json)."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Lapor admin API",
            "version": "1.0.0",
            "description": "Pengaturan wilayah untuk skrip: daftar OPD, kebijakan tenggat, libur "
            "daerah, dan riwayat perubahan, dengan aturan yang sama dengan halaman admin. "
            "Setiap permintaan butuh token admin: `Authorization: Bearer <token>` dari `lapor "
            "token create USER` (USER berperan admin). Setiap perubahan dicatat dengan pemilik "
            "token sebagai pelakunya, dan berlaku di setiap proses dalam beberapa detik. Dokumen "
            "ini publik; endpointnya tidak. Pesan galat dalam Bahasa Indonesia.",
        },
        "servers": [{"url": "/api/v1/admin"}],
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "Token API seorang admin dari `lapor token create USER`.",
                }
            },
            "schemas": {
                **schemas.components(schemas.ADMIN_BODIES),
                "Agency": _AGENCY_ENTRY,
                "SlaDocument": _SLA_DOCUMENT,
                "Holiday": _HOLIDAY,
                "ConfigChange": _CONFIG_CHANGE,
                "Error": _ERROR,
            },
        },
        "paths": {
            **_admin_agency_paths(),
            **_admin_policy_paths(),
            **_admin_holiday_paths(),
            **_admin_audit_paths(),
        },
    }
