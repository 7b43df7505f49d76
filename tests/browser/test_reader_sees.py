"""What a reader sees is what gets checked: every post the guard lets through is rendered in
Chromium, and the text the reader sees (``innerText``) is checked again. A word the reader can read
must have been seen by the check (issue 12: invisible code points, a 0×0 image inside a word, markup
splitting a word, a right-to-left override, attribute text)."""

from __future__ import annotations

from typing import Any

import pytest
from markupsafe import escape

from forum_guard import Guard
from forum_guard.web import content_to_store

pytestmark = pytest.mark.browser

GUARD = Guard.shipped()

#: each a way to write a banned word so that a reader still reads it
EVASIONS = [
    "fu\u2065ck", "fu\ufff0ck", "fu\U000e0041ck", "fu\u00adck", "fu\u034fck", "f\u200duck", "fu&#8203;ck",
    "fu&#x2060;ck", "\u202ekcuf\u202c", "\u202ekcuf", "fu<img width=0 height=0 src=x>ck",
    "fu<img src=x style='display:none'>ck", "f<!-- x -->uck", "f<span></span>uck", "f<b></b>u<i>c</i>k",
    "<b title='fuck'>hover me</b>", "<img alt='fuck' src='x.png'>",
    "<abbr title='what the fuck'>wtf</abbr>", "f&shy;u&shy;c&shy;k", "fu<wbr>ck",
    "s\u0068\u0131t", "ѕhit", "ꓢhit", "fսck", "ｆｕｃｋ", "𝐟𝐮𝐜𝐤", "f\u0338uck",
]
#: not the word to a reader: styles that would hide letters are not kept by the sanitizer (the
#: reader sees "fuzzck"), and a line break splits the word over two lines
STYLED = ["fu<br>ck", "fu<span style='font-size:0'>zz</span>ck", "fu<span style='display:none'>zz</span>ck",
          "fu<font size=0>zz</font>ck"]
#: innocent posts the guard must let through, rendered the same way (the test is not vacuous)
INNOCENT = ["<p>Scunthorpe United won 2-1</p>", "<p>pass the <b>butter</b>, please</p>",
            "<p>a cockpit &amp; an assassin</p>", "<p>R<sup>2</sup> = 0.9</p>"]


@pytest.fixture(scope="module")
def reader(browser: Any) -> Any:
    context = browser.new_context()
    page = context.new_page()
    yield page
    context.close()


def seen_by_reader(reader: Any, stored_html: str) -> str:
    reader.set_content(f"<!doctype html><meta charset=utf-8><div id=post>{stored_html}</div>")
    return str(reader.inner_text("#post"))


@pytest.mark.parametrize("payload", EVASIONS + STYLED + INNOCENT)
def test_what_a_reader_sees_of_a_published_post_passes_the_check_again(reader: Any, payload: str) -> None:
    verdict = GUARD.check(payload, markup="html")
    if verdict.blocked:
        return  # never stored
    stored = content_to_store(verdict)
    seen = seen_by_reader(reader, stored)
    again = GUARD.check(seen, markup="text")
    assert not again.matches, (payload, stored, seen, [m.matched for m in again.matches])


@pytest.mark.parametrize("payload", [p for p in EVASIONS if "title" not in p and "alt" not in p])
def test_each_evasion_is_refused_or_censored_where_it_was_written(payload: str) -> None:
    verdict = GUARD.check(payload, markup="html")
    assert verdict.matches, payload


@pytest.mark.parametrize("payload", EVASIONS)
def test_plain_text_posts_render_what_was_checked(reader: Any, payload: str) -> None:
    """A plain-text forum shows the text escaped: what the reader sees is the text itself."""
    verdict = GUARD.check(payload, markup="text")
    if verdict.blocked:
        return
    seen = seen_by_reader(reader, f"<div style='white-space:pre-wrap'>{escape(content_to_store(verdict))}</div>")
    assert not GUARD.check(seen, markup="text").matches, (payload, seen)


def test_innocent_posts_are_published_as_written(reader: Any) -> None:
    for payload in INNOCENT:
        verdict = GUARD.check(payload, markup="html")
        assert verdict.allowed and not verdict.matches, payload
        assert seen_by_reader(reader, content_to_store(verdict)).strip()
