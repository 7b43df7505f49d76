#!/usr/bin/env python
"""Backlog scans at scale: ``forum-guard scan`` over a million generated posts (about 1 GB of JSONL).

    python benchmarks/scan_scale.py                   # 1,000,000 posts: --jobs 1, --jobs 2, kill + resume
    python benchmarks/scan_scale.py --posts 200000    # a smaller backlog (the report says so)
    python benchmarks/scan_scale.py --quick           # 20,000 posts, < 1 minute
    python benchmarks/scan_scale.py --json out.json   # also every figure as JSON

What it does, in a temporary folder it deletes afterwards (``--keep`` keeps it):

1. checks the free disk space (``shutil.disk_usage``) and refuses when the backlog would not fit twice;
2. writes ``posts.jsonl``: deterministic posts (a pure function of ``--seed``), English-like prose from
   ``benchmarks/_data.py``, lengths log-normal around 1 KB, a quarter of them HTML from a rich editor,
   about 8 % with a planted term (from the 10k benchmark list or the shipped profanity list);
3. makes a store (SQLite) with the shipped wordlists plus a 10,000-term ``bench`` list (the load
   benchmark's list);
4. runs ``forum-guard scan posts.jsonl --json -o caught.jsonl`` in a subprocess with ``--jobs 1``
   (one process: the per-process throughput) and ``--jobs N`` (every core), sampling the resident
   memory of the scan's whole process tree (main process, forkserver, workers; ``/proc``) every
   0.25 s, and relaying the scan's own progress lines;
5. runs it again with ``--state`` and kills the scan's main process with SIGKILL when about half is
   done, resumes it with ``--resume``, and compares the resumed summary and output file with those of
   the uninterrupted run: equal means every post was counted exactly once.

Progress goes to stderr, the Markdown report to stdout. Linux only (``/proc``).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
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
FG = [sys.executable, "-c", "import sys; from forum_guard.cli import main; sys.argv[0] = 'forum-guard'; main()"]


def log(msg: str) -> None:
    print(f"[{time.perf_counter() - _T0:7.1f}s] {msg}", file=sys.stderr, flush=True)


# ============================================================================================
# the backlog


def generate_posts(path: Path, n: int, seed: int, terms: list[str], offenders: list[str]) -> dict[str, Any]:
    """``n`` posts, one JSON object a line. Deterministic: the same seed gives the same bytes."""
    c = _data.corpus(max_terms=10_000, text_sizes=(2_048,))
    banned = frozenset(t for t in c.master[: 2 * c.real_count : 2] if " " not in t)
    prose = _data._Prose(random.Random(seed + 1), banned)
    text = prose.write(3_000_000, ())
    sentences = [s.strip() for s in re.split(r"(?<=[.?!])\s+", text) if len(s.strip()) > 3]
    rnd = random.Random(seed)
    # log-normal lengths, median ~750 and mean ~1,000 characters
    mu, sigma = 6.62, 0.78
    planted = html_posts = 0
    t0 = time.perf_counter()
    with path.open("w", encoding="utf-8", buffering=1 << 20) as fh:
        for i in range(1, n + 1):
            target = min(max(int(rnd.lognormvariate(mu, sigma)), 40), 12_000)
            parts: list[str] = []
            length = 0
            while length < target:
                s = rnd.choice(sentences)
                parts.append(s)
                length += len(s) + 1
            r = rnd.random()
            if r < 0.08:  # a planted term: 3 in 4 from the 10k list, else a shipped profanity word
                term = rnd.choice(terms) if r < 0.06 else rnd.choice(offenders)
                k = rnd.randrange(len(parts))
                words = parts[k].split(" ")
                words.insert(rnd.randrange(1, len(words) + 1), term)
                parts[k] = " ".join(words)
                planted += 1
            post: dict[str, Any] = {"id": i, "topic": 1 + i // 40, "author": f"user{rnd.randrange(50_000)}"}
            if rnd.random() < 0.25:  # rich editor HTML: paragraphs, some bold, a link now and then
                html_posts += 1
                paras, cur = [], []
                for s in parts:
                    cur.append(s)
                    if len(cur) >= rnd.randint(2, 5):
                        paras.append(" ".join(cur))
                        cur = []
                if cur:
                    paras.append(" ".join(cur))
                body = []
                for p in paras:
                    if rnd.random() < 0.2:
                        w = p.split(" ")
                        j = rnd.randrange(len(w))
                        w[j] = f"<strong>{w[j]}</strong>"
                        p = " ".join(w)
                    if rnd.random() < 0.1:
                        p += ' See <a href="https://example.org/t/' + str(rnd.randrange(10**6)) + '">this thread</a>.'
                    body.append(f"<p>{p}</p>")
                post["html"] = "\n".join(body)
            else:
                post["text"] = " ".join(parts)
            fh.write(json.dumps(post, ensure_ascii=False) + "\n")
            if i % 100_000 == 0:
                log(f"generated {i:,} posts")
    return {"posts": n, "bytes": path.stat().st_size, "planted": planted, "html_posts": html_posts,
            "seconds": time.perf_counter() - t0}


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 22), b""):
            h.update(chunk)
    return h.hexdigest()


def make_store(url: str, terms: list[str]) -> int:
    from forum_guard.store import Store

    store = Store(url)
    store.ensure_schema()
    store.seed_from_directory(REPO_ROOT / "wordlists")
    store.create_list("bench", action="block", description="10k benchmark terms", actor="bench")
    store.add_terms("bench", terms, actor="bench")
    version = store.version()
    store.close()
    return version


# ============================================================================================
# running a scan and watching its memory


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(b")") + 2:].split()[1])
        kids.setdefault(ppid, []).append(int(entry.name))
    return kids


def tree_rss(root: int) -> dict[int, int]:
    """Resident memory (kB) of ``root`` and every descendant."""
    kids = _children()
    out: dict[int, int] = {}
    todo = [root]
    while todo:
        pid = todo.pop()
        out[pid] = rss_kb(pid)
        todo.extend(kids.get(pid, []))
    return {p: r for p, r in out.items() if r}


@dataclass
class Run:
    label: str
    wall: float = 0.0
    returncode: int | None = None
    summary: dict[str, Any] | None = None
    peak_total_mb: float = 0.0
    peak_main_mb: float = 0.0
    peak_worker_mb: float = 0.0
    processes: int = 0
    rss_trace: list[tuple[float, float]] = field(default_factory=list)
    stderr_tail: str = ""
    killed_at: dict[str, Any] | None = None
    #: CPU seconds (user + system) of the whole tree: the last value seen of each process
    cpu_s: float = 0.0
    loadavg: tuple[float, float] = (0.0, 0.0)


def run_scan(label: str, args: list[str], *, kill_when: Path | None = None, kill_fraction: float = 0.5,
             total: int = 0) -> Run:
    """Run ``forum-guard scan`` with ``args``; with ``kill_when`` (a --state file), SIGKILL its main
    process once the checkpoint says ``kill_fraction`` of ``total`` posts are done."""
    run = Run(label)
    log(f"{label}: forum-guard scan {' '.join(args)}")
    proc = subprocess.Popen([*FG, "scan", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    err_lines: list[str] = []

    def relay() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            err_lines.append(line)
            if line.startswith("scanning:"):
                log(f"  {label}: {line.strip()}")

    relay_thread = threading.Thread(target=relay, daemon=True)
    relay_thread.start()
    out_chunks: list[str] = []
    reader = threading.Thread(target=lambda: out_chunks.append(proc.stdout.read()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    t0 = time.perf_counter()
    load0 = os.getloadavg()[0]
    cpu: dict[int, float] = {}
    try:
        while proc.poll() is None:
            rss = tree_rss(proc.pid)
            for pid in rss:
                cpu[pid] = max(cpu.get(pid, 0.0), cpu_seconds(pid))
            if rss:
                total_mb = sum(rss.values()) / 1024
                run.peak_total_mb = max(run.peak_total_mb, total_mb)
                run.peak_main_mb = max(run.peak_main_mb, rss.get(proc.pid, 0) / 1024)
                others = [v for p, v in rss.items() if p != proc.pid]
                if others:
                    run.peak_worker_mb = max(run.peak_worker_mb, max(others) / 1024)
                run.processes = max(run.processes, len(rss))
                run.rss_trace.append((time.perf_counter() - t0, total_mb))
            if kill_when is not None and run.killed_at is None:
                with contextlib.suppress(OSError, ValueError):
                    doc = json.loads(kill_when.read_text())
                    if doc["tally"]["scanned"] + doc["tally"]["read_errors"] >= kill_fraction * total:
                        run.killed_at = {"posts_checkpointed": doc["tally"]["scanned"] + doc["tally"]["read_errors"],
                                         "after_s": time.perf_counter() - t0}
                        os.kill(proc.pid, signal.SIGKILL)
                        log(f"  {label}: SIGKILL after {run.killed_at['after_s']:.1f}s, checkpoint at "
                            f"{run.killed_at['posts_checkpointed']:,} posts")
            time.sleep(0.25)
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # workers that outlived a killed main process
    run.wall = time.perf_counter() - t0
    run.returncode = proc.returncode
    run.cpu_s = sum(cpu.values())
    run.loadavg = (load0, os.getloadavg()[0])
    relay_thread.join(5)
    reader.join(5)
    run.stderr_tail = "".join(err_lines[-5:])
    out = "".join(out_chunks)
    if out.strip():
        with contextlib.suppress(ValueError):
            run.summary = json.loads(out)
    log(f"{label}: exit {run.returncode} in {run.wall:.1f}s, peak RSS {run.peak_total_mb:.0f} MB "
        f"({run.processes} processes)")
    return run


# ============================================================================================
# report


def fmt_rate(posts: int, seconds: float) -> str:
    return f"{posts / seconds:,.0f}" if seconds > 0 else "n/a"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--posts", type=int, default=1_000_000, help="backlog size (default 1,000,000)")
    ap.add_argument("--quick", action="store_true", help="20,000 posts (under a minute)")
    ap.add_argument("--jobs", default=f"1,{os.cpu_count() or 1}", help="comma-separated --jobs values to time")
    ap.add_argument("--no-resume", action="store_true", help="skip the kill-and-resume run")
    ap.add_argument("--seed", type=int, default=_data.SEED)
    ap.add_argument("--workdir", type=Path, help="parent of the temporary folder (default: $TMPDIR)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder (posts.jsonl, the store)")
    ap.add_argument("--json", type=Path, help="also write every figure as JSON here")
    args = ap.parse_args(argv)
    n = 20_000 if args.quick else args.posts
    jobs_list = [int(j) for j in args.jobs.split(",") if j.strip()]

    parent = args.workdir or Path(tempfile.gettempdir())
    need = int(n * 1_100 * 2.3) + (200 << 20)  # the backlog, the outputs, the store, some slack
    free = shutil.disk_usage(parent).free
    log(f"disk: {free / 2**30:.1f} GiB free in {parent}, about {need / 2**30:.2f} GiB needed")
    if free < need:
        print(f"not enough disk space in {parent}: {free / 2**30:.1f} GiB free, {need / 2**30:.1f} GiB needed",
              file=sys.stderr)
        return 1
    work = Path(tempfile.mkdtemp(prefix="fg-scan-scale-", dir=parent))
    results: dict[str, Any] = {"posts": n, "jobs": jobs_list, "cpus": os.cpu_count(), "workdir": str(work)}
    try:
        c = _data.corpus(max_terms=10_000, text_sizes=(2_048,))
        terms = c.terms(10_000)
        offenders = [t for t in c.offenders if " " not in t]
        source = work / "posts.jsonl"
        log(f"generating {n:,} posts into {source}")
        gen = generate_posts(source, n, args.seed, terms, offenders)
        gen["sha256"] = sha256(source)
        results["generated"] = gen
        log(f"generated {gen['bytes'] / 1e6:,.0f} MB in {gen['seconds']:.1f}s (sha256 {gen['sha256'][:16]}…)")
        url = f"sqlite:///{work / 'store.sqlite'}"
        results["ruleset_version"] = make_store(url, terms)

        runs: dict[str, Run] = {}
        base = [str(source), "--database", url, "--json"]
        for j in jobs_list:
            runs[f"jobs{j}"] = run_scan(f"--jobs {j}", [*base, "--jobs", str(j), "-o", str(work / f"caught-{j}.jsonl")])
        resume_info: dict[str, Any] | None = None
        if not args.no_resume:
            j = max(jobs_list)
            state = work / "scan.state"
            out = work / "caught-resumed.jsonl"
            common = [*base, "--jobs", str(j), "-o", str(out), "--state", str(state)]
            killed = run_scan(f"--jobs {j} --state (killed)", common, kill_when=state, total=n)
            resumed = run_scan(f"--jobs {j} --resume", [*common, "--resume"])
            ref = runs.get(f"jobs{j}")
            same_summary = ref is not None and ref.summary is not None and resumed.summary == ref.summary
            same_output = (work / f"caught-{j}.jsonl").exists() and sha256(out) == sha256(work / f"caught-{j}.jsonl")
            ids = [json.loads(line)["id"] for line in out.open(encoding="utf-8")]
            resume_info = {"killed": killed, "resumed": resumed, "same_summary": same_summary,
                           "same_output": same_output, "output_lines": len(ids), "unique_ids": len(set(ids))}
        report(results, runs, resume_info, gen)
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            results["runs"] = {k: {**r.__dict__, "rss_trace": r.rss_trace[::8]} for k, r in runs.items()}
            if resume_info:
                results["resume"] = {k: (v.__dict__ if isinstance(v, Run) else v) for k, v in resume_info.items()}
            args.json.write_text(json.dumps(results, indent=2, default=str))
        bad = [r for r in runs.values() if r.summary is None]
        return 1 if bad else 0
    finally:
        if args.keep:
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
            log(f"deleted {work}")


def report(results: dict[str, Any], runs: dict[str, Run], resume: dict[str, Any] | None, gen: dict[str, Any]) -> None:
    n = results["posts"]
    p = print
    p(f"# forum-guard scan at scale: {n:,} posts\n")
    p(f"- backlog: {gen['bytes'] / 1e6:,.0f} MB JSONL ({gen['bytes'] / 2**30:.2f} GiB), "
      f"{gen['html_posts']:,} HTML posts, {gen['planted']:,} with a planted term; generated in "
      f"{gen['seconds']:.0f}s; sha256 `{gen['sha256'][:16]}…`")
    p(f"- rules: the shipped lists + a 10,000-term `bench` list (ruleset version {results['ruleset_version']}); "
      f"{results['cpus']} CPUs; Python {sys.version.split()[0]}\n")
    p("| run | wall | posts/s | per process | CPU µs/post | peak RSS, whole tree | main process | largest worker "
      "| processes | load avg start → end |")
    p("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in runs.values():
        s = r.summary or {}
        posts = int(s.get("posts", 0))
        j = int(s.get("jobs", 1) or 1)
        per = f"{posts / r.wall / j:,.0f}" if r.wall and posts else "n/a"
        cpu = f"{r.cpu_s / posts * 1e6:,.0f}" if posts else "n/a"
        p(f"| {r.label} | {r.wall:,.1f} s | {fmt_rate(posts, r.wall)} | {per} | {cpu} | {r.peak_total_mb:,.0f} MB | "
          f"{r.peak_main_mb:,.0f} MB | {r.peak_worker_mb:,.0f} MB | {r.processes} | "
          f"{r.loadavg[0]:.1f} → {r.loadavg[1]:.1f} |")
    p("\nCPU µs/post: user + system time of the scan's whole process tree (startup included) per post; it "
      "depends much less than the wall-clock figures on what else the machine runs.")
    p("")
    for r in runs.values():
        s = r.summary or {}
        if s:
            p(f"- {r.label}: {s['posts']:,} posts, {s['checked']:,} checked, actions {s['actions']}, "
              f"errors {s['error_count']}, exit {r.returncode}")
        else:
            p(f"- {r.label}: no summary (exit {r.returncode}): {r.stderr_tail.strip()[-300:]}")
    if len(runs) >= 2:
        rs = list(runs.values())
        if rs[0].wall and rs[-1].wall:
            p(f"- speed-up {rs[-1].label} over {rs[0].label}: {rs[0].wall / rs[-1].wall:.2f}×")
    if resume:
        k, r = resume["killed"], resume["resumed"]
        p("\n## Interrupted and resumed\n")
        p("| step | wall | exit | posts in the checkpoint / summary |")
        p("|---|---:|---:|---:|")
        at = (k.killed_at or {}).get("posts_checkpointed")
        p(f"| {k.label} (SIGKILL to the main process) | {k.wall:,.1f} s | {k.returncode} | {at if at is None else f'{at:,}'} |")
        posts = (r.summary or {}).get("posts")
        p(f"| {r.label} | {r.wall:,.1f} s | {r.returncode} | {posts if posts is None else f'{posts:,}'} |")
        p("")
        p(f"- resumed summary identical to the uninterrupted run's: **{resume['same_summary']}**")
        p(f"- resumed `--output` file byte-identical to the uninterrupted run's: **{resume['same_output']}** "
          f"({resume['output_lines']:,} lines, {resume['unique_ids']:,} distinct ids)")
        p(f"- peak RSS of the resumed run: {r.peak_total_mb:,.0f} MB")


if __name__ == "__main__":
    sys.exit(main())
