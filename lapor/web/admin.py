"""The operators' view of the background machinery: RQ queues, workers and failed jobs, the
cron schedulers, the deliveries still to make and failed notifications (an rq-dashboard of
our own, in Bahasa Indonesia, behind the admin sign-in)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext
from flask_login import current_user
from redis.exceptions import RedisError
from rq import Queue, Worker
from rq.cron import CronScheduler
from rq.exceptions import NoSuchJobError
from rq.job import Job
from sqlmodel import select

from lapor.domain.errors import DomainError
from lapor.domain.timefmt import utcnow
from lapor.infra import db, jobs
from lapor.infra.broker import get_redis
from lapor.services import accounts, deliveries
from lapor.services.changes import Editor
from lapor.web import messages
from lapor.web.auth import roles_required
from lapor.web.templating import page_language
from models import Agency, Complaint, Notification, NotificationStatus, Role, User

log = logging.getLogger(__name__)
bp = Blueprint("ops", __name__, url_prefix="/admin")


def _settings():
    return current_app.extensions["lapor.settings"]


def editor() -> Editor:
    """The signed-in admin, as the audit of configuration names them."""
    return Editor(current_user.id, current_user.username)


FAILED_SHOWN = 20


@bp.get("/antrean")
@roles_required(Role.ADMIN)
def queues():
    session = db.get_session()
    failed_notices = session.exec(
        select(Notification, Complaint.tracking_code)
        .join(Complaint, Complaint.id == Notification.complaint_id)
        .where(Notification.status.in_([NotificationStatus.FAILED, NotificationStatus.RETRYING]))
        .order_by(Notification.id.desc())
        .limit(FAILED_SHOWN)
    ).all()
    try:
        machinery = _machinery()
        redis_error = None
    except RedisError as error:
        machinery, redis_error = None, str(error)
    return render_template(
        "admin_queues.html",
        machinery=machinery,
        redis_error=redis_error,
        backlog=deliveries.backlog(session),
        failed_notices=failed_notices,
    )


def _machinery() -> dict:
    connection = get_redis()
    queues = []
    failed_jobs = []
    for name in jobs.QUEUES:
        queue = Queue(name, connection=connection)
        queues.append(
            {
                "name": name,
                "queued": queue.count,
                "started": queue.started_job_registry.count,
                "scheduled": queue.scheduled_job_registry.count,
                "failed": queue.failed_job_registry.count,
                "finished": queue.finished_job_registry.count,
            }
        )
        ids = queue.failed_job_registry.get_job_ids(0, FAILED_SHOWN - 1)
        for job in Job.fetch_many(ids, connection=connection):
            if job is not None:
                failed_jobs.append(_job_view(job, name))
    return {
        "queues": queues,
        "workers": [
            {
                "name": worker.name,
                "state": worker.get_state(),
                "queues": ", ".join(worker.queue_names()),
                "current": worker.get_current_job_id(),
                "heartbeat": worker.last_heartbeat,
            }
            for worker in Worker.all(connection=connection)
        ],
        "cron": [scheduler.name for scheduler in CronScheduler.all(connection)],
        "failed_jobs": failed_jobs,
    }


def _job_view(job: Job, queue: str) -> dict:
    result = job.latest_result()
    error = ((result.exc_string if result else "") or "").strip().splitlines()
    return {
        "id": job.id,
        "queue": queue,
        "func": job.func_name,
        "args": job.args,
        "ended_at": job.ended_at,
        "error": error[-1] if error else "",
    }


@bp.post("/antrean/<queue>/<job_id>/ulangi")
@roles_required(Role.ADMIN)
def requeue(queue: str, job_id: str):
    if queue not in jobs.QUEUES:
        abort(404)
    registry = Queue(queue, connection=get_redis()).failed_job_registry
    try:
        registry.requeue(job_id)
    except (NoSuchJobError, ValueError):
        abort(404)
    flash(gettext("Job %(job)s dijalankan ulang.", job=job_id))
    return redirect(url_for("ops.queues"), code=303)


@bp.post("/antrean/sapu")
@roles_required(Role.ADMIN)
def sweep_now():
    jobs.enqueue_sweep(_settings())
    flash(gettext("Sapuan SLA dijadwalkan sekarang."))
    return redirect(url_for("ops.queues"), code=303)


# --- staff accounts ----------------------------------------------------------------------


@bp.route("/pengguna", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def users():
    """The staff accounts; a new one gets a generated password, shown here once."""
    error, created = _create_account(request.form) if request.method == "POST" else (None, None)
    session = db.get_session()
    rows = accounts.staff_accounts(session)
    page = render_template(
        "admin_users.html",
        rows=rows,
        failures=_sign_in_failures([user.username for user, _ in rows]),
        max_failures=accounts.MAX_FAILURES,
        agencies=_agency_choices(session),
        roles=list(Role),
        error=error,
        created=created,
    )
    return _once(page) if created else (page, 422 if error else 200)


def _create_account(form) -> tuple[str | None, tuple[str, str] | None]:
    """(error, None) or (None, (username, generated password))."""
    password = accounts.generated_password()
    try:
        user = db.run_in_transaction(
            _settings(),
            lambda session: accounts.create_user(
                session,
                username=form.get("username", ""),
                password=password,
                role=form.get("role", ""),
                agency_code=form.get("agency") or None,
                full_name=form.get("full_name", "")[:120],
                now=utcnow(),
                editor=editor(),
            ),
        )
    except DomainError as failure:
        return messages.domain_error_message(failure, page_language()), None
    return None, (user.username, password)


def _sign_in_failures(usernames: list[str]) -> dict[str, int] | None:
    """Each account's failed sign-ins; None when Redis cannot say (the page still works)."""
    try:
        return accounts.sign_in_failures(get_redis(), usernames)
    except RedisError as error:
        log.warning("sign-in failures unavailable: %s", error)
        return None


def _agency_choices(session, current: Agency | None = None) -> list[Agency]:
    """The OPDs an account can belong to (and its own, even if deactivated since)."""
    choices = list(
        session.exec(
            select(Agency)
            .where(Agency.kind != "external", Agency.active.is_(True))
            .order_by(Agency.code)
        )
    )
    if current is not None and current not in choices:
        choices.insert(0, current)
    return choices


def _once(page: str, status: int = 200):
    """A page showing a new password: no cache may keep it."""
    response = make_response(page, status)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/pengguna/<int(max=2147483647):user_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def users_edit(user_id: int):
    """One account: its facts, its role, OPD and name to edit, and what can be done to it."""
    if request.method == "GET":
        return _account_page(user_id)
    form = request.form
    try:
        db.run_in_transaction(
            _settings(),
            lambda session: accounts.update_user(
                session,
                editor(),
                user_id,
                role=form.get("role", ""),
                agency_code=form.get("agency") or None,
                full_name=form.get("full_name", ""),
                now=utcnow(),
            ),
        )
    except DomainError as failure:
        if failure.code == "unknown_user":
            abort(404)
        message = messages.domain_error_message(failure, page_language())
        return _account_page(user_id, error=message, sent=form), 422
    flash(gettext("Akun diperbarui."))
    return redirect(url_for("ops.users_edit", user_id=user_id), code=303)


def _account_page(user_id: int, *, error=None, sent=None, password=None):
    session = db.get_session()
    session.expire_all()  # a change may have just been committed in its own transaction
    try:
        user, agency = accounts.account(session, user_id)
    except DomainError:
        abort(404)
    failures = _sign_in_failures([user.username])
    page = render_template(
        "admin_user.html",
        user=user,
        agency=agency,
        failures=None if failures is None else failures[user.username],
        max_failures=accounts.MAX_FAILURES,
        agencies=_agency_choices(session, agency),
        roles=list(Role),
        history=accounts.history(session, user.username),
        error=error,
        sent=sent,
        password=password,
    )
    return _once(page) if password else page


# The changes to an account confirmed on a page of their own first, and when each is
# offered: (account, failed sign-ins or None when unknown) → whether it applies now.
OFFERED: dict[str, Callable[[User, int | None], bool]] = {
    "nonaktifkan": lambda user, failures: user.active,
    "aktifkan": lambda user, failures: not user.active,
    "sandi-baru": lambda user, failures: True,
    "buka-kunci": lambda user, failures: (failures or 0) >= accounts.MAX_FAILURES,
}


@bp.route("/pengguna/<int(max=2147483647):user_id>/<what>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def users_confirm(user_id: int, what: str):
    """Disable, enable, reset the password of or unlock an account: a page that says what
    will happen (GET), then the change itself (POST, audited by the service)."""
    if what not in OFFERED:
        abort(404)
    session = db.get_session()
    try:
        user, _agency = accounts.account(session, user_id)
    except DomainError:
        abort(404)
    if request.method == "GET":
        failures = _sign_in_failures([user.username])
        count = None if failures is None else failures[user.username]
        return render_template(
            "admin_user_confirm.html",
            user=user,
            what=what,
            failures=count,
            max_failures=accounts.MAX_FAILURES,
            offered=OFFERED[what](user, count),
            own=user.id == current_user.id,
        )
    return _carry_out(user, what)


def _carry_out(user: User, what: str):
    user_id, name = user.id, user.username
    change = {
        "nonaktifkan": lambda s: accounts.set_active(s, editor(), user_id, False, now=utcnow()),
        "aktifkan": lambda s: accounts.set_active(s, editor(), user_id, True, now=utcnow()),
        "sandi-baru": lambda s: accounts.reset_password(s, editor(), user_id, now=utcnow()),
        "buka-kunci": lambda s: accounts.unlock(
            s, editor(), user_id, connection=get_redis(), now=utcnow()
        ),
    }[what]
    try:
        done = db.run_in_transaction(_settings(), change)
    except DomainError as failure:
        message = messages.domain_error_message(failure, page_language())
        return _account_page(user_id, error=message), 422
    except RedisError as error:
        log.warning("unlock failed: %s", error)
        message = gettext("Redis tidak dapat dihubungi: kunci akun tidak dapat dibuka sekarang.")
        return _account_page(user_id, error=message), 503
    if what == "sandi-baru":
        return _account_page(user_id, password=done)
    flash(_done(what, name))
    return redirect(url_for("ops.users_edit", user_id=user_id), code=303)


def _done(what: str, name: str) -> str:
    if what == "nonaktifkan":
        return gettext("Akun %(name)s dinonaktifkan.", name=name)
    if what == "aktifkan":
        return gettext("Akun %(name)s diaktifkan kembali.", name=name)
    return gettext("Kunci akun %(name)s dibuka: pemiliknya dapat masuk lagi.", name=name)
