"""Flask extensions, created unbound and attached to an app in ``create_app``."""

from flask import after_this_request, current_app
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from portal.models.base import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
babel = Babel()
# The client address is used only as an in-memory (or Redis) counter key; it is never
# written to the database or the log.
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def init_limiter(app) -> None:
    """Flask-Limiter, with only the checks the portal's limits need.

    Every limit of the portal sits on a route (``limiter.limit`` and ``shared_limit``
    decorators, which check when their view runs). The check Flask-Limiter also runs
    before every request looks for default and application-wide limits, of which the
    portal has none; it took a fifth of a guide page's time, so it is taken out.
    """
    limiter.init_app(app)
    manager = limiter.limit_manager
    if manager.default_limits or manager.application_limits or manager._blueprint_limits:
        raise RuntimeError("default, application or blueprint limits need the before-request check")
    app.before_request_funcs[None].remove(limiter._check_request_limit)


def recover_storage() -> None:
    """After a storage fault: forget this request's transaction now and, once its
    answer is made (the form given back may itself read from the database), every
    pooled connection, so the next request starts afresh when the fault has passed."""
    db.session.rollback()

    def renew_the_pool(response):
        db.engine.dispose()  # connections still out belong to the old pool and close
        return response

    after_this_request(renew_the_pool)


def once_per_process(name: str, build):
    """Something that never changes while the portal runs, read once per worker (kept
    in ``app.extensions``). Regions and départements, the installation's public keys
    once they exist: the referral form is the page a broadcast sends crowds to, and the
    triage queue offers both lists as filters on every page. Nothing is kept when
    ``build`` raises."""
    cached = current_app.extensions.get(name)
    if cached is None:
        cached = current_app.extensions[name] = build()
    return cached
