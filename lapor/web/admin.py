"""The operators' view of the background machinery: RQ queues, workers and failed jobs, the
cron schedulers, the deliveries still to make and failed notifications (an rq-dashboard of
our own, in Bahasa Indonesia, behind the admin sign-in)."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
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
from lapor.web.auth import roles_required
from models import Agency, Complaint, Notification, NotificationStatus, Role, User

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
    flash(f"Job {job_id} dijalankan ulang.")
    return redirect(url_for("ops.queues"), code=303)


@bp.post("/antrean/sapu")
@roles_required(Role.ADMIN)
def sweep_now():
    jobs.enqueue_sweep(_settings())
    flash("Sapuan SLA dijadwalkan sekarang.")
    return redirect(url_for("ops.queues"), code=303)


# --- staff accounts ----------------------------------------------------------------------


@bp.route("/pengguna", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def users():
    """The staff accounts; a new one gets a generated password, shown here once."""
    error, created = None, None
    status = 200
    if request.method == "POST":
        form = request.form
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
            created = (user.username, password)
        except DomainError as failure:
            error, status = failure.message, 422
    return _users_page(error=error, created=created), status


@bp.post("/pengguna/<int:user_id>/<any(aktifkan, nonaktifkan, sandi):what>")
@roles_required(Role.ADMIN)
def user_action(user_id: int, what: str):
    if what == "nonaktifkan" and user_id == current_user.id:
        return _users_page(error="Anda tidak dapat menonaktifkan akun Anda sendiri."), 422
    try:
        if what == "sandi":
            password = db.run_in_transaction(
                _settings(),
                lambda session: accounts.reset_password(session, editor(), user_id, now=utcnow()),
            )
            user = db.get_session().get(User, user_id)
            return _users_page(created=(user.username, password))
        db.run_in_transaction(
            _settings(),
            lambda session: accounts.set_active(
                session, editor(), user_id, what == "aktifkan", now=utcnow()
            ),
        )
    except DomainError:
        abort(404)
    flash("Akun diperbarui.")
    return redirect(url_for("ops.users"), code=303)


def _users_page(error: str | None = None, created: tuple[str, str] | None = None):
    session = db.get_session()
    rows = session.exec(
        select(User, Agency.code)
        .join(Agency, Agency.id == User.agency_id, isouter=True)
        .order_by(User.username)
    ).all()
    agencies = session.exec(
        select(Agency)
        .where(Agency.kind != "external", Agency.active.is_(True))
        .order_by(Agency.code)
    ).all()
    return render_template(
        "admin_users.html",
        rows=rows,
        agencies=agencies,
        roles=list(Role),
        error=error,
        created=created,
    )
