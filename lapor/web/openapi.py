"""The OpenAPI 3.1 document of the public API (/api/v1/openapi.json)."""

from __future__ import annotations

from lapor.web import schemas
from models import ComplaintStatus

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
_NULLABLE_STRING = {"type": ["string", "null"]}
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


def _json(description: str, schema: dict) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def open311_document() -> dict:
    """An OpenAPI 3.1 description of the GeoReport v2 endpoints, for clients and for tests."""
    requests_list = _json("Service requests", {"type": "array", "items": _SERVICE_REQUEST})
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
                "get": {"responses": {"200": _json("Discovery", {"type": "object"})}}
            },
            "/services.json": {
                "get": {
                    "responses": {
                        "200": _json("Services", {"type": "array", "items": {"type": "object"}})
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
                        "200": _json("Service definition", {"type": "object"}),
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
                        "201": _json("Created", {"type": "array", "items": {"type": "object"}}),
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
