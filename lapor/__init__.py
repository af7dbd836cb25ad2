"""Lapor: public-service complaints for a regional government, from intake to escalation."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Flask

from lapor.infra.settings import Settings


def create_app(config: Settings | Mapping[str, object] | None = None) -> Flask:
    """Build the web application; `config` overrides what the environment says."""
    if isinstance(config, Settings):
        settings = config
    else:
        settings = Settings.from_env(overrides=config or {})
    app = Flask(__name__, instance_path=str(settings.data_dir))
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=30 * 1024 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=not settings.is_development,
        JSON_SORT_KEYS=False,
    )
    app.config.update({k: v for k, v in settings.extra.items() if k.isupper()})
    app.extensions["lapor.settings"] = settings

    from lapor.infra import broker, db
    from lapor.web import admin as ops
    from lapor.web import (
        admin_api,
        api,
        auth,
        console,
        errors,
        health,
        limits,
        maps,
        my_complaints,
        open311,
        open311_updates,
        policy_admin,
        public_stats,
        registry_admin,
        staff_api,
        templating,
    )
    from lapor.web import citizen as web
    from lapor.web.converters import RowId

    # Before any blueprint: their `<int:…>` routes are built with the converter in the map.
    app.url_map.converters["int"] = RowId
    db.init_app(app)
    broker.init_app(app)
    errors.init_app(app)
    templating.init_app(app)
    limits.init_app(app)
    auth.init_app(app)
    app.register_blueprint(health.bp)
    app.register_blueprint(web.bp)
    app.register_blueprint(my_complaints.bp)
    app.register_blueprint(maps.bp)
    app.register_blueprint(public_stats.bp)
    app.register_blueprint(ops.bp)
    app.register_blueprint(registry_admin.bp)
    app.register_blueprint(policy_admin.bp)
    # The JSON API is called by programs with no browser session: no cookie, no CSRF token.
    templating.csrf.exempt(api.bp)
    templating.csrf.exempt(open311.bp)
    templating.csrf.exempt(open311_updates.bp)
    templating.csrf.exempt(staff_api.bp)
    templating.csrf.exempt(admin_api.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(open311.bp)
    app.register_blueprint(open311_updates.bp)
    app.register_blueprint(staff_api.bp)
    app.register_blueprint(admin_api.bp)
    app.register_blueprint(console.bp)
    return app
