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

from markupsafe import Markup, escape

from .model import Draft, SegmentKind, stored_pieces

__all__ = ["censor_markup"]

Spans = tuple[tuple[int, int], ...]
# a part of a replacement: source start, source end, text start, text end, kind, replacement
_Part = tuple[int, int, int, int, int, str]
_DELIMITERS = frozenset("*_~`[]<>!\\")
# segment kinds whose replacement is seen as escaped (nothing unescapes it)
_VERBATIM = int(SegmentKind.LITERAL | SegmentKind.WORD)


def _plan(draft: Draft, replacements: Sequence[tuple[Spans, str]]) -> list[_Part]:
    """Where each replacement goes: the uncovered pieces of its spans, each with its share."""
    m = draft._map
    if m is None:
        return []
    items = []
    for order, (spans, text) in enumerate(replacements):
        pieces = sorted({p for s, e in spans for p in stored_pieces(m, s, e)})
        if pieces:
            items.append((pieces[0][0], pieces[0][0] - pieces[-1][1], order, pieces, text))
    items.sort()
    covered = bytearray(len(draft.sanitized) + 1)
    parts: list[_Part] = []
    for _, _, _, pieces, text in items:
        free = []
        for s, e, ts, te, kind in pieces:
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
    return parts


def _keep_edges(source: str, parts: list[_Part]) -> list[_Part]:
    """The parts with their first/last character as written where a delimiter touches them."""
    out = []
    for s, e, ts, te, kind, text in parts:
        if text and e - s == te - ts and len(text) == e - s:
            chars = list(text)
            if s > 0 and source[s - 1] in _DELIMITERS and source[s].isalnum():
                chars[0] = source[s]
            if e < len(source) and source[e] in _DELIMITERS and source[e - 1].isalnum():
                chars[-1] = source[e - 1]
            text = "".join(chars)
        out.append((s, e, ts, te, kind, text))
    return out


def _apply(draft: Draft, parts: list[_Part], escape_part: Callable[[str, int], str]) -> str:
    """The source with the parts in, and the relabels of the links they touch."""
    source = draft.sanitized
    edits = [(s, e, escape_part(text, kind)) for s, e, _, _, kind, text in parts]
    relabels = draft._rendered.relabels if draft._rendered is not None else ()
    if relabels:
        starts = [p[0] for p in parts]
        for link_s, link_e, edit_s, edit_e, text in relabels:
            i = bisect_left(starts, link_s)
            if i < len(starts) and starts[i] < link_e:
                edits.append((edit_s, edit_e, text))
        edits.sort(key=lambda edit: (edit[0], edit[1]))
    out: list[str] = []
    pos = 0
    for s, e, text in edits:
        out.append(source[pos:s])
        out.append(text)
        pos = e
    out.append(source[pos:])
    return "".join(out)


def _expected_text(draft: Draft, parts: list[_Part], escape_part: Callable[[str, int], str]) -> str:
    """What readers should see once the parts are in: the text with each range replaced."""
    out: list[str] = []
    pos = 0
    for _, _, ts, te, kind, text in sorted(parts, key=lambda p: p[2]):
        out.append(draft.text[pos:ts])
        out.append(escape_part(text, kind) if kind & _VERBATIM else text)
        pos = te
    out.append(draft.text[pos:])
    return "".join(out)


def _reads_as(draft: Draft, censored: str, parts: list[_Part], escape_part: Callable[[str, int], str]) -> bool:
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


def censor_markup(draft: Draft, replacements: Sequence[tuple[Spans, str]]) -> Markup:
    """The draft's source with each ``(spans, text)`` replacement in place, escaped for its
    markup, as escaped plain text (``content_to_store`` gives the source back)."""
    source = draft.sanitized
    renderer = draft._renderer
    escape_method = getattr(renderer, "escape", None)
    escape_part: Callable[[str, int], str] = escape_method if callable(escape_method) else (lambda text, kind: text)
    parts = _plan(draft, replacements)
    if not parts:
        return escape(source)
    censored = _apply(draft, parts, escape_part)
    if not _reads_as(draft, censored, parts, escape_part):
        edged = _keep_edges(source, parts)
        if edged != parts:
            censored = _apply(draft, edged, escape_part)
    return escape(censored)
