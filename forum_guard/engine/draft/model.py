"""What draft analysis produces: the :class:`Draft`, its links, images and pasted images, and the
map from offsets in the visible text back to offsets in what is stored (the sanitized HTML, or
the poster's own Markdown/BBCode)."""

from __future__ import annotations

import enum
from bisect import bisect_right
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .markup import MarkupRenderer, RenderedMarkup

__all__ = ["Draft", "Link", "OffsetMap", "PastedImage", "SegmentKind", "text_to_html"]


@dataclass(frozen=True, slots=True)
class Link:
    """A link in a draft: an ``<a href>``, a Markdown/BBCode link, a bare URL in the text, or (in
    :attr:`Draft.image_sources`) the source of an image."""

    #: the URL: the ``href`` value of the sanitized HTML (attribute entities decoded), the
    #: destination of a Markdown/BBCode link, or the URL as written in the text
    href: str
    #: lowercase host without port or trailing dot, IDNA-decoded to Unicode; for ``mailto:`` the
    #: domain of the address; ``""`` if there is none (relative links, garbage)
    host: str
    #: span in ``Draft.sanitized``: for ``<a>`` its inner HTML (the tag itself when it is empty);
    #: for a Markdown/BBCode link its text (the whole link when it has none); for a URL in the
    #: text, the URL; for an image, its tag (HTML) or its whole markup
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class PastedImage:
    """An image whose source is not on the web (a clipboard paste, a local file, a mail
    attachment); removed from sanitized HTML, refused in Markdown and BBCode."""

    #: "data", "blob", "file", "cid", "javascript", any other non-http(s) scheme, or "" for a
    #: missing or relative source
    scheme: str
    #: the first 40 characters of the source, for logs
    src_preview: str


class SegmentKind(enum.IntFlag):
    """What a segment of the offset map is, beyond visible text."""

    #: ordinary text
    TEXT = 0
    #: an attribute value (``alt``, ``title``) inside an HTML tag: checked and censored, never
    #: highlighted in place (a ``<mark>`` cannot go inside a tag)
    ATTRIBUTE = 1
    #: text the markup takes literally (Markdown code and autolinks, BBCode ``[code]``): a
    #: replacement there is not escaped, it is made of characters the context keeps as they are
    LITERAL = 2
    #: text where only letters and digits keep the markup as it is (the domain of an e-mail
    #: autolink): a replacement there is made of letters
    WORD = 4


_ATTRIBUTE = int(SegmentKind.ATTRIBUTE)


@dataclass(frozen=True, slots=True)
class OffsetMap:
    """Segments of the text, in text order: ``text[t:t+tl]`` comes from ``stored[h:h+hl]``.

    A run of plain characters has ``tl == hl``; a decoded entity (or an escape, a cosmetic
    replacement) has ``hl != tl`` and is indivisible. The separators inserted for block tags lie
    between segments and belong to none. Segments never overlap in the stored text, but their
    order there may differ from the text order (an ``alt`` text is read after the body):
    ``by_h`` then lists the segment indices in stored order.
    """

    seg_t: tuple[int, ...]
    seg_h: tuple[int, ...]
    seg_tl: tuple[int, ...]
    seg_hl: tuple[int, ...]
    #: a :class:`SegmentKind` per segment; empty when every segment is plain text
    seg_kind: tuple[int, ...] = ()
    #: segment indices in stored order; empty when that is the text order
    by_h: tuple[int, ...] = ()
    #: ``seg_h`` in stored order (for bisection); empty when ``by_h`` is
    h_sorted: tuple[int, ...] = ()

    @classmethod
    def build(cls, seg_t: list[int], seg_h: list[int], seg_tl: list[int], seg_hl: list[int],
              seg_kind: list[int] | None = None) -> OffsetMap:
        """A map from segment lists in text order; works out the stored order when it differs."""
        kinds: tuple[int, ...] = tuple(map(int, seg_kind)) if seg_kind and any(seg_kind) else ()
        by_h: tuple[int, ...] = ()
        h_sorted: tuple[int, ...] = ()
        if any(seg_h[i] > seg_h[i + 1] for i in range(len(seg_h) - 1)):
            order = sorted(range(len(seg_h)), key=seg_h.__getitem__)
            by_h = tuple(order)
            h_sorted = tuple(seg_h[i] for i in order)
        return cls(tuple(seg_t), tuple(seg_h), tuple(seg_tl), tuple(seg_hl), kinds, by_h, h_sorted)

    def kind(self, i: int) -> int:
        return self.seg_kind[i] if self.seg_kind else 0


@dataclass(frozen=True, slots=True)
class Draft:
    """A draft read for checking. Build it with :func:`~forum_guard.engine.draft.analyze`."""

    #: the input exactly as given
    source: str
    is_html: bool
    #: HTML input: the sanitized HTML (pasted images removed); any other markup: ``source``
    sanitized: str
    #: what the matcher scans: plain text as given, or the visible text of the sanitized HTML or
    #: of the Markdown/BBCode (entities decoded, inline markup joining, blocks and line breaks
    #: giving one ``"\n"`` between the texts they separate), then, after :attr:`body_end`, the
    #: reader-visible attribute texts (``alt``, ``title``), each after a ``"\n"``
    text: str
    links: tuple[Link, ...] = ()
    pasted_images: tuple[PastedImage, ...] = ()
    #: http(s) images kept (emoji images not included)
    image_count: int = 0
    #: Unicode emoji (one per grapheme), forum ``:shortcodes:`` and ``<img class="emoji">``
    emoji_count: int = 0
    #: "html", "markdown", "bbcode", "text", or the name of a host's renderer
    markup: str = ""
    #: the source of every image (web and emoji images; pasted ones have no host), whose hosts
    #: are checked against the domains lists like links
    image_sources: tuple[Link, ...] = ()
    #: where the body ends in :attr:`text` (the attribute texts follow); -1: the whole text
    body_end: int = -1
    _map: OffsetMap | None = field(default=None, repr=False, compare=False)
    #: the reader of a Markdown/BBCode/host-rendered draft (censoring reads the result again)
    _renderer: MarkupRenderer | None = field(default=None, repr=False, compare=False)
    #: what that reader gave
    _rendered: RenderedMarkup | None = field(default=None, repr=False, compare=False)

    @property
    def body(self) -> str:
        """The visible text without the attribute texts: what lengths are measured on."""
        return self.text if self.body_end < 0 else self.text[: self.body_end]

    def spans(self, start: int, end: int) -> tuple[tuple[int, int], ...]:
        """Map a ``[start, end)`` range of :attr:`text` to spans in :attr:`sanitized`.

        One ``(s, e)`` per text piece the range touches, never inside a tag; an entity is
        indivisible (touching its character covers the whole ``&...;``); the inserted ``"\\n"``
        separators map to nothing. Plain text: ``((start, end),)``. An empty range gives ``()``.
        """
        if self._map is None:
            return _clamp(start, end, len(self.sanitized))
        return text_to_html(self._map, start, end)

    def clip(self, start: int, end: int, *, inside_tags: bool = False) -> tuple[tuple[int, int], ...]:
        """Cut a ``[start, end)`` range of :attr:`sanitized` down to the parts that lie in text
        (outside tags), widened to whole entities; contiguous parts are joined. Renderers use it
        so that nothing is ever inserted inside a tag or an entity, whatever spans they get.

        ``inside_tags=True`` keeps the parts in attribute values too (``alt``, ``title``): the
        censor replaces text there, a highlight cannot."""
        if self._map is None:
            return _clamp(start, end, len(self.sanitized))
        return _clip_html(self._map, start, end, inside_tags)


def _clamp(start: int, end: int, n: int) -> tuple[tuple[int, int], ...]:
    start, end = max(start, 0), min(end, n)
    return ((start, end),) if start < end else ()


def text_to_html(m: OffsetMap, start: int, end: int) -> tuple[tuple[int, int], ...]:
    """The stored spans of a text range (see :meth:`Draft.spans`), in stored order."""
    seg_t, seg_h, seg_tl, seg_hl = m.seg_t, m.seg_h, m.seg_tl, m.seg_hl
    if start >= end or not seg_t:
        return ()
    out: list[tuple[int, int]] = []
    i = max(bisect_right(seg_t, start) - 1, 0)
    n_seg = len(seg_t)
    while i < n_seg and seg_t[i] < end:
        t = seg_t[i]
        tl = seg_tl[i]
        if t + tl > start:
            h = seg_h[i]
            hl = seg_hl[i]
            if hl == tl:
                s = h + (start - t if start > t else 0)
                e = h + (min(end, t + tl) - t)
            else:  # an entity: all of it
                s, e = h, h + hl
            if out and out[-1][1] == s:
                out[-1] = (out[-1][0], e)
            else:
                out.append((s, e))
        i += 1
    if m.by_h and len(out) > 1:
        out.sort()
    return tuple(out)


def stored_pieces(m: OffsetMap, start: int, end: int, inside_tags: bool = True) -> list[tuple[int, int, int, int, int]]:
    """The segments' parts inside a ``[start, end)`` range of the stored text, in stored order:
    ``(s, e, t_start, t_end, kind)`` with the text range each part reads as. A part of an
    indivisible segment widens to all of it."""
    if m.by_h:
        order: tuple[int, ...] | range = m.by_h
        keys = m.h_sorted
    else:
        order = range(len(m.seg_h))
        keys = m.seg_h
    seg_t, seg_h, seg_tl, seg_hl, kinds = m.seg_t, m.seg_h, m.seg_tl, m.seg_hl, m.seg_kind
    out: list[tuple[int, int, int, int, int]] = []
    if start >= end or not keys:
        return out
    j = max(bisect_right(keys, start) - 1, 0)
    n = len(keys)
    while j < n and keys[j] < end:
        i = order[j]
        j += 1
        h, hl = seg_h[i], seg_hl[i]
        if h + hl <= start:
            continue
        kind = kinds[i] if kinds else 0
        if kind & _ATTRIBUTE and not inside_tags:
            continue
        t, tl = seg_t[i], seg_tl[i]
        if hl == tl:
            s, e = max(start, h), min(end, h + hl)
            out.append((s, e, t + s - h, t + e - h, kind))
        else:
            out.append((h, h + hl, t, t + tl, kind))
    return out


def _clip_html(m: OffsetMap, start: int, end: int, inside_tags: bool = False) -> tuple[tuple[int, int], ...]:
    out: list[tuple[int, int]] = []
    for s, e, _, _, _ in stored_pieces(m, start, end, inside_tags):
        if out and out[-1][1] == s:
            out[-1] = (out[-1][0], e)
        else:
            out.append((s, e))
    return tuple(out)
