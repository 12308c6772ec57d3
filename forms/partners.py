"""The partner space's own forms (the case's forms are in ``forms.casework``)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField
from wtforms.validators import DataRequired


class CharterForm(FlaskForm):
    accept = BooleanField(
        _l("I have read this charter and I undertake to respect it."),
        validators=[DataRequired(_l("Tick the box to accept the charter, or log out."))],
    )
