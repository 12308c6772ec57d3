"""Forms of the reporter's follow-up page."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, MultipleFileField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from forms.files import FormWithFiles, check_uploads
from forms.widgets import as_choices


class FollowUpForm(FlaskForm):
    receipt = StringField(
        _l("Your follow-up code"),
        description=_l(
            "20 characters, for example 7K3PQ-0M1ZX-ABCDE-FGH12. Dashes and case do not matter."
        ),
        validators=[DataRequired(_l("Enter your follow-up code.")), Length(max=60)],
    )
    #: A reply typed on a page that had expired, carried back into the reply form.
    draft = HiddenField(validators=[Length(max=20_000)])


#: The audience of a reply to Miviludes (otherwise an association's id).
TO_MIVILUDES = "miviludes"


class ReplyForm(FormWithFiles):
    #: The code the reporter typed on the previous page; checked again on every post.
    receipt = HiddenField(validators=[DataRequired(), Length(max=60)])
    #: Miviludes, or one of the associations that have the case (choices set by the
    #: view for each case; offered only when there is one).
    audience = RadioField(_l("Recipient"), default=TO_MIVILUDES)
    body = TextAreaField(
        _l("Your message"),
        validators=[
            DataRequired(_l("Write your message.")),
            Length(max=20_000, message=_l("Your message may have at most 20,000 characters.")),
        ],
    )
    attachments = MultipleFileField(
        _l("Documents (optional)"),
        description=_l(
            "Up to 5 files, 10 MB each and 25 MB in all: PDF, JPEG, PNG, text, ODT or DOCX."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.audience.choices = as_choices([(TO_MIVILUDES, _l("Miviludes"))])

    def offer(self, associations: list[tuple[str, str]]) -> None:
        """Add the associations the reporter may write to: (id, name)."""
        self.audience.choices = as_choices(
            [
                (TO_MIVILUDES, _l("Miviludes")),
                *[(value, _l("%(name)s (association)", name=name)) for value, name in associations],
            ]
        )

    def validate_attachments(self, field) -> None:
        self.clean_files = check_uploads(field, keep_original=False)
