"""The referral form ("signaler une situation" / "demander un avis")."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    HiddenField,
    MultipleFileField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from forms.files import FormWithFiles, check_uploads
from forms.validators import at_most_lines, email_address, phone_number
from forms.widgets import MultiCheckboxField, as_choices
from portal.vocabulary import PUBLIC_KINDS, PUBLIC_MINOR_ANSWERS, PUBLIC_REPORTER_ROLES

DESCRIPTION_MIN, DESCRIPTION_MAX = 30, 20_000

CONTACT_CHOICES = {
    "anonymous": _l("I stay anonymous"),
    "contact": _l("I give my details so that Miviludes can contact me"),
}


class ReferralForm(FormWithFiles):
    kind = RadioField(
        _l("What do you want to do?"),
        choices=as_choices(PUBLIC_KINDS.items()),
        validators=[
            InputRequired(_l("Choose whether you report a situation or ask for an opinion."))
        ],
    )
    reporter_role = RadioField(
        _l("Who are you?"),
        choices=as_choices(PUBLIC_REPORTER_ROLES.items()),
        validators=[InputRequired(_l("Tell us who you are in this situation."))],
    )
    domain = RadioField(
        _l("What area is it about?"), validators=[InputRequired(_l("Choose an area."))]
    )
    organisations = TextAreaField(
        _l("Name of the organisation or group"),
        description=_l("One per line, if you know it."),
        validators=[Optional(), at_most_lines(10, 200)],
    )
    persons = TextAreaField(
        _l("Person or people involved"),
        description=_l("For example a practitioner or a leader. One per line."),
        validators=[Optional(), at_most_lines(10, 200)],
    )
    websites = TextAreaField(
        _l("Websites or social media accounts"),
        description=_l("One address per line."),
        validators=[Optional(), at_most_lines(10, 300)],
    )
    departement = SelectField(
        _l("Département where it happens"),
        validators=[DataRequired(_l("Choose the département, or “abroad” or “I don’t know”."))],
    )
    commune = StringField(_l("Town (optional)"), validators=[Optional(), Length(max=100)])
    since_when = StringField(
        _l("Since when? (optional)"),
        description=_l("For example: two years, since last summer."),
        validators=[Optional(), Length(max=100)],
    )
    minor_involved = RadioField(
        _l("Is a child or teenager concerned?"),
        choices=as_choices(PUBLIC_MINOR_ANSWERS.items()),
        validators=[InputRequired(_l("Tell us whether a minor is concerned."))],
    )
    health_risk = BooleanField(_l("Someone’s health is at risk (care refused or abandoned)"))
    immediate_danger = BooleanField(_l("Someone is in immediate danger"))
    signs = MultiCheckboxField(_l("Signs you have noticed"), validate_choice=True)
    description = TextAreaField(
        _l("Describe the situation"),
        description=_l(
            "What happened, who is involved, since when, what worries you. "
            "Between 30 and 20,000 characters."
        ),
        validators=[
            DataRequired(_l("Describe the situation.")),
            Length(
                min=DESCRIPTION_MIN,
                max=DESCRIPTION_MAX,
                message=_l("The description must have between 30 and 20,000 characters."),
            ),
        ],
    )
    attachments = MultipleFileField(
        _l("Documents (optional)"),
        description=_l(
            "Up to 5 files, 10 MB each and 25 MB in all: PDF, JPEG, PNG, text, ODT or DOCX."
        ),
    )
    keep_original = BooleanField(
        _l(
            "Keep my files exactly as they are, as evidence (their hidden information, "
            "such as the place a photo was taken, is then kept too)"
        )
    )
    contact_mode = RadioField(
        _l("Can Miviludes contact you?"),
        choices=as_choices(CONTACT_CHOICES.items()),
        default="anonymous",
        validators=[InputRequired(_l("Choose whether you stay anonymous."))],
    )
    name = StringField(_l("Your name"), validators=[Optional(), Length(max=120)])
    email = StringField(
        _l("E-mail address"), validators=[Optional(), Length(max=200), email_address]
    )
    phone = StringField(_l("Phone number"), validators=[Optional(), Length(max=30), phone_number])
    best_time = StringField(_l("Best time to call you"), validators=[Optional(), Length(max=100)])
    consent_contact = BooleanField(_l("I agree that Miviludes contacts me using these details"))
    consent_share = BooleanField(
        _l(
            "I agree that my identity and contact details are passed to a victim-support "
            "association if my request is entrusted to one"
        )
    )
    #: Left empty by people; filled by robots that fill every field.
    homepage = StringField(_l("Leave this field empty"))
    #: Issued with the page: the same receipt on a second POST means the same referral.
    receipt = HiddenField()
    receipt_seal = HiddenField()

    def __init__(
        self,
        *args,
        departements: list[tuple[str, str]],
        domains: list[tuple[str, str]],
        signs: list[tuple[str, str]],
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.departement.choices = as_choices([("", _l("Choose from the list")), *departements])
        self.domain.choices = as_choices(domains)
        self.signs.choices = as_choices(signs)

    def validate_homepage(self, field) -> None:
        if field.data:
            raise ValidationError(_l("Leave this field empty."))

    def validate_attachments(self, field) -> None:
        self.clean_files = check_uploads(field, keep_original=self.keep_original.data)

    def validate_contact_mode(self, field) -> None:
        if field.data != "contact":
            return
        if not (self.email.data or self.phone.data):
            raise ValidationError(
                _l("Give an e-mail address or a phone number, or choose to stay anonymous.")
            )
        if not self.consent_contact.data:
            raise ValidationError(
                _l("Tick the box to agree to be contacted, or choose to stay anonymous.")
            )
