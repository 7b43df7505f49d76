"""CSRF at the edge goes through flask-wtf, whatever the host did: ``CSRFProtect`` set up before
ForumGuard, after it, or not at all. A guarded post without a token is refused before any check
(never a 500); the live check, the drafts endpoint and the admin pages always need a token; on
HTTPS flask-wtf's same-origin referrer check holds too."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import CSRF_META, close_app, write_wordlists
from flask import Flask, render_template_string, request
from flask.testing import FlaskClient
from flask_wtf import CSRFProtect

from forum_guard import signals
from forum_guard.web import ForumGuard
from forum_guard.web.admin import init_admin

ORDERS = ["csrfprotect first", "forumguard first", "no csrfprotect"]
HOST = "forum.example"
PAGE = '<!doctype html><head>{% include "forum_guard/_head.html" %}</head><body>ok</body>'


def make_host(tmp_path: Path, order: str) -> tuple[Flask, list[str]]:
    """A host with one guarded endpoint, server drafts and the admin pages, set up in ``order``."""
    app = Flask(__name__, instance_path=str(tmp_path / "instance"))
    app.config.update(SECRET_KEY="test", FORUM_GUARD_WORDLISTS=str(write_wordlists(tmp_path / "lists")),
                      FORUM_GUARD_DATABASE_URL=f"sqlite:///{tmp_path}/fg.sqlite",
                      FORUM_GUARD_PROTECT={"reply": ["content"]})
    if order == "csrfprotect first":
        CSRFProtect(app)
    guard = ForumGuard(app)
    if order == "forumguard first":
        CSRFProtect(app)
    init_admin(app)
    saved: list[str] = []
    drafts: dict[str, str | None] = {}
    guard.group_loader(lambda: request.headers.get("X-Group"))
    guard.actor_loader(lambda: request.headers.get("X-User"))
    guard.draft_loader(drafts.get)
    guard.draft_saver(drafts.__setitem__)

    @app.get("/form")
    def form() -> str:
        return render_template_string(PAGE)

    @app.post("/reply")
    def reply() -> Any:
        saved.append(request.form["content"])
        return "saved", 201

    return app, saved


@pytest.fixture(params=ORDERS)
def order(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def forum(tmp_path: Path, order: str) -> Iterator[tuple[Flask, list[str]]]:
    app, saved = make_host(tmp_path, order)
    yield app, saved
    close_app(app)


def token_of(client: FlaskClient, **kwargs: Any) -> str:
    match = CSRF_META.search(client.get("/form", **kwargs).get_data(as_text=True))
    assert match
    return match.group(1)


#: the extension's own state-changing endpoints, and one admin page
ENDPOINTS = [
    ("/forum-guard/check", {"json": {"content": "hello"}}),
    ("/forum-guard/draft", {"json": {"key": "reply", "content": "my draft"}}),
    ("/forum-guard/admin/test", {"data": {"text": "hello", "group": "member"}}),
]
MODERATOR = {"X-Group": "moderator", "X-User": "mia"}


@pytest.mark.parametrize(("path", "body"), ENDPOINTS)
def test_the_extensions_endpoints_always_need_a_token(forum: tuple[Flask, list[str]], path: str,
                                                      body: dict[str, Any]) -> None:
    app, _ = forum
    client = app.test_client()
    for headers in (MODERATOR, {**MODERATOR, "X-CSRFToken": "forged"}):
        r = client.post(path, headers=headers, **body)
        assert r.status_code == 400, (path, headers)
        assert (r.is_json and r.get_json()["error"] == "csrf") or b"CSRF" in r.data
    token = token_of(client)
    r = client.post(path, headers={**MODERATOR, "X-CSRFToken": token}, **body)
    assert r.status_code == 200, r.get_data(as_text=True)


@pytest.mark.parametrize("order", ["csrfprotect first", "forumguard first"])
def test_a_guarded_post_without_a_token_is_refused_before_any_check(forum: tuple[Flask, list[str]]) -> None:
    app, saved = forum
    client = app.test_client()
    with signals.draft_checked.connected_to(lambda sender, **kw: checked.append(kw), sender=app):
        checked: list[Any] = []
        for data in ({"content": "fuck"}, {"content": "fuck", "csrf_token": "forged"}):
            r = client.post("/reply", data=data)
            assert r.status_code == 400 and b"CSRF" in r.data
        assert checked == [] and saved == []
        token = token_of(client)
        assert client.post("/reply", data={"content": "fuck", "csrf_token": token}).status_code == 422
        assert client.post("/reply", data={"content": "a kind word", "csrf_token": token}).status_code == 201
        assert len(checked) == 2 and saved == ["a kind word"]


@pytest.mark.parametrize("order", ["no csrfprotect"])
def test_without_csrfprotect_the_hosts_own_posts_are_its_business(forum: tuple[Flask, list[str]]) -> None:
    """The extension protects its own endpoints; it does not impose CSRF on a host that has none."""
    app, saved = forum
    client = app.test_client()
    assert "csrf" not in app.extensions
    assert client.post("/reply", data={"content": "fuck"}).status_code == 422  # checked, not refused
    assert client.post("/reply", data={"content": "hello"}).status_code == 201 and saved == ["hello"]


def test_on_https_the_referrer_must_be_this_site(forum: tuple[Flask, list[str]], order: str) -> None:
    app, saved = forum
    client = app.test_client()
    base = f"https://{HOST}"
    token = token_of(client, base_url=base)
    posts: list[tuple[str, dict[str, Any]]] = [(path, body) for path, body in ENDPOINTS]
    if order != "no csrfprotect":
        posts.append(("/reply", {"data": {"content": "hello", "csrf_token": token}}))
    for path, body in posts:
        headers = {**MODERATOR, "X-CSRFToken": token}
        for referrer, expected in ((None, 400), ("https://evil.example/form", 400), (f"http://{HOST}/form", 400),
                                   (f"{base}/form", None)):
            sent = dict(headers, Referer=referrer) if referrer else headers
            r = client.post(path, base_url=base, headers=sent, **body)
            if expected is None:
                assert r.status_code in (200, 201), (path, referrer, r.get_data(as_text=True))
            else:
                assert r.status_code == expected, (path, referrer)
                assert b"referrer" in r.data, (path, referrer)
    assert saved == (["hello"] if order != "no csrfprotect" else [])


def test_csrf_off_for_tests_turns_every_check_off(tmp_path: Path) -> None:
    app, _ = make_host(tmp_path, "no csrfprotect")
    app.config["WTF_CSRF_ENABLED"] = False
    try:
        client = app.test_client()
        assert client.post("/forum-guard/check", json={"content": "hello"}).status_code == 200
        assert client.post("/forum-guard/admin/test", data={"text": "hi", "group": "member"},
                           headers=MODERATOR).status_code == 200
    finally:
        close_app(app)


def test_an_app_without_a_secret_key_says_so_instead_of_failing(tmp_path: Path) -> None:
    """flask-wtf cannot make or check a token without a secret key (a RuntimeError: a 500)."""
    app, saved = make_host(tmp_path, "no csrfprotect")
    app.config["SECRET_KEY"] = None
    try:
        client = app.test_client()
        page = client.get("/form")
        assert page.status_code == 200 and '<meta name="csrf-token" content="">' in page.get_data(as_text=True)
        assert client.post("/reply", data={"content": "fuck"}).status_code == 422  # the blocked page renders
        assert client.post("/reply", data={"content": "hello"}).status_code == 201 and saved == ["hello"]
        r = client.post("/forum-guard/check", json={"content": "hello"})
        assert r.status_code == 400 and "SECRET_KEY" in r.get_json()["message"]
        r = client.get("/forum-guard/admin/lists", headers=MODERATOR)
        assert r.status_code == 503 and b"SECRET_KEY" in r.data
    finally:
        close_app(app)
