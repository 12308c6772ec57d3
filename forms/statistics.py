"""The statistics page's period: a GET form, so that a period can be bookmarked."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField
from wtforms.validators import InputRequired, Optional

from forms.base import TranslatedForm
from forms.validators import plausible_date
from forms.widgets import as_choices
from portal.statistics.calendar import Period


class PeriodForm(TranslatedForm):
    """A calendar year, or any range of days (both given)."""

    year = SelectField(_l("Year"), validators=[Optional()])
    date_from = DateField(_l("From"), validators=[Optional(), plausible_date])
    date_to = DateField(_l("Until"), validators=[Optional(), plausible_date])

    def __init__(self, formdata, *, years: list[int]):
        super().__init__(formdata)
        self.year.choices = as_choices([(str(year), str(year)) for year in years])

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        first, last = self.date_from.data, self.date_to.data
        if bool(first) != bool(last):
            missing = self.date_to if first else self.date_from
            missing.errors.append(_l("Give both dates, or choose a year."))
            return False
        if first and last < first:
            self.date_to.errors.append(_l("The end of the period comes before its start."))
            return False
        return True

    def chosen_period(self, default: Period) -> Period:
        """The period asked for once the form is valid; ``default`` otherwise."""
        if self.date_from.data and self.date_to.data:
            return Period(self.date_from.data, self.date_to.data)
        if self.year.data:
            return Period.year(int(self.year.data))
        return default


class PublishForm(FlaskForm):
    """An administrator freezes a year's figures for the public page."""

    year = SelectField(_l("Year to publish"), validators=[InputRequired()])

    def __init__(self, *args, years: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.year.choices = as_choices([(str(year), str(year)) for year in years])
