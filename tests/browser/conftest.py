"""A live demo forum on 127.0.0.1 and Debian's chromium driven by Playwright (one of each per
session; a fresh browser context, so a fresh localStorage, per test)."""

from __future__ import annotations

import contextlib
import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import close_app, demo_config, write_wordlists

CHROMIUM = os.environ.get("FORUM_GUARD_CHROMIUM", "/usr/bin/chromium")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serve(app: Any, name: str = "live-server") -> Iterator[str]:
    """Serve a Flask app with werkzeug in a thread on 127.0.0.1; yields its base URL, then stops
    the server and closes the app's databases."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", _free_port(), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        close_app(app)


def host_app(tmp: Path, **config: Any) -> Any:
    """A bare Flask host with forum_guard plugged in: the test word lists, no store, no live-check
    rate limit; ``config`` on top."""
    from flask import Flask

    from forum_guard.web import ForumGuard

    app = Flask(__name__, instance_path=str(tmp / "instance"))
    app.config.update(SECRET_KEY="test", FORUM_GUARD_WORDLISTS=str(write_wordlists(tmp / "lists")),
                      FORUM_GUARD_USE_STORE=False, FORUM_GUARD_LIVE_CHECK_RATE=None, **config)
    ForumGuard(app)
    return app


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The demo forum served by werkzeug in a thread; yields its base URL."""
    from forum_guard.demo import create_app

    tmp = tmp_path_factory.mktemp("live")
    with serve(create_app(demo_config(tmp, FORUM_GUARD_CHECK_DELAY_MS=150))) as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"chromium not found at {CHROMIUM}")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any, live_server: str) -> Iterator[Any]:
    context = browser.new_context(base_url=live_server, viewport={"width": 1100, "height": 900})
    context.set_default_timeout(5000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors
    yield page
    context.close()
    assert not errors, f"JavaScript errors: {errors}"


def wait_saved(page: Any, text: str) -> None:
    """Wait for the autosave (400 ms after the last keystroke, later on a busy machine) to have
    kept ``text`` in the browser's storage."""
    page.wait_for_function("""(text) => Object.keys(localStorage).some((key) =>
        key.startsWith("forum-guard:draft:") && (localStorage.getItem(key) || "").includes(text))""", arg=text)
