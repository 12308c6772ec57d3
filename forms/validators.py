"""Validators shared by the forms. Messages are lazy, so they follow the request's language."""

from __future__ import annotations

import re
from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms.validators import ValidationError

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^\+?[0-9 .()-]{6,25}$")


def email_address(form, field) -> None:
    if field.data and not EMAIL.match(field.data.strip()):
        raise ValidationError(_l("Enter an e-mail address such as name@example.fr."))


def phone_number(form, field) -> None:
    if field.data and not PHONE.match(field.data.strip()):
        raise ValidationError(
            _l("Enter a phone number with digits only, for example 06 12 34 56 78.")
        )


#: Dates a case can have: the portal did not exist before, and a year far ahead is a typo.
EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2100, 12, 31)


def plausible_date(form, field) -> None:
    if field.data and not EARLIEST_DATE <= field.data <= LATEST_DATE:
        raise ValidationError(
            _l(
                "Enter a date between %(first)s and %(last)s.",
                first=EARLIEST_DATE.year,
                last=LATEST_DATE.year,
            )
        )


def lines(text: str | None) -> list[str]:
    """A multi-line field as a list of its non-empty lines."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def at_most_lines(count: int, characters: int):
    def check(form, field) -> None:
        entries = lines(field.data)
        if len(entries) > count:
            raise ValidationError(_l("Give at most %(count)s entries, one per line.", count=count))
        if any(len(entry) > characters for entry in entries):
            raise ValidationError(
                _l("Each line may have at most %(count)s characters.", count=characters)
            )

    return check


def https_address(form, field) -> None:
    """A web address the public can follow safely: https, a host, nothing else."""
    value = (field.data or "").strip()
    if value and not re.fullmatch(r"https://[A-Za-z0-9.-]+\.[A-Za-z]{2,}(/[^\s\"'<>]*)?", value):
        raise ValidationError(_l("Enter a web address beginning with https://."))
