"""The public site: guides, region finder, self-check. No account, no cookie."""

from flask import Blueprint

bp = Blueprint("public", __name__, template_folder="../templates")

from portal.public import views  # noqa: E402,F401  (registers the routes)
