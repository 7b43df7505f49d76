"""The demo forum end to end through the Flask test client: posting as guest, member and moderator,
every action of the filter, moderation, accounts, and the commands that start it."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from conftest import MODERATOR_PASSWORD, close_app, csrf_token, demo_config, write_wordlists
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from forum_guard import signals
from forum_guard.demo import create_app
from forum_guard.demo.models import Post, Topic, User

TERMS_NOTICE = ("Unfortunately, your content contains terms that we do not allow. "
                "Please edit your content to remove the highlighted words below.")
GUEST_NOTE = ("You can post now and register later. If you have an account, sign in now to post with your "
              "account.")


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))


def reply(client: FlaskClient, content: str, topic_id: int = 1, **extra: str) -> Any:
    token = csrf_token(client, f"/t/{topic_id}")
    return client.post(f"/t/{topic_id}/reply", data={"csrf_token": token, "content": content, **extra})


def sign_in(client: FlaskClient, name: str, password: str) -> Any:
    token = csrf_token(client, "/signin")
    return client.post("/signin", data={"csrf_token": token, "name": name, "password": password})


def sign_up(client: FlaskClient, name: str, password: str = "a-good-password") -> Any:
    token = csrf_token(client, "/signup")
    return client.post("/signup", data={"csrf_token": token, "name": name, "password": password,
                                        "confirm": password})


def posts(app: Flask, **where: Any) -> list[Post]:
    with app.app_context():
        from forum_guard.demo.models import db

        q = select(Post).order_by(Post.id)
        for key, value in where.items():
            q = q.where(getattr(Post, key) == value)
        return list(db().scalars(q).all())


def moderator(app: Flask) -> FlaskClient:
    client = app.test_client()
    assert sign_in(client, "moderator", MODERATOR_PASSWORD).status_code == 302
    return client


# --- first run ----------------------------------------------------------------------------------


def test_first_run_creates_a_moderator_and_seed_topics(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        from forum_guard.demo.models import db

        mod = db().scalar(select(User).where(User.group == "moderator"))
        assert mod is not None and mod.name == "moderator"
        assert MODERATOR_PASSWORD not in mod.password_hash and mod.password_hash.startswith(("scrypt:", "pbkdf2:"))
        assert len(db().scalars(select(Topic)).all()) == 3
    page = client.get("/").get_data(as_text=True)
    assert "Welcome to the forum_guard demo" in page


def test_moderator_credentials_are_printed_only_on_creation(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = demo_config(tmp_path, DEMO_ANNOUNCE=True, DEMO_MODERATOR_PASSWORD=None)
    first = create_app(config)
    err = capsys.readouterr().err
    password = re.search(r"password: (\S+)", err)
    assert "name: moderator" in err and password
    second = create_app(config)
    assert "password" not in capsys.readouterr().err
    client = second.test_client()
    assert sign_in(client, "moderator", password.group(1)).status_code == 302
    close_app(first)
    close_app(second)


def test_the_shipped_wordlists_work_in_the_demo(tmp_path: Path) -> None:
    config = demo_config(tmp_path)
    del config["FORUM_GUARD_WORDLISTS"]
    app = create_app(config)
    try:
        client = app.test_client()
        r = reply(client, "<p>what the fuck</p>")
        assert r.status_code == 422 and TERMS_NOTICE in r.get_data(as_text=True)
    finally:
        close_app(app)


# --- replies: every action ----------------------------------------------------------------------


def test_guest_reply_is_published(app: Flask, client: FlaskClient) -> None:
    page = client.get("/t/1").get_data(as_text=True)
    assert GUEST_NOTE in text_of(page)
    r = reply(client, "<p>Hello <b>all</b><script>alert(1)</script></p>", guest_name="Wanderer")
    assert r.status_code == 302
    post = posts(app)[-1]
    assert post.status == "published" and post.guest_name == "Wanderer"
    assert post.content == "<p>Hello <b>all</b></p>"
    other = app.test_client().get("/t/1").get_data(as_text=True)
    assert "<p>Hello <b>all</b></p>" in other and "Wanderer" in other


def test_blocked_reply_is_422_with_the_draft_intact(app: Flask, client: FlaskClient) -> None:
    before = len(posts(app))
    draft = "<p>This is <i>fucking</i> great & more</p>"
    with signals.draft_blocked.connected_to(lambda s, **k: None, sender=app):
        r = reply(client, draft)
    assert r.status_code == 422
    body = r.get_data(as_text=True)
    assert TERMS_NOTICE in body
    assert "&lt;p&gt;This is &lt;i&gt;fucking&lt;/i&gt; great &amp; more&lt;/p&gt;</textarea>" in body
    assert "<mark" in body
    assert GUEST_NOTE in text_of(body)  # the whole topic page again, not a bare error
    assert len(posts(app)) == before


def test_reply_needing_approval_is_pending_until_approved(app: Flask, client: FlaskClient) -> None:
    held: list[dict[str, Any]] = []
    with signals.post_held.connected_to(lambda s, **k: held.append(k), sender=app):
        r = reply(client, "<p>cheap pills, see hopzone.eu</p>", guest_name="Spammy")
    assert r.status_code == 302
    post = posts(app)[-1]
    assert post.status == "pending" and held and held[0]["ref"] == f"post:{post.id}"
    # the author sees it, marked; nobody else does
    mine = client.get("/t/1").get_data(as_text=True)
    assert "cheap pills" in mine and "Pending approval" in mine
    assert "cheap pills" not in app.test_client().get("/t/1").get_data(as_text=True)
    # the store queued it, and the demo's moderation page approves it
    store = app.extensions["forum_guard"].store
    if store is not None:
        assert store.queue_item(post.queue_id).ref == f"post:{post.id}"
    mod = moderator(app)
    queue = mod.get("/moderation").get_data(as_text=True)
    assert "cheap pills" in queue and "Held for approval" in queue  # Action.REQUIRE_APPROVAL.done
    decided: list[dict[str, Any]] = []
    with signals.queue_decided.connected_to(lambda s, **k: decided.append(k), sender=app):
        r = mod.post(f"/moderation/{post.id}", data={"csrf_token": csrf_token(mod, "/moderation"), "approve": "1"})
    assert r.status_code == 302 and decided[0]["decision"] == "approved"
    assert posts(app)[-1].status == "published"
    assert "cheap pills" in app.test_client().get("/t/1").get_data(as_text=True)
    if store is not None:
        assert store.queue_item(post.queue_id).status == "approved"


def test_rejected_post_stays_hidden(app: Flask, client: FlaskClient) -> None:
    reply(client, "<p>buy followers today</p>")
    post = posts(app)[-1]
    mod = moderator(app)
    mod.post(f"/moderation/{post.id}", data={"csrf_token": csrf_token(mod, "/moderation"), "reject": "1"})
    assert posts(app)[-1].status == "rejected"
    assert "buy followers" not in client.get("/t/1").get_data(as_text=True)
    assert "buy followers" not in mod.get("/t/1").get_data(as_text=True)


def test_admin_queue_decision_publishes_through_the_signal(app: Flask, client: FlaskClient) -> None:
    reply(client, "<p>cheap pills again</p>")
    post = posts(app)[-1]
    with app.test_request_context():
        signals.queue_decided.send(app, queue_id=post.queue_id, ref=f"post:{post.id}", decision="approved",
                                   content="<p>cheap (edited by a moderator)</p>", moderator="admin")
    post = posts(app)[-1]
    assert post.status == "published" and post.content == "<p>cheap (edited by a moderator)</p>"


def test_the_admin_queue_publishes_the_demos_post(app: Flask, client: FlaskClient) -> None:
    """The other moderation path: the admin blueprint's queue page."""
    reply(client, "<p>buy followers here</p>", guest_name="Seller")
    post = posts(app)[-1]
    assert post.status == "pending" and post.queue_id is not None
    store = app.extensions["forum_guard"].store
    assert store.queue_item(post.queue_id).author == "Seller"
    mod = moderator(app)
    url = f"/forum-guard/admin/queue/{post.queue_id}"
    assert mod.get(url).status_code == 200
    r = mod.post(url, data={"csrf_token": csrf_token(mod, "/moderation"), "content": post.content, "approve": "Approve"})
    assert r.status_code == 302
    assert posts(app)[-1].status == "published"
    assert "buy followers here" in app.test_client().get("/t/1").get_data(as_text=True)


def test_flagged_reply_is_published_and_listed_for_moderators(app: Flask, client: FlaskClient) -> None:
    flagged: list[dict[str, Any]] = []
    with signals.post_flagged.connected_to(lambda s, **k: flagged.append(k), sender=app):
        assert reply(client, "<p>join the crypto giveaway</p>").status_code == 302
    post = posts(app)[-1]
    assert post.status == "published" and post.flagged and len(flagged) == 1
    assert "crypto giveaway" in app.test_client().get("/t/1").get_data(as_text=True)
    mod = moderator(app)
    assert "Flagged for moderators" in mod.get("/moderation").get_data(as_text=True)  # Action.FLAG.done
    mod.post(f"/moderation/{post.id}", data={"csrf_token": csrf_token(mod, "/moderation"), "approve": "1"})
    assert not posts(app)[-1].flagged


def test_censored_reply_stores_the_censored_html(app: Flask, client: FlaskClient) -> None:
    assert reply(client, "<p>oh darn it</p>").status_code == 302
    assert posts(app)[-1].content == "<p>oh d**n it</p>"
    assert "Some words were replaced" in client.get("/t/1").get_data(as_text=True)


def test_reply_without_csrf_token_is_refused(app: Flask, client: FlaskClient) -> None:
    before = len(posts(app))
    r = client.post("/t/1/reply", data={"content": "hello"})
    assert r.status_code == 400
    r = client.post("/forum-guard/check", json={"content": "hello"})
    assert r.status_code == 400 and r.get_json()["error"] == "csrf"
    assert len(posts(app)) == before


def test_live_check_in_the_demo(app: Flask, client: FlaskClient) -> None:
    token = csrf_token(client, "/t/1")
    r = client.post("/forum-guard/check", json={"content": "<p>fuck</p>", "html": True},
                    headers={"X-CSRFToken": token})
    data = r.get_json()
    assert data["action"] == "block" and data["messages"] == [TERMS_NOTICE]
    assert data["group"] == "guest"


def test_huge_and_malformed_replies_never_500(app: Flask, client: FlaskClient) -> None:
    token = csrf_token(client, "/t/1")
    r = client.post("/t/1/reply", data={"csrf_token": token, "content": "x" * 3_000_000})
    assert r.status_code == 413
    r = client.post("/t/1/reply", data={"csrf_token": token, "content": ["a", "b"]})
    assert r.status_code == 422
    raw = f"csrf_token={token}&content=%00%ff%fe%ed%a0%80+bad+%ef%bf%be".encode()  # NUL, invalid UTF-8
    r = client.post("/t/1/reply", data=raw, content_type="application/x-www-form-urlencoded")
    assert r.status_code in (302, 422)
    r = client.post("/t/1/reply", data={"csrf_token": token, "content": ""})
    assert r.status_code == 422 and "too short" in r.get_data(as_text=True)
    assert client.get("/t/999").status_code == 404


# --- members and moderators ---------------------------------------------------------------------


def test_sign_up_checks_the_name_explicitly(app: Flask, client: FlaskClient) -> None:
    r = sign_up(client, "fuckface")
    assert r.status_code == 422 and "That name is not allowed" in r.get_data(as_text=True)
    assert sign_up(client, "alice").status_code == 302
    assert "alice" in client.get("/").get_data(as_text=True)
    assert sign_up(app.test_client(), "Alice").status_code == 422  # taken, whatever the case


def test_new_member_is_promoted_after_published_posts(app: Flask, client: FlaskClient) -> None:
    sign_up(client, "bob")
    assert "badge--new" in client.get("/").get_data(as_text=True)
    reply(client, "<p>first</p>")
    reply(client, "<p>cheap pills</p>")  # pending: does not count yet
    with app.app_context():
        from forum_guard.demo.models import db

        assert db().scalar(select(User).where(User.name == "bob")).group == "new"
    reply(client, "<p>second</p>")
    with app.app_context():
        from forum_guard.demo.models import db

        assert db().scalar(select(User).where(User.name == "bob")).group == "member"


def test_moderator_can_change_groups(app: Flask, client: FlaskClient) -> None:
    sign_up(client, "carol")
    mod = moderator(app)
    page = mod.get("/members").get_data(as_text=True)
    assert "carol" in page
    with app.app_context():
        from forum_guard.demo.models import db

        carol = db().scalar(select(User).where(User.name == "carol"))
        assert carol is not None
        carol_id = carol.id
    r = mod.post(f"/members/{carol_id}", data={"csrf_token": csrf_token(mod, "/members"), "group": "moderator"})
    assert r.status_code == 302
    assert 'href="/moderation"' in client.get("/").get_data(as_text=True)


def test_signed_in_drafts_are_kept_on_the_server(app: Flask, client: FlaskClient) -> None:
    token = csrf_token(client, "/t/1")
    r = client.post("/forum-guard/draft", json={"key": "reply-1", "content": "<p>x</p>"}, headers={"X-CSRFToken": token})
    assert r.status_code == 404  # guests keep drafts in their browser only
    sign_up(client, "erin")
    token = csrf_token(client, "/t/1")
    assert 'draftUrl": "/forum-guard/draft' in client.get("/t/1").get_data(as_text=True).replace("&#34;", '"')
    r = client.post("/forum-guard/draft", json={"key": "reply-1", "content": '<p>half "done"</p>'},
                    headers={"X-CSRFToken": token})
    assert r.status_code == 200 and r.get_json()["saved"]
    page = client.get("/t/1").get_data(as_text=True)
    assert 'data-fg-server-draft="&lt;p&gt;half &#34;done&#34;&lt;/p&gt;"' in page
    assert client.post("/forum-guard/draft", json={"key": "reply-1", "content": "x"}).status_code == 400  # CSRF
    client.post("/forum-guard/draft", json={"key": "reply-1", "content": None}, headers={"X-CSRFToken": token})
    assert "data-fg-server-draft" not in client.get("/t/1").get_data(as_text=True)


def test_moderator_bypasses_the_filter_and_is_told(app: Flask) -> None:
    mod = moderator(app)
    r = reply(mod, "<p>fuck yes, a moderator test</p>")
    assert r.status_code == 302
    assert posts(app)[-1].status == "published"
    page = mod.get("/t/1").get_data(as_text=True)
    assert "You are a moderator" in page and "blocked" in page
    token = csrf_token(mod, "/t/1")
    data = mod.post("/forum-guard/check", json={"content": "fuck"}, headers={"X-CSRFToken": token}).get_json()
    assert data["exempt"] is True and "You are a moderator" in data["exempt_notice"]


def test_moderation_pages_need_a_moderator(app: Flask, client: FlaskClient) -> None:
    assert client.get("/moderation").status_code == 302
    sign_up(client, "dave")
    assert client.get("/moderation").status_code == 403
    assert client.get("/members").status_code == 403
    r = client.post("/moderation/1", data={"csrf_token": csrf_token(client), "approve": "1"})
    assert r.status_code == 403


def test_sign_in_and_out(app: Flask, client: FlaskClient) -> None:
    r = sign_in(client, "moderator", "wrong")
    assert r.status_code == 422 and "Wrong name or password." in r.get_data(as_text=True)
    assert sign_in(client, "moderator", MODERATOR_PASSWORD).status_code == 302
    assert "Sign out" in client.get("/").get_data(as_text=True)
    client.post("/signout", data={"csrf_token": csrf_token(client)})
    assert "Sign in" in client.get("/").get_data(as_text=True)
    r = client.get("/signin?next=//evil.example/")
    token = csrf_token(client, "/signin")
    r = client.post("/signin?next=//evil.example/", data={"csrf_token": token, "name": "moderator",
                                                           "password": MODERATOR_PASSWORD})
    assert r.location == "/"


# --- new topics: the validator ------------------------------------------------------------------


def test_new_topic_is_guarded_by_the_validator(app: Flask, client: FlaskClient) -> None:
    token = csrf_token(client, "/new")
    r = client.post("/new", data={"csrf_token": token, "title": "Fuck this", "content": "<p>hello</p>"})
    assert r.status_code == 422 and TERMS_NOTICE in r.get_data(as_text=True)
    r = client.post("/new", data={"csrf_token": token, "title": "Hello", "content": "<p>shit happens</p>"})
    assert r.status_code == 422 and "&lt;p&gt;shit happens&lt;/p&gt;</textarea>" in r.get_data(as_text=True)
    r = client.post("/new", data={"csrf_token": token, "title": "A darn fine day", "content": "<p>hi</p>"})
    assert r.status_code == 302
    page = client.get(r.location).get_data(as_text=True)
    assert "A d**n fine day" in page


def test_new_topic_needing_approval_is_hidden(app: Flask, client: FlaskClient) -> None:
    token = csrf_token(client, "/new")
    r = client.post("/new", data={"csrf_token": token, "title": "Deals", "content": "<p>cheap pills</p>"})
    assert r.status_code == 302
    topic_url = r.location
    assert client.get(topic_url).status_code == 200
    assert app.test_client().get(topic_url).status_code == 404
    assert "Deals" not in app.test_client().get("/").get_data(as_text=True)
    post = posts(app)[-1]
    mod = moderator(app)
    mod.post(f"/moderation/{post.id}", data={"csrf_token": csrf_token(mod, "/moderation"), "approve": "1"})
    assert app.test_client().get(topic_url).status_code == 200


# --- starting it ----------------------------------------------------------------------------------


def test_demo_command_help(runner: Any) -> None:
    from forum_guard.demo.commands import demo

    result = runner.invoke(demo, ["--help"])
    assert result.exit_code == 0 and "127.0.0.1" in result.output


def test_demo_command_with_no_lists_says_why_it_does_not_start(runner: Any, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from forum_guard.demo.commands import demo

    monkeypatch.setenv("FORUM_GUARD_DEMO_INSTANCE", str(tmp_path))  # run() sets it; restored afterwards
    instance, empty = tmp_path / "inst", tmp_path / "no-lists"
    instance.mkdir()
    empty.mkdir()
    (instance / "config.py").write_text(f"FORUM_GUARD_USE_STORE = False\nFORUM_GUARD_WORDLISTS = {str(empty)!r}\n"
                                        "DEMO_ANNOUNCE = False\n")
    result = runner.invoke(demo, ["--instance", str(instance), "--port", str(_free_port())])
    assert result.exit_code == 1
    assert str(empty) in result.output and "no word lists" in result.output


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
@pytest.mark.server
def test_python_m_forum_guard_demo_serves_the_forum(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "forum_guard.demo", "--port", str(port), "--instance", str(tmp_path / "inst")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    try:
        deadline = time.monotonic() + 30
        body = ""
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/t/1", timeout=2) as response:
                    body = response.read().decode()
                break
            except OSError:
                if proc.poll() is not None:
                    break
                time.sleep(0.2)
        assert "Join the conversation" in body and 'data-forum-guard' in body
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=10)
    assert "name: moderator" in err and "password: " in err
    assert f"http://127.0.0.1:{port}/" in err
    assert (tmp_path / "inst" / "demo.sqlite").exists()


def test_term_preview_counts_the_demos_recent_posts(app: Flask, client: FlaskClient) -> None:
    """The demo's @guard.recent_posts_loader feeds the admin page's impact preview."""
    for text in ("<p>the zorblax strikes again</p>", "<p>nothing here</p>", "<p>Zorblax!</p>"):
        assert reply(client, text).status_code == 302
    mod = moderator(app)
    r = mod.post("/forum-guard/admin/lists/profanity/terms",
                 data={"terms": "zorblax", "csrf_token": csrf_token(mod, "/moderation")})
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and 'id="impact"' in page
    assert "<strong>2</strong> would have been caught" in page


def _boot(instance: str) -> str:
    from forum_guard.demo import create_app as make

    app = make({"INSTANCE_PATH": instance, "SECRET_KEY": "k", "DEMO_ANNOUNCE": False,
                "FORUM_GUARD_WORDLISTS": str(Path(instance) / "wordlists")})
    close_app(app)
    return "booted"


@pytest.mark.slow
def test_workers_booting_together_on_an_empty_database(tmp_path: Path) -> None:
    """gunicorn starts every worker at once: one creates the moderator and the topics, the others
    must not fail to boot (a unique-name race) nor seed the topics twice."""
    import multiprocessing

    instance = tmp_path / "instance"
    write_wordlists(instance / "wordlists")
    with multiprocessing.get_context("spawn").Pool(3) as pool:
        assert pool.map(_boot, [str(instance)] * 3) == ["booted"] * 3
    from forum_guard.demo.models import db

    boot = create_app({"INSTANCE_PATH": str(instance), "SECRET_KEY": "k", "DEMO_ANNOUNCE": False,
                       "FORUM_GUARD_WORDLISTS": str(instance / "wordlists")})
    with boot.app_context():
        assert len(db().scalars(select(User).where(User.group == "moderator")).all()) == 1
        assert len(db().scalars(select(Topic)).all()) == 3
    close_app(boot)


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("get", "/t/99999999999999999999", None),
        ("post", "/moderation/99999999999999999999", None),
        ("post", "/members/99999999999999999999", None),
        ("post", "/t/1/reply", {"content": "<p>hi</p>", "guest_name": {"a": 1}}),
        ("post", "/new", {"title": "x\ud800 title", "content": "<p>hello there</p>", "guest_name": "a\ud800"}),
        ("post", "/signup", {"name": "a\ud800b", "password": "a-good-password", "confirm": "a-good-password"}),
        ("post", "/signup", '{"name": ' + "[" * 100_000 + "]" * 100_000 + "}"),
    ],
)
def test_hostile_requests_to_the_demo_are_never_a_500(tmp_path: Path, method: str, url: str, body: Any) -> None:
    app = create_app(demo_config(tmp_path, WTF_CSRF_ENABLED=False))
    client = app.test_client()
    if body is None:
        response = getattr(client, method)(url)
    elif isinstance(body, str):
        response = client.post(url, data=body, content_type="application/json")
    else:
        response = client.post(url, json=body)
    assert response.status_code < 500
    assert response.status_code in (302, 404, 405, 422)
    close_app(app)


def test_a_member_named_moderator_does_not_stop_the_first_run(tmp_path: Path) -> None:
    """No moderator account, and a member holds the name "moderator": the next start makes a
    moderator under a name of its own instead of failing to boot."""
    from forum_guard.demo.models import db

    app = create_app(demo_config(tmp_path))
    with app.app_context():
        session = db()
        for user in session.scalars(select(User).where(User.group == "moderator")):
            user.group = "member"  # the account "moderator" is now a member's
        session.commit()
    close_app(app)
    again = create_app(demo_config(tmp_path))
    with again.app_context():
        names = db().scalars(select(User.name).where(User.group == "moderator")).all()
    close_app(again)
    assert len(names) == 1 and re.fullmatch(r"moderator-[0-9a-f]{4}", names[0])
