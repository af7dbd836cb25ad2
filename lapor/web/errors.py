"""HTTP errors: the API's JSON error shape under /api/, a plain page elsewhere; never a 500
page for something a client did."""

from __future__ import annotations

import logging

import sqlalchemy.exc
from flask import Flask, abort, jsonify, request
from werkzeug.exceptions import HTTPException

from lapor.web import messages
from lapor.web.georeport_format import spec_error

log = logging.getLogger(__name__)

CODES = {
    400: ("bad_request", "Permintaan tidak dapat dipahami."),
    401: ("unauthorized", "Silakan masuk terlebih dahulu."),
    403: ("forbidden", "Anda tidak berwenang membuka halaman ini."),
    404: ("not_found", "Halaman atau data tidak ditemukan."),
    405: ("method_not_allowed", "Metode tidak diizinkan."),
    413: ("too_large", "Permintaan terlalu besar."),
    429: ("rate_limited", "Terlalu banyak permintaan. Tunggu sebentar lalu coba lagi."),
    503: ("unavailable", "Layanan sedang tidak tersedia. Coba lagi sebentar lagi."),
}


def _wants_json() -> bool:
    return request.path.startswith(("/api/", "/open311/"))


def _respond(status: int):
    code, message = CODES.get(status, ("error", "Terjadi kesalahan."))
    if request.path.startswith("/open311/"):
        # GeoReport v2's own error shape, in the format the path asks for.
        return spec_error(status, message)
    if _wants_json():
        language = request.accept_languages.best_match(["id", "en"], default="id")
        text = messages.error_message(code, message, language)
        return jsonify({"error": {"code": code, "message": text, "fields": {}}}), status
    return f"<!doctype html><title>{status}</title><p>{message}</p>", status


def _refuse_nul() -> None:
    """No field of a request may hold a NUL character: no person types one, PostgreSQL cannot
    store or compare one, and a filter holding one would otherwise fail deep inside."""
    # Only a form body has form fields; reading request.form of a JSON body costs a parse.
    has_form = request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data")
    for values in (request.args, request.form) if has_form else (request.args,):
        for value in values.values():
            if "\x00" in value:
                abort(400)


def init_app(app: Flask) -> None:
    """Register the error handlers."""
    app.before_request(_refuse_nul)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        return _respond(error.code or 500)

    @app.errorhandler(sqlalchemy.exc.OperationalError)
    def _database_down(error: sqlalchemy.exc.OperationalError):
        # A lost database connection is the service's trouble, not the client's: 503, and
        # the transaction was rolled back, so nothing is half-written.
        log.error("database unavailable: %s", error)
        return _respond(503)
