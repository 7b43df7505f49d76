"""The plugin in a real FlaskBB 2.2.0 served on 127.0.0.1, driven in Debian's Chromium: enabled in
FlaskBB's plugin admin, a blocked reply with the notice inside FlaskBB's page and the draft intact,
a held post approved, a moderator exempt only in his forum, a Markdown image refused on submit."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import forum
import pytest
from conftest import Server

pytestmark = pytest.mark.browser

IMAGE = "![chart](data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==)"


@pytest.fixture
def sign_in(browser: Any, server: Server) -> Iterator[Any]:
    contexts: list[Any] = []

    def open_as(username: str) -> Any:
        context = browser.new_context(base_url=server.url)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(20_000)
        page.goto("/auth/login")
        page.fill("input[name=login]", username)
        page.fill("input[name=password]", forum.PASSWORD)
        page.click("input[type=submit], button[type=submit]")
        page.wait_for_url(f"{server.url}/")
        return page

    yield open_as
    for c in contexts:
        c.close()


def write(page: Any, text: str) -> None:
    """Type into FlaskBB's Markdown textarea (forum_guard's editor wraps it and keeps it a textarea)."""
    box = page.locator("textarea#content")
    box.fill(text)


def submit_reply(page: Any) -> None:
    page.locator("form:has(textarea#content) [type=submit]").first.click()
    page.wait_for_load_state("load")


def test_blocked_reply_keeps_the_draft_inside_flaskbbs_page(sign_in: Any) -> None:
    page = sign_in("ann")
    page.goto("/topic/1/post/new")
    draft = "Thanks, you *zorblax*!\n\n> quoted & kept"
    write(page, draft)
    submit_reply(page)
    assert page.locator("#navbarNavDropdown").count() == 1  # FlaskBB's layout around the notice
    notice = page.locator("[data-fg-server-notice]").first
    assert "terms that we do not allow" in notice.inner_text()
    # the highlighted draft: the server's preview, or the live editor's once it has re-checked
    assert page.locator("mark", has_text="zorblax").first.inner_text() == "zorblax"
    assert page.locator("textarea#content").input_value() == draft


def test_blocked_quick_reply_keeps_the_draft(sign_in: Any) -> None:
    page = sign_in("ann")
    page.goto("/topic/1")
    write(page, "quick zorblax reply")
    submit_reply(page)
    assert "Welcome!" in page.title() or page.locator("text=Welcome!").count() > 0
    assert page.locator("textarea#content").input_value() == "quick zorblax reply"
    assert "terms that we do not allow" in page.locator("[data-fg-server-notice]").first.inner_text()


def test_markdown_image_is_refused_on_submit(sign_in: Any) -> None:
    page = sign_in("ann")
    page.goto("/topic/1/post/new")
    draft = f"My chart:\n\n{IMAGE}"
    write(page, draft)
    submit_reply(page)
    assert "cannot paste images" in page.locator("[data-fg-server-notice]").first.inner_text()
    assert page.locator("textarea#content").input_value() == draft


def test_held_post_is_approved_in_the_queue(sign_in: Any) -> None:
    ann = sign_in("ann")
    ann.goto("/topic/1/post/new")
    write(ann, "Get cheap pills from my shop")
    submit_reply(ann)
    guest_view = sign_in("newbie")
    guest_view.goto("/topic/1")
    assert "cheap pills from my shop" not in guest_view.content()  # a hidden post in FlaskBB

    admin = sign_in("admin")
    admin.click("a[href='/forum-guard/admin/queue']")  # FlaskBB's navigation
    item = admin.locator(".queue-item", has_text="cheap pills from my shop")
    assert item.locator("a.fg-post-link").count() == 1  # linked to the post in FlaskBB
    item.locator("button[name=approve]").click()
    admin.wait_for_load_state("load")
    assert admin.locator(".queue-item", has_text="cheap pills from my shop").count() == 0

    guest_view.goto("/topic/1")
    assert "Get cheap pills from my shop" in guest_view.content()


def test_moderator_is_exempt_only_in_his_forum(sign_in: Any) -> None:
    mo = sign_in("mo")
    mo.goto("/topic/1")  # forum "Welcome": mo moderates it
    write(mo, "mod zorblax here")
    mo.wait_for_selector("[data-fg-exempt-notice], .fg-notice--moderator", timeout=20_000)  # the live check
    submit_reply(mo)
    assert mo.locator("[data-fg-server-notice]").count() == 0
    assert "mod zorblax here" in mo.content()

    mo.goto("/topic/2")  # forum "Elsewhere": a member like any other
    write(mo, "mod zorblax there")
    mo.wait_for_selector("text=terms that we do not allow", timeout=20_000)  # the live check says so
    submit_reply(mo)
    assert mo.locator("textarea#content").input_value() == "mod zorblax there"
    assert "terms that we do not allow" in mo.locator("[data-fg-server-notice]").first.inner_text()


def test_enabled_and_disabled_in_flaskbbs_plugin_admin(browser: Any, instance: Any) -> None:
    def post_as_ann(server: Server) -> str:
        context = browser.new_context(base_url=server.url)
        page = context.new_page()
        page.goto("/auth/login")
        page.fill("input[name=login]", "ann")
        page.fill("input[name=password]", forum.PASSWORD)
        page.click("input[type=submit], button[type=submit]")
        page.goto("/topic/1/post/new")
        write(page, "plugin zorblax test")
        submit_reply(page)
        blocked = page.locator("[data-fg-server-notice]").count() > 0
        context.close()
        return "blocked" if blocked else "posted"

    def toggle(server: Server, button: str) -> None:
        context = browser.new_context(base_url=server.url)
        page = context.new_page()
        page.goto("/auth/login")
        page.fill("input[name=login]", "admin")
        page.fill("input[name=password]", forum.PASSWORD)
        page.click("input[type=submit], button[type=submit]")
        page.goto("/admin/plugins")
        row = page.locator(".row", has_text="forum_guard").last
        row.locator("button", has_text=button).click()
        page.wait_for_load_state("load")
        assert "restart" in page.content().lower()
        context.close()

    server = Server(instance)
    try:
        assert post_as_ann(server) == "blocked"  # enabled once installed
        toggle(server, "Disable")
    finally:
        server.stop()
    server = Server(instance)  # FlaskBB: "Please restart FlaskBB now."
    try:
        assert post_as_ann(server) == "posted"
        toggle(server, "Enable")
    finally:
        server.stop()
    server = Server(instance)
    try:
        assert post_as_ann(server) == "blocked"
    finally:
        server.stop()
