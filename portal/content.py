"""Guide pages written in Markdown, rendered and sanitised once per language at start-up.

They are the pages a broadcast sends crowds to, so a request only looks up
ready-made HTML. bleach keeps an allowlist of tags: the Markdown is ours, but a
mistaken edit must never be able to inject script into a government page.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import bleach
import markdown

from portal.vocabulary import LANGUAGES

ALLOWED_TAGS = frozenset(
    {
        "p",
        "h2",
        "h3",
        "h4",
        "ul",
        "ol",
        "li",
        "strong",
        "em",
        "a",
        "blockquote",
        "abbr",
        "br",
        "hr",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "caption",
    }
)
ALLOWED_ATTRIBUTES = {
    "a": ["href", "title", "hreflang"],
    "abbr": ["title"],
    "ol": ["start"],
    "th": ["scope"],
}
ALLOWED_PROTOCOLS = frozenset({"https", "mailto", "tel"})


@dataclass(frozen=True)
class Guide:
    slug: str
    lang: str
    title: str
    summary: str
    html: str


class GuideNotFound(LookupError):
    pass


def render_markdown(source: str) -> str:
    html = markdown.markdown(source, extensions=["sane_lists", "tables"], output_format="html")
    return bleach.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        protocols=ALLOWED_PROTOCOLS,
        strip=True,
        strip_comments=True,
    )


def parse_guide(slug: str, lang: str, text: str) -> Guide:
    """A guide file is ``# Title``, a one-paragraph summary, then the body."""
    lines = text.strip().splitlines()
    if not lines or not lines[0].startswith("# "):
        raise ValueError(f"{lang}/{slug}.md must start with a '# Title' line")
    title = lines[0][2:].strip()
    body = "\n".join(lines[1:]).strip()
    summary, _, rest = body.partition("\n\n")
    return Guide(slug, lang, title, summary.strip(), render_markdown(rest))


class GuideLibrary:
    """Every guide of every language, parsed when the application is created."""

    def __init__(self, root: Path, facts: Mapping[str, str] | None = None) -> None:
        """``facts`` fill the guides' ``[[name]]`` marks with installation settings."""
        self._guides: dict[tuple[str, str], Guide] = {}
        slugs_by_lang = {}
        for lang in LANGUAGES:
            files = sorted((root / lang).glob("*.md"))
            slugs_by_lang[lang] = {path.stem for path in files}
            for path in files:
                text = path.read_text(encoding="utf-8")
                for name, value in (facts or {}).items():
                    text = text.replace(f"[[{name}]]", value)
                guide = parse_guide(path.stem, lang, text)
                self._guides[(lang, path.stem)] = guide
        languages = list(slugs_by_lang.values())
        if any(slugs != languages[0] for slugs in languages):
            raise ValueError(f"every guide must exist in every language: {slugs_by_lang}")

    def get(self, lang: str, slug: str) -> Guide:
        try:
            return self._guides[(lang, slug)]
        except KeyError:
            raise GuideNotFound(f"{lang}/{slug}") from None

    def slugs(self) -> list[str]:
        return sorted({slug for (_, slug) in self._guides})
