"""The editor attached to a host's own fields (issue 10, "Editor attach"; issue 11, titles checked
live): a Markdown textarea through the ``attach_editor`` macro, a BBCode one through
``ForumGuardEditor.attach(el, {markup: "bbcode"})``, a topic title input; no head hook, the macro
included twice, editor.js loaded once; the live check is told each field's markup."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from flask import render_template_string

from .conftest import host_app, serve

pytestmark = pytest.mark.browser

#: a host page with no forum_guard include in <head>: everything comes from the macros
PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Host forum</title></head>
<body>
{% from "forum_guard/_editor.html" import attach_editor %}
<form method="post" action="/post">
  <label for="title">Title</label>
  <input id="title" name="title">
  {{ attach_editor("title") }}
  <label for="message">Message</label>
  <textarea id="message" name="message" rows="5"></textarea>
  {{ attach_editor("message", markup="markdown") }}
  {{ attach_editor("message", markup="markdown") }}
  <label for="bb">Signature</label>
  <textarea id="bb" name="bb"></textarea>
  <button>Post</button>
</form>
{% include "forum_guard/_head.html" %}
<script>
  addEventListener("DOMContentLoaded", () => {
    const bb = document.getElementById("bb");
    window.bbEditor = ForumGuardEditor.attach(bb, { markup: "bbcode" });
    window.bbAgain = ForumGuardEditor.attach(bb, { markup: "bbcode" }) === window.bbEditor;
  });
</script>
</body></html>"""


def type_checked(page: Any, text: str) -> dict[str, Any]:
    """Type ``text`` where the focus is; return the live check the editor sent with the whole of it.
    The editor checks after each pause in typing, so on a busy machine a check of the first words
    ("fuck") may be answered, and its notice shown, before the check of the whole text goes out."""
    with page.expect_request(lambda r: r.url.endswith("/forum-guard/check")
                             and json.loads(r.post_data or "{}").get("content") == text) as request:
        page.keyboard.type(text)
    sent: dict[str, Any] = json.loads(request.value.post_data)
    return sent


@pytest.fixture(scope="module")
def host_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    app = host_app(tmp_path_factory.mktemp("host"), FORUM_GUARD_CHECK_DELAY_MS=100)
    app.add_url_rule("/", "index", lambda: render_template_string(PAGE))
    with serve(app) as url:
        yield url


@pytest.fixture
def host_page(browser: Any, host_url: str) -> Iterator[Any]:
    context = browser.new_context(base_url=host_url)
    context.set_default_timeout(5000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto("/")
    page.wait_for_function("() => document.querySelectorAll('.fg-editor[data-fg-ready=true]').length === 3")
    yield page
    context.close()
    assert not errors, f"JavaScript errors: {errors}"


def test_assets_load_once_without_a_head_hook_and_each_field_attaches_once(host_page: Any) -> None:
    page = host_page
    assert page.evaluate("() => document.querySelectorAll('script[src*=\"editor.js\"]').length") == 1
    assert page.evaluate("() => document.querySelectorAll('link[href*=\"editor.css\"]').length") == 1
    loaded = page.evaluate("() => performance.getEntriesByType('resource').filter((e) => e.name.includes('editor.js')).length")
    assert loaded == 1
    assert page.evaluate("() => document.querySelectorAll('[data-fg-notice-for=message]').length") == 1
    assert page.evaluate("() => window.bbAgain") is True
    # the host's fields stay where they were, in the host's form, not replaced by a rich editor
    assert page.evaluate("() => document.querySelector('.fg-surface')") is None
    assert page.evaluate("() => document.getElementById('message').closest('form') !== null")


def test_a_markdown_field_is_checked_as_markdown(host_page: Any) -> None:
    page = host_page
    page.fill("#message", "")
    page.click("#message")
    sent = type_checked(page, "**fu**ck this")
    page.wait_for_selector("[data-fg-notice-for=message] [data-fg-server-notice]")
    assert sent["markup"] == "markdown"
    assert "Unfortunately, your content contains terms" in page.inner_text("[data-fg-notice-for=message]")
    assert page.get_attribute("#message", "aria-invalid") == "true"
    # the stored text is untouched: the field still holds what was typed
    assert page.input_value("#message") == "**fu**ck this"


def test_a_bbcode_field_attached_by_hand_is_checked_as_bbcode(host_page: Any) -> None:
    page = host_page
    page.click("#bb")
    sent = type_checked(page, "[b]fu[/b]ck")
    page.wait_for_selector("#bb-notice [data-fg-server-notice]")
    assert sent["markup"] == "bbcode"


def test_a_title_is_checked_live_with_one_notice(host_page: Any) -> None:
    page = host_page
    page.click("#title")
    sent = type_checked(page, "fuck you all")
    page.wait_for_selector("[data-fg-notice-for=title] [data-fg-server-notice]")
    assert sent["markup"] == "text"
    assert page.evaluate("() => document.querySelectorAll('[data-fg-notice-for=title] [data-fg-server-notice]').length") == 1
    # a one-line field gets no big highlighted copy under it: the notice names the words
    assert page.evaluate("() => document.querySelector('#title').closest('.fg-field, form')"
                         ".querySelectorAll('.fg-preview:not([hidden])').length") == 0
    assert "Words to change: fuck." in page.inner_text("[data-fg-notice-for=title]")


@pytest.fixture(scope="module")
def markdown_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from conftest import demo_config

    from forum_guard.demo import create_app

    with serve(create_app(demo_config(tmp_path_factory.mktemp("md"), DEMO_MARKUP="markdown",
                                      FORUM_GUARD_CHECK_DELAY_MS=100))) as url:
        yield url


def test_the_demo_in_markdown_mode_checks_the_reply_as_markdown_while_typing(browser: Any,
                                                                              markdown_demo: str) -> None:
    context = browser.new_context(base_url=markdown_demo)
    context.set_default_timeout(5000)
    try:
        page = context.new_page()
        page.goto("/t/2")
        page.wait_for_selector(".fg-editor[data-fg-ready='true']", state="attached")
        page.click("textarea#content")
        sent = type_checked(page, "what the **fu**ck")
        page.wait_for_selector("#content-notice [data-fg-server-notice]")
        assert sent["markup"] == "markdown"
        assert page.query_selector(".fg-preview--live:not([hidden]) mark") is not None
    finally:
        context.close()
