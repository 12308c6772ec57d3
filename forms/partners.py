"""The partner space's own forms (the case's forms are in ``forms.casework``)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField
from wtforms.validators import DataRequired, Optional

from forms.base import TranslatedForm
from forms.widgets import as_choices


class CharterForm(FlaskForm):
    accept = BooleanField(
        _l("I have read this charter and I undertake to respect it."),
        validators=[DataRequired(_l("Tick the box to accept the charter, or log out."))],
    )


class CasesFilterForm(TranslatedForm):
    """The partner's list of cases: a GET form, so a view can be bookmarked."""

    status = SelectField(_l("Status"), validators=[Optional()])
    late = BooleanField(_l("Answer late"))

    def __init__(self, formdata, *, statuses):
        super().__init__(formdata)
        self.status.choices = as_choices([("", _l("All")), *statuses])
