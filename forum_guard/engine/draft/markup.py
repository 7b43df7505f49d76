"""The markup a draft is written in, and what a markup reader gives back.

A Markdown or BBCode draft is stored as the poster typed it; what readers see is its rendering.
A reader (:mod:`.markdown`, :mod:`.bbcode`, or a host's own, the ``markup_renderer`` hook) turns
the source into a :class:`RenderedMarkup`: the visible text, a map from every piece of that text
back to the source, the links, the images and the reader-visible attribute texts (``alt``,
``title``). Matching, highlighting and censoring then work on the source through that map.

A host's renderer is any callable ``renderer(source) -> RenderedMarkup``; build the result with a
:class:`MarkupBuilder`. It may also have an ``escape(text, kind) -> str`` method that makes a
censor replacement safe in its syntax (see :func:`~forum_guard.engine.draft.censor.censor`).
"""

from __future__ import annotations

import enum
import html as _html
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from .extract import ENTITY_SPLIT_RE
from .links import host_of, image_scheme
from .model import Link, OffsetMap, PastedImage, SegmentKind

__all__ = ["MarkupBuilder", "MarkupLanguage", "MarkupRenderer", "RenderedMarkup", "markup_language"]


class MarkupLanguage(enum.StrEnum):
    """What a draft is written in."""

    #: HTML from a rich editor: sanitized, and the sanitized HTML is what is stored
    HTML = "html"
    #: CommonMark with GFM tables and strikethrough; stored as typed
    MARKDOWN = "markdown"
    #: forum BBCode (``[b]``, ``[url]``, ``[img]``, ``[quote]``, ``[code]``…); stored as typed
    BBCODE = "bbcode"
    #: plain text; stored as typed
    TEXT = "text"


def markup_language(value: str | MarkupLanguage | None, *, html: bool | None = None) -> MarkupLanguage:
    """The markup named by ``value`` (a name, case-insensitive), or by the old ``html=True/False``
    flag when ``value`` is None; plain text when neither is given. An unknown name is a
    ``ValueError`` that lists the known ones."""
    if value is None:
        return MarkupLanguage.HTML if html else MarkupLanguage.TEXT
    if isinstance(value, MarkupLanguage):
        return value
    if isinstance(value, str):
        try:
            return MarkupLanguage(value.strip().lower())
        except ValueError:
            pass
    known = ", ".join(repr(m.value) for m in MarkupLanguage)
    raise ValueError(f"unknown markup {value!r}: use one of {known}")


@dataclass(frozen=True, slots=True)
class RenderedMarkup:
    """What readers see of a Markdown/BBCode draft, mapped back to its source.

    ``text`` is the body's visible text (``"\\n"`` between blocks and at line breaks; inline
    markup, images and invisible inline HTML joining what is on either side), then, from
    ``body_end`` on, each attribute text (image ``alt``, link and image ``title``) after a
    ``"\\n"``. ``map`` sends text offsets to source offsets. Links and images carry spans in the
    source.
    """

    text: str
    map: OffsetMap
    body_end: int
    links: tuple[Link, ...] = ()
    #: [text_start, text_end) of each link's text, so that a URL there is not counted twice
    link_text_ranges: tuple[tuple[int, int], ...] = ()
    #: the source of every web image (http(s) or protocol-relative)
    images: tuple[Link, ...] = ()
    #: images whose source is not on the web
    pasted_images: tuple[PastedImage, ...] = ()
    #: edits that keep a link working when its text is censored: ``(start, end, edit_start,
    #: edit_end, text)``: when a replacement falls in ``source[start:end]``, ``text`` replaces
    #: ``source[edit_start:edit_end]`` too (a Markdown ``[label]`` whose text is its label
    #: becomes ``[censored][label]``)
    relabels: tuple[tuple[int, int, int, int, str], ...] = ()


@runtime_checkable
class MarkupRenderer(Protocol):
    """A reader of one markup: ``renderer(source) -> RenderedMarkup``. Never raises on a ``str``
    (an exception fails the check closed: the draft is read as plain text)."""

    def __call__(self, source: str) -> RenderedMarkup: ...


#: ``escape(text, kind)``: a censor replacement made safe for a segment of this kind
Escape = Callable[[str, int], str]


class MarkupBuilder:
    """Collects a reader's output in source order and builds the :class:`RenderedMarkup`.

    ``text(s, start, end)`` adds visible text read from ``source[start:end]`` (1:1 when the
    lengths agree, else one indivisible piece); ``gap()`` separates blocks (one ``"\\n"``, never
    two in a row, none at the start); ``attribute(s, start, end)`` adds a reader-visible attribute
    text, read after the body. Links and images are recorded with their source spans; an image's
    scheme decides whether it is on the web or pasted.
    """

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._seg_t: list[int] = []
        self._seg_h: list[int] = []
        self._seg_tl: list[int] = []
        self._seg_hl: list[int] = []
        self._seg_kind: list[int] = []
        self._t = 0
        self._gap = False
        self._attributes: list[tuple[tuple[str, int, int, int], ...]] = []
        self.links: list[Link] = []
        self.link_text_ranges: list[tuple[int, int]] = []
        self.images: list[Link] = []
        self.pasted_images: list[PastedImage] = []
        self.relabels: list[tuple[int, int, int, int, str]] = []

    @property
    def position(self) -> int:
        """The length of the body text so far (where the next text goes)."""
        return self._t + (1 if self._gap and self._t else 0)

    def gap(self) -> None:
        self._gap = True

    def text(self, text: str, start: int, end: int, kind: int = SegmentKind.TEXT) -> None:
        if not text:
            return
        if self._gap:
            self._gap = False
            if self._t:
                self._parts.append("\n")
                self._t += 1
        n = len(text)
        self._parts.append(text)
        if end <= start:  # text with no source (spaces a tab expands to): like a separator
            self._t += n
            return
        self._seg_t.append(self._t)
        self._seg_h.append(start)
        self._seg_tl.append(n)
        self._seg_hl.append(end - start)
        self._seg_kind.append(kind)
        self._t += n

    def attribute(self, pieces: Sequence[tuple[str, int, int, int]]) -> None:
        """An attribute text read after the body, made of ``(text, start, end, kind)`` pieces
        (an ``alt`` text may hold an escape or an entity: each is its own piece)."""
        if any(text.strip() for text, _, _, _ in pieces):
            self._attributes.append(tuple(pieces))

    def entity_text(self, text: str, start: int, kind: int = SegmentKind.TEXT) -> None:
        """Text written with HTML character references (raw HTML): each reference is one piece."""
        if "&" not in text:
            self.text(text, start, start + len(text), kind)
            return
        for j, chunk in enumerate(ENTITY_SPLIT_RE.split(text)):
            if chunk:
                self.text(_html.unescape(chunk) if j & 1 else chunk, start, start + len(chunk), kind)
            start += len(chunk)

    def link(self, href: str, start: int, end: int, text_start: int | None = None) -> None:
        """A link whose text spans ``source[start:end]`` and ``text[text_start:position]``."""
        self.links.append(Link(href, host_of(href), start, end))
        if text_start is not None and text_start < self._t:
            self.link_text_ranges.append((text_start, self._t))

    def image(self, src: str, start: int, end: int) -> None:
        scheme = image_scheme(src)
        if scheme in ("http", "https"):
            self.images.append(Link(src, host_of(src), start, end))
        else:
            self.pasted_images.append(PastedImage(scheme, src[:40]))

    def build(self) -> RenderedMarkup:
        self._gap = False
        body_end = self._t
        for pieces in self._attributes:
            self._gap = True
            for text, start, end, kind in pieces:
                self.text(text, start, end, kind)
        self.links.sort(key=lambda link: (link.start, link.end))
        return RenderedMarkup(
            text="".join(self._parts),
            map=OffsetMap.build(self._seg_t, self._seg_h, self._seg_tl, self._seg_hl, self._seg_kind),
            body_end=body_end,
            links=tuple(self.links),
            link_text_ranges=tuple(self.link_text_ranges),
            images=tuple(self.images),
            pasted_images=tuple(self.pasted_images),
            relabels=tuple(sorted(self.relabels)),
        )
