"""The host in charge: ``FORUM_GUARD_MODE = "record"`` lets the host's view run its own permission
checks, ask ``guard.verdict_for(field)`` and render the notice into its own form; a ``block_handler``
that returns nothing is an error, never a pass. All on a plain Flask app."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import close_app, write_wordlists
from flask import Flask, abort, render_template_string, request

from forum_guard.ext import ForumGuard, content_to_store
from forum_guard.web.errors import BlockHandlerError

#: The host's own reply form: its own title, its own textarea, forum_guard's notice macro inside it.
HOST_FORM = """{% from "forum_guard/_notice.html" import field_notice %}
<h1>Reply to {{ topic }}</h1>
<form method="post" class="host-form">{{ field_notice("content") }}
<textarea name="content">{{ forum_guard_draft("content") }}</textarea><button>Post</button></form>"""

TOPICS = {1: ("Public talk", False), 2: ("Staff only: moderator pay", True)}


def make_host(tmp_path: Path, **config: Any) -> tuple[Flask, ForumGuard, list[str]]:
    app = Flask(__name__, instance_path=str(tmp_path / "instance"))
    app.config.update(TESTING=True, SECRET_KEY="test", FORUM_GUARD_USE_STORE=False,
                      FORUM_GUARD_WORDLISTS=str(write_wordlists(tmp_path / "lists")),
                      FORUM_GUARD_PROTECT={"reply": {"content": "text"}, "forgetful": {"content": "text"}},
                      FORUM_GUARD_MODE="record")
    app.config.update(config)
    guard = ForumGuard(app)
    saved: list[str] = []

    @app.post("/topic/<int:topic_id>/reply")
    def reply(topic_id: int) -> Any:
        title, staff_only = TOPICS[topic_id]
        if staff_only and request.headers.get("X-Staff") != "yes":
            abort(403)  # the host's own permission check runs before anything is shown
        verdict = guard.verdict_for("content")
        if verdict.blocked:
            return render_template_string(HOST_FORM, topic=title), 422
        saved.append(content_to_store(verdict))
        return "saved", 201

    @app.post("/forgetful")
    def forgetful() -> Any:
        saved.append(request.form["content"])
        return "saved", 201

    @app.post("/unprotected")
    def unprotected() -> Any:
        verdict = guard.verdict_for("content", markup="text")
        return {"action": verdict.action.value, "blocked": verdict.blocked}

    return app, guard, saved


@pytest.fixture
def host(tmp_path: Path) -> Iterator[tuple[Flask, ForumGuard, list[str]]]:
    app, guard, saved = make_host(tmp_path)
    yield app, guard, saved
    close_app(app)


def test_the_hosts_permission_check_runs_before_any_notice(host: Any) -> None:
    app, _guard, saved = host
    r = app.test_client().post("/topic/2/reply", data={"content": "fuck the staff"})
    assert r.status_code == 403
    assert "moderator pay" not in r.get_data(as_text=True)
    assert saved == []


def test_the_view_renders_the_notice_and_draft_into_its_own_form(host: Any) -> None:
    app, _guard, saved = host
    r = app.test_client().post("/topic/1/reply", data={"content": "well fuck <this>"})
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert "<h1>Reply to Public talk</h1>" in page and 'class="host-form"' in page
    assert "terms that we do not allow" in page
    assert '<mark' in page and "fuck</mark>" in page  # the highlighted draft
    assert '<textarea name="content">well fuck &lt;this&gt;</textarea>' in page  # the draft as typed, escaped
    assert saved == []


def test_a_staff_member_is_checked_too_and_an_allowed_post_is_saved(host: Any) -> None:
    app, _guard, saved = host
    client = app.test_client()
    assert client.post("/topic/2/reply", data={"content": "fuck"}, headers={"X-Staff": "yes"}).status_code == 422
    assert client.post("/topic/2/reply", data={"content": "a darn fine post"},
                       headers={"X-Staff": "yes"}).status_code == 201
    assert saved == ["a d**n fine post"]


def test_a_view_that_never_asks_is_a_500_never_a_pass(host: Any, caplog: pytest.LogCaptureFixture) -> None:
    app, _guard, _saved = host
    with caplog.at_level(logging.ERROR, logger="forum_guard"):
        r = app.test_client().post("/forgetful", data={"content": "fuck"})
    assert r.status_code == 500
    assert "could not be handled" in r.get_data(as_text=True)
    assert "without asking verdict_for('content')" in caplog.text and "'forgetful'" in caplog.text
    # an allowed post through the same view is answered as the view says
    assert app.test_client().post("/forgetful", data={"content": "hello"}).status_code == 201


def test_verdict_for_checks_a_field_the_middleware_did_not(host: Any) -> None:
    app, _guard, _saved = host
    client = app.test_client()
    assert client.post("/unprotected", data={"content": "fuck"}).get_json() == {"action": "block", "blocked": True}
    assert client.post("/unprotected", json={"content": "cheap pills"}).get_json()["action"] == "require_approval"
    r = client.post("/unprotected", data={"other": "x"})
    assert r.status_code == 422 and b"&#39;content&#39; is missing" in r.data
    assert client.post("/unprotected", data={"content": ["a", "b"]}).status_code == 422
    assert client.post("/unprotected", json={"content": 5}).status_code == 422


def test_an_unknown_mode_stops_init_app(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="FORUM_GUARD_MODE = 'judge'"):
        make_host(tmp_path, FORUM_GUARD_MODE="judge")


# --- enforce mode: the block handler -------------------------------------------------------------


def enforcing(tmp_path: Path, **config: Any) -> tuple[Flask, ForumGuard, list[str]]:
    app, guard, saved = make_host(tmp_path, FORUM_GUARD_MODE="enforce", **config)

    @guard.block_handler
    def forgot_to_return(verdicts: dict[str, Any]) -> Any:
        render_template_string(HOST_FORM, topic="x")  # renders, then forgets to return it

    return app, guard, saved


def test_a_block_handler_returning_none_raises(tmp_path: Path) -> None:
    app, _guard, saved = enforcing(tmp_path)
    try:
        with pytest.raises(BlockHandlerError, match="forgot_to_return returned None for a blocked post to 'reply'"):
            app.test_client().post("/topic/1/reply", data={"content": "fuck"})
        assert saved == []
    finally:
        close_app(app)


def test_a_block_handler_returning_none_is_a_logged_500(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    app, _guard, saved = enforcing(tmp_path, TESTING=False)
    try:
        with caplog.at_level(logging.ERROR):
            r = app.test_client().post("/topic/1/reply", data={"content": "fuck"})
        assert r.status_code == 500
        assert saved == []
        assert "BlockHandlerError" in caplog.text and "must return a response" in caplog.text
        assert app.test_client().post("/topic/1/reply", data={"content": "fine"}).status_code == 201
        assert saved == ["fine"]
    finally:
        close_app(app)
