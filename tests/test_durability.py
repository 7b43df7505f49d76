"""Kill -9 in the middle of the work: an import, a queue decision, a scan. Afterwards the store is
consistent (each change is one transaction: all of it or none of it; a queue item is decided and
audited, or still pending) and the interrupted work can be done again.

A child process runs the real code with one store method wrapped so that it stops at a chosen point
inside the transaction and says so (a marker file); the test then SIGKILLs it. The "real timing"
tests kill the unmodified command line instead, while it is writing.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import close_app, csrf_token, demo_config
from sqlalchemy import select

from forum_guard.cli import main as cli_main
from forum_guard.store import Store

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")

TESTS = Path(__file__).resolve().parent
WAIT = 120  # seconds a child may take to reach its stopping point (a slow, busy machine)

#: Runs in the child: wrap ``Store.<method>`` so that it stops (before, or after the original ran)
#: and touches the marker, then run the command line or the demo forum's admin page.
CHILD = textwrap.dedent("""
    import json, sys, time
    from pathlib import Path
    params = json.loads(sys.argv[1])
    sys.path.insert(0, params["tests"])

    def stop():
        Path(params["marker"]).touch()
        time.sleep(3600)

    if params.get("store_method"):
        from forum_guard import store as store_module
        original = getattr(store_module.Store, params["store_method"])
        def wrapped(self, *args, **kwargs):
            if params["when"] == "before":
                stop()
            result = original(self, *args, **kwargs)
            stop()
            return result
        setattr(store_module.Store, params["store_method"], wrapped)
    if params.get("cli"):
        from forum_guard.cli import main
        main.main(args=params["cli"], prog_name="forum-guard")
    if params.get("demo_decision"):
        from conftest import demo_config
        from forum_guard.demo import create_app
        from forum_guard.demo import views
        views.apply_decision = lambda *args, **kwargs: stop()  # the store committed; the forum is next
        app = create_app(demo_config(Path(params["demo_decision"]["path"])))
        client = app.test_client()
        with client.session_transaction() as session:
            session["user_id"] = params["demo_decision"]["moderator"]
        item = params["demo_decision"]["item"]
        page = client.get(f"/forum-guard/admin/queue/{item}").get_data(as_text=True)
        token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
        client.post(f"/forum-guard/admin/queue/{item}", data={"csrf_token": token, "approve": "Approve"})
""")


def start_child(tmp_path: Path, **params: Any) -> tuple[subprocess.Popen[str], Path]:
    marker = tmp_path / f"stopped-{time.monotonic_ns()}"
    params.update(marker=str(marker), tests=str(TESTS))
    proc = subprocess.Popen([sys.executable, "-c", CHILD, json.dumps(params)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    return proc, marker


def kill_when(proc: subprocess.Popen[str], ready: Any) -> None:
    """SIGKILL ``proc`` as soon as ``ready()`` is true (it must get there on its own)."""
    deadline = time.monotonic() + WAIT
    while not ready():
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"the child ended (exit {proc.returncode}) before the point to kill it at:\n{out}\n{err}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("the child never reached the point to kill it at")
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=WAIT)
    proc.communicate()
    assert proc.returncode == -signal.SIGKILL


def snapshot(url: str) -> dict[str, Any]:
    """Everything the store holds, for before/after comparisons."""
    store = Store(url)
    try:
        store.ensure_schema()
        return {"version": store.version(), "audit": [(e.action, e.target, e.summary) for e in store.audit(limit=None)],
                "lists": {name: store.count_terms(name) for name in store.list_names()},
                "queue": [(i.id, i.status, i.decided_by) for i in store.queue(status=None, limit=None)],
                "limits": store.limits_dict()}
    finally:
        store.close()


def cli(*args: str) -> Any:
    r = CliRunner().invoke(cli_main, list(args), catch_exceptions=False)
    assert r.exit_code == 0, r.output
    return r


@pytest.fixture
def db_url(tmp_path: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path}/fg.sqlite"
    store = Store(url)
    store.ensure_schema()
    store.create_list("old", actor="setup")
    store.add_terms("old", ["keep me", "and me"], actor="setup")
    store.close()
    yield url


def wordlist_file(tmp_path: Path, n: int, name: str = "big") -> Path:
    path = tmp_path / f"{name}.txt"
    path.write_text(f"# name: {name}\n# action: block\n" + "".join(f"w{i:06d}x\n" for i in range(n)), encoding="utf-8")
    return path


# --- an import --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "when"), [
    ("_insert_terms", "after"),  # every term of the file written, nothing committed
    ("_bump", "after"),          # the version bumped too
    ("_audit", "before"),        # the last statement before the commit
])
def test_an_import_killed_inside_its_transaction_stores_nothing(db_url: str, tmp_path: Path, method: str,
                                                                when: str) -> None:
    words = wordlist_file(tmp_path, 5_000)
    limits = tmp_path / "limits.toml"
    limits.write_text("hard_cap = 5000\n", encoding="utf-8")
    before = snapshot(db_url)
    proc, marker = start_child(tmp_path, store_method=method, when=when,
                               cli=["import", str(words), str(limits), "--replace", "--database", db_url])
    kill_when(proc, marker.exists)
    assert snapshot(db_url) == before
    # and it can be done again, in full, by the next writer
    cli("import", str(words), str(limits), "--database", db_url)
    after = snapshot(db_url)
    assert after["lists"] == {"old": 2, "big": 5_000}
    assert after["version"] == before["version"] + 1
    assert [a[0] for a in after["audit"][:2]] == ["import", "import"]
    assert after["limits"]["hard_cap"] == 5000


@pytest.mark.slow
def test_an_import_killed_at_a_real_moment_is_all_or_nothing(db_url: str, tmp_path: Path) -> None:
    """The unmodified command, killed while SQLite's write-ahead log grows (the inserts are running)."""
    words = wordlist_file(tmp_path, 100_000)
    wal = Path(db_url.removeprefix("sqlite:///") + "-wal")
    before = snapshot(db_url)
    start = wal.stat().st_size if wal.exists() else 0
    proc = subprocess.Popen([sys.executable, "-c", "from forum_guard.cli import main; main()", "import", str(words),
                             "--database", db_url], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    kill_when(proc, lambda: wal.exists() and wal.stat().st_size > start + 512 * 1024)
    now = snapshot(db_url)
    assert now == before or (now["lists"] == {"old": 2, "big": 100_000} and now["version"] == before["version"] + 1)
    cli("import", str(words), "--database", db_url)
    assert snapshot(db_url)["lists"] == {"old": 2, "big": 100_000}


# --- a queue decision ------------------------------------------------------------------------------


def enqueue(url: str, text: str = "cheap pills", ref: str | None = "post:1") -> int:
    store = Store(url)
    try:
        guard = store.build_guard()
        return store.enqueue(content=text, is_html=False, verdict=guard.check(text), author="someone",
                             group="guest", ref=ref, reason="require_approval")
    finally:
        store.close()


@pytest.mark.parametrize("when", ["before", "after"])
def test_a_decision_killed_before_its_commit_leaves_the_item_pending(db_url: str, tmp_path: Path, when: str) -> None:
    item = enqueue(db_url)
    before = snapshot(db_url)
    # "before": the item is marked approved, its audit entry not written; "after": both, not committed
    proc, marker = start_child(tmp_path, store_method="_audit", when=when,
                               cli=["approve", str(item), "--note", "ok", "--database", db_url])
    kill_when(proc, marker.exists)
    assert snapshot(db_url) == before
    store = Store(db_url)
    try:
        assert store.queue_item(item).pending
        decided = store.decide(item, "approved", actor="second try")  # redone
        assert decided.status == "approved" and decided.decided_by == "second try"
        assert store.audit(action="queue")[0].summary.startswith(f"approved queued post #{item}")
    finally:
        store.close()


def test_a_decision_the_forum_never_heard_of_can_be_made_again(tmp_path: Path) -> None:
    """Killed after the store committed the decision but before the demo forum published the post:
    the store says approved (and audited), the post is still pending, and the forum's own
    moderation page decides it again."""
    from forum_guard.demo import create_app
    from forum_guard.demo.models import PENDING, PUBLISHED, Post, User, db

    app = create_app(demo_config(tmp_path))
    try:
        guest = app.test_client()
        r = guest.post("/t/1/reply", data={"csrf_token": csrf_token(guest, "/t/1"), "content": "cheap pills, cheap!"})
        assert r.status_code == 302
        store = app.extensions["forum_guard"].store
        item = store.queue()[0].id
        with app.app_context():
            moderator = db().scalar(select(User.id).where(User.group == "moderator"))
            post_id = db().scalars(select(Post.id).order_by(Post.id.desc())).first()
    finally:
        close_app(app)
    proc, marker = start_child(tmp_path, demo_decision={"path": str(tmp_path), "moderator": moderator, "item": item})
    kill_when(proc, marker.exists)

    app = create_app(demo_config(tmp_path))
    try:
        store = app.extensions["forum_guard"].store
        decided = store.queue_item(item)
        assert decided.status == "approved" and store.audit(action="queue")[0].target == f"queue:{item}"
        with app.app_context():
            assert db().get(Post, post_id).status == PENDING
        client = app.test_client()
        with client.session_transaction() as session:
            session["user_id"] = moderator
        assert f'action="/moderation/{post_id}"' in client.get("/moderation").get_data(as_text=True)
        token = csrf_token(client, "/moderation")
        assert client.post(f"/moderation/{post_id}", data={"csrf_token": token, "approve": "1"}).status_code == 302
        with app.app_context():
            assert db().get(Post, post_id).status == PUBLISHED
        assert [e.action for e in store.audit(action="queue")] == ["queue.approve"]  # decided once
    finally:
        close_app(app)


# --- a scan ------------------------------------------------------------------------------------------

SCAN_TEXTS = ["hello there", "what the zorblax", "nice post", "zorblaxes happen"]


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            children.setdefault(int(stat[stat.rfind(")") + 2:].split()[1]), []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_a_scan_killed_midway_changes_nothing_leaves_no_workers_and_resumes(db_url: str, tmp_path: Path) -> None:
    cli("add", "rude", "zorblax", "--create", "--database", db_url)
    n = 30_000
    posts = tmp_path / "posts.jsonl"
    posts.write_text("".join(json.dumps({"id": i, "text": SCAN_TEXTS[i % 4]}) + "\n" for i in range(n)),
                     encoding="utf-8")
    state = tmp_path / "scan-state.json"
    before = snapshot(db_url)
    args = ["scan", str(posts), "--jobs", "2", "--json", "--state", str(state), "--database", db_url]
    proc = subprocess.Popen([sys.executable, "-c", "from forum_guard.cli import main; main()", *args,
                             "--checkpoint-every", "1000"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    workers: list[int] = []

    def midway() -> bool:
        workers[:] = descendants(proc.pid) or workers
        return state.exists()

    kill_when(proc, midway)
    assert workers, "the scan ran no worker processes"
    deadline = time.monotonic() + WAIT
    while any(running(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(running(w) for w in workers), "worker processes outlived the killed scan"
    assert snapshot(db_url) == before  # a scan only reads the store
    done = json.loads(state.read_text())["tally"]["scanned"]
    assert 0 < done < n
    r = cli(*args, "--resume")
    summary = json.loads(r.stdout)
    assert summary["posts"] == n and summary["checked"] == n  # no post counted twice, none missed
    assert summary["actions"] == {"block": n // 2, "allow": n // 2}
    assert snapshot(db_url) == before
