"""Administration (``/bo/admin/``): the audit log's filters."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField, StringField
from wtforms.validators import Length, Optional

from forms.base import TranslatedForm
from forms.validators import plausible_date
from forms.widgets import as_choices


class AuditFilterForm(TranslatedForm):
    """A GET form, so that a filtered view of the log can be bookmarked and shared."""

    actor = StringField(
        _l("Who"),
        description=_l("An e-mail address, or system, reporter, user:12…"),
        validators=[Optional(), Length(max=254, message=_l("At most %(max)d characters."))],
    )
    action = SelectField(_l("Action"), validators=[Optional()])
    target = StringField(
        _l("Target"),
        description=_l("Its beginning is enough: referral:2026- lists the referrals of 2026."),
        validators=[Optional(), Length(max=100, message=_l("At most %(max)d characters."))],
    )
    date_from = DateField(_l("From"), validators=[Optional(), plausible_date])
    date_to = DateField(_l("Until"), validators=[Optional(), plausible_date])

    def __init__(self, formdata, *, actions: list[str]):
        super().__init__(formdata)
        self.action.choices = as_choices([("", _l("Any action")), *((a, a) for a in actions)])

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        if self.date_from.data and self.date_to.data and self.date_to.data < self.date_from.data:
            self.date_to.errors.append(_l("The end of the period comes before its start."))
            return False
        return True
