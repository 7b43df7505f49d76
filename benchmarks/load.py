#!/usr/bin/env python
"""Load test: the demo forum under gunicorn on 127.0.0.1, with and without forum_guard.

    python benchmarks/load.py --quick            # < 60 s: every phase, briefly (what CI runs)
    python benchmarks/load.py                    # the full matrix, a reload phase, a 60 s soak
    python benchmarks/load.py --soak 600         # the same with a 10-minute soak
    python benchmarks/load.py --json out.json    # also every figure as JSON

Everything runs on this machine, on loopback, bounded in time (``--cell-seconds`` per cell) and in
requests (``--max-requests`` per cell). See ``docs/RELIABILITY-load.md`` for what is measured and the
figures. Progress goes to stderr, the Markdown report to stdout.

The set-up, in a temporary folder deleted afterwards:

* three instance folders of the demo forum (``forum_guard.demo:create_app()``), identical but for
  their ``config.py``: ``on`` (forum_guard checks and sanitizes each draft once), ``off``
  (``FORUM_GUARD_ENABLED = False``: no rule is checked, the HTML is sanitized with bleach as any
  forum does: the honest baseline) and ``raw`` (off, and the HTML stored as sent: the baseline of
  earlier rounds, which no real forum is; kept to compare with them); CSRF stays on;
  the live check's per-user rate limit is raised to 1,000,000 per minute (one client machine plays
  every member, and the default 120 per minute would answer 429);
* the store (SQLite) holds the shipped lists plus a 10,000-term ``bench`` list (the speed
  benchmark's terms, ``benchmarks/_data.py``), imported with the store API; the forum has
  ``--topics`` topics and 64 member accounts;
* three gunicorn servers, one per instance, ``--workers`` workers each (``--worker-class`` sync by
  default), on free ports of 127.0.0.1. The cells take turns between them, so a burst of load from
  something else on the machine hits them alike.

The load generator is Python threads with ``http.client``, one keep-alive connection per thread (a
sync worker closes it after each response; the client reconnects). Each thread is one signed-in
member: before the clock starts it signs in (``POST /signin``) and reads the CSRF token and the
session cookie of its page, as a browser would; it then sends ``X-CSRFToken`` with each live check
and ``csrf_token`` with each reply. The drafts are ~2 KB of rich-editor HTML (paragraphs, bold,
links, a list, a quote, two emoji); 4 in 5 are clean, 1 in 5 holds a term of the 10k list.

* live check: ``POST /forum-guard/check`` ``{"content": draft, "html": true}`` → 200 JSON;
* reply: ``POST /t/<id>/reply`` (form) → 302 (saved) or 422 (blocked, the topic page again with
  the notice; expected for the offending drafts when forum_guard is on).

Any other status, a wrong verdict or a connection error counts as an error.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import math
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import _data  # noqa: E402
from _proc import cpu_seconds, rss_kb  # noqa: E402

_T0 = time.perf_counter()
SECRET_KEY = "forum-guard-load-benchmark"  # a throwaway instance on loopback
PASSWORD = "load-benchmark-password"
MEMBERS = 64
LIVE_CHECK_RATE = "1000000 per minute"
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def log(msg: str) -> None:
    print(f"[{time.perf_counter() - _T0:7.1f}s] {msg}", file=sys.stderr, flush=True)


# ============================================================================================
# inputs


@dataclass(frozen=True)
class Drafts:
    clean: tuple[str, ...]
    offending: tuple[str, ...]
    #: every 5th request sends an offending draft
    every: int = 5

    def pick(self, i: int) -> tuple[str, bool]:
        if i % self.every == self.every - 1:
            return self.offending[(i // self.every) % len(self.offending)], True
        return self.clean[i % len(self.clean)], False


def make_drafts(terms: list[str]) -> Drafts:
    c = _data.corpus(max_terms=10_000, text_sizes=(2_048,))
    banned = frozenset(t for t in c.master[: 2 * c.real_count : 2] if " " not in t)
    synthetic = [t for t in terms[2 * c.real_count:] if t.isalpha()]
    clean = tuple(_data._html_draft(_data._Prose(random.Random(_data.SEED + 100 + i), banned), (), target=2_048)
                  for i in range(16))
    offending = tuple(_data._html_draft(_data._Prose(random.Random(_data.SEED + 200 + i), banned),
                                        synthetic[500 + 97 * i: 502 + 97 * i], target=2_048) for i in range(8))
    return Drafts(clean, offending)


# ============================================================================================
# the servers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


#: the ``raw`` server's config: the HTML is stored as sent (a sanitizer that changes nothing, for
#: this comparison only; no forum should serve posted HTML so)
_AS_SENT = (
    "# the raw baseline: posted HTML kept as sent (benchmarks/load.py only)\n"
    "from forum_guard.engine.draft import sanitizers as _sanitizers\n\n\n"
    "class _AsSent:\n"
    "    name = 'as-sent'\n\n"
    "    def __call__(self, html):\n"
    "        return html, ()\n\n\n"
    "_sanitizers.SANITIZERS['as-sent'] = _AsSent\n"
    "_sanitizers.use_sanitizer('as-sent')\n"
)
#: the servers, in the order a cell's first round visits them
SERVERS = ("on", "off", "raw")


def write_config(instance: Path, enabled: bool, reload_seconds: float, *, as_sent: bool = False) -> None:
    (instance / "config.py").write_text(
        "# written by benchmarks/load.py\n"
        f"SECRET_KEY = {SECRET_KEY!r}\n"
        "DEMO_ANNOUNCE = False\n"
        f"DEMO_MODERATOR_PASSWORD = {PASSWORD!r}\n"
        f"FORUM_GUARD_ENABLED = {enabled!r}\n"
        f"FORUM_GUARD_RELOAD_SECONDS = {reload_seconds!r}\n"
        "# one client machine plays every member here: the per-user limits of the live check and of\n"
        "# posting (120 and 20 per minute by default) are raised out of the way, so the limiters still\n"
        "# run but never refuse\n"
        f"FORUM_GUARD_LIVE_CHECK_RATE = {LIVE_CHECK_RATE!r}\n"
        f"FORUM_GUARD_POST_RATE = {LIVE_CHECK_RATE!r}\n" + (_AS_SENT if as_sent else ""),
        encoding="utf-8")


def seed_instance(instance: Path, terms: list[str], topics: int, reload_seconds: float) -> dict[str, Any]:
    """The demo's databases: shipped lists + the 10k ``bench`` list, topics, member accounts."""
    from sqlalchemy import insert
    from werkzeug.security import generate_password_hash

    instance.mkdir(parents=True)
    write_config(instance, True, reload_seconds)
    os.environ["FORUM_GUARD_DEMO_INSTANCE"] = str(instance)
    from forum_guard.demo import create_app
    from forum_guard.demo.models import Post, Topic, User, db

    app = create_app()
    try:
        with app.app_context():
            state = app.extensions["forum_guard"]
            store = state.store
            store.create_list("bench", action="block", description="10k load-benchmark terms", actor="load.py")
            store.add_terms("bench", terms, actor="load.py")
            session = db()
            cheap = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")  # sign-in is not measured
            session.execute(insert(User), [{"name": f"member{i:02d}", "password_hash": cheap, "group": "member"}
                                           for i in range(MEMBERS)])
            session.execute(insert(Topic), [{"title": f"Load topic {i}", "status": "published"} for i in range(topics)])
            session.commit()
            first = session.query(Topic.id).filter(Topic.title.like("Load topic %")).order_by(Topic.id).all()
            session.execute(insert(Post), [{"topic_id": t.id, "content": "<p>First post.</p>", "status": "published"}
                                           for t in first])
            session.commit()
            topic_ids = [t.id for t in first]
            snap = store.snapshot()
            info = {"version": snap.version, "lists": {wl.name: len(wl.terms) for wl in snap.lists},
                    "topic_ids": topic_ids, "store_url": state.config["FORUM_GUARD_DATABASE_URL"]}
    finally:
        state = app.extensions.get("forum_guard")
        if state is not None:
            with contextlib.suppress(Exception):
                state.source.close()
            if state.store is not None:
                state.store.close()
        app.extensions["demo_engine"].dispose()
        os.environ.pop("FORUM_GUARD_DEMO_INSTANCE", None)
    return info


def check_drafts(instance: Path, drafts: Drafts) -> Drafts:
    """Keep the clean drafts the rules allow for a member and the offending ones they block."""
    from forum_guard.engine.policy import Guard
    from forum_guard.store import Store, limits_from_dict

    store = Store("sqlite:///" + str(instance / "forum_guard.sqlite"))
    snap = store.snapshot()
    store.close()
    guard = Guard(list(snap.lists), limits_from_dict(snap.limits))
    clean = tuple(d for d in drafts.clean if guard.check(d, html=True, group="member").action.value == "allow")
    bad = tuple(d for d in drafts.offending if guard.check(d, html=True, group="member").action.value == "block")
    if len(clean) < len(drafts.clean) or len(bad) < len(drafts.offending):
        log(f"drafts: kept {len(clean)}/{len(drafts.clean)} clean and {len(bad)}/{len(drafts.offending)} offending")
    if not clean or not bad:
        raise SystemExit("the generated drafts do not behave as expected under the rules")
    return Drafts(clean, bad)


@dataclass
class Server:
    name: str
    instance: Path
    port: int
    proc: subprocess.Popen[bytes]
    log_path: Path

    def cpu_seconds(self) -> float:
        """User + system CPU time of the master and its workers so far."""
        return sum(cpu_seconds(p) for p in [self.proc.pid, *self.worker_pids()])

    def worker_pids(self) -> list[int]:
        try:
            with open(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children") as fh:
                return [int(p) for p in fh.read().split()]
        except OSError:
            return []


def start_server(name: str, instance: Path, workers: int, worker_class: str, threads: int) -> Server:
    port = free_port()
    log_path = instance / "gunicorn.log"
    cmd = [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--worker-class", worker_class,
           "--bind", f"127.0.0.1:{port}", "--timeout", "60", "--graceful-timeout", "5",
           "--log-level", "warning", "--error-logfile", str(log_path)]
    if worker_class == "gthread":
        cmd += ["--threads", str(threads)]
    cmd.append("forum_guard.demo:create_app()")
    env = {**os.environ, "FORUM_GUARD_DEMO_INSTANCE": str(instance)}
    proc = subprocess.Popen(cmd, env=env, cwd=str(instance), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    server = Server(name, instance, port, proc, log_path)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn ({name}) exited: {tail(log_path)}")
        with contextlib.suppress(OSError, http.client.HTTPException):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/")
            if conn.getresponse().status == 200:
                conn.close()
                break
            conn.close()
        time.sleep(0.2)
    else:
        stop_server(server)
        raise RuntimeError(f"gunicorn ({name}) did not answer within 60 s: {tail(log_path)}")
    log(f"server {name}: gunicorn pid {proc.pid}, {workers} {worker_class} workers on 127.0.0.1:{port}")
    return server


def stop_server(server: Server) -> None:
    """SIGTERM to the master (graceful), then SIGKILL to its process group if it lingers."""
    proc = server.proc
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=15)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)


def tail(path: Path, n: int = 1500) -> str:
    try:
        return path.read_text(errors="replace")[-n:]
    except OSError:
        return "(no log)"


# ============================================================================================
# the client


class Conn:
    """One keep-alive HTTP/1.1 connection that reconnects when the server closes it."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, http.client.HTTPResponse, bytes]:
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            try:
                self.conn.request(method, path, body=body, headers=headers or {})
                resp = self.conn.getresponse()
                data = resp.read()
            except (ConnectionError, http.client.RemoteDisconnected, http.client.BadStatusLine):
                # a sync worker closed the idle keep-alive connection: once more on a new one
                self.close()
                if attempt:
                    raise
                continue
            if resp.will_close:
                self.close()
            return resp.status, resp, data
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


@dataclass
class Member:
    cookie: str
    token: str


def sign_in(port: int, n: int, topic_id: int) -> Member:
    """What a browser does: the sign-in page, the form, then a topic page for its CSRF token."""
    c = Conn(port)
    try:
        status, resp, body = c.request("GET", "/signin")
        cookie = _cookie(resp, "")
        token = CSRF_META.search(body.decode()).group(1)  # type: ignore[union-attr]
        form = urllib.parse.urlencode({"csrf_token": token, "name": f"member{n:02d}", "password": PASSWORD})
        status, resp, body = c.request("POST", "/signin", form.encode(), {
            "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
        if status != 302:
            raise RuntimeError(f"sign-in of member{n:02d}: HTTP {status}")
        cookie = _cookie(resp, cookie)
        status, resp, body = c.request("GET", f"/t/{topic_id}", headers={"Cookie": cookie})
        cookie = _cookie(resp, cookie)
        token = CSRF_META.search(body.decode()).group(1)  # type: ignore[union-attr]
        return Member(cookie, token)
    finally:
        c.close()


def _cookie(resp: http.client.HTTPResponse, old: str) -> str:
    for value in resp.headers.get_all("Set-Cookie") or []:
        if value.startswith("session="):
            return value.split(";", 1)[0]
    return old


@dataclass
class Sample:
    kind: str
    start: float
    latency: float
    status: int
    ok: bool
    offending: bool = False


@dataclass
class CellResult:
    label: str
    server: str
    kind: str
    concurrency: int
    elapsed: float = 0.0
    samples: list[Sample] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    #: CPU seconds the server (master + workers) and this client process used during the cell
    server_cpu: float = 0.0
    client_cpu: float = 0.0

    def stats(self, kind: str | None = None, since: float | None = None, until: float | None = None,
              clean_only: bool = False) -> dict[str, Any]:
        s = [x for x in self.samples if (kind is None or x.kind == kind)
             and (since is None or x.start >= since) and (until is None or x.start < until)
             and not (clean_only and x.offending)]
        lat = sorted(x.latency for x in s)
        span = self.elapsed if since is None and until is None else ((until or self.elapsed) - (since or 0.0))
        errors = sum(1 for x in s if not x.ok)
        whole = kind is None and since is None and until is None and not clean_only
        return {"requests": len(s), "rps": len(s) / span if span > 0 else 0.0,
                "server_cpu_ms": self.server_cpu / len(s) * 1e3 if whole and s else None,
                "client_cpu_ms": self.client_cpu / len(s) * 1e3 if whole and s else None,
                "p50_ms": pct(lat, 50) * 1e3, "p90_ms": pct(lat, 90) * 1e3, "p99_ms": pct(lat, 99) * 1e3,
                "max_ms": (lat[-1] if lat else 0.0) * 1e3, "mean_ms": (statistics.fmean(lat) if lat else 0.0) * 1e3,
                "errors": errors, "statuses": dict(Counter(x.status for x in s))}


def pct(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of a sorted list."""
    if not sorted_values:
        return 0.0
    k = max(0, min(len(sorted_values) - 1, math.ceil(p / 100 * len(sorted_values)) - 1))
    return sorted_values[k]


def run_load(server: Server, members: list[Member], topic_ids: list[int], drafts: Drafts, kind: str,
             concurrency: int, seconds: float, max_requests: int, enabled: bool, label: str = "") -> CellResult:
    """``concurrency`` threads, each one member, sending back to back until ``seconds`` pass or
    ``max_requests`` are sent. ``kind``: "check", "reply" or "mix" (they alternate)."""
    result = CellResult(label or f"{kind} c={concurrency}", server.name, kind, concurrency)
    lock = threading.Lock()
    sent = 0
    start_barrier = threading.Barrier(concurrency + 1)
    t0 = 0.0
    deadline = 0.0

    def worker(w: int) -> None:
        nonlocal sent
        member = members[w % len(members)]
        conn = Conn(server.port)
        local: list[Sample] = []
        errs: Counter[str] = Counter()
        check_headers = {"Content-Type": "application/json", "X-CSRFToken": member.token, "Cookie": member.cookie}
        form_headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": member.cookie}
        i = w * 7919
        start_barrier.wait()
        try:
            while True:
                with lock:
                    if sent >= max_requests:
                        break
                    sent += 1
                now = time.perf_counter()
                if now >= deadline:
                    break
                draft, offending = drafts.pick(i)
                k = kind if kind != "mix" else ("check" if i % 2 == 0 else "reply")
                if k == "check":
                    path = "/forum-guard/check"
                    body = json.dumps({"content": draft, "html": True}).encode()
                    headers = check_headers
                else:
                    path = f"/t/{topic_ids[i % len(topic_ids)]}/reply"
                    body = urllib.parse.urlencode({"csrf_token": member.token, "content": draft}).encode()
                    headers = form_headers
                i += 1
                t = time.perf_counter()
                try:
                    status, _resp, data = conn.request("POST", path, body, headers)
                except (OSError, http.client.HTTPException) as exc:
                    latency = time.perf_counter() - t
                    local.append(Sample(k, t - t0, latency, 0, False, offending))
                    errs[f"{k}: {type(exc).__name__}: {exc}"] += 1
                    conn.close()
                    continue
                latency = time.perf_counter() - t
                ok, why = judge(k, status, data, offending, enabled)
                if not ok:
                    errs[f"{k}: {why}"] += 1
                local.append(Sample(k, t - t0, latency, status, ok, offending))
        finally:
            conn.close()
            with lock:
                result.samples.extend(local)
                result.errors.update(errs)

    threads = [threading.Thread(target=worker, args=(w,), daemon=True) for w in range(concurrency)]
    for t in threads:
        t.start()
    cpu0, own0 = server.cpu_seconds(), _own_cpu()
    t0 = time.perf_counter()
    deadline = t0 + seconds
    start_barrier.wait()
    for t in threads:
        t.join(seconds + 120)
    result.server_cpu, result.client_cpu = server.cpu_seconds() - cpu0, _own_cpu() - own0
    result.elapsed = max((s.start + s.latency for s in result.samples), default=seconds)
    return result


def _own_cpu() -> float:
    t = os.times()
    return t.user + t.system


def judge(kind: str, status: int, data: bytes, offending: bool, enabled: bool) -> tuple[bool, str]:
    if kind == "check":
        if status != 200:
            return False, f"HTTP {status} {data[:120]!r}"
        try:
            action = json.loads(data)["action"]
        except (ValueError, KeyError):
            return False, "not a verdict"
        want = "block" if (offending and enabled) else "allow"
        return (action == want, f"verdict {action}, expected {want}")
    if status == 302:
        return (not (offending and enabled), "an offending reply was saved")
    if status == 422 and offending and enabled:
        return True, ""
    return False, f"HTTP {status} {data[:120]!r}"


# ============================================================================================
# phases


@dataclass
class Plan:
    quick: bool
    concurrency: tuple[int, ...]
    cell_seconds: float
    rounds: int
    max_requests: int
    reload_seconds: float
    reload_concurrency: int
    soak_seconds: float
    soak_concurrency: int
    soak_kind: str
    sample_every: float


def matrix(servers: dict[str, Server], members: dict[str, list[Member]], topic_ids: list[int], drafts: Drafts,
           plan: Plan) -> list[CellResult]:
    """Every endpoint × concurrency on every server. A cell is ``plan.rounds`` short runs per server,
    each round in another order (on, off, raw; then off, raw, on; …) so that load from elsewhere on
    the machine, which comes and goes, falls on all alike; the samples of the rounds are pooled."""
    cells: list[CellResult] = []
    names = [name for name in SERVERS if name in servers]
    for kind in ("check", "reply"):
        for c in plan.concurrency:
            merged = {name: CellResult(f"{kind} c={c}", name, kind, c) for name in names}
            seconds = plan.cell_seconds / plan.rounds
            for rnd in range(plan.rounds):
                shift = rnd % len(names)
                order = names[shift:] + names[:shift]
                for name in order:
                    r = run_load(servers[name], members[name], topic_ids, drafts, kind, c, seconds,
                                 max(1, plan.max_requests // plan.rounds), enabled=(name == "on"))
                    m = merged[name]
                    m.samples.extend(r.samples)
                    m.errors.update(r.errors)
                    m.elapsed += r.elapsed
                    m.server_cpu += r.server_cpu
                    m.client_cpu += r.client_cpu
            for name in names:
                st = merged[name].stats()
                log(f"{name:>3} {kind:5} c={c:<3} {st['requests']:6} req {st['rps']:7.1f}/s  p50 {st['p50_ms']:7.1f} ms"
                    f"  p99 {st['p99_ms']:7.1f} ms  server CPU {st['server_cpu_ms']:.2f} ms/req  errors {st['errors']}")
                cells.append(merged[name])
    return cells


def reload_under_load(server: Server, members: list[Member], topic_ids: list[int], drafts: Drafts, plan: Plan,
                      store_url: str, editor: str) -> dict[str, Any]:
    """Mixed load (live check and reply) for a baseline stretch, then the same while a moderator adds
    a term every second; each new term is probed until the live check blocks it."""
    from forum_guard.store import Store

    store = Store(store_url)
    base_seconds = plan.reload_seconds / 2
    total = base_seconds + plan.reload_seconds
    edits: list[dict[str, Any]] = []
    stop = threading.Event()
    probe_member = members[-1]
    load_members = members[:-1]
    t_start = time.perf_counter() + 0.05

    def add(term: str) -> None:
        if editor == "cli":
            subprocess.run([sys.executable, "-c", "import sys; from forum_guard.cli import main; main()", "add",
                            "bench", term, "--database", store_url], check=True, capture_output=True)
        else:
            store.add_terms("bench", [term], actor="load.py", origin="api")

    def moderator() -> None:
        rnd = random.Random(_data.SEED + 5)
        until = time.perf_counter() + base_seconds
        while time.perf_counter() < until and not stop.is_set():
            time.sleep(0.05)
        conn = Conn(server.port)
        headers = {"Content-Type": "application/json", "X-CSRFToken": probe_member.token,
                   "Cookie": probe_member.cookie}
        n = 0
        try:
            while not stop.is_set():
                tick = time.perf_counter()
                term = "zqx" + "".join(rnd.choice("bcdfghjkmnpqrstvwz") for _ in range(7)) + f"{n:03d}"
                term = re.sub(r"\d", lambda m: "aeiou"[int(m.group()) % 5], term)
                n += 1
                add(term)
                added = time.perf_counter()
                entry: dict[str, Any] = {"term": term, "at": added - t_start, "enforced_after": None}
                edits.append(entry)
                body = json.dumps({"content": f"<p>well {term} then</p>", "html": True}).encode()
                # probe until blocked (or the next edit is due)
                while not stop.is_set():
                    with contextlib.suppress(OSError, http.client.HTTPException, ValueError):
                        status, _r, data = conn.request("POST", "/forum-guard/check", body, headers)
                        if status == 200 and json.loads(data)["action"] == "block":
                            entry["enforced_after"] = time.perf_counter() - added
                            break
                    if time.perf_counter() - added > 30:
                        break
                    time.sleep(0.05)
                rest = 1.0 - (time.perf_counter() - tick)
                if rest > 0:
                    stop.wait(rest)
        finally:
            conn.close()

    mod = threading.Thread(target=moderator, daemon=True)
    mod.start()
    r = run_load(server, load_members, topic_ids, drafts, "mix", plan.reload_concurrency, total, 10**9,
                 enabled=True, label="reload")
    stop.set()
    mod.join(40)
    # every term added is enforced by the end (several probes: they land on different workers)
    time.sleep(2.5)
    conn = Conn(server.port)
    headers = {"Content-Type": "application/json", "X-CSRFToken": probe_member.token, "Cookie": probe_member.cookie}
    final_misses = 0
    for e in edits:
        for _ in range(4):
            status, _r, data = conn.request("POST", "/forum-guard/check",
                                            json.dumps({"content": f"<p>{e['term']}</p>", "html": True}).encode(),
                                            headers)
            if status != 200 or json.loads(data)["action"] != "block":
                final_misses += 1
    conn.close()
    store.close()
    t_edit0 = base_seconds
    out = {"baseline": {k: r.stats(k, 0.0, t_edit0) for k in ("check", "reply")},
           "during": {k: r.stats(k, t_edit0, total) for k in ("check", "reply")},
           "edits": len(edits), "editor": editor,
           "enforced": [e["enforced_after"] for e in edits if e["enforced_after"] is not None],
           "never_enforced_in_probe": sum(1 for e in edits if e["enforced_after"] is None),
           "final_misses": final_misses, "final_probes": 4 * len(edits),
           "errors": dict(r.errors), "concurrency": plan.reload_concurrency,
           "baseline_seconds": base_seconds, "edit_seconds": plan.reload_seconds}
    enf = out["enforced"]
    log(f"reload: {len(edits)} terms added; enforced after median {statistics.median(enf) if enf else float('nan'):.2f}s,"
        f" max {max(enf) if enf else float('nan'):.2f}s; errors {sum(r.errors.values())}")
    return out


def soak(server: Server, members: list[Member], topic_ids: list[int], drafts: Drafts, plan: Plan) -> dict[str, Any]:
    """Mixed load for ``soak_seconds`` while the workers' resident memory is sampled."""
    samples: list[dict[str, Any]] = []
    stop = threading.Event()
    t0 = time.perf_counter()

    def sample() -> None:
        pids = server.worker_pids()
        samples.append({"t": time.perf_counter() - t0, "master": rss_kb(server.proc.pid),
                        "workers": {p: rss_kb(p) for p in pids}, "cpu": server.cpu_seconds(),
                        "load": os.getloadavg()[0]})

    def sampler() -> None:
        sample()
        while not stop.wait(plan.sample_every):
            sample()
        sample()

    th = threading.Thread(target=sampler, daemon=True)
    th.start()
    log(f"soak: {plan.soak_seconds:.0f}s of {plan.soak_kind} load at c={plan.soak_concurrency}, RSS every "
        f"{plan.sample_every:.0f}s")
    r = run_load(server, members, topic_ids, drafts, plan.soak_kind, plan.soak_concurrency, plan.soak_seconds, 10**9,
                 enabled=True, label="soak")
    stop.set()
    th.join(10)
    pids = sorted({p for s in samples for p in s["workers"]})
    per_worker = []
    for p in pids:
        series = [s["workers"][p] for s in samples if p in s["workers"]]
        per_worker.append({"pid": p, "start_mb": series[0] / 1024, "end_mb": series[-1] / 1024,
                           "max_mb": max(series) / 1024, "samples": len(series)})
    totals = [sum(s["workers"].values()) / 1024 for s in samples]
    minute = 60.0 if plan.soak_seconds >= 180 else plan.soak_seconds / 3
    out = {"seconds": plan.soak_seconds, "concurrency": plan.soak_concurrency, "kind": plan.soak_kind, "all": r.stats(),
           "first": r.stats(None, 0.0, minute), "last": r.stats(None, r.elapsed - minute, r.elapsed + 1),
           "window_seconds": minute, "per_worker": per_worker,
           "total_start_mb": totals[0] if totals else 0.0, "total_end_mb": totals[-1] if totals else 0.0,
           "total_max_mb": max(totals) if totals else 0.0, "samples": len(samples),
           "worker_pids_changed": any(set(s["workers"]) != set(pids) for s in samples),
           "trace": [(round(s["t"], 1), round(sum(s["workers"].values()) / 1024, 1)) for s in samples],
           "timeline": timeline(r, samples, plan.soak_seconds),
           "errors": dict(r.errors)}
    log(f"soak: {out['all']['requests']} requests, {out['all']['errors']} errors; workers' RSS "
        f"{out['total_start_mb']:.0f} → {out['total_end_mb']:.0f} MB (max {out['total_max_mb']:.0f})")
    return out


def timeline(r: CellResult, samples: list[dict[str, Any]], seconds: float) -> list[dict[str, Any]]:
    """The soak in windows (60 s, or a sixth of a shorter soak): throughput, latency, the server's CPU
    per request, the workers' RSS and the machine's load average at the end of each window."""
    width = 60.0 if seconds >= 360 else max(seconds / 6, 1.0)
    out: list[dict[str, Any]] = []
    if not samples:
        return out

    def near(t: float) -> dict[str, Any]:
        return min(samples, key=lambda x: abs(x["t"] - t))

    a = 0.0
    while a < seconds - 1e-6:
        b = min(a + width, seconds)
        sa, sb = near(a), near(b)
        st = r.stats(None, sa["t"], sb["t"]) if sb["t"] > sa["t"] else r.stats(None, a, b)
        cpu = (sb["cpu"] - sa["cpu"]) / st["requests"] * 1e3 if st["requests"] and sb["t"] > sa["t"] else 0.0
        out.append({"from": a, "to": b, "rps": st["rps"], "p50_ms": st["p50_ms"], "p99_ms": st["p99_ms"],
                    "errors": st["errors"], "server_cpu_ms": cpu,
                    "workers_mb": sum(sb["workers"].values()) / 1024, "load": sb["load"]})
        a = b
    return out


# ============================================================================================
# report


def machine() -> dict[str, Any]:
    cpu = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    gunicorn = subprocess.run([sys.executable, "-m", "gunicorn", "--version"], capture_output=True, text=True).stdout.strip()
    return {"cpus": os.cpu_count(), "cpu": cpu, "python": sys.version.split()[0], "gunicorn": gunicorn,
            "loadavg": os.getloadavg()}


def report(res: dict[str, Any]) -> list[tuple[str, str, str]]:
    p = print
    cfg = res["config"]
    m = res["machine"]
    p("# forum_guard load test\n")
    p(f"- {m['cpus']} CPUs ({m['cpu']}), Python {m['python']}, {m['gunicorn']}; load average before "
      f"{m['loadavg'][0]:.2f}, after {res['loadavg_after'][0]:.2f} (other work on the machine shares the cores)")
    p(f"- gunicorn: {cfg['workers']} {cfg['worker_class']} workers"
      + (f" × {cfg['threads']} threads" if cfg["worker_class"] == "gthread" else "")
      + f" per server; rules: {', '.join(f'{k} {v}' for k, v in res['lists'].items())} terms "
      f"(version {res['version']}); reload interval {cfg['reload_interval']} s")
    p(f"- drafts: {res['drafts']['clean']} clean and {res['drafts']['offending']} offending, "
      f"{res['drafts']['bytes_min']}-{res['drafts']['bytes_max']} bytes of HTML; every 5th request offending")
    p(f"- each cell: {cfg['cell_seconds']} s or {cfg['max_requests']:,} requests per server, whichever first, in "
      f"{cfg['rounds']} rounds alternating between the servers; client and servers on the same {m['cpus']} cores\n")
    cells: list[CellResult] = res["cells"]

    def cell(name: str, kind: str, c: int, clean_only: bool = False) -> dict[str, Any] | None:
        for r in cells:
            if r.server == name and r.kind == kind and r.concurrency == c:
                return r.stats(clean_only=clean_only)
        return None

    verdicts: list[tuple[str, str, str]] = []
    def added(on: dict[str, Any] | None, base: dict[str, Any] | None) -> str:
        if not on or not base or not base["p50_ms"]:
            return "—"
        return f"{(on['p50_ms'] / base['p50_ms'] - 1) * 100:+.0f} %"

    for kind, title in (("check", "Live check `POST /forum-guard/check`"), ("reply", "Reply `POST /t/<id>/reply`")):
        p(f"## {title}\n")
        p("*on*: forum_guard checks and sanitizes; *off*: `FORUM_GUARD_ENABLED = False`, the HTML sanitized "
          "(bleach) and nothing checked, as a forum without forum_guard; *raw*: off, and the HTML stored as "
          "sent (the baseline of earlier rounds; no forum should).\n")
        p("| concurrency | server | req/s | p50 ms | p99 ms | errors | server CPU ms/req | on's p50 added |")
        p("|---:|---|---:|---:|---:|---:|---:|---:|")
        client = []
        for c in cfg["concurrency"]:
            on = cell("on", kind, c)
            for name in SERVERS:
                st = cell(name, kind, c)
                if st is None:
                    continue
                p(f"| {c} | {name} | {st['rps']:,.1f} | {st['p50_ms']:.1f} | {st['p99_ms']:.1f} | {st['errors']} | "
                  f"{st['server_cpu_ms']:.2f} | {'—' if name == 'on' else added(on, st)} |")
                client.append(st["client_cpu_ms"])
        if client:
            p(f"\nThe load generator itself used {min(client):.2f}-{max(client):.2f} ms of CPU per request on the same cores.")
        if kind == "reply":
            p("\nThe clean drafts alone (4 in 5; saved with a redirect by every server, so the same work but "
              "for the check):\n")
            p("| concurrency | on: p50 ms | off: p50 ms | raw: p50 ms | added to off | added to raw |")
            p("|---:|---:|---:|---:|---:|---:|")
            for c in cfg["concurrency"]:
                on, off, raw = (cell(name, kind, c, True) for name in SERVERS)
                if on and off:
                    p(f"| {c} | {on['p50_ms']:.1f} | {off['p50_ms']:.1f} | {raw['p50_ms'] if raw else float('nan'):.1f} | "
                      f"{added(on, off)} | {added(on, raw)} |")
        p("")
    rl = res.get("reload")
    if rl:
        p(f"## Reload under load (mixed load at c={rl['concurrency']}; a term added every second "
          f"through the {'CLI' if rl['editor'] == 'cli' else 'store API'})\n")
        p("| stretch | endpoint | req/s | p50 ms | p99 ms | max ms | errors |")
        p("|---|---|---:|---:|---:|---:|---:|")
        for stretch, label in (("baseline", f"no edits ({rl['baseline_seconds']:.0f} s)"),
                               ("during", f"a term a second ({rl['edit_seconds']:.0f} s)")):
            for k in ("check", "reply"):
                s = rl[stretch][k]
                p(f"| {label} | {k} | {s['rps']:,.1f} | {s['p50_ms']:.1f} | {s['p99_ms']:.1f} | {s['max_ms']:.0f} | "
                  f"{s['errors']} |")
        enf = rl["enforced"]
        p("")
        if enf:
            p(f"- {rl['edits']} terms added; each enforced by the live check after median "
              f"{statistics.median(enf):.2f} s, max {max(enf):.2f} s (reload interval {cfg['reload_interval']} s); "
              f"{rl['never_enforced_in_probe']} not seen enforced before the next edit")
        p(f"- afterwards, {rl['final_probes'] - rl['final_misses']}/{rl['final_probes']} probes of the added terms "
          f"were blocked")
        p("")
    sk = res.get("soak")
    if sk:
        what = {"mix": "mixed load (live checks and replies in turn)", "check": "live checks",
                "reply": "replies"}[sk["kind"]]
        p(f"## Soak: {sk['seconds']:.0f} s of {what} at c={sk['concurrency']}\n")
        a, f, last = sk["all"], sk["first"], sk["last"]
        p(f"- {a['requests']:,} requests, {a['rps']:,.1f}/s, p50 {a['p50_ms']:.1f} ms, p99 {a['p99_ms']:.1f} ms, "
          f"errors {a['errors']}; first {sk['window_seconds']:.0f} s p50 {f['p50_ms']:.1f} ms / p99 {f['p99_ms']:.1f} ms, "
          f"last {sk['window_seconds']:.0f} s p50 {last['p50_ms']:.1f} ms / p99 {last['p99_ms']:.1f} ms")
        p(f"- workers' RSS ({sk['samples']} samples): total {sk['total_start_mb']:.0f} MB at the start, "
          f"{sk['total_end_mb']:.0f} MB at the end, {sk['total_max_mb']:.0f} MB max"
          + ("; a worker was replaced during the soak" if sk["worker_pids_changed"] else ""))
        p("\n| worker pid | start MB | end MB | max MB |")
        p("|---:|---:|---:|---:|")
        for w in sk["per_worker"]:
            p(f"| {w['pid']} | {w['start_mb']:.1f} | {w['end_mb']:.1f} | {w['max_mb']:.1f} |")
        p("\n| window | req/s | p50 ms | p99 ms | errors | server CPU ms/req | workers' RSS MB | load avg |")
        p("|---|---:|---:|---:|---:|---:|---:|---:|")
        for w in sk["timeline"]:
            p(f"| {w['from']:.0f}-{w['to']:.0f} s | {w['rps']:,.1f} | {w['p50_ms']:.1f} | {w['p99_ms']:.1f} | "
              f"{w['errors']} | {w['server_cpu_ms']:.2f} | {w['workers_mb']:.1f} | {w['load']:.2f} |")
        p("")

    # targets
    for base, label in (("off", "a forum that sanitizes its HTML"), ("raw", "HTML stored as sent")):
        reply_added = []
        for c in cfg["concurrency"]:
            on, other = cell("on", "reply", c), cell(base, "reply", c)
            if on and other and other["p50_ms"]:
                reply_added.append((c, (on["p50_ms"] / other["p50_ms"] - 1) * 100))
        if reply_added:
            worst = max(reply_added, key=lambda x: x[1])
            verdicts.append((f"forum_guard adds ≤ 25 % to the reply POST p50 (against {label})",
                             "PASS" if worst[1] <= 25 else "FAIL",
                             ", ".join(f"c={c}: {a:+.0f} %" for c, a in reply_added)))
    checks = [(c, cell("on", "check", c)) for c in cfg["concurrency"]]
    best = max(((c, s["rps"]) for c, s in checks if s), key=lambda x: x[1], default=None)
    if best:
        verdicts.append(("live check ≥ 500 req/s with 10k-term lists", "PASS" if best[1] >= 500 else "FAIL",
                         f"best {best[1]:,.0f} req/s at c={best[0]}"))
    total_errors = sum(r.stats()["errors"] for r in cells)
    total_requests = sum(r.stats()["requests"] for r in cells)
    if rl:
        total_errors += sum(rl[s][k]["errors"] for s in ("baseline", "during") for k in ("check", "reply"))
        total_requests += sum(rl[s][k]["requests"] for s in ("baseline", "during") for k in ("check", "reply"))
    if sk:
        total_errors += sk["all"]["errors"]
        total_requests += sk["all"]["requests"]
    verdicts.append(("no error responses", "PASS" if total_errors == 0 else "FAIL",
                     f"{total_errors} errors in {total_requests:,} requests"))
    if rl and rl["enforced"]:
        base_p99 = max(rl["baseline"][k]["p99_ms"] for k in ("check", "reply"))
        during_p99 = max(rl["during"][k]["p99_ms"] for k in ("check", "reply"))
        verdicts.append(("reload under load: no errors, every added term enforced",
                         "PASS" if not rl["errors"] and rl["final_misses"] == 0 else "FAIL",
                         f"p99 {base_p99:.0f} ms without edits, {during_p99:.0f} ms with a term a second"))
    if sk and sk["per_worker"]:
        growth = (sk["total_end_mb"] - sk["total_start_mb"]) / sk["total_start_mb"] * 100 if sk["total_start_mb"] else 0
        verdicts.append((f"memory stable over the {sk['seconds']:.0f} s soak (workers' RSS grows < 10 %)",
                         "PASS" if growth < 10 else "FAIL",
                         f"{sk['total_start_mb']:.0f} → {sk['total_end_mb']:.0f} MB ({growth:+.1f} %), max "
                         f"{sk['total_max_mb']:.0f} MB"))
    p("## Targets\n")
    p("| target | result | figure |")
    p("|---|---|---|")
    for name, verdict, figure in verdicts:
        p(f"| {name} | **{verdict}** | {figure} |")
    errors: Counter[str] = Counter()
    for r in cells:
        errors.update(r.errors)
    if rl:
        errors.update(rl["errors"])
    if sk:
        errors.update(sk["errors"])
    if errors:
        p("\nErrors seen:\n")
        for msg, n in errors.most_common(10):
            p(f"- {n} × {msg}")
    return verdicts


# ============================================================================================


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="every phase briefly; under a minute (CI)")
    ap.add_argument("--workers", type=int, default=2, help="gunicorn workers per server (default 2)")
    ap.add_argument("--worker-class", choices=["sync", "gthread"], default="sync")
    ap.add_argument("--threads", type=int, default=4, help="threads per gthread worker")
    ap.add_argument("--concurrency", default=None, help="comma-separated client concurrencies (default 1,4,16,32)")
    ap.add_argument("--cell-seconds", type=float, default=None, help="seconds per cell (default 8; --quick 2)")
    ap.add_argument("--rounds", type=int, default=None,
                    help="a cell alternates between the servers in this many rounds (default 4; --quick 2)")
    ap.add_argument("--max-requests", type=int, default=20_000, help="request cap per cell and server (default 20,000)")
    ap.add_argument("--reload-seconds", type=float, default=None,
                    help="seconds of edits in the reload phase, after half as long without (default 20; --quick 4)")
    ap.add_argument("--reload-editor", choices=["store", "cli"], default="store",
                    help="add terms with the store API (default) or `forum-guard add` subprocesses")
    ap.add_argument("--reload-interval", type=float, default=2.0, help="FORUM_GUARD_RELOAD_SECONDS (default 2)")
    ap.add_argument("--soak", type=float, default=None, help="soak seconds (default 60; --quick 8; 0: none)")
    ap.add_argument("--soak-concurrency", type=int, default=8)
    ap.add_argument("--soak-kind", choices=["mix", "check", "reply"], default="mix",
                    help="what the soak sends: live checks and replies in turn (default), or one of them")
    ap.add_argument("--only", default="matrix,reload,soak", help="phases: matrix, reload, soak")
    ap.add_argument("--topics", type=int, default=2_000, help="topics the replies are spread over")
    ap.add_argument("--json", type=Path, help="also write every figure as JSON here")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = ap.parse_args(argv)

    quick = args.quick
    plan = Plan(
        quick=quick,
        concurrency=tuple(int(c) for c in (args.concurrency or ("1,16" if quick else "1,4,16,32")).split(",")),
        cell_seconds=args.cell_seconds or (2.0 if quick else 8.0),
        rounds=args.rounds or (2 if quick else 4),
        max_requests=args.max_requests,
        reload_seconds=args.reload_seconds if args.reload_seconds is not None else (4.0 if quick else 20.0),
        reload_concurrency=8,
        soak_seconds=args.soak if args.soak is not None else (8.0 if quick else 60.0),
        soak_concurrency=args.soak_concurrency,
        soak_kind=args.soak_kind,
        sample_every=1.0 if quick else (2.0 if (args.soak or 60) <= 120 else 5.0),
    )
    phases = {p.strip() for p in args.only.split(",")}
    res: dict[str, Any] = {"machine": machine(), "config": {
        "workers": args.workers, "worker_class": args.worker_class, "threads": args.threads,
        "concurrency": plan.concurrency, "cell_seconds": plan.cell_seconds, "rounds": plan.rounds,
        "max_requests": plan.max_requests,
        "reload_interval": args.reload_interval, "quick": quick}}
    work = Path(tempfile.mkdtemp(prefix="fg-load-"))
    servers: dict[str, Server] = {}

    def on_signal(signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_signal)
    try:
        c = _data.corpus(max_terms=10_000, text_sizes=(2_048,))
        terms = c.terms(10_000)
        log("seeding the demo forum: shipped lists + 10k bench terms, topics, members")
        info = seed_instance(work / "on", terms, args.topics, args.reload_interval)
        shutil.copytree(work / "on", work / "off")
        write_config(work / "off", False, args.reload_interval)
        shutil.copytree(work / "on", work / "raw")
        write_config(work / "raw", False, args.reload_interval, as_sent=True)
        drafts = check_drafts(work / "on", make_drafts(terms))
        sizes = [len(d.encode()) for d in drafts.clean + drafts.offending]
        res.update(version=info["version"], lists=info["lists"],
                   drafts={"clean": len(drafts.clean), "offending": len(drafts.offending),
                           "bytes_min": min(sizes), "bytes_max": max(sizes)})
        for name in SERVERS:
            servers[name] = start_server(name, work / name, args.workers, args.worker_class, args.threads)
        topic_ids = info["topic_ids"]
        n_members = min(MEMBERS, max(*plan.concurrency, plan.soak_concurrency, plan.reload_concurrency) + 1)
        members = {name: [sign_in(s.port, n, topic_ids[n]) for n in range(n_members)]
                   for name, s in servers.items()}
        # warm-up: every worker compiles its ruleset on its first check
        for name, s in servers.items():
            run_load(s, members[name], topic_ids, drafts, "mix", 2 * args.workers, 1.5 if quick else 3.0, 10**9,
                     enabled=(name == "on"), label="warm-up")
        log("warmed up")
        res["cells"] = matrix(servers, members, topic_ids, drafts, plan) if "matrix" in phases else []
        for name in ("off", "raw"):
            stop_server(servers.pop(name))  # the rest runs on the forum_guard server alone
        if "reload" in phases and plan.reload_seconds > 0:
            res["reload"] = reload_under_load(servers["on"], members["on"], topic_ids, drafts, plan,
                                              info["store_url"], args.reload_editor)
        if "soak" in phases and plan.soak_seconds > 0:
            res["soak"] = soak(servers["on"], members["on"], topic_ids, drafts, plan)
        res["loadavg_after"] = os.getloadavg()
        server_logs = {name: tail(s.log_path, 4000) for name, s in servers.items()}
        verdicts = report(res)
        res["targets"] = verdicts
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            dump = {**res, "cells": [{"label": r.label, "server": r.server, "kind": r.kind,
                                      "concurrency": r.concurrency, "stats": r.stats(), "errors": dict(r.errors)}
                                     for r in res["cells"]], "server_logs": server_logs}
            args.json.write_text(json.dumps(dump, indent=2, default=str))
        return 0
    finally:
        for s in servers.values():
            stop_server(s)
        if args.keep:
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
        log("servers stopped")

if __name__ == "__main__":
    sys.exit(main())
