"""The partner space (``/partenaires/``): members of an association, for its cases only."""

from flask import Blueprint

from portal.auth import require_roles

bp = Blueprint("partners", __name__, url_prefix="/partenaires", template_folder="../templates")


@bp.before_request
def _partners_only() -> None:
    require_roles("partner")


from portal.partners import views  # noqa: E402,F401  (registers the routes)
