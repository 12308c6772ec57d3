"""The Miviludes back office (``/bo/``): staff and administrators only."""

from flask import Blueprint

from portal.auth import require_roles

bp = Blueprint("backoffice", __name__, url_prefix="/bo", template_folder="../templates")


@bp.before_request
def _staff_only() -> None:
    require_roles("staff", "admin")


from portal.backoffice import views  # noqa: E402,F401  (registers the routes)
