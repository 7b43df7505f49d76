"""The draft is never lost (issue 11, bug 2): not after a blocked submit, a reload of the 422 page's
URL, a network error, a server error or a tab closed while the post was on its way; and it is gone
once the forum has taken the post."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import wait_saved

pytestmark = pytest.mark.browser

SURFACE = ".fg-surface"
RESTORED = ".fg-client-notices [data-fg-notice='restored']"


def open_topic(page: Any, topic_id: int) -> None:
    page.goto(f"/t/{topic_id}")
    page.wait_for_selector(".fg-editor[data-fg-ready='true']")


def write(page: Any, topic_id: int, text: str) -> None:
    open_topic(page, topic_id)
    page.click(SURFACE)
    page.keyboard.type(text)
    page.wait_for_selector(".fg-editor[data-fg-state='checked']")
    wait_saved(page, text)


def submit(page: Any) -> None:
    page.click("button:has-text('Submit Reply')")


def assert_restored(page: Any, topic_id: int, text: str) -> None:
    open_topic(page, topic_id)
    page.wait_for_selector(RESTORED)
    assert page.inner_text(SURFACE).strip() == text


def test_a_blocked_draft_survives_leaving_the_422_page_without_typing(page: Any) -> None:
    write(page, 2, "This is a fucking draft")
    with page.expect_navigation():
        submit(page)
    page.wait_for_selector(".fg-editor[data-fg-ready='true']")
    assert "This is a fucking draft" in page.inner_text(SURFACE)
    page.goto("/")
    assert_restored(page, 2, "This is a fucking draft")


def test_reloading_the_422_url_is_not_a_bare_405_and_keeps_the_draft(page: Any) -> None:
    write(page, 2, "Another fucking draft")
    with page.expect_navigation():
        submit(page)
    assert page.url.split("#")[0].endswith("/t/2/reply")
    page.wait_for_selector(".fg-editor[data-fg-ready='true']")
    response = page.goto(page.url.split("#")[0])  # Enter in the address bar: a GET
    assert response is not None and response.status != 405
    page.wait_for_selector(".fg-editor[data-fg-ready='true']")
    page.wait_for_selector(RESTORED)
    assert page.inner_text(SURFACE).strip() == "Another fucking draft"


def test_a_network_error_keeps_the_draft(page: Any) -> None:
    write(page, 2, "Sent into the void")
    page.route("**/t/2/reply", lambda route: route.abort("internetdisconnected"))
    submit(page)
    page.wait_for_timeout(500)
    page.unroute("**/t/2/reply")
    assert_restored(page, 2, "Sent into the void")


def test_a_server_error_keeps_the_draft(page: Any) -> None:
    write(page, 2, "The server fell over")
    page.route("**/t/2/reply", lambda route: route.fulfill(status=502, body="Bad gateway"))
    with page.expect_navigation():
        submit(page)
    assert "Bad gateway" in page.content()
    page.unroute("**/t/2/reply")
    page.go_back()
    page.wait_for_selector(".fg-editor[data-fg-ready='true']")
    page.reload()
    page.wait_for_selector(RESTORED)
    assert page.inner_text(SURFACE).strip() == "The server fell over"


def test_a_tab_closed_mid_submit_keeps_the_draft(page: Any) -> None:
    write(page, 2, "Closed too soon")
    page.route("**/t/2/reply", lambda route: None)  # the answer never comes
    page.evaluate("() => document.querySelector('form.reply-form').requestSubmit()")
    page.wait_for_timeout(300)
    context = page.context
    page.close()
    other = context.new_page()
    assert_restored(other, 2, "Closed too soon")


def test_a_posted_draft_is_gone(page: Any) -> None:
    write(page, 2, "A kind word")
    with page.expect_navigation():
        submit(page)
    assert "Your reply has been posted." in page.inner_text(".flashes")
    page.wait_for_selector(".fg-editor[data-fg-ready='true']")
    assert page.inner_text(SURFACE).strip() == ""
    page.goto("/")
    open_topic(page, 2)
    page.wait_for_timeout(200)
    assert page.query_selector(RESTORED) is None
    assert page.inner_text(SURFACE).strip() == ""
