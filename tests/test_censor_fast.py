"""The renderings' shortcuts give what the general way gives.

Highlighting and censoring a draft with 20,000 matches is done in a few numpy passes when the
matches are simple (one piece of text each, none overlapping), and a censored Markdown/BBCode
draft is not read again when its replacements are plain words between plain words. Here each
shortcut is checked against the long way on drafts built to hit the edges: the highlight and
the HTML/text censor against the one-piece-at-a-time algorithm (written out below), the
Markdown/BBCode plan against its general covering loop, and every "reads unchanged" answer
against reading the censored draft again."""

from __future__ import annotations

import re
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import Markup, escape

from forum_guard.engine import render
from forum_guard.engine.draft import Draft, analyze
from forum_guard.engine.draft import censor as markup_censor
from forum_guard.engine.render import Mark, censor, default_censor_text, highlight

SETTINGS = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --------------------------------------------------------------------------------------------
# the long way: one piece at a time, a Markup object each


def _chunk(draft: Draft, start: int, end: int) -> Markup:
    piece = draft.sanitized[start:end]
    return Markup(piece) if draft.is_html else escape(piece)


def slow_highlight(draft: Draft, marks: list[Mark]) -> Markup:
    pieces = sorted((ps, order, pe) for order, mark in enumerate(marks) for s, e in mark.spans
                    for ps, pe in draft.clip(s, e))
    merged: list[list] = []
    for s, order, e in pieces:
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e, marks[order]])
    out: list[Markup] = []
    pos = 0
    for s, e, mark in merged:
        out += (_chunk(draft, pos, s), mark.open_tag(), _chunk(draft, s, e), Markup("</mark>"))
        pos = e
    out.append(_chunk(draft, pos, len(draft.sanitized)))
    return Markup("".join(out))


def slow_censor(draft: Draft, replacements: list[tuple[tuple[tuple[int, int], ...], str]]) -> Markup:
    items = []
    for order, (spans, text) in enumerate(replacements):
        pieces = sorted({p for s, e in spans for p in draft.clip(s, e, inside_tags=True)})
        if pieces:
            items.append((pieces[0][0], pieces[0][0] - pieces[-1][1], order, pieces, text))
    covered = [False] * (len(draft.sanitized) + 1)
    edits = []
    for _, _, _, pieces, text in sorted(items):
        remaining = []
        for s, e in pieces:
            run = None
            for i in range(s, e + 1):
                if i < e and not covered[i]:
                    run = i if run is None else run
                elif run is not None:
                    remaining.append((run, i))
                    run = None
        if not remaining:
            continue
        edits.append((remaining[0][0], remaining[0][1], text))
        edits += [(s, e, "") for s, e in remaining[1:]]
        for s, e in remaining:
            covered[s:e] = [True] * (e - s)
    out: list[Markup] = []
    pos = 0
    for s, e, text in sorted(edits):
        out += (_chunk(draft, pos, s), escape(text))
        pos = e
    out.append(_chunk(draft, pos, len(draft.sanitized)))
    return Markup("".join(out))


# --------------------------------------------------------------------------------------------
# drafts and spans

html_piece = st.sampled_from(["darn", "heck", "a", "b", " ", "  ", "\n", "<b>", "</b>", "<i>x</i>", "&amp;",
                              "&lt;", "&nbsp;", "é", "🙂", "<p>", "</p>", "<br>", '<img alt="darn a" src="http://a.example/i.png">',
                              '<a href="http://a.example/" title="heck b">', "</a>", "<", ">", "'", '"', "&"])
text_piece = st.sampled_from(["darn", "heck", "a", " ", "\n", "<", ">", "&", "'", '"', "é", "🙂", "\ud800", "x"])
html_doc = st.lists(html_piece, max_size=30).map("".join)
text_doc = st.lists(text_piece, max_size=30).map("".join)


@st.composite
def drafts_with_spans(draw: st.DrawFn, html: bool) -> tuple[Draft, list[tuple[tuple[int, int], ...]]]:
    draft = analyze(draw(html_doc if html else text_doc), html=html)
    n_text, n_stored = len(draft.text), len(draft.sanitized)
    spans = []
    for _ in range(draw(st.integers(0, 12))):
        how = draw(st.sampled_from(["text", "text", "text", "stored", "bad"]))
        if how == "text" and n_text:
            s = draw(st.integers(0, n_text - 1))
            got = draft.spans(s, draw(st.integers(s + 1, min(n_text, s + 8))))
        elif how == "stored" and n_stored:
            s = draw(st.integers(0, n_stored - 1))
            got = ((s, draw(st.integers(s, min(n_stored, s + 8)))),)
        else:
            got = tuple((a, a + draw(st.integers(-2, 5))) for a in draw(st.lists(st.integers(-3, n_stored + 3),
                                                                                 max_size=2)))
        spans.append(got)
    return draft, spans


marks_of = st.sampled_from([("l", "fg-term", None), ("other", "fg-term fg-censor", "other: x*"),
                            ('<"x">', 'a" b', "t&t")])


def highlight_both_ways(draft: Draft, marks: list[Mark]) -> list[Markup]:
    """The highlight in the numpy passes (what a draft with many marks takes) and as the loop a
    draft with a few marks takes."""
    few = render._FEW
    try:
        render._FEW = 0
        many_way = highlight(draft, marks)
    finally:
        render._FEW = few
    return [many_way, highlight(draft, marks)]


@SETTINGS
@given(drafts_with_spans(html=True), st.lists(marks_of, min_size=12, max_size=12))
def test_highlight_html_as_the_long_way(case, looks) -> None:
    draft, spans = case
    marks = [Mark(s, name, css, title) for s, (name, css, title) in zip(spans, looks, strict=False)]
    assert highlight_both_ways(draft, marks) == [slow_highlight(draft, marks)] * 2


@SETTINGS
@given(drafts_with_spans(html=False), st.lists(marks_of, min_size=12, max_size=12))
def test_highlight_text_as_the_long_way(case, looks) -> None:
    draft, spans = case
    marks = [Mark(s, name, css, title) for s, (name, css, title) in zip(spans, looks, strict=False)]
    assert highlight_both_ways(draft, marks) == [slow_highlight(draft, marks)] * 2


replacement_text = st.sampled_from(["***", "d***", "", "<b>", "&", "x y", "'\""])


@SETTINGS
@given(st.one_of(drafts_with_spans(html=True), drafts_with_spans(html=False)),
       st.lists(replacement_text, min_size=12, max_size=12))
def test_censor_as_the_long_way(case, texts) -> None:
    draft, spans = case
    replacements = [(s, t) for s, t in zip(spans, texts, strict=False) if s]
    assert censor(draft, replacements) == slow_censor(draft, replacements)


def test_many_disjoint_words_take_the_short_way_and_give_the_same() -> None:
    for html in (True, False):
        draft = analyze(("<p>" if html else "") + "darn & heck <b>darn</b> " * 300, html=html)
        replacements = [(draft.spans(m.start(), m.end()), default_censor_text(m.group()))
                        for m in re.finditer("darn|heck", draft.text)]
        with mock.patch("forum_guard.engine.render._covering_edits", side_effect=AssertionError("long way")):
            short = censor(draft, replacements)
        assert short == slow_censor(draft, replacements)
        assert "darn" not in short and short.count("d***") == 600 and short.count("h***") == 300


# --------------------------------------------------------------------------------------------
# Markdown and BBCode: the plan, and reading the censored draft again

md_piece = st.sampled_from(["darn", "heck", "a", "b1", " ", "  ", "\n", "\n\n", "*", "**", "_", "`", "~~", "[", "]",
                            "(", ")", "](https://a.example/x)", "!", "#", "# ", "> ", "- ", "1. ", "    ", "\\",
                            "&amp;", "<b>", "</b>", "<!-- heck -->", "|", "---", "=", "é", "🙂", "[a]: /u 'heck a'",
                            ":", "x_y", "\t"])
bb_piece = st.sampled_from(["darn", "heck", "a", " ", "\n", "[b]", "[/b]", "[i]", "[/i]", "[url]", "[/url]",
                            "[url=http://a.example/]", "[code]", "[/code]", "[quote=heck a]", "[/quote]", "[*]",
                            "[list]", "[/list]", "[", "]", "-", "--", ".", "...", "(", ")", "(c", "c)", "é", "*", "\r\n"])
# mostly words between spaces, with markup that keeps a space between it and the words: where
# the shortcut holds, next to every construct it must not disturb
word_piece = st.sampled_from(["darn", "heck", "a", "b1", "12", "é", "darn heck", "x"])
md_spaced = st.sampled_from([" ", " ", "\n", "\n\n", " *a ", " b* ", " **a ", " b** ", " _a ", " b_ ", " ~~a ", " b~~ ",
                             " [a ", " b](https://a.example/) ", " ![a ", " b](https://a.example/i.png) ", "\n# ",
                             "\n> ", "\n- ", "\n1. ", "  \n", "\n===\n", "\n---\n", "\n| a | b |\n|---|---|\n| ",
                             " | ", " <b> ", " </b> ", " &amp; ", " \\* ", " `a` ", "\n    ", " [a] ", "\n[a]: /u\n",
                             " <!-- a ", " --> ", " * ", " *", "* ", " \t", " <http://a.example/> ", " 1) ", "\n```\n"])
bb_spaced = st.sampled_from([" ", "\n", " [b]a ", " b[/b] ", " [url=http://a.example/]a ", " b[/url] ",
                             " [url]a ", " b[/url] ", " [quote=a heck] ", " [/quote] ", " [code]a ", " b[/code] ",
                             " -- ", " ... ", " (c) ", " ( ", " ) ", " [*] ", " [list] ", " [/list] ", " [ ", " ] ",
                             " [img]http://a.example/i.png[/img] ", " - ", "\r\n", " *"])
md_doc = st.one_of(st.lists(md_piece, max_size=30).map("".join),
                   st.lists(st.one_of(word_piece, md_spaced), max_size=30).map("".join))
bb_doc = st.one_of(st.lists(bb_piece, max_size=30).map("".join),
                   st.lists(st.one_of(word_piece, bb_spaced), max_size=30).map("".join))
# replacements: the default, and ones made to touch every rule of the shortcut
md_replacement = st.sampled_from([None, None, None, "****", "xxxx", "1***", "x*x*", "*", "x", "xy z", "", "a*b*", "`",
                                  "[x]", "_", "1.", "  ", "-", "\\", "é**", "****\n"])


@st.composite
def markup_case(draw: st.DrawFn) -> tuple[Draft, list[tuple[tuple[tuple[int, int], ...], str]]]:
    markup = draw(st.sampled_from(["markdown", "bbcode"]))
    draft = analyze(draw(md_doc if markup == "markdown" else bb_doc), markup=markup)
    words = [m for m in re.finditer(r"[^\W_]+(?: [^\W_]+)?|darn|heck", draft.text)]
    replacements = []
    # half the cases only with what the shortcut takes, so that it is taken often
    plain = draw(st.booleans())
    for m in words:
        if not draw(st.booleans()):
            continue
        s, e = m.span()
        if not plain and draw(st.integers(0, 5)) == 0:  # a range that is not a word: cut, or reaching out
            s, e = max(0, s - draw(st.integers(0, 2))), min(len(draft.text), e + draw(st.integers(-1, 2)))
        spans = draft.spans(s, e)
        if not spans:
            continue
        source = draft.sanitized
        text = draw(md_replacement)
        if plain:  # the default, or letters, digits and stars with the spaces where they are
            written = "".join(source[a:b] for a, b in spans)
            text = None if draw(st.booleans()) else "".join(
                " " if c == " " else draw(st.sampled_from("x*1é")) for c in written)
        replacements.append((spans, default_censor_text("".join(source[a:b] for a, b in spans))
                             if text is None else text))
    return draft, replacements


def _escape_of(draft: Draft):
    return draft._renderer.escape  # type: ignore[union-attr]


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(markup_case())
def test_reads_unchanged_only_when_reading_again_agrees(case) -> None:
    draft, replacements = case
    parts = markup_censor._plan(draft, replacements)
    if not len(parts) or not markup_censor._reads_unchanged(draft, parts):
        return
    censored, relabelled = markup_censor._apply(draft, parts, _escape_of(draft))
    assert relabelled or markup_censor._reads_as(draft, censored, parts, _escape_of(draft))


@SETTINGS
@given(markup_case())
def test_markup_plan_short_way_as_the_long_way(case) -> None:
    draft, replacements = case
    short = markup_censor._plan(draft, replacements)
    with mock.patch.object(markup_censor, "single_pieces", return_value=None):
        long = markup_censor._plan(draft, replacements)
    assert short.rows() == long.rows()


@pytest.mark.parametrize("markup", ["markdown", "bbcode"])
def test_a_censor_flood_is_not_read_again(markup: str) -> None:
    source = "darn heck " * 500 + "\n\nand darn, *darn* [darn](http://a.example/) heck"
    draft = analyze(source, markup=markup)
    found = [draft.spans(m.start(), m.end()) for m in re.finditer("darn|heck", draft.text)]
    replacements = [(s, default_censor_text(draft.sanitized[s[0][0]:s[-1][1]])) for s in found]
    parts = markup_censor._plan(draft, replacements)
    assert len(parts) == len(replacements)
    plain = markup_censor._Parts.of(parts.rows()[:1000])
    assert markup_censor._reads_unchanged(draft, plain)  # the flood: plain words between spaces
    assert not markup_censor._reads_unchanged(draft, parts)  # ", *darn* [darn]": read again
    calls = []
    real = type(draft._renderer).__call__

    def spy(self, text):
        calls.append(len(text))
        return real(self, text)

    flood = analyze("darn heck " * 500, markup=markup)
    reps = [(flood.spans(m.start(), m.end()), "d***") for m in re.finditer("darn", flood.text)]
    with mock.patch.object(type(flood._renderer), "__call__", spy):
        out = markup_censor.censor_markup(flood, reps)
    assert calls == []
    assert "darn" not in out and "heck" in out


# --------------------------------------------------------------------------------------------
# text_to_html's one-segment shortcut


def slow_text_to_html(m, start: int, end: int) -> tuple[tuple[int, int], ...]:
    out: list[tuple[int, int]] = []
    for i in range(len(m.seg_t)):
        t, tl, h, hl = m.seg_t[i], m.seg_tl[i], m.seg_h[i], m.seg_hl[i]
        if t < end and t + tl > start and start < end:
            s, e = (h + max(start - t, 0), h + min(end, t + tl) - t) if hl == tl else (h, h + hl)
            if out and out[-1][1] == s:
                out[-1] = (out[-1][0], e)
            else:
                out.append((s, e))
    if m.by_h and len(out) > 1:
        out.sort()
    return tuple(out)


@SETTINGS
@given(st.one_of(html_doc.map(lambda d: (d, "html")), md_doc.map(lambda d: (d, "markdown")),
                 bb_doc.map(lambda d: (d, "bbcode"))), st.data())
def test_spans_as_the_long_way(doc, data) -> None:
    draft = analyze(doc[0], markup=doc[1])
    n = len(draft.text)
    for _ in range(10):
        s = data.draw(st.integers(-1, n + 1))
        e = data.draw(st.integers(-1, n + 2))
        assert draft.spans(s, e) == slow_text_to_html(draft._map, s, e)
