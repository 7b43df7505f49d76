"""The admin pages in Debian's chromium: adding a term through its Scunthorpe warning, and approving a
queued post. A small host app of these tests' own, served on 127.0.0.1."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from store_fixtures import make_app, store_of

from browser.conftest import serve
from forum_guard import Guard, signals
from forum_guard.engine.terms import Action, Term, WordList
from forum_guard.store import Store

CHROMIUM = os.environ.get("FORUM_GUARD_CHROMIUM", "/usr/bin/chromium")
A = "/forum-guard/admin"

pytestmark = [pytest.mark.browser, pytest.mark.server]



@pytest.fixture(scope="module")
def admin_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Flask]]:
    tmp = tmp_path_factory.mktemp("admin-live")
    url = f"sqlite:///{tmp}/fg.sqlite"
    store = Store(url)  # the lists exist before the app starts: an empty store would not start
    store.ensure_schema()
    store.create_list("rude")
    store.add_terms("rude", ["zorblax*"])
    store.create_list("spam", action="require_approval")
    store.add_terms("spam", ["cheap pills"])
    store.close()
    app = make_app(url, seed=False)
    with serve(app, "admin-live-server") as url:
        yield url, app


@pytest.fixture(scope="module")
def chromium(browser: Any) -> Any:
    """The session's chromium (tests/browser/conftest.py)."""
    return browser


@pytest.fixture(params=["desktop", "phone"])
def moderator_page(request: pytest.FixtureRequest, chromium: Any, admin_server: tuple[str, Flask]) -> Iterator[Any]:
    base, _ = admin_server
    size = {"desktop": {"width": 1100, "height": 900}, "phone": {"width": 375, "height": 740}}[request.param]
    context = chromium.new_context(base_url=base, viewport=size, java_script_enabled=False)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto("/login/moderator?user=Maria")
    yield page
    context.close()


def test_adding_a_term_goes_through_the_scunthorpe_warning(moderator_page: Any,
                                                           admin_server: tuple[str, Flask]) -> None:
    from playwright.sync_api import expect

    page = moderator_page
    _, app = admin_server
    term = "*ass*" if page.viewport_size["width"] > 500 else "*bass*"
    page.goto(f"{A}/lists")
    page.get_by_role("link", name="rude", exact=True).click()
    page.get_by_label("Terms, one a line").fill(term)
    page.get_by_role("button", name="Check before saving").click()
    warning = page.locator("#scunthorpe-warning")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("Scunthorpe check")
    hits = page.locator(".scunthorpe-hits li").all_inner_texts()
    assert ("class" in hits and "assassin" in hits) if term == "*ass*" else "bassoon" in hits
    assert store_of(app).find_terms(term) == []  # not saved before the moderator confirms
    page.locator("#save-terms").click()
    expect(page.locator(".flash.ok")).to_contain_text("Added 1 term to rude")
    expect(page.locator("table")).to_contain_text(term)
    assert [r.list for r in store_of(app).find_terms(term)] == ["rude"]
    assert store_of(app).audit(action="term.add")[0].actor == "Maria"
    # no horizontal scrolling of the page itself on a phone
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"] + 1


def test_approving_a_queued_post(moderator_page: Any, admin_server: tuple[str, Flask]) -> None:
    from playwright.sync_api import expect

    page = moderator_page
    _, app = admin_server
    store = store_of(app)
    text = "buy cheap pills today"
    verdict = Guard([WordList("spam", terms=(Term("cheap pills"),), action=Action.REQUIRE_APPROVAL)]).check(text)
    qid = store.enqueue(content=text, is_html=False, verdict=verdict, author="eve", group="new", ref=f"post-{text}",
                        reason="require_approval")
    decided: list[dict[str, Any]] = []

    def receive(sender: Any, **kw: Any) -> None:
        decided.append(kw)

    with signals.queue_decided.connected_to(receive, sender=app):
        page.goto(f"{A}/queue")
        item = page.locator(f"#item-{qid}")
        expect(item.locator("mark")).to_have_text("cheap pills")
        item.get_by_role("button", name="Approve").click()
        expect(page.locator(".flash.ok")).to_contain_text(f"Approved post #{qid}")
        expect(page.locator(f"#item-{qid}")).to_have_count(0)
    assert [(d["queue_id"], d["decision"], d["moderator"]) for d in decided] == [(qid, "approved", "Maria")]
    assert store.queue_item(qid).status == "approved"
    page.goto(f"{A}/audit?action=queue")
    expect(page.locator(".audit-entry").first).to_contain_text(re.compile(rf"approved queued post #{qid}"))
