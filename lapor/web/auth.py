"""Staff sign-in (Flask-Login): who is behind a console request, and what their role allows."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext
from flask_login import LoginManager, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from redis.exceptions import RedisError
from sqlmodel import select
from wtforms import PasswordField

from lapor.domain.errors import DomainError
from lapor.domain.language import N_
from lapor.domain.timefmt import utcnow
from lapor.infra import db, redis_keys
from lapor.infra.broker import get_redis
from lapor.services import accounts
from lapor.web.limits import limiter
from models import Role, User

log = logging.getLogger(__name__)
bp = Blueprint("auth", __name__)
login_manager = LoginManager()


@dataclass(frozen=True)
class StaffUser:
    """The signed-in staff member, detached from any database session."""

    id: int
    username: str
    full_name: str
    role: Role
    agency_id: int | None
    token: str  # changes with the password: an old session cookie stops working

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        return f"{self.id}:{self.token}"

    @classmethod
    def of(cls, user: User) -> StaffUser:
        return cls(
            id=user.id,
            username=user.username,
            full_name=user.full_name or user.username,
            role=user.role,
            agency_id=user.agency_id,
            token=_token(user),
        )


def _token(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


@login_manager.user_loader
def _load(user_id: str) -> StaffUser | None:
    raw_id, _, token = user_id.partition(":")
    if not raw_id.isdigit():
        return None
    user = db.get_session().get(User, int(raw_id))
    if user is None or not user.active or _token(user) != token:
        return None
    return StaffUser.of(user)


def token_user() -> User | None:
    """The active staff member whose API token this request carries (`Authorization: Bearer
    …`), or None: how the staff and admin APIs know who is calling."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return accounts.user_for_token(db.get_session(), token.strip())


def roles_required(*roles: Role) -> Callable:
    """Only signed-in staff with one of these roles; others are sent to sign in, or refused."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def guarded(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return guarded

    return decorate


# After accounts.MAX_FAILURES failed sign-ins an account is locked for LOCKOUT_SECONDS (or until
# an admin unlocks it): guessing stays slow even from many addresses (the per-address rate
# limit covers the other direction).
MAX_FAILURES = accounts.MAX_FAILURES
LOCKOUT_SECONDS = 15 * 60


@bp.route("/masuk", methods=["GET", "POST"])
@limiter.limit("10/minute", methods=["POST"])
def login():
    error, status = None, 200
    username = ""
    if request.method == "POST":
        username = (request.form.get("username") or "").strip().lower()[:80]
        password = request.form.get("password") or ""
        failures_key = redis_keys.login_failures(username)
        if _failures(failures_key) >= MAX_FAILURES:
            error, status = gettext(LOCKED), 429
        else:
            user = db.get_session().exec(select(User).where(User.username == username)).first()
            if user is not None and user.active and accounts.verify_password(user, password):
                _forget_failures(failures_key)
                db.run_in_transaction(
                    current_app.extensions["lapor.settings"],
                    lambda session: accounts.note_sign_in(session, user.id, utcnow()),
                )
                login_user(StaffUser.of(user))
                return redirect(_safe_next(request.args.get("next")), code=303)
            _count_failure(failures_key)
            error, status = gettext("Nama pengguna atau kata sandi salah."), 401
    return render_template("login.html", error=error, username=username), status


def _failures(key: str) -> int:
    try:
        return int(get_redis().get(key) or 0)
    except RedisError as error:
        # Without Redis the lockout cannot count; signing in still works (the per-address
        # rate limit is skipped too), and the outage is in the log.
        log.warning("sign-in lockout unavailable: %s", error)
        return 0


def _count_failure(key: str) -> None:
    try:
        with get_redis().pipeline() as pipe:
            pipe.incr(key).expire(key, LOCKOUT_SECONDS).execute()
    except RedisError as error:
        log.warning("sign-in failure not counted: %s", error)


def _forget_failures(key: str) -> None:
    try:
        get_redis().delete(key)
    except RedisError as error:
        log.warning("sign-in failures not cleared: %s", error)


LOCKED = N_(
    "Terlalu banyak percobaan masuk yang gagal untuk akun ini. Coba lagi dalam 15 menit, "
    "atau hubungi admin."
)


@bp.post("/keluar")
def logout():
    logout_user()
    return redirect(url_for("web.home"), code=303)


class PasswordForm(FlaskForm):
    """Changing one's own password; labels and messages are in the template (translated)."""

    current = PasswordField()
    new = PasswordField()
    repeat = PasswordField()


@bp.route("/akun/sandi", methods=["GET", "POST"])
@limiter.limit("10/minute", methods=["POST"])
@roles_required(*Role)
def own_password():
    form = PasswordForm()
    if not form.validate_on_submit():
        # validate_on_submit checked the CSRF token; the rules are the service's.
        return _password_page(form, "csrf" if form.is_submitted() else None)
    problem = _password_problem(form)
    if problem:
        return _password_page(form, *problem)
    settings = current_app.extensions["lapor.settings"]
    try:
        signed_in = db.run_in_transaction(
            settings,
            lambda session: StaffUser.of(
                accounts.change_password(
                    session,
                    current_user.id,
                    current=form.current.data,
                    new=form.new.data,
                    now=utcnow(),
                )
            ),
        )
    except DomainError as error:
        if error.code == "wrong_password":
            _count_failure(redis_keys.login_failures(current_user.username))
        return _password_page(form, error.code, error.message)
    _forget_failures(redis_keys.login_failures(current_user.username))
    # The new hash retired every session of this account, this one too: sign in again here.
    login_user(signed_in)
    flash(gettext("Kata sandi Anda sudah diganti. Sesi lain dengan akun ini sudah keluar."))
    return redirect(url_for("console.queue"), code=303)


def _password_problem(form: PasswordForm) -> tuple[str, str] | None:
    """What is wrong with the form before the service is asked: (code, message) or None."""
    if _failures(redis_keys.login_failures(current_user.username)) >= MAX_FAILURES:
        # Guessing the current password here is guessing it at sign-in: the same lockout.
        return "locked", LOCKED
    if not (form.current.data and form.new.data and form.repeat.data):
        return "required", "Isi ketiga kolom kata sandi."
    if form.new.data != form.repeat.data:
        return "mismatch", "Ulangan kata sandi baru tidak sama."
    return None


def _password_page(form: PasswordForm, code: str | None, message: str | None = None):
    statuses = {None: 200, "csrf": 400, "locked": 429}
    return render_template(
        "account_password.html",
        form=form,
        error_code=code,
        error=message,
        min_password=accounts.MIN_PASSWORD,
    ), statuses.get(code, 422)


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never send a signed-in officer to another host."""
    return local_path(target) or url_for("console.queue")


def local_path(target: str | None) -> str | None:
    """The target if it is a path on this site (no scheme, no host), else None."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/"):
            return target
    return None


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = N_("Silakan masuk untuk membuka halaman itu.")
    login_manager.localize_callback = gettext  # in the language of the page asked for
    login_manager.session_protection = "strong"
    app.register_blueprint(bp)
