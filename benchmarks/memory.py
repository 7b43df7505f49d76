"""What a worker holds in memory for a given list size.

Two measurements, each size in a fresh process so that one cannot inflate the next:

1. **The Guard alone.** A process imports forum_guard and takes its base RSS; then it reads N terms
   (the same generated terms as the speed benchmark, :mod:`_data`, written to a file by the parent),
   makes the WordList, compiles a Guard and runs one check. Reported: the RSS all that keeps (terms,
   automaton, tables; after the compile, with the heap trimmed), the peak over the base while
   compiling, and the peak while a second Guard is compiled next to the first (what a hot reload
   costs: the old ruleset serves until the new one is swapped in).
2. **A real worker.** A SQLite store holds the shipped lists plus a block list of N terms; one gunicorn
   worker serves a minimal app (ForumGuard on that store, the admin pages) and answers ``POST
   /probe`` with its own VmRSS/VmHWM after a check. Then a term is added to the store and the
   worker's hot reload is awaited, :data:`RELOADS` times, and its RSS and peak are read again (no
   Guard outlives its reload, but glibc keeps part of the freed heap: the RSS settles after a few).
   N = 0 is the baseline (shipped lists).

Usage (the project's interpreter; Linux: it reads /proc):

    python benchmarks/memory.py                      # 1k, 10k, 100k terms; Markdown on stdout
    python benchmarks/memory.py --sizes 1000,10000   # other sizes
    python benchmarks/memory.py --no-worker          # only the Guard-alone table (no gunicorn)
    python benchmarks/memory.py --json benchmarks/results/memory.json

Progress goes to stderr, the report to stdout. MB are MiB (2**20 bytes).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))
if importlib.util.find_spec("forum_guard") is None:  # run from a checkout without `pip install -e`
    sys.path.insert(1, str(REPO_ROOT))

from _proc import reset_peak, status_bytes, trim_heap  # noqa: E402

DEFAULT_SIZES = (1_000, 10_000, 100_000)
#: hot reloads the worker goes through (one term added each time)
RELOADS = 4
MB = 2**20


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def bench_terms(n: int) -> list[str]:
    from _data import corpus

    return corpus(max_terms=max(n, 100), text_sizes=(2_048,)).terms(n)


# --- 1. the Guard alone (child process) -------------------------------------------------------


def child_guard(n: int, terms_file: Path) -> dict[str, Any]:
    """Everything the ruleset costs, measured from a base taken after the imports: the term
    objects (a Guard keeps its WordLists), the automaton and the matcher's tables."""
    from forum_guard import Guard, Limits
    from forum_guard.engine.terms import Term, WordList

    limits = Limits.default()
    Guard([WordList(name="warm", terms=(Term("warmup"),))], limits).check("warm up")  # lazy tables, imports
    trim_heap()
    base = status_bytes("VmRSS")
    reset_peak()
    t0 = time.perf_counter()
    words = terms_file.read_text("utf-8").splitlines()
    wordlist = WordList(name="bench", terms=tuple(Term(w) for w in words))
    guard = Guard([wordlist], limits)
    compile_s = time.perf_counter() - t0
    text = "A reply of a couple of sentences that mentions " + words[n // 2] + " once." + " More words." * 30
    del words
    assert guard.check(text).matches
    compile_peak = status_bytes("VmHWM")
    trim_heap()
    held = status_bytes("VmRSS")
    reset_peak()
    # a reload: a new snapshot (new term objects) compiles while the old ruleset serves
    fresh = WordList(name="bench", terms=tuple(Term(w) for w in terms_file.read_text("utf-8").splitlines()))
    again = Guard([fresh], limits)
    reload_peak = status_bytes("VmHWM")
    assert again.check(text).matches
    del again, fresh
    return {
        "terms": n, "compile_seconds": compile_s, "base_rss_mb": base / MB, "guard_mb": (held - base) / MB,
        "compile_peak_mb": (compile_peak - base) / MB, "reload_peak_mb": (reload_peak - base) / MB,
        "process_rss_mb": held / MB,
    }


def run_child(args: list[str], timeout: float = 900) -> dict[str, Any]:
    out = subprocess.run([sys.executable, str(Path(__file__).resolve()), *args], capture_output=True, text=True,
                         timeout=timeout)
    if out.returncode != 0:
        raise RuntimeError(f"child {args} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


# --- 2. a real gunicorn worker ----------------------------------------------------------------


def create_app() -> Any:
    """The worker's app: ForumGuard on the store at $MEMORY_DATABASE_URL, admin pages, ``/probe``."""
    from flask import Flask, jsonify, request

    from forum_guard.web.admin import init_admin
    from forum_guard.web.extension import ForumGuard, check

    app = Flask("memory")
    app.config.update(SECRET_KEY="memory-bench", FORUM_GUARD_DATABASE_URL=os.environ["MEMORY_DATABASE_URL"],
                      FORUM_GUARD_USE_STORE=True, FORUM_GUARD_SEED=False,
                      FORUM_GUARD_RELOAD_SECONDS=float(os.environ.get("MEMORY_RELOAD_SECONDS", "0.5")))
    ForumGuard(app)
    init_admin(app)

    @app.post("/probe")
    def probe() -> Any:
        verdict = check(request.form["text"], html=False, group="member")
        source = app.extensions["forum_guard"].source
        return jsonify(pid=os.getpid(), version=source.version, blocked=verdict.blocked,
                       rss=status_bytes("VmRSS"), hwm=status_bytes("VmHWM"),
                       compile_seconds=getattr(source, "last_compile_seconds", None))

    return app


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _probe(port: int, text: str) -> dict[str, Any]:
    req = urllib.request.Request(f"http://127.0.0.1:{port}/probe", data=urllib.parse.urlencode({"text": text}).encode(),
                                 method="POST")
    with urllib.request.urlopen(req, timeout=60) as resp:
        return json.loads(resp.read())  # type: ignore[no-any-return]


def measure_worker(n: int, workdir: Path) -> dict[str, Any]:
    from forum_guard.engine.terms import Term, WordList
    from forum_guard.store import Store

    url = f"sqlite:///{workdir}/worker-{n}.sqlite"
    store = Store(url)
    store.ensure_schema()
    store.seed_from_directory(REPO_ROOT / "wordlists")
    probe_text = "nothing to see here"
    if n:
        words = bench_terms(n)
        t0 = time.perf_counter()
        store.import_wordlists([WordList(name="bench", terms=tuple(Term(w) for w in words))])
        log(f"  stored {n} terms in {time.perf_counter() - t0:.1f}s")
        probe_text = f"a reply that mentions {words[n // 2]} once"
    port = _free_port()
    env = {**os.environ, "MEMORY_DATABASE_URL": url, "MEMORY_RELOAD_SECONDS": "0.5"}
    cmd = [sys.executable, "-m", "gunicorn", "--workers", "1", "--bind", f"127.0.0.1:{port}", "--pythonpath",
           str(HERE), "--timeout", "300", "--log-level", "warning", "memory:create_app()"]
    with open(workdir / f"gunicorn-{n}.log", "wb") as fh:
        proc = subprocess.Popen(cmd, env=env, stdout=fh, stderr=subprocess.STDOUT, cwd=workdir)
    try:
        deadline = time.monotonic() + 300
        while True:
            try:
                first = _probe(port, probe_text)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError((workdir / f"gunicorn-{n}.log").read_text()[-3000:]) from None
                time.sleep(0.1)
        assert first["blocked"] is bool(n), first
        for _ in range(20):  # a few more requests: the steady state, not the first one
            steady = _probe(port, probe_text)
        after = after_one = steady
        for i in range(RELOADS):  # the allocator settles after a few: the first reload costs the most
            old_version = after["version"]
            store.add_terms("bench" if n else "profanity", [f"zzreloadprobe{chr(ord('a') + i)}"])
            deadline = time.monotonic() + 120
            while True:
                after = _probe(port, probe_text)
                if after["version"] != old_version:
                    break
                if time.monotonic() > deadline:
                    raise RuntimeError("the worker did not reload")
                time.sleep(0.05)
            if i == 0:
                after_one = after
        return {"terms": n, "worker_rss_mb": steady["rss"] / MB, "worker_peak_first_mb": steady["hwm"] / MB,
                "worker_rss_after_reload_mb": after_one["rss"] / MB, "worker_rss_after_reloads_mb": after["rss"] / MB,
                "worker_peak_reload_mb": after["hwm"] / MB,
                "reload_compile_seconds": after["compile_seconds"]}
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        store.close()


# --- the report -------------------------------------------------------------------------------


def label(n: int) -> str:
    return f"{n // 1000}k" if n >= 1000 and n % 1000 == 0 else str(n)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)), help="comma-separated term counts")
    parser.add_argument("--no-worker", action="store_true", help="skip the gunicorn worker measurement")
    parser.add_argument("--json", type=Path, help="also write every figure as JSON here")
    parser.add_argument("--child", nargs=2, metavar=("N", "TERMS_FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        n, terms_file = args.child
        print(json.dumps(child_guard(int(n), Path(terms_file))))
        return 0
    sizes = [int(s) for s in args.sizes.split(",") if s]
    results: dict[str, Any] = {"guard": [], "worker": [], "python": sys.version.split()[0], "cpus": os.cpu_count()}
    with tempfile.TemporaryDirectory(prefix="fg-memory-") as tmp:
        for n in sizes:
            log(f"Guard alone, {n} terms ...")
            terms_file = Path(tmp) / f"terms-{n}.txt"
            terms_file.write_text("\n".join(bench_terms(n)), encoding="utf-8")
            results["guard"].append(run_child(["--child", str(n), str(terms_file)]))
    if not args.no_worker:
        if importlib.util.find_spec("gunicorn") is None:
            log("gunicorn is not installed (pip install 'forum-guard[server]'): no worker figures")
        else:
            with tempfile.TemporaryDirectory(prefix="fg-memory-") as tmp:
                for n in [0, *sizes]:
                    log(f"gunicorn worker, shipped lists + {n} terms ...")
                    results["worker"].append(measure_worker(n, Path(tmp)))

    print("### A Guard in one process (`python benchmarks/memory.py`)\n")
    print("| terms | compile | Guard held (RSS) | peak while compiling | peak while a 2nd compiles (reload) "
          "| process RSS with it |")
    print("|---|---|---|---|---|---|")
    for r in results["guard"]:
        print(f"| {label(r['terms'])} | {r['compile_seconds']:.2f} s | {r['guard_mb']:.1f} MB | "
              f"+{r['compile_peak_mb']:.1f} MB | +{r['reload_peak_mb']:.1f} MB | {r['process_rss_mb']:.0f} MB |")
    if results["guard"]:
        print(f"\nThe process before the Guard (Python, forum_guard, numpy, bleach): "
              f"{results['guard'][0]['base_rss_mb']:.0f} MB RSS. Peaks are over that base.")
    if results["worker"]:
        print("\n### One gunicorn worker on a SQLite store (shipped lists + N terms)\n")
        print(f"| extra terms | worker RSS (steady) | peak before any reload | RSS after 1 hot reload | "
              f"RSS after {RELOADS} | peak over the {RELOADS} reloads | reload compile |")
        print("|---|---|---|---|---|---|---|")
        for r in results["worker"]:
            cs = r["reload_compile_seconds"]
            print(f"| {label(r['terms'])} | {r['worker_rss_mb']:.0f} MB | {r['worker_peak_first_mb']:.0f} MB | "
                  f"{r['worker_rss_after_reload_mb']:.0f} MB | {r['worker_rss_after_reloads_mb']:.0f} MB | "
                  f"{r['worker_peak_reload_mb']:.0f} MB | "
                  + (f"{cs:.2f} s |" if cs is not None else "n/a |"))
    print(f"\nPython {results['python']}, {results['cpus']} CPUs; MB = MiB.")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
