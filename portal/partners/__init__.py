"""The partner space (``/partenaires/``): members of an association, for its cases only."""

from flask import Blueprint, abort, redirect, request, url_for

from portal import charter
from portal.auth import require_roles, signed_in_account
from portal.extensions import db

bp = Blueprint("partners", __name__, url_prefix="/partenaires", template_folder="../templates")


#: What a member may reach before accepting the current charter: the charter itself.
BEFORE_THE_CHARTER = ("partners.charter",)


@bp.before_request
def _partners_only():
    require_roles("partner")
    if request.endpoint in BEFORE_THE_CHARTER:
        return None
    if not charter.has_accepted(db.session, signed_in_account().user):
        if request.method != "GET":
            abort(403)
        return redirect(url_for("partners.charter", next=request.full_path.rstrip("?")))
    return None


from portal.partners import views  # noqa: E402,F401  (registers the routes)
