"""The admin blueprint through Flask's test client: every page, CSRF, access, the queue and the log."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from store_fixtures import close_app, csrf_token, make_app, store_of

from forum_guard import Guard, signals
from forum_guard.engine.terms import Action, Term, WordList
from forum_guard.store import Store
from forum_guard.web.admin import recent_posts_loader

A = "/forum-guard/admin"


@pytest.fixture
def admin_app(tmp_path: Path) -> Iterator[Flask]:
    url = f"sqlite:///{tmp_path}/fg.sqlite"
    store = Store(url)  # the lists exist before the app starts: an empty store would not start
    store.ensure_schema()
    store.create_list("rude", actor="seed")
    store.add_terms("rude", ["zorblax*", "!zorblaxian", "ass"], actor="seed")
    store.create_list("spam", action="require_approval", actor="seed")
    store.add_terms("spam", ["cheap pills"], actor="seed")
    store.close()
    app = make_app(url, seed=False)
    yield app
    close_app(app)


@pytest.fixture
def store(admin_app: Flask) -> Store:
    return store_of(admin_app)


@pytest.fixture
def mod(admin_app: Flask) -> FlaskClient:
    client = admin_app.test_client()
    client.get("/login/moderator?user=Maria")
    return client


def token(client: FlaskClient, path: str = f"{A}/lists") -> str:
    return csrf_token(client.get(path).get_data(as_text=True))


def text(response: Any) -> str:
    return response.get_data(as_text=True)


def badge(action: Action) -> str:
    """An action as the admin pages show it: its own label, in its own colour."""
    return f'<span class="badge c-{action.colour}" data-action="{action.value}">{action.label}</span>'


def enqueue(store: Store, content: str, *, reason: str = "require_approval", ref: str = "p1",
            html: bool = False) -> int:
    lists = [WordList("spam", terms=(Term("cheap pills"),), action=Action.REQUIRE_APPROVAL),
             WordList("watch", terms=(Term("crypto"),), action=Action.FLAG)]
    verdict = Guard(lists).check(content, html=html)
    return store.enqueue(content=content, is_html=html, verdict=verdict, author="eve", group="new", ref=ref,
                         reason=reason)


PAGES = ["/", "/lists", "/lists/rude", "/lists/rude/settings", "/lists/rude/delete", "/test", "/limits", "/queue",
         "/audit"]
POSTS = ["/lists", "/lists/rude/terms", "/lists/rude/settings", "/lists/rude/delete", "/test", "/limits",
         "/terms/1/edit", "/terms/1/delete", "/queue/1"]


# --- access -----------------------------------------------------------------------------------


@pytest.mark.parametrize("who", [None, "guest", "new", "member"])
def test_everyone_but_moderators_is_denied(admin_app: Flask, who: str | None) -> None:
    client = admin_app.test_client()
    if who:
        client.get(f"/login/{who}")
    for page in PAGES:
        assert client.get(A + page).status_code == 403, page
    for page in POSTS:
        assert client.post(A + page, data={"name": "x"}).status_code == 403, page


def test_moderators_get_every_page(mod: FlaskClient, store: Store) -> None:
    enqueue(store, "cheap pills here")
    for page in [*PAGES, "/queue/1", "/terms/1/edit"]:
        r = mod.get(A + page)
        assert r.status_code == (302 if page == "/" else 200), page
        if r.status_code == 200:
            assert '<meta name="viewport"' in text(r) and "<script" not in text(r)


def test_the_host_decides_who_moderates(admin_app: Flask) -> None:
    guard = admin_app.extensions["test_guard"]
    client = admin_app.test_client()
    client.get("/login/member?user=trusted")
    assert client.get(f"{A}/lists").status_code == 403
    from flask import session

    guard.moderator_loader(lambda: session.get("user") == "trusted")
    assert client.get(f"{A}/lists").status_code == 200
    client.get("/login/moderator?user=someone")
    assert client.get(f"{A}/lists").status_code == 403


def test_no_forum_guard_means_no_access(tmp_path: Path) -> None:
    from forum_guard.web.admin import init_admin

    app = Flask(__name__)
    app.config["SECRET_KEY"] = "x"
    init_admin(app)
    assert app.test_client().get(f"{A}/lists").status_code == 403


def test_without_a_store_the_pages_say_so(tmp_path: Path) -> None:
    from flask import session

    from forum_guard.web import ForumGuard
    from forum_guard.web.admin import init_admin

    app = Flask(__name__)
    app.config.update(SECRET_KEY="x", FORUM_GUARD_USE_STORE=False,
                      FORUM_GUARD_WORDLISTS=str(Path(__file__).resolve().parent.parent / "wordlists"))
    guard = ForumGuard(app)
    guard.group_loader(lambda: session.get("group"))
    init_admin(app, url_prefix="/mod")

    @app.route("/login")
    def login() -> str:
        session["group"] = "moderator"
        return "ok"

    client = app.test_client()
    client.get("/login")
    r = client.get("/mod/lists")
    assert r.status_code == 503 and b"database store" in r.data


# --- CSRF -------------------------------------------------------------------------------------


@pytest.mark.parametrize("page", POSTS)
def test_every_post_needs_a_csrf_token(mod: FlaskClient, store: Store, page: str) -> None:
    enqueue(store, "cheap pills")
    before = (store.version(), store.count_audit())
    for data in ({"name": "new", "terms": "x1", "confirm": "save", "approve": "Approve"},
                 {"name": "new", "csrf_token": "forged", "terms": "x1", "confirm": "save", "approve": "Approve"}):
        r = mod.post(A + page, data=data)
        assert r.status_code == 400, page
        assert b"CSRF" in r.data
    assert (store.version(), store.count_audit()) == before
    assert store.queue_item(1).pending


def test_a_token_from_another_session_is_refused(admin_app: Flask, mod: FlaskClient) -> None:
    other = admin_app.test_client()
    other.get("/login/moderator")
    stolen = token(other)
    r = mod.post(f"{A}/lists", data={"name": "new", "action": "block", "kind": "terms", "csrf_token": stolen})
    assert r.status_code == 400


# --- lists ------------------------------------------------------------------------------------


def test_lists_page_and_create(mod: FlaskClient, store: Store) -> None:
    page = text(mod.get(f"{A}/lists"))
    assert "rude" in page and "spam" in page and badge(Action.REQUIRE_APPROVAL) in page
    t = token(mod)
    r = mod.post(f"{A}/lists", data={"name": "links", "action": "flag", "kind": "domains", "description": "Bad",
                                     "evasion": "y", "csrf_token": t})
    assert r.status_code == 302 and r.location.endswith(f"{A}/lists/links")
    info = store.list_info("links")
    assert (info.action, info.kind.value, info.description, info.inflections) == (Action.FLAG, "domains", "Bad",
                                                                                 False)
    assert store.audit()[0].actor == "Maria" and store.audit()[0].origin == "admin"
    r = mod.post(f"{A}/lists", data={"name": "links", "action": "flag", "kind": "terms", "csrf_token": t})
    assert r.status_code == 400 and "exists already" in text(r)
    r = mod.post(f"{A}/lists", data={"name": "", "action": "flag", "kind": "terms", "csrf_token": t})
    assert r.status_code == 400


def test_list_settings_rename_and_delete(mod: FlaskClient, store: Store) -> None:
    t = token(mod)
    r = mod.post(f"{A}/lists/spam/settings", data={"name": "junk", "action": "flag", "replacement": "",
                                                   "evasion": "y", "inflections": "y", "description": "Junk",
                                                   "csrf_token": t})
    assert r.status_code == 302
    assert store.list_names() == ["junk", "rude"] and store.list_info("junk").action is Action.FLAG
    page = text(mod.get(f"{A}/lists/junk/delete"))
    assert "Delete the list junk?" in page
    assert mod.post(f"{A}/lists/junk/delete", data={"csrf_token": t}).status_code == 302
    assert store.list_names() == ["rude"]
    assert mod.get(f"{A}/lists/junk").status_code == 404
    assert store.audit(target="junk")[0].action == "list.delete"
    assert store.audit(target="spam")[0].action == "list.update"


# --- terms: the Scunthorpe check and the impact preview --------------------------------------


def test_adding_a_term_shows_the_scunthorpe_check_first(mod: FlaskClient, store: Store) -> None:
    t = token(mod)
    r = mod.post(f"{A}/lists/rude/terms", data={"terms": "*ass*\ncheap pills", "csrf_token": t})
    assert r.status_code == 200
    page = text(r)
    assert 'id="scunthorpe-warning"' in page
    hits = re.findall(r"<li>([a-z]+)</li>", page)
    assert {"class", "assassin", "bass"} <= set(hits)
    assert "Already in: spam" in page
    assert store.count_terms("rude") == 3  # nothing saved yet
    r = mod.post(f"{A}/lists/rude/terms", data={"terms": "*ass*\ncheap pills", "confirm": "save", "csrf_token": t})
    assert r.status_code == 302
    assert {row.term.pattern for row in store.terms("rude")} >= {"*ass*", "cheap pills"}
    follow = text(mod.get(f"{A}/lists/rude"))
    assert "Added 2 terms to rude" in follow
    entry = store.audit(action="term.add")[0]
    assert entry.actor == "Maria" and entry.target == "rude"


def test_a_whole_word_term_only_warns_about_what_the_matcher_hits(mod: FlaskClient) -> None:
    r = mod.post(f"{A}/lists/spam/terms", data={"terms": "glass", "csrf_token": token(mod)})
    page = text(r)
    assert 'id="scunthorpe-ok"' in page and "<li>class</li>" not in page
    r = mod.post(f"{A}/lists/spam/terms", data={"terms": "ass", "csrf_token": token(mod)})
    page = text(r)
    assert "<li>assassin</li>" not in page and "<li>class</li>" not in page and "<li>glass</li>" not in page
    r = mod.post(f"{A}/lists/spam/terms", data={"terms": "*ass", "csrf_token": token(mod)})
    page = text(r)
    assert 'id="scunthorpe-warning"' in page and "<li>class</li>" in page and "<li>glass</li>" in page
    assert "<li>assassin</li>" not in page


def test_invalid_terms_are_refused_with_the_line(mod: FlaskClient, store: Store) -> None:
    r = mod.post(f"{A}/lists/rude/terms", data={"terms": "fine\nf*ck", "csrf_token": token(mod)})
    assert r.status_code == 400 and "line 2" in text(r) and "only allowed at the start or end" in text(r)
    assert store.count_terms("rude") == 3


def test_impact_preview_from_the_hosts_recent_posts(admin_app: Flask, mod: FlaskClient) -> None:
    posts = ["I sell cheap pills", "nice weather", "<p>pills, <b>cheap</b> pills!</p>", "more cheap pills"]
    calls: list[int] = []

    @recent_posts_loader(admin_app)
    def recent(limit: int) -> list[str]:
        calls.append(limit)
        return posts

    r = mod.post(f"{A}/lists/rude/terms", data={"terms": "cheap pills", "csrf_token": token(mod)})
    page = text(r)
    assert calls == [500]
    assert "Of the forum&#39;s last 4 posts, <strong>3</strong> would have been caught." in page
    assert "I sell cheap pills" in page


def test_impact_preview_falls_back_to_the_queue(mod: FlaskClient, store: Store) -> None:
    enqueue(store, "buy cheap pills now")
    enqueue(store, "hello")
    page = text(mod.post(f"{A}/lists/rude/terms", data={"terms": "pills", "csrf_token": token(mod)}))
    assert re.search(r"Of the last 2 posts in the moderation queue, <strong>1</strong>", page)


def test_search_paging_edit_and_delete_terms(admin_app: Flask, mod: FlaskClient, store: Store) -> None:
    admin_app.config["FORUM_GUARD_ADMIN_PAGE_SIZE"] = 5
    store.add_terms("rude", [f"word{i:02d}" for i in range(12)])
    page = text(mod.get(f"{A}/lists/rude?q=word1"))
    assert "word10" in page and "word11" in page and "word02" not in page and "2 terms" in page
    page2 = text(mod.get(f"{A}/lists/rude?page=2"))
    assert "page 2 of 3" in page2
    row = store.terms("rude", search="word05")[0]
    t = token(mod)
    r = mod.post(f"{A}/terms/{row.id}/edit", data={"term": "word05*", "csrf_token": t})
    assert r.status_code == 200 and "Before saving" in text(r) and store.get_term(row.id).term.pattern == "word05"
    r = mod.post(f"{A}/terms/{row.id}/edit", data={"term": "word05*", "confirm": "save", "csrf_token": t})
    assert r.status_code == 302 and store.get_term(row.id).term.pattern == "word05*"
    r = mod.post(f"{A}/terms/{row.id}/edit", data={"term": "word06", "confirm": "save", "csrf_token": t})
    assert r.status_code == 400 and "already" in text(r)
    r = mod.post(f"{A}/terms/{row.id}/delete", data={"csrf_token": t})
    assert r.status_code == 302 and store.count_terms("rude", search="word05") == 0
    assert [e.action for e in store.audit(limit=2)] == ["term.remove", "term.edit"]


def test_a_change_is_live_at_once_in_this_worker(admin_app: Flask, mod: FlaskClient) -> None:
    client = admin_app.test_client()
    assert client.post("/check", data={"text": "a glorp here"}).get_json()["action"] == "allow"
    changed: list[dict[str, Any]] = []

    def on_changed(sender: Any, **kw: Any) -> None:
        changed.append(kw)

    with signals.rules_changed.connected_to(on_changed, sender=admin_app):
        mod.post(f"{A}/lists/rude/terms", data={"terms": "glorp", "confirm": "save", "csrf_token": token(mod)})
    assert changed and changed[0]["actor"] == "Maria" and changed[0]["what"] == "term.add rude"
    import time

    deadline = time.monotonic() + 3
    while client.post("/check", data={"text": "a glorp here"}).get_json()["action"] != "block":
        assert time.monotonic() < deadline
        time.sleep(0.01)


# --- test box ---------------------------------------------------------------------------------


def test_test_box(mod: FlaskClient) -> None:
    r = mod.post(f"{A}/test", data={"text": "you zorblaxer, buy cheap pills", "group": "member",
                                    "csrf_token": token(mod)})
    page = text(r)
    assert r.status_code == 200 and badge(Action.BLOCK) in page
    assert re.search(r"<mark[^>]*>zorblaxer</mark>", page) and re.search(r"<mark[^>]*>cheap pills</mark>", page)
    assert "<td>rude</td><td><code>zorblax*</code></td>" in page
    r = mod.post(f"{A}/test", data={"text": "<p>cheap <b>pills</b> <script>x</script></p>", "html": "y",
                                    "group": "moderator", "csrf_token": token(mod)})
    page = text(r)
    assert "exempt" in page and "<script>x" not in page
    assert mod.post(f"{A}/test", data={"text": "", "csrf_token": token(mod)}).status_code == 400


# --- limits -----------------------------------------------------------------------------------


def test_limits_page(mod: FlaskClient, store: Store) -> None:
    page = text(mod.get(f"{A}/limits"))
    assert 'id="limits-guest"' in page and 'id="limits-messages"' in page
    t = token(mod)
    r = mod.post(f"{A}/limits", data={"section": "new", "new-max_links": "0", "new-max_emoji": "",
                                      "new-max_length": "500", "new-min_length": "2", "new-max_images": "-1",
                                      "new-allow_pasted_images": "y", "csrf_token": t})
    assert r.status_code == 302
    new = store.limits().for_group("new")
    assert (new.max_links, new.max_emoji, new.max_length, new.min_length, new.max_images,
            new.allow_pasted_images, new.exempt) == (0, None, 500, 2, None, True, False)
    assert store.limits().for_group("guest").max_links == 1
    entry = store.audit(action="limits")[0]
    assert entry.target == "groups.new" and entry.actor == "Maria"
    r = mod.post(f"{A}/limits", data={"section": "new", "new-max_links": "-5", "csrf_token": t})
    assert r.status_code == 400
    r = mod.post(f"{A}/limits", data={"section": "messages", "messages-links_none": "No links yet, sorry.",
                                      "csrf_token": t})
    assert r.status_code == 302 and store.limits().messages.links_none == "No links yet, sorry."
    assert mod.post(f"{A}/limits", data={"section": "nope", "csrf_token": t}).status_code == 400


@pytest.mark.parametrize("template", ["Only {limt} links.", "{limit:>200000000}"])
def test_limits_page_refuses_a_notice_that_is_not_a_safe_template(mod: FlaskClient, store: Store,
                                                                   template: str) -> None:
    before = store.limits()
    r = mod.post(f"{A}/limits", data={"section": "messages", "messages-links": template, "csrf_token": token(mod)})
    assert r.status_code == 400 and "Nothing was saved" in text(r) and "message &#39;links&#39;" in text(r)
    assert store.limits() == before and not store.audit(action="limits")


# --- moderation queue -------------------------------------------------------------------------


@pytest.fixture
def decisions(admin_app: Flask) -> Iterator[list[dict[str, Any]]]:
    got: list[dict[str, Any]] = []

    def receive(sender: Any, **kw: Any) -> None:
        got.append({"sender": sender, **kw})

    with signals.queue_decided.connected_to(receive, sender=admin_app):
        yield got


def test_queue_lists_held_and_flagged_posts_highlighted(mod: FlaskClient, store: Store) -> None:
    enqueue(store, "buy cheap pills", ref="p1")
    enqueue(store, "free crypto for all", reason="flag", ref="p2")
    page = text(mod.get(f"{A}/queue"))
    assert f"{Action.REQUIRE_APPROVAL.done} ·" in page and f"{Action.FLAG.done} ·" in page
    assert re.search(r"<mark[^>]*>cheap pills</mark>", page)
    assert "Queue (2)" in page
    assert "crypto" in page and "buy cheap pills" not in text(mod.get(f"{A}/queue?reason=flag"))


def test_approve_reject_and_edit_and_approve(admin_app: Flask, mod: FlaskClient, store: Store,
                                             decisions: list[dict[str, Any]]) -> None:
    a = enqueue(store, "buy cheap pills", ref="p1")
    b = enqueue(store, "cheap pills again", ref="p2")
    c = enqueue(store, "<p>cheap pills <b>today</b></p>", ref="p3", html=True)
    t = token(mod)
    r = mod.post(f"{A}/queue/{a}?next={A}/queue", data={"approve": "Approve", "csrf_token": t})
    assert r.status_code == 302 and r.location.endswith(f"{A}/queue")
    r = mod.post(f"{A}/queue/{b}", data={"reject": "Reject", "note": "spam", "csrf_token": t})
    assert r.status_code == 302
    page = text(mod.get(f"{A}/queue/{c}"))
    assert "<textarea" in page and "&lt;p&gt;cheap pills" in page
    r = mod.post(f"{A}/queue/{c}", data={"approve": "Approve", "content": "<p>pills <b>today</b></p>",
                                          "csrf_token": t})
    assert r.status_code == 302
    assert [(d["queue_id"], d["ref"], d["decision"], d["moderator"]) for d in decisions] == [
        (a, "p1", "approved", "Maria"), (b, "p2", "rejected", "Maria"), (c, "p3", "approved", "Maria")]
    assert decisions[0]["content"] == "buy cheap pills" and decisions[2]["content"] == "<p>pills <b>today</b></p>"
    assert all(d["sender"] is admin_app for d in decisions)
    assert store.queue() == []
    assert store.queue_item(b).note == "spam"
    # deciding twice: the second moderator is told, nothing is sent
    r = mod.post(f"{A}/queue/{a}", data={"reject": "Reject", "csrf_token": t}, follow_redirects=True)
    assert "approved by Maria already" in text(r)
    assert len(decisions) == 3
    decided = text(mod.get(f"{A}/queue?status=approved"))
    assert f"#{a}" in decided and f"#{c}" in decided
    assert [e.action for e in store.audit(action="queue")] == ["queue.approve", "queue.reject", "queue.approve"]


# --- audit log --------------------------------------------------------------------------------


def test_audit_log_filters_and_is_read_only(mod: FlaskClient, store: Store) -> None:
    t = token(mod)
    mod.post(f"{A}/lists/spam/terms", data={"terms": "viagra", "confirm": "save", "csrf_token": t})
    enqueue(store, "cheap pills")
    mod.post(f"{A}/queue/1", data={"reject": "Reject", "csrf_token": t})
    page = text(mod.get(f"{A}/audit"))
    assert page.count('class="audit-entry"') == store.count_audit() == 6
    page = text(mod.get(f"{A}/audit?actor=Maria"))
    assert page.count('class="audit-entry"') == 2 and "added 1 term to spam: viagra" in page
    assert text(mod.get(f"{A}/audit?action=queue")).count('class="audit-entry"') == 1
    assert text(mod.get(f"{A}/audit?list=rude")).count('class="audit-entry"') == 2
    assert text(mod.get(f"{A}/audit?q=viagra")).count('class="audit-entry"') == 1
    assert text(mod.get(f"{A}/audit?since=2000-01-01&until=2000-01-02")).count('class="audit-entry"') == 0
    assert mod.post(f"{A}/audit", data={"csrf_token": t}).status_code == 405
    assert "<form method=\"post\"" not in text(mod.get(f"{A}/audit"))


@pytest.mark.parametrize("query", ["endpoint=x", "_method=x", "_external=1", "_anchor=x", "until=9999-12-31",
                                   "since=0000-01-01", "since=9999-12-31&until=9999-12-31", "page=99999999999999999999",
                                   "page=-1", "page=x"])
def test_audit_log_survives_crafted_query_strings(mod: FlaskClient, store: Store, query: str) -> None:
    """Query names that are url_for's own arguments, dates without a next day and absurd pages are
    ignored: the page renders (and the pager's links carry only the real filters)."""
    t = token(mod)
    mod.post(f"{A}/lists/spam/terms", data={"terms": "viagra", "confirm": "save", "csrf_token": t})
    r = mod.get(f"{A}/audit?{query}&actor=Maria")
    assert r.status_code == 200, (query, r.status_code)
    assert "endpoint=" not in text(r) and "_method=" not in text(r)
