"""Administration (``/bo/admin/``): the audit log's filters, retention."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

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


class RetentionRulesForm(FlaskForm):
    """Months kept after a case ends, one field per category (built by the view)."""

    @classmethod
    def for_categories(cls, categories: dict[str, object], **kwargs) -> RetentionRulesForm:
        class Rules(cls):
            pass

        for code, label in categories.items():
            setattr(
                Rules,
                code,
                IntegerField(
                    label,
                    validators=[
                        InputRequired(_l("Give a number of months.")),
                        NumberRange(1, 240, _l("Between 1 and 240 months.")),
                    ],
                ),
            )
        return Rules(**kwargs)


class ExtendForm(FlaskForm):
    """Keep one case longer, with a reason (kept as an internal note of the case)."""

    months = SelectField(
        _l("Keep it longer by"),
        choices=as_choices(
            [
                ("6", _l("6 months")),
                ("12", _l("1 year")),
                ("24", _l("2 years")),
                ("60", _l("5 years")),
            ]
        ),
        validators=[InputRequired()],
    )
    reason = TextAreaField(
        _l("Reason"),
        description=_l("Kept encrypted as an internal note of the case."),
        validators=[
            DataRequired(_l("Give the reason for keeping this case longer.")),
            Length(max=2_000, message=_l("At most %(max)d characters.")),
        ],
    )
