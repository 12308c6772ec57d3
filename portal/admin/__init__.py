"""Administration (``/bo/admin/``, DESIGN §1): the partner directory, accounts and their
keys, the audit log, retention.
Administrators only."""

from flask import Blueprint

from portal.auth import require_roles

bp = Blueprint("admin", __name__, url_prefix="/bo/admin", template_folder="../templates")


@bp.before_request
def _administrators_only() -> None:
    require_roles("admin")


from portal.admin import views  # noqa: E402,F401  (registers the routes)
