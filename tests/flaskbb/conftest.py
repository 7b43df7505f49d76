"""Fixtures for the FlaskBB suite: a populated FlaskBB instance, the app (one per process: FlaskBB
allows no second one), clients signed in as its users, and a real server for the browser."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

import forum  # noqa: E402


def pytest_report_header() -> list[str]:
    import importlib.metadata

    import forum_guard

    return [f"flaskbb {importlib.metadata.version('flaskbb')}, forum_guard {forum_guard.__version__} "
            f"from {Path(forum_guard.__file__).parent}"]


_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def csrf(html: str) -> str:
    m = _CSRF.search(html)
    assert m, "no csrf_token in the page"
    return m.group(1) or m.group(2)


def populate(target: Path) -> Path:
    """A new forum in ``target``, created by its own process (as ``flaskbb install`` would)."""
    subprocess.run([sys.executable, str(HERE / "forum.py"), "populate", str(target)], check=True)
    return target


@pytest.fixture(scope="session")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return populate(tmp_path_factory.mktemp("pristine") / "instance")


@pytest.fixture(scope="session")
def app(pristine: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    instance = forum.copy_instance(pristine, tmp_path_factory.mktemp("client") / "instance")
    return forum.make_app(instance)


class Member:
    """A FlaskBB test client signed in through FlaskBB's login form."""

    def __init__(self, app: Any, username: str | None) -> None:
        self.app = app
        self.client = app.test_client()
        if username is not None:
            page = self.client.get("/auth/login").get_data(as_text=True)
            r = self.client.post("/auth/login", data={"login": username, "password": forum.PASSWORD,
                                                      "csrf_token": csrf(page)})
            assert r.status_code == 302, f"{username} could not sign in"

    def get(self, path: str, **kw: Any) -> Any:
        return self.client.get(path, **kw)

    def submit(self, page_path: str, data: dict[str, str], action: str | None = None) -> Any:
        """Open ``page_path``, then post its form (with its CSRF token) to ``action`` (default: the page)."""
        page = self.client.get(page_path)
        assert page.status_code == 200, page_path
        return self.client.post(action or page_path, data={**data, "csrf_token": csrf(page.get_data(as_text=True))})


@pytest.fixture
def login(app: Any) -> Any:
    return lambda username: Member(app, username)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``forum.py serve`` in its own process: a FlaskBB restart is a new Server on the same instance."""

    def __init__(self, instance: Path) -> None:
        self.instance = instance
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(instance / f"server-{self.port}.log", "w")  # noqa: SIM115
        self.proc = subprocess.Popen([sys.executable, str(HERE / "forum.py"), "serve", str(instance), str(self.port)],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(self.url + "/", timeout=2).read()
                return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"FlaskBB did not start: see {self.log.name}") from None
                time.sleep(0.3)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()


@pytest.fixture
def instance(pristine: Path, tmp_path: Path) -> Path:
    return forum.copy_instance(pristine, tmp_path / "instance")


@pytest.fixture
def server(instance: Path) -> Iterator[Server]:
    s = Server(instance)
    yield s
    s.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium",
                              args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield b
        b.close()
