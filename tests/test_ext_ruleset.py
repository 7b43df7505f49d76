"""Where a host app's rules come from, and that they are never nothing: the shipped lists with no
configuration, an empty store seeded (and logged), every way to end up with no list an
``EmptyRulesetError`` at ``init_app`` naming what was looked at, and ``ForumGuard.close``."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from conftest import write_wordlists
from flask import Flask

from forum_guard.engine.data import shipped_dir
from forum_guard.errors import EmptyRulesetError
from forum_guard.store import Store
from forum_guard.web import ForumGuard

PG_URL = os.environ.get("FORUM_GUARD_TEST_POSTGRES_URL")

#: The whole host app of a stranger who read only "ForumGuard(app)".
FIVE_LINE_HOST = """
from flask import Flask
from forum_guard import ForumGuard
app = Flask(__name__)
app.config.update(SECRET_KEY="x", FORUM_GUARD_PROTECT={"reply": ["content"]})
ForumGuard(app)
app.add_url_rule("/reply", "reply", lambda: "saved", methods=["POST"])
"""


def host(tmp_path: Path, **config: Any) -> Flask:
    app = Flask(__name__, instance_path=str(tmp_path / "instance"))
    app.config.update(SECRET_KEY="x", WTF_CSRF_ENABLED=False, **config)
    return app


def reload_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name == "forum-guard-reload" and t.is_alive()}


@pytest.fixture
def started(tmp_path: Path) -> Iterator[list[Flask]]:
    """Apps a test set up; closed at the end whatever happened."""
    apps: list[Flask] = []
    yield apps
    for app in apps:
        ForumGuard.close(app)


# --- no configuration ------------------------------------------------------------------------


def test_a_five_line_host_run_from_an_unrelated_folder_blocks(tmp_path: Path) -> None:
    """The issue's stranger: nothing configured, run from a folder that is not the checkout."""
    script = FIVE_LINE_HOST + textwrap.dedent("""
        client = app.test_client()
        print(client.post("/reply", data={"content": "what the fuck"}).status_code,
              client.post("/reply", data={"content": "what a nice day"}).status_code)
        ForumGuard.close(app)
    """)
    run = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                         env={**os.environ, "PYTHONPATH": ""})
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["422", "200"]
    assert (tmp_path / "instance" / "forum_guard.sqlite").is_file()  # the store, seeded, in the instance folder


def test_no_configuration_means_the_shipped_lists_seeded_into_the_store(
        tmp_path: Path, started: list[Flask], caplog: pytest.LogCaptureFixture) -> None:
    app = host(tmp_path)
    with caplog.at_level(logging.INFO, logger="forum_guard"):
        ForumGuard(app)
    started.append(app)
    state = app.extensions["forum_guard"]
    assert state.store is not None and state.config["FORUM_GUARD_WORDLISTS"] == str(shipped_dir())
    shipped = sorted(p.stem for p in shipped_dir().glob("*.txt"))
    assert len(state.store.list_names()) == len(shipped) > 0
    seeded = [r for r in caplog.records if r.name == "forum_guard" and "seeded" in r.getMessage()]
    assert len(seeded) == 1 and f"{len(shipped)} lists" in seeded[0].getMessage()
    assert "forum_guard.wordlists" in seeded[0].getMessage()
    with app.test_request_context():
        from forum_guard.web import check

        assert check("what the fuck", html=False).blocked

    # the second start finds the lists and says nothing
    ForumGuard.close(app)
    caplog.clear()
    again = host(tmp_path)
    with caplog.at_level(logging.INFO, logger="forum_guard"):
        ForumGuard(again)
    started.append(again)
    assert not [r for r in caplog.records if "seeded" in r.getMessage()]


def test_the_folder_alone_with_the_store_off(tmp_path: Path, started: list[Flask]) -> None:
    app = host(tmp_path, FORUM_GUARD_USE_STORE=False)
    before = reload_threads()
    ForumGuard(app)
    started.append(app)
    assert app.extensions["forum_guard"].store is None
    assert reload_threads() == before  # nothing runs in the background
    assert not (tmp_path / "instance").exists()


# --- never nothing -----------------------------------------------------------------------------


def test_an_empty_folder_refuses_to_start(tmp_path: Path) -> None:
    empty = tmp_path / "lists"
    empty.mkdir()
    (empty / "limits.toml").write_text("hard_cap = 1000\n")  # limits alone are not rules
    with pytest.raises(EmptyRulesetError) as caught:
        ForumGuard(host(tmp_path, FORUM_GUARD_USE_STORE=False, FORUM_GUARD_WORDLISTS=str(empty)))
    assert str(empty) in str(caught.value) and "no word lists" in str(caught.value)


def test_a_mistyped_folder_refuses_to_start(tmp_path: Path) -> None:
    typo = tmp_path / "wordlsits"
    with pytest.raises(EmptyRulesetError, match="not a folder") as caught:
        ForumGuard(host(tmp_path, FORUM_GUARD_USE_STORE=False, FORUM_GUARD_WORDLISTS=str(typo)))
    assert str(typo) in str(caught.value)


def test_a_broken_list_is_skipped_and_the_others_load(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    lists = write_wordlists(tmp_path / "lists")
    (lists / "bad.txt").write_text("# name: bad\nfine\n---\n")
    with caplog.at_level(logging.ERROR, logger="forum_guard"):
        app = host(tmp_path, FORUM_GUARD_USE_STORE=False, FORUM_GUARD_WORDLISTS=str(lists))
        ForumGuard(app)
        guard = app.extensions["forum_guard"].source.current()
    assert "bad" not in [wl.name for wl in guard.lists] and guard.lists
    assert "bad.txt:3" in caplog.text


def test_a_folder_where_no_list_loads_refuses_to_start(tmp_path: Path) -> None:
    lists = tmp_path / "lists"
    lists.mkdir()
    (lists / "bad.txt").write_text("# name: bad\nfine\n---\n")
    with pytest.raises(EmptyRulesetError, match=r"bad\.txt:3"):
        ForumGuard(host(tmp_path, FORUM_GUARD_USE_STORE=False, FORUM_GUARD_WORDLISTS=str(lists)))


def test_an_empty_store_with_seeding_off_refuses_to_start(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/empty.sqlite"
    before = reload_threads()
    with pytest.raises(EmptyRulesetError) as caught:
        ForumGuard(host(tmp_path, FORUM_GUARD_DATABASE_URL=url, FORUM_GUARD_SEED=False))
    message = str(caught.value)
    assert url in message and "FORUM_GUARD_SEED" in message
    assert reload_threads() == before  # nothing left running after the refusal


@pytest.mark.parametrize("folder", ["empty", "typo"])
def test_an_empty_store_with_nothing_to_seed_it_refuses_to_start(tmp_path: Path, folder: str) -> None:
    path = tmp_path / folder
    if folder == "empty":
        path.mkdir()
    url = f"sqlite:///{tmp_path}/empty.sqlite"
    with pytest.raises(EmptyRulesetError) as caught:
        ForumGuard(host(tmp_path, FORUM_GUARD_DATABASE_URL=url, FORUM_GUARD_WORDLISTS=str(path)))
    assert url in str(caught.value) and str(path) in str(caught.value)


def test_a_host_source_without_lists_refuses_to_start(tmp_path: Path) -> None:
    from forum_guard import Guard
    from forum_guard.web import StaticSource

    with pytest.raises(EmptyRulesetError, match="holds no word lists"):
        ForumGuard(host(tmp_path), source=StaticSource(Guard([])))


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="FORUM_GUARD_TEST_POSTGRES_URL not set")
def test_the_message_names_the_store_without_its_password(tmp_path: Path) -> None:
    assert PG_URL is not None
    server = sa.make_url(PG_URL)
    assert server.password, "the test server's URL has a password"
    name = f"fg_empty_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name)
    try:
        with pytest.raises(EmptyRulesetError) as caught:
            ForumGuard(host(tmp_path, FORUM_GUARD_DATABASE_URL=url.render_as_string(hide_password=False),
                            FORUM_GUARD_SEED=False))
        message = str(caught.value)
        assert server.password not in message
        assert url.render_as_string(hide_password=True) in message
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# --- close ---------------------------------------------------------------------------------------


def test_close_stops_the_reload_thread_and_the_store_it_opened(tmp_path: Path) -> None:
    app = host(tmp_path, FORUM_GUARD_WORDLISTS=str(write_wordlists(tmp_path / "lists")),
               FORUM_GUARD_RELOAD_SECONDS=0.05)
    before = reload_threads()
    ForumGuard(app)
    mine = reload_threads() - before
    assert len(mine) == 1  # compiled at start-up, following the store from then on
    store = app.extensions["forum_guard"].store
    pool = store.engine.pool
    # it holds connections (one may be out with the reload thread at this very moment)
    assert pool.checkedin() + pool.checkedout() > 0
    ForumGuard.close(app)
    assert not any(t.is_alive() for t in mine)
    assert store.engine.pool.checkedin() == 0  # its connections closed
    ForumGuard.close(app)  # twice is fine
    with app.test_request_context():
        from forum_guard.web import check

        assert check("fuck", html=False).blocked  # the last ruleset still answers


def test_close_leaves_a_store_the_host_passed_in_open(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path}/host.sqlite")
    store.ensure_schema()
    store.seed_from_directory(write_wordlists(tmp_path / "lists"))
    app = host(tmp_path)
    guard = ForumGuard(app, store=store)
    before_close = store.engine.pool.checkedin()
    assert before_close > 0
    guard.close(app)  # on the instance too
    assert store.engine.pool.checkedin() == before_close
    assert store.list_names()
    store.close()


def test_close_on_an_app_without_forum_guard_does_nothing() -> None:
    ForumGuard.close(Flask(__name__))
