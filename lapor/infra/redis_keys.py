"""Every name Lapor gives a key in Redis, in one place (RQ keeps its own `rq:` keys)."""

from __future__ import annotations

LIMITER_PREFIX = "lapor-limit"  # Flask-Limiter's counters: per address, contact, complaint
BOT_PREFIX = "lapor:bot"  # the bot's conversation states and drafts (bots.persistence)


def login_failures(username: str) -> str:
    """Failed sign-ins of one account, for the lockout."""
    return f"lapor:login:failures:{username}"


def bot_user_data() -> str:
    """The bot's per-user data (a reporter's unfinished draft), a hash by Telegram user id."""
    return f"{BOT_PREFIX}:user_data"


def bot_conversation(name: str) -> str:
    """One conversation's states, a hash by the JSON list of its chat and user ids."""
    return f"{BOT_PREFIX}:conversation:{name}"


def bot_forgotten(user_id: int) -> str:
    """That a Telegram user's identity was erased: the running bot drops its copy of them."""
    return f"{BOT_PREFIX}:forgotten:{user_id}"


def bot_flood(user_id: int) -> str:
    """A Telegram user's updates in the current flood window."""
    return f"{BOT_PREFIX}:flood:{user_id}"


def cron_slot(job_name: str, slot: str) -> str:
    """That a scheduled job already ran in a slot (however many `rq cron` enqueue it)."""
    return f"lapor:cron:{job_name}:{slot}"


def public_stats(period_key: str) -> str:
    """The public report's figures for one period (/kinerja, /api/v1/stats/agencies), briefly."""
    return f"lapor:stats:agencies:{period_key}"
