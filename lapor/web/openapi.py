"""The OpenAPI 3.1 documents: the public API (/api/v1/openapi.json), the staff API
(/api/v1/staff/openapi.json) and Open311 (/open311/v2/openapi.json)."""

from __future__ import annotations

from lapor.domain import tracking
from lapor.services import inbox
from lapor.services.casework import MAX_BULK, ROLE_ACTIONS
from lapor.services.worklist import MAX_PER_PAGE, SLA_STATES, SORTS
from lapor.web import listing, schemas
from models import ActorKind, Channel, ComplaintStatus, Role

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
            "/agencies": {
                "get": {
                    "summary": "Daftar OPD",
                    "responses": {
                        "200": _json({"type": "array", "items": _AGENCY}, "Daftar OPD"),
                    },
                }
            },
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
            "(perubahan terakhir), uncertainty (keyakinan model terendah dulu).",
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


# --- Open311 GeoReport v2 (JSON) -----------------------------------------------------------

_OPEN311_ERROR = {
    "description": "GeoReport error list",
    "content": {
        "application/json": {
            "schema": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["code", "description"],
                    "properties": {"code": {"type": "integer"}, "description": {"type": "string"}},
                },
            }
        }
    },
}
_SERVICE_REQUEST = {
    "type": "object",
    "required": ["service_request_id", "status", "service_code", "requested_datetime"],
    "properties": {
        "service_request_id": {"type": "string"},
        "status": {"type": "string", "enum": ["open", "closed"]},
        "status_notes": _NULLABLE_STRING,
        "service_name": _NULLABLE_STRING,
        "service_code": {"type": "string"},
        "description": _NULLABLE_STRING,
        "agency_responsible": _NULLABLE_STRING,
        "service_notice": _NULLABLE_STRING,
        "requested_datetime": {"type": "string"},
        "updated_datetime": _NULLABLE_STRING,
        "expected_datetime": _NULLABLE_STRING,
        "address": _NULLABLE_STRING,
        "address_id": _NULLABLE_STRING,
        "zipcode": _NULLABLE_STRING,
        "lat": {"type": ["number", "null"]},
        "long": {"type": ["number", "null"]},
        "media_url": _NULLABLE_STRING,
    },
}


def _open311_json(description: str, schema: dict) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def open311_document() -> dict:
    """An OpenAPI 3.1 description of the GeoReport v2 endpoints, for clients and for tests."""
    requests_list = _open311_json("Service requests", {"type": "array", "items": _SERVICE_REQUEST})
    query = [
        {"name": name, "in": "query", "required": False, "schema": {"type": "string"}}
        for name in ("service_request_id", "service_code", "start_date", "end_date", "status")
    ]
    form_fields = (
        "service_code",
        "lat",
        "long",
        "address_string",
        "description",
        "email",
        "first_name",
        "last_name",
        "phone",
    )
    return {
        "openapi": "3.1.0",
        "info": {"title": "Lapor Open311 GeoReport v2", "version": "v2"},
        "servers": [{"url": "/open311/v2"}],
        "paths": {
            "/discovery.json": {
                "get": {"responses": {"200": _open311_json("Discovery", {"type": "object"})}}
            },
            "/services.json": {
                "get": {
                    "responses": {
                        "200": _open311_json(
                            "Services", {"type": "array", "items": {"type": "object"}}
                        )
                    }
                }
            },
            "/services/{service_code}.json": {
                "get": {
                    "parameters": [
                        {
                            "name": "service_code",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        }
                    ],
                    "responses": {
                        "200": _open311_json("Service definition", {"type": "object"}),
                        "404": _OPEN311_ERROR,
                    },
                }
            },
            "/requests.json": {
                "get": {
                    "parameters": query,
                    "responses": {"200": requests_list, "400": _OPEN311_ERROR},
                },
                "post": {
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/x-www-form-urlencoded": {
                                "schema": {
                                    "type": "object",
                                    "required": ["service_code"],
                                    "properties": {f: {"type": "string"} for f in form_fields},
                                }
                            }
                        },
                    },
                    "responses": {
                        "201": _open311_json(
                            "Created", {"type": "array", "items": {"type": "object"}}
                        ),
                        "400": _OPEN311_ERROR,
                        "404": _OPEN311_ERROR,
                        "429": _OPEN311_ERROR,
                    },
                },
            },
            "/requests/{service_request_id}.json": {
                "get": {
                    "parameters": [
                        {
                            "name": "service_request_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        }
                    ],
                    "responses": {"200": requests_list, "404": _OPEN311_ERROR},
                }
            },
        },
    }
