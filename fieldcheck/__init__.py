"""fieldcheck: geotagged photo reports, rectification and monthly scoring for civilized-city inspections."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

from . import config as config_module
from .extensions import babel, csrf, db, limiter, login_manager, migrate

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: defaults, then FIELDCHECK_* environment, then test overrides. No I/O beyond config.

    Long on purpose: it is the app's one wiring list (configuration, extensions, blueprints, hooks, commands),
    read top to bottom in the order each step needs the ones before it; split, that order would be spread over
    several places.
    """
    app = Flask(
        __name__,
        instance_path=os.environ.get("FIELDCHECK_INSTANCE_DIR") or str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.from_mapping(config_module.DEFAULTS)
    app.config.from_prefixed_env("FIELDCHECK")
    if test_config:
        app.config.from_mapping(test_config)
    config_module.resolve(app.config, app.instance_path)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True, compare_type=True)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    csrf.init_app(app)
    limiter.init_app(app)

    from .auth.views import select_locale

    babel.init_app(app, locale_selector=select_locale, default_translation_directories="translations")

    from .database import configure_engine

    with app.app_context():
        configure_engine(db.engine)

    from . import models  # noqa: F401  (every model registered before migrations compare)
    from .ranking import invalidation

    invalidation.install()  # every commit counts the changes to the months' data (the month cache)
    from .admin import api as _admin_api  # noqa: F401  (adds /api/v1/admin routes to the api blueprint)
    from .admin import boundaries as _admin_boundaries  # noqa: F401  (boundaries pages and admin API)
    from .admin import settings_views as _admin_settings  # noqa: F401  (adds /admin/settings to admin)
    from .admin.views import bp as admin_bp
    from .api.views import bp as api_bp
    from .auth.views import bp as auth_bp
    from .calendar.views import bp as calendar_bp
    from .checklist import api as _checklist_api  # noqa: F401  (adds /api/v1/admin/checklists)
    from .checklist.views import bp as checklist_bp
    from .documents.views import bp as documents_bp
    from .home import settings_views as _settings_views  # noqa: F401  (adds the settings form to home)
    from .home.views import bp as home_bp
    from .map import api as _map_api  # noqa: F401  (adds the map's GeoJSON routes to the api blueprint)
    from .map.views import bp as map_bp
    from .notify import api as _notify_api  # noqa: F401  (adds the inbox and robot targets to the api blueprint)
    from .ranking import api as _ranking_api  # noqa: F401  (adds ranking routes to the api blueprint)
    from .ranking.views import bp as ranking_bp
    from .reports import api as _reports_api  # noqa: F401  (adds report routes to the api blueprint)
    from .reports.views import bp as reports_bp
    from .spots import api as _spots_api  # noqa: F401  (adds /api/v1/admin/spots to the api blueprint)
    from .spots.views import bp as spots_bp
    from .storage import store_from_config
    from .web import register_error_handlers, register_script_trimming, register_template_helpers
    from .workflow import api as _workflow_api  # noqa: F401  (adds workflow moves to the api blueprint)
    from .workflow import search_page as _search_page  # noqa: F401  (adds /search to the workflow blueprint)
    from .workflow.views import bp as workflow_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(home_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(workflow_bp)
    app.register_blueprint(ranking_bp)
    app.register_blueprint(map_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(spots_bp)
    app.register_blueprint(checklist_bp)
    app.register_blueprint(calendar_bp)
    app.register_blueprint(documents_bp)
    app.extensions["fieldcheck.storage"] = store_from_config(app.config)
    register_error_handlers(app)
    register_template_helpers(app)
    register_script_trimming(app)

    # Notifications: the outbox listener, the inbox page and API, the robot targets (fieldcheck/notify).
    from .notify import install as install_notify

    install_notify(app)

    # Object storage and many processes (issue #16): /healthz, request ids and access log, storage as HTTP.
    from .health import bp as health_bp
    from .requestlog import register_request_log
    from .storage_http import register_storage_http

    app.register_blueprint(health_bp)
    register_request_log(app)
    register_storage_http(app)

    # Behind FIELDCHECK_PROXY_HOPS trusted proxies: the browser's scheme, host and path prefix (README).
    if app.config["PROXY_HOPS"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops, x_prefix=hops
        )
    return app
