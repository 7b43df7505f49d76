"""Property tests of the markup stage: any Markdown or BBCode maps inside its source and is
stored as typed; censoring replaces the words and never changes the markup around them."""

from __future__ import annotations

import re

import bbcode
import pyromark
from conftest import assert_maps_into_source
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forum_guard import Action, Guard
from forum_guard.engine.draft.bbcode import read_bbcode
from forum_guard.engine.draft.markdown import read_markdown
from forum_guard.engine.terms import parse_wordlist
from forum_guard.web.checks import content_to_store

GUARD = Guard([parse_wordlist("# name: mild\n# action: censor\ndarn\nheck\n")])
WORDS = ["darn", "heck", "hello", "world", "fu", "ck", "a", "b1", "x_y", "3"]
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
_OPTIONS = pyromark.Options.ENABLE_TABLES | pyromark.Options.ENABLE_STRIKETHROUGH

word = st.sampled_from(WORDS)
gap = st.sampled_from([" ", "", ", ", " - ", "\n"])


def _inline(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        children.map(lambda s: f"*{s}*"),
        children.map(lambda s: f"**{s}**"),
        children.map(lambda s: f"_{s}_"),
        children.map(lambda s: f"~~{s}~~"),
        word.map(lambda w: f"`{w}`"),
        st.tuples(children, word).map(lambda p: f"[{p[0]}](https://example.org/{p[1]})"),
        st.tuples(word, word).map(lambda p: f'![{p[0]}](https://example.org/{p[1]}.png "{p[1]}")'),
        st.lists(children, min_size=2, max_size=4).flatmap(
            lambda parts: gap.map(lambda g: g.join(parts))),
    )


inline = st.recursive(word, _inline, max_leaves=8)
line = st.lists(inline, min_size=1, max_size=4).map(" ".join).map(lambda s: s.replace("\n", " "))
block = st.one_of(
    line,
    line.map(lambda s: "# " + s),
    line.map(lambda s: "> " + s),
    line.map(lambda s: "- " + s),
    line.map(lambda s: "1. " + s),
    st.lists(word, min_size=1, max_size=3).map(lambda ws: "    " + " ".join(ws)),
    st.lists(word, min_size=1, max_size=3).map(lambda ws: "```\n" + "\n".join(ws) + "\n```"),
    st.tuples(word, word, inline.map(lambda s: s.replace("\n", " ").replace("|", ""))).map(
        lambda c: f"| {c[0]} | {c[1]} |\n|---|---|\n| {c[2]} | x |"),
)
markdown_doc = st.lists(block, min_size=1, max_size=5).map("\n\n".join)

bb_inline = st.recursive(word, lambda children: st.one_of(
    children.map(lambda s: f"[b]{s}[/b]"),
    children.map(lambda s: f"[i]{s}[/i]"),
    st.tuples(st.sampled_from(["red", "#fff"]), children).map(lambda p: f"[color={p[0]}]{p[1]}[/color]"),
    st.tuples(word, children).map(lambda p: f"[url=https://example.org/{p[0]}]{p[1]}[/url]"),
    children.map(lambda s: f"[quote]{s}[/quote]"),
    st.lists(children, min_size=1, max_size=3).map(lambda xs: "[list]" + "".join(f"[*]{x}\n" for x in xs) + "[/list]"),
    st.lists(word, min_size=1, max_size=3).map(lambda ws: "[code]" + " ".join(ws) + "[/code]"),
    st.lists(children, min_size=2, max_size=4).flatmap(lambda parts: gap.map(lambda g: g.join(parts))),
), max_leaves=8)
bbcode_doc = st.lists(bb_inline, min_size=1, max_size=4).map("\n".join)

markdownish_text = st.lists(st.sampled_from([*"ab *_`[]()!<>#-\n\\&;|~:/.xyz", "darn", "é", "🙂", "&amp;"]),
                            max_size=40).map("".join)
bbish_text = st.lists(st.sampled_from([*"ab []/=*\n\"'", "b", "url", "img", "code", "quote", "darn", "é"]),
                      max_size=40).map("".join)


def _no_censored_word(text: str) -> bool:
    return not {"darn", "heck"} & set(re.findall(r"[^\W_]+", text.lower()))


def _tags(html: str) -> list[str]:
    return re.findall(r"<(/?[a-z0-9]+)", html)


def _bb_structure(source: str) -> list[tuple[int, str | None]]:
    parser = bbcode.Parser()
    return [(t, name) for t, name, _, _ in parser.tokenize(source) if t != parser.TOKEN_DATA]


def _outside_kept(source: str, censored: str, spans: list[tuple[int, int]]) -> bool:
    """Everything of ``source`` outside ``spans`` is in ``censored``, in order, unchanged."""
    pieces, pos = [], 0
    for s, e in sorted(spans):
        pieces.append(source[pos:s])
        pos = max(pos, e)
    pieces.append(source[pos:])
    return re.fullmatch(".*?".join(re.escape(p) for p in pieces), censored, re.S) is not None


@SETTINGS
@given(st.one_of(markdown_doc, markdownish_text))
def test_markdown_maps_inside_its_source_and_is_stored_as_typed(source: str) -> None:
    assert_maps_into_source(source, "markdown")
    verdict = GUARD.check(source, markup="markdown")
    for m in verdict.matches:
        assert m.matched == source[m.start:m.end]
        assert all(0 <= s < e <= len(source) for s, e in m.spans)
    if verdict.action is Action.ALLOW:
        assert content_to_store(verdict) == source


@SETTINGS
@given(st.one_of(bbcode_doc, bbish_text))
def test_bbcode_maps_inside_its_source_and_is_stored_as_typed(source: str) -> None:
    assert_maps_into_source(source, "bbcode")
    verdict = GUARD.check(source, markup="bbcode")
    if verdict.action is Action.ALLOW:
        assert content_to_store(verdict) == source


@SETTINGS
@given(markdown_doc)
def test_markdown_censoring_never_breaks_the_markup(source: str) -> None:
    verdict = GUARD.check(source, markup="markdown")
    if verdict.action is not Action.CENSOR:
        return
    censored = content_to_store(verdict)
    assert _tags(pyromark.html(censored, options=_OPTIONS)) == _tags(pyromark.html(source, options=_OPTIONS))
    assert _no_censored_word(read_markdown(censored).text)
    assert _outside_kept(source, censored, [s for m in verdict.matches for s in m.spans])


@SETTINGS
@given(bbcode_doc)
def test_bbcode_censoring_never_breaks_the_markup(source: str) -> None:
    verdict = GUARD.check(source, markup="bbcode")
    if verdict.action is not Action.CENSOR:
        return
    censored = content_to_store(verdict)
    assert _bb_structure(censored) == _bb_structure(source)
    assert _no_censored_word(read_bbcode(censored).text)
    assert _outside_kept(source, censored, [s for m in verdict.matches for s in m.spans])
