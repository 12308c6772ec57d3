"""Blind index: "N other referrals name this organisation" without storing the name.

HMAC-SHA256 under a secret index key over a normalised value: an organisation's or a
person's name, a web host, the reporter's e-mail address or phone number, each under
its own context (a person and an organisation of the same name give two tokens).
Without the key the tokens say nothing; with it, equal values give equal tokens, so
staff find a case by what they type, and the database never holds it in clear.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from urllib.parse import urlsplit

from crypto._primitives import context, hmac_sha256

_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def normalise_name(name: str) -> str:
    """Case, accents, punctuation and spacing folded.

    « L'Éveil  Intérieur » and "l eveil interieur" give the same token.
    """
    text = unicodedata.normalize("NFKD", name.casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return _NON_ALNUM.sub(" ", text).strip()


def normalise_host(address: str) -> str:
    """The host of a web address, without scheme, "www." or port: "Example.org"."""
    address = address.strip()
    if "://" not in address:
        address = "https://" + address
    host = (urlsplit(address).hostname or "").lower().rstrip(".")
    return host.removeprefix("www.")


def _token(index_key: bytes, field: str, normalised: str) -> bytes | None:
    return hmac_sha256(index_key, context("blind-index", field, normalised)) if normalised else None


def name_token(index_key: bytes, name: str) -> bytes | None:
    """An organisation's name."""
    return _token(index_key, "name", normalise_name(name))


def host_token(index_key: bytes, address: str) -> bytes | None:
    return _token(index_key, "host", normalise_host(address))


def normalise_email(address: str) -> str:
    """Surrounding spaces and case folded: " Marie.Dupont@Exemple.FR" is the same."""
    return address.strip().casefold()


#: At least this many digits make a phone number (the shortest French ones are 10).
MIN_PHONE_DIGITS = 6


def normalise_phone(number: str) -> str:
    """Digits only, a French number in its national form: "+33 6 12 34 56 78",
    "0033612345678" and "06.12.34.56.78" are one number."""
    digits = "".join(ch for ch in number if ch in "0123456789")
    if number.strip().startswith("+"):
        digits = "00" + digits
    if digits.startswith("0033"):
        digits = "0" + digits[4:]
    return digits if len(digits) >= MIN_PHONE_DIGITS else ""


def person_token(index_key: bytes, name: str) -> bytes | None:
    return _token(index_key, "person", normalise_name(name))


def email_token(index_key: bytes, address: str) -> bytes | None:
    return _token(index_key, "email", normalise_email(address))


def phone_token(index_key: bytes, number: str) -> bytes | None:
    return _token(index_key, "phone", normalise_phone(number))


def referral_tokens(
    index_key: bytes,
    *,
    organisations: Iterable[str] = (),
    persons: Iterable[str] = (),
    websites: Iterable[str] = (),
    emails: Iterable[str] = (),
    phones: Iterable[str] = (),
) -> set[bytes]:
    """Every token a referral is found by."""
    made = (
        *(name_token(index_key, value) for value in organisations),
        *(person_token(index_key, value) for value in persons),
        *(host_token(index_key, value) for value in websites),
        *(email_token(index_key, value) for value in emails),
        *(phone_token(index_key, value) for value in phones),
    )
    return {token for token in made if token}
