"""The Miviludes referral portal: ``create_app`` is the map of the application."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from sqlalchemy import event
from werkzeug.middleware.proxy_fix import ProxyFix

from portal import auth, errors, i18n, security, templating, urls
from portal.admin import bp as admin_bp
from portal.analysis import bp as analysis_bp
from portal.backoffice import bp as backoffice_bp
from portal.config import Config, keep_instance_private
from portal.content import GuideLibrary
from portal.extensions import babel, csrf, db, init_limiter, migrate
from portal.models.base import render_migration_item
from portal.partners import bp as partners_bp
from portal.public import bp as public_bp
from portal.public import pages
from portal.requests import PortalRequest
from portal.statistics import tallies

PACKAGE_ROOT = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_ROOT.parent


def _configure_sqlite(dbapi_connection, _record) -> None:
    """WAL for concurrent readers, FULL sync so a committed referral survives a power cut,
    deleted content overwritten with zeros (a purged case leaves no bytes in free pages)."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute(f"PRAGMA busy_timeout={LOCK_TIMEOUT_MS}")
    cursor.close()


#: How long a statement waits for a row or table another transaction holds, on
#: PostgreSQL; SQLite's equivalent is its busy_timeout. Past it, the request fails and
#: the person gets the form back (portal.public.views) rather than a page that hangs.
LOCK_TIMEOUT_MS = 5000


def _configure_postgresql(dbapi_connection, _record) -> None:
    """Outside any transaction, so that the setting outlives the first rollback."""
    autocommit = dbapi_connection.autocommit
    dbapi_connection.autocommit = True
    with dbapi_connection.cursor() as cursor:
        cursor.execute(f"SET lock_timeout = {LOCK_TIMEOUT_MS}")
    dbapi_connection.autocommit = autocommit


def create_app(config: Config | None = None) -> Flask:
    # The factory gunicorn's workers call: gunicorn_conf.on_starting has already
    # checked the configuration strictly, once, in the master.
    config = config or Config.from_env(strict=False)
    app = Flask(__name__, instance_path=str(config.instance_path), instance_relative_config=False)
    app.request_class = PortalRequest
    urls.init_app(app)
    app.config.update(config.flask_settings())
    app.extensions["portal.config"] = config
    keep_instance_private(config.instance_path, config.database_url)
    db.init_app(app)
    tallies.keep_tallies()
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", _configure_sqlite)
        elif db.engine.dialect.name == "postgresql":
            event.listen(db.engine, "connect", _configure_postgresql)
    migrate.init_app(
        app, db, directory=str(PROJECT_ROOT / "migrations"), render_item=render_migration_item
    )
    csrf.init_app(app)
    babel.init_app(app, locale_selector=i18n.current_language)
    init_limiter(app)

    app.extensions["portal.guides"] = GuideLibrary(
        PACKAGE_ROOT / "content", {"accessibility_contact": config.accessibility_contact}
    )

    i18n.init_app(app)
    pages.init_app(app)
    security.init_app(app)
    errors.init_app(app)

    templating.init_app(app)
    app.register_blueprint(public_bp)
    auth.init_app(app)
    app.register_blueprint(backoffice_bp)
    app.register_blueprint(analysis_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(partners_bp)
    security.exempt_from_csrf(app, csrf)
    if config.proxy_count:
        # Outermost, so that the pages served from memory (portal.public.pages) see
        # the scheme and host the visitor used, as Flask does.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app,
            x_for=config.proxy_count,
            x_proto=config.proxy_count,
            x_host=config.proxy_count,
        )
    return app
