"""Forms of the public site. Neither form sets a cookie, so neither uses Flask-WTF's
session-bound CSRF token: the region finder is a GET search, and the self-check
changes nothing on the server (see ``portal.security.reject_cross_site_post``)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField
from wtforms.validators import Optional, Regexp

from forms.base import TranslatedForm
from forms.widgets import MultiCheckboxField, as_choices


class ContactSearchForm(TranslatedForm):
    """Three ways to say where you are; the page offers each as its own small form."""

    postcode = StringField(
        _l("Postcode"),
        description=_l("5 digits, for example 21000"),
        validators=[
            Optional(),
            Regexp(
                r"^\s*\d{5}\s*$", message=_l("Enter a postcode of 5 digits, for example 21000.")
            ),
        ],
        # "21 000" as often typed: spaces are not part of a postcode.
        filters=[lambda value: "".join(value.split()) if value else value],
    )
    departement = SelectField(_l("Département"), validators=[Optional()], validate_choice=True)
    region = SelectField(_l("Region"), validators=[Optional()], validate_choice=True)
    #: Chosen from the communes that share a postcode (a link of the page, not a field).
    commune = StringField(
        _l("Commune"),
        validators=[Optional(), Regexp(r"^\d[\dAB]\d{3}$", message=_l("Not a commune code."))],
    )

    def __init__(
        self, formdata, *, departements: list[tuple[str, str]], regions: list[tuple[str, str]]
    ):
        super().__init__(formdata)
        placeholder = [("", _l("Choose from the list"))]
        self.departement.choices = as_choices(placeholder + departements)
        self.region.choices = as_choices(placeholder + regions)


class SelfCheckForm(TranslatedForm):
    signs = MultiCheckboxField(_l("Signs you have noticed"), validate_choice=True)

    def __init__(self, formdata=None, *, signs: list[tuple[str, str]]):
        super().__init__(formdata)
        self.signs.choices = as_choices(signs)
