"""Folding text into a matching skeleton, keeping a map back to the original offsets.

The skeleton of a text is what the automaton scans. It is built in three cheap stages, all in C:

1. ``str.translate`` with one table that folds each character to one character: case, l33t and
   symbols (4 → a, $ → s, 1/!/| → i …), homoglyphs (Cyrillic/Greek/Armenian look-alikes), accents,
   fullwidth/mathematical/circled letters (NFKD), and punctuation/whitespace to a space. Invisible
   characters and combining marks fold to NUL, a placeholder deleted in stage 2. The rare characters
   that expand (``ß`` → ``ss``, ``æ`` → ``ae``, ``ﬁ`` → ``fi``) take a slower path with an explicit map.
2. numpy removes the NULs and collapses every run of one repeated character to one character
   ("fuuuck" → "fuck", "f  u" → "f u"), keeping for each skeleton character the index of its run's
   start, so the original span of any skeleton range is two array look-ups away. A short text of
   one byte a character (up to ``_SHORT_COLLAPSE`` bytes) collapses with integer operations on its
   bytes instead, numpy's fixed cost being more than the whole job there.
3. The skeleton is padded with one space on each side, so that word boundaries are spaces: a whole
   word term ``ass`` becomes the key `` as `` and hits only whole words.

Terms are folded by the same function (:func:`fold_term`), so both sides meet in one alphabet;
run lengths of the term are kept so that the matcher can tell "as" from "ass" afterwards.

The table is filled lazily: ASCII at import, any other character on first sight (then cached).
"""

from __future__ import annotations

import json
import re
import unicodedata
from bisect import bisect_right
from collections.abc import Callable
from functools import cache
from importlib import resources

import numpy as np
import regex

from .draft.codepoints import code_points

__all__ = ["SPACED_RUN_RE", "Skeleton", "blank_edge_symbols", "edge_runs", "fold", "fold_char", "fold_term",
           "plain_fold", "skeleton"]

_NUL = "\x00"

#: ASCII digits and symbols read as letters (l33t). Only inside words: a trailing ``!``, ``|``
#: or ``+`` is punctuation (see ``_TRAILING_SYMBOL_RE``).
LEET = {
    "4": "a", "@": "a", "8": "b", "3": "e", "6": "g", "9": "g", "1": "i", "!": "i", "|": "i",
    "0": "o", "5": "s", "$": "s", "7": "t", "+": "t",
}
#: Characters that look like a Latin letter, applied before case folding (capital forms).
HOMOGLYPHS_UPPER = {
    # Greek capitals
    "Α": "a", "Β": "b", "Ε": "e", "Ζ": "z", "Η": "h", "Ι": "i", "Κ": "k", "Μ": "m", "Ν": "n",
    "Ο": "o", "Ρ": "p", "Τ": "t", "Υ": "y", "Χ": "x",
    # Cyrillic capitals
    "А": "a", "В": "b", "Е": "e", "Ѕ": "s", "І": "i", "Ј": "j", "К": "k", "М": "m", "Н": "h",
    "О": "o", "Р": "p", "С": "c", "Т": "t", "Х": "x", "У": "y", "Ү": "y", "Һ": "h", "Ԛ": "q",
    "Ԝ": "w", "Ӏ": "i",
}
#: Look-alikes among lower-case letters (after case folding) and letters NFKD leaves alone.
HOMOGLYPHS_LOWER = {
    # Cyrillic
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p",
    "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ї": "i", "ј": "j", "ԁ": "d",
    "ԛ": "q", "ԝ": "w", "ь": "b", "һ": "h", "ӏ": "i", "ү": "y", "г": "r", "п": "n", "ɡ": "g",
    # Greek
    "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p",
    "τ": "t", "υ": "u", "χ": "x", "γ": "y", "μ": "u", "ς": "s", "ω": "w", "ϲ": "c", "ϳ": "j",
    "σ": "o",
    # Armenian
    "օ": "o", "ս": "u", "ց": "g", "հ": "h", "ո": "n", "զ": "q", "ա": "w",
    # Latin letters without a decomposition, IPA and symbols used as letters
    "ı": "i", "ȷ": "j", "ɑ": "a", "ɩ": "i", "ø": "o", "đ": "d", "ð": "d", "ħ": "h", "ł": "l",
    "ŧ": "t", "ƒ": "f", "ß": "ss", "æ": "ae", "œ": "oe", "þ": "th", "ĳ": "ij",
    "¡": "i", "¢": "c", "€": "e", "¥": "y", "§": "s",
}
#: Invisible characters deleted from the skeleton (besides every format character, category Cf).
INVISIBLE = frozenset(
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b\u200c\u200d\u200e\u200f\u202a\u202b"
    "\u202c\u202d\u202e\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069\u206a\u206b\u206c"
    "\u206d\u206e\u206f\u3164\ufeff\uffa0"
)

#: Drawn as nothing, so deleted for matching (never a word break): "fu\u2065ck" reads "fuck". The
#: regex module's Unicode data (newer than ``unicodedata``'s), by property, not a hand list.
_IGNORABLE_RE = regex.compile(r"[\p{Default_Ignorable_Code_Point}\p{Cn}\p{Cf}]")

# A "!", "|" or "+" that ends a word is punctuation, not a letter: "hell!" is "hell", "sh!t" is "shit".
#: A run of them is matched once from its first character (the lookbehind) and possessively, so
#: the cost is linear in the run: a long run of "!" is never re-scanned from each of its characters.
_TRAILING_SYMBOL_RE = re.compile(r"(?<![!|+])[!|+]++(?![\w$@])")
_TRAILING_SYMBOL_BYTES_RE = re.compile(rb"(?<![!|+])[!|+]++(?![A-Za-z0-9_$@])")
#: In a skeleton: runs of three or more single characters separated by single spaces ("f u c k").
SPACED_RUN_RE = re.compile(r" (?:\w ){3,}")
#: a cheap test for the same (a literal-led pattern the regex engine scans fast; "not a space"
#: is a plain comparison where ``\w`` is a Unicode look-up, and finds a superset)
SPACED_HINT_RE = re.compile(r" [^ ] [^ ] [^ ] ")


#: symbols read as letters (l33t, ¡ ¢ € ¥ §) at the edge of a word: "@word", "¡word!" may be the
#: word behind punctuation rather than a longer word ("aword"); both readings are matched
#: (a trailing "!", "|" or "+" is punctuation already; a symbol before a number is a price: "$5")
_EDGE_SYMBOLS = "@!|+$¡¢€¥§"
_TRAILING_EDGE_SYMBOLS = "@$¡¢€¥§"
#: the edge symbols an ASCII text can hold (``str.isascii`` is a flag: the others are not searched for)
_ASCII_EDGE_SYMBOLS = "".join(ch for ch in _EDGE_SYMBOLS if ch.isascii())
#: each run is matched once, from its first character (lookbehind) and possessively: linear
_EDGE_SYMBOL_RE = regex.compile(
    rf"(?<![\w{_EDGE_SYMBOLS}])[{_EDGE_SYMBOLS}]++(?=[^\W\d_])"
    rf"|(?<=[^\W\d_])[{_TRAILING_EDGE_SYMBOLS}]++(?![\w{_EDGE_SYMBOLS}])")


def blank_edge_symbols(text: str, runs: list[tuple[int, int]] | None = None) -> str | None:
    """``text`` with the symbol runs at word edges as spaces (same length, so offsets hold),
    or None when it has none: a run before a letter and after no word character, or a run of
    letter-like symbols after a letter and before no word character.

    Every match of ``_EDGE_SYMBOL_RE`` is a whole maximal run of edge symbols, starting at the
    run's first character, so the runs are found with ``str.find`` and the pattern is tried once
    at each run's start: a 2 KB text with one "war!" pays a few µs, not the pattern's walk over
    every character (15 µs). ``runs``: ``edge_runs(text)`` when the caller has it already."""
    if runs is None:
        runs = edge_runs(text)
    if not runs:
        return None
    n = len(text)
    touches = False  # some run touches a letter (else neither reading can match anywhere)
    tried: list[int] = []
    for i, e in runs:
        after = text[e] if e < n else ""
        if not touches and ((i > 0 and text[i - 1].isalpha()) or after.isalpha()):
            touches = True
        # a trailing run starts with a letter-like symbol, a leading one is followed by a
        # letter: the others ("war! ", the end of most sentences) need no pattern call
        if text[i] in _TRAILING_EDGE_SYMBOLS or (after and (after >= "\x80" or after.isalpha())):
            tried.append(i)
    if not touches or not tried:
        return None
    match = _EDGE_SYMBOL_RE.match
    pieces: list[str] = []
    last = 0
    for i in tried:
        m = match(text, i)
        if m is None:
            continue
        end = m.end()
        pieces += (text[last:i], " " * (end - i))
        last = end
    if not pieces:
        return None
    pieces.append(text[last:])
    return "".join(pieces)


def edge_runs(text: str) -> list[tuple[int, int]]:
    """The maximal runs of edge symbols in ``text``, as (start, end), found with ``str.find``
    (one memchr-led search a symbol, never a step a character). Every "!", "|" and "+" is in
    one, so the scan finds them once for both :func:`fold` (the trailing symbols) and
    :func:`blank_edge_symbols`."""
    positions: list[int] = []
    for symbol in _ASCII_EDGE_SYMBOLS if text.isascii() else _EDGE_SYMBOLS:
        i = text.find(symbol)
        while i >= 0:
            positions.append(i)
            i = text.find(symbol, i + 1)
    if not positions:
        return []
    positions.sort()
    # every edge symbol is found, so a run is a stretch of consecutive positions
    runs: list[tuple[int, int]] = []
    start = previous = positions[0]
    for i in positions:
        if i > previous + 1:
            runs.append((start, previous + 1))
            start = i
        previous = i
    runs.append((start, previous + 1))
    return runs


@cache
def _confusable_ascii() -> dict[str, str]:
    """Each non-ASCII character that Unicode's confusables data (UTS #39, as shipped by the
    confusable-homoglyphs package) lists as a look-alike of one ASCII letter or digit, mapped
    to it: ``ꓢ`` → ``S``, ``Ꮪ`` → ``S``, ``Ϲ`` → ``C``, ``Ⅰ`` → ``l``. Letters are preferred
    over digits; read once, on the first non-ASCII character."""
    raw = json.loads(resources.files("confusable_homoglyphs").joinpath("confusables.json").read_text("utf-8"))
    table: dict[str, str] = {}
    for ch, group in raw.items():
        if len(ch) != 1 or ch.isascii():
            continue
        targets = [e["c"] for e in group if len(e["c"]) == 1 and e["c"].isascii() and e["c"].isalnum()]
        letters = [t for t in targets if t.isalpha()]
        if letters or targets:
            table[ch] = (letters or targets)[0]
    return table


def _confusable_letter(ch: str) -> str:
    """The fold of a non-ASCII look-alike of an ASCII letter or digit, or ""."""
    target = _confusable_ascii().get(ch)
    if target is None:
        return ""
    low = target.lower()
    if low == "l":
        # l-shaped (Ⅰ, Ι, І, ǀ): read as "i", like "1" and "|"; every term with an "l" also
        # has an "i" spelling (matcher), so both words are still found
        return "i"
    return LEET.get(low, low)


def fold_char(ch: str) -> str:
    """The skeleton of one character: usually one character; NUL for a deleted character;
    a space for punctuation and whitespace; several characters for the rare expansions."""
    if ch.isascii():
        if "a" <= ch <= "z":
            return ch
        if "A" <= ch <= "Z":
            return ch.lower()
        if ch in LEET:
            return LEET[ch]
        if "0" <= ch <= "9":
            return ch
        if ch in "\t\n\v\f\r":
            return " "
        if ch < " " or ch == "\x7f":
            return _NUL  # control characters are invisible: "fu\x01ck" is "fuck"
        return " "
    if ch in INVISIBLE or _IGNORABLE_RE.match(ch):
        return _NUL
    cat = unicodedata.category(ch)
    if cat in ("Mn", "Me", "Cf", "Cs", "Cc"):
        return _NUL
    if cat == "Mc":
        return ch
    if cat[0] in "ZC":
        return " "
    # Unicode's look-alikes of ASCII letters; not digits of other scripts (Arabic-Indic "١" is
    # a number in its text, not an "l")
    confusable = _confusable_letter(ch) if cat != "Nd" else ""
    if confusable:
        return confusable
    if ch in HOMOGLYPHS_UPPER:
        return HOMOGLYPHS_UPPER[ch]
    if ch in HOMOGLYPHS_LOWER:  # before NFKD, which would turn lunate sigma ϲ into σ
        return HOMOGLYPHS_LOWER[ch]
    decomposed = unicodedata.normalize("NFKD", ch)
    out = []
    for part in decomposed:
        if unicodedata.category(part) in ("Mn", "Me"):
            continue
        if part in HOMOGLYPHS_UPPER:
            out.append(HOMOGLYPHS_UPPER[part])
            continue
        for low in part.casefold():
            if unicodedata.category(low) in ("Mn", "Me"):
                continue
            low = HOMOGLYPHS_LOWER.get(low, low)
            if low.isascii():
                low = "".join(fold_char(c) for c in low)
            out.append(low)
    folded = "".join(out).replace(" ", "")
    if not folded.isascii() or not folded:
        named = _latin_by_name(ch)
        if named:
            return named
    if not folded:
        # only marks (deleted) or only punctuation (a separator)
        return _NUL if decomposed and all(unicodedata.category(p) in ("Mn", "Me") for p in decomposed) else " "
    if not any(c.isalnum() for c in folded):
        return " "
    return folded


_LATIN_NAME_RE = re.compile(
    r"(?:LATIN|REGIONAL INDICATOR SYMBOL|SQUARED LATIN|CIRCLED LATIN)"
    r"(?: CAPITAL| SMALL)?(?: LETTER)?(?: SMALL CAPITAL)? ([A-Z])(?: WITH .*)?$"
)


def _latin_by_name(ch: str) -> str:
    """Styled Latin letters that NFKD leaves alone (🅵, ᴋ small capital, ʂ s with hook, 🇫
    regional indicator), read from their Unicode names."""
    m = _LATIN_NAME_RE.search(unicodedata.name(ch, ""))
    return m.group(1).lower() if m else ""


class _FoldTable(dict[int, str]):
    """``str.translate`` table that computes and caches entries on first use."""

    #: stop caching past this many entries (hostile input cycling through all of Unicode)
    max_size = 200_000

    def __init__(self, fn) -> None:  # type: ignore[no-untyped-def]
        super().__init__()
        self._fn = fn
        for code in range(128):
            self[code] = fn(chr(code))

    def __missing__(self, code: int) -> str:
        value: str = self._fn(chr(code))
        if len(self) < self.max_size:
            self[code] = value
        return value


def _plain_char(ch: str) -> str:
    """Evasion off: case-insensitive, words and spaces only."""
    if ch.isascii():
        return ch.lower() if ch.isalnum() else " "
    low = ch.lower()
    if len(low) != 1:
        low = ch
    if unicodedata.category(ch) in ("Mn", "Mc"):
        return ch
    return low if low.isalnum() else " "


_FOLD = _FoldTable(fold_char)
_PLAIN = _FoldTable(_plain_char)


#: code points below this fold through one array look-up (the BMP and plane 1: 512 KB)
_TABLE_SIZE = 0x20000


class _CodeTable:
    """The fold as arrays of code points, so a whole text folds in one numpy gather.

    The Basic Multilingual Plane and plane 1 (emoji, mathematical letters) are one 128k-entry
    array filled lazily (``UNKNOWN`` until a character is first seen), so a text folds in one
    gather; the other planes (rare) go through a dict. The table's values above every code point
    mark what needs more than the gather: a deleted character (``DELETE``), one whose fold is
    several characters (``EXPANDS``), one not seen yet (``UNKNOWN``), and the last entry
    (U+1FFFF, a noncharacter) is ``ASTRAL``: the gather clips every code past the table to it.
    So one ``max`` of the gathered codes tells whether a text is the common case (none of these).
    """

    DELETE = np.uint32(0xFFFFFFFC)
    ASTRAL = np.uint32(0xFFFFFFFD)
    EXPANDS = np.uint32(0xFFFFFFFE)
    UNKNOWN = np.uint32(0xFFFFFFFF)

    #: ``narrow``'s value for a code whose fold is not one ASCII character (or not known yet)
    WIDE = 0xFF

    def __init__(self) -> None:
        self.ascii_bytes = bytes(ord(fold_char(chr(c))) for c in range(128)) + bytes(range(128, 256))
        self.bmp = np.full(_TABLE_SIZE, self.UNKNOWN, dtype=np.uint32)
        self.bmp[_TABLE_SIZE - 1] = self.ASTRAL
        self.astral: dict[int, int] = {}
        #: the same fold as bytes, for the common non-ASCII text whose fold is all ASCII (accents,
        #: curly quotes, look-alikes, emoji as spaces): 0 for a deleted character, ``WIDE`` for
        #: the rest (and for every code not seen yet), so such a text folds in one byte gather
        self.narrow = np.full(_TABLE_SIZE, self.WIDE, dtype=np.uint8)
        self.narrow[:128] = np.frombuffer(self.ascii_bytes[:128], dtype=np.uint8)

    def _value(self, code: int) -> int:
        folded = fold_char(chr(code))
        if len(folded) != 1:
            return int(self.EXPANDS)
        return int(self.DELETE) if folded == _NUL else ord(folded)

    def fold(self, codes: np.ndarray) -> tuple[np.ndarray, int]:
        """The folded code of every code (``DELETE`` where the character is deleted, ``EXPANDS``
        where its fold is several characters) and the largest of them: below ``DELETE`` in the
        common case, where a text folds with one gather and one ``max``."""
        bmp = self.bmp
        out = bmp.take(codes, mode="clip")
        top = int(out.max(initial=0))
        if top <= self.DELETE:
            return out, top
        if top == self.UNKNOWN:  # first sight of some character: fill it in
            unknown = out == self.UNKNOWN
            narrow = self.narrow
            for code in np.unique(codes[unknown]).tolist():
                folded_code = self._value(code)
                bmp[code] = folded_code
                if code < _TABLE_SIZE - 1:
                    narrow[code] = (0 if folded_code == self.DELETE else folded_code if folded_code < 128
                                    else self.WIDE)
            out = bmp.take(codes, mode="clip")
        if (out == self.ASTRAL).any():
            # characters past plane 1 (and U+1FFFF itself) are few: look them up one by one
            high = np.flatnonzero(codes >= _TABLE_SIZE - 1)
            astral = self.astral
            values = []
            for code in codes[high].tolist():
                value = astral.get(code)
                if value is None:
                    value = self._value(code)
                    if len(astral) < 100_000:
                        astral[code] = value
                values.append(value)
            out[high] = values
        return out, int(out.max(initial=0))


_CODES = _CodeTable()
_SPACE = 32
#: the first character of a text past ASCII (a stdlib class: scanned in C)
_NON_ASCII_RE = re.compile(r"[^\x00-\x7f]")


#: up to this many spans, ``Skeleton.map_spans`` maps them one by one
_FEW_SPANS = 12
#: up to this many deleted characters, the skeleton maps a position back without an array
_FEW_DELETIONS = 32


def _same(i: int) -> int:
    return i


class Skeleton:
    """A folded, collapsed, space-padded view of a text with the map back to it.

    Skeleton character ``i`` (``0 < i < len(text) - 1``) stands for the original characters
    ``[start_of(i), end_of(i))``: a whole run for a collapsed repeat. Index 0 and the last index
    are the padding. The maps are only read for candidate matches, so they stay numpy arrays
    and ``heads`` is made on first use: ``heads[i]`` is where skeleton character ``i`` starts in
    the folded, padded array (None: nothing collapsed), and ``origin[j]`` the original index of
    folded position ``j`` (None: the identity), also made on first use when the fold only
    deleted characters from a one-byte-per-character text (``deleted_from``: that text, with NUL
    where a character was deleted).
    """

    __slots__ = ("_bounds", "_deleted_at", "_deleted_from", "_heads", "_mask", "_origin", "folded_length", "length",
                 "text")

    def __init__(self, text: str, length: int, origin: np.ndarray | None = None, folded_length: int = 0, *,
                 mask: np.ndarray | bytes | None = None, deleted_from: bytes | None = None) -> None:
        self.text = text
        #: length of the original text
        self.length = length
        self._heads: np.ndarray | None = None
        self._bounds: np.ndarray | None = None
        #: where runs start in the folded, padded array (True), with one True after its end,
        #: when ``heads`` is not made yet (bytes of 0 and 1 for a short text: read as an array then)
        self._mask = mask
        self._origin = origin
        self._deleted_from = deleted_from
        #: a few deletions: where each is among the kept characters, for look-ups without the array
        self._deleted_at: list[int] | None = None
        if deleted_from is not None and deleted_from.count(0) <= _FEW_DELETIONS:
            at: list[int] = []
            i = deleted_from.find(0)
            while i >= 0:
                at.append(i - len(at))
                i = deleted_from.find(0, i + 1)
            self._deleted_at = at
        #: length of the folded, padded array (after deletions)
        self.folded_length = folded_length

    @property
    def origin(self) -> np.ndarray | None:
        origin = self._origin
        if origin is None and self._deleted_from is not None:
            origin = np.flatnonzero(np.frombuffer(self._deleted_from, dtype=np.uint8)) - 1
            origin[-1] = self.length
            self._origin = origin
            self._deleted_from = None
        return origin

    @property
    def heads(self) -> np.ndarray | None:
        if self._heads is None and self._mask is not None:
            self._make_heads()
        return self._heads

    @property
    def bounds(self) -> np.ndarray | None:
        """``heads`` and then ``folded_length``: where the run of skeleton character ``i`` starts
        (``bounds[i]``) and ends (``bounds[i + 1]``) in the folded array, with no copy to append."""
        if self._bounds is None and self._mask is not None:
            self._make_heads()
        return self._bounds

    def _make_heads(self) -> None:
        mask = self._mask
        assert mask is not None
        if isinstance(mask, bytes):  # a short text's mask, made without numpy (``_collapse_short``)
            mask = np.frombuffer(mask, dtype=np.bool_)
        bounds = self._bounds = mask.nonzero()[0]  # the mask's last True is the end
        self._heads = bounds[:-1]
        self._mask = None

    def __repr__(self) -> str:
        return f"Skeleton({self.text!r}, length={self.length})"

    def _origin_of(self) -> Callable[[int], int] | None:
        """``origin.item``, or the same worked out from a few deletions (None: the identity)."""
        if self._origin is None and self._deleted_at is not None:
            at = self._deleted_at

            def origin_of(j: int) -> int:
                return j - 1 + bisect_right(at, j)

            return origin_of
        origin = self.origin
        return None if origin is None else origin.item

    def _orig(self, j: int) -> int:
        origin = self._origin_of()
        return j - 1 if origin is None else int(origin(j))

    def _head(self, i: int) -> int:
        heads = self.heads
        if heads is None:
            return i
        if i >= len(heads):
            return self.folded_length
        return int(heads.item(i))

    def start_of(self, i: int) -> int:
        return min(max(0, self._orig(self._head(i))), self.length)

    def end_of(self, i: int) -> int:
        """Where the run of skeleton character ``i`` ends: the next surviving character's start
        (deleted marks after a letter belong to it), at least one past its own start."""
        start = self.start_of(i)
        nxt = self._head(i + 1)
        end = self.length if nxt >= self.folded_length - 1 else self._orig(nxt)
        return min(max(end, start + 1), self.length)

    def run_length(self, i: int) -> int:
        if self.heads is None:
            return 1
        return self._head(i + 1) - self._head(i)

    def run_bounds(self) -> Callable[[int], int]:
        """Where the run of each skeleton character starts in the folded array, with one more
        for the end: the run of character ``i`` is ``bound(i + 1) - bound(i)``, two look-ups
        for the many of one scan (``bounds.item``; the identity when nothing collapsed)."""
        bounds = self.bounds
        return _same if bounds is None else bounds.item

    def map_spans(self, firsts: list[int], lasts: list[int]) -> tuple[list[int], list[int]]:
        """``start_of`` of each of ``firsts`` and ``end_of`` of each of ``lasts``, in one numpy
        pass (a dense text's many matches)."""
        m = len(firsts)
        n = self.length
        # nothing expanded, nothing or a few characters deleted (most texts; an emoji's U+FE0F):
        # an original index is a folded one less the pad plus the deletions up to it, a span ends
        # where the run after its last character starts, and the map only rises, so each end is
        # past its start; clamping to the text is all that is left
        identity = self._origin is None and self.folded_length == n + 2
        at = self._deleted_at
        if m <= _FEW_SPANS and self._origin is None and (identity or at is not None):
            item = self.run_bounds()
            deleted = at or ()
            stop = self.folded_length - 1
            return ([0 if (b := (f := item(first)) - 1 + bisect_right(deleted, f)) < 0 else n if b > n else b
                     for first in firsts],
                    [n if (f := item(last + 1)) >= stop or (b := f - 1 + bisect_right(deleted, f)) > n else b
                     for last in lasts])
        if m <= _FEW_SPANS:
            # a few: start_of and end_of written out (the numpy pass has a fixed cost of ~10 µs)
            heads = self.heads
            head = None if heads is None else heads.item
            origin = self._origin_of()
            count = 0 if heads is None else len(heads)
            folded_length = self.folded_length
            starts: list[int] = []
            ends: list[int] = []
            # (the bounds are kept with comparisons: a builtin call each would cost as much again)
            for first, last in zip(firsts, lasts, strict=True):
                h = first if head is None else head(first) if first < count else folded_length
                start = h - 1 if origin is None else int(origin(h))
                starts.append(0 if start < 0 else n if start > n else start)
                h = last if head is None else head(last) if last < count else folded_length
                start = h - 1 if origin is None else int(origin(h))
                start = 0 if start < 0 else n if start > n else start
                nxt = last + 1 if head is None else head(last + 1) if last + 1 < count else folded_length
                end = n if nxt >= folded_length - 1 else nxt - 1 if origin is None else int(origin(nxt))
                if end <= start:
                    end = start + 1
                ends.append(n if end > n else end)
            return starts, ends
        pos = np.array(firsts + lasts, dtype=np.intp)
        bounds = self.bounds
        if identity:
            pos[m:] += 1  # the character after each last
            found = pos if bounds is None else bounds.take(pos, mode="clip")
            found -= 1
            np.maximum(found, 0, out=found)  # (the ufuncs: ``clip`` goes through Python code)
            np.minimum(found, n, out=found)
            return found[:m].tolist(), found[m:].tolist()
        origins = self.origin
        after = pos[m:] + 1  # the character after each last
        if bounds is None:
            h, nxt = pos, after
        else:
            h, nxt = bounds.take(pos, mode="clip"), bounds.take(after, mode="clip")
        if origins is None:
            o, o_nxt = h - 1, nxt - 1
        else:
            o, o_nxt = origins.take(h, mode="clip"), origins.take(nxt, mode="clip")
        begins = np.minimum(np.maximum(o, 0), n)  # of the firsts, then of the lasts
        stops = np.where(nxt >= self.folded_length - 1, n, o_nxt)
        stops = np.minimum(np.maximum(stops, begins[m:] + 1), n)
        return begins[:m].tolist(), stops.tolist()

    def spans_of(self, idx: list[int]) -> tuple[list[int], list[int], list[int]]:
        """``start_of``, ``end_of`` and ``run_length`` of many skeleton indices at once (numpy),
        for the views that read every letter of a long run."""
        i = np.asarray(idx, dtype=np.int64)
        bounds = self.bounds
        if bounds is None:
            head, nxt = i, i + 1
        else:
            head, nxt = bounds.take(i, mode="clip"), bounds.take(i + 1, mode="clip")

        def orig(j: np.ndarray) -> np.ndarray:
            if self.origin is None:
                return j - 1
            return self.origin[np.minimum(j, len(self.origin) - 1)].astype(np.int64)

        starts = np.minimum(np.maximum(orig(head), 0), self.length)
        ends = np.where(nxt >= self.folded_length - 1, self.length, orig(nxt))
        ends = np.minimum(np.maximum(ends, starts + 1), self.length)
        return starts.tolist(), ends.tolist(), (nxt - head).tolist()


def _expand(text: str) -> tuple[str, list[int]]:
    """Slow path for texts with expanding characters: the folded text with one original index
    per folded character (deleted characters keep their NUL, one a character)."""
    pieces: list[str] = []
    origin: list[int] = []
    table = _FOLD
    for i, ch in enumerate(text):
        piece = table[ord(ch)]
        pieces.append(piece)
        origin.extend([i] * len(piece))
    return "".join(pieces), origin


def _blank_run(m: re.Match[str]) -> str:
    return " " * (m.end() - m.start())


def _blank_run_bytes(m: re.Match[bytes]) -> bytes:
    return b" " * (m.end() - m.start())


def _fold_ascii(text: str, runs: list[tuple[int, int]] | None = None) -> bytes:
    """ASCII fold in C (``bytes.translate``), padded; a "!", "|" or "+" ending a word is a space."""
    raw = text.encode("ascii")
    if b"!" in raw or b"|" in raw or b"+" in raw:
        # linear: each symbol found once with str.find
        blanks = _trailing_symbols(text) if runs is None else _trailing_in_runs(text, runs)
        if blanks:
            raw = _blanked(raw, blanks)
    return b" " + raw.translate(_CODES.ascii_bytes) + b" "


def _blanked(raw: bytes, positions: list[int]) -> bytes:
    """``raw`` with a space at each of ``positions`` (one byte a character)."""
    patched = bytearray(raw)
    for i in positions:
        patched[i] = _SPACE
    return bytes(patched)


#: the symbols ``[\\w$@!|+]`` matches besides letters and digits
_WORDISH_SYMBOLS = "_$@!|+"


def _wordish(ch: str) -> bool:
    """What ``[\\w$@!|+]`` matches: a symbol before such a character is inside a word."""
    return ch.isalnum() or ch in _WORDISH_SYMBOLS


def _trailing_symbols(text: str) -> list[int]:
    """Positions of the ``!``, ``|`` and ``+`` that end a word (``_TRAILING_SYMBOL_RE``), found
    with ``str.find`` instead of a regex walk over every character."""
    found: list[int] = []
    for symbol in "!|+":
        i = text.find(symbol)
        while i >= 0:
            found.append(i)
            i = text.find(symbol, i + 1)
    found.sort()
    n = len(text)
    count = len(found)
    blanks: list[int] = []
    k = 0
    while k < count:
        j = k
        while j + 1 < count and found[j + 1] == found[j] + 1:
            j += 1
        after = found[j] + 1
        if after >= n or not _wordish(text[after]):
            if j == k:
                blanks.append(found[k])
            else:
                blanks.extend(found[k : j + 1])
        k = j + 1
    return blanks


def _trailing_in_runs(text: str, runs: list[tuple[int, int]]) -> list[int]:
    """``_trailing_symbols(text)`` read from ``edge_runs(text)``, which hold every "!", "|" and
    "+": a group of them is one stretch inside a run, followed by the character after it."""
    n = len(text)
    blanks: list[int] = []
    for i, e in runs:
        if e == i + 1:  # one symbol, the common case ("war! ")
            if text[i] in "!|+":
                if e >= n:
                    blanks.append(i)
                else:
                    follower = text[e]  # _wordish inline: most runs are one "!" a sentence
                    if not (follower.isalnum() or follower in _WORDISH_SYMBOLS):
                        blanks.append(i)
            continue
        k = i
        while k < e:
            if text[k] not in "!|+":
                k += 1
                continue
            j = k
            while j + 1 < e and text[j + 1] in "!|+":
                j += 1
            after = j + 1
            if after >= n or not _wordish(text[after]):
                if j == k:
                    blanks.append(k)
                else:
                    blanks.extend(range(k, j + 1))
            k = j + 1
    return blanks


def fold(text: str, *, edge: list[tuple[int, int]] | None = None) -> Skeleton:
    """The skeleton of ``text`` (see the module docstring). ``edge``: ``edge_runs(text)``, when
    the caller has it already."""
    n = len(text)
    origin: np.ndarray | None = None
    orig_of: np.ndarray | None = None
    codes: np.ndarray | None = None
    blanks: list[int] = []
    if text.isascii():
        # no expansions are possible; deletions only for control characters (rare)
        padded: bytes | None = _fold_ascii(text, edge)
    else:
        if edge is not None:
            blanks = _trailing_in_runs(text, edge) if edge else []
        else:
            blanks = _trailing_symbols(text) if ("!" in text or "|" in text or "+" in text) else []
        codes = code_points(text)
        padded = None
        # most non-ASCII text folds to ASCII: one byte gather, then what an ASCII text does. A text
        # whose first non-ASCII character folds past ASCII (Cyrillic, Greek, Arabic: most of its
        # letters will) goes to the wide fold at once, without the gather it would throw away
        first = _NON_ASCII_RE.search(text)
        if first is not None and _CODES.narrow.item(min(ord(first.group()), _TABLE_SIZE - 1)) != _CodeTable.WIDE:
            narrow = _CODES.narrow.take(codes, mode="clip")
            raw = narrow.tobytes()
            if raw.isascii():
                padded = b" " + (_blanked(raw, blanks) if blanks else raw) + b" "
    deleted_from: bytes | None = None
    if padded is not None:
        if b"\x00" in padded:
            # deleted characters (an emoji's variation selector, a zero-width space): their
            # map back is made when a candidate needs it
            deleted_from = padded
            padded = padded.replace(b"\x00", b"")
        size = len(padded)
        if size <= _SHORT_COLLAPSE:
            collapsed_text, keep = _collapse_short(padded)
            return Skeleton(collapsed_text, n, None, size, mask=keep, deleted_from=deleted_from)
        arr = np.frombuffer(padded, dtype=np.uint8)
    else:
        assert codes is not None
        folded, top = _CODES.fold(codes)
        if blanks:
            folded[blanks] = _SPACE
        if top < _CodeTable.DELETE:
            # every character folds to one, none is deleted (some to a letter past ASCII)
            arr = np.empty(n + 2, dtype=np.uint8 if top < 128 else np.uint32)
            arr[0] = arr[-1] = _SPACE
            arr[1:-1] = folded
        elif top == _CodeTable.DELETE:
            # deletions, no expansion (combining accents on Cyrillic, say)
            kept_at = (folded != _CodeTable.DELETE).nonzero()[0]
            size = len(kept_at) + 2
            arr = np.empty(size, dtype=np.uint32)
            arr[0] = arr[-1] = _SPACE
            arr[1:-1] = folded[kept_at]
            orig_of = np.empty(size, dtype=np.int64)
            orig_of[0] = -1
            orig_of[1:-1] = kept_at
            orig_of[-1] = n
        else:
            if blanks:
                chars = list(text)
                for i in blanks:
                    chars[i] = " "
                text = "".join(chars)
            expanded, origin_list = _expand(text)
            folded = np.frombuffer(expanded.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
            origin = np.asarray(origin_list, dtype=np.int64)
            arr = np.empty(len(folded) + 2, dtype=np.uint32)
            arr[0] = arr[-1] = _SPACE
            arr[1:-1] = folded
            if not arr.all():
                keep = arr != 0
                arr = arr[keep]
                orig_of = np.concatenate(([-1], origin, [n]))[keep]
            else:
                orig_of = np.concatenate(([-1], origin, [n]))
            orig_of[-1] = n
    # collapse runs: a character survives where it differs from the one before; where the runs
    # start (``heads``) is only worked out when a candidate needs the map
    size = len(arr)
    mask = np.empty(size + 1, dtype=bool)  # and one past the end: ``Skeleton.bounds`` ends there
    mask[0] = mask[size] = True
    np.not_equal(arr[1:], arr[:-1], out=mask[1:size])
    collapsed = arr[mask[:size]]
    if len(collapsed) == size:
        return Skeleton(_decode(collapsed), n, orig_of, size, deleted_from=deleted_from)
    return Skeleton(_decode(collapsed), n, orig_of, size, mask=mask, deleted_from=deleted_from)


#: up to this many bytes, a one-byte-a-character skeleton collapses its runs with integer
#: operations (numpy's fixed cost of about 1.5 µs is more than the whole collapse of a short reply)
_SHORT_COLLAPSE = 256
#: byte 0 stays 0, every other byte becomes 1
_NONZERO_TO_ONE = bytes(1) + b"\x01" * 255


def _collapse_short(padded: bytes) -> tuple[str, bytes | None]:
    """``padded`` (no NUL in it) with each run of one byte kept once, and the runs' mask as
    ``fold`` makes it (1 where a run starts, one more 1 past the end) as bytes: None when
    nothing repeats."""
    size = len(padded)
    x = int.from_bytes(padded, "big")
    # byte i of x ^ (x >> 8) is padded[i] ^ padded[i - 1] (byte 0 is the pad itself): 0 where a
    # character repeats the one before it
    keep = (x ^ (x >> 8)).to_bytes(size, "big").translate(_NONZERO_TO_ONE)
    if b"\x00" not in keep:
        return padded.decode("ascii"), None
    # each byte of ``keep`` is 0 or 1, so 255 times it is a byte mask (no byte carries); the
    # repeats become NUL and are deleted in one pass
    kept = (x & int.from_bytes(keep, "big") * 255).to_bytes(size, "big").translate(None, b"\x00")
    return kept.decode("ascii"), keep + b"\x01"


def _decode(arr: np.ndarray) -> str:
    if arr.dtype == np.uint8:
        return arr.tobytes().decode("ascii")
    return arr.tobytes().decode("utf-32-le", "surrogatepass")


_ASCII_FOLD_STR = str.maketrans({chr(c): fold_char(chr(c)) for c in range(128)})


def fold_term(term: str) -> tuple[str, tuple[int, ...]]:
    """A term's skeleton (collapsed, no padding, single spaces) and the run length of each of
    its characters: ``fold_term("ass") == ("as", (1, 2))``. Spaces between words get run 1."""
    if term.isascii():
        if "!" in term or "|" in term or "+" in term:
            term = _TRAILING_SYMBOL_RE.sub(_blank_run, term)
        folded = " ".join(term.translate(_ASCII_FOLD_STR).split())
    else:
        sk = fold(term)
        pieces = []
        for i in range(1, len(sk.text) - 1):
            pieces.append(sk.text[i] * (1 if sk.text[i] == " " else sk.run_length(i)))
        folded = " ".join("".join(pieces).split())
    chars: list[str] = []
    runs: list[int] = []
    prev = ""
    for ch in folded:
        if ch == prev:
            if ch != " ":
                runs[-1] += 1
        else:
            chars.append(ch)
            runs.append(1)
            prev = ch
    return "".join(chars), tuple(runs)


def plain_fold(text: str) -> str:
    """Evasion-off view: lower case, non-word characters as spaces, padded; same length + 2."""
    return " " + text.translate(_PLAIN) + " "


#: ASCII characters that look like another ASCII character or pair, by UTS #39's prototypes
_ASCII_PROTOTYPE = {"I": "l", "1": "l", "|": "l", "0": "o", "O": "o"}
#: ASCII pairs drawn like one letter
_ASCII_PAIRS = (("rn", "m"), ("vv", "w"), ("cl", "d"))
#: the longest name :func:`skeleton` reads (user names are short; a longer text is cut)
MAX_SKELETON_INPUT = 1000


def skeleton(name: str) -> str:
    """A user name's skeleton in the spirit of UTS #39: two names that look alike have the
    same skeleton ("mоderator" with a Cyrillic о, "rnoderator", "MODERATOR" and "moderator"
    all give "moderator"), from the same Unicode confusables data as the matcher.

    Steps: NFKD; invisible characters (default-ignorable, unassigned, format) and combining
    marks dropped; each non-ASCII look-alike of an ASCII letter or digit replaced by it; the
    l-shaped ``I``/``1``/``|`` read as ``l`` and ``0`` as ``o``; case folded; ``rn``/``vv``/``cl``
    read as ``m``/``w``/``d``. Characters of other scripts without a Latin look-alike are kept
    (case folded), so "Дмитрий" and "Dmitri" stay different. Only the first
    ``MAX_SKELETON_INPUT`` characters are read."""
    table = _confusable_ascii()
    out: list[str] = []
    for ch in unicodedata.normalize("NFKD", name[:MAX_SKELETON_INPUT]):
        if ch.isascii():
            if ch < " " or ch == "\x7f":
                continue
            out.append(_ASCII_PROTOTYPE.get(ch, ch))
            continue
        if ch in INVISIBLE or _IGNORABLE_RE.match(ch) or unicodedata.category(ch) in ("Mn", "Me"):
            continue
        target = table.get(ch)
        if target is not None:
            out.append(_ASCII_PROTOTYPE.get(target, target))
        else:
            out.append(ch)
    folded = "".join(out).casefold()
    for pair, letter in _ASCII_PAIRS:
        folded = folded.replace(pair, letter)
    return unicodedata.normalize("NFC", folded)
