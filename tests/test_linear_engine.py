"""The matcher's hostile shapes (issue 12) at the 100,000-character cap: right answers, no
quadratic stage. Times are measured by the benchmark harness, not asserted here."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from forum_guard.engine.matcher import Matcher
from forum_guard.engine.normalize import fold
from forum_guard.engine.terms import parse_wordlist

CAP = 100_000

LIST = parse_wordlist("# name: bad\nfuck*\nshit\n!shiitake\n", name="bad")
MATCHER = Matcher([LIST])


def spans(text: str, matcher: Matcher = MATCHER) -> list[str]:
    return [text[m.start : m.end] for m in matcher.scan(text)]


def test_a_long_run_of_bangs_in_non_ascii_text_is_punctuation() -> None:
    text = "é" + "!" * (CAP - 1)
    assert spans(text) == []
    assert fold(text).text.strip() == "e"


def test_symbols_inside_words_still_read_as_letters_at_the_cap() -> None:
    text = "é sh!t " + "|+!" * ((CAP - 7) // 3)
    assert len(text) <= CAP
    assert spans(text) == ["sh!t"]
    ascii_text = "sh!t " + "|+!" * ((CAP - 5) // 3)
    assert spans(ascii_text) == ["sh!t"]


def test_bangs_and_words_alternating_at_the_cap() -> None:
    text = ("sh!t! " * (CAP // 6))[:CAP]
    assert len(spans(text)) == CAP // 6
    assert set(spans(text)) == {"sh!t"}
    # the same with a non-ASCII character, the other fold path
    text = "é" + text[1:]
    assert set(spans(text)) == {"sh!t"}


_OLD_TRAILING = re.compile(r"[!|+](?=[!|+]*(?![\w$@!|+]))")  # the former, quadratic rule, as oracle


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab!|+$@ é.", max_size=30))
def test_the_linear_trailing_symbol_rule_agrees_with_the_old_one(text: str) -> None:
    expected = fold(_OLD_TRAILING.sub(" ", text)).text
    assert fold(text).text == expected


def test_exceptions_against_many_matches_at_the_cap() -> None:
    text = ("shiitake fuck " * 7142)[:CAP]
    found = spans(text)
    assert found == ["fuck"] * 7142


def test_exception_spans_nested_and_overlapping() -> None:
    wl = parse_wordlist("# name: bad\nass\n!ass hat\n!big ass hat\n", name="bad")
    m = Matcher([wl])
    text = "an ass hat, a big ass hat, an ass, " * 2000
    assert spans(text, m) == ["ass"] * 2000


def test_long_separator_runs_at_the_cap() -> None:
    text = ("a." * (CAP // 2))[:CAP]
    assert spans(text) == []
    text = ("f.u.c.k." * (CAP // 8))[:CAP]
    assert len(spans(text)) >= 1
    text = "a.b." * (CAP // 4)
    assert spans(text) == []


def test_match_host_with_fifty_thousand_domains() -> None:
    hosts = "\n".join(f"spam{i}.example.com" for i in range(50_000))
    wl = parse_wordlist(f"# name: hosts\n# kind: domains\n{hosts}\nhopzone.eu\n", name="hosts")
    m = Matcher([wl])
    hop = len(wl.terms) - 1
    assert m.match_host("hopzone.eu") == [(0, hop)]
    assert m.match_host("WWW.HopZone.EU.") == [(0, hop)]
    assert m.match_host("a.b.c.hopzone.eu") == [(0, hop)]
    assert m.match_host("nothopzone.eu") == []
    assert m.match_host("hopzone.eu.evil.org") == []
    assert m.match_host("eu") == []
    assert m.match_host("x.spam49999.example.com") == [(0, 49_999)]
    assert m.match_host("example.com") == []


def test_a_domain_in_two_lists_is_reported_for_both() -> None:
    a = parse_wordlist("# name: a\n# kind: domains\nhopzone.eu\n", name="a")
    b = parse_wordlist("# name: b\n# kind: domains\nx.hopzone.eu\nhopzone.eu\n", name="b")
    m = Matcher([a, b])
    assert m.match_host("x.hopzone.eu") == [(0, 0), (1, 0), (1, 1)]


def test_one_long_word_full_of_wildcard_hits() -> None:
    wl = parse_wordlist("# name: bad\n*fuck*\n*shit\n", name="bad")
    m = Matcher([wl])
    text = "fuck" * (CAP // 4)
    assert [(x.start, x.end) for x in m.scan(text)] == [(0, CAP)]  # grown to the word, reported once
    text = "shit" * (CAP // 4)
    assert [(x.start, x.end) for x in m.scan(text)] == [(0, CAP)]


def test_masked_word_shapes_at_the_cap() -> None:
    text = ("a*" * (CAP // 2))[:CAP]
    assert spans(text) == []
    text = ("sh*t " * (CAP // 5))[:CAP]
    assert len(spans(text)) == CAP // 5
