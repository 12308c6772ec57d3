"""Flask extensions, created unbound and attached to an app in ``create_app``."""

from flask import after_this_request
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


def recover_storage() -> None:
    """After a storage fault: forget this request's transaction now and, once its
    answer is made (the form given back may itself read from the database), every
    pooled connection, so the next request starts afresh when the fault has passed."""
    db.session.rollback()

    def renew_the_pool(response):
        db.engine.dispose()  # connections still out belong to the old pool and close
        return response

    after_this_request(renew_the_pool)
