"""Compile word lists into one Aho-Corasick automaton and scan texts into spans.

Every term becomes one or more *keys* in the skeleton alphabet of :mod:`forum_guard.engine.normalize`:
the folded, collapsed term, padded with a space on each side that must be a word boundary (a
wildcard side gets no space). Variants cover what folding cannot: ``l`` written as ``1``/``|``
(folded to ``i``), ``f`` written as ``ph``, and the regular inflections (-s -es -ed -ing -er -ers).
One scan of the skeleton finds every candidate; each candidate is then verified against the
original text (repeat counts, so "as" is not "ass"; numbers and maths; the list's exceptions).
A second, rare view joins runs of single letters separated by spaces or punctuation (f.u.c.k).
"""

from __future__ import annotations

import gc
import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from itertools import accumulate
from typing import Any, NamedTuple

import ahocorasick
import regex

from .actions import Action
from .normalize import (
    _FOLD,
    SPACED_HINT_RE,
    SPACED_RUN_RE,
    Skeleton,
    blank_edge_symbols,
    edge_runs,
    fold,
    fold_term,
    plain_fold,
)
from .terms import ListKind, Term, WordList, derived_terms

__all__ = ["INFLECTIONS", "Matcher", "RawMatch"]

#: Suffixes a plain term also matches when the list's ``inflections`` option is on.
INFLECTIONS = ("s", "es", "ed", "ing", "er", "ers")

_SPACELESS = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}]")
_MATHS = frozenset("0123456789^=+*/×÷%·")
_CURRENCY = frozenset("$€£¥")
#: letters then a number: a model or product code ("Galaxy A55", "B52"), not l33t
_MODEL_CODE_RE = re.compile(r"[^\W\d_]{1,2}\d{2,}")
_SPACE_RE = re.compile(" ")


class RawMatch(NamedTuple):
    """A verified match in the coordinates of the scanned text (a tuple: a dense text has many)."""

    list_index: int
    term_index: int
    start: int
    end: int


class _Entry(NamedTuple):
    """What a key stands for: the fields of the plain tuples the automaton holds (millions are
    built for big lists; a plain tuple is unpacked and indexed several times faster than a
    NamedTuple, and a scan reads one a candidate)."""

    list_index: int
    term_index: int
    exception: bool
    key_len: int
    lead: int
    trail: int
    #: (offset, requirement) of each content character whose run must be checked (see
    #: ``_runs_ok``; a requirement of 1 needs no check), or None when there is none
    runs: tuple[tuple[int, int], ...] | None
    #: a wildcard side: the reported span grows to the whole word on that side
    grow_start: bool
    grow_end: bool
    #: an inflected key: what follows the term must be a boundary or an inflection
    #: (``INFLECTIONS``; after a dropped final "e", ``_AFTER_DROPPED_E``) followed by one. In
    #: the automaton the key ends in the character after the term (``_Automaton.build``)
    inflect: int = 0


#: an entry as the automaton holds it: the fields of ``_Entry`` in a plain tuple
_Value = tuple[Any, ...]

#: ``_Entry.inflect`` values
_WHOLE, _INFLECTED, _DROPPED_E = 0, 1, 2
#: where fields are in an entry's plain tuple
_INFLECT, _KEY_LEN = _Entry._fields.index("inflect"), _Entry._fields.index("key_len")


#: Run requirements, one per skeleton character of a key: ``k >= 1`` at least k repeats in the
#: text; ``SUFFIX`` a letter of an inflection: once, or three times and more (an evasive repeat),
#: but not twice ("assess" is not ass+es); ``-k`` exactly k (exceptions are spelled exactly).
SUFFIX = 0


def _runs_ok(bound: Callable[[int], int], first: int, checks: tuple[tuple[int, int], ...]) -> bool:
    """Whether the runs at ``first + k`` meet each requirement; the run of character ``i`` is
    ``bound(i + 1) - bound(i)`` (``Skeleton.run_bounds``: two look-ups, no call between)."""
    for k, need in checks:
        i = first + k
        have = bound(i + 1) - bound(i)
        if need > 1:
            if have < need:
                return False
        elif need == SUFFIX:
            if have == 2:
                return False
        elif have != -need:
            return False
    return True


_DOUBLE_RE = re.compile(r"(.)\1")


@contextmanager
def gc_paused() -> Iterator[None]:
    """The cyclic garbage collector off while a compile allocates its millions of small tuples and
    lists, none of them in a cycle (refcounting frees them): it would otherwise walk them again and
    again, about a third of a 100k-term build. Back on after, unless the host had it off."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _collapse(chars: str, runs: Sequence[int]) -> tuple[str, tuple[int, ...]]:
    """Merge neighbouring equal characters, adding their run requirements."""
    if not _DOUBLE_RE.search(chars):  # most variants ("l" as "i") make no new pair: nothing to merge
        return chars, tuple(runs)
    out: list[str] = []
    out_runs: list[int] = []
    prev = ""
    for ch, r in zip(chars, runs, strict=True):
        if ch == prev:
            out_runs[-1] = max(out_runs[-1], 1) + max(r, 1)
        else:
            out.append(ch)
            out_runs.append(r)
            prev = ch
    return "".join(out), tuple(out_runs)


def _variants(skel: str, runs: tuple[int, ...]) -> list[tuple[str, tuple[int, ...]]]:
    """The term's skeleton plus the l→i and f→ph spellings (each applied to every occurrence)."""
    found = [(skel, runs)]
    if "l" in skel:
        found.append(_collapse(skel.replace("l", "i"), runs))
    if "f" in skel:
        for s, r in list(found):
            if "f" not in s:
                continue
            new_runs: list[int] = []
            for ch, n in zip(s, r, strict=True):
                new_runs += (1, 1) if ch == "f" else (n,)
            found.append(_collapse(s.replace("f", "ph"), new_runs))
    return found


#: inflections after a term's final "e" was dropped (whore → whored, whoring, whorer)
_AFTER_DROPPED_E = ("ed", "ing", "er", "ers", "es")


_INFLECTION_SET = frozenset(INFLECTIONS)
_AFTER_DROPPED_E_SET = frozenset(_AFTER_DROPPED_E)
#: what may follow an inflected term in the skeleton, by ``_Entry.inflect``: a boundary or an
#: inflection's first letter (every inflection starts with "s", "e" or "i": "remem|ber" is not
#: "remem" inflected); after a term that dropped its final "e", its own inflections' first
#: letter only ("e", "i": "whor" + "ed", "whor" + "ing"). The automaton holds an inflected key
#: once per follower, so that a hit inside a longer word ("ass" in "assume": most false
#: candidates of a big list) never reaches Python
_FOLLOWERS: dict[int, str] = {
    _INFLECTED: "".join(sorted({s[0] for s in INFLECTIONS} | {" "})),
    _DROPPED_E: "".join(sorted({s[0] for s in _AFTER_DROPPED_E}))}
_ALL_FOLLOWERS = "".join(sorted(set("".join(_FOLLOWERS.values()))))


def _followers(entries: Sequence[_Value], follower: str) -> list[_Value]:
    """The inflected ones of ``entries`` (each already in its follower form) that may be
    followed by ``follower``."""
    return [e for e in entries if e[_INFLECT] and follower in _FOLLOWERS[e[_INFLECT]]]


def _follower_form(entry: _Value) -> _Value:
    """An inflected entry as held under its key plus one follower: one character longer, the
    term's last character one before the key's end."""
    k = _KEY_LEN
    return (*entry[:k], entry[k] + 1, entry[k + 1], 1, *entry[k + 3:])


def _inflection_end(text: str, pos: int, suffixes: frozenset[str]) -> int:
    """Index of the last character of the inflection that runs from ``pos`` to the next word
    boundary (a space: the text is a padded skeleton), or -1 when the rest of the word is not one."""
    stop = text.find(" ", pos, pos + 5)
    if stop < 0 or text[pos:stop] not in suffixes:
        return -1
    return stop - 1


def _doubled(bound: Callable[[int], int], start: int, stop: int) -> bool:
    """Whether a character in ``[start, stop)`` is doubled (a run of exactly two; ``bound`` as
    for ``_runs_ok``)."""
    before = bound(start)
    for k in range(start + 1, stop + 1):
        after = bound(k)
        if after - before == 2:
            return True
        before = after
    return False


def _spaceless(ch: str) -> bool:
    return bool(_SPACELESS.match(ch))


class _Automaton:
    """Keys → entries, then an immutable pyahocorasick automaton."""

    def __init__(self) -> None:
        self._keys: dict[str, list[_Value]] = {}

    def add_term(self, list_index: int, term_index: int, term: Term, wl: WordList, *, evasion: bool,
                 folded: tuple[str, tuple[int, ...]] | None = None) -> int:
        if evasion:
            skel, runs = folded or fold_term(term.text)
        else:
            skel = " ".join(plain_fold(term.text).split())
            runs = (1,) * len(skel)
        if not skel:
            return 0
        forms: list[tuple[Any, ...]] = list(_variants(skel, runs)) if evasion else [(skel, runs)]
        lead = 0 if term.wildcard_start or _spaceless(skel[0]) else 1
        trail = 0 if term.wildcard_end or _spaceless(skel[-1]) else 1
        inflect = (wl.inflections and wl.kind is ListKind.TERMS and not term.exception and trail == 1
                   and skel[-1].isalpha())
        if inflect:
            # one key without its trailing boundary; the scan checks for a boundary or an inflection
            trail = 0
            if skel.endswith("e") and len(skel) > 1 and skel[-2].isalpha() and runs[-1] == 1:
                forms += [(f[:-1], r[:-1], _DROPPED_E) for f, r in forms if f.endswith("e")]
        grow_start = term.wildcard_start and lead == 0 and not _spaceless(skel[0])
        grow_end = term.wildcard_end and trail == 0 and not _spaceless(skel[-1])
        pad_start = " " if lead else ""
        pad_end = " " if trail else ""
        keys = self._keys
        added = 0
        for form in forms:
            s, r = form[0], form[1]
            kind = form[2] if len(form) > 2 else (_INFLECTED if inflect else _WHOLE)
            key = pad_start + s + pad_end
            if term.exception:
                # an exception is spelled exactly (the spaces between its words may be any run)
                r = tuple(1 if c == " " else -max(n, 1) for c, n in zip(s, r, strict=True))
            # the letters to read, reduced once here rather than at every candidate
            needs = None if r.count(1) == len(r) else tuple((k, n) for k, n in enumerate(r) if n != 1)
            entry = tuple(_Entry(list_index, term_index, term.exception, len(key), lead, trail, needs,
                                 grow_start, grow_end, kind))
            bucket = keys.get(key)
            if bucket is None:
                keys[key] = [entry]
                added += 1
            elif entry not in bucket:
                bucket.append(entry)
                added += 1
        return added

    def build(self) -> ahocorasick.Automaton | None:
        if not self._keys:
            return None
        keys = self._keys
        automaton = ahocorasick.Automaton()
        add = automaton.add_word
        followers_of = _FOLLOWERS
        for key, entries in keys.items():
            # the common case first: one inflected entry, no key one shorter to share with
            if len(entries) == 1 and entries[0][_INFLECT] and (key[-1] not in _ALL_FOLLOWERS
                                                               or key[:-1] not in keys):
                form = _follower_form(entries[0])
                value = (form,)
                for follower in followers_of[form[_INFLECT]]:
                    if key + follower not in keys:
                        add(key + follower, value)
                continue
            # An inflected entry is held under its key plus each character that may follow
            # the term (``_FOLLOWERS``), in its follower form (one object for all of them); a
            # key plus a follower that is a key of its own holds them with its own entries.
            # A value is a tuple of entries (one, mostly: a scan loops over it, with no test
            # of which kind of value it got)
            held = [e for e in entries if not e[_INFLECT]]
            inflected = len(held) < len(entries)
            if len(key) > 1 and key[-1] in _ALL_FOLLOWERS:
                source = keys.get(key[:-1])
                if source is not None:
                    held += _followers([_follower_form(e) for e in source if e[_INFLECT]], key[-1])
            if held:
                add(key, tuple(held))
            if not inflected:
                continue
            moved = [_follower_form(e) for e in entries if e[_INFLECT]]
            for follower in _ALL_FOLLOWERS:
                if key + follower not in keys:
                    held = _followers(moved, follower)
                    if held:
                        add(key + follower, tuple(held))
        automaton.make_automaton()
        self._keys = {}
        return automaton


#: characters that stand for a hidden letter in a masked word ("f*ck", "f@ck", "fu©k")
MASKS = "*#@©®%"
_MASK_SET = frozenset(MASKS)
#: the masks an ASCII text can hold
_ASCII_MASKS = "".join(ch for ch in MASKS if ch.isascii())
#: a word holding a mask: starts with a letter (the lookbehind anchors it at the word's start,
#: the possessive runs never backtrack: linear), then letters, marks, digits and masks
_MASKED_WORD_RE = regex.compile(
    r"(?<![\p{L}\p{M}\p{N}*#@©®%])\p{L}[\p{L}\p{M}\p{N}]*+[*#@©®%][\p{L}\p{M}\p{N}*#@©®%]*+")
_RUN_CATEGORIES = frozenset("LMN")


def _masked_words(text: str) -> Iterable[regex.Match[str]]:
    """What ``_MASKED_WORD_RE.finditer(text)`` finds, found from the mask characters instead of
    trying the pattern at every position (a 2 KB text with one "%" costs a few µs, not 190): a
    match is one whole run of letters, marks, digits and masks, so each run holding a mask is
    walked to its ends (at most a long word's length each way: linear even in a sea of "*") and the
    pattern is tried once at its start."""
    positions: list[int] = []
    ascii_text = text.isascii()
    for mask in _ASCII_MASKS if ascii_text else MASKS:
        i = text.find(mask)
        while i >= 0:
            positions.append(i)
            i = text.find(mask, i + 1)
    positions.sort()
    limit = 4 * _MAX_MASKED
    n = len(text)
    run_end = -1
    for i in positions:
        if i < run_end:
            continue  # inside the run just walked
        # the run's ASCII characters are stripped off in C on either side, within the limit's
        # reach; past ASCII (a run of other letters) the walk goes on a character at a time
        before = text[i - limit - 1 if i > limit else 0 : i]
        j = i - len(before) + len(before.rstrip(_ASCII_RUN_CHARS))
        if not ascii_text:
            while j > 0 and i - j <= limit and _in_run(text[j - 1]):
                j -= 1
        after = text[i + 1 : i + 1 + limit]
        e = i + 1 + len(after) - len(after.lstrip(_ASCII_RUN_CHARS))
        if not ascii_text:
            while e < n and e - i <= limit and _in_run(text[e]):
                e += 1
        run_end = e
        if i - j > limit or e - i > limit:
            continue  # longer than any word: left alone, as the pattern's length check would
        if text[j] < "\x80" and not text[j].isalpha():
            continue  # the run starts with a digit or a mask ("74%"): the pattern needs a letter
        m = _MASKED_WORD_RE.match(text, j)
        if m is not None:
            yield m


def _closing_star(word: str) -> bool:
    """A whole word and one "*" after it (``*for free*``, ``test*.py``, a footnote): emphasis, a
    glob or a footnote mark, not a masked letter (better_profanity's ``freex`` and ``teste`` would
    read it so); masks that hide letters are inside the word or more than one (``f*ck``, ``f***``)."""
    return word.endswith("*") and not word.endswith("**") and sum(ch in _MASK_SET for ch in word) == 1


def _has_mask(text: str) -> bool:
    """Whether ``text`` holds a mask character (one memchr each, no generator)."""
    for mask in _ASCII_MASKS if text.isascii() else MASKS:  # noqa: SIM110 (a generator costs more than the search)
        if mask in text:
            return True
    return False


#: the ASCII characters ``_in_run`` is true of (a run's ASCII stretches are stripped with them)
_ASCII_RUN_CHARS = "".join(ch for ch in map(chr, range(128)) if ch.isalnum() or ch in _MASK_SET)


def _in_run(ch: str) -> bool:
    if ch < "\x80":  # ASCII: letters and digits are L and N
        return ch.isalnum() or ch in _MASK_SET
    return ch in _MASK_SET or unicodedata.category(ch)[0] in _RUN_CATEGORIES


#: a masked word is 4 to this many letters long (longer runs are not words: left alone)
_MAX_MASKED = 32
#: a masked tail after a plain prefix ("mother******") is at least this long
_MIN_MASKED_TAIL = 5
#: how a masked form is compared: the whole word, or a window (wildcard sides grow to the word)
_M_WHOLE, _M_PREFIX, _M_SUFFIX, _M_INFIX = 0, 1, 2, 3


class _Bucket:
    """Forms of one length (and first letter): for each (position, letter) the set of forms
    with that letter there, as a bit set, so a masked form is matched by ANDing the sets of
    its known letters (a few big-int operations, whatever the number of forms). The bit sets
    are made on the bucket's first look-up: a build pays only for a list of forms."""

    __slots__ = ("bits", "entries", "first", "forms", "full")

    def __init__(self, first: int) -> None:
        self.first = first
        self.forms: list[str] = []
        self.entries: list[tuple[int, int, bool, int, bool]] = []
        self.bits: dict[tuple[int, str], int] | None = None
        self.full = 0

    def add(self, form: str, entry: tuple[int, int, bool, int, bool]) -> None:
        self.forms.append(form)
        self.entries.append(entry)

    def _index(self) -> dict[tuple[int, str], int]:
        members: dict[tuple[int, str], list[int]] = {}
        first = self.first
        for i, form in enumerate(self.forms):
            for p in range(first, len(form)):
                members.setdefault((p, form[p]), []).append(i)
        bits = {key: sum(1 << i for i in idx) for key, idx in members.items()}
        self.full = (1 << len(self.forms)) - 1
        self.bits = bits
        return bits

    def match(self, pattern: str) -> list[tuple[int, int, bool, int, bool]]:
        bits = self.bits if self.bits is not None else self._index()
        acc = self.full
        for p in range(self.first, len(pattern)):
            ch = pattern[p]
            if ch != ".":
                acc &= bits.get((p, ch), 0)
                if not acc:
                    return []
        out = []
        entries = self.entries
        while acc:
            low = acc & -acc
            out.append(entries[low.bit_length() - 1])
            acc ^= low
        return out


class _MaskIndex:
    """Masked words ("f*ck", "sh*t", "f**k", "f***", "f@cking", "mother******") looked up
    against the spelled letters of the evasive lists' terms.

    A masked word keeps its first letter and hides at most half its letters (more only when it
    is short and every reading is in one list: "f***"); a mask is one of ``MASKS``. Forms are
    grouped by (length, first letter) in :class:`_Bucket` bit sets; inflections are taken off
    the word, not added to the forms ("f*cking" is "f*ck" + "ing"). Windows find a term inside
    a longer word for wildcard terms ("f*ckface", "motherf*cker"), and a bare masked tail after
    plain letters stands for the end of a ``*term`` word ("mother******"). Exceptions of a list
    that fit the same form switch that list's reading off. Results are cached per word."""

    def __init__(self) -> None:
        #: (length, first letter) → forms; (length, "") → forms a word can end with (tails)
        self._buckets: dict[tuple[int, str], _Bucket] = {}
        #: first letter → lengths of forms a window at a word's start / inside a word may take
        self._starts: dict[str, set[int]] = {}
        self._inners: dict[str, set[int]] = {}
        self._lengths_start: dict[str, tuple[int, ...]] = {}
        self._lengths_inner: dict[str, tuple[int, ...]] = {}
        self._cache: dict[str, tuple[tuple[int, int], ...]] = {}
        #: lists whose readings are never reported, and those reported
        self._silent: set[int] = set()
        self._reporting: set[int] = set()

    def add(self, list_index: int, term_index: int, term: Term, wl: WordList,
            folded: tuple[str, tuple[int, ...]], *, silent: bool = False) -> None:
        """Index a term's spelled letters. A ``silent`` list's terms (mild words, censored) are
        readings that are never reported but can make a mostly hidden form ambiguous."""
        skel, runs = folded
        (self._silent if silent else self._reporting).add(list_index)
        if " " in skel or not skel:
            return
        letters = skel if runs.count(1) == len(runs) else "".join(
            ch * max(n, 1) for ch, n in zip(skel, runs, strict=True))
        if len(letters) < 3 or not letters.isalpha():
            return
        kind = (_M_INFIX if term.wildcard_start and term.wildcard_end else _M_SUFFIX if term.wildcard_start
                else _M_PREFIX if term.wildcard_end else _M_WHOLE)
        inflects = wl.inflections and not term.exception and not term.wildcard_end
        entry = (list_index, term_index, term.exception, kind, inflects)
        buckets = self._buckets
        key = (len(letters), letters[0])
        bucket = buckets.get(key) or buckets.setdefault(key, _Bucket(1))
        bucket.add(letters, entry)
        if kind in (_M_PREFIX, _M_INFIX):
            self._starts.setdefault(letters[0], set()).add(len(letters))
        if kind in (_M_SUFFIX, _M_INFIX):
            self._inners.setdefault(letters[0], set()).add(len(letters))
            if not term.exception:
                for tail in {letters, *(letters + s for s in INFLECTIONS)}:
                    key = (len(tail), "")
                    bucket = buckets.get(key) or buckets.setdefault(key, _Bucket(0))
                    bucket.add(tail, entry)

    def build(self) -> None:
        self._lengths_start = {ch: tuple(sorted(v)) for ch, v in self._starts.items() if len(v)}
        self._lengths_inner = {ch: tuple(sorted(v)) for ch, v in self._inners.items() if len(v)}
        self._starts, self._inners = {}, {}

    def __bool__(self) -> bool:
        return bool(self._reporting)  # silent readings alone: nothing a scan could report

    def scan(self, text: str, found: list[tuple[int, int, int, int]]) -> None:
        """Append (list_index, term_index, start, end) of every masked word of ``text``."""
        cache = self._cache
        for m in _masked_words(text):
            word = m.group()
            if len(word) > 2 * _MAX_MASKED or _closing_star(word):
                continue
            hits = cache.get(word)
            if hits is None:
                hits = self._lookup(word)
                if len(cache) >= 20_000:
                    cache.clear()
                cache[word] = hits
            for li, ti in hits:
                found.append((li, ti, m.start(), m.end()))

    def _lookup(self, word: str) -> tuple[tuple[int, int], ...]:
        chars: list[str] = []  # folded letters, "." for a mask
        for ch in word:
            if ch in _MASK_SET:
                chars.append(".")
                continue
            folded = _FOLD[ord(ch)]
            if folded == "\x00":
                continue  # a combining mark
            if len(folded) != 1 or not folded.isalpha():
                return ()  # digits, maths, symbols: not a masked word
            chars.append(folded)
        size = len(chars)
        if not 4 <= size <= _MAX_MASKED or chars[0] == ".":
            return ()
        pattern = "".join(chars)
        found: dict[tuple[int, int], None] = {}
        whole = (_M_WHOLE, _M_PREFIX, _M_SUFFIX, _M_INFIX)
        self._match(pattern, whole, found)
        # an inflection in plain letters after a masked stem: f*cking, sh*tting, wh*red
        for suffix in INFLECTIONS:
            stem = pattern[: -len(suffix)]
            if pattern.endswith(suffix) and len(stem) >= 3 and "." in stem:
                self._match(stem, whole, found, inflected=True)
                if suffix in _AFTER_DROPPED_E_SET:
                    self._match(stem + "e", whole, found, inflected=True)
                if len(stem) > 3 and stem[-1] == stem[-2] and stem[-1] != ".":
                    self._match(stem[:-1], whole, found, inflected=True)  # doubled consonant
        # a window at the start (term*), at the end (*term) or inside (*term*): it starts with a
        # letter at most two letters before a mask, holds a mask, and hides at most half its letters
        for start in range(size):
            if start and (pattern[start] == "." or "." not in pattern[start + 1 : start + 3]):
                continue
            lengths = (self._lengths_start if start == 0 else self._lengths_inner).get(pattern[start])
            if not lengths:
                continue
            for length in lengths:
                end = start + length
                if end > size:
                    break
                if start == 0 and end == size:
                    continue
                window = pattern[start:end]
                masked = window.count(".")
                if not masked or masked * 2 > length:
                    continue
                kinds = ((_M_PREFIX, _M_INFIX) if start == 0 else (_M_SUFFIX, _M_INFIX) if end == size
                         else (_M_INFIX,))
                self._match(window, kinds, found)
        # plain letters, then a masked tail standing for the end of a *term word: "mother******"
        head = size - len(pattern.lstrip("abcdefghijklmnopqrstuvwxyz"))
        tail = size - head
        if head >= 3 and tail >= _MIN_MASKED_TAIL and pattern[head:] == "." * tail and tail <= head + 2:
            self._match(pattern[head:], (_M_SUFFIX, _M_INFIX), found, tail_only=True)
        return tuple(found)

    def _match(self, pattern: str, kinds: tuple[int, ...], found: dict[tuple[int, int], None], *,
               inflected: bool = False, tail_only: bool = False) -> None:
        """Terms the masked ``pattern`` ("." a hidden letter) stands for, one per list (its
        first such term). A form with more than half its letters hidden, or a bare masked tail,
        counts only when every reading is in one list (the same action whatever the word) and,
        for a whole word, when it is short ("f***", "b****")."""
        bucket = self._buckets.get((len(pattern), "" if tail_only else pattern[0]))
        if bucket is None:
            return
        hits = bucket.match(pattern)
        if not hits:
            return
        excused = {li for li, _ti, exc, _k, _i in hits if exc}
        silent = self._silent
        best: dict[int, int] = {}
        mild = stem = False
        for li, ti, exc, kind, inflects in hits:
            if exc or kind not in kinds or li in excused or (inflected and not inflects):
                continue
            if li in silent:
                mild = True
                continue
            stem = stem or kind != _M_WHOLE
            if ti < best.get(li, 1 << 60):
                best[li] = ti
        if not best:
            return
        hidden = pattern.count(".")
        if (tail_only or hidden * 2 > len(pattern)) and (
                len(best) != 1 or (not tail_only and len(pattern) > 6)
                # a mild word fits too ("d***": damn, or dago?): only a list's wildcard stem is
                # the likelier reading ("f***": *fuck*, "s***": shit*)
                or (mild and not stem)):
            return
        for li, ti in best.items():
            found[(li, ti)] = None


class Matcher:
    """All lists compiled once; immutable and safe to share between threads."""

    def __init__(self, lists: Sequence[WordList]) -> None:
        with gc_paused():
            self._compile(lists)

    def _compile(self, lists: Sequence[WordList]) -> None:
        self.lists = tuple(lists)
        evasive = _Automaton()
        plain = _Automaton()
        masks = _MaskIndex()
        self.key_count = 0
        #: host → (list_index, term_index) of each domain-list entry naming it
        self._domains: dict[str, list[tuple[int, int]]] = {}
        for li, wl in enumerate(self.lists):
            target = evasive if wl.evasion else plain
            for ti, term in enumerate(wl.terms):
                folded = fold_term(term.text) if wl.evasion else None
                self.key_count += target.add_term(li, ti, term, wl, evasion=wl.evasion, folded=folded)
                # derived forms, inflected phrase words, a phrase run together: keys of this term
                for derived in derived_terms(term, wl) if wl.derive or " " in term.text else ():
                    self.key_count += target.add_term(li, ti, derived, wl, evasion=wl.evasion)
                if wl.kind is ListKind.DOMAINS and wl.evasion and "." in term.text:
                    # a host written to dodge link detection: "hopzone(dot)eu", "hopzone dot eu"
                    dotted = replace(term, text=term.text.replace(".", " dot "))
                    self.key_count += target.add_term(li, ti, dotted, wl, evasion=True)
                    glued = replace(term, text=term.text.replace(".", "dot"))  # "hopzoneDOTeu"
                    self.key_count += target.add_term(li, ti, glued, wl, evasion=True)
                if folded is not None and wl.kind is ListKind.TERMS:
                    # a masked mild word is censored already by its author, and is what censoring
                    # writes: "d***" is left alone, and a reading of it ("damn") makes the form
                    # ambiguous rather than a slur ("dago")
                    masks.add(li, ti, term, wl, folded, silent=wl.action.severity <= Action.CENSOR.severity)
                if wl.kind is ListKind.DOMAINS and not term.exception:
                    self._domains.setdefault(term.text.lower().rstrip("."), []).append((li, ti))
        self._evasive = evasive.build()
        self._plain = plain.build()
        masks.build()
        self._masks = masks

    # ----------------------------------------------------------------------------------------
    def scan(self, text: str) -> list[RawMatch]:
        """Verified matches in ``text``, sorted by position; exceptions applied.

        Text under a right-to-left override or embedding (U+202E, U+202B) is also read in the
        order a reader sees it: "\u202ekcuf" displays as "fuck" and is matched as such."""
        return [RawMatch(*m) for m in self.find(text)]

    def find(self, text: str) -> list[tuple[int, int, int, int]]:
        """What :meth:`scan` finds, as plain ``(list_index, term_index, start, end)`` tuples
        (a check reads them once: no object a match)."""
        result = self._scan_view(text)
        if "\u202e" in text or "\u202b" in text:
            extra = []
            for start, end in _rtl_runs(text):
                length = end - start
                for li, ti, a, b in self._scan_view(text[start:end][::-1]):
                    extra.append((li, ti, start + length - b, start + length - a))
            if extra:
                result = _drop_nested(list(dict.fromkeys(result + extra)))
        return result

    def _scan_view(self, text: str) -> list[tuple[int, int, int, int]]:
        found: list[tuple[_Value, int, int]] = []
        if self._evasive is not None:
            runs = edge_runs(text)  # for the fold's trailing symbols and the edge reading
            self._scan_evasive(text, found, runs)
            # "@word", "¡word!", "(word)": the symbol at the edge also read as punctuation, so
            # that its l33t letter does not glue onto the word ("@shit" is not only "ashit")
            blanked = blank_edge_symbols(text, runs)
            if blanked is not None:
                self._scan_evasive(blanked, found)
        if self._plain is not None:
            padded = plain_fold(text)
            for end, value in self._plain.iter(padded):
                for e in value:
                    _li, _ti, _exc, key_len, lead, trail, _runs, _gs, _ge, inflect = e
                    s = end - key_len + 1 + lead
                    last = end - trail
                    if inflect and (last + 1 >= len(padded) or padded[last + 1] != " " or inflect == _DROPPED_E):
                        last = _inflection_end(padded, last + 1, _AFTER_DROPPED_E_SET if inflect == _DROPPED_E
                                               else _INFLECTION_SET)
                        if last < 0:
                            continue
                    found.append((e, s - 1, last))
        result = self._resolve(text, found) if found else []
        if self._masks and _has_mask(text):
            masked: list[tuple[int, int, int, int]] = []
            self._masks.scan(text, masked)
            if masked:
                result = _drop_nested(list(dict.fromkeys(result + masked)))
        return result

    def _scan_evasive(self, text: str, found: list[tuple[_Value, int, int]],
                      runs: list[tuple[int, int]] | None = None) -> None:
        sk = fold(text, edge=runs)
        self._scan_skeleton(sk, found)
        if SPACED_HINT_RE.search(sk.text):
            for run in SPACED_RUN_RE.finditer(sk.text):
                self._scan_spaced(text, sk, run.start(), run.end(), found)

    def match_host(self, host: str) -> list[tuple[int, int]]:
        """(list_index, term_index) of every domain-list entry covering ``host`` or a parent."""
        domains = self._domains
        if not domains:
            return []
        host = host.lower().rstrip(".")
        found: list[tuple[int, int]] = []
        # one dict look-up per label: "a.b.c" tries "a.b.c", "b.c", "c"
        pos = 0
        while True:
            entries = domains.get(host[pos:])
            if entries:
                found.extend(entries)
            pos = host.find(".", pos) + 1
            if pos <= 0:
                break
        return sorted(found)

    # ----------------------------------------------------------------------------------------
    def _scan_skeleton(self, sk: Skeleton, found: list[tuple[_Value, int, int]]) -> None:
        # the run lengths are made when a candidate first needs them (a clean post's few
        # candidates are mostly rejected before: no map is worked out for them)
        self._verify(sk.text, sk.run_bounds, sk.start_of, sk.end_of, found, spans=sk.map_spans)

    def _verify(self, text: str, run_bounds: Callable[[], Callable[[int], int]], start_of: Callable[[int], int],
                end_of: Callable[[int], int], found: list[tuple[_Value, int, int]], *,
                spans: Callable[[list[int], list[int]], tuple[list[int], list[int]]] | None = None) -> None:
        """Scan a padded skeleton-alphabet ``text`` and verify each key hit: inflections, run
        lengths, wildcard sides grown to the word (by binary search over the text's spaces, so
        a long word full of hits is not walked once per hit). With ``spans`` (the skeleton's
        ``map_spans``), the hits are mapped back to the original text in one call (many in one
        numpy pass). ``run_bounds()`` gives where each character's run starts (as
        ``Skeleton.run_bounds``), asked for on first need."""
        assert self._evasive is not None
        bound: Callable[[int], int] | None = None
        spaces: list[int] | None = None
        verified: list[_Value] = []
        firsts: list[int] = []
        lasts: list[int] = []
        keep, keep_first, keep_last = verified.append, firsts.append, lasts.append
        inflections, after_dropped_e = _INFLECTION_SET, _AFTER_DROPPED_E_SET
        for end, value in self._evasive.iter(text):
            for e in value:
                _li, _ti, _exc, key_len, lead, trail, runs, grow_start, grow_end, inflect = e
                last = end - trail
                # an inflected key ends in the character after the term (``_FOLLOWERS``): a
                # boundary, or the first letter of an inflection that must be the rest of the word
                if inflect and (inflect == _DROPPED_E or text[end] != " "):
                    stop = text.find(" ", end, end + 5)
                    if stop < 0 or text[end:stop] not in (after_dropped_e if inflect == _DROPPED_E
                                                          else inflections):
                        continue
                    # an inflection's letters are single, or repeated evasively (3+), never
                    # doubled: "assess" is not ass + es
                    if bound is None:
                        bound = run_bounds()
                    if _doubled(bound, end, stop):
                        continue
                    last = stop - 1
                first = end - key_len + 1 + lead
                if runs is not None:
                    if bound is None:
                        bound = run_bounds()
                    if not _runs_ok(bound, first, runs):
                        continue
                if grow_start or grow_end:
                    if spaces is None:
                        spaces = [m.start() for m in _SPACE_RE.finditer(text)]  # 0 and size-1 are pads
                    if grow_start:
                        first = spaces[bisect_left(spaces, first) - 1] + 1
                    if grow_end:
                        last = spaces[bisect_left(spaces, last)] - 1
                keep(e)
                keep_first(first)
                keep_last(last)
        if not verified:
            return
        if spans is not None:
            starts, ends = spans(firsts, lasts)
        else:
            starts, ends = [start_of(f) for f in firsts], [end_of(la) for la in lasts]
        found.extend(zip(verified, starts, ends, strict=True))

    def _scan_spaced(self, text: str, sk: Skeleton, start: int, end: int,
                     found: list[tuple[_Value, int, int]]) -> None:
        """Letters of a spaced run ("f u c k", from "f.u.c.k") joined into one word and matched
        as any word is: whole-word terms need the whole run ("C.L.A.S.S.I.C." is not "ass"),
        wildcards grow to the whole run, inflections and exceptions apply.

        A run is cut where the separator between letters changes ("a <b>f.u.c.k</b>": the
        word is the letters joined by "."), and a run joined by spaces that starts with "a" or
        "I" (words of one letter) is also read without it ("a f u c k")."""
        sk_text = sk.text
        positions = list(range(start + 1, end - 1, 2))
        starts, ends, rls = sk.spans_of(positions)
        gaps = [text[ends[k] : starts[k + 1]] for k in range(len(positions) - 1)]
        i = 0
        while i < len(gaps):
            j = i
            while j + 1 < len(gaps) and gaps[j + 1] == gaps[i]:
                j += 1
            # letters i .. j + 1 are joined by the same separator
            if j - i >= 1:
                chars: list[str] = []
                groups: list[tuple[int, int]] = []  # first and last skeleton position of each letter
                runs: list[int] = []
                for k in range(i, j + 2):
                    pos = positions[k]
                    ch = sk_text[pos]
                    if chars and chars[-1] == ch:
                        groups[-1] = (groups[-1][0], pos)
                        runs[-1] += rls[k]
                    else:
                        chars.append(ch)
                        groups.append((pos, pos))
                        runs.append(rls[k])
                self._scan_joined(sk, chars, groups, runs, found)
                if len(chars) > 3 and chars[0] in "ai" and gaps[i].isspace():
                    self._scan_joined(sk, chars[1:], groups[1:], runs[1:], found)
            i = j + 1
        # a spelled-out phrase ("b-u-y f-o-l-l-o-w-e-r-s", "b u y  f o l l o w e r s"): the
        # commonest separator joins letters, any other one is a word break
        if len(set(gaps)) > 1:
            joiner = Counter(gaps).most_common(1)[0][0]
            chars = [sk_text[positions[0]]]
            groups = [(positions[0], positions[0])]
            runs = [rls[0]]
            for k, gap in enumerate(gaps, 1):
                pos = positions[k]
                ch = sk_text[pos]
                if gap != joiner:
                    chars.append(" ")
                    groups.append(groups[-1])
                    runs.append(1)
                elif chars[-1] == ch:
                    groups[-1] = (groups[-1][0], pos)
                    runs[-1] += rls[k]
                    continue
                chars.append(ch)
                groups.append((pos, pos))
                runs.append(rls[k])
            if " " in chars:
                self._scan_joined(sk, chars, groups, runs, found)

    def _scan_joined(self, sk: Skeleton, chars: list[str], groups: list[tuple[int, int]], runs: list[int],
                     found: list[tuple[_Value, int, int]]) -> None:
        word = " " + "".join(chars) + " "
        count = len(chars)
        # where the run of each character of the padded word starts, and one past the end pad
        bounds = [0, 1]
        for run in runs:
            bounds.append(bounds[-1] + run)
        bounds.append(bounds[-1] + 1)

        def start_of(k: int) -> int:
            return sk.start_of(groups[min(max(k, 1), count) - 1][0])

        def end_of(k: int) -> int:
            return sk.end_of(groups[min(max(k, 1), count) - 1][1])

        self._verify(word, lambda: bounds.__getitem__, start_of, end_of, found)

    def _resolve(self, text: str, found: Iterable[tuple[_Value, int, int]]) -> list[tuple[int, int, int, int]]:
        result: list[tuple[int, int, int, int]] = []
        keep = result.append
        exceptions: dict[int, list[tuple[int, int]]] | None = None
        edge = 2 * _PLAUSIBLE_EDGE
        for e, start, end in found:
            if start >= end:
                continue
            if e[2]:  # an exception
                if exceptions is None:
                    exceptions = {}
                spans = exceptions.get(e[0])
                if spans is None:
                    exceptions[e[0]] = [(start, end)]
                else:
                    spans.append((start, end))
                continue
            # a short span of letters is plausible at once (what _plausible tells first)
            if (end - start <= edge and text[start:end].isalpha()) or _plausible(text, start, end):
                keep((e[0], e[1], start, end))
        # (a span found twice, by two readings, is dropped by ``_drop_nested``: no set test here)
        if exceptions is not None:
            covers = {li: _Cover(spans) for li, spans in exceptions.items()}
            kept = []
            for key in result:
                cover = covers.get(key[0])
                if cover is None or not cover.covers(key[2], key[3]):
                    kept.append(key)
            result = kept
        return _drop_nested(result)


def _drop_nested(result: Sequence[tuple[int, int, int, int]]) -> list[tuple[int, int, int, int]]:
    """Within one list, the longest of nested matches (of equal ones, the first: a span found
    twice is kept once); sorted by position. ``result`` holds (list_index, term_index, start,
    end) tuples."""
    if len(result) < 2:
        return list(result)
    ends: dict[int, int] = {}  # list → the furthest end kept so far
    # the common case: found in order of start, each start once (the scan walks the text in
    # order): one sweep keeps the order, and that order is (start, end, list) already
    kept: list[tuple[int, int, int, int]] = []
    keep = kept.append
    furthest = ends.get
    previous = -1
    last: tuple[int, int, int, int] | None = None
    for m in result:
        li, _ti, start, end = m
        if start <= previous:
            if m == last:
                continue  # the same match again, just after (one term reached by two of its keys)
            break
        previous = start
        last = m
        if end <= furthest(li, -1):
            continue  # inside a longer match of the same list
        ends[li] = end
        keep(m)
    else:
        return kept
    # otherwise by start, longest first; the index keeps equal spans in their order (stable)
    order = sorted([(m[2], -m[3], m[0], i) for i, m in enumerate(result)])
    ends = {}
    ordered: list[tuple[int, int, int, int]] = []
    for start, neg_end, li, i in order:
        end = -neg_end
        if end <= ends.get(li, -1):
            continue  # inside a longer (or equal, earlier) match of the same list
        ends[li] = end
        ordered.append((start, end, li, result[i][1]))
    ordered.sort()  # (start, end, list) is unique among the kept
    return [(li, ti, start, end) for start, end, li, ti in ordered]


#: what ends a bidi override or embedding: PDF, an isolate's end, a paragraph's end
_BIDI_END = frozenset("\u202c\u2069\n\r\x1c\x1d\x1e\x85\u2029")
_RTL_START = frozenset("\u202e\u202b")


def _rtl_runs(text: str) -> list[tuple[int, int]]:
    """Spans of ``text`` under a right-to-left override or embedding, up to the first character
    that ends it (nesting is flattened: the run is read reversed as a whole). Linear."""
    runs: list[tuple[int, int]] = []
    start = -1
    for i, ch in enumerate(text):
        if ch in _RTL_START:
            if start < 0:
                start = i + 1
        elif start >= 0 and ch in _BIDI_END:
            if i > start:
                runs.append((start, i))
            start = -1
    if start >= 0 and len(text) > start:
        runs.append((start, len(text)))
    return runs


class _Cover:
    """Exception spans sorted by start, with the running maximum of their ends: whether some span
    contains ``[start, end)`` is one binary search, so n matches against m exceptions cost
    O((n + m) log m), not n × m."""

    __slots__ = ("_few", "_max_ends", "_starts")

    def __init__(self, spans: list[tuple[int, int]]) -> None:
        #: a few spans (a text's usual exception hits) are compared directly, without the sort
        self._few: list[tuple[int, int]] | None = spans if len(spans) <= _FEW_EXCEPTIONS else None
        if self._few is None:
            spans.sort()
            self._starts = [a for a, _b in spans]
            self._max_ends = list(accumulate((b for _a, b in spans), max))

    def covers(self, start: int, end: int) -> bool:
        if self._few is not None:
            for a, b in self._few:  # noqa: SIM110 (a loop: no generator a call)
                if a <= start and end <= b:
                    return True
            return False
        i = bisect_right(self._starts, start)  # spans starting at or before ``start``
        return i > 0 and self._max_ends[i - 1] >= end


#: up to this many exception spans of one list, ``_Cover`` compares them one by one
_FEW_EXCEPTIONS = 8


_PLAUSIBLE_EDGE = 32


def _plausible(text: str, start: int, end: int) -> bool:
    """Reject spans that are numbers or maths read as l33t: no letter at all ("455", "@$$"), a
    number in a maths context ("$3x^2", "3x+1"), or money ("$3x")."""
    if end - start > 2 * _PLAUSIBLE_EDGE:
        # a long span is a wildcard grown over a long word: its two ends tell (and the cost
        # stays bounded however many hits share the word)
        span = text[start : start + _PLAUSIBLE_EDGE] + text[end - _PLAUSIBLE_EDGE : end]
    else:
        span = text[start:end]
    if span.isalpha() or (" " in span and span.replace(" ", "").isalpha()):
        return True  # letters (a phrase: letters and spaces), no digit
    if not any(ch.isalpha() or ch > "\x7f" for ch in span):  # styled letters (ⓢ, 𝐬) are symbols
        return False
    if any(ch.isdigit() for ch in span):
        if _MODEL_CODE_RE.fullmatch(span):
            return False
        if span[0] in _CURRENCY and len(span) > 1 and span[1].isdigit():
            return False
        before = text[start - 1] if start > 0 else ""
        after = text[end] if end < len(text) else ""
        if (before in _MATHS and before) or (after in _MATHS and after):
            return False
    return True
