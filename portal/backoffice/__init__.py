"""The Miviludes back office (``/bo/``): staff and administrators only."""

from flask import Blueprint

from portal.auth import require_roles, signed_in_account

bp = Blueprint("backoffice", __name__, url_prefix="/bo", template_folder="../templates")


@bp.before_request
def _staff_only() -> None:
    require_roles("staff", "admin")


@bp.app_template_global()
def to_read_count() -> int:
    """The header's "cases to read" of the staff member reading any staff page."""
    from portal.casework import unread
    from portal.extensions import db

    return unread.count_for(db.session, signed_in_account().user_id)


from portal.backoffice import views  # noqa: E402,F401  (registers the routes)
