"""Staff sign-in (Flask-Login): who is behind a console request, and what their role allows."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, redirect, render_template, request, url_for
from flask_login import LoginManager, current_user, login_user, logout_user
from redis.exceptions import RedisError
from sqlmodel import select

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


# After this many failed sign-ins an account is locked for LOCKOUT_SECONDS: guessing stays slow
# even from many addresses (the per-address rate limit covers the other direction).
MAX_FAILURES = 5
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
            error, status = LOCKED, 429
        else:
            user = db.get_session().exec(select(User).where(User.username == username)).first()
            if user is not None and user.active and accounts.verify_password(user, password):
                _forget_failures(failures_key)
                login_user(StaffUser.of(user))
                return redirect(_safe_next(request.args.get("next")), code=303)
            _count_failure(failures_key)
            error, status = "Nama pengguna atau kata sandi salah.", 401
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


LOCKED = (
    "Terlalu banyak percobaan masuk yang gagal untuk akun ini. Coba lagi dalam 15 menit, "
    "atau hubungi admin."
)


@bp.post("/keluar")
def logout():
    logout_user()
    return redirect(url_for("web.home"), code=303)


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never send a signed-in officer to another host."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/"):
            return target
    return url_for("console.queue")


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Silakan masuk untuk membuka halaman itu."
    login_manager.session_protection = "strong"
    app.register_blueprint(bp)
