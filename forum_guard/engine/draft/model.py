"""What draft analysis produces: the :class:`Draft`, its links, images and pasted images, and the
map from offsets in the visible text back to offsets in what is stored (the sanitized HTML, or
the poster's own Markdown/BBCode)."""

from __future__ import annotations

import enum
import operator
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .markup import MarkupRenderer, RenderedMarkup

__all__ = ["Draft", "Link", "OffsetMap", "PastedImage", "SegmentKind", "WholePieces", "text_to_html"]


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
        if not all(map(operator.le, seg_h, seg_h[1:])):
            order = sorted(range(len(seg_h)), key=seg_h.__getitem__)
            by_h = tuple(order)
            h_sorted = tuple(seg_h[i] for i in order)
        return cls(tuple(seg_t), tuple(seg_h), tuple(seg_tl), tuple(seg_hl), kinds, by_h, h_sorted)

    def kind(self, i: int) -> int:
        return self.seg_kind[i] if self.seg_kind else 0


@dataclass(frozen=True, slots=True)
class WholePieces:
    """Which of many stored ranges :meth:`Draft.clip` gives back as they are (one piece, the range
    itself), with the text range each of those reads as and its segment kind (numpy arrays, one
    entry per range; ``t_start``, ``t_end`` and ``kind`` are meaningful where ``whole`` is)."""

    whole: np.ndarray
    t_start: np.ndarray
    t_end: np.ndarray
    kind: np.ndarray


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

    def whole_pieces(self, starts: np.ndarray, ends: np.ndarray, *, inside_tags: bool = False) -> WholePieces:
        """:meth:`clip` of many ranges at once, for the common case: which ranges it gives back as
        they are, found in a few numpy passes (a draft with 20,000 matches pays no Python loop
        per match). The renderings clip only the other ranges one by one."""
        return whole_pieces(self._map, len(self.sanitized), starts, ends, inside_tags)


def slot_setters(cls: type) -> tuple[Callable[[Any, Any], None], ...]:
    """The ``__set__`` of each field's slot of the frozen, slotted dataclass ``cls``, in the order
    the fields are declared (what its own ``__init__`` sets them with, one by one in that order):
    how the per-check objects (this Draft, the verdict's Match, Violation and Verdict) are made
    without the dataclass constructor's cost."""
    return tuple(getattr(cls, f.name).__set__ for f in fields(cls))


_DRAFT_SLOTS = slot_setters(Draft)


def plain_draft(source: str, links: tuple[Link, ...], emoji_count: int, markup: str) -> Draft:
    """``Draft(source=source, is_html=False, sanitized=source, text=source, links=links,
    emoji_count=emoji_count, markup=markup)``, every other field its default, made by storing the
    slots (a frozen dataclass's ``__init__`` costs 1.6 µs, a plain-text check's largest fixed cost
    before the scan; this is 0.7)."""
    draft = object.__new__(Draft)
    (put_source, put_is_html, put_sanitized, put_text, put_links, put_pasted, put_image_count, put_emoji, put_markup,
     put_image_sources, put_body_end, put_map, put_renderer, put_rendered) = _DRAFT_SLOTS
    put_source(draft, source)
    put_is_html(draft, False)
    put_sanitized(draft, source)
    put_text(draft, source)
    put_links(draft, links)
    put_pasted(draft, ())
    put_image_count(draft, 0)
    put_emoji(draft, emoji_count)
    put_markup(draft, markup)
    put_image_sources(draft, ())
    put_body_end(draft, -1)
    put_map(draft, None)
    put_renderer(draft, None)
    put_rendered(draft, None)
    return draft


def _clamp(start: int, end: int, n: int) -> tuple[tuple[int, int], ...]:
    start, end = max(start, 0), min(end, n)
    return ((start, end),) if start < end else ()


def text_to_html(m: OffsetMap, start: int, end: int) -> tuple[tuple[int, int], ...]:
    """The stored spans of a text range (see :meth:`Draft.spans`), in stored order."""
    seg_t, seg_h, seg_tl, seg_hl = m.seg_t, m.seg_h, m.seg_tl, m.seg_hl
    if start >= end or not seg_t:
        return ()
    i = max(bisect_right(seg_t, start) - 1, 0)
    n_seg = len(seg_t)
    t, tl = seg_t[i], seg_tl[i]
    if t <= start and end <= t + tl and (i + 1 == n_seg or seg_t[i + 1] >= end):
        # the range lies in one segment (a word between tags or markup): what the loop gives
        h, hl = seg_h[i], seg_hl[i]
        return ((h + start - t, h + end - t),) if hl == tl else ((h, h + hl),)
    out: list[tuple[int, int]] = []
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


def whole_pieces(m: OffsetMap | None, size: int, starts: np.ndarray, ends: np.ndarray,
                 inside_tags: bool = True) -> WholePieces:
    """Which ``[start, end)`` ranges of the stored text :func:`stored_pieces` gives back as one
    piece equal to the range: the range lies in one segment, and is all of it when the segment
    is indivisible (an entity, an escape) — with the text range it reads as. Without a map (plain
    text) the text is its own: a range is whole when it lies inside it."""
    starts = np.asarray(starts, dtype=np.int64)
    ends = np.asarray(ends, dtype=np.int64)
    if m is None or not m.seg_h:
        whole = (starts >= 0) & (starts < ends) & (ends <= size) if m is None else np.zeros(len(starts), bool)
        return WholePieces(whole, starts, ends, np.zeros(len(starts), np.int64))
    if m.by_h:
        order = np.asarray(m.by_h, dtype=np.int64)
        keys = np.asarray(m.h_sorted, dtype=np.int64)
    else:
        order = None
        keys = np.asarray(m.seg_h, dtype=np.int64)
    # the segment stored_pieces starts from, and the key of the one after it (where it stops)
    j = np.maximum(np.searchsorted(keys, starts, side="right") - 1, 0)
    following = np.append(keys[1:], np.iinfo(np.int64).max)[j]
    i = j if order is None else order[j]
    h = keys[j]
    hl = np.asarray(m.seg_hl, dtype=np.int64)[i]
    t = np.asarray(m.seg_t, dtype=np.int64)[i]
    tl = np.asarray(m.seg_tl, dtype=np.int64)[i]
    kind = np.asarray(m.seg_kind, dtype=np.int64)[i] if m.seg_kind else np.zeros(len(starts), np.int64)
    plain = hl == tl
    whole = (starts < ends) & (h <= starts) & (ends <= h + hl) & (following >= ends)
    whole &= plain | ((starts == h) & (ends == h + hl))
    if not inside_tags:
        whole &= (kind & _ATTRIBUTE) == 0
    t_start = np.where(plain, t + starts - h, t)
    t_end = np.where(plain, t + ends - h, t + tl)
    return WholePieces(whole, t_start, t_end, kind)


def _clip_html(m: OffsetMap, start: int, end: int, inside_tags: bool = False) -> tuple[tuple[int, int], ...]:
    out: list[tuple[int, int]] = []
    for s, e, _, _, _ in stored_pieces(m, start, end, inside_tags):
        if out and out[-1][1] == s:
            out[-1] = (out[-1][0], e)
        else:
            out.append((s, e))
    return tuple(out)


def single_pieces(draft: Draft, spans_of: Sequence[tuple[tuple[int, int], ...]],
                  inside_tags: bool) -> np.ndarray | None:
    """``(start, end, t_start, t_end, kind)`` rows, one per replacement, when every replacement
    has one span that :meth:`Draft.clip` keeps whole (and gives back as it is); None otherwise."""
    if not spans_of or set(map(len, spans_of)) != {1}:
        return None
    first = np.array([spans[0] for spans in spans_of], dtype=np.int64).reshape(-1, 2)
    found = draft.whole_pieces(first[:, 0], first[:, 1], inside_tags=inside_tags)
    if not found.whole.all():
        return None
    return np.column_stack((first[:, 0], first[:, 1], found.t_start, found.t_end, found.kind))


def disjoint_order(starts: np.ndarray, ends: np.ndarray) -> np.ndarray | None:
    """The order replacements are applied in (by start, the longer first, then as given) when no
    two of them overlap (touching is not overlapping); None when some do."""
    by = np.lexsort((np.arange(len(starts)), starts - ends, starts))
    s, e = starts[by], ends[by]
    if len(by) > 1 and (s[1:] < np.maximum.accumulate(e)[:-1]).any():
        return None
    return by
