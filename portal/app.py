"""The web application: its extensions, blueprints and error handlers, and nothing else."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from flask_babel import Babel
from flask_wtf.csrf import CSRFProtect

from portal import clock
from portal.config import Settings
from portal.db import Database
from portal.gateway import TemporalBridge
from portal.web import extensions

PACKAGE = Path(__file__).resolve().parent
csrf = CSRFProtect()
babel = Babel()


def create_app(
    settings: Settings | None = None,
    database: Database | None = None,
    bridge: TemporalBridge | None = None,
    **overrides: Any,
) -> Flask:
    settings = settings or Settings.from_env()
    clock.set_shift(settings.clock_shift)
    app = Flask(
        __name__,
        template_folder=str(PACKAGE / "templates"),
        static_folder=str(PACKAGE / "static"),
    )
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=not settings.development,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=not settings.development,
        WTF_CSRF_TIME_LIMIT=None,
        # The largest upload (a 5 MiB PDF) and its form; anything bigger is a 413, unread.
        MAX_CONTENT_LENGTH=6 * 1024 * 1024,
        BABEL_TRANSLATION_DIRECTORIES=str(PACKAGE / "translations"),
    )
    app.config.update(overrides)
    extensions.init_app(
        app,
        settings,
        database or Database(settings.database_url),
        bridge or TemporalBridge(settings.temporal),
    )
    csrf.init_app(app)
    from portal.notifications.catalogs import compile_catalogs

    compile_catalogs(PACKAGE / "translations")
    from portal.web import language

    babel.init_app(app, locale_selector=language.select_locale)
    language.init_translations(app)

    from portal.accounts import security_pages
    from portal.accounts import views as account_views
    from portal.billing_centre import api as billing_api
    from portal.billing_centre import sandbox_pages
    from portal.billing_centre import views as billing_pages
    from portal.billing_requests import views as request_views
    from portal.console import accounts as _console_accounts  # noqa: F401 - its route
    from portal.console import views as console_views
    from portal.documents import api as document_api
    from portal.documents import views as document_views
    from portal.notifications import views as outbox
    from portal.purchase_orders import views as po_views
    from portal.web import (
        api_support,
        auth,
        errors,
        favicon,
        health,
        input_guard,
        language,
        metrics,
        template_helpers,
    )
    from portal.web.security_headers import init_app as init_security_headers

    metrics.init_app(app)
    favicon.init_app(app)
    init_security_headers(app)
    auth.init_app(app)
    template_helpers.init_app(app)
    errors.init_app(app)
    input_guard.init_app(app)
    api_support.init_app(app)
    csrf.exempt(
        api_support.bp
    )  # bearer tokens, never cookies: no cross-site forgery to guard against
    csrf.exempt(document_api.api_bp)  # bearer tokens too
    csrf.exempt(billing_api.bp)  # bearer tokens too
    billing_api.init_app(app)
    sandbox_pages.init_app(app)
    for blueprint in (
        health.bp,
        account_views.bp,
        security_pages.bp,
        po_views.bp,
        request_views.bp,
        console_views.bp,
        document_views.bp,
        document_api.api_bp,
        outbox.bp,
        billing_api.bp,
        billing_pages.bp,
        sandbox_pages.bp,
        language.bp,
    ):
        app.register_blueprint(blueprint)
    return app
