"""The Flask extension on a minimal host app: the three ways to guard a field, what each action does
at the edge, the live-check API, CSRF, the group hook and the moderator bypass."""

from __future__ import annotations

import ast
import html as html_module
import http.client
import inspect
import io
import json
import re
import textwrap
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from conftest import CSRF_META, close_app, write_wordlists
from flask import Flask, g, jsonify, render_template_string, request
from flask_wtf import CSRFProtect, FlaskForm
from wtforms import StringField, TextAreaField

from forum_guard import Guard, signals
from forum_guard import ext as ext_module
from forum_guard.engine.limits import Messages
from forum_guard.engine.sources import DirectorySource
from forum_guard.engine.terms import Action
from forum_guard.ext import (
    EDITOR_MESSAGES,
    ConfigKeys,
    ForumGuard,
    blocked_response,
    content_to_store,
    current_group,
    current_verdict,
    hold,
)
from forum_guard.validators import EmojiLimit, NoBannedTerms

TERMS_NOTICE = ("Unfortunately, your content contains terms that we do not allow. "
                "Please edit your content to remove the highlighted words below.")
EMOJI_NOTICE = "Only 75 emoji are allowed."

PAGE = """<!doctype html><html><head>{% include "forum_guard/_head.html" %}</head><body>
{% from "forum_guard/_editor.html" import editor %}
<form method="post">{{ editor("content", draft) }}</form></body></html>"""


class ReplyForm(FlaskForm):
    title = StringField(validators=[NoBannedTerms(html=False)])
    content = TextAreaField(validators=[NoBannedTerms()])


class EmojiForm(FlaskForm):
    content = TextAreaField(validators=[EmojiLimit(message="Too many emoji!")])


def make_app(tmp_path: Path, *, csrf: bool = False, **config: Any) -> tuple[Flask, ForumGuard, list[dict[str, Any]]]:
    """A host forum in a few lines: one middleware endpoint, one validator form, one explicit call."""
    app = Flask(__name__, instance_path=str(tmp_path / "instance"))
    app.config.update(
        TESTING=True,
        SECRET_KEY="test",
        WTF_CSRF_ENABLED=csrf,
        FORUM_GUARD_WORDLISTS=str(write_wordlists(tmp_path / "lists")),
        FORUM_GUARD_USE_STORE=False,
        FORUM_GUARD_PROTECT={"reply": ["content"], "reply_unheld": ["content"], "titled": {"title": False}},
    )
    app.config.update(config)
    if csrf:
        CSRFProtect(app)
    guard = ForumGuard(app)
    saved: list[dict[str, Any]] = []

    @guard.group_loader
    def group() -> str | None:
        return request.headers.get("X-Group")

    @guard.actor_loader
    def actor() -> str | None:
        return request.headers.get("X-User")

    @app.get("/form")
    def form_page() -> str:
        return render_template_string(PAGE, draft="")

    @app.post("/reply")
    def reply() -> Any:
        verdict = current_verdict("content")
        assert verdict is not None and not verdict.blocked
        # form posts: the middleware rewrote the field to what may be stored; JSON posts: ask for it
        content = content_to_store(verdict) if request.is_json else request.form["content"]
        post = {"content": content, "action": verdict.action.value,
                "status": "pending" if verdict.action is Action.REQUIRE_APPROVAL else "published"}
        saved.append(post)
        if verdict.action in (Action.REQUIRE_APPROVAL, Action.FLAG):
            post["queue_id"] = hold(verdict, post["content"], ref=len(saved))
        return jsonify(post) if request.is_json else ("saved", 201)

    @app.post("/reply-unheld")
    def reply_unheld() -> Any:
        saved.append({"content": request.form["content"]})
        return "saved", 201


    @app.post("/titled")
    def titled() -> Any:
        saved.append({"title": request.form["title"]})
        return "saved", 201

    @app.post("/validated")
    def validated() -> Any:
        form = ReplyForm()
        if not form.validate_on_submit():
            return render_template_string(
                "{% from 'forum_guard/_editor.html' import editor_field %}"
                "<p class=errors>{{ form.content.errors|join('|') }}</p>{{ editor_field(form.content) }}",
                form=form), 422
        saved.append({"content": content_to_store(current_verdict("content"))})  # type: ignore[arg-type]
        return "saved", 201

    @app.post("/emoji")
    def emoji() -> Any:
        form = EmojiForm()
        if not form.validate_on_submit():
            return "|".join(form.content.errors), 422
        return "ok", 200

    @app.post("/explicit")
    def explicit() -> Any:
        form = ReplyForm()
        verdict = guard.check_field(form.content)
        if verdict.blocked:
            return blocked_response(verdict, app.jinja_env.from_string(PAGE), draft=form.content.data)
        saved.append({"content": content_to_store(verdict)})
        return "saved", 201

    return app, guard, saved


@pytest.fixture
def host(tmp_path: Path) -> Iterator[tuple[Flask, ForumGuard, list[dict[str, Any]]]]:
    app, guard, saved = make_app(tmp_path)
    yield app, guard, saved
    close_app(app)


@contextmanager
def captured(signal: Any, app: Flask) -> Iterator[list[dict[str, Any]]]:
    calls: list[dict[str, Any]] = []

    def receiver(sender: Any, **kwargs: Any) -> None:
        calls.append(kwargs)

    with signal.connected_to(receiver, sender=app):
        yield calls


# --- middleware -----------------------------------------------------------------------------


def test_middleware_block_is_422_with_the_draft_intact(host: Any) -> None:
    app, _, saved = host
    draft = '<p>Well <b>fuck</b> this & "that" <script>alert(1)</script></p>'
    with captured(signals.draft_blocked, app) as blocked, captured(signals.draft_checked, app) as checked:
        r = app.test_client().post("/reply", data={"content": draft, "other": "kept"})
    assert r.status_code == 422
    body = r.get_data(as_text=True)
    assert TERMS_NOTICE in body
    assert 'role="status" aria-live="polite"' in body
    assert "<mark" in body and ">fuck</mark>" in body
    # the author's full text, escaped, in the textarea that is posted again; nothing unescaped
    assert ">\n&lt;p&gt;Well &lt;b&gt;fuck&lt;/b&gt; this &amp; &#34;that&#34; &lt;script&gt;alert(1)&lt;/script&gt;&lt;/p&gt;</textarea>" in body
    assert "<script>alert" not in body
    assert '<input type="hidden" name="other" value="kept">' in body
    assert saved == []
    assert len(blocked) == 1 and blocked[0]["content"] == draft and blocked[0]["verdict"].blocked
    assert len(checked) == 1


def test_a_blocked_draft_that_starts_with_line_breaks_keeps_them(host: Any) -> None:
    """HTML drops one newline right after ``<textarea>``: the page writes one of its own first, so
    the author's leading blank lines reach the browser's textarea as typed."""
    app, _, _ = host
    r = app.test_client().post("/reply", data={"content": "\n\nfuck this\n"})
    assert r.status_code == 422
    assert ">\n\n\nfuck this\n</textarea>" in r.get_data(as_text=True)


def test_middleware_block_answers_json_to_json_posts(host: Any) -> None:
    app, _, saved = host
    r = app.test_client().post("/reply", json={"content": "fuck this"})
    assert r.status_code == 422
    data = r.get_json()
    assert data["error"] == "blocked" and data["action"] == "block"
    assert data["messages"] == [TERMS_NOTICE]
    assert "<mark" in data["highlighted_html"]
    assert saved == []


def test_middleware_allow_gives_the_view_sanitized_html(host: Any) -> None:
    app, _, saved = host
    r = app.test_client().post("/reply", data={"content": '<p>Hello <b>there</b><script>alert(1)</script></p>'})
    assert r.status_code == 201
    assert saved[0]["action"] == "allow"
    assert "<script>" not in saved[0]["content"] and "<b>there</b>" in saved[0]["content"]


def test_middleware_require_approval_holds_and_signals(host: Any) -> None:
    app, _, saved = host
    with captured(signals.post_held, app) as held:
        r = app.test_client().post("/reply", json={"content": "<p>cheap pills here</p>"})
    assert r.status_code == 200
    assert r.get_json()["status"] == "pending"
    assert saved[0]["status"] == "pending"
    assert len(held) == 1
    assert held[0]["ref"] == "1" and held[0]["queue_id"] is None
    assert held[0]["verdict"].action is Action.REQUIRE_APPROVAL
    assert "cheap pills" in held[0]["content"]


def test_middleware_flag_saves_and_signals(host: Any) -> None:
    app, _, saved = host
    with captured(signals.post_flagged, app) as flagged, captured(signals.post_held, app) as held:
        r = app.test_client().post("/reply", data={"content": "a crypto giveaway today"})
    assert r.status_code == 201
    assert saved[0]["status"] == "published" and saved[0]["action"] == "flag"
    assert len(flagged) == 1 and held == []


def test_middleware_censor_stores_the_censored_html(host: Any) -> None:
    app, _, saved = host
    r = app.test_client().post("/reply", data={"content": "<p>oh darn it</p>"})
    assert r.status_code == 201
    assert saved[0]["action"] == "censor"
    assert saved[0]["content"] == "<p>oh d**n it</p>"


def test_middleware_plain_text_field(host: Any) -> None:
    app, _, saved = host
    client = app.test_client()
    assert client.post("/titled", data={"title": "a < b darn"}).status_code == 201
    assert saved[0]["title"] == "a < b d**n"  # plain text stays plain text, censored
    r = client.post("/titled", data={"title": "fuck <b>"})
    assert r.status_code == 422
    assert "fuck &lt;b&gt;</textarea>" in r.get_data(as_text=True)


def test_a_held_post_the_view_forgot_is_still_queued(host: Any) -> None:
    app, _, saved = host
    with captured(signals.post_held, app) as held:
        r = app.test_client().post("/reply-unheld", data={"content": "buy followers now"})
    assert r.status_code == 201 and len(saved) == 1
    assert len(held) == 1 and held[0]["ref"] is None


def test_only_submits_send_the_submit_signals(host: Any) -> None:
    app, _, _ = host
    client = app.test_client()
    with captured(signals.draft_checked, app) as checked:
        assert client.get("/form").status_code == 200
        assert client.post("/forum-guard/check", json={"content": "fuck"}).status_code == 200  # live check
    assert checked == []
    with captured(signals.draft_checked, app) as checked:
        assert client.post("/emoji", data={"content": "fine"}).status_code == 200  # a validator
    assert len(checked) == 1


def test_block_handler_renders_the_hosts_form(tmp_path: Path) -> None:
    app, guard, saved = make_app(tmp_path)
    try:
        @guard.block_handler
        def blocked(verdicts: dict[str, Any]) -> Any:
            return f"host form: {sorted(verdicts)} {verdicts['content'].action.value}", 422

        r = app.test_client().post("/reply", data={"content": "fuck"})
        assert r.status_code == 422
        assert r.get_data(as_text=True) == "host form: ['content'] block"
        assert saved == []
    finally:
        close_app(app)


# --- validator and explicit call --------------------------------------------------------------


def test_validator_blocks_with_the_notice_and_keeps_the_draft(host: Any) -> None:
    app, _, saved = host
    with captured(signals.draft_blocked, app) as blocked:
        r = app.test_client().post("/validated", data={"title": "hi", "content": "<p>shitty day</p>"})
    assert r.status_code == 422
    body = r.get_data(as_text=True)
    assert f"<p class=errors>{TERMS_NOTICE}</p>" in body
    assert "&lt;p&gt;shitty day&lt;/p&gt;</textarea>" in body
    assert "<mark" in body
    assert saved == [] and len(blocked) == 1


def test_validator_checks_plain_text_titles(host: Any) -> None:
    app, _, saved = host
    client = app.test_client()
    assert client.post("/validated", data={"title": "FUCK", "content": "ok"}).status_code == 422
    assert client.post("/validated", data={"title": "fine", "content": "<p>oh darn</p>"}).status_code == 201
    assert saved == [{"content": "<p>oh d**n</p>"}]


def test_emoji_validator_only_looks_at_emoji(host: Any) -> None:
    app, _, _ = host
    client = app.test_client()
    assert client.post("/emoji", data={"content": "fuck"}).status_code == 200
    r = client.post("/emoji", data={"content": "🎉" * 80})
    assert r.status_code == 422 and r.get_data(as_text=True) == "Too many emoji!"


def test_explicit_check_field(host: Any) -> None:
    app, _, saved = host
    client = app.test_client()
    r = client.post("/explicit", data={"content": "what the fuck"})
    assert r.status_code == 422
    body = r.get_data(as_text=True)
    assert TERMS_NOTICE in body and ">\nwhat the fuck</textarea>" in body
    assert client.post("/explicit", data={"content": "what the heck"}).status_code == 201
    assert saved == [{"content": "what the heck"}]


def test_check_uses_the_ruleset_and_group_of_the_request(host: Any) -> None:
    app, guard, _ = host
    with app.test_request_context(headers={"X-Group": "member"}):
        assert current_group() == "member"
        verdict = guard.check("fuck", html=False)
        assert verdict.blocked and verdict.group == "member"
    with app.test_request_context():
        assert current_group() == "guest"  # no user: guest
        assert current_verdict() is None


# --- live check API ---------------------------------------------------------------------------


def test_live_check_returns_the_same_verdict_as_submit(host: Any) -> None:
    app, _, _ = host
    draft = "<p>You <i>fuck</i>wit 😀😀</p>"
    r = app.test_client().post("/forum-guard/check", json={"content": draft, "html": True})
    assert r.status_code == 200
    data = r.get_json()
    for key in ("action", "violations", "messages", "emoji_count", "emoji_limit", "highlighted_html", "matches"):
        assert key in data
    direct = Guard.from_directory(app.config[ConfigKeys.WORDLISTS]).check(draft, html=True, group="guest")
    assert data["action"] == direct.action.value == "block"
    assert data["messages"] == list(direct.messages) == [TERMS_NOTICE]
    assert data["highlighted_html"] == str(direct.highlighted_html)
    assert data["matches"] == [m.to_dict() for m in direct.matches]
    assert data["emoji_count"] == 2 and data["emoji_limit"] == 75


def test_live_check_emoji_limit_notice(host: Any) -> None:
    app, _, _ = host
    data = app.test_client().post("/forum-guard/check", json={"content": "🎉" * 80}).get_json()
    assert data["action"] == "block" and EMOJI_NOTICE in data["messages"]
    assert data["emoji_count"] == 80


def test_live_check_accepts_form_posts(host: Any) -> None:
    app, _, _ = host
    data = app.test_client().post("/forum-guard/check", data={"content": "darn", "html": "false"}).get_json()
    assert data["action"] == "censor"


@pytest.mark.parametrize(
    ("kwargs", "status"),
    [
        ({"data": "{not json", "content_type": "application/json"}, 422),
        ({"json": ["a", "list"]}, 422),
        ({"json": {"content": 42}}, 422),
        ({"json": {"content": "x", "html": "yes"}}, 422),
        ({"json": {"content": "x" * 1_100_000}}, 413),
    ],
)
def test_live_check_refuses_malformed_or_huge_requests_with_a_message(host: Any, kwargs: dict[str, Any],
                                                                      status: int) -> None:
    app, _, _ = host
    r = app.test_client().post("/forum-guard/check", **kwargs)
    assert r.status_code == status
    data = r.get_json()
    assert data["message"] and data["error"]


def test_huge_or_malformed_posts_to_guarded_endpoints_are_refused(host: Any) -> None:
    app, _, saved = host
    client = app.test_client()
    r = client.post("/reply", data={"content": "x" * 1_100_000})
    assert r.status_code == 413 and b"too large" in r.data
    r = client.post("/reply", data={"content": ["one", "two"]})
    assert r.status_code == 422 and b"more than once" in r.data
    r = client.post("/reply", json={"content": {"nested": 1}})
    assert r.status_code == 422
    assert saved == []


def chunked(body: bytes) -> dict[str, Any]:
    """Test-client arguments for a body sent without Content-Length, as a server that reads chunked
    encoding hands it over (``wsgi.input_terminated``)."""
    return {"input_stream": io.BytesIO(body), "environ_overrides": {"wsgi.input_terminated": True}}


@pytest.mark.parametrize(("path", "content_type", "make"), [
    ("/reply", "application/x-www-form-urlencoded", lambda n: b"content=" + b"x" * n),
    ("/reply", "application/json", lambda n: b'{"content": "' + b"x" * n + b'"}'),
    ("/forum-guard/check", "application/json", lambda n: b'{"content": "' + b"x" * n + b'"}'),
    ("/forum-guard/check", "application/x-www-form-urlencoded", lambda n: b"content=" + b"x" * n),
])
def test_a_chunked_body_is_counted_as_it_is_read(tmp_path: Path, path: str, content_type: str, make: Any) -> None:
    app, _, saved = make_app(tmp_path, FORUM_GUARD_MAX_REQUEST_BYTES=5_000)
    try:
        client = app.test_client()
        with captured(signals.draft_checked, app) as checked:
            r = client.post(path, content_type=content_type, **chunked(make(6_000)))
        assert r.status_code == 413, r.get_data(as_text=True)
        assert "too large" in r.get_data(as_text=True)
        assert checked == [] and saved == []
        r = client.post(path, content_type=content_type, **chunked(make(100)))
        assert r.status_code in (200, 201)
        assert saved == ([] if path.startswith("/forum-guard") else [{"content": "x" * 100, "action": "allow",
                                                                        "status": "published"}])
    finally:
        close_app(app)


def test_the_hosts_smaller_max_content_length_wins(tmp_path: Path) -> None:
    app, _, saved = make_app(tmp_path, MAX_CONTENT_LENGTH=2_000)
    try:
        client = app.test_client()
        assert client.post("/reply", data={"content": "x" * 3_000}).status_code == 413
        r = client.post("/forum-guard/check", content_type="application/json",
                        **chunked(b'{"content": "' + b"x" * 3_000 + b'"}'))
        assert r.status_code == 413 and r.get_json()["error"] == "request_entity_too_large"
        assert saved == []
    finally:
        close_app(app)


def test_other_endpoints_keep_the_hosts_own_limit(tmp_path: Path) -> None:
    app, _, _ = make_app(tmp_path, FORUM_GUARD_MAX_REQUEST_BYTES=1_000)

    @app.post("/upload")
    def upload() -> str:
        return str(len(request.get_data()))

    try:
        assert app.test_client().post("/upload", data=b"x" * 5_000).get_data(as_text=True) == "5000"
    finally:
        close_app(app)


@pytest.mark.server
def test_a_real_server_refuses_a_chunked_post_past_the_limit(tmp_path: Path) -> None:
    from werkzeug.serving import make_server

    app, _, saved = make_app(tmp_path, FORUM_GUARD_MAX_REQUEST_BYTES=50_000)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        def post(size: int) -> int:
            conn = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=30)
            try:
                def chunks() -> Iterator[bytes]:
                    yield b"content="
                    for _ in range(size // 10_000):
                        yield b"x" * 10_000

                conn.request("POST", "/reply", body=chunks(), encode_chunked=True,
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
                response = conn.getresponse()
                response.read()
                return response.status
            except (BrokenPipeError, ConnectionResetError):  # the server stopped reading: also a refusal
                return 413
            finally:
                conn.close()

        assert post(40_000) == 201
        assert post(200_000) == 413
        assert [len(s["content"]) for s in saved] == [40_000]
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        close_app(app)


def test_draft_over_the_hard_cap_is_refused_not_a_500(tmp_path: Path) -> None:
    app, _, saved = make_app(tmp_path, FORUM_GUARD_MAX_REQUEST_BYTES=10_000_000)
    try:
        client = app.test_client()
        r = client.post("/reply", json={"content": "y " * 150_000})
        assert r.status_code in (413, 422)
        assert r.get_json()["messages"] or r.get_json().get("message")
        r = client.post("/forum-guard/check", json={"content": "y " * 150_000})
        assert r.status_code in (200, 413)
        assert saved == []
    finally:
        close_app(app)


# --- CSRF --------------------------------------------------------------------------------------


@pytest.mark.parametrize("with_csrfprotect", [False, True])
def test_live_check_needs_the_csrf_token(tmp_path: Path, with_csrfprotect: bool) -> None:
    app, _, _ = make_app(tmp_path, csrf=with_csrfprotect, WTF_CSRF_ENABLED=True)
    try:
        client = app.test_client()
        r = client.post("/forum-guard/check", json={"content": "hello"})
        assert r.status_code == 400
        assert r.get_json()["error"] == "csrf"
        page = client.get("/form").get_data(as_text=True)
        match = CSRF_META.search(page)
        assert match
        r = client.post("/forum-guard/check", json={"content": "hello"}, headers={"X-CSRFToken": match.group(1)})
        assert r.status_code == 200 and r.get_json()["action"] == "allow"
        r = client.post("/forum-guard/check", json={"content": "hello"}, headers={"X-CSRFToken": "forged"})
        assert r.status_code == 400
    finally:
        close_app(app)


def test_forged_posts_are_refused_before_any_check(tmp_path: Path) -> None:
    app, _, saved = make_app(tmp_path, csrf=True, WTF_CSRF_ENABLED=True)
    try:
        with captured(signals.draft_checked, app) as checked:
            r = app.test_client().post("/reply", data={"content": "fuck"})
        assert r.status_code == 400
        assert checked == [] and saved == []
    finally:
        close_app(app)


# --- groups and moderators --------------------------------------------------------------------


def test_moderators_bypass_and_are_told_so(host: Any) -> None:
    app, _, saved = host
    client = app.test_client()
    r = client.post("/reply", data={"content": "fuck"}, headers={"X-Group": "moderator"})
    assert r.status_code == 201 and saved[0]["content"] == "fuck"
    data = client.post("/forum-guard/check", json={"content": "fuck"}, headers={"X-Group": "moderator"}).get_json()
    assert data["action"] == "allow" and data["exempt"] is True and data["exempt_action"] == "block"
    assert "You are a moderator" in data["exempt_notice"] and "blocked" in data["exempt_notice"]
    data = client.post("/forum-guard/check", json={"content": "fuck"}, headers={"X-Group": "member"}).get_json()
    assert data["action"] == "block" and "exempt" not in data


def test_moderator_notice_in_the_template(host: Any) -> None:
    app, guard, _ = host
    with app.test_request_context(headers={"X-Group": "moderator"}):
        verdict = guard.check("fuck")
        html = render_template_string("{% from 'forum_guard/_notice.html' import notice %}{{ notice(v) }}", v=verdict)
    assert "You are a moderator" in html and "would be: blocked" in html
    # only the exemption, never "Please edit your content" (issue 11)
    assert "fg-notice--moderator" in html and "data-fg-server-notice" not in html and "fg-notice--error" not in html


def test_group_loader_groups_get_their_limits(host: Any) -> None:
    app, _, _ = host
    client = app.test_client()
    two_links = '<a href="https://a.example/">a</a> <a href="https://b.example/">b</a>'
    guest = client.post("/forum-guard/check", json={"content": two_links}).get_json()
    member = client.post("/forum-guard/check", json={"content": two_links}, headers={"X-Group": "member"}).get_json()
    assert guest["group"] == "guest" and member["group"] == "member"
    assert guest["action"] != "allow" and member["action"] == "allow"


def test_moderator_loader_overrides_the_group(host: Any) -> None:
    app, guard, _ = host
    guard.moderator_loader(lambda: request.headers.get("X-Admin") == "1")
    try:
        with app.test_request_context(headers={"X-Admin": "1", "X-Group": "member"}):
            assert ext_module.is_moderator()
        with app.test_request_context(headers={"X-Group": "moderator"}):
            assert not ext_module.is_moderator()
    finally:
        guard._moderator_loader = None


# --- templates, assets, config ----------------------------------------------------------------


def test_notice_template_in_the_forums_words(host: Any) -> None:
    app, guard, _ = host
    with app.test_request_context():
        verdict = guard.check("<p>fuck " + "😀" * 80 + "</p>")
        g._forum_guard_verdicts = {"content": verdict}
        included = render_template_string('{% include "forum_guard/_notice.html" %}')
    assert TERMS_NOTICE in included and EMOJI_NOTICE in included
    assert 'aria-live="polite"' in included
    assert 'title="profanity: fuck*"' in included  # highlights carry a title, not only a colour


def test_editor_assets_are_served(host: Any) -> None:
    app, _, _ = host
    client = app.test_client()
    js = client.get("/forum-guard/static/forum_guard/editor.js")
    css = client.get("/forum-guard/static/forum_guard/editor.css")
    assert js.status_code == 200 and b"data-forum-guard" in js.data
    assert css.status_code == 200 and b"mark.fg-hit" in css.data
    js.close()
    css.close()
    page = client.get("/form").get_data(as_text=True)
    assert 'data-forum-guard' in page and "editor.js" in page
    config = json.loads(page.split('data-fg-config="')[1].split('"')[0].replace("&#34;", '"'))
    assert config["checkUrl"] == "/forum-guard/check"
    assert config["messages"]["rich_text"] == "Pasted as rich text."
    assert config["messages"]["plain_text_action"] == "Paste as plain text instead"
    assert config["messages"]["link_embedded"] == "Your link has been automatically embedded."
    assert config["messages"]["link_action"] == "Display as a link instead"
    assert config["messages"]["restored"] == "Your previous content has been restored."
    assert config["messages"]["clear_action"] == "Clear editor"
    assert config["messages"]["pasted_image"] == "You cannot paste images directly. Upload or insert images from URL."


def editor_config_of(page: str) -> dict[str, Any]:
    raw = page.split('data-fg-config="')[1].split('"')[0]
    return json.loads(html_module.unescape(raw))  # type: ignore[no-any-return]


def test_the_editors_wording_has_one_source(tmp_path: Path) -> None:
    """EDITOR_MESSAGES, plus the ruleset's own notices (limits.toml, the admin page), under the host's."""
    lists = write_wordlists(tmp_path / "lists")
    (lists / "limits.toml").write_text('[messages]\npasted_image = "No screenshots here, please."\n')
    app, _, _ = make_app(tmp_path, FORUM_GUARD_WORDLISTS=str(lists),
                         FORUM_GUARD_MESSAGES={"bold": "Gras", "preview_label": "Votre brouillon :"})
    try:
        client = app.test_client()
        messages = editor_config_of(client.get("/form").get_data(as_text=True))["messages"]
        assert set(messages) == set(EDITOR_MESSAGES) | {"pasted_image", "moderator"}
        for key, text in EDITOR_MESSAGES.items():
            assert messages[key] == {"bold": "Gras", "preview_label": "Votre brouillon :"}.get(key, text)
        assert messages["pasted_image"] == "No screenshots here, please."
        assert messages["moderator"] == Messages().exempt
        # the templates read the same wording
        r = client.post("/reply", data={"content": "fuck"})
        assert r.status_code == 422 and "Votre brouillon :" in r.get_data(as_text=True)
        assert EDITOR_MESSAGES["preview_label"] not in r.get_data(as_text=True)
    finally:
        close_app(app)


def test_the_editor_and_the_templates_keep_no_copy_of_the_wording() -> None:
    web = resources.files("forum_guard.web")
    js = (web / "static" / "forum_guard" / "editor.js").read_text(encoding="utf-8")
    templates = [(web / "templates" / "forum_guard" / name).read_text(encoding="utf-8")
                 for name in ("_editor.html", "_notice.html", "_head.html", "blocked.html")]
    defaults = Messages()
    for text in [*EDITOR_MESSAGES.values(), defaults.pasted_image, defaults.exempt]:
        for quoted in (f'"{text}"', f"'{text}'", f"`{text}`", f">{text}<"):  # a string literal, or an element's text
            assert quoted not in js, quoted
        assert not any(f">{text}<" in t or f'"{text}"' in t for t in templates), text
    used = set(re.findall(r'this\.t\("(\w+)"', js)) | set(re.findall(r'this\.t\(kind === "image" \? "(\w+)" : "(\w+)"\)', js)[0])
    assert used <= set(EDITOR_MESSAGES) | {"pasted_image", "moderator"}, used - set(EDITOR_MESSAGES)
    assert "innerHTML =" not in js  # the wording is a host's text: it goes in as text, never as markup


def test_the_documented_host_app_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The module docstring of forum_guard.web is a complete host app; run it as written."""
    import forum_guard.web

    doc = forum_guard.web.__doc__ or ""
    code = textwrap.dedent(doc.split("::\n", 1)[1].split("\nAll three share", 1)[0])
    monkeypatch.chdir(tmp_path)  # its instance folder (and store) go here
    namespace: dict[str, Any] = {"__name__": "documented_host"}
    exec(compile(code, "forum_guard.web docstring", "exec"), namespace)
    app: Flask = namespace["app"]
    try:
        client = app.test_client()
        page = client.get("/").get_data(as_text=True)
        token = CSRF_META.search(page).group(1)  # type: ignore[union-attr]
        assert client.post("/reply", data={"content": "hello"}).status_code == 400  # CSRF
        assert client.post("/reply", data={"content": "what the fuck", "csrf_token": token}).status_code == 422
        assert client.post("/reply", data={"content": "hello", "csrf_token": token}).get_data() == b"saved"
        r = client.post("/topic", data={"content": "what the fuck", "csrf_token": token})
        assert r.status_code == 422 and ">\nwhat the fuck</textarea>" in r.get_data(as_text=True)
        assert client.post("/topic", data={"content": "hi", "csrf_token": token}).get_data() == b"saved"
    finally:
        close_app(app)


def test_every_config_key_is_prefixed_documented_and_defaulted() -> None:
    source = inspect.getsource(ConfigKeys)
    tree = ast.parse(source)
    lines = source.splitlines()
    names = [n.targets[0].id for n in tree.body[0].body if isinstance(n, ast.Assign)]  # type: ignore[attr-defined]
    assert len(names) >= 10
    for node in tree.body[0].body:  # type: ignore[attr-defined]
        if isinstance(node, ast.Assign):
            assert lines[node.lineno - 2].strip().startswith("#:"), node.targets[0].id
    for name in names:
        key = getattr(ConfigKeys, name)
        assert key.startswith("FORUM_GUARD_")
        assert key in ext_module.DEFAULTS


def test_constructor_arguments_win_over_config(tmp_path: Path) -> None:
    lists = write_wordlists(tmp_path / "other")
    app = Flask(__name__, instance_path=str(tmp_path / "instance"))
    app.config.update(FORUM_GUARD_USE_STORE=False, FORUM_GUARD_WORDLISTS="/nonexistent",
                      FORUM_GUARD_PROTECT={"x": ["y"]})
    ForumGuard(app, wordlists=lists, protect={"reply": ["content"]})
    state = app.extensions["forum_guard"]
    assert isinstance(state.source, DirectorySource) and state.source.path == lists
    assert state.protect == {"reply": {"content": "html"}}
    assert state.config[ConfigKeys.WORDLISTS] == str(lists)


# --- where the rules come from ----------------------------------------------------------------


def test_files_only_when_the_store_is_off(tmp_path: Path) -> None:
    app, _, _ = make_app(tmp_path, FORUM_GUARD_USE_STORE=False)
    state = app.extensions["forum_guard"]
    assert state.store is None and isinstance(state.source, DirectorySource)
    assert not (tmp_path / "instance").exists()  # no database was made
    assert app.test_client().post("/reply", data={"content": "fuck"}).status_code == 422


def test_the_store_is_used_seeded_and_queued(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/guard.sqlite"
    app, _, _ = make_app(tmp_path, FORUM_GUARD_USE_STORE=True, FORUM_GUARD_DATABASE_URL=url,
                             FORUM_GUARD_RELOAD_SECONDS=0.2)
    try:
        state = app.extensions["forum_guard"]
        assert state.store is not None and type(state.source).__name__ == "StoreSource"
        assert set(state.store.list_names()) >= {"profanity", "spam"}  # seeded from the folder
        client = app.test_client()
        assert client.post("/reply", data={"content": "fuck"}).status_code == 422
        with captured(signals.post_held, app) as held:
            r = client.post("/reply", json={"content": "cheap pills"}, headers={"X-User": "alice"})
        queue_id = r.get_json()["queue_id"]
        assert isinstance(queue_id, int) and held[0]["queue_id"] == queue_id
        item = state.store.queue_item(queue_id)
        assert item.ref == "1" and item.author == "alice" and item.reason == "require_approval"
    finally:
        close_app(app)


def test_hold_refuses_verdicts_that_need_no_moderator(host: Any) -> None:
    app, guard, _ = host
    with app.test_request_context(), pytest.raises(ValueError, match="flag and require_approval"):
        hold(guard.check("hello"), "hello")
