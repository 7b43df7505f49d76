"""``POST /forum-guard/embed``: the preview card of a pasted link, built on the server (the host's
resolver for its own topics, host and path for anything else; nothing fetched)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import close_app, write_wordlists
from flask import Flask
from flask.testing import FlaskClient

from forum_guard.web import ForumGuard
from forum_guard.web.embed import MAX_URL, EmbedCard

EMBED = "/forum-guard/embed"


def make_app(tmp_path: Path, resolver: Any = None) -> Flask:
    app = Flask(__name__, instance_path=str(tmp_path / "instance"))
    app.config.update(TESTING=True, SECRET_KEY="test", FORUM_GUARD_WORDLISTS=str(write_wordlists(tmp_path / "l")),
                      FORUM_GUARD_USE_STORE=False, FORUM_GUARD_LIVE_CHECK_RATE=None,
                      FORUM_GUARD_EMBED_RESOLVER=resolver)
    ForumGuard(app)
    return app


@pytest.fixture
def app(tmp_path: Path) -> Any:
    def resolve(url: str) -> EmbedCard | dict[str, Any] | None:
        if url.endswith("/t/1"):
            return {"kind": "topic", "title": "A  title\nover lines", "excerpt": "x" * 1000, "author": "Ann"}
        if url.endswith("/boom"):
            raise RuntimeError("the host's bug")
        return None

    app = make_app(tmp_path, resolve)
    yield app
    close_app(app)


def token(client: FlaskClient) -> str:
    import re

    from flask import render_template_string

    app = client.application
    app.add_url_rule("/token", "token", lambda: render_template_string("{{ forum_guard_csrf_token() }}"))
    html = client.get("/token").get_data(as_text=True)
    return re.sub(r"\s", "", html)


def test_cards(app: Flask) -> None:
    client = app.test_client()
    headers = {"X-CSRFToken": token(client)}
    own = client.post(EMBED, json={"url": "http://forum.example/t/1"}, headers=headers)
    assert own.status_code == 200
    card = own.get_json()
    assert card["kind"] == "topic" and card["title"] == "A title over lines" and card["author"] == "Ann"
    assert card["host"] == "forum.example" and card["path"] == "/t/1" and card["url"] == "http://forum.example/t/1"
    assert len(card["excerpt"]) == 300 and card["excerpt"].endswith("…")
    other = client.post(EMBED, json={"url": "https://example.org/a%20b?q=1"}, headers=headers).get_json()
    assert other == {"url": "https://example.org/a%20b?q=1", "host": "example.org", "path": "/a b?q=1",
                     "kind": "link", "title": None, "excerpt": None, "author": None}
    # a resolver that fails gives the plain card, never a 500
    broken = client.post(EMBED, json={"url": "https://forum.example/boom"}, headers=headers)
    assert broken.status_code == 200 and broken.get_json()["kind"] == "link"


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,x", "ftp://x.org/", "https://", "",
                                 None, 3, "https://x.org/" + "a" * MAX_URL])
def test_bad_urls_are_refused_with_a_message(app: Flask, url: Any) -> None:
    client = app.test_client()
    r = client.post(EMBED, json={"url": url}, headers={"X-CSRFToken": token(client)})
    assert r.status_code == 422
    assert "url must be" in r.get_json()["message"]


def test_csrf_is_required(app: Flask) -> None:
    r = app.test_client().post(EMBED, json={"url": "https://example.org/"})
    assert r.status_code == 400 and r.get_json()["error"] == "csrf"


def test_no_resolver_gives_host_and_path_cards(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    try:
        client = app.test_client()
        card = client.post(EMBED, json={"url": "https://example.org/x"}, headers={"X-CSRFToken": token(client)})
        assert card.get_json()["path"] == "/x" and card.get_json()["kind"] == "link"
    finally:
        close_app(app)

