"""Highlighted and censored renderings of a draft.

Both work on :attr:`Draft.sanitized` (HTML input) or on the escaped plain text, and change
text only: every span is first cut down to the text between tags with
:meth:`Draft.clip`, so nothing is ever inserted inside a tag or an entity. Everything inserted
is escaped; the result is :class:`markupsafe.Markup`.
"""

from __future__ import annotations

import functools
import re
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from .draft import Draft

__all__ = ["Mark", "censor", "default_censor_text", "highlight"]



@functools.lru_cache(maxsize=1024)
def _open_tag(css_class: str, list_name: str, title: str | None) -> Markup:
    # every value is escaped; Markup.format would do the same through a slow Python formatter
    tag = f'<mark class="{escape(css_class)}" data-list="{escape(list_name)}"'
    if title is not None:
        tag += f' title="{escape(title)}"'
    return Markup(tag + ">")

_CLOSE = Markup("</mark>")


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


def _chunk(draft: Draft, start: int, end: int) -> Markup:
    """A slice of the draft as markup: sanitized HTML is markup already, plain text is escaped."""
    piece = draft.sanitized[start:end]
    return Markup(piece) if draft.is_html else escape(piece)


def highlight(draft: Draft, marks: Sequence[Mark]) -> Markup:
    """The draft with ``<mark class=… data-list=…>`` around each span.

    One ``<mark>`` per text piece (a match cut by tags gets one mark in each text node);
    overlapping or touching pieces of different marks become one mark, with the attributes of
    the one that starts first (the earlier in ``marks`` on a tie). Plain text is escaped, its
    newlines kept (show it with ``white-space: pre-wrap``).
    """
    pieces: list[tuple[int, int, int]] = []
    for order, mark in enumerate(marks):
        for s, e in mark.spans:
            for ps, pe in draft.clip(s, e):
                pieces.append((ps, order, pe))
    pieces.sort()

    merged: list[tuple[int, int, Mark]] = []
    for s, order, e in pieces:
        if merged and s <= merged[-1][1]:
            ms, me, mark = merged[-1]
            if e > me:
                merged[-1] = (ms, e, mark)
        else:
            merged.append((s, e, marks[order]))

    out: list[Markup] = []
    pos = 0
    for s, e, mark in merged:
        out += (_chunk(draft, pos, s), mark.open_tag(), _chunk(draft, s, e), _CLOSE)
        pos = e
    out.append(_chunk(draft, pos, len(draft.sanitized)))
    return Markup("".join(out))  # every piece is Markup already: no second escape pass


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
    """
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

    out: list[Markup] = []
    pos = 0
    for s, e, text in edits:
        out += (_chunk(draft, pos, s), escape(text))
        pos = e
    out.append(_chunk(draft, pos, len(draft.sanitized)))
    return Markup("".join(out))  # every piece is Markup already: no second escape pass


_KEEP_RE = re.compile(r"[^\W_]")
_STAR_RE = re.compile(r"\S")


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
