"""Highlighted and censored renderings."""

from __future__ import annotations

import re

import pytest
from bleach.sanitizer import Cleaner
from markupsafe import Markup, escape

from forum_guard.engine.draft import ALLOWED_ATTRIBUTES, ALLOWED_PROTOCOLS, ALLOWED_TAGS, Draft, analyze
from forum_guard.engine.render import Mark, censor, default_censor_text, highlight

MARK_TAG_RE = re.compile(r"<mark\b[^>]*>|</mark>")

# the sanitizer's allowlist plus the highlighter's <mark>
MARK_CLEANER = Cleaner(
    tags=ALLOWED_TAGS | {"mark"},
    attributes={**ALLOWED_ATTRIBUTES, "mark": ["class", "data-list", "title"]},
    protocols=ALLOWED_PROTOCOLS,
    strip=True,
)


def word_marks(draft: Draft, words: list[str], list_name: str = "profanity", title: str | None = None) -> list[Mark]:
    """A mark for every occurrence of each word in the draft's text."""
    marks = []
    for word in words:
        for m in re.finditer(re.escape(word), draft.text):
            marks.append(Mark(draft.spans(m.start(), m.end()), list_name, title=title))
    return marks


DRAFTS = [
    ("<p>what the fuck is this</p>", ["fuck"]),
    ("<p>f<b>uc</b>k you</p>", ["fuck"]),
    ("<p>f<b>u</b><i>c</i><a href='http://x.example'>k</a></p>", ["fuck"]),
    ("<p>fish &amp; chips</p>", ["&", "fish", "chips", "sh & ch"]),
    ("<p>x&acE;y</p>", ["x", "y", "\u223e"]),
    ("<ul><li>bad</li><li>word</li></ul>", ["bad", "word", "bad\nword"]),
    ("<p>a&lt;script&gt;alert(1)&lt;/script&gt;b</p>", ["<script>", "alert"]),
    ("<pre>\n\ncode damn code</pre><table><tr><td>damn</td></tr></table>", ["damn"]),
    ("<p>overlap: abcdef</p>", ["abcd", "cdef", "ef"]),
    ("<p>adjacent: foobar</p>", ["foo", "bar"]),
    ("<p>👨‍👩‍👧 damn&nbsp;it</p>", ["damn", "\xa0"]),
]
PLAIN = [
    ("what the fuck\nis <this> & \"that\" 'x'", ["fuck", "<this>", "&", '"that"']),
    ("line one damn\n\n  line two damn", ["damn"]),
    ("<script>alert(1)</script> damn", ["<script>", "damn"]),
]


@pytest.mark.parametrize(("source", "words"), DRAFTS)
def test_highlight_only_adds_marks_html(source: str, words: list[str]) -> None:
    draft = analyze(source, html=True)
    marks = word_marks(draft, words)
    assert marks
    out = highlight(draft, marks)
    assert isinstance(out, Markup)
    assert MARK_TAG_RE.sub("", str(out)) == draft.sanitized
    assert "<mark" in out


@pytest.mark.parametrize(("source", "words"), PLAIN)
def test_highlight_only_adds_marks_plain(source: str, words: list[str]) -> None:
    draft = analyze(source, html=False)
    out = highlight(draft, word_marks(draft, words))
    assert MARK_TAG_RE.sub("", str(out)) == str(escape(source))  # newlines kept as they are


@pytest.mark.parametrize(("source", "words"), DRAFTS)
def test_highlight_survives_sanitizing(source: str, words: list[str]) -> None:
    draft = analyze(source, html=True)
    out = str(highlight(draft, word_marks(draft, words, title='prof "anity": f*ck <x>')))
    assert MARK_CLEANER.clean(out) == out


@pytest.mark.parametrize(("source", "words"), DRAFTS)
def test_marks_are_only_in_text(source: str, words: list[str]) -> None:
    draft = analyze(source, html=True)
    out = str(highlight(draft, word_marks(draft, words)))
    # every <mark> wraps text only: no tag inside a mark, and marks never nest
    for inner in re.findall(r"<mark\b[^>]*>(.*?)</mark>", out, flags=re.S):
        assert "<" not in inner


def test_highlight_split_by_tags() -> None:
    draft = analyze("f<b>uc</b>k", html=True)
    out = highlight(draft, [Mark(draft.spans(0, 4), "profanity")])
    m = '<mark class="fg-term" data-list="profanity">'
    assert out == Markup(f"{m}f</mark><b>{m}uc</mark></b>{m}k</mark>")


def test_highlight_entity_adjacent() -> None:
    draft = analyze("fish&amp;chips", html=True)
    assert draft.text == "fish&chips"
    amp = highlight(draft, [Mark(draft.spans(4, 5), "l")])
    assert amp == Markup('fish<mark class="fg-term" data-list="l">&amp;</mark>chips')
    after = highlight(draft, [Mark(draft.spans(5, 10), "l")])
    assert after == Markup('fish&amp;<mark class="fg-term" data-list="l">chips</mark>')
    before = highlight(draft, [Mark(draft.spans(0, 4), "l")])
    assert before == Markup('<mark class="fg-term" data-list="l">fish</mark>&amp;chips')


def test_highlight_merges_overlapping_and_adjacent_marks() -> None:
    draft = analyze("<p>abcdef ghi</p>", html=True)
    marks = [
        Mark(draft.spans(2, 5), "second"),  # "cde"
        Mark(draft.spans(0, 3), "first"),  # "abc"
        Mark(draft.spans(5, 6), "third"),  # "f", touching
        Mark(draft.spans(7, 10), "other"),  # "ghi", apart
    ]
    out = highlight(draft, marks)
    assert out == Markup(
        '<p><mark class="fg-term" data-list="first">abcdef</mark> '
        '<mark class="fg-term" data-list="other">ghi</mark></p>'
    )


def test_highlight_escapes_everything_inserted() -> None:
    draft = analyze("<p>bad word</p>", html=True)
    out = highlight(draft, [Mark(draft.spans(0, 3), '<script>alert("x")</script>', css_class='a" onclick="x',
                                 title="<script>t</script>'")])
    assert "<script" not in out
    assert 'onclick="x' not in out
    assert "&lt;script&gt;" in out
    assert MARK_CLEANER.clean(str(out)) == str(out)


def test_highlight_plain_text_escapes_source() -> None:
    draft = analyze("<script>alert(1)</script> damn", html=False)
    out = highlight(draft, [Mark(draft.spans(26, 30), "profanity", title="profanity: damn")])
    assert out == Markup(
        '&lt;script&gt;alert(1)&lt;/script&gt; '
        '<mark class="fg-term" data-list="profanity" title="profanity: damn">damn</mark>'
    )
    assert "<script" not in highlight(draft, [])


def test_highlight_without_marks_is_the_draft() -> None:
    draft = analyze("<p>a &amp; b</p>", html=True)
    assert highlight(draft, []) == Markup(draft.sanitized)


def test_highlight_never_inside_a_tag_even_with_bad_spans() -> None:
    draft = analyze('<p>go <a href="http://x.example">here</a> &amp; now</p>', html=True)
    san = draft.sanitized
    whole = Mark(((0, len(san)),), "l")  # a span over tags and all
    out = str(highlight(draft, [whole]))
    assert MARK_TAG_RE.sub("", out) == san
    assert MARK_CLEANER.clean(out) == out
    inside_entity = san.index("&amp;") + 2
    out = str(highlight(draft, [Mark(((inside_entity, inside_entity + 1),), "l")]))
    assert '<mark class="fg-term" data-list="l">&amp;</mark>' in out


def test_highlight_css_class() -> None:
    draft = analyze("damn", html=False)
    out = highlight(draft, [Mark(draft.spans(0, 4), "mild", css_class="fg-term fg-censor")])
    assert out == Markup('<mark class="fg-term fg-censor" data-list="mild">damn</mark>')


# --------------------------------------------------------------------------------------------
# censor


def test_censor_html_split_by_tags() -> None:
    draft = analyze("<p>f<b>uc</b>k you</p>", html=True)
    out = censor(draft, [(draft.spans(0, 4), "f***")])
    assert out == Markup("<p>f***<b></b> you</p>")


def test_censor_html_with_entities_and_escaping() -> None:
    draft = analyze("<p>fish &amp; chips</p>", html=True)
    out = censor(draft, [(draft.spans(5, 6), "<and>")])
    assert out == Markup("<p>fish &lt;and&gt; chips</p>")


def test_censor_plain_text() -> None:
    draft = analyze("what the <fuck> & more\nfuck", html=False)
    reps = [(draft.spans(m.start(), m.end()), default_censor_text(m.group()))
            for m in re.finditer("fuck", draft.text)]
    out = censor(draft, reps)
    assert out == Markup("what the &lt;f***&gt; &amp; more\nf***")


def test_censor_overlapping_hides_everything() -> None:
    draft = analyze("<p>abcdefgh</p>", html=True)
    out = censor(draft, [(draft.spans(0, 4), "1"), (draft.spans(2, 6), "2")])
    assert out == Markup("<p>12gh</p>")
    out = censor(draft, [(draft.spans(2, 4), "short"), (draft.spans(2, 6), "long")])
    assert out == Markup("<p>ablonggh</p>")


def test_censor_nothing() -> None:
    draft = analyze("<p>a &amp; b</p>", html=True)
    assert censor(draft, []) == Markup(draft.sanitized)


@pytest.mark.parametrize(("source", "words"), DRAFTS)
def test_censor_keeps_markup(source: str, words: list[str]) -> None:
    draft = analyze(source, html=True)
    reps = [(m.spans, "***") for m in word_marks(draft, words)]
    out = str(censor(draft, reps))
    assert MARK_CLEANER.clean(out) == out
    assert re.findall(r"<[^>]*>", out) == re.findall(r"<[^>]*>", draft.sanitized)  # same tags, same order


@pytest.mark.parametrize(
    ("matched", "censored"),
    [
        ("fuck", "f***"),
        ("Fuck", "F***"),
        ("f.u.c.k", "f******"),
        ("two words", "t** *****"),
        ("a", "a"),
        ("", ""),
        ("...", "***"),
        ("*shit", "*s***"),
        ("ßchön", "ß****"),
        ("4ss", "4**"),
    ],
)
def test_default_censor_text(matched: str, censored: str) -> None:
    assert default_censor_text(matched) == censored
    assert len(default_censor_text(matched)) == len(matched)
