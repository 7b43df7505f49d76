"""Draft analysis, the stage before matching: read the markup, sanitize, extract text with
offsets, links, images, pasted images and emoji.

HTML input goes through one bleach pass (:mod:`.sanitize`); the sanitized HTML is then read once
(:mod:`.extract`) into the visible text and a compact map from text offsets back to offsets in the
sanitized HTML. Markdown (:mod:`.markdown`) and BBCode (:mod:`.bbcode`) are read by real parsers
into what readers see, with the map going back to the source the poster typed, which is what
gets stored (:mod:`.markup`; a host may bring its own reader). Plain text is its own text and
needs no map. Links (:mod:`.links`) and emoji (:mod:`.emoji`) are found in the visible text.

Nothing here raises on a ``str`` input; hard size caps are the caller's job.
"""

from __future__ import annotations

from bisect import bisect_right

from .attributes import bound_attributes
from .censor import censor_markup
from .emoji import EMOJI_START_RE, count_emoji, count_shortcodes
from .extract import extract
from .links import text_links
from .markup import MarkupBuilder, MarkupLanguage, MarkupRenderer, RenderedMarkup, markup_language
from .model import Draft, Link, OffsetMap, PastedImage, SegmentKind, plain_draft, text_to_html
from .sanitize import ALLOWED_ATTRIBUTES, ALLOWED_PROTOCOLS, ALLOWED_TAGS, LINK_REL, sanitize

__all__ = [
    "ALLOWED_ATTRIBUTES",
    "ALLOWED_PROTOCOLS",
    "ALLOWED_TAGS",
    "EMOJI_START_RE",
    "LINK_REL",
    "Draft",
    "Link",
    "MarkupBuilder",
    "MarkupLanguage",
    "MarkupRenderer",
    "PastedImage",
    "RenderedMarkup",
    "SegmentKind",
    "analyze",
    "builtin_renderer",
    "censor_markup",
    "count_emoji",
    "count_shortcodes",
    "markup_language",
    "sanitize",
    "sanitize_draft",
]


def builtin_renderer(markup: MarkupLanguage) -> MarkupRenderer | None:
    """The reader of a markup that is stored as typed (Markdown, BBCode); None for HTML and text."""
    if markup is MarkupLanguage.MARKDOWN:
        from .markdown import MarkdownRenderer

        return MarkdownRenderer()
    if markup is MarkupLanguage.BBCODE:
        from .bbcode import BBCodeRenderer

        return BBCodeRenderer()
    return None


def sanitize_draft(source: str) -> tuple[str, tuple[PastedImage, ...]]:
    """An HTML draft as a check sanitizes it (its attributes bounded first): what may be stored,
    and the pasted images taken out."""
    return sanitize(bound_attributes(source))


def analyze(source: str, *, markup: str | MarkupLanguage | None = None, html: bool | None = None,
            renderer: MarkupRenderer | None = None, emoticons: frozenset[str] | None = None) -> Draft:
    """Read a draft written in ``markup`` (or, the old way, ``html=True/False``; plain text when
    neither is given): the visible text with its offset map, links, images, pasted images and
    emoji. ``renderer`` reads it instead of the built-in reader (not for HTML, which is always
    sanitized). Never raises on a ``str``; an unknown markup is a ``ValueError``."""
    language = markup_language(markup, html=html)
    if language is MarkupLanguage.HTML:
        if renderer is not None:
            raise ValueError("an HTML draft is always sanitized: a markup renderer is for Markdown, BBCode or text")
        sanitized, pasted = sanitize_draft(source)
        return _read_sanitized(source, sanitized, pasted, emoticons)
    reader = renderer if renderer is not None else builtin_renderer(language)
    if reader is None:
        return plain_draft(source, tuple(text_links(source)), count_emoji(source) + count_shortcodes(source, emoticons),
                           language.value)
    try:
        rendered = reader(source)
    except Exception:
        # a reader that fails must not let the draft through unread: check it as plain text
        return analyze(source, markup=MarkupLanguage.TEXT, emoticons=emoticons)
    name = getattr(reader, "name", None) if renderer is not None else None
    return _read_rendered(source, rendered, str(name or language.value), reader, emoticons)


def _with_bare_links(text: str, body_end: int, links: list[Link], link_text_ranges: list[tuple[int, int]] | tuple[
        tuple[int, int], ...], m: OffsetMap) -> tuple[Link, ...]:
    """The links already found plus the bare URLs of the body text, mapped to the stored text."""
    body = text if body_end < 0 else text[:body_end]
    ranges = sorted(link_text_ranges)
    starts = [rs for rs, _ in ranges]
    for link in text_links(body):
        i = bisect_right(starts, link.start) - 1
        if i >= 0 and link.start < ranges[i][1]:
            continue  # the text of a link, which is recorded already (link texts never overlap)
        spans = text_to_html(m, link.start, link.end)
        if spans:
            links.append(Link(link.href, link.host, spans[0][0], spans[-1][1]))
    links.sort(key=lambda link: (link.start, link.end))
    return tuple(links)


def _read_sanitized(
    source: str, sanitized: str, pasted: tuple[PastedImage, ...], emoticons: frozenset[str] | None
) -> Draft:
    """Everything after bleach: text, offset map, links, counts."""
    ex = extract(sanitized)
    body = ex.text[: ex.body_end]
    return Draft(
        source=source,
        is_html=True,
        sanitized=sanitized,
        text=ex.text,
        links=_with_bare_links(ex.text, ex.body_end, ex.links, ex.link_text_ranges, ex.map),
        pasted_images=pasted,
        image_count=ex.image_count,
        emoji_count=count_emoji(body) + count_shortcodes(body, emoticons) + ex.emoji_images,
        markup=MarkupLanguage.HTML.value,
        image_sources=tuple(ex.image_sources),
        body_end=ex.body_end,
        _map=ex.map,
    )


def _read_rendered(source: str, rendered: RenderedMarkup, name: str, reader: MarkupRenderer,
                   emoticons: frozenset[str] | None) -> Draft:
    """A Markdown/BBCode/host-rendered draft: stored as typed, read through the reader's map."""
    body = rendered.text[: rendered.body_end]
    return Draft(
        source=source,
        is_html=False,
        sanitized=source,
        text=rendered.text,
        links=_with_bare_links(rendered.text, rendered.body_end, list(rendered.links), rendered.link_text_ranges,
                               rendered.map),
        pasted_images=rendered.pasted_images,
        image_count=len(rendered.images),
        emoji_count=count_emoji(body) + count_shortcodes(body, emoticons),
        markup=name,
        image_sources=rendered.images,
        body_end=rendered.body_end,
        _map=rendered.map,
        _renderer=reader,
        _rendered=rendered,
    )
