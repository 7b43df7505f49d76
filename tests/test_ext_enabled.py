"""``FORUM_GUARD_ENABLED = False``: the same demo app with the filter off (what the load benchmark
compares against). No rule is checked: a guarded reply is saved, sanitized (a forum never stores
posted HTML unsanitized, filter or not), the live check answers allow, and the default (on) still
blocks."""

from __future__ import annotations

from pathlib import Path

from conftest import close_app, csrf_token, demo_config
from sqlalchemy import select

from forum_guard.demo import create_app
from forum_guard.demo.models import Post, db
from forum_guard.web import DEFAULTS, ConfigKeys, check

OFFENDING = "<p>what the fuck is this</p>"


def test_the_key_is_documented_and_on_by_default() -> None:
    assert ConfigKeys.ENABLED == "FORUM_GUARD_ENABLED"
    assert DEFAULTS[ConfigKeys.ENABLED] is True


def test_on_by_default_the_reply_is_blocked(tmp_path: Path) -> None:
    app = create_app(demo_config(tmp_path))
    try:
        client = app.test_client()
        token = csrf_token(client, "/t/1")
        r = client.post("/t/1/reply", data={"csrf_token": token, "content": OFFENDING})
        assert r.status_code == 422
        r = client.post("/forum-guard/check", json={"content": OFFENDING, "html": True},
                        headers={"X-CSRFToken": token})
        assert r.get_json()["action"] == "block"
    finally:
        close_app(app)


def test_off_nothing_is_checked(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    app = create_app(demo_config(tmp_path, FORUM_GUARD_ENABLED=False))
    try:
        state = app.extensions["forum_guard"]

        def no_guard() -> None:
            raise AssertionError("the ruleset was consulted with FORUM_GUARD_ENABLED = False")

        monkeypatch.setattr(state.source, "current", no_guard)
        client = app.test_client()
        token = csrf_token(client, "/t/1")

        # the live check answers allow, in the usual JSON shape
        r = client.post("/forum-guard/check", json={"content": OFFENDING, "html": True},
                        headers={"X-CSRFToken": token})
        assert r.status_code == 200
        data = r.get_json()
        assert data["action"] == "allow" and data["matches"] == [] and data["blocked"] is False

        # the middleware lets the reply through, with its words unchanged and its HTML sanitized
        draft = OFFENDING + '<script>x()</script><img src="data:image/png;base64,AAAA"><p onclick="y()">ok</p>'
        r = client.post("/t/1/reply", data={"csrf_token": token, "content": draft})
        assert r.status_code == 302
        with app.app_context():
            saved = db().scalars(select(Post.content).order_by(Post.id.desc()).limit(1)).one()
        assert saved == OFFENDING + "<p>ok</p>"
        page = client.get("/t/1?page=last").get_data(as_text=True)
        assert "what the fuck is this" in page and "x()" not in page and "onclick" not in page

        # CSRF is still the host's business and still enforced
        assert client.post("/t/1/reply", data={"content": "hello"}).status_code == 400

        # the explicit API answers allow as well
        with app.test_request_context("/"):
            verdict = check(OFFENDING, html=True, group="guest")
        assert verdict.action.value == "allow" and verdict.sanitized == OFFENDING and not verdict.matches
        assert str(verdict.highlighted_html) == OFFENDING
        with app.test_request_context("/"):
            verdict = check("<b>fuck</b><script>x()</script>", html=True)
            typed = check("<b>fuck</b> *a*", markup="markdown")
        assert verdict.sanitized == "<b>fuck</b>" and str(verdict.censored_html) == "<b>fuck</b>"
        assert typed.sanitized == "<b>fuck</b> *a*" and str(typed.highlighted_html) == "&lt;b&gt;fuck&lt;/b&gt; *a*"
    finally:
        close_app(app)
