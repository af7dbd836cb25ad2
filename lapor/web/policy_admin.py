"""Admins keep the region's SLA policy (deadlines, escalation) and its routing map."""

from __future__ import annotations

from flask import Blueprint, render_template

from lapor.web.auth import roles_required
from models import Role

bp = Blueprint("policy_admin", __name__, url_prefix="/admin")


@bp.get("/tenggat")
@roles_required(Role.ADMIN)
def sla():
    return render_template("admin_stub.html", title="Tenggat")


@bp.get("/peta-rute")
@roles_required(Role.ADMIN)
def routing():
    return render_template("admin_stub.html", title="Peta rute")
