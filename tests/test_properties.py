"""Property-based tests over the whole check (hypothesis)."""

from __future__ import annotations

import json
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape

from forum_guard import Action, Guard, parse_wordlist
from forum_guard.engine.draft import sanitize

LISTS = [
    parse_wordlist("# name: bad\nfuck*\nshit\nass\n*fucker\ncunt\n!cum laude\ncum\n", name="bad"),
    parse_wordlist("# name: mild\n# action: censor\ndarn\nheck\n", name="mild"),
    parse_wordlist("# name: hosts\n# kind: domains\nhopzone.eu\n", name="hosts"),
]
GUARD = Guard(LISTS)
MARK_RE = re.compile(r'<mark class="[^"]*" data-list="[^"]*"(?: title="[^"]*")?>|</mark>')

# text that hits the interesting paths: terms, evasions, markup, entities, emoji, odd code points
pieces = st.sampled_from([
    "fuck", "f.u.c.k", "sh!t", "ａｓｓ", "c\u200bunt", "darn", "heck", "cum laude", "hopzone.eu", "motherfucker",
    "<b>", "</b>", "<p>", "</p>", "<a href='https://hopzone.eu'>", "</a>", "<img src='data:x'>", "&amp;", "&lt;",
    "&#x1F600;", "😀", "👨‍👩‍👧", "\u0301", "\u202e", " ", "\n", ".", "!", "1", "$", "İ", "ß", "ﬁ", "\x00", "<", ">",
    "\"", "'", "<script>alert(1)</script>",
])
drafts = st.one_of(st.text(max_size=300), st.lists(pieces, max_size=40).map("".join),
                   st.lists(st.one_of(pieces, st.text(max_size=5)), max_size=30).map("".join))
groups = st.sampled_from(["guest", "new", "member", "moderator"])
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(drafts, st.booleans(), groups)
def test_check_never_raises_and_spans_are_exact(text: str, html: bool, group: str) -> None:
    verdict = GUARD.check(text, html=html, group=group)
    source = verdict.sanitized
    if not html:
        assert source == text
    for m in verdict.matches:
        assert 0 <= m.start < m.end <= len(source)
        assert m.matched == source[m.start : m.end]
        if not m.spans:  # a link with no visible text: its tag's extent, nothing to mark
            assert (html and "<" in m.matched) or m.start == m.end
            continue
        assert m.spans[0][0] == m.start and m.spans[-1][1] == m.end
        for a, b in m.spans:
            assert m.start <= a < b <= m.end
            if html:
                assert "<" not in source[a:b] and ">" not in source[a:b]  # never inside a tag
    assert isinstance(verdict.action, Action)


@SETTINGS
@given(drafts, st.booleans())
def test_highlight_only_adds_marks(text: str, html: bool) -> None:
    verdict = GUARD.check(text, html=html)
    unmarked = MARK_RE.sub("", str(verdict.highlighted_html))
    assert unmarked == (verdict.sanitized if html else str(escape(text)))


@SETTINGS
@given(drafts)
def test_sanitized_html_is_stable(text: str) -> None:
    once = GUARD.check(text, html=True).sanitized
    assert sanitize(once)[0] == once
    assert GUARD.check(once, html=True).sanitized == once


@SETTINGS
@given(drafts, st.booleans())
def test_censoring_never_grows_a_match(text: str, html: bool) -> None:
    verdict = GUARD.check(text, html=html)
    censored = str(verdict.censored_html)
    base = verdict.sanitized if html else str(escape(text))
    assert len(censored) <= len(base)
    if not any(m.action is Action.CENSOR for m in verdict.matches):
        assert censored == base
    # what is left of the censored draft matches no censor term any more
    again = GUARD.check(censored if html else text, html=html)
    if html:
        assert not any(m.action is Action.CENSOR for m in again.matches)


@SETTINGS
@given(drafts, st.booleans(), groups)
def test_json_round_trip_is_stable(text: str, html: bool, group: str) -> None:
    payload = GUARD.check(text, html=html, group=group).to_dict()
    again = json.loads(json.dumps(payload, ensure_ascii=False))
    assert again == payload
    assert json.loads(json.dumps(again)) == payload
