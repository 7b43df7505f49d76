"""Who may do what: every admin route refuses non-moderators, every state-changing route refuses a
request without a valid CSRF token, the command line's rule for writes, and the live check's
per-client rate limit. Routes are enumerated from ``app.url_map``, so a new route is covered (or
the test says it is not) without anyone remembering to add it here."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import close_app, csrf_token, demo_config
from flask import Flask
from flask.cli import ScriptInfo
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.routing import Rule
from werkzeug.security import generate_password_hash

from forum_guard.cli import main as cli_main
from forum_guard.cli.store_commands import OPERATORS_ENV, os_user
from forum_guard.demo import create_app
from forum_guard.demo.models import Post, User, db
from forum_guard.store import Store
from forum_guard.web import ConfigKeys, RateLimiter, TooManyChecks

ADMIN = "/forum-guard/admin"
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
#: the demo's own moderator pages (views.moderator_required)
DEMO_MODERATOR_ENDPOINTS = {"forum.pending", "forum.decide", "forum.members", "forum.set_group"}
#: what a forged request would change if it got through
PAYLOAD = {"name": "pwned", "action": "censor", "kind": "terms", "terms": "pwned", "term": "pwned", "confirm": "save",
           "text": "pwned", "approve": "Approve", "section": "new", "new-max_links": "99", "group": "moderator",
           "content": "pwned by a forged request", "title": "pwned", "password": "pwned-pwned",
           "confirm_password": "pwned-pwned", "key": "reply-1"}


# --- a forum with a guest, a new member, a member, a moderator, a held post --------------------


class Forum:
    def __init__(self, app: Flask) -> None:
        self.app = app
        self.store: Store = app.extensions["forum_guard"].store
        with app.app_context():
            session = db()
            for name, group in (("newbie", "new"), ("regular", "member")):
                session.add(User(name=name, password_hash=generate_password_hash("password-123"), group=group))
            session.commit()
            self.user_ids = {u.group: u.id for u in session.scalars(select(User))}
        guest = app.test_client()
        r = guest.post("/t/1/reply", data={"csrf_token": csrf_token(guest, "/t/1"), "content": "cheap pills here"})
        assert r.status_code == 302
        self.item_id = self.store.queue()[0].id
        with app.app_context():
            self.post_id = db().scalars(select(Post.id).order_by(Post.id.desc())).first()
        self.term_id = self.store.terms("profanity")[0].id

    def client(self, group: str | None) -> FlaskClient:
        """A client signed in as a user of ``group`` (None: a guest), with its own CSRF token."""
        client = self.app.test_client()
        if group is not None:
            with client.session_transaction() as session:
                session["user_id"] = self.user_ids[group]
        client.token = csrf_token(client, "/t/1")  # type: ignore[attr-defined]
        return client

    def url(self, rule: Rule, group: str | None = None) -> str:
        values = {"name": "profanity", "term_id": self.term_id, "item_id": self.item_id, "topic_id": 1,
                  "post_id": self.post_id, "user_id": self.user_ids.get(group or "new"), "filename": "x"}
        return rule.build({a: values[a] for a in rule.arguments})[1]  # type: ignore[index]

    def state(self) -> tuple[Any, ...]:
        """Everything a forged or unauthorised request could change."""
        with self.app.app_context():
            users = tuple(db().execute(select(User.name, User.group).order_by(User.id)).all())
            posts = tuple(db().execute(select(Post.id, Post.status, Post.content).order_by(Post.id)).all())
        return (self.store.version(), self.store.count_audit(), self.store.queue_counts(), self.store.limits_dict(),
                users, posts)


@pytest.fixture
def forum(tmp_path: Path) -> Iterator[Forum]:
    app = create_app(demo_config(tmp_path, FORUM_GUARD_LIVE_CHECK_RATE=None))
    yield Forum(app)
    close_app(app)


def rules(app: Flask, *, prefix: str = "", methods: set[str] | None = None) -> list[tuple[Rule, str]]:
    out = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.endswith("static") or not rule.rule.startswith(prefix):
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            if methods is None or method in methods:
                out.append((rule, method))
    return out


# --- the admin pages: moderators only -----------------------------------------------------------


def test_every_admin_route_refuses_everyone_but_moderators(forum: Forum) -> None:
    admin = rules(forum.app, prefix=ADMIN)
    demo = [(r, m) for r, m in rules(forum.app) if r.endpoint in DEMO_MODERATOR_ENDPOINTS]
    assert len(admin) >= 19 and len(demo) == 4  # the enumeration found the routes
    before = forum.state()
    for group in (None, "new", "member"):
        client = forum.client(group)
        for rule, method in admin + demo:
            data = {**PAYLOAD, "csrf_token": client.token} if method in WRITES else None  # type: ignore[attr-defined]
            r = client.open(forum.url(rule, group), method=method, data=data)
            refused = r.status_code == 403 or (r.status_code == 302 and "/signin" in r.headers["Location"])
            assert refused, f"{group or 'guest'}: {method} {rule.rule} -> {r.status_code}"
    assert forum.state() == before


def test_moderators_reach_every_admin_page(forum: Forum) -> None:
    client = forum.client("moderator")
    for rule, _ in rules(forum.app, prefix=ADMIN, methods={"GET"}):
        r = client.get(forum.url(rule, "moderator"))
        assert r.status_code in (200, 302), f"GET {rule.rule} -> {r.status_code}"


# --- CSRF on every state-changing route -----------------------------------------------------------


@pytest.mark.parametrize("group", [None, "moderator"])
@pytest.mark.parametrize("token", ["missing", "forged", "another session's"])
def test_every_state_changing_route_needs_the_csrf_token(forum: Forum, group: str | None, token: str) -> None:
    writes = rules(forum.app, methods=WRITES)
    assert {r.endpoint for r, _ in writes} >= {"forum.reply", "forum.signout", "forum_guard.check",
                                               "forum_guard.draft", "forum_guard_admin.queue_item"}
    client = forum.client(group)
    other = forum.client("moderator").token  # type: ignore[attr-defined]
    value = {"missing": None, "forged": "forged-token", "another session's": other}[token]
    before = forum.state()
    for rule, method in writes:
        data = dict(PAYLOAD)
        headers = {}
        if value is not None:
            data["csrf_token"] = value
            headers["X-CSRFToken"] = value
        r = client.open(forum.url(rule, group), method=method, data=data, headers=headers)
        assert r.status_code == 400, f"{token} token: {method} {rule.rule} -> {r.status_code}"
        body = r.get_data(as_text=True)
        assert "CSRF" in body or (r.is_json and r.get_json()["error"] == "csrf"), rule.rule
    assert forum.state() == before
    if group is not None:  # still signed in: a forged sign-out did nothing
        with client.session_transaction() as session:
            assert session.get("user_id") == forum.user_ids[group]


def test_the_admin_checks_csrf_itself_when_the_host_does_not(tmp_path: Path) -> None:
    """A host without CSRFProtect: the admin blueprint refuses forged posts on its own."""
    from store_fixtures import close_app as close_store_app
    from store_fixtures import make_app

    app = make_app(f"sqlite:///{tmp_path}/fg.sqlite", csrf=True)
    try:
        assert "csrf" not in app.extensions
        client = app.test_client()
        client.get("/login/moderator")
        store = app.extensions["forum_guard"].store
        version = store.version()
        writes = rules(app, prefix=ADMIN, methods=WRITES)
        assert len(writes) >= 9
        for rule, method in writes:
            values = {"name": store.list_names()[0], "term_id": 1, "item_id": 1}
            url = rule.build({a: values[a] for a in rule.arguments})[1]  # type: ignore[index]
            r = client.open(url, method=method, data=PAYLOAD)
            assert r.status_code in (400, 404), f"{method} {rule.rule} -> {r.status_code}"
            assert r.status_code == 404 or "CSRF" in r.get_data(as_text=True)
        assert store.version() == version
    finally:
        close_store_app(app)


def test_the_queue_decision_does_not_redirect_off_site(forum: Forum) -> None:
    client = forum.client("moderator")
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"):
        item = forum.store.enqueue(content="cheap pills", is_html=False, verdict=forum.store.build_guard().check(
            "cheap pills"), author=None, group="guest", ref=None, reason="require_approval")
        r = client.post(f"{ADMIN}/queue/{item}", query_string={"next": target},
                        data={"csrf_token": client.token, "approve": "Approve"})  # type: ignore[attr-defined]
        assert r.status_code == 302
        assert r.headers["Location"].endswith(f"{ADMIN}/queue"), target
    item = forum.store.queue()[0].id
    r = client.post(f"{ADMIN}/queue/{item}?next={ADMIN}/queue%3Fstatus%3Dpending",
                    data={"csrf_token": client.token, "reject": "Reject"})  # type: ignore[attr-defined]
    assert r.headers["Location"].endswith(f"{ADMIN}/queue?status=pending")


# --- the command line's rule for writes ------------------------------------------------------------

WRITE_COMMANDS = [["add", "spam", "pwned"], ["remove", "spam", "cheap"], ["create-list", "pwned"],
                  ["delete-list", "spam", "--yes"], ["limits", "--set", "new.max_links=9"], ["approve", "1"],
                  ["reject", "1"]]
READ_COMMANDS = [["lists"], ["show", "spam"], ["export", "spam"], ["queue"], ["audit"], ["stats"]]


@pytest.fixture
def cli_db(tmp_path: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path}/cli.sqlite"
    store = Store(url)
    store.ensure_schema()
    store.create_list("spam")
    store.add_terms("spam", ["cheap"])
    store.enqueue(content="cheap", is_html=False, verdict=store.build_guard().check("cheap"), author=None,
                  group="guest", ref=None, reason="require_approval")
    store.close()
    yield url


def cli(*args: str, db: str | None = None) -> Any:
    argv = [*args, "--database", db] if db else list(args)
    return CliRunner().invoke(cli_main, argv, catch_exceptions=False)


def stored(url: str) -> tuple[Any, ...]:
    store = Store(url)
    try:
        return store.version(), store.count_audit(), store.queue_counts()
    finally:
        store.close()


def test_operators_env_limits_who_changes_the_store(cli_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(OPERATORS_ENV, "alice, bob")
    before = stored(cli_db)
    for args in WRITE_COMMANDS:
        r = cli(*args, db=cli_db)
        assert r.exit_code == 1, args
        assert f"{os_user()} may not change the store" in r.output and "alice, bob" in r.output
    assert stored(cli_db) == before
    for args in READ_COMMANDS:
        assert cli(*args, db=cli_db).exit_code == 0, args
    monkeypatch.setenv(OPERATORS_ENV, f"alice,{os_user()}")
    assert cli("add", "spam", "fine", db=cli_db).exit_code == 0
    monkeypatch.setenv(OPERATORS_ENV, "")  # set but empty: no list, anyone who can write the file
    assert cli("add", "spam", "finer", db=cli_db).exit_code == 0


def test_user_cannot_pretend_to_be_an_operator(cli_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(OPERATORS_ENV, "alice")
    for var in ("USER", "LOGNAME", "USERNAME"):
        monkeypatch.setenv(var, "alice")
    r = cli("add", "spam", "pwned", db=cli_db)
    assert r.exit_code == 1 and "may not change the store" in r.output


def test_a_store_file_the_user_cannot_write_is_refused_up_front(cli_db: str, monkeypatch: pytest.MonkeyPatch
                                                                ) -> None:
    path = cli_db.removeprefix("sqlite:///")
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode, **kw: False if str(p) == path else real_access(p, mode, **kw))
    before = stored(cli_db)
    r = cli("add", "spam", "pwned", db=cli_db)
    assert r.exit_code == 1 and f"cannot write {path}" in r.output and "forum's user" in r.output
    assert stored(cli_db) == before


def test_flask_guard_follows_the_same_rule(forum: Forum, monkeypatch: pytest.MonkeyPatch) -> None:
    from forum_guard.cli import flask_group

    monkeypatch.setenv(OPERATORS_ENV, "alice")
    runner = forum.app.test_cli_runner()
    obj = ScriptInfo(create_app=lambda: forum.app)
    before = forum.state()
    r = runner.invoke(flask_group, ["add", "profanity", "pwned"], obj=obj)
    assert r.exit_code == 1 and "may not change the store" in r.output
    assert runner.invoke(flask_group, ["lists"], obj=obj).exit_code == 0
    assert forum.state() == before


@pytest.mark.skipif(not hasattr(os, "getuid") or os.getuid() != 0 or shutil.which("setpriv") is None,
                    reason="needs root and setpriv to run the CLI as another OS user")
def test_another_os_user_cannot_change_a_store_it_cannot_write() -> None:
    """The real thing: ``nobody`` runs the CLI against root's SQLite file (mode 644)."""
    folder = Path(tempfile.mkdtemp(prefix="fg-access-", dir="/tmp"))
    try:
        folder.chmod(0o755)
        url = f"sqlite:///{folder}/forum_guard.sqlite"
        store = Store(url)
        store.ensure_schema()
        store.create_list("spam")
        store.close()
        (folder / "forum_guard.sqlite").chmod(0o644)
        before = stored(url)
        env = {k: v for k, v in os.environ.items() if k not in ("FORUM_GUARD_OPERATORS", "FORUM_GUARD_DATABASE_URL")}
        r = subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", sys.executable, "-c",
                            "from forum_guard.cli import main; main()", "add", "spam", "pwned", "--database", url],
                           capture_output=True, text=True, env={**env, "HOME": "/tmp"}, cwd="/tmp", timeout=60)
        assert r.returncode == 1, r.stderr
        assert "nobody may not change the store" in r.stderr and "owned by root" in r.stderr
        assert stored(url) == before
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# --- the live check's rate limit --------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_token_bucket() -> None:
    clock = Clock()
    limiter = RateLimiter(3, 60, clock=clock)
    assert [limiter.hit("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.hit("a") == pytest.approx(20.0)  # one request back every 20 s
    assert limiter.hit("b") == 0.0  # clients are counted apart
    clock.now += 20
    assert limiter.hit("a") == 0.0 and limiter.hit("a") > 0
    clock.now += 3600
    assert [limiter.hit("a") for _ in range(4)][-1] > 0  # refills to the capacity, not beyond


def test_a_costly_request_spends_more_and_a_refused_one_nothing() -> None:
    clock = Clock()
    limiter = RateLimiter(10, 10, clock=clock)  # one back a second
    assert limiter.hit("a", 6) == 0.0
    assert limiter.hit("a", 6) == pytest.approx(2.0)  # 4 left: two seconds until 6
    clock.now += 2
    assert limiter.hit("a", 6) == 0.0  # the refused request spent nothing
    assert limiter.hit("b", 50) == 0.0 and limiter.hit("b", 1) > 0  # a cost over the capacity takes it all


def test_the_buckets_stay_bounded() -> None:
    limiter = RateLimiter(1, 60, max_clients=100, clock=Clock())
    for i in range(10_000):
        limiter.hit(f"client-{i}")
    assert len(limiter._buckets) == 100


@pytest.mark.parametrize(("rate", "capacity", "period"), [
    ("120 per minute", 120, 60), ("2/second", 2, 1), ("10 per 5 seconds", 10, 5), ("5000 per hour", 5000, 3600),
    (" 3 PER DAY ", 3, 86400)])
def test_rates_parse(rate: str, capacity: int, period: float) -> None:
    limiter = RateLimiter.parse(rate)
    assert limiter is not None and limiter.capacity == capacity and limiter.per_second == pytest.approx(
        capacity / period)


@pytest.mark.parametrize("rate", [None, "", "  "])
def test_no_rate_means_no_limit(rate: str | None) -> None:
    assert RateLimiter.parse(rate) is None


@pytest.mark.parametrize("rate", ["fast", "0 per minute", "10 per fortnight", "-1/second"])
def test_a_bad_rate_fails_at_startup(tmp_path: Path, rate: str) -> None:
    with pytest.raises(ValueError, match=ConfigKeys.LIVE_CHECK_RATE):
        create_app(demo_config(tmp_path, FORUM_GUARD_LIVE_CHECK_RATE=rate))


@pytest.fixture
def limited(tmp_path: Path) -> Iterator[Flask]:
    app = create_app(demo_config(tmp_path, FORUM_GUARD_LIVE_CHECK_RATE="3 per minute"))
    yield app
    close_app(app)


def checker(app: Flask, addr: str = "127.0.0.1", user_id: int | None = None) -> FlaskClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = addr
    if user_id is not None:
        with client.session_transaction() as session:
            session["user_id"] = user_id
    client.environ_base["HTTP_X_CSRFTOKEN"] = csrf_token(client, "/t/1")
    return client


def test_the_live_check_is_limited_per_client(limited: Flask) -> None:
    one = checker(limited, "10.0.0.1")
    assert [one.post("/forum-guard/check", json={"content": "hi"}).status_code for _ in range(3)] == [200] * 3
    r = one.post("/forum-guard/check", json={"content": "hi"})
    assert r.status_code == 429 and r.is_json
    assert r.get_json() == {"error": "too_many_requests", "message": TooManyChecks.description}
    assert 1 <= int(r.headers["Retry-After"]) <= 20
    # another address, and a signed-in member behind the first one, have their own budgets
    assert checker(limited, "10.0.0.2").post("/forum-guard/check", json={"content": "hi"}).status_code == 200
    with limited.app_context():
        moderator_id = db().scalar(select(User.id).where(User.group == "moderator"))
    member = checker(limited, "10.0.0.1", moderator_id)
    assert member.post("/forum-guard/check", json={"content": "hi"}).status_code == 200
    # posting is never rate-limited: the submit is checked all the same
    token = csrf_token(one, "/t/1")
    r = one.post("/t/1/reply", data={"csrf_token": token, "content": "fuck"})
    assert r.status_code == 422
    assert one.post("/t/1/reply", data={"csrf_token": token, "content": "a fine reply"}).status_code == 302


def test_big_drafts_spend_more_of_the_budget(limited: Flask) -> None:
    client = checker(limited, "10.0.0.4")
    assert client.post("/forum-guard/check", json={"content": "x" * 45_000}).status_code == 200  # costs 3
    assert client.post("/forum-guard/check", json={"content": "hi"}).status_code == 429


def test_forged_checks_do_not_spend_the_budget(limited: Flask) -> None:
    client = checker(limited, "10.0.0.3")
    for _ in range(10):
        assert client.post("/forum-guard/check", json={"content": "hi"}, headers={"X-CSRFToken": "x"}).status_code == 400
    assert client.post("/forum-guard/check", json={"content": "hi"}).status_code == 200


def test_the_limit_is_off_when_the_rate_is_empty(tmp_path: Path) -> None:
    app = create_app(demo_config(tmp_path, FORUM_GUARD_LIVE_CHECK_RATE=""))
    try:
        assert app.extensions["forum_guard"].live_check_limiter is None
        client = checker(app)
        assert {client.post("/forum-guard/check", json={"content": "hi"}).status_code for _ in range(150)} == {200}
    finally:
        close_app(app)


def test_the_default_rate_is_on() -> None:
    from forum_guard.web import DEFAULTS

    limiter = RateLimiter.parse(DEFAULTS[ConfigKeys.LIVE_CHECK_RATE])
    assert limiter is not None and limiter.capacity == 120
