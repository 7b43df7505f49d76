"""The Scunthorpe guard: real words a list's loose keys would hit become implicit exceptions.

A term reaches more than its own spelling: folding and repeat collapsing (``god`` hits "good"), the
regular inflections (``butt`` + -er hits "butter"; ``scat`` with its t doubled hits "scatter";
``anal`` with its n doubled hits "annals"). When a ruleset is compiled, :func:`guarded_lists` looks
up which words of a dictionary each term reaches that way and adds them to the list, as the
matcher sees it, as ordinary exceptions. Exact spellings stay matched: the term itself, its plain
-s -es -ed -ing forms, what a wildcard continues it with, and any word another term of the same
list spells out (a list that names ``butter`` gets butter).

The same step also makes the list's own exceptions behave: an exception excuses its inflections
(``!shittah`` excuses "shittahs"), and an exception spelled with digits or symbols (``!45s``) is
matched as written, so it no longer folds onto ``ass`` and switches the real term off.

The dictionary is Debian's ``wamerican-huge`` or ``wamerican`` (``/usr/share/dict/``), read where it is
installed (``FORUM_GUARD_DICTIONARY`` names another file, or ``off``), else the ``english-words``
package. Its skeleton index is built once a process (well under a second) and shared by every
compile; a compile then costs a few dictionary look-ups a term.
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import json
import logging
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace

from .normalize import fold_term
from .terms import ListKind, Term, WordList, derived_terms, literal_exception

__all__ = ["DICTIONARY_ENV", "DICTIONARY_PATHS", "GUARD_CACHE_ENV", "Dictionary", "Spellings", "default_dictionary", "exact_forms",
           "guarded_lists",
           "load_dictionary"]

log = logging.getLogger("forum_guard")

#: The environment variable naming the dictionary file (or ``off``: no Scunthorpe guard).
DICTIONARY_ENV = "FORUM_GUARD_DICTIONARY"
#: ``off`` keeps each list's implicit exceptions out of the user's cache folder (computed every time).
GUARD_CACHE_ENV = "FORUM_GUARD_GUARD_CACHE"
#: Where the dictionary is looked for, in order (Debian ``wamerican``; ``words`` is the system's choice).
DICTIONARY_PATHS = ("/usr/share/dict/american-english-huge", "/usr/share/dict/american-english",
                    "/usr/share/dict/words")

#: the matcher's inflections (``forum_guard.engine.matcher.INFLECTIONS``) and those after a dropped "e"
_INFLECTIONS = ("s", "es", "ed", "ing", "er", "ers")
_AFTER_DROPPED_E = ("ed", "ing", "er", "ers", "es")
_EXACT_AFTER_DROPPED_E = ("ed", "ing", "es", "s", "d")
_REPEAT_RE = re.compile(r"(.)\1+")
_WORD_RE = re.compile(r"^[^\W\d_]{2,}$")
_ASCII_LINE_RE = re.compile(r"^[a-z]{2,}$", re.MULTILINE)
#: a line with a letter beyond ASCII (café, naïve): folded one by one
_OTHER_LINE_RE = re.compile(r"^(?=[^\n]*[^\x00-\x7f])[^\W\d_]{2,}$", re.MULTILINE)


class Dictionary:
    """Words of a language indexed by their skeleton (folded, repeats collapsed). Immutable once built."""

    def __init__(self, source: str, by_skeleton: dict[str, tuple[str, ...]] | None = None, *,
                 loader: Callable[[], dict[str, tuple[str, ...]]] | None = None, cache_key: str | None = None) -> None:
        self.source = source
        self._index = by_skeleton
        self._loader = loader
        #: names this dictionary's contents (a file's path, size and time): what each list's
        #: implicit exceptions are cached under, so a compile whose lists were guarded before never
        #: reads the dictionary at all; None for a dictionary made in memory (never cached)
        self.cache_key = cache_key
        self._sorted: tuple[tuple[str, ...], tuple[str, ...]] | None = None

    @property
    def by_skeleton(self) -> dict[str, tuple[str, ...]]:
        """skeleton → the words with it, built on first use (a benign race: two threads may both build it)."""
        if self._index is None:
            assert self._loader is not None
            self._index = self._loader()
        return self._index

    def __len__(self) -> int:
        return sum(len(v) for v in self.by_skeleton.values())

    def __repr__(self) -> str:
        return f"<Dictionary {self.source}>"

    @classmethod
    def from_text(cls, text: str, source: str = "<words>") -> Dictionary:
        """Index a text of one word a line (any case; possessives, numbers and phrases are left out)."""
        lower = text.lower()
        # plain ASCII words fold to themselves: found, and their repeats collapsed, in whole-text passes
        ascii_words = list(dict.fromkeys(_ASCII_LINE_RE.findall(lower)))
        index: dict[str, list[str]] = {}
        if ascii_words:
            collapsed = _REPEAT_RE.sub(r"\1", "\n".join(ascii_words)).split("\n")
            for word, skel in zip(ascii_words, collapsed, strict=True):
                bucket = index.get(skel)
                if bucket is None:
                    index[skel] = [word]
                else:
                    bucket.append(word)
        for word in set(_OTHER_LINE_RE.findall(lower)):
            if _WORD_RE.match(word):
                skel = fold_term(word)[0]
                if skel and " " not in skel:
                    index.setdefault(skel, []).append(word)
        return cls(source, {k: tuple(v) for k, v in index.items()})

    @classmethod
    def from_words(cls, words: Iterable[str], source: str = "<words>") -> Dictionary:
        return cls.from_text("\n".join(w.strip() for w in words), source)

    def _sorted_skeletons(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        # built on the first wildcard term (a benign race: two threads may both build it)
        if self._sorted is None:
            skeletons = tuple(sorted(self.by_skeleton))
            self._sorted = (skeletons, tuple(sorted(s[::-1] for s in skeletons)))
        return self._sorted

    def has_prefix(self, prefix: str) -> bool:
        """Whether some skeleton starts with ``prefix`` (one bisection: most terms of a big list
        begin no word at all, and need no further look-up)."""
        skeletons = self._sorted_skeletons()[0]
        i = bisect.bisect_left(skeletons, prefix)
        return i < len(skeletons) and skeletons[i].startswith(prefix)

    def with_prefix(self, prefix: str) -> Iterable[str]:
        """Skeletons that start with ``prefix``."""
        skeletons = self._sorted_skeletons()[0]
        i = bisect.bisect_left(skeletons, prefix)
        while i < len(skeletons) and skeletons[i].startswith(prefix):
            yield skeletons[i]
            i += 1

    def with_suffix(self, suffix: str) -> Iterable[str]:
        """Skeletons that end with ``suffix``."""
        reversed_skeletons = self._sorted_skeletons()[1]
        rev = suffix[::-1]
        i = bisect.bisect_left(reversed_skeletons, rev)
        while i < len(reversed_skeletons) and reversed_skeletons[i].startswith(rev):
            yield reversed_skeletons[i][::-1]
            i += 1


@functools.lru_cache(maxsize=4)
def load_dictionary(path: str) -> Dictionary:
    """The dictionary in a file of one word a line: read on first use and once a process (348k
    words index in 1–2 s), and only when a list's implicit exceptions are not in the cache."""

    def build() -> dict[str, tuple[str, ...]]:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return Dictionary.from_text(fh.read(), source=path).by_skeleton

    try:
        st = os.stat(path)
        key: str | None = f"{path}\0{st.st_size}\0{st.st_mtime_ns}"
    except OSError:
        key = None
    return Dictionary(path, loader=build, cache_key=key)


@functools.lru_cache(maxsize=1)
def _english_words() -> Dictionary | None:
    try:
        from english_words import get_english_words_set
    except ImportError:
        return None
    return Dictionary.from_words(get_english_words_set(["web2"], lower=True), source="english-words (web2)")


def default_dictionary() -> Dictionary | None:
    """The dictionary the guard uses: ``$FORUM_GUARD_DICTIONARY`` (a file, or ``off``), Debian's
    wamerican, or the english-words package; None (with a warning, once) when there is none."""
    configured = os.environ.get(DICTIONARY_ENV, "").strip()
    if configured.lower() in ("off", "none", "0", "no"):
        return None
    for candidate in ([configured] if configured else list(DICTIONARY_PATHS)):
        if os.path.isfile(candidate):
            return load_dictionary(os.path.realpath(candidate))
    found = _english_words()
    if found is None:
        _warn_missing()
    return found


@functools.lru_cache(maxsize=1)
def _warn_missing() -> None:
    log.warning("no dictionary for the Scunthorpe guard (install Debian's wamerican, or english-words, or "
                "set %s): loose matches of plain terms are not checked against real words", DICTIONARY_ENV)


# --------------------------------------------------------------------------------------------

def _collapse(s: str) -> str:
    return _REPEAT_RE.sub(r"\1", s)


def _variants(skel: str) -> set[str]:
    """The skeletons the matcher also keys a term by: ``l`` as ``i``, ``f`` as ``ph``."""
    out = {skel}
    if "l" in skel:
        out.add(_collapse(skel.replace("l", "i")))
    for s in list(out):
        if "f" in s:
            out.add(_collapse(s.replace("f", "ph")))
    return out


class Spellings:
    """The words a list spells out: its terms, their plain inflections, what their wildcards add."""

    def __init__(self, wl: WordList) -> None:
        #: the whole-word terms (their inflections are worked out per word asked about: cheap)
        self.texts: set[str] = set()
        self.prefixes: set[str] = set()
        self.suffixes: set[str] = set()
        self.inner: set[str] = set()
        self.inflections = wl.inflections
        for t in wl.words:
            text = t.text.casefold()
            if t.wildcard_start and t.wildcard_end:
                self.inner.add(text)
            elif t.wildcard_end:
                self.prefixes.add(text)
            elif t.wildcard_start:
                self.suffixes.add(text)
                self.suffixes.update(exact_forms(text, wl.inflections))
            else:
                self.texts.add(text)

    def spells_word(self, word: str) -> bool:
        """Whether ``word`` is a whole-word term of the list or one of its own inflections."""
        if word in self.texts:
            return True
        if not self.inflections:
            return False
        for cut in (1, 2, 3, 4):  # -s; -es -ed; -ing, a doubled consonant + -ed; + -ing
            base = word[:-cut]
            for b in (base, base + "e"):
                if b in self.texts and word in exact_forms(b, True):
                    return True
        return False

    def __contains__(self, word: str) -> bool:
        if self.spells_word(word):
            return True
        n = len(word)
        if self.prefixes and any(word[:k] in self.prefixes for k in range(1, n + 1)):
            return True
        if self.suffixes and any(word[k:] in self.suffixes for k in range(n)):
            return True
        return bool(self.inner) and any(word[i:j] in self.inner for i in range(n) for j in range(i + 1, n + 1))


_VOWELS = frozenset("aeiou")
_VOWEL_GROUP_RE = re.compile(r"[aeiouy]+")


def exact_forms(text: str, inflections: bool) -> set[str]:
    """The term and its own inflections, spelled as English spells them: -s; -es after s x z ch sh
    o; -ed -ing, with the final consonant doubled after one short vowel (crapped, shitting, not
    craped, which is crape's) and a final "e" dropped (raped, raping). Never -er: butter, cocker."""
    forms = {text}
    if not (inflections and text[-1:].isalpha()):
        return forms
    forms.add(text + "s")
    if text.endswith(("s", "x", "z", "ch", "sh", "o")):
        forms.add(text + "es")
    if text.endswith("e"):
        forms.update(text[:-1] + s for s in _EXACT_AFTER_DROPPED_E)
    elif (len(text) >= 3 and text[-1] not in _VOWELS and text[-1] not in "wxy" and text[-2] in _VOWELS
          and text[-3] not in _VOWELS):
        forms.update(text + text[-1] + s for s in ("ed", "ing"))
        if len(_VOWEL_GROUP_RE.findall(text)) > 1:  # the stress decides: buggered, but goddammed
            forms.update(text + s for s in ("ed", "ing"))
    else:
        forms.update(text + s for s in ("ed", "ing"))
    return forms


def _join(skel: str, suffix: str) -> str:
    """``skel + suffix`` with repeats collapsed (both sides are collapsed already)."""
    return skel + suffix[1:] if skel[-1] == suffix[0] else skel + suffix


def _reached(term: Term, inflections: bool, dictionary: Dictionary) -> list[str]:
    """Dictionary words the term's keys reach (by skeleton: what the matcher would test them on)."""
    if term.wildcard_start and term.wildcard_end:
        return []
    text = term.text
    # ASCII letters fold to themselves: only the repeats collapse (the matcher's fold_term, faster)
    skel = _REPEAT_RE.sub(r"\1", text.lower()) if text.isascii() and text.isalpha() else fold_term(text)[0]
    if not skel or " " in skel:
        return []
    index = dictionary.by_skeleton
    out: list[str] = []
    inflect = inflections and skel[-1].isalpha() and not term.wildcard_end
    for v in (_variants(skel) if ("l" in skel or "f" in skel) else (skel,)):
        if not term.wildcard_start and not dictionary.has_prefix(v[:-1] if inflect and v[-1] == "e" else v):
            continue
        forms = [v]
        if inflect:
            forms += [_join(v, s) for s in _INFLECTIONS]
            if v[-1] == "e" and len(v) > 1:
                forms += [_join(v[:-1], s) for s in _AFTER_DROPPED_E]
        for form in forms:
            if term.wildcard_end:
                for key in dictionary.with_prefix(form):
                    out += index[key]
            elif term.wildcard_start:
                for key in dictionary.with_suffix(form):
                    out += index[key]
            else:
                words = index.get(form)
                if words:
                    out += words
    return out


class _Reach:
    """What a list's loose keys reach in a dictionary, as cached: the words its terms and derived
    forms reach; for each derived form, the words it reaches without inflections (to leave out the
    ones that spell an innocent word); the inflected phrases with a word the dictionary lacks."""

    __slots__ = ("derived", "unknown_phrases", "words")

    def __init__(self, words: list[str], derived: dict[str, list[str]], unknown_phrases: list[str]) -> None:
        self.words = words
        self.derived = derived
        self.unknown_phrases = unknown_phrases


def _reach(wl: WordList, dictionary: Dictionary) -> _Reach:
    words = [w for t in wl.words if not t.literal for w in _reached(t, wl.inflections, dictionary)]
    derived: dict[str, list[str]] = {}
    unknown: list[str] = []
    for t in wl.words:
        if t.literal or not (wl.derive or " " in t.text):
            continue
        own_words = t.text.casefold().split(" ")
        for d in derived_terms(t, wl):
            if " " not in d.text:
                # a derived form is loose too: a dictionary word it spells is excused unless the
                # list names it (hellish, cocky, hello from hell + o)
                words += _reached(d, wl.inflections, dictionary)
                bare = _reached(d, False, dictionary)
                if bare:
                    derived[d.text] = bare
            elif not all(w in own_words or w in dictionary.by_skeleton.get(_collapse(w), ())
                         for w in d.text.split(" ")):
                unknown.append(d.text)  # an inflected word English does not have: "fres" from free
    return _Reach(words, derived, unknown)


def _reached_by_list(wl: WordList, dictionary: Dictionary) -> _Reach:
    """What the list's terms reach loosely: from the user's cache when this list (its terms and
    options) was guarded against this dictionary before (the dictionary is then never read), else
    computed and cached."""
    cache = _guard_cache_file(wl, dictionary)
    if cache is not None:
        try:
            with open(cache, encoding="utf-8") as fh:
                data = json.load(fh)
            if (isinstance(data, dict) and isinstance(data.get("words"), list)
                    and isinstance(data.get("derived"), dict) and isinstance(data.get("unknown_phrases"), list)):
                return _Reach(data["words"], data["derived"], data["unknown_phrases"])
        except (OSError, ValueError):
            pass
    reach = _reach(wl, dictionary)
    if cache is not None:
        try:
            os.makedirs(os.path.dirname(cache), exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=os.path.dirname(cache), suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump({"words": reach.words, "derived": reach.derived, "unknown_phrases": reach.unknown_phrases},
                          fh)
            os.replace(tmp, cache)  # atomic: another worker may read it now
        except OSError as exc:  # a read-only home: the next process computes it again
            log.debug("guard cache not written (%s): %s", cache, exc)
    return reach


def _guard_cache_file(wl: WordList, dictionary: Dictionary) -> str | None:
    if dictionary.cache_key is None or os.environ.get(GUARD_CACHE_ENV, "").lower() in ("off", "0", "no"):
        return None
    try:
        from platformdirs import user_cache_dir

        from .. import __version__
    except ImportError:
        return None
    terms = sorted((t.text, t.wildcard_start, t.wildcard_end) for t in wl.words if not t.literal)
    signature = json.dumps([__version__, dictionary.cache_key, wl.inflections, list(wl.derive), terms],
                           ensure_ascii=False)
    key = hashlib.sha256(signature.encode()).hexdigest()[:32]
    return os.path.join(user_cache_dir("forum-guard", appauthor=False), "guard", f"{key}.json")


#: the shipped tiers whose words are vulgar in every sense (:func:`vulgar_words`)
VULGAR_TIERS = ("profanity.txt", "mild.txt", "sexual.txt", "slurs.txt")


class _Vulgar:
    """Words the shipped vulgar tiers spell out (terms, their -s -es -ed -ing forms, what their
    wildcards continue them with), less what those tiers excuse."""

    def __init__(self, lists: Sequence[WordList]) -> None:
        self._spellings = [Spellings(wl) for wl in lists]
        self._excused: set[str] = set()
        for wl in lists:
            for t in wl.exceptions:
                if not (t.wildcard_start or t.wildcard_end):
                    self._excused.update(exact_forms(t.text.casefold(), wl.inflections))

    def __contains__(self, word: str) -> bool:
        return word not in self._excused and any(word in sp for sp in self._spellings)


@functools.lru_cache(maxsize=1)
def vulgar_words() -> _Vulgar:
    """The vulgar vocabulary of English as the shipped tiers spell it (``shitty`` from ``shit*``,
    ``fucker`` from ``*fuck*``, ``dickhead``, ``crappy``). The dictionary holds these words too,
    but a list reaching one loosely has not hit an innocent word: the guard never excuses them
    (``fuck`` catches "fucker", ``shit`` with ``derive: y`` catches "shitty"), while words the
    tiers leave alone stay excused (hellish, cocky, hello, butter). Read once a process."""
    from .data import shipped_dir
    from .terms import load_wordlist

    lists: list[WordList] = []
    try:
        folder = shipped_dir()
    except Exception as exc:  # forum_guard imported from a tree without its data package
        log.warning("shipped tiers not found for the Scunthorpe guard (%s): every dictionary word a "
                    "list reaches loosely is excused", exc)
        return _Vulgar(lists)
    for name in VULGAR_TIERS:
        try:
            lists.append(load_wordlist(folder / name))
        except Exception as exc:  # a broken or missing tier: the guard excuses a little more
            log.warning("vulgar tier %s not read for the Scunthorpe guard: %s", name, exc)
    return _Vulgar(lists)


def _runs(word: str) -> list[tuple[str, int]]:
    return [(m.group(1), len(m.group(0))) for m in re.finditer(r"(.)\1*", word)]


def _fits(form: str, word: str) -> bool:
    """Whether the key of the derived ``form`` would match ``word`` as written: the same letters,
    each repeated letter of the form at least as often in the word ("hello" fits hello and
    Helllloooooo; "spiccy" does not fit spicy, so the slur spelled so stays matched). A word
    reached only through a variant spelling (l written as 1, read as i: "clity" reaches city) does
    not fit: its implicit exception excuses it as written."""
    a, b = _runs(form.casefold()), _runs(word.casefold())
    if [c for c, _ in a] != [c for c, _ in b]:
        return False
    return all(n == 1 or m >= n for (_, n), (_, m) in zip(a, b, strict=True))


def guarded_lists(lists: Sequence[WordList], dictionary: Dictionary | None) -> list[WordList]:
    """The lists as the matcher sees them: the term indices of each list unchanged, then its
    implicit exceptions (dictionary words reached only loosely, and the inflections of its own
    exceptions) appended. Exceptions spelled with l33t are blanked: the caller excuses them as
    written (:func:`literal_exception`)."""
    from .matcher import gc_paused

    with gc_paused():
        return _guarded_lists(lists, dictionary)


def _guarded_lists(lists: Sequence[WordList], dictionary: Dictionary | None) -> list[WordList]:
    out = []
    for wl in lists:
        if wl.kind is not ListKind.TERMS:
            out.append(wl)
            continue
        exact = Spellings(wl)
        implicit: dict[str, None] = {}
        own: set[str] = set()
        for t in wl.exceptions:
            own.add(t.text.casefold())
        # the list's own exceptions excuse their inflections too
        if wl.inflections:
            for t in wl.exceptions:
                if literal_exception(t) or t.wildcard_start or t.wildcard_end:
                    continue
                for form in exact_forms(t.text.casefold(), True) | {t.text.casefold() + s for s in ("er", "ers")}:
                    if form not in own and not exact.spells_word(form):  # "!as" must not excuse "ass"
                        implicit[form] = None
        underived: set[str] = set()
        if dictionary is not None and wl.evasion:
            vulgar = vulgar_words()
            reach = _reached_by_list(wl, dictionary)
            for word in reach.words:
                if word not in exact and word not in own and word not in vulgar:
                    implicit[word] = None
            # a derived form that spells an innocent word is left out whole: an exception would
            # excuse "hello" as written, not the "Helllloooooo" its key also reaches
            for form, bare in reach.derived.items():
                if any(w in implicit and _fits(form, w) for w in bare):
                    underived.add(form)
            underived.update(reach.unknown_phrases)
        terms: list[Term] = [Term("", exception=True) if literal_exception(t) else t for t in wl.terms]
        if underived:
            wl = replace(wl, underived=frozenset(underived))
        if not implicit and len(terms) == len(wl.terms) and not any(literal_exception(t) for t in wl.terms):
            out.append(wl)
            continue
        terms.extend(Term(word, exception=True) for word in sorted(implicit))
        out.append(wl.with_terms(terms))
    return out
