"""Censoring a Markdown, BBCode or host-rendered draft in its own markup.

The censored draft is the poster's source with the matched text replaced and nothing else
touched. A replacement goes into the pieces of source the match was read from, split among them
by their visible length (``**fu**ck`` → ``**f\\***\\*\\*``: each piece keeps some of it, so no
emphasis is left empty), and each part is escaped by the reader's ``escape(text, kind)`` so it
cannot open or close anything (``**darn**`` → ``**d\\*\\*\\***``, never ``**d*****``).

The result is then read again: when what readers would see is not the original text with the
replacements in place (a replacement next to a delimiter can change whether it opens or closes),
the pieces next to delimiters keep their edge letters and it is read once more. Either way
every matched character that was not an edge is replaced.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from markupsafe import Markup, escape

from .codepoints import code_points
from .model import Draft, SegmentKind, disjoint_order, single_pieces, stored_pieces

__all__ = ["censor_markup"]

Spans = tuple[tuple[int, int], ...]
# a part of a replacement: source start, source end, text start, text end, kind, replacement
_Part = tuple[int, int, int, int, int, str]
_DELIMITERS = frozenset("*_~`[]<>!\\")
# segment kinds whose replacement is seen as escaped (nothing unescapes it)
_VERBATIM = int(SegmentKind.LITERAL | SegmentKind.WORD)


@dataclass(frozen=True, slots=True)
class _Parts:
    """Where the replacements go, in source order, one list per field (a censor list hitting
    every word of a draft gives 20,000 parts: six lists, not 20,000 tuples)."""

    starts: list[int]
    ends: list[int]
    t_starts: list[int]
    t_ends: list[int]
    kinds: list[int]
    texts: list[str]

    @classmethod
    def of(cls, rows: list[_Part]) -> _Parts:
        columns = [list(c) for c in zip(*rows, strict=True)] if rows else [[] for _ in range(6)]
        return cls(*columns)

    def rows(self) -> list[_Part]:
        return list(zip(self.starts, self.ends, self.t_starts, self.t_ends, self.kinds, self.texts, strict=True))

    def __len__(self) -> int:
        return len(self.starts)


def _plan(draft: Draft, replacements: Sequence[tuple[Spans, str]]) -> _Parts:
    """Where each replacement goes: the uncovered pieces of its spans, each with its share."""
    m = draft._map
    if m is None:
        return _Parts.of([])
    pieces = single_pieces(draft, [spans for spans, _ in replacements], inside_tags=True)
    if pieces is not None:
        by = disjoint_order(pieces[:, 0], pieces[:, 1])
        if by is not None:
            # every replacement is one piece and none overlaps another (a censor list hitting
            # every word): each goes whole into its piece, found without a loop per match
            texts = [text for _, text in replacements]
            starts, ends, t_starts, t_ends, kinds = pieces[by].T.tolist()
            return _Parts(starts, ends, t_starts, t_ends, kinds, [texts[o] for o in by.tolist()])
    items = []
    for order, (spans, text) in enumerate(replacements):
        pieces_of = sorted({p for s, e in spans for p in stored_pieces(m, s, e)})
        if pieces_of:
            items.append((pieces_of[0][0], pieces_of[0][0] - pieces_of[-1][1], order, pieces_of, text))
    items.sort()
    covered = bytearray(len(draft.sanitized) + 1)
    parts: list[_Part] = []
    for _, _, _, pieces_of, text in items:
        free = []
        for s, e, ts, te, kind in pieces_of:
            if any(covered[s:e]):
                if all(covered[s:e]) or ts + 1 == te or (te - ts) != (e - s):
                    continue  # already replaced (an indivisible piece goes whole or not at all)
                run_start = None
                for i in range(s, e + 1):
                    if i < e and not covered[i]:
                        if run_start is None:
                            run_start = i
                    elif run_start is not None:
                        free.append((run_start, i, ts + run_start - s, ts + i - s, kind))
                        run_start = None
            else:
                free.append((s, e, ts, te, kind))
        if not free:
            continue
        for s, e, _, _, _ in free:
            covered[s:e] = b"\x01" * (e - s)
        total = sum(te - ts for _, _, ts, te, _ in free)
        done = 0
        cut = 0
        for s, e, ts, te, kind in free:
            done += te - ts
            nxt = len(text) if done == total else round(done * len(text) / total)
            parts.append((s, e, ts, te, kind, text[cut:nxt]))
            cut = nxt
    parts.sort()
    return _Parts.of(parts)


def _keep_edges(source: str, parts: _Parts) -> _Parts:
    """The parts with their first/last character as written where a delimiter touches them."""
    out = []
    for s, e, ts, te, kind, text in parts.rows():
        if text and e - s == te - ts and len(text) == e - s:
            chars = list(text)
            if s > 0 and source[s - 1] in _DELIMITERS and source[s].isalnum():
                chars[0] = source[s]
            if e < len(source) and source[e] in _DELIMITERS and source[e - 1].isalnum():
                chars[-1] = source[e - 1]
            text = "".join(chars)
        out.append((s, e, ts, te, kind, text))
    return _Parts.of(out)


def _apply(draft: Draft, parts: _Parts, escape_part: Callable[[str, int], str]) -> tuple[str, bool]:
    """The source with the parts in and the relabels of the links they touch, and whether any
    link was relabelled."""
    source = draft.sanitized
    keys = list(zip(parts.texts, parts.kinds, strict=True))
    escaped = {key: escape_part(*key) for key in set(keys)}
    starts, ends, texts = parts.starts, parts.ends, [escaped[key] for key in keys]
    relabels = draft._rendered.relabels if draft._rendered is not None else ()
    relabelled = False
    if relabels:
        edits = list(zip(starts, ends, texts, strict=True))
        for link_s, link_e, edit_s, edit_e, text in relabels:
            i = bisect_left(parts.starts, link_s)
            if i < len(parts.starts) and parts.starts[i] < link_e:
                edits.append((edit_s, edit_e, text))
                relabelled = True
        if relabelled:
            edits.sort(key=lambda edit: (edit[0], edit[1]))
            starts, ends, texts = (list(c) for c in zip(*edits, strict=True))
    out: list[str] = [""] * (2 * len(starts) + 1)
    out[0::2] = [source[a:b] for a, b in zip([0, *ends], [*starts, len(source)], strict=True)]
    out[1::2] = texts
    return "".join(out), relabelled


def _expected_text(draft: Draft, parts: _Parts, escape_part: Callable[[str, int], str]) -> str:
    """What readers should see once the parts are in: the text with each range replaced."""
    out: list[str] = []
    pos = 0
    for _, _, ts, te, kind, text in sorted(parts.rows(), key=lambda p: p[2]):
        out.append(draft.text[pos:ts])
        out.append(escape_part(text, kind) if kind & _VERBATIM else text)
        pos = te
    out.append(draft.text[pos:])
    return "".join(out)


def _reads_as(draft: Draft, censored: str, parts: _Parts, escape_part: Callable[[str, int], str]) -> bool:
    """Whether the censored source reads as the text with the replacements in, with the same
    links and images."""
    renderer, before = draft._renderer, draft._rendered
    if renderer is None or before is None:
        return True
    try:
        again = renderer(censored)
    except Exception:
        return False
    return (
        again.text == _expected_text(draft, parts, escape_part)
        and len(again.links) == len(before.links)
        and len(again.images) == len(before.images)
        and len(again.pasted_images) == len(before.pasted_images)
    )


# ASCII punctuation, every character Markdown or BBCode syntax is made of
_ASCII_PUNCTUATION = np.array([0x21 <= c < 0x7F and not chr(c).isalnum() for c in range(129)], dtype=bool)


def _reads_unchanged(draft: Draft, parts: _Parts) -> bool:
    """Whether the censored draft is sure to read as the text with the replacements in, without
    reading it again (which, for 20,000 replaced words, costs more than the whole check).

    Only for the built-in readers, and only when every part is plain text read as written
    (letters, digits and spaces, no escape, no entity, not code), none touches ASCII punctuation
    (the delimiters of emphasis, links, tags and cosmetic replacements are all made of it), and
    each replacement is letters, digits and ``*`` with the spaces where the part has them. Then
    the replacement, escaped, is literal text in either markup: it cannot open, close or join
    anything, and every construct around it is made of the same characters as before
    (``tests/test_censor_fast.py`` checks this against reading the result again)."""
    from .bbcode import BBCodeRenderer
    from .markdown import MarkdownRenderer

    if type(draft._renderer) not in (MarkdownRenderer, BBCodeRenderer) or not len(parts) or any(parts.kinds):
        return False
    source, text = draft.sanitized, draft.text
    written = "\x00".join([source[s:e] for s, e in zip(parts.starts, parts.ends, strict=True)])
    if written != "\x00".join([text[ts:te] for ts, te in zip(parts.t_starts, parts.t_ends, strict=True)]):
        return False  # read as something else than written
    replaced = "\x00".join(parts.texts)
    if len(replaced) != len(written) or written.count("\x00") != replaced.count("\x00"):
        return False
    # the spaces (and the separators) where they were: the same lengths between them
    written_words, replaced_words = written.replace("\x00", " ").split(" "), replaced.replace("\x00", " ").split(" ")
    if list(map(len, written_words)) != list(map(len, replaced_words)):
        return False
    letters = "".join(written_words)
    if letters and not letters.isalnum():
        return False
    stars = "".join(replaced_words).replace("*", "")
    if stars and not stars.isalnum():
        return False
    points = code_points(source)
    before = np.asarray(parts.starts, dtype=np.int64) - 1
    after = np.asarray(parts.ends, dtype=np.int64)
    around = np.concatenate([points[before[before >= 0]], points[after[after < len(points)]]])
    return not _ASCII_PUNCTUATION[np.minimum(around, 128)].any()


def censor_markup(draft: Draft, replacements: Sequence[tuple[Spans, str]]) -> Markup:
    """The draft's source with each ``(spans, text)`` replacement in place, escaped for its
    markup, as escaped plain text (``content_to_store`` gives the source back)."""
    source = draft.sanitized
    renderer = draft._renderer
    escape_method = getattr(renderer, "escape", None)
    escape_part: Callable[[str, int], str] = escape_method if callable(escape_method) else (lambda text, kind: text)
    parts = _plan(draft, replacements)
    if not len(parts):
        return escape(source)
    censored, relabelled = _apply(draft, parts, escape_part)
    if (relabelled or not _reads_unchanged(draft, parts)) and not _reads_as(draft, censored, parts, escape_part):
        edged = _keep_edges(source, parts)
        if edged.texts != parts.texts:
            censored, _ = _apply(draft, edged, escape_part)
    return escape(censored)
