"""Draft analysis, the stage before matching: sanitize, extract text with offsets, links,
pasted images and emoji.

HTML input goes through one bleach pass (:mod:`.sanitize`); the sanitized HTML is then read once
(:mod:`.extract`) into the visible text and a compact map from text offsets back to offsets in the
sanitized HTML. Plain text input is its own text and needs no map. Links (:mod:`.links`) and emoji
(:mod:`.emoji`) are found in the visible text.

Nothing here raises on a ``str`` input; hard size caps are the caller's job.
"""

from __future__ import annotations

from .emoji import EMOJI_START_RE, count_emoji, count_shortcodes
from .extract import extract
from .links import text_links
from .model import Draft, Link, PastedImage, text_to_html
from .sanitize import ALLOWED_ATTRIBUTES, ALLOWED_PROTOCOLS, ALLOWED_TAGS, LINK_REL, sanitize

__all__ = [
    "ALLOWED_ATTRIBUTES",
    "ALLOWED_PROTOCOLS",
    "ALLOWED_TAGS",
    "EMOJI_START_RE",
    "LINK_REL",
    "Draft",
    "Link",
    "PastedImage",
    "analyze",
    "count_emoji",
    "count_shortcodes",
    "sanitize",
]




def analyze(source: str, *, html: bool, emoticons: frozenset[str] | None = None) -> Draft:
    """Read a draft: sanitize (HTML), extract the visible text with its offset map, find links,
    pasted images and emoji. Never raises on a ``str``."""
    if not html:
        return Draft(
            source=source,
            is_html=False,
            sanitized=source,
            text=source,
            links=tuple(text_links(source)),
            emoji_count=count_emoji(source) + count_shortcodes(source, emoticons),
        )

    sanitized, pasted = sanitize(source)
    return _read_sanitized(source, sanitized, pasted, emoticons)


def _read_sanitized(
    source: str, sanitized: str, pasted: tuple[PastedImage, ...], emoticons: frozenset[str] | None
) -> Draft:
    """Everything after bleach: text, offset map, links, counts."""
    ex = extract(sanitized)
    links = ex.links
    for link in text_links(ex.text):
        if any(rs <= link.start < re_ for rs, re_ in ex.link_text_ranges):
            continue  # the text of an <a>, which is recorded already
        spans = text_to_html(ex.map, link.start, link.end)
        if spans:
            links.append(Link(link.href, link.host, spans[0][0], spans[-1][1]))
    links.sort(key=lambda link: (link.start, link.end))
    return Draft(
        source=source,
        is_html=True,
        sanitized=sanitized,
        text=ex.text,
        links=tuple(links),
        pasted_images=pasted,
        image_count=ex.image_count,
        emoji_count=count_emoji(ex.text) + count_shortcodes(ex.text, emoticons) + ex.emoji_images,
        _map=ex.map,
    )
