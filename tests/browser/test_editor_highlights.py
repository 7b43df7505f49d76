"""Highlights in the rich editor are never content (issue 11, bug 1) and never cost the author the
browser's undo (bug 7): whatever the editing gesture, the posted HTML has no trace of them."""

from __future__ import annotations

import re
from typing import Any

import pytest

pytestmark = pytest.mark.browser

SURFACE = ".fg-surface"
#: the highlighted words, as the author sees them (the CSS Custom Highlight API, or <mark>s)
HIGHLIGHTED = """() => {
  const h = window.CSS && CSS.highlights && CSS.highlights.get("fg-hit");
  if (h) return Array.from(h).map((r) => r.toString()).filter(Boolean);
  return Array.from(document.querySelectorAll(".fg-surface mark")).map((m) => m.textContent);
}"""
STRAY = re.compile(r"<(span|u|mark|font)\b|style=", re.I)


def open_topic(page: Any, topic_id: int) -> None:
    page.goto(f"/t/{topic_id}")
    page.wait_for_selector(".fg-editor[data-fg-ready='true']")


def highlighted(page: Any) -> list[str]:
    return list(page.evaluate(HIGHLIGHTED))


def wait_highlighted(page: Any, word: str) -> None:
    page.wait_for_function(f"() => ({HIGHLIGHTED})().includes({word!r})")


def wait_clean(page: Any) -> None:
    page.wait_for_function(f"() => ({HIGHLIGHTED})().length === 0 && "
                           "document.querySelector('.fg-editor').dataset.fgState === 'checked'")


def submit_and_read_last_post(page: Any) -> str:
    with page.expect_navigation():
        page.click("button:has-text('Submit Reply')")
    assert "Your reply has been posted." in page.inner_text(".flashes")
    return str(page.inner_html(".posts article:last-child .post__content"))


def _backspace_word(page: Any) -> None:
    for _ in "fucking":
        page.keyboard.press("Backspace")


def _select_all_delete(page: Any) -> None:
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")


@pytest.mark.parametrize(("typed", "gesture", "then", "draft"), [
    ("Thanks fucking", _backspace_word, "lovely. Thanks!", "Thanks lovely. Thanks!"),
    ("fucking great trip", _select_all_delete, "A great trip", "A great trip"),
], ids=["backspace-over-a-trailing-highlight", "select-all-delete-from-a-leading-highlight"])
def test_deleting_a_highlight_then_typing_posts_no_formatting(page: Any, typed: str, gesture: Any, then: str,
                                                              draft: str) -> None:
    open_topic(page, 2)
    page.click(SURFACE)
    page.keyboard.type(typed)
    wait_highlighted(page, "fucking")
    gesture(page)
    page.keyboard.type(then)
    wait_clean(page)
    assert page.input_value("textarea#content") == draft
    assert page.inner_html(SURFACE) == draft
    posted = submit_and_read_last_post(page)
    assert draft in posted
    assert not STRAY.search(posted), posted


def test_typing_into_the_middle_of_a_highlight_adds_no_formatting(page: Any) -> None:
    open_topic(page, 2)
    page.click(SURFACE)
    page.keyboard.type("what the fuck")
    wait_highlighted(page, "fuck")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("Backspace")
    page.keyboard.press("Backspace")
    page.keyboard.type("or")
    page.keyboard.press("Delete")
    page.keyboard.type("k")
    wait_clean(page)
    assert page.inner_html(SURFACE) == "what the fork"
    assert page.input_value("textarea#content") == "what the fork"


def test_undo_works_after_highlights_are_applied(page: Any) -> None:
    open_topic(page, 2)
    page.click(SURFACE)
    page.keyboard.type("hello fucking")
    wait_highlighted(page, "fucking")
    text = "() => document.querySelector('.fg-surface').textContent"
    page.keyboard.press("Control+Z")  # the last keystroke is undone (before: Ctrl+Z did nothing)
    page.wait_for_function(f"() => ({text})() === 'hello fuckin'")
    page.keyboard.press("Control+Shift+Z")  # and redone
    page.wait_for_function(f"() => ({text})() === 'hello fucking'")
    wait_highlighted(page, "fucking")
    for _ in "fucking":
        page.keyboard.press("Control+Z")
    page.wait_for_function(f"() => ({text})().trim() === 'hello'")
    wait_clean(page)
    assert page.input_value("textarea#content").replace("&nbsp;", " ").strip() == "hello"


def test_undo_works_after_paste_as_plain_text(page: Any) -> None:
    open_topic(page, 2)
    page.click(SURFACE)
    page.keyboard.type("Intro ")
    page.evaluate("""() => {
      const dt = new DataTransfer();
      dt.setData("text/html", "<p>Hello <b>bold</b> world</p>");
      dt.setData("text/plain", "Hello bold world");
      document.querySelector(".fg-surface").dispatchEvent(
        new ClipboardEvent("paste", { bubbles: true, cancelable: true, clipboardData: dt }));
    }""")
    page.wait_for_selector(".fg-client-notices [data-fg-notice='rich']")
    assert "<b>bold</b>" in page.inner_html(SURFACE)
    page.click("button:has-text('Paste as plain text instead')")
    page.wait_for_function("() => !document.querySelector('.fg-surface b')")
    assert page.inner_text(SURFACE).strip() == "Intro Hello bold world"
    page.focus(SURFACE)
    page.keyboard.press("Control+Z")  # back to the rich paste
    page.wait_for_function("() => !!document.querySelector('.fg-surface b')")
    assert "Hello" in page.inner_text(SURFACE)
    page.keyboard.press("Control+Z")  # and the paste itself is undone
    page.wait_for_function("() => document.querySelector('.fg-surface').textContent.trim() === 'Intro'")
    page.wait_for_selector(".fg-editor[data-fg-state='checked']")
    assert page.input_value("textarea#content").replace("&nbsp;", " ").strip() == "Intro"


RICH_PAGE = ('<meta charset="utf-8"><h1>Our trip</h1><div><h2>Day one</h2><p>We <b>walked</b> far.</p></div>'
             '<p>Then <h2>inline heading</h2> more</p><ul><li>tent</li></ul>')


def test_rich_paste_nests_no_block_in_a_paragraph_and_keeps_no_large_heading(page: Any) -> None:
    open_topic(page, 2)
    page.click(SURFACE)
    page.keyboard.type("Before: ")
    page.evaluate("""([html]) => {
      const dt = new DataTransfer();
      dt.setData("text/html", html);
      dt.setData("text/plain", "Our trip Day one We walked far.");
      document.querySelector(".fg-surface").dispatchEvent(
        new ClipboardEvent("paste", { bubbles: true, cancelable: true, clipboardData: dt }));
    }""", [RICH_PAGE])
    page.wait_for_selector(".fg-client-notices [data-fg-notice='rich']")
    nested = "p p, p h1, p h2, p h3, p h4, p ul, p blockquote, h3 p, h4 p"
    assert page.evaluate(f"() => document.querySelectorAll('.fg-surface :is({nested})').length") == 0
    assert page.query_selector(f"{SURFACE} :is(h1, h2)") is None
    html = page.input_value("textarea#content")
    assert "<h1" not in html and "<h2" not in html
    assert "<b>walked</b>" in html and "Day one" in html and "<li>tent</li>" in html


def test_the_notice_close_button_stays_beside_its_text_at_390px(page: Any) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    open_topic(page, 2)
    page.evaluate("""() => {
      const dt = new DataTransfer();
      dt.setData("text/html", "<p>Hello <b>bold</b> world</p>");
      dt.setData("text/plain", "Hello bold world");
      document.querySelector(".fg-surface").dispatchEvent(
        new ClipboardEvent("paste", { bubbles: true, cancelable: true, clipboardData: dt }));
    }""")
    notice = page.wait_for_selector(".fg-client-notices [data-fg-notice='rich']")
    close = notice.query_selector(".fg-notice__close").bounding_box()
    text = notice.query_selector(".fg-notice__text").bounding_box()
    action = notice.query_selector(".fg-notice__action").bounding_box()
    assert close and text and action
    assert abs(close["y"] - text["y"]) < 8, (close, text)  # on the text's first line
    assert close["x"] + close["width"] <= text["x"]  # beside it, not above it
    assert action["x"] >= text["x"] - 1  # the action lines up under the text, not under the ×
