"""Inflected forms of non-English terms, through a real stemmer (Snowball).

The automaton (:mod:`forum_guard.engine.matcher`) knows English inflections only (-s, -ed, -ing…).
A list with a ``language:`` option (``ru``, ``de``, ``es``, ``fr``…) also matches every word whose
Snowball stem is the stem of one of its one-word terms: ``бляди`` and ``блядей`` for ``блядь``,
``Arschlöcher`` for ``Arschloch``, ``putas`` for ``puta``. Digits and Latin letters written for
look-alike letters of the list's script are read as those letters first (``6ля`` → ``бля``,
``cука`` with a Latin c → ``сука``).

Cost: one pass of a word regex over the text; a word is stemmed only when its first letters start
some term's stem (most words never are), so a check pays about a microsecond per candidate word.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import regex
import snowballstemmer

from .terms import ListKind, WordList

__all__ = ["LANGUAGES", "StemIndex", "StemMatch", "language_name"]

#: ISO 639-1 code → Snowball algorithm. English is the automaton's own inflection rule.
LANGUAGES: dict[str, str] = {
    "ar": "arabic", "ca": "catalan", "da": "danish", "de": "german", "el": "greek", "es": "spanish",
    "eu": "basque", "fi": "finnish", "fr": "french", "ga": "irish", "hi": "hindi", "hu": "hungarian",
    "hy": "armenian", "id": "indonesian", "it": "italian", "lt": "lithuanian", "ne": "nepali",
    "nl": "dutch", "no": "norwegian", "pt": "portuguese", "ro": "romanian", "ru": "russian",
    "sr": "serbian", "sv": "swedish", "ta": "tamil", "tr": "turkish", "uk": "russian", "yi": "yiddish",
}

#: characters written for a letter of the list's script when they stand among its letters:
#: digits and symbols (non-Latin l33t) and Latin look-alikes
_LOOKALIKES: dict[str, dict[str, str]] = {
    "cyrillic": {
        "0": "о", "3": "з", "4": "ч", "6": "б", "@": "а", "a": "а", "b": "в", "c": "с", "e": "е", "k": "к",
        "m": "м", "h": "н", "o": "о", "p": "р", "t": "т", "u": "и", "x": "х", "y": "у", "r": "г", "n": "п",
    },
    "greek": {"0": "ο", "a": "α", "o": "ο", "p": "ρ", "t": "τ", "x": "χ", "k": "κ", "v": "ν", "u": "υ"},
}
_SCRIPT_OF = {"ru": "cyrillic", "uk": "cyrillic", "sr": "cyrillic", "el": "greek"}
_SCRIPT_RE = {"cyrillic": regex.compile(r"\p{Cyrillic}"), "greek": regex.compile(r"\p{Greek}")}

#: a word: letters and marks, with digits and the l33t symbols a word may hide behind
_WORD_RE = regex.compile(r"[\p{L}\p{M}0-9@$]+")
#: the shortest stem matched by stem alone: shorter ones ("ху") would hit unrelated words
MIN_STEM = 3
_PREFIX = 3


def language_name(code: str) -> str:
    """The Snowball algorithm of an ISO 639-1 code; ``ValueError`` names the codes it knows."""
    try:
        return LANGUAGES[code.strip().lower()]
    except KeyError:
        raise ValueError(f"unknown language {code!r}: use one of en, {', '.join(sorted(LANGUAGES))}") from None


@dataclass(frozen=True, slots=True)
class StemMatch:
    """A word of the text whose stem is a term's (coordinates of the scanned text)."""

    list_index: int
    term_index: int
    start: int
    end: int


@dataclass(slots=True)
class _Language:
    stemmer: object
    script: str | None
    #: stem → (list index, term index) of the terms with that stem
    stems: dict[str, list[tuple[int, int]]]
    #: list index → the words its exceptions excuse as written, and the stems they excuse
    excused: dict[int, tuple[set[str], set[str]]]
    prefixes: set[str]

    def stem(self, word: str) -> str:
        return str(self.stemmer.stemWord(word))  # type: ignore[attr-defined]


def _plain(word: str, script: str | None) -> str:
    word = word.casefold().replace("ё", "е")
    if script is not None and _SCRIPT_RE[script].search(word):
        table = _LOOKALIKES[script]
        word = "".join(table.get(ch, ch) for ch in word)
    return word


class StemIndex:
    """The stems of every one-word term of the lists that name a language; immutable once built."""

    def __init__(self, lists: Sequence[WordList]) -> None:
        self._languages: list[_Language] = []
        by_code: dict[str, _Language] = {}
        excuses: list[tuple[_Language, int, str, str]] = []
        for li, wl in enumerate(lists):
            code = getattr(wl, "language", "") or ""
            if not code or code == "en" or wl.kind is not ListKind.TERMS:
                continue
            lang = by_code.get(code)
            if lang is None:
                lang = _Language(snowballstemmer.stemmer(language_name(code)), _SCRIPT_OF.get(code), {}, {}, set())
                by_code[code] = lang
                self._languages.append(lang)
            for ti, term in enumerate(wl.terms):
                if term.wildcard_start or term.wildcard_end or not _WORD_RE.fullmatch(term.text):
                    continue  # phrases and wildcards are the automaton's
                word = _plain(term.text, lang.script)
                stem = lang.stem(word)
                if term.exception:
                    excuses.append((lang, li, word, stem))
                    continue
                if len(stem) < MIN_STEM:
                    continue
                lang.stems.setdefault(stem, []).append((li, ti))
                lang.prefixes.add(stem[:_PREFIX])
        for lang, li, word, stem in excuses:
            # an exception excuses its own inflections, unless its stem is a term's (then only
            # the word as written: "сук", a branch, must not excuse every form of "сука")
            words, stems = lang.excused.setdefault(li, (set(), set()))
            words.add(word)
            if not any(i == li for i, _ in lang.stems.get(stem, ())):
                stems.add(stem)

    def __bool__(self) -> bool:
        return any(lang.stems for lang in self._languages)

    def scan(self, text: str) -> list[StemMatch]:
        """Every word of ``text`` whose stem is a listed term's, unless the list excuses it."""
        out: list[StemMatch] = []
        for m in _WORD_RE.finditer(text):
            raw = m.group()
            for lang in self._languages:
                word = _plain(raw, lang.script)
                if word[:_PREFIX] not in lang.prefixes:
                    continue
                stem = lang.stem(word)
                for li, ti in lang.stems.get(stem, ()):
                    excused = lang.excused.get(li)
                    if excused and (word in excused[0] or stem in excused[1]):
                        continue
                    out.append(StemMatch(li, ti, m.start(), m.end()))
        return out
