"""What draft analysis produces: the :class:`Draft`, its links and pasted images, and the map
from offsets in the visible text back to offsets in the sanitized HTML."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field

__all__ = ["Draft", "Link", "OffsetMap", "PastedImage", "text_to_html"]




@dataclass(frozen=True, slots=True)
class Link:
    """A link in a draft: an ``<a href>`` or a bare URL in the text."""

    #: the URL: the ``href`` value of the sanitized HTML (attribute entities decoded), or the URL
    #: as written in the text
    href: str
    #: lowercase host without port or trailing dot, IDNA-decoded to Unicode; for ``mailto:`` the
    #: domain of the address; ``""`` if there is none (relative links, garbage)
    host: str
    #: span in ``Draft.sanitized``: for ``<a>`` its inner HTML (the tag itself when it is empty);
    #: for a URL in the text, the URL
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class PastedImage:
    """An ``<img>`` whose source is not on the web (a clipboard paste, a local file, a mail
    attachment); removed from the sanitized HTML."""

    #: "data", "blob", "file", "cid", "javascript", any other non-http(s) scheme, or "" for a
    #: missing or relative source
    scheme: str
    #: the first 40 characters of the source, for logs
    src_preview: str


@dataclass(frozen=True, slots=True)
class OffsetMap:
    """Segments of the text, in order: ``text[t:t+tl]`` comes from ``sanitized[h:h+hl]``.

    A run of plain characters has ``tl == hl``; a decoded entity has ``hl > tl`` and is
    indivisible. The separators inserted for block tags lie between segments and belong to none.
    """

    seg_t: tuple[int, ...]
    seg_h: tuple[int, ...]
    seg_tl: tuple[int, ...]
    seg_hl: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Draft:
    """A draft read for checking. Build it with :func:`analyze`."""

    #: the input exactly as given
    source: str
    is_html: bool
    #: HTML input: the sanitized HTML (pasted images removed); plain text: ``source``
    sanitized: str
    #: what the matcher scans: plain text as given, or the visible text of the sanitized HTML
    #: (entities decoded, inline tags joining, block tags and ``<br>``/``<img>``/``<hr>`` giving
    #: one ``"\n"`` between the texts they separate)
    text: str
    links: tuple[Link, ...] = ()
    pasted_images: tuple[PastedImage, ...] = ()
    #: http(s) images kept (emoji images not included)
    image_count: int = 0
    #: Unicode emoji (one per grapheme), forum ``:shortcodes:`` and ``<img class="emoji">``
    emoji_count: int = 0
    _map: OffsetMap | None = field(default=None, repr=False, compare=False)

    def spans(self, start: int, end: int) -> tuple[tuple[int, int], ...]:
        """Map a ``[start, end)`` range of :attr:`text` to spans in :attr:`sanitized`.

        One ``(s, e)`` per text node the range touches, never inside a tag; an entity is
        indivisible (touching its character covers the whole ``&...;``); the inserted ``"\\n"``
        separators map to nothing. Plain text: ``((start, end),)``. An empty range gives ``()``.
        """
        if self._map is None:
            return _clamp(start, end, len(self.sanitized))
        return text_to_html(self._map, start, end)

    def clip(self, start: int, end: int) -> tuple[tuple[int, int], ...]:
        """Cut a ``[start, end)`` range of :attr:`sanitized` down to the parts that lie in text
        (outside tags), widened to whole entities; contiguous parts are joined. Renderers use it
        so that nothing is ever inserted inside a tag or an entity, whatever spans they get."""
        if self._map is None:
            return _clamp(start, end, len(self.sanitized))
        return _clip_html(self._map, start, end)


def _clamp(start: int, end: int, n: int) -> tuple[tuple[int, int], ...]:
    start, end = max(start, 0), min(end, n)
    return ((start, end),) if start < end else ()


def text_to_html(m: OffsetMap, start: int, end: int) -> tuple[tuple[int, int], ...]:
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
    return tuple(out)


def _clip_html(m: OffsetMap, start: int, end: int) -> tuple[tuple[int, int], ...]:
    seg_h, seg_hl, seg_tl = m.seg_h, m.seg_hl, m.seg_tl
    if start >= end or not seg_h:
        return ()
    out: list[tuple[int, int]] = []
    i = max(bisect_right(seg_h, start) - 1, 0)
    n_seg = len(seg_h)
    while i < n_seg and seg_h[i] < end:
        h = seg_h[i]
        hl = seg_hl[i]
        if h + hl > start:
            if hl == seg_tl[i]:
                s, e = max(start, h), min(end, h + hl)
            else:
                s, e = h, h + hl
            if out and out[-1][1] == s:
                out[-1] = (out[-1][0], e)
            else:
                out.append((s, e))
        i += 1
    return tuple(out)


