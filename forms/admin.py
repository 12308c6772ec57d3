"""Administration (``/bo/admin/``): the audit log's filters, retention, the directory."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from forms.base import TranslatedForm
from forms.validators import email_address, https_address, phone_number, plausible_date
from forms.widgets import MultiCheckboxField, as_choices


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


def _text(limit: int, label, description=None, required: str | None = None):
    validators = [DataRequired(required)] if required else [Optional()]
    return StringField(
        label,
        description=description,
        validators=[*validators, Length(max=limit, message=_l("At most %(max)d characters."))],
    )


class PartnerForm(FlaskForm):
    """A partner of the directory. Choices (kinds, regions, domains, approval) are
    passed in; départements are typed as INSEE codes and checked by the view."""

    name = _text(200, _l("Name"), required=_l("Give the partner's name."))
    acronym = _text(40, _l("Acronym"))
    kind = SelectField(_l("Kind of partner"), validators=[InputRequired()])
    national = BooleanField(_l("Takes requests from the whole country"))
    departements = _text(
        600,
        _l("Départements covered"),
        _l("INSEE codes separated by spaces, for example 21 25 2A 971."),
    )
    regions = MultiCheckboxField(_l("Whole regions covered"), validate_choice=True)
    domains = MultiCheckboxField(
        _l("Domains handled"),
        description=_l("None ticked: every domain."),
        validate_choice=True,
    )
    phone = StringField(_l("Phone"), validators=[Optional(), phone_number])
    email = StringField(
        _l("E-mail address"), validators=[Optional(), email_address, Length(max=254)]
    )
    website = StringField(_l("Website"), validators=[Optional(), https_address, Length(max=200)])
    address = TextAreaField(
        _l("Postal address"),
        validators=[Optional(), Length(max=500, message=_l("At most %(max)d characters."))],
    )
    opening_hours = _text(200, _l("Opening hours"))
    description_fr = TextAreaField(
        _l("Description (French)"),
        validators=[Optional(), Length(max=2_000, message=_l("At most %(max)d characters."))],
    )
    description_en = TextAreaField(
        _l("Description (English)"),
        validators=[Optional(), Length(max=2_000, message=_l("At most %(max)d characters."))],
    )
    listed = BooleanField(_l("Shown on the public finder"))
    approval_status = SelectField(_l("Approval for civil-party action"))
    approval_granted_on = DateField(_l("Approved on"), validators=[Optional(), plausible_date])
    approval_expires_on = DateField(
        _l("Approval expires on"),
        description=_l("Left empty: three years after the approval."),
        validators=[Optional(), plausible_date],
    )

    def __init__(self, *args, kinds, regions, domains, approvals, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = as_choices(kinds)
        self.regions.choices = as_choices(regions)
        self.domains.choices = as_choices(domains)
        self.approval_status.choices = as_choices(approvals)

    def departement_codes(self) -> list[str]:
        return [code.upper() for code in (self.departements.data or "").split()]

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if not (self.national.data or self.departements.data or self.regions.data):
            self.departements.errors.append(
                _l("Give the départements or regions covered, or tick the whole country.")
            )
            valid = False
        if self.approval_status.data == "granted" and not self.approval_granted_on.data:
            self.approval_granted_on.errors.append(_l("Give the day the approval was granted."))
            valid = False
        return valid


class InviteForm(FlaskForm):
    """Invite a member: the link goes by e-mail; nothing secret is shown here."""

    email = StringField(
        _l("E-mail address"),
        validators=[
            DataRequired(_l("Enter the person's e-mail address.")),
            email_address,
            Length(max=254, message=_l("At most %(max)d characters.")),
        ],
    )
    role = SelectField(_l("Role"), validators=[InputRequired()])
    association = SelectField(_l("Association (for a partner member)"), validators=[Optional()])

    def __init__(self, *args, roles, associations, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = as_choices(roles)
        self.association.choices = as_choices([("", _l("None")), *associations])

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.role.data == "partner" and not self.association.data:
            self.association.errors.append(_l("Choose the association of a partner member."))
            valid = False
        if self.role.data != "partner" and self.association.data:
            self.association.errors.append(_l("Only a partner member belongs to an association."))
            valid = False
        return valid


class RoleForm(FlaskForm):
    role = SelectField(_l("New role"), validators=[InputRequired()])

    def __init__(self, *args, roles, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = as_choices(roles)
