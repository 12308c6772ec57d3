"""Forms of the login pages of the back office and the partner space."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length


class LoginForm(FlaskForm):
    email = EmailField(
        _l("E-mail address"),
        validators=[
            DataRequired(_l("Enter your e-mail address.")),
            Length(max=254, message=_l("At most %(max)d characters.")),
        ],
    )
    # No maximum here: an over-long password gets the same answer as a wrong one.
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password."))])


class CodeForm(FlaskForm):
    code = StringField(
        _l("Six-digit code"),
        description=_l("The code your authentication app shows now, for example 123456."),
        validators=[
            DataRequired(_l("Enter the six-digit code.")),
            Length(max=20, message=_l("At most %(max)d characters.")),
        ],
    )


class NewPasswordForm(FlaskForm):
    """The page of an invitation or reset link: the person chooses their password."""

    password = PasswordField(
        _l("Choose a password"),
        description=_l(
            "At least 12 characters; a sentence you remember is a good password. "
            "Pasting from a password manager works."
        ),
        validators=[DataRequired(_l("Choose a password."))],
    )
    confirmation = PasswordField(
        _l("The same password again"),
        validators=[
            DataRequired(_l("Type the password again.")),
            EqualTo("password", _l("The two passwords differ.")),
        ],
    )
