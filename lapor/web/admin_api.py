"""The admin JSON API under /api/v1/admin: the region's registry, SLA policy, days off and the
audit of configuration for scripts, with an admin's bearer token and the pages' rules."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("admin_api", __name__, url_prefix="/api/v1/admin")
