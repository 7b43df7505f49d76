"""The markup at the Flask edge: ``FORUM_GUARD_MARKUP``, per-field markup in ``FORUM_GUARD_PROTECT``,
``"markup"`` in the live check (so the editor and the submit agree), the host's renderer hook,
and the demo forum's Markdown mode."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from conftest import close_app, csrf_token, demo_config, write_wordlists
from flask import Flask, jsonify, request

from forum_guard.demo import create_app
from forum_guard.demo.models import Post, db
from forum_guard.engine.draft import MarkupBuilder, RenderedMarkup
from forum_guard.web import ForumGuard, current_verdict

LIVE = "/forum-guard/check"


def host(tmp_path: Path, **config: Any) -> tuple[Flask, list[str]]:
    """A host whose reply view stores what the middleware hands it."""
    app = Flask(__name__, instance_path=str(tmp_path / "instance"))
    app.config.update(TESTING=True, SECRET_KEY="test", WTF_CSRF_ENABLED=False,
                      FORUM_GUARD_WORDLISTS=str(write_wordlists(tmp_path / "lists")), FORUM_GUARD_USE_STORE=False,
                      FORUM_GUARD_LIVE_CHECK_RATE=None, FORUM_GUARD_PROTECT={"reply": ["content"]})
    app.config.update(config)
    ForumGuard(app)
    saved: list[str] = []

    @app.post("/reply")
    def reply() -> Any:
        saved.append(request.form["content"])
        verdict = current_verdict("content")
        return jsonify(action=verdict.action.value if verdict else None, markup=verdict.markup if verdict else None)

    return app, saved


def live(app: Flask, **body: Any) -> Any:
    return app.test_client().post(LIVE, json=body, headers={"X-CSRFToken": _token(app)})


def _token(app: Flask) -> str:
    from flask_wtf.csrf import generate_csrf

    with app.test_request_context():
        token = generate_csrf()
        return str(token)


@pytest.fixture
def markdown_host(tmp_path: Path) -> Any:
    app, saved = host(tmp_path, FORUM_GUARD_MARKUP="markdown")
    yield app, saved
    close_app(app)


def test_markdown_post_is_handed_to_the_view_byte_for_byte(markdown_host: Any) -> None:
    app, saved = markdown_host
    source = "> a quote\n\na < b && c <https://example.org>\n\n    code\n"
    r = app.test_client().post("/reply", data={"content": source})
    assert r.status_code == 200 and r.get_json() == {"action": "allow", "markup": "markdown"}
    assert saved == [source]


def test_markdown_post_blocked_through_markup(markdown_host: Any) -> None:
    app, saved = markdown_host
    r = app.test_client().post("/reply", data={"content": "**fu**ck off"})
    assert r.status_code == 422 and saved == []
    assert "**fu**ck off" in r.get_data(as_text=True)  # the draft comes back as typed


def test_markdown_post_censored_in_markdown(markdown_host: Any) -> None:
    app, saved = markdown_host
    r = app.test_client().post("/reply", data={"content": "**darn** it"})
    assert r.get_json()["action"] == "censor"
    assert saved == ["**d\\*\\*n** it"]  # the list's own replacement, d**n, escaped


def test_live_check_takes_markup(markdown_host: Any) -> None:
    app, _ = markdown_host
    data = live(app, content="**fu**ck").get_json()
    assert data["action"] == "block" and data["markup"] == "markdown"
    assert data["highlighted_html"].count("<mark") == 2  # "fu" and "ck", around the **
    assert live(app, content="**fu**ck", markup="text").get_json()["action"] == "allow"
    as_html = live(app, content="<p>fu<b>ck</b></p>", html=True).get_json()
    assert as_html["action"] == "block" and as_html["markup"] == "html"


@pytest.mark.parametrize("body", [{"content": "x", "markup": "wiki"}, {"content": "x", "markup": 3}])
def test_live_check_refuses_an_unknown_markup(markdown_host: Any, body: dict[str, Any]) -> None:
    app, _ = markdown_host
    r = live(app, **body)
    assert r.status_code == 422 and "markup" in r.get_json()["message"]


def test_protect_names_a_markup_per_field(tmp_path: Path) -> None:
    app, saved = host(tmp_path, FORUM_GUARD_PROTECT={"reply": {"content": "bbcode"}})
    try:
        assert app.test_client().post("/reply", data={"content": "[b]fu[/b]ck"}).status_code == 422
        r = app.test_client().post("/reply", data={"content": "[quote]a < b[/quote]"})
        assert r.get_json() == {"action": "allow", "markup": "bbcode"} and saved == ["[quote]a < b[/quote]"]
    finally:
        close_app(app)


@pytest.mark.parametrize(("config", "message"), [
    ({"FORUM_GUARD_MARKUP": "wiki"}, "FORUM_GUARD_MARKUP = unknown markup 'wiki'"),
    ({"FORUM_GUARD_MARKUP": "markdown", "FORUM_GUARD_MARKUP_RENDERER": "not callable"}, "must be a callable"),
    ({"FORUM_GUARD_MARKUP": "html", "FORUM_GUARD_MARKUP_RENDERER": lambda s: None}, "always sanitized"),
    ({"FORUM_GUARD_PROTECT": {"reply": {"content": "wiki"}}}, "unknown markup 'wiki'"),
])
def test_bad_markup_settings_fail_at_start_up(tmp_path: Path, config: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        host(tmp_path, **config)


def test_host_renderer_reads_submit_and_live_check(tmp_path: Path) -> None:
    calls: list[str] = []

    def renderer(source: str) -> RenderedMarkup:
        calls.append(source)
        b = MarkupBuilder()
        for m in re.finditer(r"[^~]+", source):  # "~" is this host's invisible joiner
            b.text(m.group(), m.start(), m.end())
        return b.build()

    app, _ = host(tmp_path, FORUM_GUARD_MARKUP="text", FORUM_GUARD_MARKUP_RENDERER=renderer)
    try:
        assert app.test_client().post("/reply", data={"content": "fu~ck"}).status_code == 422
        assert live(app, content="fu~ck").get_json()["action"] == "block"
        assert live(app, content="fu~ck", markup="markdown").get_json()["action"] == "allow"  # built-in reader
        assert calls == ["fu~ck", "fu~ck"]
    finally:
        close_app(app)


# --- the demo forum's Markdown mode -------------------------------------------------------------


@pytest.fixture
def markdown_demo(tmp_path: Path) -> Any:
    app = create_app(demo_config(tmp_path, DEMO_MARKUP="markdown", FORUM_GUARD_LIVE_CHECK_RATE=None))
    yield app
    close_app(app)


def test_demo_markdown_mode_stores_and_renders_markdown(markdown_demo: Flask) -> None:
    client = markdown_demo.test_client()
    token = csrf_token(client, "/t/1")
    source = "> a quote\n\n**bold** a < b <https://example.org> <script>alert(1)</script>"
    r = client.post("/t/1/reply", data={"csrf_token": token, "content": source, "guest_name": "Md"})
    assert r.status_code == 302
    with markdown_demo.app_context():
        post = db().query(Post).order_by(Post.id.desc()).first()
        assert post is not None and post.content == source
    page = markdown_demo.test_client().get("/t/1").get_data(as_text=True)
    assert "<blockquote>" in page and "<strong>bold</strong>" in page
    assert "<script>alert(1)</script>" not in page  # the rendering is sanitized
    assert 'data-fg-html="false"' in page  # a plain textarea for Markdown


def test_demo_markdown_mode_blocks_a_markdown_image(markdown_demo: Flask) -> None:
    client = markdown_demo.test_client()
    token = csrf_token(client, "/t/1")
    r = client.post("/t/1/reply", data={"csrf_token": token, "content": "![x](data:image/png;base64,AAAA)"})
    assert r.status_code == 422
    data = client.post(LIVE, json={"content": "![x](data:image/png;base64,AAAA)", "markup": "markdown"},
                       headers={"X-CSRFToken": token}).get_json()
    assert data["action"] == "block"


def test_cli_check_takes_markup() -> None:
    import json

    from click.testing import CliRunner

    from forum_guard.cli import main

    runner = CliRunner()
    r = runner.invoke(main, ["check", "--json", "--markup", "markdown", "**fu**ck"])
    data = json.loads(r.stdout)
    assert data["action"] == "block" and data["markup"] == "markdown"
    assert json.loads(runner.invoke(main, ["check", "--json", "a < b"]).stdout)["markup"] == "text"  # the default
    lines = '{"text": "[b]fu[/b]ck", "markup": "bbcode"}\n{"text": "x", "markup": "wiki"}\n'
    r = runner.invoke(main, ["check", "--jsonl"], input=lines)
    first, second = (json.loads(line) for line in r.stdout.splitlines())
    assert first["action"] == "block" and first["markup"] == "bbcode"
    assert "unknown markup 'wiki'" in second["error"] and r.exit_code == 1
