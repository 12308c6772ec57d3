"""Guide content: every guide in both languages, rendered once, and sanitised."""

from __future__ import annotations

from pathlib import Path

import pytest

from portal.content import GuideLibrary, parse_guide, render_markdown

CONTENT = Path(__file__).resolve().parent.parent / "portal" / "content"


def test_every_guide_exists_in_both_languages():
    library = GuideLibrary(CONTENT)
    assert len(library.slugs()) == 11
    for slug in library.slugs():
        assert library.get("fr", slug).title and library.get("en", slug).title


def test_a_guide_missing_in_one_language_is_refused(tmp_path):
    (tmp_path / "fr").mkdir()
    (tmp_path / "en").mkdir()
    (tmp_path / "fr" / "only.md").write_text("# Titre\n\nRésumé.\n\nCorps.", encoding="utf-8")
    with pytest.raises(ValueError, match="every guide"):
        GuideLibrary(tmp_path)


def test_guides_are_rendered_once_per_application(app, client, monkeypatch):
    calls = []
    monkeypatch.setattr("portal.content.render_markdown", lambda source: calls.append(source) or "")
    for _ in range(3):
        assert client.get("/fr/que-dit-la-loi").status_code == 200
    assert calls == []


@pytest.mark.parametrize(
    "source",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "[x](javascript:alert(1))",
        '<a href="https://ok.example" onclick="alert(1)">x</a>',
        '<p style="color:red">x</p>',
        "<iframe src='https://evil.example'></iframe>",
    ],
)
def test_markdown_is_sanitised(source):
    html = render_markdown(source)
    for forbidden in ("<script", "onerror", "javascript:", "onclick", "style=", "<iframe", "<img"):
        assert forbidden not in html


def test_ordered_lists_keep_their_numbering():
    assert '<ol start="6">' in render_markdown("6. six\n7. seven")


def test_guide_needs_a_title():
    with pytest.raises(ValueError, match="Title"):
        parse_guide("x", "fr", "no title here")
