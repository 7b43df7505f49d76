"""Deterministic inputs for the speed benchmark: term lists and texts.

Everything here is a pure function of :data:`SEED` and of the files it reads
(``wordlists/profanity.txt`` when present, ``/usr/share/dict/words``), so two runs on the same
checkout measure exactly the same lists and texts.

* **Term lists** of 100, 1k, 10k and 100k entries are prefixes of one ordered master list, so a
  smaller list is contained in every larger one. The master list alternates real terms from the
  shipped profanity list with synthetic pronounceable non-words (``vorbatel``, ``kesh mondi``):
  the real ones make the list look like a real list to the peers that apply leet variants, the
  synthetic ones fill it up to size without colliding with English prose (each is checked against
  the dictionary, with and without common suffixes). About one synthetic entry in twenty is a
  two-word phrase.
* **Texts** of 200 B, 2 KB, 20 KB and 1 MB are English-like prose (common words plus dictionary
  words, capitals, commas, numbers, paragraphs) with one offending term from the 100-term list
  (so present in every list) about every kilobyte, the first one early enough that even the
  200 B text has one. Dictionary words that are real terms are left out of the prose, so the
  matches are the planted ones.
* A **rich HTML draft** of about 2.5 KB as an editor would send it (paragraphs, bold, italics,
  links, a list, a quote, two emoji) and a 2 KB **Unicode variant** of the prose (curly quotes,
  accented words, a dash and an emoji) for the non-ASCII path.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

__all__ = [
    "LIST_SIZES",
    "REPO_ROOT",
    "SEED",
    "TEXT_KINDS",
    "TEXT_SIZES",
    "Corpus",
    "corpus",
    "size_label",
]

#: One seed for everything; change it and every list and text changes.
SEED = 20_240_611
LIST_SIZES = (100, 1_000, 10_000, 100_000)
TEXT_SIZES = (200, 2_048, 20_480, 1_048_576)
REPO_ROOT = Path(__file__).resolve().parent.parent
DICT_PATH = Path("/usr/share/dict/words")
#: one planted offending term per this many characters of prose
OFFENDER_EVERY = 1_000
PHRASE_SHARE = 0.05
INFLECTIONS = ("", "s", "es", "ed", "ing", "er", "ers", "d", "r", "y")

# The most frequent English words, which make up about half of running prose.
_COMMON = """
the of and to a in is it you that he was for on are with as I his they be at one have this
from or had by not word but what some we can out other were all there when up use your how
said an each she which do their time if will way about many then them write would like so
these her long make thing see him two has look more day could go come did number sound no
most people my over know water than call first who may down side been now find any new work
part take get place made live where after back little only round man year came show every
good me give our under name very through just form sentence great think say help low line
differ turn cause much mean before move right boy old too same tell does set three want air
well also play small end put home read hand port large spell add even land here must big
high such follow act why ask men change went light kind off need house picture try us again
animal point mother world near build self earth father head stand own page should country
found answer school grow study still learn plant cover food sun four between state keep eye
never last let thought city tree cross farm hard start might story saw far sea draw left late
run while press close night real life few north open seem together next white children begin
got walk example ease paper group always music those both mark often letter until mile river
car feet care second book carry took science eat room friend began idea fish mountain stop
once base hear horse cut sure watch color face wood main enough plain girl usual young ready
above ever red list though feel talk bird soon body dog family direct pose leave song measure
door product black short numeral class wind question happen complete ship area half rock
order fire south problem piece told knew pass since top whole king space heard best hour
better true during hundred five remember step early hold west ground interest reach fast verb
sing listen six table travel less morning ten simple several vowel toward war lay against
pattern slow center love person money serve appear road map rain rule govern pull cold notice
voice unit power town fine certain fly fall lead cry dark machine note wait plan figure star
box noun field rest correct able pound done beauty drive stood contain front teach week final
gave green oh quick develop ocean warm free minute strong special mind behind clear tail
produce fact street inch multiply nothing course stay wheel full force blue object decide
surface deep moon island foot system busy test record boat common gold possible plane stead
dry wonder laugh thousand ago ran check game shape equate hot miss brought heat snow tire
bring yes distant fill east paint language among
""".split()  # noqa: SIM905 - a word list reads better as text

_ONSETS = ("b", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "z",
           "br", "dr", "gr", "kl", "pl", "tr", "st", "sk", "sh", "ch", "th", "kw", "zv")
_VOWELS = ("a", "e", "i", "o", "u", "a", "e", "o", "ai", "ou", "ei", "y")
_CODAS = ("", "", "", "", "n", "r", "l", "s", "k", "m", "t", "sh", "nd", "rk")


def size_label(n: int) -> str:
    """200 -> '200 B', 2048 -> '2 KB', 1048576 -> '1 MB'; list sizes: 1000 -> '1k'."""
    if n >= 1_048_576:
        return f"{n // 1_048_576} MB"
    if n >= 1_024:
        return f"{n // 1_024} KB"
    return f"{n} B"


@dataclass(frozen=True)
class Corpus:
    """All benchmark inputs. Build it with :func:`corpus`."""

    #: the master term order; a list of N terms is ``master[:N]``
    master: tuple[str, ...]
    #: how many of the master terms come from the shipped profanity list
    real_count: int
    #: where the real terms came from, or why there are none
    real_source: str
    #: the terms planted in the texts (all within the first 100 of ``master``)
    offenders: tuple[str, ...]
    #: nominal size -> text
    texts: dict[int, str] = field(default_factory=dict)
    #: about 2.5 KB of editor HTML
    html_draft: str = ""
    #: the 2 KB text with curly quotes, accents, a dash and an emoji
    unicode_text: str = ""
    #: 2 KB texts of one length by kind (``TEXT_KINDS``): the ASCII prose, a dense one (a planted
    #: term every ~5 words) and non-ASCII ones
    kinds: dict[str, str] = field(default_factory=dict)
    #: where the prose vocabulary came from
    vocab_source: str = ""

    def terms(self, n: int) -> list[str]:
        if n > len(self.master):
            raise ValueError(f"only {len(self.master)} terms were generated, {n} asked for")
        return list(self.master[:n])

    def summary(self) -> dict[str, object]:
        return {
            "seed": SEED,
            "terms_generated": len(self.master),
            "real_terms": self.real_count,
            "real_source": self.real_source,
            "phrases": sum(" " in t for t in self.master),
            "offenders": list(self.offenders),
            "vocab_source": self.vocab_source,
            "text_lengths": {size_label(k): len(v) for k, v in self.texts.items()},
            "html_draft_bytes": len(self.html_draft.encode()),
            "unicode_text_chars": len(self.unicode_text),
            "kinds": {k: {"chars": len(v), "bytes": len(v.encode())} for k, v in self.kinds.items()},
        }


# --------------------------------------------------------------------------------------------
# vocabulary


@lru_cache(maxsize=1)
def _dictionary() -> tuple[tuple[str, ...], str]:
    """Dictionary words for prose, and where they came from."""
    words: list[str] = []
    source = ""
    try:
        words = DICT_PATH.read_text(encoding="utf-8", errors="replace").split()
        source = str(DICT_PATH)
    except OSError:
        pass
    if not words:
        try:
            from english_words import get_english_words_set

            words = sorted(get_english_words_set(["web2"], lower=False))
            source = "english-words (web2)"
        except Exception:  # any failure: fall back to the built-in common words
            words = []
    if not words:
        words = list(_COMMON)
        source = "built-in common words (no dictionary found)"
    return tuple(words), source


# A filter that sees through evasions folds look-alike letters and collapses repeats, so a
# synthetic term must differ from every English word (and its stem) after the same folding:
# "gren" would catch "green", "kiti" "kitties", "chalre" "chaired".
_FOLD = str.maketrans("1l!|0@43$57v98y", "iiiioaaesstugbi")
_REPEATS = re.compile(r"(.)\1+")


def _skeleton(word: str) -> str:
    return _REPEATS.sub(r"\1", word.lower().replace("'", "").translate(_FOLD))


def _stems(word: str) -> set[str]:
    """The word and what is left when an inflection is taken off it (ies -> y as well)."""
    out = {word}
    for suffix in INFLECTIONS:
        if suffix and word.endswith(suffix) and len(word) > len(suffix) + 1:
            out.add(word[: -len(suffix)])
    if word.endswith("ies"):
        out.add(word[:-3] + "y")
    return out


@lru_cache(maxsize=1)
def _english_skeletons() -> frozenset[str]:
    words, _ = _dictionary()
    out: set[str] = set()
    for w in {w.lower().removesuffix("'s") for w in words} | set(_COMMON):
        out.update(_skeleton(stem) for stem in _stems(w))
    return frozenset(out)


# --------------------------------------------------------------------------------------------
# term lists


def _real_terms() -> tuple[list[str], str]:
    """Plain words and phrases of the shipped profanity list (wildcards dropped), if it loads."""
    path = REPO_ROOT / "wordlists" / "profanity.txt"
    if not path.exists():
        return [], f"{path.relative_to(REPO_ROOT)} not found: synthetic terms only"
    try:
        from forum_guard.engine.terms import load_wordlist

        wl = load_wordlist(path)
        raw = [t.text for t in wl.terms if not t.exception]
    except Exception as exc:  # a list being edited may not parse; say so
        return [], f"{path.relative_to(REPO_ROOT)} did not load ({exc}): synthetic terms only"
    seen: dict[str, None] = {}
    for text in raw:
        key = " ".join(text.casefold().split())
        if key and any(ch.isalpha() for ch in key):
            seen.setdefault(key, None)
    return list(seen), f"{path.relative_to(REPO_ROOT)} ({len(seen)} terms)"


def _synthetic_word(rnd: random.Random) -> str:
    parts: list[str] = []
    while True:
        parts.append(rnd.choice(_ONSETS) + rnd.choice(_VOWELS) + rnd.choice(_CODAS))
        word = "".join(parts)
        if len(word) >= 4 and (len(parts) >= 2 or rnd.random() < 0.3):
            break
    return word


def _collides(word: str, english: frozenset[str]) -> bool:
    """Could a word-boundary matcher with inflections and evasion folding find this non-word in
    English prose? (Its skeleton, or the skeleton of one of its stems, is an English one.)"""
    return any(_skeleton(stem) in english for stem in _stems(word))


def _synthetic_terms(count: int, rnd: random.Random, taken: set[str]) -> list[str]:
    english = _english_skeletons()
    out: list[str] = []

    def one_word() -> str:
        while True:
            w = _synthetic_word(rnd)
            if 4 <= len(w) <= 10 and w not in taken and not _collides(w, english):
                return w

    while len(out) < count:
        term = one_word() + " " + one_word() if rnd.random() < PHRASE_SHARE else one_word()
        if term in taken:
            continue
        taken.add(term)
        out.append(term)
    return out


def _master_list(size: int, rnd: random.Random) -> tuple[list[str], int, str]:
    real, source = _real_terms()
    taken = set(real)
    synthetic = _synthetic_terms(size, rnd, taken)
    master: list[str] = []
    ri = si = 0
    # alternate real and synthetic while real terms last; a prefix is a 50/50 mix
    while len(master) < size:
        if len(master) % 2 == 0 and ri < len(real):
            master.append(real[ri])
            ri += 1
        else:
            master.append(synthetic[si])
            si += 1
    return master, ri, source


def _pick_offenders(master: Sequence[str], rnd: random.Random, real_count: int) -> list[str]:
    """Six real words, four synthetic words and a phrase from the 100-term list."""
    head = list(master[:100])
    is_real = [i % 2 == 0 and i // 2 < real_count for i in range(len(head))]
    real = [t for t, r in zip(head, is_real, strict=True) if r and re.fullmatch(r"[a-z]{4,}", t)]
    synthetic = [t for t, r in zip(head, is_real, strict=True) if not r and re.fullmatch(r"[a-z]+", t)]
    phrases = [t for t, r in zip(head, is_real, strict=True) if not r and " " in t]
    rnd.shuffle(real)
    picked = real[:6] + synthetic[: 10 - min(6, len(real))] + phrases[:1]
    return picked or head[:1]


# --------------------------------------------------------------------------------------------
# prose


@lru_cache(maxsize=2)
def _prose_vocabulary(banned: frozenset[str]) -> tuple[list[str], list[str]]:
    """Dictionary words for prose (lowercase ones, names), without the real terms: a word goes
    when one of its stems folds to a real term's skeleton ("fagged", "shitting")."""
    banned_skeletons = {_skeleton(t) for t in banned}
    words, _ = _dictionary()
    lower: list[str] = []
    proper: list[str] = []
    for w in words:
        base = w.removesuffix("'s")
        if not base.isascii() or not base.isalpha() or len(base) > 13:
            continue
        stems = _stems(base.lower())
        stems |= {stem + "e" for stem in stems}
        if any(_skeleton(stem) in banned_skeletons for stem in stems):
            continue
        (proper if w[0].isupper() else lower).append(w)
    return lower or list(_COMMON), proper or ["Alice", "Bob"]


class _Prose:
    """Sentence generator over a fixed vocabulary."""

    def __init__(self, rnd: random.Random, banned: frozenset[str]) -> None:
        self.rnd = rnd
        self.lower, self.proper = _prose_vocabulary(banned)

    def token(self) -> str:
        r = self.rnd.random()
        if r < 0.50:
            return self.rnd.choice(_COMMON)
        if r < 0.96:
            return self.rnd.choice(self.lower)
        if r < 0.98:
            return self.rnd.choice(self.proper)
        kind = self.rnd.randrange(4)
        if kind == 0:
            return str(self.rnd.randint(2, 99))
        if kind == 1:
            return str(self.rnd.randint(1950, 2025))
        if kind == 2:
            return f"{self.rnd.randint(1, 99)}.{self.rnd.randint(0, 9)}"
        return f"{self.rnd.randint(1, 100)}%"

    def write(self, size: int, offenders: Sequence[str], first_at: int | None = None,
              every: int = OFFENDER_EVERY) -> str:
        """About ``size`` characters (never more) with offenders planted every ``every``
        characters (~1 KB by default)."""
        rnd = self.rnd
        out: list[str] = []
        length = 0
        next_offender = first_at if first_at is not None else min(max(size // 2 - 20, 40), 300)
        planted = 0
        sentences_left = rnd.randint(3, 6)
        while length < size + 40:
            n_tokens = rnd.randint(6, 22)
            sentence: list[str] = []
            for i in range(n_tokens):
                if offenders and length + sum(len(s) + 1 for s in sentence) >= next_offender:
                    tok = offenders[planted % len(offenders)]
                    if rnd.random() < 0.2:
                        tok = tok.capitalize()
                    planted += 1
                    jitter = 150 if every == OFFENDER_EVERY else every // 4
                    next_offender += every + rnd.randint(-jitter, jitter)
                else:
                    tok = self.token()
                if i == 0:
                    tok = tok[:1].upper() + tok[1:]
                if i < n_tokens - 1 and rnd.random() < 0.08:
                    tok += ","
                sentence.append(tok)
            end = rnd.random()
            text = " ".join(sentence) + ("." if end < 0.8 else "?" if end < 0.92 else "!")
            sentences_left -= 1
            if sentences_left == 0:
                text += "\n\n"
                sentences_left = rnd.randint(3, 6)
            else:
                text += " "
            out.append(text)
            length += len(text)
        full = "".join(out)
        cut = full.rfind(" ", 0, size)
        body = full[:cut].rstrip(" ,\n")
        if body and body[-1] not in ".?!":
            body += "."
        return body


def _unicode_variant(text: str, rnd: random.Random, offenders: Sequence[str]) -> str:
    """The same prose with typographic and accented characters, as editors and phones make it."""
    words = text.split(" ")
    keep = {part for term in offenders for part in term.split()}
    accented = ["café", "naïve", "résumé", "façade", "jalapeño", "Zoë", "über"]
    for i in range(3, len(words), 37):
        if words[i].strip(".,?!\n").lower() not in keep and "\n" not in words[i]:
            words[i] = rnd.choice(accented)
    s = " ".join(words)
    s = s.replace(" was ", " was — ", 3).replace("'s", "’s")
    s = re.sub(r"\b(it|that|this)\b", lambda m: f"“{m.group(1)}”", s, count=6)
    pos = s.find(". ", len(s) // 2)
    if pos > 0:
        s = s[: pos + 1] + " 🙂" + s[pos + 1 :]
    return s[: len(text)]


def _html_draft(prose: _Prose, offenders: Sequence[str], target: int = 2_560) -> str:
    """About 2.5 KB of the HTML a rich editor posts."""

    def para(n: int, with_offender: bool = False) -> str:
        text = prose.write(n, offenders if with_offender else (), first_at=n // 2)
        return " ".join(text.split())

    items = "".join(f"<li>{para(70)}</li>" for _ in range(3))
    head = (
        f"<p>Hi all, <strong>quick update</strong> on the meetup 🙂 {para(260)}</p>\n"
        f"<p>{para(320, True)} See <a href=\"https://example.org/guide/setup?step=2\">the setup guide</a> "
        f"and <a href=\"https://forum.example.com/t/1234\">this thread</a> first.</p>\n"
        f"<ul>{items}</ul>\n"
        f"<blockquote><p>{para(200)}</p></blockquote>\n"
        f"<p><em>{para(120)}</em> {para(260, True)} 👍</p>\n"
    )
    rest = max(target - len(head.encode()) - len("<p></p>"), 60)
    return head + f"<p>{para(rest)}</p>"



# Everyday Russian words (written here for the benchmark), for a Cyrillic forum post.
_RUSSIAN = """
и в не на я что он с как это а по но они к у мы вы так же от за было для все она уже если или
только его когда да нет бы вот там еще мне меня был очень сказал ничего тоже может ну здесь
время день сегодня завтра вчера спасибо привет форум тема ответ вопрос думаю знаю хорошо плохо
новый старый город дом работа люди человек друг игра машина книга фильм музыка вода хлеб
""".split()  # noqa: SIM905 - a word list reads better as text
#: words an editor or a phone writes with accents
_ACCENTED = ("café", "naïve", "résumé", "façade", "jalapeño", "Zoë", "über", "crème", "déjà", "señor", "piñata",
             "Ångström", "fiancée", "coöperate", "São", "Kraków", "Müller", "Dvořák")
_EMOJI = ("🙂", "👍", "😂", "❤️", "🎉", "🤔", "👀", "🔥", "😅", "🙏")
#: the kinds of 2 KB text, in report order
TEXT_KINDS = ("ascii", "dense", "mixed", "accents", "curly quotes", "Cyrillic", "CJK", "emoji")
#: a planted term about every this many characters in the dense text (~5 words)
DENSE_EVERY = 30


def _cut_to(text: str, length: int) -> str:
    """``text`` cut to at most ``length`` characters, at a space when there is one near the end
    (CJK runs have none)."""
    if len(text) <= length:
        return text
    cut = text.rfind(" ", length - 40, length)
    return text[: cut if cut > 0 else length]


def _words_replaced(text: str, rnd: random.Random, keep: set[str], every: int, pick: Sequence[str]) -> str:
    words = text.split(" ")
    for i in range(2, len(words), every):
        if words[i].strip(".,?!\n").lower() not in keep and "\n" not in words[i] and words[i]:
            words[i] = rnd.choice(pick) + words[i][len(words[i].rstrip(".,?!")):]
    return " ".join(words)


def _curly(text: str) -> str:
    s = text.replace("'", "’")
    s = re.sub(r"\b(it|that|this|there|here|one)\b", lambda m: f"“{m.group(1)}”", s)
    return s.replace(", ", " — ", 8)


def _foreign(rnd: random.Random, offenders: Sequence[str], length: int, cjk: bool) -> str:
    """Russian-like or Chinese-like prose of ``length`` characters with a planted (Latin) term
    about every kilobyte, the first early."""
    out: list[str] = []
    total = 0
    next_offender = 150
    planted = 0
    while total < length + 40:
        if total >= next_offender:
            piece = (" " if cjk else "") + offenders[planted % len(offenders)] + " "
            planted += 1
            next_offender += OFFENDER_EVERY
        elif cjk:
            n = rnd.randint(6, 24)
            piece = "".join(chr(rnd.randint(0x4E00, 0x9FA5)) for _ in range(n)) + rnd.choice("，。。？！")
        else:
            n = rnd.randint(5, 14)
            words = [rnd.choice(_RUSSIAN) for _ in range(n)]
            words[0] = words[0].capitalize()
            piece = " ".join(words) + rnd.choice("..?!") + " "
        out.append(piece)
        total += len(piece)
    return _cut_to("".join(out), length).rstrip()


def _kinds(ascii_text: str, dense: str, mixed: str, offenders: Sequence[str]) -> dict[str, str]:
    """The 2 KB texts by kind, all cut to the ASCII text's length (in characters)."""
    n = len(ascii_text)
    rnd = random.Random(SEED + 11)
    keep = {part for term in offenders for part in term.split()}
    emoji_words = ascii_text.split(" ")
    for i in range(5, len(emoji_words), 9):
        emoji_words[i] += " " + rnd.choice(_EMOJI)
    out = {
        "ascii": ascii_text,
        "dense": dense,
        "mixed": mixed,
        "accents": _words_replaced(ascii_text, rnd, keep, 6, _ACCENTED),
        "curly quotes": _curly(ascii_text),
        "Cyrillic": _foreign(rnd, offenders, n, cjk=False),
        "CJK": _foreign(rnd, offenders, n, cjk=True),
        "emoji": " ".join(emoji_words),
    }
    return {k: _cut_to(v, n) for k, v in out.items()}

# --------------------------------------------------------------------------------------------


@lru_cache(maxsize=4)
def corpus(max_terms: int = max(LIST_SIZES), text_sizes: tuple[int, ...] = TEXT_SIZES) -> Corpus:
    """Build (once per arguments) every list and text the benchmark uses."""
    rnd = random.Random(SEED)
    master, real_count, real_source = _master_list(max_terms, rnd)
    offenders = _pick_offenders(master, random.Random(SEED + 1), real_count)
    banned = frozenset(t for t in master[: 2 * real_count : 2] if " " not in t)
    texts: dict[int, str] = {}
    for size in text_sizes:
        prose = _Prose(random.Random(SEED + size), banned)
        texts[size] = prose.write(size, offenders)
    prose = _Prose(random.Random(SEED + 7), banned)
    html = _html_draft(prose, offenders)
    uni_base = texts.get(2_048) or _Prose(random.Random(SEED + 2_048), banned).write(2_048, offenders)
    unicode_text = _unicode_variant(uni_base, random.Random(SEED + 9), offenders)
    dense = _Prose(random.Random(SEED + 13), banned).write(2_048, offenders, first_at=20, every=DENSE_EVERY)
    kinds = _kinds(uni_base, dense, unicode_text, offenders)
    return Corpus(
        master=tuple(master),
        real_count=real_count,
        real_source=real_source,
        offenders=tuple(offenders),
        texts=texts,
        html_draft=html,
        unicode_text=unicode_text,
        kinds=kinds,
        vocab_source=_dictionary()[1],
    )


if __name__ == "__main__":  # a look at the inputs: python benchmarks/_data.py
    import json
    import sys

    sys.path.insert(0, str(REPO_ROOT))
    c = corpus()
    print(json.dumps(c.summary(), indent=2, ensure_ascii=False))
    print("\nfirst terms:", ", ".join(c.master[:20]))
    print("\n2 KB text:\n" + c.texts[2_048])
    print("\nHTML draft:\n" + c.html_draft)
    print("\nUnicode text:\n" + c.unicode_text[:600])
    for kind, text in c.kinds.items():
        print(f"\n{kind} ({len(text)} chars):\n" + text[:300])
