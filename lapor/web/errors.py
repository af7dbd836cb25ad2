"""HTTP errors: the API's JSON error shape under /api/, a plain page elsewhere; never a 500
page for something a client did."""

from __future__ import annotations

import logging

import redis
import sqlalchemy.exc
from flask import Flask, abort, jsonify, make_response, render_template, request
from flask_babel import gettext as _
from markupsafe import escape
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
    return _error_page(status, message), status


# A restart of the database or Redis takes seconds: a client that honours Retry-After (an
# Open311 integrator, the bot, a script) tries again then rather than at once.
RETRY_AFTER_SECONDS = 5


def _unavailable():
    response = make_response(_respond(503))
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _page_texts(status: int) -> tuple[str, str]:
    """The heading and explanation of an error page, in the page's language."""
    texts = {
        403: (_("Tidak berwenang"), _("Anda tidak berwenang membuka halaman ini.")),
        404: (
            _("Tidak ditemukan"),
            _(
                "Halaman atau pengaduan yang Anda cari tidak ada. Periksa kembali alamat atau "
                "kode pelacakannya."
            ),
        ),
        429: (
            _("Terlalu banyak permintaan"),
            _("Terlalu banyak permintaan. Tunggu sebentar lalu coba lagi."),
        ),
        503: (
            _("Layanan sedang tidak tersedia"),
            _("Layanan sedang tidak tersedia. Coba lagi sebentar lagi."),
        ),
    }
    if status in texts:
        return texts[status]
    if status >= 500:
        return _("Terjadi kesalahan"), _(
            "Maaf, terjadi kesalahan di pihak kami. Tidak ada data Anda yang setengah tersimpan; "
            "silakan coba lagi."
        )
    return _("Permintaan tidak dapat diproses"), _("Permintaan tidak dapat dipahami.")


def _error_page(status: int, message: str) -> str:
    """The error in the site's layout; the plain message when the layout itself cannot be
    drawn (e.g. the database that the signed-in user's menu needs is down)."""
    heading, explanation = _page_texts(status)
    try:
        return render_template(
            "error.html", status=status, heading=heading, explanation=explanation
        )
    except (sqlalchemy.exc.SQLAlchemyError, redis.RedisError) as error:
        log.warning("error page %s drawn without the layout: %s", status, error)
        return (
            '<!doctype html><meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{status}</title><p>{escape(message)}</p>"
        )


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
    @app.errorhandler(sqlalchemy.exc.InterfaceError)
    @app.errorhandler(sqlalchemy.exc.TimeoutError)
    def _database_down(error: sqlalchemy.exc.SQLAlchemyError):
        # A lost or unreachable database (a restart, a failover, every pooled connection busy)
        # is the service's trouble, not the client's: 503, and the transaction was rolled back,
        # so nothing is half-written. The pool replaces its dropped connections, so the next
        # request after the database is back succeeds without a restart.
        log.error("database unavailable: %s", error)
        return _unavailable()

    @app.errorhandler(redis.ConnectionError)
    @app.errorhandler(redis.TimeoutError)
    def _redis_down(error: redis.RedisError):
        # Redis restarting: what needs it cannot be done just now (what matters is in the
        # database, and deliveries wait on their rows).
        log.error("redis unavailable: %s", error)
        return _unavailable()
