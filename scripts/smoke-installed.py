"""What a stranger gets from the wheel: run with the python of a virtualenv that has the wheel
installed, from a folder that is not the checkout (``.ci/run`` and ``scripts/wheel-smoke`` do).

Checks, each printed as it passes (the first failure stops with exit 1):
- ``forum-guard --version`` and ``forum-guard check "what the fuck"`` (a block verdict);
- ``forum-guard demo`` on a free port: a topic page answers 200, an offending reply 422 with the
  notice and the draft;
- a five-line host app with ``ForumGuard(app)`` and no configuration blocks an offending post;
- the same app pointed at an empty folder of lists refuses to start, naming the folder.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

BIN = Path(sys.executable).parent
OFFENSIVE = "what the fuck"


def step(what: str) -> None:
    print(f"smoke: ok  {what}", flush=True)


def fail(what: str, detail: str = "") -> None:
    print(f"smoke: FAILED  {what}\n{detail}", file=sys.stderr, flush=True)
    sys.exit(1)


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=120, env=env)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def check_cli(env: dict[str, str]) -> None:
    if Path.cwd().joinpath("forum_guard").exists() or Path.cwd().joinpath("wordlists").exists():
        fail("run me from a folder that is not the checkout")
    r = run(str(BIN / "forum-guard"), "--version", env=env)
    if r.returncode != 0 or not re.search(r"\d+\.\d+", r.stdout):
        fail("forum-guard --version", r.stdout + r.stderr)
    step(f"forum-guard --version: {r.stdout.strip()}")
    r = run(str(BIN / "forum-guard"), "check", "--json", OFFENSIVE, env=env)
    try:
        verdict = json.loads(r.stdout)
    except ValueError:
        fail("forum-guard check --json", r.stdout + r.stderr)
    if verdict.get("action") != "block":
        fail(f"forum-guard check {OFFENSIVE!r} is not a block verdict", r.stdout + r.stderr)
    step(f"forum-guard check {OFFENSIVE!r}: block ({verdict['matches'][0]['term']})")


class Browser:
    """urllib with cookies, never following a redirect silently past an error."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def request(self, path: str, data: dict[str, str] | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, body, timeout=30) as response:
                return response.status, response.read().decode("utf-8")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode("utf-8", "replace")


def check_demo(env: dict[str, str], workdir: Path) -> None:
    port = free_port()
    instance = workdir / "demo-instance"
    proc = subprocess.Popen([str(BIN / "forum-guard"), "demo", "--port", str(port), "--instance", str(instance)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        web = Browser(f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 60
        while True:
            try:
                status, page = web.request("/")
                break
            except (urllib.error.URLError, ConnectionError):
                if proc.poll() is not None or time.monotonic() > deadline:
                    fail("forum-guard demo did not start", proc.stdout.read() if proc.stdout else "")
                time.sleep(0.3)
        topic = re.search(r'href="(/t/\d+)"', page)
        if status != 200 or topic is None:
            fail("the demo's index page", f"{status}\n{page[:2000]}")
        status, page = web.request(topic.group(1))
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        if status != 200 or token is None:
            fail("a topic page of the demo", f"{status}\n{page[:2000]}")
        step(f"forum-guard demo: {topic.group(1)} answers 200")
        draft = f"<p>{OFFENSIVE}, this is my reply</p>"
        status, page = web.request(topic.group(1) + "/reply",
                                   {"csrf_token": token.group(1), "content": draft, "guest_name": "Smoke"})
        if status != 422 or "terms that we do not allow" not in page or "this is my reply" not in page:
            fail("an offending reply to the demo is refused with the notice and the draft", f"{status}\n{page[:3000]}")
        step("forum-guard demo: an offending reply answers 422 with the notice and the draft")
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


HOST_APP = textwrap.dedent('''\
    from flask import Flask, request
    from forum_guard import ForumGuard
    app = Flask(__name__, instance_path=INSTANCE)
    app.config.update(SECRET_KEY="smoke", WTF_CSRF_ENABLED=False, FORUM_GUARD_PROTECT={"post": ["body"]}, **EXTRA)
    ForumGuard(app)
    app.add_url_rule("/post", "post", lambda: "saved: " + request.form["body"], methods=["POST"])
''')


def check_host_app(env: dict[str, str], workdir: Path) -> None:
    instance = workdir / "host-instance"
    script = workdir / "host_app.py"
    script.write_text(HOST_APP + textwrap.dedent(f'''
        client = app.test_client()
        bad = client.post("/post", data={{"body": "{OFFENSIVE}"}})
        good = client.post("/post", data={{"body": "good morning"}})
        print(bad.status_code, good.status_code, good.get_data(as_text=True))
    '''), encoding="utf-8")
    r = run(sys.executable, "-c", f"INSTANCE={str(instance)!r}; EXTRA={{}}; exec(open({str(script)!r}).read())", env=env)
    if r.returncode != 0 or not r.stdout.startswith("422 200 saved: good morning"):
        fail("a host app with ForumGuard(app) and no configuration blocks an offending post", r.stdout + r.stderr)
    step("a five-line host app with ForumGuard(app), no configuration: offending post 422, innocent post saved")

    empty = workdir / "no-lists"
    empty.mkdir()
    extra = {"FORUM_GUARD_WORDLISTS": str(empty), "FORUM_GUARD_USE_STORE": False}
    r = run(sys.executable, "-c",
            f"INSTANCE={str(workdir / 'host-2')!r}; EXTRA={extra!r}; exec(open({str(script)!r}).read())", env=env)
    if r.returncode == 0 or "EmptyRulesetError" not in r.stderr or str(empty) not in r.stderr:
        fail("the host app pointed at an empty folder refuses to start, naming it", r.stdout + r.stderr)
    last = [line for line in r.stderr.splitlines() if "EmptyRulesetError" in line][-1]
    step(f"the host app pointed at an empty folder refuses to start: {last.strip()}")


def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="forum-guard-smoke-"))
    env = dict(os.environ)
    for key in ("FORUM_GUARD_WORDLISTS", "FORUM_GUARD_DATABASE_URL", "PYTHONPATH"):
        env.pop(key, None)
    env["XDG_DATA_HOME"] = str(workdir / "xdg-data")  # the CLI's per-user store, fresh
    try:
        check_cli(env)
        check_demo(env, workdir)
        check_host_app(env, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print("smoke: the installed wheel works from outside the checkout", flush=True)


if __name__ == "__main__":
    main()
