"""The rate limits hold across gunicorn workers: the demo forum under gunicorn on 127.0.0.1 with 2
and 3 sync workers, one guest sending live checks and replies from several threads at once (so that
every worker answers some), and exactly the configured number allowed in all, not one number per
worker. The same run with ``memory://`` storage (each worker counting alone) is the control: it
lets more through than the rate."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.server]

CHECKS_PER_HOUR = 30
POSTS_PER_HOUR = 10
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


@dataclass
class Server:
    port: int
    proc: subprocess.Popen[bytes]
    access_log: Path
    error_log: Path

    def worker_pids(self, status: int | None = None) -> Counter[str]:
        """Which worker answered how many requests (from the access log's ``%(p)s``)."""
        counts: Counter[str] = Counter()
        for line in self.access_log.read_text(errors="replace").splitlines():
            pid, code, path = [*line.split(), "", "", ""][:3]
            if path.startswith(("/forum-guard/check", "/t/1/reply")) and (status is None or code == str(status)):
                counts[pid] += 1
        return counts


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(instance: Path, workers: int, storage: str) -> Server:
    instance.mkdir(parents=True, exist_ok=True)
    (instance / "config.py").write_text(
        "SECRET_KEY = 'gunicorn-limits-test'\n"
        "DEMO_ANNOUNCE = False\n"
        f"FORUM_GUARD_LIVE_CHECK_RATE = '{CHECKS_PER_HOUR}/hour'\n"
        f"FORUM_GUARD_POST_RATE = '{POSTS_PER_HOUR} per hour'\n"
        f"FORUM_GUARD_RATE_LIMIT_STORAGE = {storage!r}\n", encoding="utf-8")
    port = _free_port()
    access, errors = instance / "access.log", instance / "error.log"
    cmd = [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
           "--timeout", "60", "--graceful-timeout", "5", "--access-logfile", str(access),
           "--access-logformat", "%(p)s %(s)s %(U)s", "--error-logfile", str(errors),
           "forum_guard.demo:create_app()"]
    env = {**os.environ, "FORUM_GUARD_DEMO_INSTANCE": str(instance)}
    proc = subprocess.Popen(cmd, env=env, cwd=str(instance), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    server = Server(port, proc, access, errors)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {errors.read_text(errors='replace')[-2000:]}")
        with contextlib.suppress(OSError, http.client.HTTPException):
            status, _, _ = request(port, "GET", "/t/1")
            if status == 200:
                return server
        time.sleep(0.3)
    stop(server)
    raise RuntimeError("gunicorn did not answer within 90 s")


def stop(server: Server) -> None:
    if server.proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            server.proc.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.proc.wait(timeout=15)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        server.proc.wait(timeout=5)


def request(port: int, method: str, path: str, body: bytes | None = None,
            headers: dict[str, str] | None = None) -> tuple[int, http.client.HTTPResponse, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp, resp.read()
    finally:
        conn.close()


def guest(port: int) -> tuple[str, str]:
    """A guest's session cookie and CSRF token, as a browser gets them from a topic page."""
    _, resp, body = request(port, "GET", "/t/1")
    cookie = next(v.split(";", 1)[0] for v in resp.headers.get_all("Set-Cookie") or [] if v.startswith("session="))
    match = CSRF_META.search(body.decode())
    assert match
    return cookie, match.group(1)


def hammer(port: int, send: int, make: callable, threads: int = 6) -> Counter[int]:  # type: ignore[valid-type]
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    todo = iter(range(send))

    def run() -> None:
        while True:
            with lock:
                i = next(todo, None)
            if i is None:
                return
            method, path, body, headers = make(i)
            status, _, _ = request(port, method, path, body, headers)
            with lock:
                statuses[status] += 1

    pool = [threading.Thread(target=run) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return statuses


@pytest.fixture
def instance(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "instance"


def _run(instance: Path, workers: int, storage: str) -> tuple[Counter[int], Counter[int], Server]:
    server = start(instance, workers, storage)
    try:
        cookie, token = guest(server.port)
        check_headers = {"Content-Type": "application/json", "Cookie": cookie, "X-CSRFToken": token}

        def live(i: int) -> tuple[str, str, bytes, dict[str, str]]:
            return "POST", "/forum-guard/check", json.dumps({"content": f"<p>draft {i}</p>"}).encode(), check_headers

        def post(i: int) -> tuple[str, str, bytes, dict[str, str]]:
            form = urllib.parse.urlencode({"csrf_token": token, "content": f"a fine reply number {i}"})
            return "POST", "/t/1/reply", form.encode(), {"Content-Type": "application/x-www-form-urlencoded",
                                                         "Cookie": cookie}

        checks = hammer(server.port, 3 * CHECKS_PER_HOUR * workers, live)
        posts = hammer(server.port, 3 * POSTS_PER_HOUR * workers, post)
        return checks, posts, server
    finally:
        stop(server)


@pytest.mark.parametrize("workers", [2, 3])
def test_n_workers_allow_the_configured_rate_not_n_times_it(instance: Path, workers: int) -> None:
    checks, posts, server = _run(instance, workers, "")
    answered = server.worker_pids()
    assert len(answered) >= 2, f"only one worker answered: {answered}"
    assert checks[200] == CHECKS_PER_HOUR, checks
    assert checks[429] == 3 * CHECKS_PER_HOUR * workers - CHECKS_PER_HOUR
    assert posts[302] == POSTS_PER_HOUR, posts
    assert posts[429] == 3 * POSTS_PER_HOUR * workers - POSTS_PER_HOUR
    print(f"\n{workers} workers, store database: live checks {dict(checks)}, posts {dict(posts)}, "
          f"answered by {dict(answered)}")


def test_per_process_counting_lets_more_through(instance: Path) -> None:
    """The control: the same traffic with each of 3 workers counting alone."""
    checks, posts, server = _run(instance, 3, "memory://")
    allowed = server.worker_pids(200)
    print(f"\n3 workers, memory://: live checks {dict(checks)}, posts {dict(posts)}, 200s by worker {dict(allowed)}")
    if len(allowed) >= 2:
        assert checks[200] > CHECKS_PER_HOUR
    assert checks[200] <= 3 * CHECKS_PER_HOUR
