"""Generate the labelled quality corpus under ``tests/data/`` from the shipped vulgar tiers
(``profanity``, ``mild``, ``sexual``, ``slurs``: :data:`TIERS`).

    python benchmarks/corpus.py [--lists wordlists] [--out tests/data] [--per-category 200]

Writes, deterministically (one fixed seed, stdlib only plus :mod:`forum_guard.engine.terms`):

* ``evasion/<category>.jsonl``: one line per case, ``{"text", "term", "start", "end", "form",
  "how"}``: ``text`` is a short innocent carrier sentence holding one evasive spelling ``form``
  of ``term`` at code-point span ``[start, end)``; ``how`` names the trick (for per-trick
  breakdowns). The ``html_split`` lines instead carry ``"html": true`` and ``"word"`` (the visible
  word a reader sees) and no span, since offsets depend on the sanitizer.
* ``fp/prose.txt``: ordinary forum prose, one sentence a line, built from templates and word
  banks (chatter, prices, numbers, code, URLs, emoticons, and innocent look-alike words).

``fp/traps.txt`` (innocent words and phrases that naive filters flag) and
``fp/dictionary_profane.txt`` (dictionary words that really are vulgar, so flagging them is not a
false positive) are written by hand and only read here.

Categories: case, leet, repeats, separators, zero_width, accents, homoglyphs, styled,
html_split, inflections. Terms come from the list's non-exception, single-word entries of at least
three letters (a wildcard entry contributes its stem: ``fuck*`` gives ``fuck``).
"""

from __future__ import annotations

import argparse
import html
import json
import random
import sys
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from forum_guard.engine.actions import Action  # noqa: E402
from forum_guard.engine.dictionary import Spellings, default_dictionary, exact_forms, vulgar_words  # noqa: E402
from forum_guard.engine.terms import (  # noqa: E402
    PHRASE_WORDS,
    ListKind,
    WordList,
    derived_terms,
    load_wordlist,
    load_wordlists,
)

#: the shipped list files the corpus is generated from (harassment and spam are phrases, domains hosts)
TIERS = ("profanity.txt", "mild.txt", "sexual.txt", "slurs.txt")


def load_tiers(folder: Path) -> WordList:
    """The tiers as one list (the corpus does not care which tier a term is in)."""
    lists = [load_wordlist(folder / name) for name in TIERS if (folder / name).is_file()]
    return WordList(name="profanity", terms=tuple(t for wl in lists for t in wl.terms))


def _dictionary_word(form: str, term: str) -> bool:
    """An inflected form that is a real word of its own (muzzier, pisser): the Scunthorpe guard
    excuses it by design, so it is no evasion to test recall on."""
    d = default_dictionary()
    if d is None or form in exact_forms(term, True):
        return False
    return form in _words(d)


def _words(d: object) -> frozenset[str]:
    cached = getattr(_words, "cache", None)
    if cached is None:
        cached = frozenset(w for ws in d.by_skeleton.values() for w in ws)  # type: ignore[attr-defined]
        _words.cache = cached  # type: ignore[attr-defined]
    return cached

SEED = 7_311_2024
PER_CATEGORY = 200
PROSE_SENTENCES = 2_600
CATEGORIES = (
    "case", "leet", "repeats", "separators", "zero_width", "accents",
    "homoglyphs", "styled", "html_split", "inflections",
    # added with issue 9 and 12 (appended: the categories above keep their seeds and their lines)
    "masking", "symbol_wrapped", "invisible", "bidi", "confusables",
    # issue 9, second part: each names the lists it is measured on ("lists" in its lines)
    "derived", "phrase_inflections", "separated_phrases", "obfuscated_domains", "attribute_text",
)

#: the categories whose lines name the lists they are measured on
NAMED = frozenset({"derived", "phrase_inflections", "separated_phrases", "obfuscated_domains", "attribute_text"})

# --------------------------------------------------------------------------------------------
# terms


def censored_terms(folder: Path = REPO_ROOT / "wordlists") -> frozenset[str]:
    """The terms of the shipped tiers whose action is censor (mild.txt)."""
    out: set[str] = set()
    for name in TIERS:
        if (folder / name).is_file():
            wl = load_wordlist(folder / name)
            if wl.action is Action.CENSOR:
                out.update(t.text for t in wl.words)
    return frozenset(out)


def corpus_terms(wl: WordList) -> list[str]:
    """Single-word, letters-only stems of at least 3 letters, in list order, without repeats."""
    seen: dict[str, None] = {}
    for t in wl.words:
        text = t.text.lower()
        if len(text) >= 3 and text.isascii() and text.isalpha():
            seen.setdefault(text, None)
    return list(seen)


def plain_terms(wl: WordList) -> list[str]:
    """Entries without wildcards (the ones inflections apply to)."""
    return [
        t.text.lower() for t in wl.words
        if not (t.wildcard_start or t.wildcard_end) and len(t.text) >= 3 and t.text.isascii() and t.text.isalpha()
    ]


def exception_texts(wl: WordList) -> set[str]:
    return {" ".join(t.text.lower().split()) for t in wl.exceptions}


# --------------------------------------------------------------------------------------------
# carriers: innocent sentences with one slot, the slot at the start, middle or end

CARRIERS_START = (
    "{w} this update, the login page is broken again",
    "{w}, that is not how the rules work here",
    "{w} the whole thing, I am going back to the old version",
    "{w} is what my brother typed into the chat box",
    "{w} off with that nonsense about the release date",
    "{w}? No thanks, I will wait for the next sale",
    "{w}!! The server went down right before the raid",
    "{w} and the rest of that thread can stay closed",
)
CARRIERS_MIDDLE = (
    "The new patch is {w} useless for people on older laptops",
    "Tell the admin that this bug is {w} annoying and should be fixed",
    "My neighbour called the delivery driver {w} yesterday afternoon",
    "Honestly the ending of that show was {w} ridiculous",
    "Then he wrote {w} in every reply on the board",
    "Somebody keeps posting {w} under the recipe thread",
    "Please stop saying {w} in the kids section, thanks",
    "The ref was {w} blind in the second half",
    "Why does the bot let {w} through but not my link?",
    "Our coach shouted {w} at the umpire after the call",
    "That update made the game {w} slow on my phone",
    "I just read {w} in the comments under the weather report",
)
CARRIERS_END = (
    "The guy in the next seat kept calling me {w}",
    "After three hours of queueing all I can say is {w}",
    "My landlord is an utter {w}",
    "Nobody needs to read the word {w}",
    "She lost the match and yelled {w}",
    "Some troll wrote {w}",
    "The last message in the thread just said {w}",
    "Whoever designed this menu is {w}",
)
TRAILING = ("", "", "", ".", ".", "!", "?", "...", "!!", ",", ";", ":)")


def carrier(rng: random.Random, form: str) -> tuple[str, int, int]:
    """An innocent sentence holding ``form`` once; returns (text, start, end)."""
    pool = rng.choice((CARRIERS_START, CARRIERS_MIDDLE, CARRIERS_END))
    template = rng.choice(pool)
    if pool is CARRIERS_END:
        template += rng.choice(TRAILING)
    elif not template.endswith(("?", "!")):
        template += rng.choice(("", ".", ".", "!", "..."))
    # no carrier puts a one-letter word next to the slot: "a f u c k" would be a different test
    before, after = template.split("{w}")
    text = before + form + after
    return text, len(before), len(before) + len(form)


def html_carrier(rng: random.Random, form_html: str) -> str:
    pool = rng.choice((CARRIERS_START, CARRIERS_MIDDLE, CARRIERS_END))
    template = rng.choice(pool) + rng.choice(("", ".", "!"))
    before, after = template.split("{w}")
    wrap = rng.choice(("<p>{}</p>", "<p>{}</p>", "<div>{}</div>", "<p>Quick note: {}</p>", "{}"))
    return wrap.format(html.escape(before, quote=False) + form_html + html.escape(after, quote=False))


# --------------------------------------------------------------------------------------------
# transformations: word -> (evasive form, how)

Transform = Callable[[random.Random, str], tuple[str, str]]


def t_case(rng: random.Random, w: str) -> tuple[str, str]:
    style = rng.choice(("upper", "alternate", "alternate2", "title", "random", "last"))
    if style == "upper":
        out = w.upper()
    elif style == "alternate":
        out = "".join(c.upper() if i % 2 == 0 else c for i, c in enumerate(w))
    elif style == "alternate2":
        out = "".join(c.upper() if i % 2 == 1 else c for i, c in enumerate(w))
    elif style == "title":
        out = w[:1].upper() + w[1:]
    elif style == "last":
        out = w[:-1] + w[-1].upper()
    else:
        out = "".join(c.upper() if rng.random() < 0.5 else c for c in w)
        if out == w:
            out = w.upper()
            style = "upper"
    return out, style


LEET = {
    "a": ("4", "@"), "e": ("3",), "i": ("1", "!"), "l": ("1", "|"), "o": ("0",),
    "s": ("5", "$"), "t": ("7",),
}


def t_leet(rng: random.Random, w: str) -> tuple[str, str]:
    for _ in range(20):
        out: list[str] = []
        hows: set[str] = set()
        rate = rng.choice((0.5, 0.8, 1.0))
        for i, c in enumerate(w):
            last = i == len(w) - 1
            if c in LEET and rng.random() < rate:
                choices = [s for s in LEET[c] if not (last and s in "!|")]
                if choices:
                    s = rng.choice(choices)
                    out.append(s)
                    hows.add(f"{s}={c}")
                    continue
            if c == "f" and not last and rng.random() < 0.7:
                out.append("ph")
                hows.add("ph=f")
                continue
            out.append(c)
        form = "".join(out)
        if form != w:
            return form, " ".join(sorted(hows))
    raise ValueError(w)


def t_repeats(rng: random.Random, w: str) -> tuple[str, str]:
    style = rng.choice(("stretch_one", "stretch_one", "stretch_many", "double_all"))
    if style == "double_all":
        return "".join(c * 2 for c in w), style
    if style == "stretch_one":
        i = rng.randrange(len(w))
        return w[:i] + w[i] * rng.randint(3, 7) + w[i + 1 :], style
    idx = set(rng.sample(range(len(w)), k=min(len(w), rng.randint(2, 3))))
    return "".join(c * rng.randint(2, 5) if i in idx else c for i, c in enumerate(w)), style


SEPARATORS = (".", "-", "_", "*", " ", "/", "~", "'", ". ", " - ", ",")


def t_separators(rng: random.Random, w: str) -> tuple[str, str]:
    sep = rng.choice(SEPARATORS)
    return sep.join(w), f"sep={sep!r}"


ZERO_WIDTH = {
    "\u200b": "ZWSP", "\u200c": "ZWNJ", "\u200d": "ZWJ", "\u2060": "WJ", "\u00ad": "SHY",
    "\ufeff": "BOM", "\u202e": "RLO", "\u202d": "LRO", "\u202c": "PDF", "\u200e": "LRM",
    "\u200f": "RLM", "\u2066": "LRI", "\u2069": "PDI", "\u180e": "MVS", "\u034f": "CGJ",
}


def t_zero_width(rng: random.Random, w: str) -> tuple[str, str]:
    chars = list(ZERO_WIDTH)
    every = rng.random() < 0.5
    gaps = range(1, len(w)) if every else rng.sample(range(1, len(w)), k=rng.randint(1, len(w) - 1))
    mix = rng.random() < 0.3
    one = rng.choice(chars)
    out = []
    used = set()
    for i, c in enumerate(w):
        if i in gaps:
            z = rng.choice(chars) if mix else one
            out.append(z)
            used.add(ZERO_WIDTH[z])
        out.append(c)
    return "".join(out), " ".join(sorted(used))


COMBINING = tuple(chr(c) for c in range(0x0300, 0x0370))
ACCENT_MARKS = ("\u0308", "\u0301", "\u0300", "\u0302", "\u0303", "\u030a", "\u0327", "\u030c", "\u0304", "\u0306")


def _precomposed() -> dict[str, list[str]]:
    table: dict[str, list[str]] = {}
    for base in "abcdefghijklmnopqrstuvwxyz":
        for mark in (*ACCENT_MARKS, "\u0328", "\u0307", "\u0323", "\u0331", "\u030b"):
            ch = unicodedata.normalize("NFC", base + mark)
            if len(ch) == 1 and ch != base:
                table.setdefault(base, []).append(ch)
    return table


PRECOMPOSED = _precomposed()


def t_accents(rng: random.Random, w: str) -> tuple[str, str]:
    style = rng.choice(("combining", "combining", "zalgo", "precomposed", "precomposed"))
    if style == "precomposed" and not any(c in PRECOMPOSED for c in w):
        style = "combining"
    if style == "precomposed":
        cand = [i for i, c in enumerate(w) if c in PRECOMPOSED]
        idx = set(rng.sample(cand, k=rng.randint(1, len(cand))))
        return "".join(rng.choice(PRECOMPOSED[c]) if i in idx else c for i, c in enumerate(w)), style
    if style == "zalgo":
        return "".join(c + "".join(rng.choice(COMBINING) for _ in range(rng.randint(2, 6))) for c in w), style
    k = rng.randint(1, max(1, len(w) // 2))
    idx = set(rng.sample(range(len(w)), k=k))
    out = "".join(c + rng.choice(ACCENT_MARKS) if i in idx else c for i, c in enumerate(w))
    return out, style


# Only letters that really look like the Latin one.
HOMOGLYPHS = {
    "a": (("\u0430", "cyrillic"), ("\u03b1", "greek")),
    "c": (("\u0441", "cyrillic"), ("\u03f2", "greek")),
    "d": (("\u0501", "cyrillic"),),
    "e": (("\u0435", "cyrillic"), ("\u03b5", "greek")),
    "h": (("\u04bb", "cyrillic"), ("\u0570", "armenian")),
    "i": (("\u0456", "cyrillic"), ("\u03b9", "greek")),
    "j": (("\u0458", "cyrillic"),),
    "k": (("\u03ba", "greek"),),
    "n": (("\u0578", "armenian"),),
    "o": (("\u043e", "cyrillic"), ("\u03bf", "greek"), ("\u0585", "armenian")),
    "p": (("\u0440", "cyrillic"), ("\u03c1", "greek")),
    "q": (("\u051b", "cyrillic"),),
    "s": (("\u0455", "cyrillic"),),
    "u": (("\u057d", "armenian"), ("\u03c5", "greek")),
    "v": (("\u03bd", "greek"),),
    "w": (("\u051d", "cyrillic"),),
    "x": (("\u0445", "cyrillic"), ("\u03c7", "greek")),
    "y": (("\u0443", "cyrillic"),),
}


def t_homoglyphs(rng: random.Random, w: str) -> tuple[str, str]:
    cand = [i for i, c in enumerate(w) if c in HOMOGLYPHS]
    if not cand:
        raise ValueError(w)
    idx = set(cand) if rng.random() < 0.3 else set(rng.sample(cand, k=rng.randint(1, len(cand))))
    scripts = set()
    out = []
    for i, c in enumerate(w):
        if i in idx:
            ch, script = rng.choice(HOMOGLYPHS[c])
            scripts.add(script)
            out.append(ch)
        else:
            out.append(c)
    return "".join(out), " ".join(sorted(scripts))




def _math_holes() -> dict[tuple[str, str], str]:
    """Letterlike symbols that fill the holes of the mathematical alphabets (ℎ, ℯ, ℭ, ℝ …),
    keyed by (style, letter as written: lower or upper case). Only used where the mathematical
    alphabet has no letter of its own."""
    holes = {("ITALIC", "h"): "\u210e"}
    styles = {"SCRIPT": "SCRIPT", "BLACK-LETTER": "FRAKTUR", "DOUBLE-STRUCK": "DOUBLE-STRUCK"}
    for code in range(0x2100, 0x2150):
        ch = chr(code)
        name = unicodedata.name(ch, "")
        base = unicodedata.normalize("NFKD", ch)
        for prefix, style in styles.items():
            if name.startswith(prefix + " ") and len(base) == 1 and base.isascii() and base.isalpha():
                holes.setdefault((style, base), ch)
    return holes


_MATH_HOLES = _math_holes()
STYLES = (
    "FULLWIDTH", "BOLD", "ITALIC", "BOLD ITALIC", "SCRIPT", "BOLD SCRIPT", "FRAKTUR",
    "DOUBLE-STRUCK", "SANS-SERIF", "SANS-SERIF BOLD", "MONOSPACE", "CIRCLED",
    "PARENTHESIZED", "SQUARED",
)


def styled_char(style: str, c: str, upper: bool) -> str:
    if style == "FULLWIDTH":
        return unicodedata.lookup(f"FULLWIDTH LATIN {'CAPITAL' if upper else 'SMALL'} LETTER {c.upper()}")
    if style == "CIRCLED":
        return unicodedata.lookup(f"CIRCLED LATIN {'CAPITAL' if upper else 'SMALL'} LETTER {c.upper()}")
    if style == "PARENTHESIZED":
        return unicodedata.lookup(f"PARENTHESIZED LATIN SMALL LETTER {c.upper()}")
    if style == "SQUARED":
        return unicodedata.lookup(f"SQUARED LATIN CAPITAL LETTER {c.upper()}")
    try:
        return unicodedata.lookup(f"MATHEMATICAL {style} {'CAPITAL' if upper else 'SMALL'} {c.upper()}")
    except KeyError:
        return _MATH_HOLES[(style, c.upper() if upper else c)]


def t_styled(rng: random.Random, w: str) -> tuple[str, str]:
    style = rng.choice(STYLES)
    upper = style not in ("PARENTHESIZED", "SQUARED") and rng.random() < 0.25
    if style == "SQUARED":
        upper = True
    try:
        return "".join(styled_char(style, c, upper) for c in w), style.lower() + (" caps" if upper else "")
    except KeyError:
        return "".join(styled_char("BOLD", c, False) for c in w), "bold"


HTML_TAGS = ("b", "i", "em", "strong", "u", "s", "span", "code", "sub", "sup", "mark", "font")


def t_html(rng: random.Random, w: str) -> tuple[str, str]:
    style = rng.choice(("tag", "tag", "tag", "nested", "two_tags", "entity_dec", "entity_hex", "comment", "shy"))
    if style in ("tag", "nested", "two_tags"):
        i = rng.randint(1, len(w) - 1)
        j = rng.randint(i, len(w))
        tag = rng.choice(HTML_TAGS)
        if style == "tag":
            return f"{w[:i]}<{tag}>{w[i:j]}</{tag}>{w[j:]}", style
        if style == "nested":
            tag2 = rng.choice(HTML_TAGS)
            return f"<{tag}>{w[:i]}<{tag2}>{w[i:]}</{tag2}></{tag}>", style
        tags = [rng.choice(HTML_TAGS) for _ in w]
        return "".join(f"<{t}>{c}</{t}>" for c, t in zip(w, tags, strict=True)), style
    if style == "entity_dec":
        i = rng.randrange(len(w))
        return w[:i] + f"&#{ord(w[i])};" + w[i + 1 :], style
    if style == "entity_hex":
        i = rng.randrange(len(w))
        return w[:i] + f"&#x{ord(w[i]):x};" + w[i + 1 :], style
    if style == "comment":
        i = rng.randint(1, len(w) - 1)
        return w[:i] + "<!-- -->" + w[i:], style
    i = rng.randint(1, len(w) - 1)
    return w[:i] + "&shy;" + w[i:], style


# --------------------------------------------------------------------------------------------
# inflections

VOWELS = set("aeiou")


def inflected_forms(w: str) -> list[tuple[str, str]]:
    """English spellings of -s -es -ed -ing -er -ers for ``w`` (with the how)."""
    forms: list[tuple[str, str]] = []
    if w.endswith(("s", "x", "z", "ch", "sh")):
        forms.append((w + "es", "es"))
    elif w.endswith("y") and w[-2:-1] not in VOWELS:
        return []  # -ies is not one of the inflections the format promises
    else:
        forms.append((w + "s", "s"))
    if w.endswith("e"):
        stem = w[:-1]
        forms += [(w + "d", "ed"), (stem + "ing", "ing"), (w + "r", "er"), (w + "rs", "ers")]
        return forms
    double = (
        len(w) >= 3 and w[-1] not in VOWELS and w[-1] not in "cwxy" and w[-2] in VOWELS and w[-3] not in VOWELS
    )
    stem = w + w[-1] if double else w
    tag = "2" if double else ""
    forms += [(stem + "ed", "ed" + tag), (stem + "ing", "ing" + tag), (stem + "er", "er" + tag),
              (stem + "ers", "ers" + tag)]
    return forms


# --------------------------------------------------------------------------------------------
# generation


def _spread(rng: random.Random, terms: Sequence[str], n: int) -> list[str]:
    """``n`` terms cycling through a shuffled copy, so every term is used before any repeats."""
    out: list[str] = []
    while len(out) < n:
        batch = list(terms)
        rng.shuffle(batch)
        out.extend(batch)
    return out[:n]


def t_masking(rng: random.Random, w: str) -> tuple[str, str]:
    """Letters hidden behind a mask, the way posters write them: the first letter kept, up to
    about half of the rest hidden (``f*ck``, ``sh*t``, ``f**k``, ``b*tch``, ``f***``). The last
    letter is hidden only with another one: a lone star after a whole word (``hel*``) is read as
    emphasis, a glob or a footnote (``*for free*``, ``test*.py``), by design."""
    if not w.isalpha() or not 4 <= len(w) <= 12:
        raise ValueError("masking needs one word of 4-12 letters")
    mask = rng.choice("***#@")
    k = rng.randint(1, max(1, (len(w) - 1) // 2))
    hide = set(rng.sample(range(1, len(w)), k))
    if hide == {len(w) - 1}:
        hide = {len(w) - 2} if len(w) > 2 else hide
    return "".join(mask if i in hide else c for i, c in enumerate(w)), f"{k} of {len(w)} with {mask!r}"


WRAPS = ("@{}", "#{}", "({})", "¡{}!", '"{}"', "[{}]", "*{}*", "_{}_", "'{}'", "¿{}?")


def t_symbol_wrapped(rng: random.Random, w: str) -> tuple[str, str]:
    wrap = rng.choice(WRAPS)
    return wrap.format(w), f"wrap={wrap!r}"


#: code points a browser draws as nothing that are not in ZERO_WIDTH: unassigned, default-ignorable
#: and format controls (issue 12: "fu\u2065ck" read "fuck" in Chromium)
INVISIBLE = {
    "\u2065": "U+2065 unassigned", "\ufff0": "U+FFF0 unassigned", "\ufff8": "U+FFF8 unassigned",
    "\U000e0041": "TAG A", "\U000e0100": "VS17", "\u17b4": "KHMER INHERENT AQ", "\u115f": "HANGUL FILLER",
    "\u3164": "HANGUL FILLER", "\u2061": "FUNCTION APPLICATION", "\u2064": "INVISIBLE PLUS",
}


def t_invisible(rng: random.Random, w: str) -> tuple[str, str]:
    z = rng.choice(list(INVISIBLE))
    gaps = set(rng.sample(range(1, len(w)), k=rng.randint(1, len(w) - 1)))
    return "".join((z if i in gaps else "") + c for i, c in enumerate(w)), INVISIBLE[z]


def t_bidi(rng: random.Random, w: str) -> tuple[str, str]:
    """Written backwards under a right-to-left override: displayed as the word (issue 12)."""
    end = rng.choice(("\u202c", "", "\u2069"))
    opener = "\u202e" if end != "\u2069" else "\u2067\u202e"
    return opener + w[::-1] + end, "RLO" + (" PDF" if end == "\u202c" else " PDI" if end else "")


def _confusables() -> dict[str, list[str]]:
    """ASCII letter → its non-ASCII look-alikes in Unicode's confusables data (UTS #39, from the
    confusable-homoglyphs package) that the older hand table (HOMOGLYPHS) does not have."""
    import json as _json
    from importlib import resources

    raw = _json.loads(resources.files("confusable_homoglyphs").joinpath("confusables.json").read_text("utf-8"))
    known = {h for pairs in HOMOGLYPHS.values() for h, _ in pairs}
    out: dict[str, list[str]] = {}
    for ch, group in raw.items():
        if len(ch) != 1 or ch.isascii() or ch in known or not ch.isprintable():
            continue
        for entry in group:
            target = entry["c"]
            if len(target) == 1 and target.isascii() and target.isalpha():
                out.setdefault(target.lower(), []).append(ch)
                break
    return {k: sorted(v) for k, v in out.items()}


_CONFUSABLES: dict[str, list[str]] = {}


def t_confusables(rng: random.Random, w: str) -> tuple[str, str]:
    if not _CONFUSABLES:
        _CONFUSABLES.update(_confusables())
    spots = [i for i, c in enumerate(w) if c in _CONFUSABLES]
    if not spots:
        raise ValueError("no letter with a look-alike")
    picked = rng.sample(spots, k=min(len(spots), rng.randint(1, 2)))
    chars = list(w)
    used = []
    for i in picked:
        chars[i] = rng.choice(_CONFUSABLES[w[i]])
        used.append(f"U+{ord(chars[i]):04X}={w[i]}")
    return "".join(chars), " ".join(used)


TRANSFORMS: dict[str, Transform] = {
    "case": t_case, "leet": t_leet, "repeats": t_repeats, "separators": t_separators,
    "zero_width": t_zero_width, "accents": t_accents, "homoglyphs": t_homoglyphs, "styled": t_styled,
    "masking": t_masking, "symbol_wrapped": t_symbol_wrapped, "invisible": t_invisible, "bidi": t_bidi,
    "confusables": t_confusables,
}


# --------------------------------------------------------------------------------------------
# the categories that name their lists (issue 9): derived forms, phrases, domains, attributes


def _innocent_word(form: str) -> bool:
    """A derived form whose key reaches a dictionary word the shipped vulgar tiers do not name
    (hellish; wogish, a plain join, reaches woggish): the guard leaves it out by design."""
    import re as _re

    d = default_dictionary()
    if d is None:
        return False
    skeleton = _re.sub(r"(.)\1+", r"\1", form)
    runs = [len(m.group(0)) for m in _re.finditer(r"(.)\1*", form)]
    for word in d.by_skeleton.get(skeleton, ()):
        if word in vulgar_words():
            continue
        other = [len(m.group(0)) for m in _re.finditer(r"(.)\1*", word)]
        if len(other) == len(runs) and all(n == 1 or m >= n for n, m in zip(runs, other, strict=True)):
            return True
    return False


def pool_derived(lists: Sequence[WordList]) -> list[tuple[str, str, str, str]]:
    """(term, derived form, how, list) for each list's ``derive:`` suffixes, without the forms a
    list names anyway and the innocent dictionary words the guard excuses (hellish, cocky)."""
    out = []
    for wl in lists:
        suffixes = [x for x in wl.derive if x != PHRASE_WORDS]
        if not suffixes:
            continue
        named = Spellings(wl)
        for t in wl.words:
            for d in derived_terms(t, wl):
                form = d.text
                ends = [x for x in suffixes if form.endswith(x)]
                if " " in t.text or not ends or form in named or _innocent_word(form):
                    continue  # a phrase run together is the separated_phrases category's
                suffix = max(ends, key=len)
                out.append((t.text, form, f"+{suffix}", wl.name))
    return out


def pool_phrase_inflections(lists: Sequence[WordList]) -> list[tuple[str, str, str, str]]:
    out = []
    for wl in lists:
        if PHRASE_WORDS not in wl.derive:
            continue
        named = {" ".join(t.text.lower().split()) for t in wl.terms}
        for t in wl.words:
            for d in derived_terms(t, wl):
                if " " in d.text and d.text not in named:
                    pairs = list(zip(t.text.split(), d.text.split(), strict=True))
                    changed = [b for a, b in pairs if a != b]
                    if pairs[0][0] == pairs[0][1] and pairs[-1][0] == pairs[-1][1]:
                        continue  # the first word (buying followers) or the last (claim your rewards)
                    dictionary = default_dictionary()
                    if dictionary is not None and changed[0] not in _words(dictionary):
                        continue  # "fres" from free: the guard leaves forms English does not have out
                    out.append((t.text, d.text, "word+" + changed[0][-3:], wl.name))
    return out


#: how a spelled-out phrase is written: (between letters, between words)
SPELLINGS = (("-", " "), (".", " "), (" ", "  "), ("_", " "), (" ", " / "), ("-", "  "))


def t_separated_phrase(rng: random.Random, phrase: str) -> tuple[str, str]:
    words = phrase.split()
    if len("".join(words)) >= 8 and rng.random() < 0.25:
        # every letter one space apart, no break between the words: "c r y p t o g i v e a w a y"
        return " ".join("".join(words)), "letters ' ', no word break"
    within, between = rng.choice(SPELLINGS)
    return between.join(within.join(w) for w in words), f"letters {within!r}, words {between!r}"


def pool_phrases(lists: Sequence[WordList]) -> list[tuple[str, str]]:
    """(phrase, list) of every evasive phrase of letters (the lists' multi-word terms)."""
    return [(t.text.lower(), wl.name) for wl in lists if wl.evasion and wl.kind is ListKind.TERMS
            for t in wl.words if " " in t.text and all(w.isascii() and w.isalpha() for w in t.text.split())]


DOTS = ("(dot)", " . ", "[.]", " dot ", "[dot]", "(.)", "{.}", " (dot) ", " [.] ", "DOT")
DOMAIN_CARRIERS = (
    "For verified travel tips and real support, visit: {w}",
    "Cheap deals every day at {w} (trust me)",
    "Just google {w} and thank me later",
    "{w} has what you need, DM for a code",
    "Go to {w} now before the offer ends!",
    "I found the answer on {w}, worked for me",
)


def t_obfuscated_domain(rng: random.Random, host: str) -> tuple[str, str]:
    dot = rng.choice(DOTS)
    form = host.replace(".", dot)
    if rng.random() < 0.2:
        form = form.upper()
    return form, f"dot={dot!r}"


ATTRIBUTE_TAGS = (
    ('<img src="https://example.com/pictures/{n}.png" alt="', '">', "img alt"),
    ('<img alt="', '" src="https://example.com/pictures/{n}.jpg" width="200">', "img alt first"),
    ('<img src="https://example.com/pictures/{n}.gif" title="', '">', "img title"),
    ('<a href="https://example.com/threads/{n}" title="', '">this thread</a>', "a title"),
    ('<abbr title="', '">IMO</abbr>', "abbr title"),
)


def t_attribute(rng: random.Random, w: str) -> tuple[str, int, int, str]:
    """An HTML draft with ``w`` in an attribute a reader sees; (html, start, end, how)."""
    open_, close, how = rng.choice(ATTRIBUTE_TAGS)
    n = rng.randint(1, 999)
    open_, close = open_.replace("{n}", str(n)), close.replace("{n}", str(n))
    value = rng.choice(("{}", "{}", "what a {}", "{} lol", "you {}"))
    pre, post = value.split("{}")
    form = rng.choice((w, w, w.upper(), w.capitalize()))
    before = rng.choice(("<p>", "<p>Look at this: ", "<div>", "<p>see "))
    after = rng.choice(("</p>", " here</p>", "</div>", " :)</p>"))
    html_text = before + open_ + pre
    start = len(html_text)
    html_text += form + post + close + after
    return html_text, start, start + len(form), how


def named_cases(cat: str, rng: random.Random, wl: WordList, lists: Sequence[WordList],
                per_category: int) -> list[dict]:
    """The lines of a category that names its lists (``"lists"`` in each line)."""
    rows: list[dict] = []
    seen: set[str] = set()

    def add(text: str, term: str, s: int, e: int, form: str, how: str, names: Sequence[str],
            html_flag: bool = False) -> None:
        if text in seen or len(rows) >= per_category:
            return
        seen.add(text)
        assert text[s:e] == form or html_flag
        row = {"text": text, "term": term, "start": s, "end": e, "form": form, "how": how, "lists": list(names)}
        if html_flag:
            row["html"] = True
        rows.append(row)

    if cat in ("derived", "phrase_inflections"):
        pool = pool_derived(lists) if cat == "derived" else pool_phrase_inflections(lists)
        rng.shuffle(pool)
        for term, form, how, name in (pool * (per_category // max(1, len(pool)) + 2)):
            text, s, e = carrier(rng, form)
            add(text, term, s, e, form, how, [name])
    elif cat == "separated_phrases":
        phrases = pool_phrases(lists)
        for _ in range(per_category * 4):
            phrase, name = rng.choice(phrases)
            form, how = t_separated_phrase(rng, phrase)
            text, s, e = carrier(rng, form)
            add(text, phrase, s, e, form, how, [name])
    elif cat == "obfuscated_domains":
        hosts = [(t.text, x.name) for x in lists if x.kind is ListKind.DOMAINS for t in x.words]
        for _ in range(per_category * 6):
            host, name = rng.choice(hosts)
            form, how = t_obfuscated_domain(rng, host)
            before, after = rng.choice(DOMAIN_CARRIERS).split("{w}")
            add(before + form + after, host, len(before), len(before) + len(form), form, how, [name])
    elif cat == "attribute_text":
        for term in _spread(rng, corpus_terms(wl), per_category * 2):
            html_text, s, e, how = t_attribute(rng, term)
            add(html_text, term, s, e, html_text[s:e], how, [x.name for x in lists if x.name + ".txt" in TIERS],
                html_flag=True)
    return rows


def evasion_cases(wl: WordList, per_category: int = PER_CATEGORY, seed: int = SEED,
                  lists: Sequence[WordList] = ()) -> dict[str, list[dict]]:
    """The lines of every category; ``lists`` (every shipped list) for the categories that name
    their lists."""
    terms = corpus_terms(wl)
    exceptions = exception_texts(wl)
    out: dict[str, list[dict]] = {}
    for cat_no, cat in enumerate(CATEGORIES):
        rng = random.Random(seed * 100 + cat_no)
        rows: list[dict] = []
        if cat in NAMED:
            if lists:
                out[cat] = named_cases(cat, rng, wl, lists, per_category)
            continue
        if cat == "inflections":
            pool = [
                (t, form, how) for t in plain_terms(wl) for form, how in inflected_forms(t)
                if form not in exceptions and form not in terms and not _dictionary_word(form, t)
            ]
            rng.shuffle(pool)
            for term, form, how in (pool * (per_category // max(1, len(pool)) + 1))[:per_category]:
                text, s, e = carrier(rng, form)
                rows.append({"text": text, "term": term, "start": s, "end": e, "form": form, "how": how})
            out[cat] = rows
            continue
        eligible = [t for t in terms if cat != "leet" or any(c in LEET or c == "f" for c in t[:-1] + t[-1])]
        if cat == "masking":
            # a masked word of a censor tier (mild: d*mn) is what the censor itself writes: left alone
            eligible = [t for t in eligible if t not in censored_terms()]
        if cat == "homoglyphs":
            eligible = [t for t in terms if any(c in HOMOGLYPHS for c in t)]
        seen: set[str] = set()
        for term in _spread(rng, eligible, per_category * 3):
            if len(rows) >= per_category:
                break
            if cat == "html_split":
                form_html, how = t_html(rng, term)
                text = html_carrier(rng, form_html)
                if text in seen:
                    continue
                seen.add(text)
                rows.append({"text": text, "html": True, "term": term, "word": term, "form": form_html, "how": how})
                continue
            try:
                form, how = TRANSFORMS[cat](rng, term)
            except ValueError:
                continue
            if form == term:
                continue
            text, s, e = carrier(rng, form)
            if text in seen:
                continue
            seen.add(text)
            assert text[s:e] == form
            if cat in ("symbol_wrapped", "bidi"):
                # the span is the word a reader sees: not the symbols around it, not the controls
                inner = form.index(term) if cat == "symbol_wrapped" else form.index(term[::-1])
                s, e = s + inner, s + inner + len(term)
            rows.append({"text": text, "term": term, "start": s, "end": e, "form": form, "how": how})
        out[cat] = rows
    return out


# --------------------------------------------------------------------------------------------
# prose

NAMES = ("Priya", "Tom", "Mateo", "Aisha", "Grace", "Ken", "Olu", "Sven", "Marta", "Dmitri", "Hannah", "Luis",
         "Mei", "Jonas", "Fatima", "Bob", "Cummings", "Hancock", "Cockburn", "Assange", "Dickinson")
SUBJECTS = ("My cousin", "The new moderator", "Our team", "Everyone in the guild", "The landlord", "My neighbour",
            "The support agent", "Grandma", "The referee", "Our drummer", "The bus driver", "My manager",
            "The plumber", "Half the forum", "The seller", "My sister", "The vet", "Our teacher", "The barista",
            "The admin", "My flatmate", "The mechanic", "Our coach", "The librarian", "My dad",
            "The assistant coach", "The class", "The therapist", "The analyst", "The bassist", "The cocktail bar")
VERBS_PAST = ("fixed", "sold", "painted", "borrowed", "returned", "found", "cleaned", "broke", "recommended",
              "ordered", "assembled", "tested", "posted", "shared", "cooked", "photographed", "repaired",
              "reviewed", "measured", "replaced", "assessed", "passed", "pushed", "hit", "analysed")
OBJECTS = ("the old bike", "a second-hand guitar", "the garden fence", "my laptop charger", "the spare tyre",
           "a bag of grapes", "the kitchen tap", "the bass amp", "a box of documents", "the cockpit model",
           "the peacock feather", "a shuttlecock", "the title screen", "the passage on page 12",
           "a classic car", "the Dickens novel", "the class notes", "the assignment", "a pack of shiitake",
           "a cocktail shaker", "the Arsenal shirt", "the brass knob", "a jar of spices", "the hard drive",
           "an old analog synth", "the cumulative report", "the scrapbook", "the hitchhiker's guide",
           "a pair of cocker spaniel puppies", "the raccoon trap", "the assessment form", "the pushchair",
           "the bookshelf", "a tin of paint", "the wifi router", "a sourdough starter", "the password manager",
           "the weekly shift plan", "the spreadsheet", "a cheap tripod", "the thermostat")
TIMES = ("yesterday", "last week", "this morning", "on Sunday", "after lunch", "before the match",
         "in about ten minutes", "last night", "over the weekend", "at 7:30", "in March", "twice")
PLACES = ("in Scunthorpe", "in Penistone", "near Middlesex", "in Sussex", "in Essex", "in the shed",
          "at the cafe", "in the garage", "at the library", "on the train", "in the park", "at work",
          "in Cockermouth", "by the canal", "in Matsushita's old factory", "on the balcony", "downtown")
ADJS = ("brilliant", "awful", "slow", "cheap", "confusing", "solid", "fine", "noisy", "great", "weird",
        "overpriced", "surprisingly good", "a bit dated", "rock solid", "hard to read", "too loud",
        "classic", "passable", "massive", "titanic", "analytic", "pricey", "sketchy")
TOPICS = ("the new update", "this season", "the latest firmware", "the recipe thread", "the league table",
          "the second album", "the remake", "the bus timetable", "the parking rules", "the dark theme",
          "the patch notes", "the trade deadline", "the election coverage", "the mod list", "the final boss")
EMOTES = (":)", ":-)", ":(", ";)", ":D", "xD", ":P", "<3", "^_^", ":/", "o_O", "T_T", "\\o/", "(y)", ":3",
          "\U0001F600", "\U0001F44D", "\U0001F602", "\u2764\ufe0f", "\U0001F914")
FILLERS = ("tbh", "imo", "lol", "haha", "fwiw", "to be fair", "just saying", "honestly", "I think", "as usual")
PRODUCTS = ("the Galaxy S24", "a Pixel 8", "the Steam Deck", "an iPad Air", "the Ryzen 5 5600X",
            "an RTX 4070", "a Raspberry Pi 5", "the ThinkPad X1", "a Kindle", "the Porsche 911",
            "a Boeing 737", "the i5-13400", "a Galaxy A35", "the M3 MacBook", "a PS5")
SHOPS = ("the corner shop", "Amazon", "a car boot sale", "eBay", "the market", "IKEA", "the hardware store")
CODE = ("git pull --rebase", "pip install -r requirements.txt", "ls -la ~/.config", "sudo apt-get update",
        "print(sum(range(10)))", "x = a[i] + b[j]", "SELECT id, title FROM posts WHERE id = 42;",
        "for i in range(3): print(i)", "docker compose up -d", "npm run build", "chmod 644 notes.txt",
        "grep -rn TODO src/", "$HOME/.bashrc", "C:\\Users\\Public\\Documents", "#include <stdio.h>",
        "let x = 5 * 3;", "ssh pi@192.168.1.10", "curl -s https://example.com/api/v1/items",
        "git push origin main", "make test", "assert len(items) == 3", "class Config(dict): pass",
        "s.split(',')[0]", "0x1F600", "echo $PATH", "python3 -m venv .venv")
DOMAINS = ("example.com", "docs.python.org", "wiki.example.org", "github.com", "en.wikipedia.org",
           "forum.example.net", "bbc.co.uk", "archive.org")
PATHS = ("faq", "wiki/Classic_cars", "guide/setup", "threads/1234", "docs/3.12/library/re.html",
         "issues/88", "recipes/shiitake-soup", "wiki/Scunthorpe_problem", "help#assist")
GAMES = ("the raid", "ranked", "the quiz night", "the pub quiz", "chess club", "the bake sale", "five-a-side")
NUMBERS = ("2", "3", "7", "12", "24", "40", "99", "150", "1,200", "3.5", "0.75", "911", "404", "1080", "2024")


def _sentence(rng: random.Random) -> str:
    r = rng.randrange(22)
    s = rng.choice(SUBJECTS)
    if r == 0:
        return f"{s} {rng.choice(VERBS_PAST)} {rng.choice(OBJECTS)} {rng.choice(TIMES)}."
    if r == 1:
        return f"Has anyone tried {rng.choice(PRODUCTS)} with {rng.choice(OBJECTS)}?"
    if r == 2:
        a, b = rng.sample(ADJS, 2)
        return f"{rng.choice(FILLERS).capitalize()}, {rng.choice(TOPICS)} is {a} and {b}."
    if r == 3:
        price = f"{rng.choice(('$', '£', '€'))}{rng.randint(2, 900)}{rng.choice(('', '.99', '.50'))}"
        return f"I paid {price} for {rng.choice(OBJECTS)} at {rng.choice(SHOPS)}, which seems {rng.choice(ADJS)}."
    if r == 4:
        return f"Try `{rng.choice(CODE)}` and see if it helps {rng.choice(EMOTES)}"
    if r == 5:
        return f"The docs are at https://{rng.choice(DOMAINS)}/{rng.choice(PATHS)} if you need them."
    if r == 6:
        return f"Thanks for the help, {rng.choice(NAMES)} {rng.choice(EMOTES)}"
    if r == 7:
        return (f"The meetup is on {rng.choice(('Monday', 'Friday', 'Saturday'))} at {rng.randint(1, 12)}:"
                f"{rng.choice(('00', '15', '30', '45'))} in room {rng.randint(1, 400)}.")
    if r == 8:
        return f"Quote from {rng.choice(NAMES)}: \"{rng.choice(TOPICS)} was {rng.choice(ADJS)}\" {rng.choice(FILLERS)}"
    if r == 9:
        return (f"My rig has {rng.choice(PRODUCTS)}, {rng.choice(('16', '32', '64'))} GB of RAM and a "
                f"{rng.choice(('1', '2', '4'))} TB drive.")
    if r == 10:
        return f"{rng.choice(NAMES)} scored {rng.randint(0, 9)}-{rng.randint(0, 9)} in {rng.choice(GAMES)} {rng.choice(TIMES)}!"
    if r == 11:
        return f"Can someone explain why {rng.choice(TOPICS)} needs {rng.choice(NUMBERS)} steps {rng.choice(EMOTES)}"
    if r == 12:
        return f"{s} {rng.choice(VERBS_PAST)} it {rng.choice(PLACES)}, {rng.choice(FILLERS)}."
    if r == 13:
        return f"I need {rng.randint(1, 4)} cups of flour and {rng.randint(2, 6)} eggs for this one."
    if r == 14:
        return f"Edit: fixed the link, it was {rng.choice(('broken', 'a typo', 'pointing to the old page'))}."
    if r == 15:
        return f"+1 to what {rng.choice(NAMES)} said about {rng.choice(TOPICS)}."
    if r == 16:
        return f"Read the passage again: {rng.choice(NUMBERS)} x {rng.choice(NUMBERS)} = {rng.randint(10, 999)}, not {rng.randint(10, 999)}."
    if r == 17:
        return f"We met {rng.choice(NAMES)} {rng.choice(PLACES)} and {rng.choice(VERBS_PAST)} {rng.choice(OBJECTS)} together."
    if r == 18:
        return f"Does anybody know if {rng.choice(SHOPS)} still sells {rng.choice(OBJECTS).removeprefix('the ')}?"
    if r == 19:
        return f"Lol, this hit different after {rng.choice(TOPICS)} {rng.choice(EMOTES)}"
    if r == 20:
        return f"Version {rng.randint(1, 5)}.{rng.randint(0, 20)}.{rng.randint(0, 9)} is out, changelog at https://{rng.choice(DOMAINS)}/{rng.choice(PATHS)}."
    return f"{s} said the {rng.choice(('class', 'assessment', 'assembly', 'analysis', 'cocktail party', 'title fight', 'bass solo'))} was {rng.choice(ADJS)}."


def prose(n: int = PROSE_SENTENCES, seed: int = SEED) -> list[str]:
    rng = random.Random(seed + 1)
    out: dict[str, None] = {}
    while len(out) < n:
        out.setdefault(_sentence(rng), None)
    return list(out)


# --------------------------------------------------------------------------------------------


def write_jsonl(path: Path, rows: Iterable[dict]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            n += 1
    return n


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lists", default=str(REPO_ROOT / "wordlists"), help="folder with the tiers' *.txt")
    ap.add_argument("--out", default=str(REPO_ROOT / "tests" / "data"), help="output folder")
    ap.add_argument("--per-category", type=int, default=PER_CATEGORY)
    args = ap.parse_args(argv)
    wl = load_tiers(Path(args.lists))
    out = Path(args.out)
    for cat, rows in evasion_cases(wl, args.per_category, lists=load_wordlists(Path(args.lists))).items():
        n = write_jsonl(out / "evasion" / f"{cat}.jsonl", rows)
        print(f"evasion/{cat}.jsonl: {n} lines")
    lines = prose()
    p = out / "fp" / "prose.txt"
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"fp/prose.txt: {len(lines)} sentences")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
