"""Staff accounts: creating them and checking their passwords."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime

import redis
from sqlmodel import Session, select
from werkzeug.security import check_password_hash, generate_password_hash

from lapor.domain.errors import DomainError
from lapor.infra import redis_keys
from lapor.services import changes
from lapor.services.changes import Editor
from models import Agency, ApiToken, ConfigChange, Role, User

MIN_PASSWORD = 10
# After this many failed sign-ins an account is locked (lapor.web.auth) until the failures
# expire or an admin unlocks it.
MAX_FAILURES = 5
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,79}$")


def create_user(
    session: Session,
    *,
    username: str,
    password: str,
    role: Role | str,
    now: datetime,
    agency_code: str | None = None,
    full_name: str = "",
    editor: Editor | None = None,
) -> User:
    """Add a staff account; an officer belongs to exactly one OPD of the region (audited when
    an editor is named)."""
    username = username.strip().lower()
    if not _USERNAME.match(username):
        raise DomainError(
            "Nama pengguna 3–80 karakter: huruf kecil, angka, titik, garis bawah atau strip.",
            code="invalid_username",
        )
    role = _role(role)
    check_password_rules(password)
    if session.exec(select(User).where(User.username == username)).first() is not None:
        raise DomainError(f"Nama pengguna '{username}' sudah dipakai.", code="username_taken")
    agency = _agency_for_role(session, role, agency_code)
    user = User(
        username=username,
        full_name=full_name.strip(),
        password_hash=generate_password_hash(password),
        role=role,
        agency_id=agency.id if agency else None,
        created_at=now,
    )
    session.add(user)
    session.flush()
    if editor is not None:
        _record(session, editor, user, "create", None, _account(user, agency), now)
    return user


def _role(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError as exc:
        names = ", ".join(r.value for r in Role)
        raise DomainError(
            f"Peran tidak dikenal: {role}. Pilih: {names}.", code="invalid_role"
        ) from exc


def _agency_for_role(
    session: Session, role: Role, agency_code: str | None, kept_id: int | None = None
) -> Agency | None:
    """The OPD of an account in this role; a deactivated one only if the account is in it
    already (its name can still be edited before it is moved)."""
    agency = _agency(session, agency_code) if agency_code else None
    if role == Role.OFFICER and agency is None:
        raise DomainError(
            "Petugas (officer) wajib terdaftar pada satu OPD.", code="agency_required"
        )
    if agency is not None and not agency.active and agency.id != kept_id:
        raise DomainError(f"OPD {agency.code} sudah nonaktif.", code="inactive_agency")
    return agency


def _account(user: User, agency: Agency | None) -> dict:
    """What the audit keeps of an account (never its password hash)."""
    return {
        "username": user.username,
        "full_name": user.full_name,
        "role": Role(user.role).value,
        "agency": agency.code if agency else None,
        "active": user.active,
    }


def _record(session, editor, user, action, before, after, now) -> None:
    changes.record(
        session, editor, subject="account", key=user.username, action=action,
        before=before, after=after, now=now,
    )  # fmt: skip


def update_user(
    session: Session,
    editor: Editor,
    user_id: int,
    *,
    role: Role | str,
    agency_code: str | None,
    full_name: str,
    now: datetime,
) -> User:
    """Change an account's role, OPD and name (an officer who moved to another OPD)."""
    user = _user(session, user_id)
    before = _account(user, session.get(Agency, user.agency_id) if user.agency_id else None)
    new_role = _role(role)
    if editor.user_id == user.id and new_role != Role.ADMIN:
        raise DomainError("Anda tidak dapat mencabut peran admin Anda sendiri.", code="own_role")
    agency = _agency_for_role(session, new_role, agency_code, kept_id=user.agency_id)
    user.role = new_role
    user.agency_id = agency.id if agency else None
    user.full_name = full_name.strip()[:120]
    session.add(user)
    old, new = changes.changed_fields(before, _account(user, agency))
    if new:
        _record(session, editor, user, "update", old, new, now)
    return user


def note_sign_in(session: Session, user_id: int, now: datetime) -> None:
    """Remember when a staff member last signed in (shown to admins)."""
    user = _user(session, user_id)
    user.last_login_at = now
    session.add(user)


def sign_in_failures(connection: redis.Redis, usernames: list[str]) -> dict[str, int]:
    """Failed sign-ins counting towards each account's lockout."""
    if not usernames:
        return {}
    values = connection.mget([redis_keys.login_failures(name) for name in usernames])
    return {name: int(value or 0) for name, value in zip(usernames, values, strict=True)}


def unlock(
    session: Session, editor: Editor, user_id: int, *, connection: redis.Redis, now: datetime
) -> User:
    """Lift a sign-in lockout before it expires (the owner called the admin)."""
    user = _user(session, user_id)
    failures = sign_in_failures(connection, [user.username])[user.username]
    if failures < MAX_FAILURES:
        raise DomainError(f"Akun {user.username} tidak sedang terkunci.", code="not_locked")
    # Cleared before the audit row commits: should that commit fail, the account is open
    # early without a record; the other order could leave a record of an unlock not done.
    connection.delete(redis_keys.login_failures(user.username))
    _record(session, editor, user, "unlock", {"failures": failures}, {"failures": 0}, now)
    return user


def check_password_rules(password: str) -> None:
    """The rules every new password follows, at creation and when its owner changes it."""
    if len(password) < MIN_PASSWORD:
        raise DomainError(f"Kata sandi minimal {MIN_PASSWORD} karakter.", code="weak_password")


def verify_password(user: User, password: str) -> bool:
    """Whether the password is the user's (constant-time comparison inside)."""
    return check_password_hash(user.password_hash, password)


def _agency(session: Session, code: str) -> Agency:
    agency = session.exec(select(Agency).where(Agency.code == code.strip().upper())).first()
    if agency is None or agency.kind == "external":
        raise DomainError(f"OPD dengan kode '{code}' tidak ada.", code="unknown_agency")
    return agency


def create_token(session: Session, username: str, *, now: datetime) -> str:
    """A new staff API token for a user; shown once, only its hash is stored."""
    user = session.exec(select(User).where(User.username == username.strip().lower())).first()
    if user is None or not user.active:
        raise DomainError(f"Pengguna '{username}' tidak ada atau nonaktif.", code="unknown_user")
    token = "lpr_" + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, token_hash=_hash(token), created_at=now))
    session.flush()
    return token


def user_for_token(session: Session, token: str) -> User | None:
    """The active user a bearer token belongs to, or None."""
    if not token or len(token) > 200:
        return None
    row = session.exec(select(ApiToken).where(ApiToken.token_hash == _hash(token))).first()
    if row is None or row.revoked:
        return None
    user = session.get(User, row.user_id)
    return user if user is not None and user.active else None


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def generated_password() -> str:
    """A password for a new or reset account, shown once to the admin."""
    return secrets.token_urlsafe(12)


def reset_password(session: Session, editor: Editor, user_id: int, *, now: datetime) -> str:
    """Give a user a new generated password (old sessions stop working); the password."""
    user = _user(session, user_id)
    password = generated_password()
    user.password_hash = generate_password_hash(password)
    session.add(user)
    _record(session, editor, user, "reset_password", None, None, now)
    return password


def change_password(
    session: Session, user_id: int, *, current: str, new: str, now: datetime
) -> User:
    """A staff member's own new password, given the current one (audited, the owner as the
    editor). The sessions signed in with the old password stop working (their cookie carries
    a token derived from its hash)."""
    user = _user(session, user_id)
    if not user.active or not verify_password(user, current):
        raise DomainError("Kata sandi saat ini salah.", code="wrong_password")
    check_password_rules(new)
    if verify_password(user, new):
        raise DomainError(
            "Kata sandi baru harus berbeda dari kata sandi saat ini.", code="same_password"
        )
    user.password_hash = generate_password_hash(new)
    session.add(user)
    _record(session, Editor(user.id, user.username), user, "change_password", None, None, now)
    return user


def set_active(
    session: Session, editor: Editor, user_id: int, active: bool, *, now: datetime
) -> User:
    """Enable or disable an account; a disabled one can neither sign in nor use its tokens."""
    user = _user(session, user_id)
    if editor.user_id == user.id and not active:
        raise DomainError("Anda tidak dapat menonaktifkan akun Anda sendiri.", code="own_account")
    if user.active != active:
        user.active = active
        session.add(user)
        action = "enable" if active else "disable"
        _record(session, editor, user, action, {"active": not active}, {"active": active}, now)
    return user


def _user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise DomainError("Pengguna tidak ditemukan.", code="unknown_user")
    return user


def staff_accounts(session: Session) -> list[tuple[User, Agency | None]]:
    """Every staff account with its OPD, by username (the admins' list)."""
    rows = session.exec(
        select(User, Agency)
        .join(Agency, Agency.id == User.agency_id, isouter=True)
        .order_by(User.username)
    ).all()
    return [(user, agency) for user, agency in rows]


def account(session: Session, user_id: int) -> tuple[User, Agency | None]:
    """One staff account and its OPD."""
    user = _user(session, user_id)
    return user, session.get(Agency, user.agency_id) if user.agency_id else None


def history(session: Session, username: str, limit: int = 20) -> list[ConfigChange]:
    """The latest audited changes of one account, newest first."""
    return list(
        session.exec(
            select(ConfigChange)
            .where(ConfigChange.subject == "account", ConfigChange.key == username)
            .order_by(ConfigChange.id.desc())
            .limit(limit)
        )
    )
