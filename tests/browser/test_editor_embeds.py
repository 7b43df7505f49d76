"""A pasted link becomes a preview card built on the server, and "Display as a link instead" turns
it back into a plain, clickable link (issue 11, bug 3): the forum's own topics get title, excerpt
and author from the host's resolver; any other link a card with its host and path."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import render_template_string, request

from forum_guard.web.embed import EmbedCard

from .conftest import host_app, serve

pytestmark = pytest.mark.browser

SURFACE = ".fg-surface"
LINK_NOTICE = ".fg-client-notices [data-fg-notice='link']"
PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Forum</title></head><body>
{% from "forum_guard/_editor.html" import editor %}
<form method="post" action="/post">{{ editor("content") }}<button>Post</button></form>
</body></html>"""
TOPICS = {7: ("Packing for Iceland in March", "Bring layers: the wind is the thing nobody warns you about.", "Sigrun")}
PASTE = """([text]) => {
  const el = document.querySelector(".fg-surface");
  el.focus();
  const dt = new DataTransfer();
  dt.setData("text/plain", text);
  el.dispatchEvent(new ClipboardEvent("paste", { bubbles: true, cancelable: true, clipboardData: dt }));
}"""


def resolve(url: str) -> EmbedCard | None:
    """The host's resolver: its own topics by URL, nothing for the rest of the web."""
    parts = urlsplit(url)
    m = re.fullmatch(r"/t/(\d+)", parts.path)
    if parts.netloc != urlsplit(request.host_url).netloc or not m or int(m.group(1)) not in TOPICS:
        return None
    title, excerpt, author = TOPICS[int(m.group(1))]
    return EmbedCard(url=url, host=parts.hostname or "", path=parts.path, kind="topic", title=title,
                     excerpt=excerpt, author=author)


@pytest.fixture(scope="module")
def forum_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    app = host_app(tmp_path_factory.mktemp("embed"), FORUM_GUARD_EMBED_RESOLVER=resolve)
    posted: list[str] = []
    app.add_url_rule("/", "index", lambda: render_template_string(PAGE))
    app.add_url_rule("/post", "post", lambda: (posted.append(request.form["content"]), "ok")[1], methods=["POST"])
    app.extensions["test_posted"] = posted
    with serve(app) as url:
        yield url


@pytest.fixture
def forum(browser: Any, forum_url: str) -> Iterator[Any]:
    context = browser.new_context(base_url=forum_url)
    context.set_default_timeout(5000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto("/")
    page.wait_for_selector(".fg-editor[data-fg-ready='true']")
    yield page
    context.close()
    assert not errors, f"JavaScript errors: {errors}"


def test_a_link_to_one_of_the_forums_topics_becomes_a_card_with_title_excerpt_and_author(forum: Any,
                                                                                        forum_url: str) -> None:
    url = f"{forum_url}/t/7"
    forum.evaluate(PASTE, [url])
    card = forum.wait_for_selector(f"{SURFACE} blockquote.fg-embed")
    text = card.inner_text()
    assert "Packing for Iceland in March" in text
    assert "Bring layers: the wind is the thing nobody warns you about." in text
    assert "by Sigrun" in text
    assert card.query_selector("a").get_attribute("href") == url
    notice = forum.wait_for_selector(LINK_NOTICE)
    assert "Your link has been automatically embedded." in notice.inner_text()
    # the card is what gets posted, as HTML the sanitizer keeps
    forum.wait_for_timeout(100)
    value = forum.input_value("textarea#content")
    assert "<blockquote>" in value and f'href="{url}"' in value and "Packing for Iceland" in value
    assert "contenteditable" not in value and "fg-embed" not in value


def test_display_as_a_link_instead_gives_a_plain_clickable_link(forum: Any) -> None:
    url = "https://example.org/guides/iceland?lang=en"
    forum.evaluate(PASTE, [url])
    card = forum.wait_for_selector(f"{SURFACE} blockquote.fg-embed")
    text = card.inner_text()
    assert "example.org" in text and "/guides/iceland?lang=en" in text  # host and path, nothing fetched
    forum.click(f"{LINK_NOTICE} button:has-text('Display as a link instead')")
    forum.wait_for_function("() => !document.querySelector('.fg-surface blockquote')")
    link = forum.wait_for_selector(f"{SURFACE} a")
    assert link.get_attribute("href") == url
    assert link.inner_text() == url
    assert forum.query_selector(LINK_NOTICE) is None
    value = forum.input_value("textarea#content")
    assert f'<a href="{url.replace("&", "&amp;")}"' in value and "blockquote" not in value
    # and undo brings the card back
    forum.focus(SURFACE)
    forum.keyboard.press("Control+Z")
    forum.keyboard.press("Control+Z")
    forum.wait_for_function("() => (document.querySelector('.fg-surface blockquote') || {}).textContent"
                            "?.includes('/guides/iceland?lang=en')")
