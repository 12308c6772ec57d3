"""Forms of the back office and the partner space. Choices are passed in by the view."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from forms.base import TranslatedForm
from forms.validators import plausible_date
from forms.widgets import MultiCheckboxField, as_choices
from portal.urls import REFERENCE
from portal.vocabulary import CLOSING_REASON_LABELS, DECLINE_REASON_LABELS, MINOR_ANSWERS

TEXT_MAX = 20_000

STATUS_LABELS = {
    "new": _l("New"),
    "in_triage": _l("In triage"),
    "awaiting_reporter": _l("Waiting for the reporter"),
    "routed": _l("Routed to an association"),
    "transmitted_to_prosecutor": _l("Transmitted to the prosecutor"),
    "closed": _l("Closed"),
}
ROUTING_STATUS_LABELS = {
    "pending": _l("Waiting for the association"),
    "accepted": _l("Accepted"),
    "declined": _l("Declined"),
    "closed": _l("Closed by the association"),
}
ASSIGNMENT_LABELS = {"": _l("Anyone"), "me": _l("Assigned to me"), "nobody": _l("Unassigned")}


def _text(label, required_message):
    return TextAreaField(
        label,
        validators=[
            DataRequired(required_message),
            Length(max=TEXT_MAX, message=_l("At most 20,000 characters.")),
        ],
    )


class QueueFilterForm(TranslatedForm):
    """The queue's filters: a GET form, so a filtered queue can be bookmarked."""

    status = SelectField(_l("Status"), validators=[Optional()])
    region = SelectField(_l("Region"), validators=[Optional()])
    departement = SelectField(_l("Département"), validators=[Optional()])
    domain = SelectField(_l("Domain"), validators=[Optional()])
    kind = SelectField(_l("Kind"), validators=[Optional()])
    assigned = SelectField(_l("Assignment"), validators=[Optional()])
    urgent = BooleanField(_l("Immediate danger"))
    minor = BooleanField(_l("Minor involved"))
    health_risk = BooleanField(_l("Health risk"))
    to_read = BooleanField(_l("To read (mine or nobody's)"))
    pending = BooleanField(_l("Routed, not yet accepted"))
    overdue = BooleanField(_l("Overdue"))
    tag = SelectField(_l("Tag"), validators=[Optional()])
    date_from = DateField(_l("Received from"), validators=[Optional(), plausible_date])
    date_to = DateField(_l("Received until"), validators=[Optional(), plausible_date])

    def __init__(self, formdata, *, statuses, regions, departements, domains, kinds, tags):
        super().__init__(formdata)
        self.tag.choices = as_choices([("", _l("All")), *tags])
        self.status.choices = as_choices(
            [
                ("", _l("Open cases")),
                ("to_triage", _l("To triage (new or in triage)")),
                ("all", _l("All")),
                *statuses,
            ]
        )
        self.region.choices = as_choices([("", _l("All")), *regions])
        self.departement.choices = as_choices([("", _l("All")), *departements])
        self.domain.choices = as_choices([("", _l("All")), *domains])
        self.kind.choices = as_choices([("", _l("All")), *kinds])
        self.assigned.choices = as_choices(ASSIGNMENT_LABELS.items())


class ConfirmForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


def _reference_field(label, description=None, validators=()):
    return StringField(
        label,
        description=description,
        validators=[*validators, Length(max=20, message=_l("At most %(max)d characters."))],
        filters=[lambda value: value.strip().upper() if value else value],
    )


def _check_reference(field) -> None:
    if field.data and not REFERENCE.fullmatch(field.data):
        raise ValidationError(_l("A reference looks like 2026-7K3PQ0."))


class StatusForm(FlaskForm):
    status = SelectField(_l("New status"), validators=[InputRequired()])
    closing_reason = SelectField(
        _l("Reason for closing"),
        validators=[Optional()],
        choices=as_choices([("", "—"), *list(CLOSING_REASON_LABELS.items())]),
    )
    original = _reference_field(
        _l("Reference of the original referral"),
        description=_l("When closing as a duplicate: the referral this one repeats."),
        validators=[Optional()],
    )

    def __init__(self, *args, statuses, **kwargs):
        super().__init__(*args, **kwargs)
        self.status.choices = as_choices(statuses)

    def validate_original(self, field) -> None:
        _check_reference(field)

    def validate(self, extra_validators=None) -> bool:
        # Here, not in validate_original: an empty optional field stops its own checks.
        valid = super().validate(extra_validators)
        duplicate = self.status.data == "closed" and self.closing_reason.data == "duplicate"
        if duplicate and not self.original.data:
            self.original.errors.append(_l("Give the reference of the referral this one repeats."))
            return False
        return valid


class LinkForm(FlaskForm):
    reference = _reference_field(
        _l("Reference of a related referral"),
        validators=[DataRequired(_l("Give the reference of the related referral."))],
    )

    def validate_reference(self, field) -> None:
        _check_reference(field)


class AssignForm(FlaskForm):
    assignee = SelectField(_l("Assign to"), validators=[Optional()])

    def __init__(self, *args, staff, **kwargs):
        super().__init__(*args, **kwargs)
        self.assignee.choices = as_choices([("", _l("Nobody")), *staff])


class ClassificationForm(FlaskForm):
    domain = SelectField(_l("Domain"), validators=[InputRequired()])
    minor_involved = SelectField(
        _l("Minor involved"),
        choices=as_choices(MINOR_ANSWERS.items()),
        validators=[InputRequired()],
    )
    health_risk = BooleanField(_l("Health risk"))
    urgent = BooleanField(_l("Immediate danger"))

    def __init__(self, *args, domains, **kwargs):
        super().__init__(*args, **kwargs)
        self.domain.choices = as_choices(domains)


class NoteForm(FlaskForm):
    body = _text(_l("Note"), _l("Write the note."))


class MessageForm(FlaskForm):
    body = _text(_l("Message to the reporter"), _l("Write the message."))


class RouteForm(FlaskForm):
    association = SelectField(_l("Association"), validators=[InputRequired()])

    def __init__(self, *args, associations, **kwargs):
        super().__init__(*args, **kwargs)
        self.association.choices = as_choices(associations)


class ProsecutorForm(FlaskForm):
    date = DateField(
        _l("Date of transmission"),
        validators=[InputRequired(_l("Enter the date of transmission."))],
    )
    reference = StringField(
        _l("Reference"),
        description=_l("The reference of the letter or of the prosecutor's office."),
        validators=[DataRequired(_l("Enter the reference.")), Length(max=200)],
    )


def _details(label):
    return TextAreaField(
        label,
        validators=[Optional(), Length(max=TEXT_MAX, message=_l("At most 20,000 characters."))],
    )


class DeclineForm(FlaskForm):
    reason = SelectField(
        _l("Why do you decline this case?"),
        choices=as_choices([("", "—"), *DECLINE_REASON_LABELS.items()]),
        validators=[InputRequired(_l("Choose why you decline the case."))],
    )
    details = _details(_l("In your own words (required for another reason)"))

    def validate_reason(self, field) -> None:
        if field.data not in DECLINE_REASON_LABELS:
            raise ValidationError(_l("Choose why you decline the case."))
        # Here, not on the text: an empty optional field stops its own checks.
        if field.data == "other" and not (self.details.data or "").strip():
            raise ValidationError(_l("Say why you decline the case."))


class CloseRoutingForm(FlaskForm):
    outcome = SelectField(
        _l("Outcome"),
        choices=as_choices([("", "—"), *CLOSING_REASON_LABELS.items()]),
        validators=[InputRequired(_l("Choose the outcome."))],
    )
    details = _details(_l("What happened, in your own words (optional)"))

    def validate_outcome(self, field) -> None:
        if field.data not in CLOSING_REASON_LABELS:
            raise ValidationError(_l("Choose the outcome."))


class SearchForm(FlaskForm):
    """Posted, never in the address: a name or an e-mail address typed here must not
    stay in a browser's history or a log."""

    query = StringField(
        _l("Reference, name, website, e-mail address or phone number"),
        validators=[
            DataRequired(_l("Type what you are looking for.")),
            Length(max=200, message=_l("At most %(max)d characters.")),
        ],
    )


#: The most cases one bulk action may touch: a page of the queue.
BULK_MOST = 50
#: What a bulk action may do, by the button pressed.
BULK_ACTIONS = ("assign", "tag", "status")
#: The bulk assignment's value for "take the case off whoever has it".
NOBODY = "nobody"


class BulkForm(FlaskForm):
    """One action on the cases ticked in the queue. Each button names its action; the
    fields the other buttons use are ignored."""

    references = SelectMultipleField(_l("Referrals"), validate_choice=False)
    action = SelectField(choices=as_choices((action, action) for action in BULK_ACTIONS))
    assignee = SelectField(_l("Assign to"), validators=[Optional()])
    tag = SelectField(_l("Add the tag"), validators=[Optional()])
    status = SelectField(_l("Change the status to"), validators=[Optional()])
    closing_reason = SelectField(
        _l("Reason for closing"),
        description=_l("A duplicate is closed from its own page, where the original is named."),
        validators=[Optional()],
        choices=as_choices(
            [("", "—"), *[(k, v) for k, v in CLOSING_REASON_LABELS.items() if k != "duplicate"]]
        ),
    )
    #: The queue's filters, to go back to the same view afterwards.
    back = HiddenField()

    def __init__(self, *args, staff, tags, statuses, **kwargs):
        super().__init__(*args, **kwargs)
        self.assignee.choices = as_choices([("", "—"), (NOBODY, _l("Nobody (the team)")), *staff])
        self.tag.choices = as_choices([("", "—"), *tags])
        self.status.choices = as_choices([("", "—"), *statuses])

    def validate(self, extra_validators=None) -> bool:
        # The rules that depend on the button pressed, here: an empty optional field
        # stops its own checks.
        valid = super().validate(extra_validators)
        chosen = self.references.data or []
        if not chosen:
            self.references.errors.append(_l("Tick at least one referral."))
        elif len(chosen) > BULK_MOST:
            self.references.errors.append(_l("At most 50 referrals at once."))
        elif not all(REFERENCE.fullmatch(reference) for reference in chosen):
            self.references.errors.append(_l("A reference looks like 2026-7K3PQ0."))
        wanted = {
            "assign": (self.assignee, _l("Choose who the referrals go to.")),
            "tag": (self.tag, _l("Choose the tag to add.")),
            "status": (self.status, _l("Choose the new status.")),
        }
        field, message = wanted.get(self.action.data, (None, None))
        if field is not None and not field.data:
            field.errors.append(message)
        closing = self.action.data == "status" and self.status.data == "closed"
        if closing and not self.closing_reason.data:
            self.closing_reason.errors.append(_l("To close, choose a reason."))
        return valid and not any(f.errors for f in self)


class CaseTagsForm(FlaskForm):
    tags = MultiCheckboxField(_l("Tags"), validate_choice=True)

    def __init__(self, *args, tags, **kwargs):
        super().__init__(*args, **kwargs)
        self.tags.choices = as_choices(tags)


class SavedFilterForm(FlaskForm):
    name = StringField(
        _l("Name of this view"),
        validators=[
            DataRequired(_l("Give this view a name.")),
            Length(max=60, message=_l("At most %(max)d characters.")),
        ],
    )
    #: The filters' query string, checked again by the queue's filter form.
    query = HiddenField(validators=[Length(max=1000)])


class TagForm(FlaskForm):
    name = StringField(
        _l("New tag"),
        validators=[
            DataRequired(_l("Give the tag a name.")),
            Length(max=40, message=_l("At most %(max)d characters.")),
        ],
    )
