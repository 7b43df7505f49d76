"""Reviewing terms before they are saved: the Scunthorpe check, the impact preview, lint.

Shared by the admin page and the CLI. Every review runs the real matcher through a :class:`Guard`
of its own, so what it reports is what the filter would do.
"""

from __future__ import annotations

import bisect
import functools
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .actions import Action
from .formats import term_key
from .policy import Guard
from .terms import ListKind, Term, WordList
from .verdict import Match

__all__ = [
    "DICTIONARY_PATHS",
    "Finding",
    "Impact",
    "dictionary_hits",
    "dictionary_words",
    "impact_preview",
    "lint_lists",
    "looks_like_html",
    "scan_lines",
]

_HTML_TAG_RE = re.compile(r"<(?:[a-zA-Z][a-zA-Z0-9]*\b[^<>]*|/[a-zA-Z][a-zA-Z0-9]*\s*)>")
_INFLECTIONS = ("s", "es", "ed", "d", "ing", "er", "ers", "'s")
#: where the Scunthorpe check finds its dictionary (Debian's wamerican); english_words is the fallback
DICTIONARY_PATHS = ("/usr/share/dict/words", "/usr/share/dict/american-english")


def looks_like_html(text: str) -> bool:
    """Whether a stored post is HTML (from a rich editor) rather than plain text."""
    return _HTML_TAG_RE.search(text) is not None


@functools.lru_cache(maxsize=4)
def dictionary_words(path: str | None = None) -> tuple[str, ...]:
    """Lower-case dictionary words (letters only), from ``path``, the system dictionary, or the
    english_words package. Empty when none is found."""
    candidates = [path] if path else list(DICTIONARY_PATHS)
    for candidate in candidates:
        if candidate and os.path.isfile(candidate):
            with open(candidate, encoding="utf-8", errors="replace") as fh:
                words = {w for w in (line.strip() for line in fh) if w.isalpha() and w.islower()}
            return tuple(sorted(words))
    try:
        from english_words import get_english_words_set
    except ImportError:
        return ()
    return tuple(sorted(w for w in get_english_words_set(["web2"], lower=True) if w.isalpha()))


def scan_lines(guard: Guard, lines: Sequence[str], *, group: str = "member",
               chunk_chars: int = 60_000) -> dict[int, list[Match]]:
    """Check many short texts in bulk: they are joined into large chunks (one check each) and the
    matches mapped back to the line they fall in; each line with a match is then checked alone, so
    nothing is reported that joining the lines caused. Returns line index -> that line's matches."""
    chunk_chars = min(chunk_chars, max(1000, guard.limits.hard_cap - 1000))
    candidates: set[int] = set()
    start = 0
    while start < len(lines):
        end = start
        size = 0
        while end < len(lines) and (size + len(lines[end]) + 1 <= chunk_chars or end == start):
            size += len(lines[end]) + 1
            end += 1
        offsets = []
        pos = 0
        for line in lines[start:end]:
            offsets.append(pos)
            pos += len(line) + 1
        verdict = guard.check("\n".join(lines[start:end]), group=group)
        for m in verdict.matches:
            i = bisect.bisect_right(offsets, m.start) - 1
            candidates.add(start + i)
            j = bisect.bisect_right(offsets, max(m.start, m.end - 1)) - 1
            candidates.add(start + j)
        start = end
    out: dict[int, list[Match]] = {}
    for i in sorted(candidates):
        if len(lines[i]) > guard.limits.hard_cap:
            continue
        matches = list(guard.check(lines[i], group=group).matches)
        if matches:
            out[i] = matches
    return out


def _intended(word: str, term: Term, inflections: bool) -> bool:
    text = term.text.casefold()
    if word == text:
        return True
    return inflections and any(word == text + s for s in _INFLECTIONS)


def dictionary_hits(wordlist: WordList, terms: Sequence[Term] | None = None, *,
                    words: Sequence[str] | None = None, intended: bool = False) -> dict[str, list[str]]:
    """The dictionary words each term would hit with the real matcher: term pattern -> words.

    ``terms`` (default: the list's) are checked with the list's options and its exceptions, in a
    Guard of their own. A term's own word and its inflections are left out unless ``intended``.
    """
    if wordlist.kind is not ListKind.TERMS:
        return {}
    checked = [t for t in (wordlist.terms if terms is None else terms) if not t.exception]
    if not checked:
        return {}
    probe = wordlist.with_terms([*checked, *wordlist.exceptions])
    guard = Guard([probe])
    words = dictionary_words() if words is None else words
    by_pattern = {t.pattern: t for t in checked}
    out: dict[str, list[str]] = {}
    for i, matches in scan_lines(guard, list(words)).items():
        word = words[i]
        for pattern in dict.fromkeys(m.term for m in matches):
            term = by_pattern.get(pattern)
            if term is None or (not intended and _intended(word, term, wordlist.inflections)):
                continue
            out.setdefault(pattern, []).append(word)
    return out


@dataclass(frozen=True, slots=True)
class Impact:
    """How many of the recent posts a candidate change would have caught."""

    checked: int
    caught: int
    #: (post excerpt, matched text) for a few caught posts
    examples: tuple[tuple[str, str], ...] = ()


def impact_preview(wordlist: WordList, terms: Sequence[Term], posts: Sequence[str], *,
                   examples: int = 5) -> Impact:
    """How many of ``posts`` the ``terms`` (with the list's options and exceptions) would catch."""
    checked = [t for t in terms if not t.exception]
    if not checked or not posts:
        return Impact(checked=len(posts), caught=0)
    guard = Guard([wordlist.with_terms([*checked, *wordlist.exceptions])])
    caught = 0
    shown: list[tuple[str, str]] = []
    for post in posts:
        if len(post) > guard.limits.hard_cap:
            continue
        verdict = guard.check(post, html=looks_like_html(post))
        if verdict.matches:
            caught += 1
            if len(shown) < examples:
                m = verdict.matches[0]
                text = verdict.sanitized
                lo, hi = max(0, m.start - 40), min(len(text), m.end + 40)
                excerpt = _HTML_TAG_RE.sub(" ", text[lo:hi]) if verdict.is_html else text[lo:hi]
                shown.append((" ".join(excerpt.split()), m.matched))
    return Impact(checked=len(posts), caught=caught, examples=tuple(shown))


@dataclass(frozen=True, slots=True)
class Finding:
    """One lint finding about a term."""

    list: str
    term: str
    kind: str  # "duplicate", "shadowed", "dictionary", "wildcard"
    message: str
    words: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"list": self.list, "term": self.term, "kind": self.kind, "message": self.message}
        if self.words:
            d["words"] = list(self.words)
        return d


def lint_lists(lists: Sequence[WordList], *, only: str | None = None, words: Sequence[str] | None = None,
               dictionary: bool = True, many_words: int = 20) -> list[Finding]:
    """Duplicates across lists, terms shadowed by others, dictionary words hit, risky wildcards."""
    findings: list[Finding] = []
    targets = [wl for wl in lists if only is None or wl.name == only]
    where: dict[str, list[tuple[str, Action]]] = {}
    for wl in lists:
        for t in wl.words:
            where.setdefault(term_key(t), []).append((wl.name, wl.action))
    for wl in targets:
        for t in wl.words:
            others = [f"{n} ({a.value})" for n, a in where.get(term_key(t), ()) if n != wl.name]
            if others:
                findings.append(Finding(wl.name, t.pattern, "duplicate", f"also in {', '.join(others)}"))
    # shadowed: a term whose own text is caught by another term of the same or a stronger list
    term_lists = [wl for wl in lists if wl.kind is ListKind.TERMS]
    if term_lists:
        guard = Guard(term_lists)
        for wl in targets:
            if wl.kind is not ListKind.TERMS:
                continue
            words_of = list(wl.words)
            hits = scan_lines(guard, [t.text for t in words_of])
            for i, matches in hits.items():
                t = words_of[i]
                refs = {(m.list, m.term) for m in matches if (m.list, m.term) != (wl.name, t.pattern)
                        and m.start == 0 and m.end == len(t.text) and m.action.severity >= wl.action.severity}
                by = sorted({(name, o.pattern) for name, o in _terms_of(lists, refs)
                             if o.wildcard_start >= t.wildcard_start and o.wildcard_end >= t.wildcard_end})
                if by:
                    findings.append(Finding(wl.name, t.pattern, "shadowed",
                                            "already caught by " + ", ".join(f"{n}: {p}" for n, p in by)))
    for wl in targets:
        if wl.kind is not ListKind.TERMS:
            continue
        for t in wl.words:
            letters = sum(ch.isalnum() for ch in t.text)
            if (t.wildcard_start or t.wildcard_end) and letters <= 2:
                findings.append(Finding(wl.name, t.pattern, "wildcard",
                                        f"wildcard on {letters} letter(s) matches far too much"))
            elif t.wildcard_start and t.wildcard_end and letters <= 4:
                findings.append(Finding(wl.name, t.pattern, "wildcard",
                                        "*…* on a short term matches inside many words"))
        if dictionary:
            for pattern, hit in dictionary_hits(wl, words=words).items():
                msg = f"hits {_count(len(hit), 'dictionary word')}: {', '.join(hit[:8])}" + (
                    ", …" if len(hit) > 8 else "")
                findings.append(Finding(wl.name, pattern, "dictionary", msg, tuple(hit)))
                t = Term.parse(pattern)
                if (t.wildcard_start or t.wildcard_end) and len(hit) >= many_words:
                    findings.append(Finding(wl.name, pattern, "wildcard",
                                            f"suspicious wildcard: hits {len(hit)} dictionary words"))
    return findings


def _terms_of(lists: Sequence[WordList], refs: Iterable[tuple[str, str]]) -> list[tuple[str, Term]]:
    by_list = {wl.name: wl for wl in lists}
    out: list[tuple[str, Term]] = []
    for name, pattern in refs:
        wl = by_list.get(name)
        if wl is not None:
            out.extend((name, t) for t in wl.words if t.pattern == pattern)
    return out


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")
