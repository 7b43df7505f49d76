"""Queue sync with the host: items found and settled by the host's own post id, the host's post
linked from the queue, and the signals both ways — on a plain Flask app that hides held posts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, abort, request, session
from flask.testing import FlaskClient
from store_fixtures import close_app, csrf_token, make_app, store_of

from forum_guard import signals
from forum_guard.errors import StoreError
from forum_guard.store import Store
from forum_guard.web.extension import ForumGuard

A = "/forum-guard/admin"


def host_app(url: str) -> Flask:
    """A host forum keeping posts in memory: a held post is saved hidden and queued under its id;
    a forum moderator unhiding it settles the queue; the admin's decision unhides it (a signal)."""
    app = make_app(url, seed=False)
    guard: ForumGuard = app.extensions["test_guard"]
    posts: dict[int, dict[str, Any]] = {}
    app.extensions["posts"] = posts

    @guard.post_url_loader
    def post_url(ref: str) -> str | None:
        return f"/post/{ref}" if ref.isdigit() and int(ref) in posts else None

    @app.route("/reply", methods=["POST"])
    def reply() -> Any:
        text = request.form["text"]
        verdict = guard.check(text, group="member")
        if verdict.action.value == "block":
            return "blocked", 422
        post_id = len(posts) + 1
        posts[post_id] = {"text": text, "hidden": verdict.action.value == "require_approval"}
        if verdict.action.queued:
            guard.hold(verdict, text, ref=post_id)
        return str(post_id)

    @app.route("/post/<int:post_id>/<what>", methods=["POST"])
    def moderate(post_id: int, what: str) -> Any:
        if post_id not in posts or what not in ("unhide", "delete"):
            abort(404)
        posts[post_id]["hidden"] = what == "delete"
        settled = guard.settle(post_id, "approve" if what == "unhide" else "reject")
        return {"settled": [item.id for item in settled]}

    def on_decided(sender: Flask, *, ref: str | None, decision: str, **_: Any) -> None:
        if ref is not None and decision == "approved":
            posts[int(ref)]["hidden"] = False

    signals.queue_decided.connect(on_decided, app, weak=False)
    return app


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    url = f"sqlite:///{tmp_path}/fg.sqlite"
    store = Store(url)
    store.ensure_schema()
    store.create_list("spam", action="require_approval", actor="seed")
    store.add_terms("spam", ["cheap pills"], actor="seed")
    store.create_list("rude", actor="seed")
    store.add_terms("rude", ["zorblax"], actor="seed")
    store.close()
    app = host_app(url)
    yield app
    close_app(app)


@pytest.fixture
def member(app: Flask) -> FlaskClient:
    client = app.test_client()
    client.get("/login/member?user=Ann")
    return client


@pytest.fixture
def mod(app: Flask) -> FlaskClient:
    client = app.test_client()
    client.get("/login/moderator?user=Maria")
    return client


def held_post(member: FlaskClient, text: str = "buy cheap pills here") -> int:
    response = member.post("/reply", data={"text": text})
    assert response.status_code == 200
    return int(response.get_data(as_text=True))


@pytest.fixture
def settled(app: Flask) -> Iterator[list[dict[str, Any]]]:
    seen: list[dict[str, Any]] = []

    def record(sender: Flask, **kwargs: Any) -> None:
        seen.append(kwargs)

    signals.queue_settled.connect(record, app)
    yield seen
    signals.queue_settled.disconnect(record, app)


def test_held_post_is_found_by_the_hosts_reference(app: Flask, member: FlaskClient) -> None:
    post_id = held_post(member)
    store = store_of(app)
    [item] = store.queue_by_ref(post_id)
    assert item.ref == str(post_id) and item.pending and item.author == "Ann"
    assert store.queue_by_ref(str(post_id), status="pending") == [item]
    assert store.queue_by_ref(post_id, status="approved") == []
    assert store.queue_by_ref(999) == []


def test_host_unhiding_settles_the_item_and_sends_a_signal(
        app: Flask, member: FlaskClient, mod: FlaskClient, settled: list[dict[str, Any]]) -> None:
    post_id = held_post(member)
    item_id = store_of(app).queue_by_ref(post_id)[0].id
    response = mod.post(f"/post/{post_id}/unhide")
    assert response.json == {"settled": [item_id]}
    item = store_of(app).queue_item(item_id)
    assert item.status == "approved" and item.decided_by == "Maria"
    assert settled == [{"queue_id": item_id, "ref": str(post_id), "decision": "approved", "moderator": "Maria"}]
    [entry] = [e for e in store_of(app).audit(action="queue.approve")]
    assert entry.origin == "host" and entry.actor == "Maria" and entry.detail["ref"] == str(post_id)
    # the queue no longer lists it as pending, and settling again is a no-op without a signal
    assert store_of(app).queue() == []
    assert mod.post(f"/post/{post_id}/unhide").json == {"settled": []}
    assert len(settled) == 1


def test_host_rejecting_settles_as_rejected(app: Flask, member: FlaskClient, mod: FlaskClient,
                                            settled: list[dict[str, Any]]) -> None:
    post_id = held_post(member)
    mod.post(f"/post/{post_id}/delete")
    [item] = store_of(app).queue_by_ref(post_id)
    assert item.status == "rejected"
    assert settled[0]["decision"] == "rejected"


def test_admin_decision_reaches_the_host_and_the_hosts_echo_is_harmless(
        app: Flask, member: FlaskClient, mod: FlaskClient, settled: list[dict[str, Any]]) -> None:
    post_id = held_post(member)
    posts = app.extensions["posts"]
    assert posts[post_id]["hidden"] is True
    item_id = store_of(app).queue_by_ref(post_id)[0].id
    page = mod.get(f"{A}/queue/{item_id}").get_data(as_text=True)
    response = mod.post(f"{A}/queue/{item_id}", data={"csrf_token": csrf_token(page), "approve": "1",
                                                     "content": "buy cheap pills here"})
    assert response.status_code == 302
    assert posts[post_id]["hidden"] is False  # the host's queue_decided handler unhid it
    # the host's own unhide hook running afterwards finds nothing pending: no second decision
    assert mod.post(f"/post/{post_id}/unhide").json == {"settled": []}
    assert settled == []
    assert store_of(app).queue_item(item_id).decided_by == "Maria"


def test_queue_links_to_the_hosts_post(app: Flask, member: FlaskClient, mod: FlaskClient) -> None:
    post_id = held_post(member)
    item_id = store_of(app).queue_by_ref(post_id)[0].id
    link = f'<a class="fg-post-link" href="/post/{post_id}">post {post_id} in the forum</a>'
    assert link in mod.get(f"{A}/queue").get_data(as_text=True)
    assert link in mod.get(f"{A}/queue/{item_id}").get_data(as_text=True)


def test_queue_without_a_link_for_posts_the_host_cannot_show(app: Flask, mod: FlaskClient) -> None:
    with app.test_request_context():
        from forum_guard.web.checks import hold

        verdict = app.extensions["test_guard"].check("cheap pills", group="member")
        hold(verdict, "cheap pills", ref="gone-42")
    page = mod.get(f"{A}/queue").get_data(as_text=True)
    assert "fg-post-link" not in page and "cheap pills" in page


def test_post_url_is_escaped(app: Flask, member: FlaskClient, mod: FlaskClient) -> None:
    guard: ForumGuard = app.extensions["test_guard"]
    guard.post_url_loader(lambda ref: f'/p?x="><script>{ref}')
    held_post(member)
    page = mod.get(f"{A}/queue").get_data(as_text=True)
    assert "<script>" not in page and "&lt;script&gt;" in page


@pytest.mark.parametrize("decision", ["maybe", "", "APPROVE", None, 1])
def test_bad_decision_is_refused_and_loses_nothing(app: Flask, member: FlaskClient, decision: Any) -> None:
    post_id = held_post(member)
    with app.test_request_context(), pytest.raises(ValueError, match="approve' or 'reject"):
        app.extensions["test_guard"].settle(post_id, decision)
    assert store_of(app).queue_by_ref(post_id)[0].pending


@pytest.mark.parametrize("ref", [None, True, 1.5, "", "x" * 201])
def test_bad_reference_is_refused(app: Flask, ref: Any) -> None:
    with app.test_request_context(), pytest.raises(ValueError, match="post reference"):
        app.extensions["test_guard"].settle(ref, "approve")


def test_settle_accepts_the_stored_status_names_too(app: Flask, member: FlaskClient) -> None:
    post_id = held_post(member)
    with app.test_request_context():
        session["user"] = "Otto"
        [item] = app.extensions["test_guard"].settle(post_id, "rejected", note="spam run")
    assert item.status == "rejected" and item.decided_by == "Otto" and item.note == "spam run"


def test_settle_without_a_store_says_so(tmp_path: Path) -> None:
    from store_fixtures import WORDLISTS

    app = Flask(__name__)
    app.config.update(TESTING=True, SECRET_KEY="x", FORUM_GUARD_WORDLISTS=str(WORDLISTS), FORUM_GUARD_USE_STORE=False)
    guard = ForumGuard(app)
    try:
        with app.test_request_context(), pytest.raises(StoreError, match="needs a store"):
            guard.settle(1, "approve")
    finally:
        ForumGuard.close(app)
