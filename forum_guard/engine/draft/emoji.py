"""Counting emoji as users see them: one per grapheme, plus forum ``:shortcodes:``."""

from __future__ import annotations

import functools
import re

import numpy as np
import regex

from .codepoints import code_points

__all__ = ["EMOJI_START_RE", "count_emoji", "count_shortcodes"]



# one match per emoji as users see it (a grapheme): flags, keycaps, tag sequences (🏴 + tags),
# and ZWJ sequences of pictographs with optional skin tones and variation selectors.
# Text-default pictographs (© ® ™ ↔ ❤ ...) count only with U+FE0F or a skin tone; an
# emoji-default one followed by U+FE0E (text presentation) does not count.
_EMOJI_ELEMENT = (
    r"(?:\p{Emoji_Presentation}(?!\uFE0E)|\p{Extended_Pictographic}(?=\uFE0F|\p{Emoji_Modifier}))"
    r"\uFE0F?\p{Emoji_Modifier}?\uFE0F?"
)
_EMOJI_AFTER_ZWJ = r"\p{Extended_Pictographic}\uFE0F?\p{Emoji_Modifier}?\uFE0F?"
_EMOJI_RE = regex.compile(
    r"\p{Regional_Indicator}\p{Regional_Indicator}"
    r"|[0-9#*]\uFE0F?\u20E3"
    r"|\U0001F3F4[\U000E0020-\U000E007E]+\U000E007F"
    rf"|{_EMOJI_ELEMENT}(?:\u200D{_EMOJI_AFTER_ZWJ})*"
)
# a ":name:" candidate; matched as a lookahead so that "a:b:smile:" still finds ":smile:"
_SHORTCODE_RE = re.compile(r":(?=([^\s:]{1,80}):)")


#: Every character an emoji above can start with (a superset, checked against the Unicode data by
#: the tests), plus U+20E3 for keycaps, whose digit comes one or two characters earlier. A stdlib
#: character class finds these fast; the ``\p{…}`` pattern then runs only where one is.
EMOJI_START_RE = re.compile(
    "[\u00a9\u00ae\u203c\u2049\u20e3\u2122\u2139\u2194-\u21aa\u231a-\u23ff\u24c2\u25aa-\u27bf"
    "\u2934\u2935\u2b05-\u2b55\u3030\u303d\u3297\u3299\U0001F000-\U0001FFFF]"
)


# below these the per-candidate loop is cheaper than scanning the whole rest with the \p{…} pattern
_DENSE_FROM = 2_000
_SPARSE_CANDIDATES = 64


def count_emoji(text: str) -> int:
    """Unicode emoji in ``text``, one per grapheme cluster: 👨‍👩‍👧, 👍🏽, 🇫🇷, 1️⃣ and ❤️ are one
    each; text-presentation symbols (© ® ™ ↔ without U+FE0F) are none."""
    if text.isascii():
        return 0
    # one gather over the code points tells the common cases apart (numpy, ~3 µs for 2 KB; the
    # start class's scan alone costs 7): no candidate at all, or only emoji that are one code
    # point with nothing anywhere that could join them (🤔 👍 🔥), each of which is one emoji.
    # The kinds are read as bytes: a memchr and a count instead of numpy reductions
    kinds = _kind_table().take(code_points(text), mode="clip").tobytes()
    p = kinds.find(_JOINS_BYTE)
    if p < 0:
        return kinds.count(_ALONE_BYTE)
    # where something joins, a sequence may begin up to two characters before it (a keycap's
    # digit) and goes on one after it (the pictograph after a ZWJ): those stretches are counted
    # by the pattern, every single emoji outside them is one
    n = len(text)
    count = kinds.count(_ALONE_BYTE)  # the single emoji
    joins = 0
    a, b = (p - 2 if p >= 2 else 0), p + 2  # the stretch being grown
    while True:
        joins += 1
        if joins > _SPARSE_CANDIDATES:
            return _count_all(text)
        p = kinds.find(_JOINS_BYTE, p + 1)
        if p >= 0 and p - 2 <= b:
            b = p + 2
            continue
        b = min(b, n)
        # the single emoji of the stretch are counted again there, with what joins them
        count += _count_stretch(text[a:b]) - kinds.count(_ALONE_BYTE, a, b)
        if p < 0:
            return count
        a, b = p - 2, p + 2


@functools.lru_cache(maxsize=4_096)
def _count_stretch(stretch: str) -> int:
    """The emoji of a stretch around joiners (a few characters: ❤️, 👍🏽, 👨‍👩‍👧), which no
    emoji crosses, kept once counted: a forum's posts use the same few again and again."""
    return _count_between(stretch, 0, len(stretch))


def _count_all(text: str) -> int:
    """``count_emoji`` with the pattern alone (a text where many things join)."""
    first = EMOJI_START_RE.search(text)
    if first is None:
        return 0
    # a keycap's digit is one or two characters before its U+20E3
    start = max(first.start() - 2, 0)
    if len(text) - start > _DENSE_FROM and len(EMOJI_START_RE.findall(text, start)) > _SPARSE_CANDIDATES:
        # many candidates: one pass of the emoji pattern in C, instead of a Python step per
        # candidate (an emoji flood of 100k characters: 0.11 s → 0.04 s)
        return len(_EMOJI_RE.findall(text, start))
    return _count_between(text, start, len(text))


def _count_between(text: str, start: int, stop: int) -> int:
    """The emoji that start in ``text[start:stop]``, one candidate at a time (a sequence found
    there is matched to its end, wherever that is)."""
    count = 0
    end = start
    alone = _single_emoji()
    for candidate in EMOJI_START_RE.finditer(text, start, stop):
        pos = candidate.start()
        if pos < end:
            continue  # inside the emoji just counted (a ZWJ sequence, a flag)
        if candidate.group() in alone and text[pos + 1 : pos + 2] not in _JOINERS:
            # most emoji in a post are one code point with nothing joined to it (🤔 👍 🔥): the
            # pattern would match exactly that character
            count += 1
            end = pos + 1
            continue
        if text[pos] == "\u20e3":
            pos -= 2 if pos >= 2 and text[pos - 1] == "\ufe0f" else 1
            pos = max(pos, end)
        found = _EMOJI_RE.match(text, pos)
        if found:
            count += 1
            end = found.end()
    return count


#: what can follow an emoji inside the same one: ZWJ, variation selectors, the keycap mark, skin
#: tones, tag characters (and, for a regional indicator, another one: those never count alone)
_JOINERS = frozenset(["\u200d", "\ufe0e", "\ufe0f", "\u20e3", *map(chr, range(0x1F3FB, 0x1F400)),
                      *map(chr, range(0xE0020, 0xE0080))])


@functools.cache
def _single_emoji() -> frozenset[str]:
    """The emoji-presentation characters that are an emoji on their own when nothing joins them
    (every candidate character of :data:`EMOJI_START_RE` the pattern counts alone), regional
    indicators left out (they pair into flags)."""
    candidates = "".join(EMOJI_START_RE.findall("".join(map(chr, range(0xA0, 0x20000)))))
    return frozenset(regex.findall(r"(?!\p{Regional_Indicator})\p{Emoji_Presentation}", candidates))


#: values of ``_kind_table``: a single emoji (counts alone), something that joins or pairs
_ALONE, _JOINS = 1, 2
_ALONE_BYTE, _JOINS_BYTE = bytes([_ALONE]), bytes([_JOINS])
#: code points past the table clip to its last entry (U+1FFFF, a noncharacter): the tag
#: characters of a flag sequence are up there, so that entry sends a text to the full count
_KIND_TABLE_SIZE = 0x20000


@functools.cache
def _kind_table() -> np.ndarray:
    """For each code point below U+20000: ``_ALONE`` for the emoji that are one by themselves
    (:func:`_single_emoji`), ``_JOINS`` for what may join onto or pair with another character
    (``_JOINERS``, regional indicators) and for U+1FFFF (what the gather clips astral codes to), 0 for
    the rest: characters that are no emoji without a joiner next to them."""
    table = np.zeros(_KIND_TABLE_SIZE, dtype=np.uint8)
    table[[ord(ch) for ch in _single_emoji()]] = _ALONE
    table[[ord(ch) for ch in _JOINERS if ord(ch) < _KIND_TABLE_SIZE]] = _JOINS
    table[0x1F1E6:0x1F200] = _JOINS  # regional indicators
    table[_KIND_TABLE_SIZE - 1] = _JOINS
    return table


@functools.cache
def _default_emoticons() -> frozenset[str]:
    import emoji

    names: set[str] = set()
    for data in emoji.EMOJI_DATA.values():
        names.add(data["en"])
        names.update(data.get("alias", ()))
    return _normalize_emoticons(frozenset(names))


@functools.lru_cache(maxsize=16)
def _normalize_emoticons(names: frozenset[str]) -> frozenset[str]:
    return frozenset(n.strip().strip(":").lower() for n in names if n.strip(": "))


def count_shortcodes(text: str, emoticons: frozenset[str] | None = None) -> int:
    """Forum emoticons written as ``:name:`` whose name is in ``emoticons`` (with or without
    the colons, any case; default: every shortcode of the ``emoji`` package). Two codes may
    share no colon: ``:smile:smile:`` is one."""
    first = text.find(":")
    if first < 0 or text.find(":", first + 1) < 0:
        return 0  # fewer than two colons (two memchr calls, not a count over the whole text)
    names = _default_emoticons() if emoticons is None else _normalize_emoticons(emoticons)
    count = 0
    last_end = -1
    for m in _SHORTCODE_RE.finditer(text):
        if m.start() < last_end:
            continue
        if m.group(1).lower() in names:
            count += 1
            last_end = m.end(1) + 1
    return count


