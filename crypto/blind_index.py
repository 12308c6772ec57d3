"""Blind index: "N other referrals name this organisation" without storing the name.

HMAC-SHA256 under a secret index key over a normalised name or web host. Without
the key the tokens say nothing; with it, equal names give equal tokens.
"""

from __future__ import annotations

import re
import unicodedata
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


def name_token(index_key: bytes, name: str) -> bytes | None:
    normalised = normalise_name(name)
    return (
        hmac_sha256(index_key, context("blind-index", "name", normalised)) if normalised else None
    )


def host_token(index_key: bytes, address: str) -> bytes | None:
    host = normalise_host(address)
    return hmac_sha256(index_key, context("blind-index", "host", host)) if host else None
