"""Catalogues: messages.pot matches the code, and both languages translate every msgid."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from portal.catalogs import read_catalog, untranslated

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
POT = TRANSLATIONS / "messages.pot"


def _ids(catalog) -> set:
    return {message.id for message in catalog if message.id}


@pytest.fixture(scope="module")
def fresh_pot(tmp_path_factory) -> Path:
    output = tmp_path_factory.mktemp("pot") / "messages.pot"
    pybabel = Path(sys.executable).parent / "pybabel"
    subprocess.run(
        [
            str(pybabel),
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "--no-location",
            "--sort-output",
            "--omit-header",
            "-o",
            str(output),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return output


def test_messages_pot_is_up_to_date(fresh_pot):
    assert _ids(read_catalog(fresh_pot)) == _ids(read_catalog(POT)), "run `make messages`"


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_catalogue_translates_every_msgid(lang):
    catalog = read_catalog(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po")
    assert _ids(catalog) == _ids(read_catalog(POT)), "run `make messages`"
    assert untranslated(catalog) == []


def test_no_html_in_msgids():
    for message in read_catalog(POT):
        for msgid in message.id if isinstance(message.id, tuple) else (message.id,):
            assert not re.search(r"</?[a-zA-Z][^>]*>", msgid or ""), msgid


def test_french_placeholders_match_english():
    catalog = read_catalog(TRANSLATIONS / "fr" / "LC_MESSAGES" / "messages.po")
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        expected = set(re.findall(r"%\(\w+\)s", ids[0]))
        for string in strings:
            assert set(re.findall(r"%\(\w+\)s", string)) == expected, message.id
