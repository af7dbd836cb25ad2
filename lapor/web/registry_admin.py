"""Admins keep the region's OPD registry, its days off and read the audit of configuration."""

from __future__ import annotations

from flask import Blueprint, render_template

from lapor.web.auth import roles_required
from models import Role

bp = Blueprint("registry_admin", __name__, url_prefix="/admin")


@bp.get("/opd")
@roles_required(Role.ADMIN)
def agencies():
    return render_template("admin_stub.html", title="OPD")


@bp.get("/libur")
@roles_required(Role.ADMIN)
def holidays():
    return render_template("admin_stub.html", title="Hari libur")


@bp.get("/riwayat")
@roles_required(Role.ADMIN)
def audit():
    return render_template("admin_stub.html", title="Riwayat perubahan")
