"""Consult: community deliberation (有事好商量，众人的事情由众人商量)."""
from __future__ import annotations

import os

from flask import Flask

from consult.config import PROJECT_ROOT, load_config


def create_app(config: dict | None = None) -> Flask:
    """Build the app. ``config`` overrides what the environment says (tests use it)."""
    app = Flask(
        __name__,
        instance_path=os.environ.get("CONSULT_INSTANCE_PATH", str(PROJECT_ROOT / "instance")),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.update(load_config(app.instance_path))
    if config:
        app.config.update(config)

    from consult import cli, fragments, i18n, pagecache, security, unit_of_work, web
    from consult.extensions import csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    unit_of_work.init_app(app)  # first registered, so its after_request hook runs last
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"),
                     render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    limiter.init_app(app)
    i18n.init_app(app)
    security.init_app(app)
    login_manager.init_app(app)
    web.init_app(app)
    pagecache.init_app(app)
    fragments.init_app(app)
    from consult.privacy import guard as privacy_guard

    privacy_guard.init_app(app)  # after web: the write lock is taken before it answers

    with app.app_context():
        from consult.database import configure_engine, count_queries_per_request

        configure_engine(db.engine)
        if app.config.get("QUERY_COUNT_HEADER"):
            count_queries_per_request(app, db.engine)

    from consult.accounts.views import bp as accounts_bp
    from consult.accounts.closing_views import bp as closing_bp
    from consult.admin.views import bp as admin_bp
    from consult.community.views import bp as community_bp
    from consult.main.views import bp as main_bp
    from consult.notifications.views import bp as notifications_bp
    from consult.roster.views import bp as roster_bp
    from consult.studios import admin_views as _studio_admin  # noqa: F401 (adds its routes)
    from consult.studios import views as _studio_views  # noqa: F401 (adds its routes)
    from consult.studios.blueprint import bp as studios_bp
    from consult.topics.views import bp as topics_bp
    from consult.votes.proxy_views import bp as vote_proxies_bp
    from consult.votes.views import bp as votes_bp
    from consult.votes import paper_views as _paper_views  # noqa: F401 (adds its routes)
    from consult.topics.comment_views import bp as comments_bp
    from consult.halls.views import bp as halls_bp
    from consult.outcomes.views import bp as outcomes_bp
    from consult.activation.views import bp as activation_bp
    from consult.grids.views import bp as grids_bp
    from consult.jobs import schedule as _schedule  # noqa: F401 (registers the scheduled jobs)
    from consult.messages.views import bp as messages_bp
    from consult.desk.views import bp as desk_bp
    from consult.disclosures.views import bp as disclosures_bp
    from consult.mydata.views import bp as mydata_bp
    from consult.privacy.views import bp as privacy_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(closing_bp)
    app.register_blueprint(community_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(roster_bp)
    app.register_blueprint(studios_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(topics_bp)
    app.register_blueprint(votes_bp)
    app.register_blueprint(vote_proxies_bp)
    app.register_blueprint(comments_bp)
    app.register_blueprint(halls_bp)
    app.register_blueprint(outcomes_bp)
    app.register_blueprint(activation_bp)
    app.register_blueprint(grids_bp)
    app.register_blueprint(messages_bp)
    app.register_blueprint(desk_bp)
    app.register_blueprint(disclosures_bp)
    app.register_blueprint(mydata_bp)
    app.register_blueprint(privacy_bp)
    from consult.api import bp as api_bp, devices_bp

    app.register_blueprint(api_bp)
    app.register_blueprint(devices_bp)
    cli.init_app(app)
    return app


def _import_models() -> None:
    """Import every model module so metadata (and Alembic) sees all tables."""
    from consult.accounts import models as _accounts  # noqa: F401
    from consult.audit import models as _audit  # noqa: F401
    from consult.community import models as _community  # noqa: F401
    from consult.studios import models as _studios  # noqa: F401
    from consult.notifications import models as _notifications  # noqa: F401
    from consult.topics import models as _topics  # noqa: F401
    from consult.halls import models as _halls  # noqa: F401
    from consult.votes import models as _votes  # noqa: F401
    from consult.votes import paper_models as _paper  # noqa: F401
    from consult.outcomes import models as _outcomes  # noqa: F401
    from consult.grids import models as _grids  # noqa: F401
    from consult.api import models as _api  # noqa: F401
    from consult.activation import models as _activation  # noqa: F401
    from consult.disclosures import models as _disclosures  # noqa: F401
    from consult.mydata import models as _mydata  # noqa: F401
    from consult.privacy import models as _privacy  # noqa: F401


_import_models()
