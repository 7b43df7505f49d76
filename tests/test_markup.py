"""The markup-aware draft stage (issue 10): Markdown and BBCode drafts are read as readers see
them, matched, highlighted and censored in the source the poster typed, and stored byte for byte.
Every example of the issue is here, through the public ``Guard.check``."""

from __future__ import annotations

import html
import re

import pyromark
import pytest
from markupsafe import Markup

from forum_guard import Action, Guard
from forum_guard.engine.draft import (
    MarkupBuilder,
    MarkupLanguage,
    RenderedMarkup,
    SegmentKind,
    analyze,
    markup_language,
)
from forum_guard.engine.draft.bbcode import read_bbcode
from forum_guard.engine.draft.markdown import read_markdown
from forum_guard.engine.terms import parse_wordlist
from forum_guard.engine.verdict import ViolationKind

LISTS = (
    "# name: profanity\n# action: block\nfuck*\n",
    "# name: mild\n# action: censor\ndarn\nheck\n",
    "# name: domains\n# kind: domains\n# action: block\nhopzone.eu\n",
)


@pytest.fixture(scope="module")
def guard() -> Guard:
    return Guard([parse_wordlist(text) for text in LISTS])


def stored(verdict: object) -> str:
    """What a host stores for an allowed verdict (the rule of ``forum_guard.web.content_to_store``)."""
    from forum_guard.web.checks import content_to_store

    return content_to_store(verdict)  # type: ignore[arg-type]


def commonmark_html(source: str) -> str:
    """How a CommonMark renderer (pulldown-cmark) shows a Markdown draft."""
    return pyromark.html(source, options=pyromark.Options.ENABLE_TABLES | pyromark.Options.ENABLE_STRIKETHROUGH)


# --- choosing the markup ------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "html_flag", "expected"), [
    (None, None, MarkupLanguage.TEXT),
    (None, True, MarkupLanguage.HTML),
    (None, False, MarkupLanguage.TEXT),
    ("Markdown", None, MarkupLanguage.MARKDOWN),
    (" bbcode ", True, MarkupLanguage.BBCODE),  # the name wins over the old flag
    (MarkupLanguage.HTML, None, MarkupLanguage.HTML),
])
def test_markup_language(value: str | None, html_flag: bool | None, expected: MarkupLanguage) -> None:
    assert markup_language(value, html=html_flag) is expected


def test_unknown_markup_is_a_clear_error(guard: Guard) -> None:
    with pytest.raises(ValueError, match=r"unknown markup 'wiki'.*'markdown'"):
        guard.check("x", markup="wiki")


def test_html_flag_is_an_alias(guard: Guard) -> None:
    text = "<p>fuck <b>it</b></p> darn"
    assert guard.check(text, html=True) == guard.check(text, markup="html")
    assert guard.check(text, html=False) == guard.check(text, markup="text")
    assert guard.check(text, markup="html").markup == "html"
    assert guard.check(text).markup == "text"  # the engine's default stays plain text


# --- the examples: stored byte for byte -------------------------------------------------


@pytest.mark.parametrize("markup", ["markdown", "bbcode"])
@pytest.mark.parametrize("source", [
    "> a quote",
    "a < b && c",
    "autolink <https://example.org>",
    "[quote]a quote[/quote] & <b>not html</b>",
    "*emphasis* and **strong** and `code` and\n\n    an indented block\n",
    "line one\r\nline two\r\n",
    "tabs\tand\u00a0spaces   ",
])
def test_allowed_drafts_are_stored_byte_for_byte(guard: Guard, markup: str, source: str) -> None:
    verdict = guard.check(source, markup=markup)
    assert verdict.action is Action.ALLOW
    assert verdict.sanitized == source
    assert stored(verdict) == source


def test_html_mode_is_what_mangled_markdown(guard: Guard) -> None:
    """The issue's finding, kept as the reason for the markup setting: as HTML, Markdown is rewritten."""
    assert guard.check("> a quote", markup="html").sanitized == "&gt; a quote"
    assert guard.check("> a quote", markup="markdown").sanitized == "> a quote"


def test_blocked_domain_in_an_autolink(guard: Guard) -> None:
    verdict = guard.check("see <https://hopzone.eu>", markup="markdown")
    assert verdict.blocked
    (match,) = verdict.matches
    assert match.matched == "hopzone.eu"  # found in the link's text, inside the angle brackets
    assert verdict.sanitized == "see <https://hopzone.eu>"


# --- words split by markup ----------------------------------------------------------------------


@pytest.mark.parametrize(("markup", "source", "pieces"), [
    ("markdown", "**fu**ck", ["fu", "ck"]),
    ("markdown", "[fu](https://example.org)ck", ["fu", "ck"]),
    ("markdown", "fu`c`k", ["fu", "c", "k"]),
    ("markdown", "*f*u**c**k", ["f", "u", "c", "k"]),
    ("markdown", "fu<span>c</span>k", ["fu", "c", "k"]),
    ("markdown", "fu![](https://example.org/a.png)ck", ["fu", "ck"]),
    ("markdown", "fu&#99;k", ["fu&#99;k"]),  # the reference is one indivisible piece
    ("markdown", "fu\\ck", ["fu\\ck"]),  # "\c" is no escape: the backslash is text
    ("bbcode", "[b]fu[/b]ck", ["fu", "ck"]),
    ("bbcode", "[url=https://example.org]fu[/url]ck", ["fu", "ck"]),
    ("bbcode", "[color=red]f[/color][i]uck[/i]", ["f", "uck"]),
    ("bbcode", "fu[img]https://example.org/a.png[/img]ck", ["fu", "ck"]),
])
def test_words_split_by_markup_are_caught(guard: Guard, markup: str, source: str, pieces: list[str]) -> None:
    verdict = guard.check(source, markup=markup)
    if source == "fu\\ck":
        assert not verdict.blocked  # what a reader sees is "fu\ck": not the word
        return
    assert verdict.blocked
    (match,) = [m for m in verdict.matches if m.list == "profanity"]
    assert [source[s:e] for s, e in match.spans] == pieces
    assert verdict.sanitized == source


def test_highlight_marks_the_source_around_the_markup(guard: Guard) -> None:
    verdict = guard.check("**fu**ck you", markup="markdown")
    assert str(verdict.highlighted_html) == (
        '**<mark class="fg-term fg-block" data-list="profanity" title="profanity: fuck*">fu</mark>**'
        '<mark class="fg-term fg-block" data-list="profanity" title="profanity: fuck*">ck</mark> you'
    )


def test_highlight_escapes_the_source(guard: Guard) -> None:
    verdict = guard.check("<b>fuck</b> & <script>x</script>", markup="markdown")
    shown = str(verdict.highlighted_html)
    assert "<script>" not in shown and "&lt;script&gt;" in shown
    assert Markup(shown).striptags() == html.unescape(re.sub("<[^>]+>", "", shown))


# --- code follows the rule of HTML <code> ------------------------------------------------------


def test_code_spans_join_like_inline_code(guard: Guard) -> None:
    assert guard.check("fu`c`k", markup="markdown").blocked
    assert guard.check("fu<code>c</code>k", markup="html").blocked


def test_code_blocks_stand_apart_like_pre(guard: Guard) -> None:
    assert not guard.check("fu\n```\nck\n```", markup="markdown").blocked
    assert not guard.check("fu<pre>ck</pre>", markup="html").blocked
    assert guard.check("```\nwhat the fuck\n```", markup="markdown").blocked  # code is still read
    assert guard.check("[code]fuck[/code]", markup="bbcode").blocked


def test_bbcode_code_takes_tags_literally(guard: Guard) -> None:
    draft = analyze("[code][b]fu[/b]ck[/code]", markup="bbcode")
    assert draft.text == "[b]fu[/b]ck"


# --- images -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("markup", "source"), [
    ("markdown", "look ![x](data:image/png;base64,iVBORw0KGgo=)"),
    ("markdown", "look ![x][pic]\n\n[pic]: data:image/png;base64,iVBORw0KGgo="),
    ("markdown", 'look <img src="data:image/png;base64,iVBORw0KGgo=">'),
    ("markdown", "look ![x](blob:https://example.org/1)"),
    ("bbcode", "look [img]data:image/png;base64,iVBORw0KGgo=[/img]"),
    ("bbcode", "look [IMG]file:///C:/a.png[/IMG]"),
])
def test_pasted_images_in_markup_are_refused(guard: Guard, markup: str, source: str) -> None:
    verdict = guard.check(source, markup=markup, group="guest")
    assert ViolationKind.PASTED_IMAGE in {v.kind for v in verdict.violations}
    assert verdict.blocked
    assert verdict.sanitized == source  # refused, never rewritten


@pytest.mark.parametrize(("markup", "source", "count"), [
    ("markdown", "![a](https://example.org/a.png) ![b](//example.org/b.png)", 2),
    ("markdown", "![outer ![inner](https://example.org/i.png)](https://example.org/o.png)", 1),
    ("bbcode", "[img]https://example.org/a.png[/img] [img=10x10]https://example.org/b.png[/img]", 2),
])
def test_web_images_are_counted(markup: str, source: str, count: int) -> None:
    assert analyze(source, markup=markup).image_count == count


def test_image_limit_applies_to_markdown_images() -> None:
    from dataclasses import replace

    from forum_guard.engine.limits import Limits

    limits = Limits.default()
    limits = replace(limits, groups={**limits.groups, "guest": replace(limits.groups["guest"], max_images=3)})
    limits_guard = Guard([parse_wordlist(LISTS[0])], limits)
    many = " ".join(f"![{i}](https://example.org/{i}.png)" for i in range(30))
    verdict = limits_guard.check(many, markup="markdown", group="guest")
    assert ViolationKind.IMAGES in {v.kind for v in verdict.violations}


def test_image_hosts_are_checked_against_domains(guard: Guard) -> None:
    for markup, source in [
        ("markdown", "![ad](https://hopzone.eu/banner.png)"),
        ("bbcode", "[img]https://cdn.hopzone.eu/banner.png[/img]"),
        ("html", '<img src="https://hopzone.eu/banner.png">'),
    ]:
        verdict = guard.check(source, markup=markup)
        assert verdict.blocked, (markup, source)
        assert {v.kind for v in verdict.violations} == {ViolationKind.BLOCKED_DOMAIN}


# --- censoring that cannot break the markup -----------------------------------------------------


@pytest.mark.parametrize(("markup", "source", "censored"), [
    ("markdown", "**darn** it", "**d\\*\\*\\*** it"),
    ("markdown", "darn", "d\\*\\*\\*"),
    ("markdown", "*he*ck", "*h\\**\\*\\*"),
    ("markdown", "`darn` it", "`d***` it"),  # in code a star is a star: no backslash
    ("markdown", "[darn](https://example.org)", "[d\\*\\*\\*](https://example.org)"),
    ("markdown", "# darn\n\n> heck", "# d\\*\\*\\*\n\n> h\\*\\*\\*"),
    ("markdown", "a darn, a heck", "a d\\*\\*\\*, a h\\*\\*\\*"),
    ("bbcode", "[b]darn[/b] it", "[b]d***[/b] it"),
    ("bbcode", "[b]he[/b]ck", "[b]h*[/b]**"),
])
def test_censoring_is_markup_safe(guard: Guard, markup: str, source: str, censored: str) -> None:
    verdict = guard.check(source, markup=markup)
    assert verdict.action is Action.CENSOR
    assert stored(verdict) == censored


def test_censored_emphasis_renders_as_emphasis(guard: Guard) -> None:
    """The issue's collision: ``**darn**`` must not become ``**d*****`` (<strong>d</strong>***)."""
    verdict = guard.check("**darn** it", markup="markdown")
    assert commonmark_html(stored(verdict)) == "<p><strong>d***</strong> it</p>\n"


def test_censor_replacement_with_brackets_cannot_open_a_tag() -> None:
    g = Guard([parse_wordlist("# name: mild\n# action: censor\n# replacement: [b]\ndarn\n")])
    assert stored(g.check("darn it", markup="bbcode")) == "(b) it"
    assert stored(g.check("darn it", markup="markdown")) == "\\[b\\] it"


def test_censoring_reaches_alt_and_title(guard: Guard) -> None:
    source = '![darn](https://example.org/a.png "heck") [x](https://example.org "darn it")'
    verdict = guard.check(source, markup="markdown")
    assert stored(verdict) == ('![d\\*\\*\\*](https://example.org/a.png "h\\*\\*\\*") '
                               '[x](https://example.org "d\\*\\*\\* it")')
    assert "darn" not in commonmark_html(stored(verdict)) and "heck" not in commonmark_html(stored(verdict))


def test_censoring_leaves_everything_else_byte_for_byte(guard: Guard) -> None:
    source = "> quoted *darn*\n\n| a | b |\n|---|---|\n| heck | <x> & y |\n\n    code darn\n"
    out = stored(guard.check(source, markup="markdown"))
    assert out == "> quoted *d\\*\\*\\**\n\n| a | b |\n|---|---|\n| h\\*\\*\\* | <x> & y |\n\n    code d***\n"


# --- what readers see of alt and title (issues 9, 12) -----------------------------------------


def test_html_alt_and_title_are_checked_and_censored(guard: Guard) -> None:
    verdict = guard.check('<p>nice <img src="https://example.org/a.png" alt="fuck" title="x"></p>', markup="html")
    assert verdict.blocked
    (match,) = verdict.matches
    assert match.matched == "fuck" and verdict.sanitized[match.start - 5:match.start] == 'alt="'
    censored = guard.check('<p><a href="https://example.org" title="darn it">x</a>'
                           '<abbr title="heck">H</abbr></p>', markup="html")
    assert censored.action is Action.CENSOR
    assert str(censored.censored_html) == (
        '<p><a href="https://example.org" title="d*** it" rel="nofollow ugc noopener">x</a>'
        '<abbr title="h***">H</abbr></p>'
    )


def test_highlight_never_goes_inside_a_tag(guard: Guard) -> None:
    verdict = guard.check('<img src="https://example.org/a.png" alt="fuck">', markup="html")
    assert str(verdict.highlighted_html) == verdict.sanitized  # reported, nothing to mark in place


@pytest.mark.parametrize("source", [
    'fu<img src="https://example.org/a.png" width="0" height="0">ck',
    'fu<img src="https://example.org/a.png" class="emoji" alt="">ck',
    "fu<span></span>ck",
    "fu<b></b><i>c</i>k",
])
def test_invisible_inline_elements_do_not_split_a_word(guard: Guard, source: str) -> None:
    assert guard.check(source, markup="html").blocked


def test_attribute_text_does_not_count_as_body() -> None:
    draft = analyze('<img src="https://example.org/a.png" alt="a long description https://x.org">', markup="html")
    assert draft.body == "" and "a long description" in draft.text
    assert draft.links == ()  # a URL in alt text is not a link


# --- the map always points into the source ----------------------------------------------------


@pytest.mark.parametrize(("markup", "source"), [
    ("markdown", "héllo **wörld** 🙂 [ünï](https://example.org \"tïtle\") `cödé` &amp; \\* ![ålt](x.png)"),
    ("markdown", "> a\n> `b\n> c` d\n\n1. x\n   - y\n\n<div>\nz &lt;\n</div>\n"),
    ("bbcode", "[quote=Ünï]héllo -- (c) ... [b]wörld[/b][/quote]\r\n[list][*]a\n[*]b[/list]"),
])
def test_every_text_piece_maps_into_the_source(markup: str, source: str) -> None:
    draft = analyze(source, markup=markup)
    for i, ch in enumerate(draft.text):
        spans = draft.spans(i, i + 1)
        if ch == "\n" and not spans:
            continue  # a separator the reader inserted
        assert spans, (i, ch)
        for s, e in spans:
            assert 0 <= s < e <= len(source)


def test_reader_output_of_markdown() -> None:
    rendered = read_markdown('Hi *there* [link](https://example.org "tip")\n\n![alt](https://example.org/a.png)')
    assert rendered.text[: rendered.body_end] == "Hi there link"
    assert rendered.text[rendered.body_end:] == "\ntip\nalt"
    assert [link.host for link in rendered.links] == ["example.org"]
    assert [image.href for image in rendered.images] == ["https://example.org/a.png"]


def test_reader_output_of_bbcode() -> None:
    rendered = read_bbcode("[quote=Bob]a -- b (c)[/quote][url]https://example.org[/url] [email]a@example.org[/email]")
    assert rendered.text[: rendered.body_end] == "a \u2013 b \u00a9\nhttps://example.org a@example.org"
    assert [(link.href, link.host) for link in rendered.links] == [
        ("https://example.org", "example.org"), ("mailto:a@example.org", "example.org")]
    assert rendered.text[rendered.body_end:] == "\nBob"


def test_bbcode_unknown_and_unmatched_tags() -> None:
    assert read_bbcode("[nosuch]x[/nosuch] [/b]y").text == "[nosuch]x[/nosuch] y"


# --- a host's own renderer --------------------------------------------------------------------


class WikiRenderer:
    """A toy wiki syntax a host might have: ``''italic''`` and ``{{image:URL}}``."""

    name = "wiki"
    _TOKEN = re.compile(r"''|\{\{image:([^}]*)\}\}")

    def __call__(self, source: str) -> RenderedMarkup:
        b = MarkupBuilder()
        pos = 0
        for m in self._TOKEN.finditer(source):
            b.text(source[pos:m.start()], pos, m.start())
            if m.group(1) is not None:
                b.image(m.group(1), m.start(), m.end())
            pos = m.end()
        b.text(source[pos:], pos, len(source))
        return b.build()

    def escape(self, text: str, kind: int) -> str:
        return text.replace("'", "\u2019")


def test_host_renderer_gets_the_same_guarantees(guard: Guard) -> None:
    wiki = WikiRenderer()
    blocked = guard.check("''fu''ck", markup="text", renderer=wiki)
    assert blocked.blocked and blocked.markup == "wiki"
    assert [("''fu''ck")[s:e] for s, e in blocked.matches[0].spans] == ["fu", "ck"]
    pasted = guard.check("{{image:data:image/png;base64,AA}}", markup="text", renderer=wiki, group="guest")
    assert ViolationKind.PASTED_IMAGE in {v.kind for v in pasted.violations}
    censored = guard.check("''darn''", markup="text", renderer=wiki)
    assert stored(censored) == "''d***''"
    assert stored(guard.check("plain ''text''", markup="text", renderer=wiki)) == "plain ''text''"


def test_a_failing_host_renderer_fails_closed(guard: Guard) -> None:
    def broken(source: str) -> RenderedMarkup:
        raise RuntimeError("boom")

    verdict = guard.check("fuck", markup="markdown", renderer=broken)
    assert verdict.blocked  # read as plain text, never let through unread


def test_renderer_is_not_for_html(guard: Guard) -> None:
    with pytest.raises(ValueError, match="always sanitized"):
        guard.check("x", markup="html", renderer=WikiRenderer())


def test_segment_kinds_mark_literal_text() -> None:
    draft = analyze("a `b` <https://example.org>", markup="markdown")
    m = draft._map
    assert m is not None
    kinds = {draft.text[t:t + tl]: m.kind(i) for i, (t, tl) in enumerate(zip(m.seg_t, m.seg_tl, strict=True))}
    assert kinds["a "] == SegmentKind.TEXT
    assert kinds["b"] == SegmentKind.LITERAL and kinds["https://example.org"] == SegmentKind.LITERAL
