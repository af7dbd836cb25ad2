"""Helpers shared by the tests that run jobs the way the worker process does."""

from __future__ import annotations

from rq import Queue, SimpleWorker

from lapor import broker, jobs
from lapor.settings import Settings


def export_settings(monkeypatch, settings: Settings) -> None:
    """Put the settings in the environment, where the jobs read them."""
    env = {
        "LAPOR_ENV": settings.env,
        "LAPOR_DATA_DIR": str(settings.data_dir),
        "LAPOR_DATABASE_URL": settings.database_url,
        "LAPOR_REDIS_URL": settings.redis_url or "",
        "LAPOR_SECRET_KEY": settings.secret_key,
        "TELEGRAM_BOT_TOKEN": settings.telegram_bot_token or "",
        "LAPOR_TELEGRAM_API_URL": settings.telegram_api_url,
        "LAPOR_SMTP_HOST": settings.smtp_host or "",
        "LAPOR_SMTP_PORT": str(settings.smtp_port),
        "LAPOR_SMTP_SECURITY": settings.smtp_security,
        "LAPOR_SMTP_FROM": settings.smtp_from,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)


def work(settings: Settings) -> None:
    """Run every queued job, as the worker process would, until the queues are empty."""
    connection = broker.connect(settings)
    queues = [Queue(name, connection=connection) for name in jobs.QUEUES]
    SimpleWorker(queues, connection=connection).work(burst=True)
