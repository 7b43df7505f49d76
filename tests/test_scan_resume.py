"""``forum-guard scan --state FILE`` / ``--resume``: a scan killed at any instant (SIGKILL, Ctrl+C) goes
on where its last checkpoint left it, and every post is counted exactly once: the resumed summary and
``--output`` file are the same as those of a scan that was never interrupted."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from forum_guard.cli.store_commands import cli

POSTS = 24_000
TEXTS = [
    "<p>" + "Hello there, the weather was lovely on the coast and we walked for hours. " * 8 + "</p>",
    "buy cheap pills now and again",
    "<p>what the <b>zorblax</b> is this</p>",
    "see zorblaxes " + "and more plain words to read " * 10,
    "\u00c7a va? Tr\u00e8s bien, merci",
]


def _posts(path: Path, n: int = POSTS) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            fh.write(json.dumps({"id": i, "text": TEXTS[i % len(TEXTS)]}) + "\n")
            if i % 997 == 0:
                fh.write("not json\n")  # read errors are counted once too
    return path


def _cli(db: str, *args: str) -> Any:
    return CliRunner().invoke(cli, [*args, "--database", db], catch_exceptions=False)


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path}/fg.sqlite"
    assert _cli(url, "add", "rude", "zorblax", "--create").exit_code == 0
    assert _cli(url, "add", "spam", "cheap pills", "--create", "--action", "require_approval").exit_code == 0
    return url


def _scan_cmd(db: str, source: Path, *extra: str) -> list[str]:
    code = "import sys; from forum_guard.cli import main; sys.argv[0] = 'forum-guard'; main()"
    return [sys.executable, "-c", code, "scan", str(source), "--database", db, "--json", *extra]


def _state(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # not there yet (it is replaced atomically: never half written)
        return None


def _kill_midway(cmd: list[str], state: Path, sig: int, min_done: int = 2_000) -> subprocess.CompletedProcess[str]:
    """Start the scan, wait for a checkpoint past ``min_done`` posts, send ``sig`` to the scan's main
    process, and clean up whatever it leaves (its workers are in its own process group)."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            doc = _state(state)
            if doc is not None and doc["tally"]["scanned"] >= min_done:
                assert not doc["done"], "the scan finished before it could be interrupted"
                break
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.02)
        else:
            pytest.fail("no checkpoint within 120 s")
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=60)
        return subprocess.CompletedProcess(cmd, proc.returncode, out, err)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # the pool's workers, if any outlived their parent


def _ids(path: Path) -> list[Any]:
    return [json.loads(line)["id"] for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.mark.slow
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_sigkill_then_resume_counts_every_post_once(db: str, tmp_path: Path, jobs: str) -> None:
    source = _posts(tmp_path / "posts.jsonl")
    clean_out = tmp_path / "clean.jsonl"
    clean = subprocess.run(_scan_cmd(db, source, "--jobs", jobs, "-o", str(clean_out)),
                           capture_output=True, text=True, timeout=300)
    assert clean.returncode == 1, clean.stderr  # the "not json" lines: exit 1, as documented
    expected = json.loads(clean.stdout)
    assert expected["posts"] == POSTS + len(range(0, POSTS, 997)) and expected["checked"] == POSTS

    state, out = tmp_path / "scan.state", tmp_path / "caught.jsonl"
    args = ("--jobs", jobs, "-o", str(out), "--state", str(state), "--checkpoint-every", "500")
    killed = _kill_midway(_scan_cmd(db, source, *args), state, signal.SIGKILL)
    assert killed.returncode == -signal.SIGKILL
    at_kill = _state(state)
    assert at_kill is not None and not at_kill["done"] and 0 < at_kill["tally"]["scanned"] < POSTS

    # without --resume an unfinished state is not thrown away
    refused = subprocess.run(_scan_cmd(db, source, *args), capture_output=True, text=True, timeout=120)
    assert refused.returncode == 1 and "--resume" in refused.stderr

    resumed = subprocess.run(_scan_cmd(db, source, *args, "--resume"), capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 1, resumed.stderr
    got = json.loads(resumed.stdout)
    assert got == expected  # every count, every list, the same errors: nothing twice, nothing missed
    caught = _ids(out)
    assert len(caught) == len(set(caught)) and caught == _ids(clean_out)
    assert out.read_bytes() == clean_out.read_bytes()
    assert _state(state)["done"] is True  # type: ignore[index]

    # resuming a finished scan reports it again without scanning
    again = subprocess.run(_scan_cmd(db, source, *args, "--resume"), capture_output=True, text=True, timeout=120)
    assert json.loads(again.stdout) == expected
    assert out.read_bytes() == clean_out.read_bytes()


@pytest.mark.slow
def test_ctrl_c_checkpoints_then_resume(db: str, tmp_path: Path) -> None:
    source = _posts(tmp_path / "posts.jsonl")
    expected = json.loads(subprocess.run(_scan_cmd(db, source, "--jobs", "1"), capture_output=True, text=True,
                                         timeout=300).stdout)
    state = tmp_path / "scan.state"
    args = ("--jobs", "1", "--state", str(state), "--checkpoint-every", "1000")
    stopped = _kill_midway(_scan_cmd(db, source, *args), state, signal.SIGINT)
    assert stopped.returncode == 130 and "--resume" in stopped.stderr
    resumed = subprocess.run(_scan_cmd(db, source, *args, "--resume"), capture_output=True, text=True, timeout=300)
    assert json.loads(resumed.stdout) == expected


def test_resume_refuses_a_different_scan(db: str, tmp_path: Path) -> None:
    source = _posts(tmp_path / "posts.jsonl", 300)
    state = tmp_path / "scan.state"
    doc = {"forum_guard_scan": 1, "source": {}, "params": {}, "version": 0, "pos": None, "output_bytes": None,
           "tally": {"scanned": 10, "read_errors": 0, "check_errors": 0, "by_action": {}, "by_list": {},
                     "posts_by_list": {}, "limits_hit": {}, "errors": []}, "done": False}
    # a real unfinished state: scan with --state, then mark it unfinished at its start
    r = _cli(db, "scan", str(source), "--jobs", "1", "--state", str(state), "--json")
    assert r.exit_code == 1
    saved = json.loads(state.read_text())
    saved.update(done=False, pos=None, tally=doc["tally"])
    state.write_text(json.dumps(saved))

    r = _cli(db, "scan", str(source), "--jobs", "1", "--state", str(state), "--resume", "--group", "guest")
    assert r.exit_code == 1 and "--group" in r.output
    _cli(db, "add", "rude", "newterm")
    r = _cli(db, "scan", str(source), "--jobs", "1", "--state", str(state), "--resume")
    assert r.exit_code == 1 and "rules changed" in r.output
    with source.open("a") as fh:
        fh.write(json.dumps({"id": "late", "text": "x"}) + "\n")
    r = _cli(db, "scan", str(source), "--jobs", "1", "--state", str(state), "--resume")
    assert r.exit_code == 1 and "differs" in r.output
    r = CliRunner().invoke(cli, ["scan", str(source), "--resume", "--database", db])
    assert r.exit_code == 2 and "--state" in r.output
    state.write_text("{}")
    r = _cli(db, "scan", str(source), "--state", str(state), "--resume")
    assert r.exit_code == 1 and "not a scan state file" in r.output


def test_sqlite_source_resumes_after_the_last_id(db: str, tmp_path: Path) -> None:
    import sqlite3

    forum = tmp_path / "forum.sqlite"
    conn = sqlite3.connect(forum)
    conn.execute("CREATE TABLE posts (id INTEGER PRIMARY KEY, content TEXT)")
    conn.executemany("INSERT INTO posts VALUES (?, ?)", [(i, TEXTS[i % len(TEXTS)]) for i in range(1, 3001)])
    conn.commit()
    conn.close()
    expected = json.loads(_cli(db, "scan", str(forum), "--jobs", "1", "--json").stdout)
    state = tmp_path / "scan.state"
    r = _cli(db, "scan", str(forum), "--jobs", "1", "--json", "--state", str(state))
    saved = json.loads(state.read_text())
    assert saved["done"] and saved["pos"] == {"row": 3000, "last_id": 3000}
    # pretend it stopped after 1,000 rows, with only their counts
    part = json.loads(_cli(db, "scan", str(_first_rows(forum, tmp_path, 1000)), "--jobs", "1", "--json",
                           "--state", str(tmp_path / "part.state")).stdout)
    partial = json.loads((tmp_path / "part.state").read_text())
    assert part["posts"] == 1000
    saved.update(done=False, pos=partial["pos"], tally=partial["tally"])
    state.write_text(json.dumps(saved))
    r = _cli(db, "scan", str(forum), "--jobs", "1", "--json", "--state", str(state), "--resume")
    got = json.loads(r.stdout)
    assert r.exit_code == 0 and got == expected


def _first_rows(forum: Path, tmp_path: Path, n: int) -> Path:
    import shutil
    import sqlite3

    copy = tmp_path / "first.sqlite"
    shutil.copy(forum, copy)
    conn = sqlite3.connect(copy)
    conn.execute("DELETE FROM posts WHERE id > ?", (n,))
    conn.commit()
    conn.close()
    return copy


def test_ctrl_c_while_a_batch_is_counted_counts_nothing_twice(db: str, tmp_path: Path, monkeypatch: Any) -> None:
    """Ctrl+C arriving while a batch's results are being added up (not only while posts are being
    checked) stops the scan after that batch: the checkpoint's tally and position agree, so the
    resumed scan reports what an uninterrupted one does. It once counted part of a batch twice."""
    from forum_guard.cli.scanner import BacklogScan, ScanRequest, ScanTally
    from forum_guard.store import Store

    source = _posts(tmp_path / "posts.jsonl", 3_000)
    snapshot = Store(db).snapshot()
    whole = BacklogScan(ScanRequest(source=source, jobs=1), snapshot)
    whole.run()
    expected = whole.summary()

    state = tmp_path / "scan.state"
    added = ScanTally.add
    calls = [0]

    def add_then_interrupt(self: ScanTally, r: Any) -> None:
        added(self, r)
        calls[0] += 1
        if calls[0] == 450:  # in the middle of the third batch of 200
            os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(ScanTally, "add", add_then_interrupt)
    first = BacklogScan(ScanRequest(source=source, jobs=1, state_file=state, checkpoint_every=100), snapshot)
    first.run()
    assert first.interrupted and 450 <= first.tally.scanned < 3_000
    monkeypatch.setattr(ScanTally, "add", added)
    resumed = BacklogScan(ScanRequest(source=source, jobs=1, state_file=state, resume=True,
                                      checkpoint_every=100), snapshot)
    resumed.run()
    assert resumed.finished and resumed.summary() == expected
