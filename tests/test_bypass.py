"""Bypasses a reader sees as the banned word (issue 12): code points drawn as nothing, and text
under a right-to-left override read in display order."""

from __future__ import annotations

import random
import sys

import pytest
import regex

from forum_guard import Action, Guard, parse_wordlist
from forum_guard.engine.matcher import Matcher

LIST = parse_wordlist("# name: bad\nfuck*\nshit\n!shiitake\n", name="bad")
MATCHER = Matcher([LIST])
GUARD = Guard([LIST])


def spans(text: str) -> list[str]:
    return [text[m.start : m.end] for m in MATCHER.scan(text)]


def _invisible_code_points() -> list[str]:
    """Every default-ignorable and format code point, every unassigned one in the BMP, and a
    sample of unassigned ones in the other planes (Unicode data of the regex module)."""
    prop = regex.compile(r"[\p{Default_Ignorable_Code_Point}\p{Cf}]")
    unassigned = regex.compile(r"\p{Cn}")
    chars = [chr(c) for c in range(0x80, sys.maxunicode + 1) if prop.match(chr(c))]
    bmp_cn = [chr(c) for c in range(0x80, 0x10000) if unassigned.match(chr(c)) and not 0xD800 <= c < 0xE000]
    astral_cn = [chr(c) for c in range(0x10000, sys.maxunicode + 1, 97) if unassigned.match(chr(c))]
    rng = random.Random(12)
    return chars + bmp_cn + rng.sample(astral_cn, 2000)


INVISIBLE = _invisible_code_points()


def test_every_invisible_code_point_inside_a_word_is_removed_not_a_break() -> None:
    words = [f"fu{ch}ck" for ch in INVISIBLE]
    text = " ".join(words)
    found = spans(text)
    assert len(found) == len(words)
    assert found == words  # each whole, with the invisible character inside the span


@pytest.mark.parametrize("ch", ["\u2065", "\ufff0", "\ufff8", "\U000e0000", "\U000e0fff", "\U000e0041",
                                "\u0378", "\u2061", "\u180b", "\u115f", "\U0001d173"])
def test_named_invisible_bypasses_are_blocked(ch: str) -> None:
    verdict = GUARD.check(f"what the fu{ch}ck")
    assert verdict.action is Action.BLOCK
    assert [m.matched for m in verdict.matches] == [f"fu{ch}ck"]


def test_invisible_characters_do_not_make_innocent_words() -> None:
    assert spans("shi\u2065itake is a mushroom") == []
    assert spans("a\ufff0b c\U000e0001d") == []


def test_right_to_left_override_is_read_in_display_order() -> None:
    text = "oh \u202ekcuf\u202c ok"
    assert spans(text) == ["kcuf"]
    verdict = GUARD.check(text)
    assert verdict.action is Action.BLOCK
    assert verdict.matches[0].matched == "kcuf"


def test_override_runs_to_the_end_of_the_paragraph() -> None:
    assert spans("\u202e!tihs\nkcuf") == ["tihs"]  # "shit!": the "!" is punctuation
    assert spans("\u202eok \u2069kcuf") == []
    assert spans("x \u202bkcuf") == ["kcuf"]
    # one override reverses the whole run: the words come out in display order
    assert spans("\u202ekcuf ,em evael") == ["kcuf"]


def test_reversed_words_without_an_override_are_text() -> None:
    assert spans("kcuf") == []
    assert spans("\u202dkcuf") == []  # left-to-right override: no change for Latin letters


def test_exceptions_apply_in_display_order() -> None:
    m = Matcher([parse_wordlist("# name: bad\nass\n!ass hat\n", name="bad")])
    assert m.scan("\u202etah ssa") == []
    assert [(x.start, x.end) for x in m.scan("\u202essa")] == [(1, 4)]


def test_forward_and_reversed_matches_do_not_double() -> None:
    text = "\u202ekcufkcuf"  # displays "fuckfuck"; forward "kcufkcuf" has no word either
    assert spans(text) == ["kcufkcuf"]
    text = "\u202efuck kcuf"  # displays "fuck kcuf": one word each way
    assert sorted(spans(text)) == ["fuck", "kcuf"]


def test_a_huge_override_run_stays_correct() -> None:
    text = "\u202e" + "kcuf " * 19_999
    assert len(spans(text)) == 19_999
