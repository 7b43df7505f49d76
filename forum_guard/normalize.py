"""Folding text into a matching skeleton, keeping a map back to the original offsets.

The skeleton of a text is what the automaton scans. It is built in three cheap stages, all in C:

1. ``str.translate`` with one table that folds each character to one character: case, l33t and
   symbols (4 → a, $ → s, 1/!/| → i …), homoglyphs (Cyrillic/Greek/Armenian look-alikes), accents,
   fullwidth/mathematical/circled letters (NFKD), and punctuation/whitespace to a space. Invisible
   characters and combining marks fold to NUL, a placeholder deleted in stage 2. The rare characters
   that expand (``ß`` → ``ss``, ``æ`` → ``ae``, ``ﬁ`` → ``fi``) take a slower path with an explicit map.
2. numpy removes the NULs and collapses every run of one repeated character to one character
   ("fuuuck" → "fuck", "f  u" → "f u"), keeping for each skeleton character the index of its run's
   start, so the original span of any skeleton range is two array look-ups away.
3. The skeleton is padded with one space on each side, so that word boundaries are spaces: a whole
   word term ``ass`` becomes the key `` as `` and hits only whole words.

Terms are folded by the same function (:func:`fold_term`), so both sides meet in one alphabet;
run lengths of the term are kept so that the matcher can tell "as" from "ass" afterwards.

The table is filled lazily: ASCII at import, any other character on first sight (then cached).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import numpy as np

__all__ = ["Skeleton", "fold", "fold_term", "fold_char", "plain_fold", "SPACED_RUN_RE"]

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

# A "!", "|" or "+" that ends a word is punctuation, not a letter: "hell!" is "hell", "sh!t" is "shit".
_TRAILING_SYMBOL_RE = re.compile(r"[!|+](?=[!|+]*(?![\w$@!|+]))")
#: In a skeleton: runs of three or more single characters separated by single spaces ("f u c k").
SPACED_RUN_RE = re.compile(r" (?:\w ){3,}")


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
        return " "
    if ch in INVISIBLE:
        return _NUL
    cat = unicodedata.category(ch)
    if cat in ("Mn", "Me", "Cf", "Cs"):
        return _NUL
    if cat == "Mc":
        return ch
    if cat[0] in "ZC":
        return " "
    if ch in HOMOGLYPHS_UPPER:
        return HOMOGLYPHS_UPPER[ch]
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
    if not folded:
        # only marks (deleted) or only punctuation (a separator)
        return _NUL if decomposed and all(unicodedata.category(p) in ("Mn", "Me") for p in decomposed) else " "
    if not any(c.isalnum() for c in folded):
        return " "
    return folded


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


@dataclass(frozen=True, slots=True)
class Skeleton:
    """A folded, collapsed, space-padded view of a text with the map back to it.

    Skeleton character ``i`` (``0 < i < len(text) - 1``) stands for the original characters
    ``[start_of(i), end_of(i))``: a whole run for a collapsed repeat. Index 0 and the last index
    are the padding. Without deletions, expansions or repeats the maps are None (identity).
    """

    text: str
    #: length of the original text
    length: int
    #: skeleton index -> original index of its run's first character
    starts: np.ndarray | None = None
    #: skeleton index -> number of folded characters in its run
    runs: np.ndarray | None = None
    #: skeleton index -> original index just past its run
    ends: np.ndarray | None = None

    def start_of(self, i: int) -> int:
        if self.starts is None:
            return max(0, min(i - 1, self.length))
        return max(0, int(self.starts[i]))

    def end_of(self, i: int) -> int:
        if self.ends is None:
            return max(0, min(i, self.length))
        return int(self.ends[i])

    def run_length(self, i: int) -> int:
        if self.runs is None:
            return 1
        return int(self.runs[i])


def _utf32(s: str) -> np.ndarray:
    if s.isascii():
        return np.frombuffer(s.encode("ascii"), dtype=np.uint8)
    return np.frombuffer(s.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def _decode(arr: np.ndarray) -> str:
    if arr.dtype == np.uint8:
        return arr.tobytes().decode("ascii")
    return arr.tobytes().decode("utf-32-le", "surrogatepass")


def _expand(text: str, folded: str) -> tuple[str, list[int]]:
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


def fold(text: str) -> Skeleton:
    """The skeleton of ``text`` (see the module docstring)."""
    pre = _TRAILING_SYMBOL_RE.sub(" ", text) if ("!" in text or "|" in text or "+" in text) else text
    folded = pre.translate(_FOLD)
    origin: np.ndarray | None = None
    if len(folded) != len(text):
        folded, origin_list = _expand(pre, folded)
        origin = np.asarray(origin_list, dtype=np.int64)
    padded = " " + folded + " "
    arr = _utf32(padded)
    n = len(text)
    # positions in `padded` that survive, and their original indexes
    if origin is None:
        orig_of = np.arange(-1, len(padded) - 1, dtype=np.int64)
        orig_of[-1] = n
    else:
        orig_of = np.concatenate(([-1], origin, [n])).astype(np.int64)
    if _NUL in folded:
        keep = arr != 0
        arr = arr[keep]
        orig_of = orig_of[keep]
    same = arr[1:] == arr[:-1]
    if origin is None and len(arr) == len(padded) and not same.any():
        return Skeleton(padded, n)
    heads = np.empty(len(arr), dtype=bool)
    heads[0] = True
    np.logical_not(same, out=heads[1:])
    head_idx = np.flatnonzero(heads)
    skeleton = _decode(arr[head_idx])
    starts = orig_of[head_idx]
    # runs and ends: a run spans head_idx[k] .. head_idx[k+1]-1 in the surviving array
    runs = np.diff(np.append(head_idx, len(arr)))
    # a run ends where the next surviving character starts: deleted marks after it belong to it
    ends = np.append(orig_of[head_idx[1:]], n)
    starts_full = starts.copy()
    starts_full[-1] = n
    return Skeleton(skeleton, n, starts_full, runs, ends)


def fold_term(term: str) -> tuple[str, tuple[int, ...]]:
    """A term's skeleton (collapsed, no padding, single spaces) and the run length of each of
    its characters: ``fold_term("ass") == ("as", (1, 2))``."""
    sk = fold(term)
    text = sk.text[1:-1]
    runs = tuple(sk.run_length(i) for i in range(1, len(sk.text) - 1))
    # inner whitespace/punctuation of a phrase: one space, no run requirement
    stripped = text.strip(" ")
    lead = len(text) - len(text.lstrip(" "))
    runs = runs[lead : lead + len(stripped)]
    runs = tuple(1 if c == " " else r for c, r in zip(stripped, runs, strict=True))
    return stripped, runs


def plain_fold(text: str) -> str:
    """Evasion-off view: lower case, non-word characters as spaces, padded; same length + 2."""
    return " " + text.translate(_PLAIN) + " "
