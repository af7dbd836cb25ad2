"""The SLA sweep job, run every minute by `rq cron` (workers.cron_config)."""

from __future__ import annotations

from lapor.domain.timefmt import utcnow
from lapor.infra.settings import Settings
from lapor.services import sweep as sla
from workers.once import once_per


@once_per(60)
def sweep() -> dict:
    """Remind, escalate and auto-close what has come due; safe to run twice or in parallel."""
    result = sla.sweep(Settings.from_env(), now=utcnow())
    return {"looked_at": result.looked_at, "actions": dict(result.actions)}
