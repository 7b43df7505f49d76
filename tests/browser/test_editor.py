"""The editor in a real browser (Debian chromium through Playwright) against the live demo forum:
every notice from the forum page, live highlights, a blocked submit with the draft intact, the fix."""

from __future__ import annotations

import base64
import os
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import MODERATOR_PASSWORD

from .conftest import wait_saved

pytestmark = pytest.mark.browser

TERMS_NOTICE = ("Unfortunately, your content contains terms that we do not allow. "
                "Please edit your content to remove the highlighted words below.")
SURFACE = ".fg-surface"
NOTICE = "#content-notice"
CLIENT_NOTICES = ".fg-client-notices"
ROOT = Path(__file__).resolve().parents[2]
#: every run saves its screenshots here (ignored by git); docs/ gets the README's one when it is
#: missing or FORUM_GUARD_UPDATE_SCREENSHOTS=1
ARTIFACTS = ROOT / "tests" / "artifacts"
DOCS_SCREENSHOT = ROOT / "docs" / "screenshot-notice.png"
# a 1x1 transparent PNG
PNG = base64.b64encode(bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63000100000500010d0a2db40000000049454e44ae426082")).decode()

HIGHLIGHTED = """() => Array.from(CSS.highlights.get("fg-hit") || []).map((r) => r.toString()).filter(Boolean)"""
PASTE = """([selector, payload]) => {
  const el = document.querySelector(selector);
  el.focus();
  const dt = new DataTransfer();
  if (payload.png) {
    const bytes = Uint8Array.from(atob(payload.png), (c) => c.charCodeAt(0));
    dt.items.add(new File([bytes], "screenshot.png", { type: "image/png" }));
  }
  for (const [type, data] of Object.entries(payload.data || {})) dt.setData(type, data);
  const init = { bubbles: true, cancelable: true };
  const event = payload.drop
    ? new DragEvent("drop", { ...init, dataTransfer: dt })
    : new ClipboardEvent("paste", { ...init, clipboardData: dt });
  el.dispatchEvent(event);
  return event.defaultPrevented;
}"""


def open_topic(page: Any, topic_id: int = 1) -> None:
    page.goto(f"/t/{topic_id}")
    page.wait_for_selector(".fg-editor[data-fg-ready='true']")


def paste(page: Any, **payload: Any) -> bool:
    return bool(page.evaluate(PASTE, [SURFACE, payload]))


def shoot(page: Any, name: str, *, docs: bool = False) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.locator("#reply").screenshot(path=str(ARTIFACTS / name))
    if docs and (not DOCS_SCREENSHOT.exists() or os.environ.get("FORUM_GUARD_UPDATE_SCREENSHOTS")):
        DOCS_SCREENSHOT.parent.mkdir(exist_ok=True)
        page.locator("#reply").screenshot(path=str(DOCS_SCREENSHOT))


def wait_checked(page: Any) -> None:
    page.wait_for_selector(".fg-editor[data-fg-state='checked']")


def test_offending_reply_is_highlighted_live_blocked_on_submit_and_posted_when_fixed(page: Any) -> None:
    open_topic(page)
    page.click(SURFACE)
    page.keyboard.type("You are a fucking legend")
    # highlights are CSS Custom Highlight ranges, never nodes of the draft
    page.wait_for_function(f"() => ({HIGHLIGHTED})().join() === 'fucking'")
    assert page.query_selector(f"{SURFACE} mark") is None
    # not colour only: a wavy underline, the title on hover, and the words named in the notice
    box = page.evaluate("""() => { const r = CSS.highlights.get("fg-hit").values().next().value.getBoundingClientRect();
                                  return [r.x + r.width / 2, r.y + r.height / 2]; }""")
    page.mouse.move(*box)
    assert "fuck" in (page.get_attribute(SURFACE, "title") or "")
    page.wait_for_selector(f"{NOTICE} [data-fg-server-notice]")
    assert re.sub(r"\s+", " ", page.inner_text(NOTICE)).strip() == TERMS_NOTICE + " Words to change: fucking."
    assert page.get_attribute(NOTICE, "aria-live") == "polite"
    # typing goes on where the caret was, after the highlight
    page.keyboard.type(", truly")
    assert page.inner_text(SURFACE).strip() == "You are a fucking legend, truly"
    page.wait_for_timeout(250)

    shoot(page, "notice.png", docs=True)

    # submit: refused with a 422, the notice again, the draft intact and highlighted
    with page.expect_navigation():
        page.click("button:has-text('Submit Reply')")
    page.wait_for_selector(".fg-editor[data-fg-ready='true']")
    assert "You are a fucking legend, truly" in page.inner_text(SURFACE)
    assert TERMS_NOTICE in page.inner_text(NOTICE)
    page.wait_for_function(f"() => ({HIGHLIGHTED})().join() === 'fucking'")
    assert page.input_value("textarea#content").startswith("You are a fucking legend, truly")

    # fix it: the notice and the highlights go away, and the reply is posted
    page.click(SURFACE)
    page.keyboard.press("Control+A")
    page.keyboard.type("You are a legend, truly")
    page.wait_for_function("() => !document.querySelector('#content-notice [data-fg-server-notice]')")
    assert page.evaluate(HIGHLIGHTED) == []
    with page.expect_navigation():
        page.click("button:has-text('Submit Reply')")
    assert re.search(r"/t/1#post-\d+$", page.url)
    assert "Your reply has been posted." in page.inner_text(".flashes")
    assert "You are a legend, truly" in page.inner_text(".posts")
    page.wait_for_selector(".fg-editor[data-fg-ready='true']")
    assert page.inner_text(SURFACE).strip() == ""


def test_pasted_image_is_refused_and_not_inserted(page: Any) -> None:
    open_topic(page)
    assert paste(page, png=PNG) is True
    notice = page.wait_for_selector(f"{CLIENT_NOTICES} [data-fg-notice='image']")
    assert "You cannot paste images directly. Upload or insert images from URL." in notice.inner_text()
    assert page.query_selector(f"{SURFACE} img") is None
    shoot(page, "pasted-image.png")
    notice.query_selector(".fg-notice__close").click()
    assert page.query_selector(f"{CLIENT_NOTICES} [data-fg-notice='image']") is None


def test_dropped_image_is_refused(page: Any) -> None:
    open_topic(page)
    assert paste(page, png=PNG, drop=True) is True
    page.wait_for_selector(f"{CLIENT_NOTICES} [data-fg-notice='image']")
    assert page.query_selector(f"{SURFACE} img") is None


def test_image_from_url_is_inserted(page: Any) -> None:
    open_topic(page)
    page.click(SURFACE)
    page.keyboard.type("Look: ")
    page.click("button[aria-label='Insert image from URL']")
    page.fill(".fg-prompt__input", "javascript:alert(1)")
    page.click(".fg-prompt__ok")
    assert "http" in page.inner_text(".fg-prompt__error")
    page.fill(".fg-prompt__input", "https://example.com/cat.png")
    page.click(".fg-prompt__ok")
    img = page.wait_for_selector(f"{SURFACE} img", state="attached")
    assert img.get_attribute("src") == "https://example.com/cat.png"
    wait_checked(page)
    assert page.query_selector(f"{CLIENT_NOTICES} [data-fg-notice='image']") is None
    assert '<img src="https://example.com/cat.png"' in page.input_value("textarea#content")


def test_eighty_emoji_show_the_limit_notice(page: Any) -> None:
    open_topic(page)
    assert paste(page, data={"text/plain": "🎉" * 80}) is True
    page.wait_for_selector(f"{NOTICE} >> text=Only 75 emoji are allowed.")
    assert page.inner_text(".fg-emoji-count") == "80 of 75 emoji"
    assert page.query_selector(".fg-emoji-count.is-over") is not None
    shoot(page, "emoji.png")


def test_reload_restores_the_draft(page: Any) -> None:
    open_topic(page, 2)
    page.click(SURFACE)
    page.keyboard.type("A draft worth keeping")
    wait_saved(page, "A draft worth keeping")  # autosave runs 400 ms after the last keystroke
    page.reload()
    page.wait_for_selector(".fg-editor[data-fg-ready='true']")
    notice = page.wait_for_selector(f"{CLIENT_NOTICES} [data-fg-notice='restored']")
    assert re.sub(r"\s+", " ", notice.inner_text()).strip().endswith(
        "Your previous content has been restored. Clear editor")
    assert page.inner_text(SURFACE).strip() == "A draft worth keeping"
    shoot(page, "restored.png")
    notice.query_selector("button:has-text('Clear editor')").click()
    assert page.inner_text(SURFACE).strip() == ""
    page.reload()
    page.wait_for_selector(".fg-editor[data-fg-ready='true']")
    assert page.query_selector(f"{CLIENT_NOTICES} [data-fg-notice='restored']") is None


def test_rich_text_paste_is_sanitized_with_a_plain_text_action(page: Any) -> None:
    open_topic(page)
    html = ('<meta charset="utf-8"><p>Hello <b style="color:red" onclick="alert(1)">bold</b> '
            '<span class="x">world</span><script>alert(2)</script>'
            '<img src="data:image/png;base64,AAAA"></p>')
    assert paste(page, data={"text/html": html, "text/plain": "Hello bold world"}) is True
    notice = page.wait_for_selector(f"{CLIENT_NOTICES} [data-fg-notice='rich']")
    assert re.sub(r"\s+", " ", notice.inner_text()).strip().endswith("Pasted as rich text. Paste as plain text instead")
    inner = page.inner_html(SURFACE)
    assert "<b>bold</b>" in inner
    assert "onclick" not in inner and "style" not in inner and "script" not in inner and "<img" not in inner
    page.wait_for_selector(f"{CLIENT_NOTICES} [data-fg-notice='image']")  # the pasted image was dropped
    shoot(page, "rich-text.png")
    notice.query_selector("button:has-text('Paste as plain text instead')").click()
    assert "<b>" not in page.inner_html(SURFACE)
    assert page.inner_text(SURFACE).strip() == "Hello bold world"
    assert page.query_selector(f"{CLIENT_NOTICES} [data-fg-notice='rich']") is None


def test_bare_url_becomes_a_card_and_display_as_a_link_gives_a_link(page: Any) -> None:
    open_topic(page)
    assert paste(page, data={"text/plain": "https://example.com/some/page"}) is True
    card = page.wait_for_selector(f"{SURFACE} blockquote.fg-embed")  # the demo's cards: host and path
    assert "example.com" in card.inner_text() and "/some/page" in card.inner_text()
    notice = page.wait_for_selector(f"{CLIENT_NOTICES} [data-fg-notice='link']")
    assert re.sub(r"\s+", " ", notice.inner_text()).strip().endswith(
        "Your link has been automatically embedded. Display as a link instead")
    shoot(page, "link.png")
    notice.query_selector("button:has-text('Display as a link instead')").click()
    page.wait_for_function("() => !document.querySelector('.fg-surface blockquote')")
    link = page.wait_for_selector(f"{SURFACE} a")
    assert link.get_attribute("href") == "https://example.com/some/page"
    assert page.inner_text(SURFACE).strip() == "https://example.com/some/page"


def test_moderator_is_told_they_bypass_the_filter(page: Any) -> None:
    sign_in(page, "moderator", MODERATOR_PASSWORD)
    open_topic(page, 3)
    page.click(SURFACE)
    page.keyboard.type("fuck this")
    notice = page.wait_for_selector(f"{NOTICE} [data-fg-exempt-notice]")
    assert "You are a moderator" in notice.inner_text() and "blocked" in notice.inner_text()
    assert page.query_selector(f"{NOTICE} .fg-notice--error") is None


def sign_in(page: Any, name: str, password: str) -> None:
    page.goto("/signin")
    page.fill("#name", name)
    page.fill("#password", password)
    with page.expect_navigation():
        page.click("button:has-text('Sign in')")


def test_a_members_draft_follows_them_to_another_browser(page: Any, browser: Any, live_server: str) -> None:
    page.goto("/signup")
    page.fill("#name", "traveller")
    page.fill("#password", "a-good-password")
    page.fill("#confirm", "a-good-password")
    with page.expect_navigation():
        page.click("button:has-text('Create my account')")
    open_topic(page, 2)
    page.click(SURFACE)
    # the autosave is answered by the server (not only sent) before the other device looks
    with page.expect_response(lambda r: r.url.endswith("/forum-guard/draft") and r.request.method == "POST"
                              and "Written on my laptop" in (r.request.post_data or "")):
        page.keyboard.type("Written on my laptop")
    other = browser.new_context(base_url=live_server)
    try:
        phone = other.new_page()
        sign_in(phone, "traveller", "a-good-password")
        phone.goto("/t/2")
        notice = phone.wait_for_selector(f"{CLIENT_NOTICES} [data-fg-notice='restored']")
        assert "Your previous content has been restored." in notice.inner_text()
        assert phone.inner_text(SURFACE).strip() == "Written on my laptop"
    finally:
        other.close()
