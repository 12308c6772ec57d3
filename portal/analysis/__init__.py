"""Observation pages (``/bo/statistiques``): the figures and their exports, for staff,
administrators and analysts. An analyst sees nothing else: no case, no queue."""

from flask import Blueprint

from portal.auth import require_roles
from portal.models import STATISTICS_ROLES

bp = Blueprint("analysis", __name__, url_prefix="/bo/statistiques", template_folder="../templates")


@bp.before_request
def _statistics_readers_only() -> None:
    require_roles(*STATISTICS_ROLES)


from portal.analysis import views  # noqa: E402,F401  (registers the routes)
