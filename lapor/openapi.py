"""The OpenAPI 3.1 document of the public API (/api/v1/openapi.json)."""

from __future__ import annotations

from lapor.domain.intake import MAX_ADDRESS, MAX_NAME, MAX_TEXT, MAX_TITLE, MIN_TEXT
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

_NEW_COMPLAINT = {
    "type": "object",
    "required": ["text"],
    "properties": {
        "title": {"type": "string", "maxLength": MAX_TITLE},
        "text": {"type": "string", "minLength": MIN_TEXT, "maxLength": MAX_TEXT},
        "location": {
            "type": "object",
            "properties": {
                "regency": {"type": "string", "description": "kabupaten/kota"},
                "district": {"type": "string", "description": "kecamatan"},
                "address": {"type": "string", "maxLength": MAX_ADDRESS},
                "lat": {"type": "number", "minimum": -90, "maximum": 90},
                "lon": {"type": "number", "minimum": -180, "maximum": 180},
            },
        },
        "anonymous": {"type": "boolean", "default": False},
        "confidential": {"type": "boolean", "default": False},
        "contact": {
            "type": "object",
            "properties": {
                "name": {"type": "string", "maxLength": MAX_NAME},
                "email": {"type": "string", "format": "email"},
                "phone": {"type": "string"},
            },
        },
    },
}

_RECEIPT = {
    "type": "object",
    "required": ["tracking_code", "status", "agency", "confidence", "next_deadline"],
    "properties": {
        "tracking_code": {"type": "string", "pattern": "^[2-9A-HJ-NP-Z]{10}$"},
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
        "title": {"type": "string"},
        "text": {"type": "string"},
        "location": {
            "type": "object",
            "properties": {"regency": _NULLABLE_STRING, "district": _NULLABLE_STRING},
        },
        "agency": _AGENCY,
        "confidential": {"type": "boolean"},
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
                        "content": {"application/json": {"schema": _NEW_COMPLAINT}},
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
                    "summary": "Lacak pengaduan dengan kode pelacakan",
                    "parameters": [
                        {
                            "name": "code",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        }
                    ],
                    "responses": {
                        "200": _json(_COMPLAINT, "Pengaduan"),
                        "404": _error("Tidak ditemukan"),
                    },
                }
            },
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
