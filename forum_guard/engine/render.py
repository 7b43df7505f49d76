"""Highlighted and censored renderings of a draft.

Both work on :attr:`Draft.sanitized` (HTML input) or on the escaped plain text, and change
text only: every span is first cut down to the text between tags with
:meth:`Draft.clip`, so nothing is ever inserted inside a tag or an entity. Everything inserted
is escaped; the result is :class:`markupsafe.Markup`.
"""

from __future__ import annotations

import functools
import operator
import re
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain, pairwise

import numpy as np
from markupsafe import Markup, escape

from .draft import Draft
from .draft.codepoints import code_points
from .draft.model import disjoint_order, single_pieces

__all__ = ["Mark", "censor", "default_censor_text", "highlight"]



@functools.lru_cache(maxsize=1024)
def _open_tag(css_class: str, list_name: str, title: str | None) -> Markup:
    # every value is escaped; Markup.format would do the same through a slow Python formatter
    tag = f'<mark class="{escape(css_class)}" data-list="{escape(list_name)}"'
    if title is not None:
        tag += f' title="{escape(title)}"'
    return Markup(tag + ">")

_CLOSE = Markup("</mark>")
_SPANS = operator.attrgetter("spans")


@dataclass(frozen=True, slots=True)
class Mark:
    """A match to highlight."""

    #: spans in ``draft.sanitized`` (from :meth:`Draft.spans`), sorted
    spans: tuple[tuple[int, int], ...]
    #: the list's name, written to ``data-list``
    list: str
    css_class: str = "fg-term"
    #: optional ``title`` attribute, e.g. "profanity: fuck*"
    title: str | None = None

    def open_tag(self) -> Markup:
        return _open_tag(self.css_class, self.list, self.title)


# what markupsafe.escape writes for each character it escapes, less the character itself
_ESCAPE_EXTRA = ((ord("&"), 4), (ord("<"), 3), (ord(">"), 3), (ord('"'), 4), (ord("'"), 4))


def _slices(draft: Draft, bounds: np.ndarray) -> list[str]:
    """The draft as markup cut at ``bounds`` (offsets into :attr:`Draft.sanitized`, ascending,
    first 0 and last its length): ``len(bounds) - 1`` pieces.

    Sanitized HTML is markup already. Plain text is escaped once, whole, and cut where the
    offsets fall in the escaped text: escaping is one character at a time, so each piece is
    exactly the escape of the same slice of the text, and no cut falls inside an entity. One
    escape and one join instead of a Markup object per piece (20,000 matches: 40,001 pieces)."""
    source = draft.sanitized
    if draft.is_html:
        text = source
        cuts = bounds.tolist()
    else:
        text = str(escape(source))
        if len(text) == len(source):
            cuts = bounds.tolist()
        else:
            points = code_points(source)
            extra = np.zeros(len(source) + 1, dtype=np.int64)
            for point, more in _ESCAPE_EXTRA:
                extra[1:][points == point] = more
            cuts = (bounds + np.cumsum(extra)[bounds]).tolist()
    return [text[a:b] for a, b in pairwise(cuts)]


def _interleave(chunks: list[str], inserts: list[str]) -> str:
    """``chunks[0] + inserts[0] + chunks[1] + …`` (one more chunk than inserts)."""
    out: list[str] = [""] * (len(chunks) + len(inserts))
    out[0::2] = chunks
    out[1::2] = inserts
    return "".join(out)


def highlight(draft: Draft, marks: Sequence[Mark]) -> Markup:
    """The draft with ``<mark class=… data-list=…>`` around each span.

    One ``<mark>`` per text piece (a match cut by tags gets one mark in each text node);
    overlapping or touching pieces of different marks become one mark, with the attributes of
    the one that starts first (the earlier in ``marks`` on a tie). Plain text is escaped, its
    newlines kept (show it with ``white-space: pre-wrap``).

    Linear, and cheap per mark: the spans are clipped to text in a few numpy passes (only those
    :meth:`Draft.clip` would change are clipped one by one), merged with a running maximum, and
    the result is one escape and one join.
    """
    size = len(draft.sanitized)
    spans_of = list(map(_SPANS, marks))
    lengths = list(map(len, spans_of))
    total = sum(lengths)
    if not total:
        return _whole(draft)
    if total <= _FEW:
        return _highlight_few(draft, marks)
    counts = np.array(lengths, dtype=np.int64)
    flat = np.fromiter(chain.from_iterable(chain.from_iterable(spans_of)), dtype=np.int64, count=2 * total)
    starts, ends = flat[0::2], flat[1::2]
    orders = np.repeat(np.arange(len(spans_of), dtype=np.int64), counts)
    whole = draft.whole_pieces(starts, ends, inside_tags=False).whole
    if not whole.all():
        rest = [(ps, pe, o) for s, e, o in zip(starts[~whole].tolist(), ends[~whole].tolist(),
                                               orders[~whole].tolist(), strict=True) for ps, pe in draft.clip(s, e)]
        extra = np.array(rest, dtype=np.int64).reshape(-1, 3)
        starts = np.concatenate([starts[whole], extra[:, 0]])
        ends = np.concatenate([ends[whole], extra[:, 1]])
        orders = np.concatenate([orders[whole], extra[:, 2]])
        if not len(starts):
            return _whole(draft)
    # by start, then mark order, then end; a piece that starts at or before the end of all the
    # pieces before it joins their mark
    by = np.lexsort((ends, orders, starts))
    starts, ends, orders = starts[by], ends[by], orders[by]
    reach = np.maximum.accumulate(ends)
    first = np.flatnonzero(np.concatenate(([True], starts[1:] > reach[:-1])))
    last = np.append(first[1:] - 1, len(starts) - 1)
    bounds = np.empty(2 * len(first) + 2, dtype=np.int64)
    bounds[0], bounds[-1] = 0, size
    bounds[1:-1:2] = starts[first]
    bounds[2:-1:2] = reach[last]
    chunks = _slices(draft, bounds)
    inserts: list[str] = [_CLOSE] * (2 * len(first))
    inserts[0::2] = [marks[order].open_tag() for order in orders[first].tolist()]
    return Markup(_interleave(chunks, inserts))  # every piece is markup already: no second escape pass


#: up to this many spans, a plain loop renders faster than the numpy passes' fixed cost
_FEW = 48


def _highlight_few(draft: Draft, marks: Sequence[Mark]) -> Markup:
    """:func:`highlight` for a few marks (a reply with a word or two to change), the same pieces
    and merging in a plain loop."""
    pieces = sorted((ps, order, pe) for order, mark in enumerate(marks)
                    for s, e in mark.spans for ps, pe in draft.clip(s, e))
    merged: list[list[int]] = []
    for s, order, e in pieces:
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e, order])
    source = draft.sanitized
    piece = source.__getitem__ if draft.is_html else (lambda cut: escape(source[cut]))
    out: list[str] = []
    pos = 0
    for s, e, order in merged:
        out += (piece(slice(pos, s)), marks[order].open_tag(), piece(slice(s, e)), _CLOSE)
        pos = e
    out.append(piece(slice(pos, len(source))))
    return Markup("".join(out))  # escaped or sanitized already: no second escape pass


def _whole(draft: Draft) -> Markup:
    """The draft as it is, as markup: what a rendering with nothing to change gives."""
    return Markup(draft.sanitized) if draft.is_html else escape(draft.sanitized)


class _Covered:
    """Disjoint intervals kept sorted, so that each match is compared only with those it meets
    (a censor list hitting every word of a draft: linear, not matches × matches)."""

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []

    def subtract(self, pieces: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """The parts of ``pieces`` outside every covered interval."""
        starts, ends = self.starts, self.ends
        result: list[tuple[int, int]] = []
        for s, e in pieces:
            i = bisect_right(starts, s) - 1
            if i < 0 or ends[i] <= s:
                i += 1
            while s < e and i < len(starts) and starts[i] < e:
                if starts[i] > s:
                    result.append((s, starts[i]))
                s = max(s, ends[i])
                i += 1
            if s < e:
                result.append((s, e))
        return result

    def add(self, s: int, e: int) -> None:
        """Cover ``[s, e)``, merged with the intervals it overlaps or touches."""
        i = bisect_left(self.ends, s)
        j = bisect_right(self.starts, e)
        if i < j:
            s, e = min(s, self.starts[i]), max(e, self.ends[j - 1])
            del self.starts[i:j], self.ends[i:j]
        self.starts.insert(i, s)
        self.ends.insert(i, e)


def censor(draft: Draft, replacements: Sequence[tuple[tuple[tuple[int, int], ...], str]]) -> Markup:
    """The draft with each match's text replaced.

    ``replacements`` holds ``(spans, text)`` pairs. For a match cut across several text nodes
    the text goes into the first piece and the other pieces become empty, so the markup around
    them stays as it was. Where matches overlap, the one that starts first (the longer on a tie)
    is replaced whole and the others only where they reach beyond it: no matched character is
    left showing. The replacement text is escaped.

    When every match is one piece of text and none overlaps another (a censor list hitting every
    word of a draft), that is found in a few numpy passes and the edits are the spans as they are.
    """
    edits = _disjoint_edits(draft, replacements)
    if edits is None:
        edits = _covering_edits(draft, replacements)
    starts, ends, texts = edits
    if not starts:
        return _whole(draft)
    bounds = np.empty(2 * len(starts) + 2, dtype=np.int64)
    bounds[0], bounds[-1] = 0, len(draft.sanitized)
    bounds[1:-1:2] = starts
    bounds[2:-1:2] = ends
    chunks = _slices(draft, bounds)[0::2]
    escaped = {text: str(escape(text)) for text in set(texts)}
    return Markup(_interleave(chunks, [escaped[text] for text in texts]))  # all escaped already


# edits as three lists, in source order: starts, ends, replacement texts
_Edits = tuple[list[int], list[int], list[str]]


def _disjoint_edits(draft: Draft, replacements: Sequence[tuple[tuple[tuple[int, int], ...], str]]) -> _Edits | None:
    """The edits when every replacement is one whole piece and none overlaps another, else None."""
    pieces = single_pieces(draft, [spans for spans, _ in replacements], inside_tags=True)
    if pieces is None:
        return None
    by = disjoint_order(pieces[:, 0], pieces[:, 1])
    if by is None:
        return None
    texts = [text for _, text in replacements]
    return pieces[by, 0].tolist(), pieces[by, 1].tolist(), [texts[o] for o in by.tolist()]


def _covering_edits(draft: Draft, replacements: Sequence[tuple[tuple[tuple[int, int], ...], str]]) -> _Edits:
    """The edits in general: each match clipped to text, the earlier (the longer on a tie)
    replaced first, each later one only where it reaches beyond what is replaced already."""
    items: list[tuple[int, int, int, list[tuple[int, int]], str]] = []
    for order, (spans, text) in enumerate(replacements):
        pieces = sorted({p for s, e in spans for p in draft.clip(s, e, inside_tags=True)})
        if pieces:
            items.append((pieces[0][0], pieces[0][0] - pieces[-1][1], order, pieces, text))
    items.sort()

    covered = _Covered()
    edits: list[tuple[int, int, str]] = []
    for _, _, _, pieces, text in items:
        remaining = covered.subtract(pieces)
        if not remaining:
            continue
        edits.append((remaining[0][0], remaining[0][1], text))
        edits.extend((s, e, "") for s, e in remaining[1:])
        for s, e in remaining:
            covered.add(s, e)
    edits.sort()
    return [s for s, _, _ in edits], [e for _, e, _ in edits], [text for _, _, text in edits]


_KEEP_RE = re.compile(r"[^\W_]")
_STAR_RE = re.compile(r"\S")


@functools.lru_cache(maxsize=4096)
def default_censor_text(matched: str) -> str:
    """Censor text for a match: everything up to and including the first letter or digit is
    kept, every later non-space character becomes ``*``, spaces stay.

    ``"fuck"`` → ``"f***"``, ``"f.u.c.k"`` → ``"f******"``, ``"two words"`` → ``"t** *****"``.
    The length is kept, so the layout of the line does not move.
    """
    m = _KEEP_RE.search(matched)
    if m is None:
        return _STAR_RE.sub("*", matched)
    keep = m.end()
    return matched[:keep] + _STAR_RE.sub("*", matched[keep:])
