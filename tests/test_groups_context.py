"""Context-aware groups: the group loader learns where a post goes (a forum id, through the live
check's ``context`` field and the host's ``context_loader`` on submit), and any group name the host
defines gets its own limits (limits.toml and the store), else the default group's."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import close_app, write_wordlists
from flask import Flask, request

from forum_guard.engine.limits import Limits
from forum_guard.errors import LimitsError
from forum_guard.ext import ForumGuard, content_to_store, current_verdict
from forum_guard.store import Store

LIMITS_TOML = """
[groups.banned]
extends = "guest"
max_links = 0
[groups.trusted]
max_links = 5
allow_pasted_images = true
[groups.staff]
extends = "moderator"
"""
#: who moderates which forum, as FlaskBB keeps it: per forum, not a global group
MODERATES = {"alice": {7}}
TWO_LINKS = "see https://a.example/x and https://b.example/y"


def make_forum(tmp_path: Path, *, store_url: str | None = None, **config: Any) -> tuple[Flask, ForumGuard, list[str]]:
    lists = write_wordlists(tmp_path / "lists")
    (lists / "limits.toml").write_text(LIMITS_TOML, encoding="utf-8")
    app = Flask(__name__, instance_path=str(tmp_path / "instance"))
    app.config.update(TESTING=True, SECRET_KEY="test", WTF_CSRF_ENABLED=False, FORUM_GUARD_WORDLISTS=str(lists),
                      FORUM_GUARD_USE_STORE=store_url is not None, FORUM_GUARD_DATABASE_URL=store_url,
                      FORUM_GUARD_PROTECT={"reply": {"content": "text"}})
    app.config.update(config)
    guard = ForumGuard(app)
    saved: list[str] = []
    seen: list[Any] = []

    @guard.group_loader
    def group(context: Any) -> str | None:
        seen.append(context)
        user = request.headers.get("X-User")
        if user in MODERATES and isinstance(context, dict) and context.get("forum") in MODERATES[user]:
            return "moderator"
        return request.headers.get("X-Group") or ("member" if user else None)

    @guard.context_loader
    def context() -> Any:
        if request.endpoint == "forum_guard.check":
            raise AssertionError("the live check's context comes from its body, not from its URL")
        forum = (request.view_args or {}).get("forum_id")
        return None if forum is None else {"forum": forum}

    @app.post("/forum/<int:forum_id>/reply")
    def reply(forum_id: int) -> Any:
        verdict = current_verdict("content")
        assert verdict is not None
        saved.append(content_to_store(verdict))
        return {"group": verdict.group, "action": verdict.action.value}, 201

    app.extensions["test_seen"] = seen
    return app, guard, saved


@pytest.fixture
def forum(tmp_path: Path) -> Iterator[tuple[Flask, ForumGuard, list[str]]]:
    app, guard, saved = make_forum(tmp_path)
    yield app, guard, saved
    close_app(app)


def live(app: Flask, content: str, context: Any = None, **headers: str) -> dict[str, Any]:
    body: dict[str, Any] = {"content": content, "markup": "text"}
    if context is not None:
        body["context"] = context
    r = app.test_client().post("/forum-guard/check", json=body, headers=headers)
    assert r.status_code == 200, r.get_data(as_text=True)
    data: dict[str, Any] = r.get_json()
    return data


def test_a_moderator_is_exempt_only_in_his_forum_while_typing(forum: Any) -> None:
    app, _guard, _saved = forum
    mine = live(app, "fuck this", {"forum": 7}, **{"X-User": "alice"})
    other = live(app, "fuck this", {"forum": 8}, **{"X-User": "alice"})
    nowhere = live(app, "fuck this", **{"X-User": "alice"})
    assert mine["group"] == "moderator" and mine["action"] == "allow" and mine["exempt"]
    assert "exempt_notice" in mine and "block" in mine["exempt_notice"]
    assert other["group"] == "member" and other["action"] == "block" and not other.get("exempt")
    assert "exempt_notice" not in other
    assert nowhere["group"] == "member" and nowhere["action"] == "block"
    assert {"forum": 7} in app.extensions["test_seen"] and None in app.extensions["test_seen"]


def test_a_moderator_is_exempt_only_in_his_forum_on_submit(forum: Any) -> None:
    app, _guard, saved = forum
    client = app.test_client()
    r = client.post("/forum/7/reply", data={"content": "fuck this"}, headers={"X-User": "alice"})
    assert r.status_code == 201 and r.get_json() == {"group": "moderator", "action": "allow"}
    r = client.post("/forum/8/reply", data={"content": "fuck this"}, headers={"X-User": "alice"})
    assert r.status_code == 422 and "terms that we do not allow" in r.get_data(as_text=True)
    assert saved == ["fuck this"]
    # the live check with the context the editor is given agrees with the submit
    with app.test_request_context("/forum/8/reply", method="POST", headers={"X-User": "alice"}):
        app.preprocess_request()
        from forum_guard.web.editor import editor_config
        assert '"context": {"forum": 8}' in editor_config() and '"moderator": false' in editor_config()


def test_the_editor_is_told_the_context_of_its_page(forum: Any) -> None:
    app, _guard, _saved = forum
    from forum_guard.web.editor import editor_config

    with app.test_request_context("/forum/7/reply", method="POST", headers={"X-User": "alice"}):
        app.preprocess_request()
        assert '"context": {"forum": 7}' in editor_config() and '"moderator": true' in editor_config()


def test_record_mode_views_pass_the_context_they_know(tmp_path: Path) -> None:
    app, guard, _saved = make_forum(tmp_path, FORUM_GUARD_MODE="record",
                                    FORUM_GUARD_PROTECT={"topic_reply": {"content": "text"}})
    try:
        @app.post("/topic/<int:topic_id>/reply")
        def topic_reply(topic_id: int) -> Any:
            forum_id = {70: 7, 80: 8}[topic_id]  # the host looks the topic's forum up itself
            verdict = guard.verdict_for("content", context={"forum": forum_id})
            return {"group": verdict.group, "blocked": verdict.blocked}

        client = app.test_client()
        alice = {"X-User": "alice"}
        assert client.post("/topic/70/reply", data={"content": "fuck"}, headers=alice).get_json() == {
            "group": "moderator", "blocked": False}
        assert client.post("/topic/80/reply", data={"content": "fuck"}, headers=alice).get_json() == {
            "group": "member", "blocked": True}
    finally:
        close_app(app)


def test_host_groups_get_their_own_limits_from_limits_toml(forum: Any) -> None:
    app, _guard, _saved = forum
    banned = live(app, "see https://a.example/x", **{"X-Group": "banned"})
    trusted = live(app, TWO_LINKS, **{"X-Group": "trusted"})
    guest = live(app, TWO_LINKS)
    assert banned["group"] == "banned" and banned["action"] == "block"
    assert banned["messages"] == ["You cannot post links yet."]
    assert trusted["group"] == "trusted" and trusted["action"] == "allow"
    assert guest["group"] == "guest" and guest["action"] == "block"


def test_an_exempt_host_group_is_exempt_but_no_moderator(forum: Any) -> None:
    app, _guard, _saved = forum
    staff = live(app, "fuck", **{"X-Group": "staff"})
    assert staff["group"] == "staff" and staff["exempt"] and staff["action"] == "allow"
    from forum_guard.ext import is_moderator

    with app.test_request_context(headers={"X-Group": "staff"}):
        assert not is_moderator()  # the admin pages stay closed to it
    with app.test_request_context(headers={"X-Group": "moderator"}):
        assert is_moderator()


def test_a_group_the_limits_do_not_name_gets_the_default_groups(forum: Any, caplog: pytest.LogCaptureFixture) -> None:
    app, _guard, _saved = forum
    with caplog.at_level(logging.WARNING, logger="forum_guard"):
        lurker = live(app, TWO_LINKS, **{"X-Group": "Lurkers"})
        one = live(app, "see https://a.example/x", **{"X-Group": "Lurkers"})
    assert lurker["group"] == "Lurkers" and lurker["action"] == "block"  # guest: one link at most
    assert one["action"] == "allow"
    assert "no group 'Lurkers'" in caplog.text and "'guest'" in caplog.text


def test_host_groups_in_the_store(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fg.sqlite'}"
    app, _guard, _saved = make_forum(tmp_path, store_url=url, FORUM_GUARD_RELOAD_SECONDS=0)
    try:
        store = Store(url)
        version = store.set_limits({"groups": {"VIP": {"extends": "member", "max_links": 0}}}, partial=True)
        store.close()
        source = app.extensions["forum_guard"].source
        source.refresh()  # what the reload thread does (it may have done it already)
        assert source.version == version
        vip = live(app, "see https://a.example/x", **{"X-Group": "VIP"})
        assert vip["group"] == "VIP" and vip["action"] == "block" and vip["messages"] == ["You cannot post links yet."]
        assert live(app, TWO_LINKS, **{"X-Group": "trusted"})["action"] == "allow"  # seeded from limits.toml
    finally:
        close_app(app)


def test_the_live_checks_context_is_validated(forum: Any) -> None:
    app, _guard, _saved = forum
    client = app.test_client()
    for bad in ([1, 2], {"forum": {"nested": 1}}, "x" * 2000):
        r = client.post("/forum-guard/check", json={"content": "hi", "context": bad})
        assert r.status_code == 422 and "context must be" in r.get_json()["message"]
    assert live(app, "hi", "general")["action"] == "allow"


@pytest.mark.parametrize(("toml", "error"), [
    ({"groups": {"a": {"extends": "nope"}}}, "extends 'nope', which is not a group"),
    ({"groups": {"a": {"extends": "b"}, "b": {"extends": "a"}}}, "extends itself"),
    ({"groups": {"x" * 33: {}}}, "1 to 32 characters"),
    ({"groups": {"a": {"max_linkz": 1}}}, "unknown limit 'max_linkz'"),
])
def test_bad_host_groups_are_refused(toml: dict[str, Any], error: str) -> None:
    with pytest.raises(LimitsError, match=error):
        Limits.from_dict(toml)


def test_extends_starts_from_the_parent_group() -> None:
    limits = Limits.from_dict({"groups": {"staff": {"extends": "moderator", "max_emoji": 3},
                                          "helper": {"extends": "staff"}}})
    assert limits.for_group("helper").exempt and limits.for_group("helper").max_emoji == 3
    assert limits.for_group("moderator").max_emoji == 75
    assert list(limits.groups)[:4] == ["guest", "new", "member", "moderator"]
