#!/usr/bin/env python
"""Speed benchmark: forum_guard side by side with the matcher floor and its peers.

One process, the same texts and the same term lists for every subject; prints Markdown tables of
median latencies and ratios, a few forum_guard figures (build time, memory, latency flatness, HTML
check split) and a targets block. See ``benchmarks/README.md``.

    python benchmarks/speed.py                 # full run, ~5-10 minutes on 2 cores
    python benchmarks/speed.py --quick         # < 60 s, run in CI
    python benchmarks/speed.py --json out.json --only forum_guard,floor,html

The targets are a report, not an assertion: the exit status is 0 unless forum_guard itself crashed
(a peer that cannot be imported or fails is reported as n/a).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import gc
import importlib.metadata
import importlib.util
import itertools
import json
import math
import os
import platform
import re
import statistics
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))


def _other_checkout(argv: list[str]) -> str | None:
    """``--forum-guard-path DIR``: benchmark the forum_guard of another checkout (say, ``git
    worktree add /tmp/base <commit>``), with this harness: before/after figures on one harness."""
    for i, arg in enumerate(argv):
        if arg == "--forum-guard-path" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--forum-guard-path="):
            return arg.split("=", 1)[1]
    return None


_OTHER = _other_checkout(sys.argv[1:])
if _OTHER:
    # an editable install's finder would win over sys.path: drop it, put the checkout first
    sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in repr(f).lower()
                        and "editable" not in (getattr(f, "__module__", "") or "").lower()]
    sys.path.insert(0, str(Path(_OTHER).resolve()))
elif importlib.util.find_spec("forum_guard") is None:  # run from a checkout without `pip install -e`
    sys.path.insert(1, str(REPO_ROOT))

import _data  # noqa: E402  (needs the path set above)
from _data import LIST_SIZES, TEXT_SIZES, corpus, size_label  # noqa: E402
from _proc import reset_peak, status_bytes, trim_heap  # noqa: E402

CheckFn = Callable[[str], object]


_T0 = time.perf_counter()


def log(msg: str) -> None:
    """Progress goes to stderr so stdout stays clean Markdown."""
    print(f"[{time.perf_counter() - _T0:6.1f}s] {msg}", file=sys.stderr, flush=True)


# ============================================================================================
# plan


@dataclass(frozen=True)
class Plan:
    quick: bool
    list_sizes: tuple[int, ...]
    text_sizes: tuple[int, ...]
    #: samples per cell; the median is reported
    repeats: int
    #: a sample runs the call often enough to last at least this long (seconds)
    min_sample: float
    #: a cell whose single call is predicted to take longer than this is skipped (seconds)
    max_call: float
    #: fewer repeats when one subject's samples in a cell would take longer than this (seconds)
    cell_budget: float
    #: Guard builds of the 100k list timed for the build figure
    build_repeats: int
    #: peers (not forum_guard, floor, ahocorasick_rs) only on texts up to this size
    peer_max_text: int | None
    #: no new matrix cell starts after this many seconds from the start of the run
    time_budget: float


QUICK = Plan(quick=True, list_sizes=(1_000, 10_000), text_sizes=(200, 2_048, 20_480), repeats=10,
             min_sample=0.004, max_call=0.5, cell_budget=0.6, build_repeats=1, peer_max_text=2_048,
             time_budget=36.0)
FULL = Plan(quick=False, list_sizes=LIST_SIZES, text_sizes=TEXT_SIZES, repeats=24,
            min_sample=0.01, max_call=5.0, cell_budget=20.0, build_repeats=3, peer_max_text=None,
            time_budget=600.0)


# ============================================================================================
# measuring


def _run(fn: CheckFn, arg: str, number: int) -> float:
    """Seconds for ``number`` calls, with the garbage collector off (as timeit does)."""
    loop = itertools.repeat(None, number)
    gc_was_on = gc.isenabled()
    gc.disable()
    try:
        start = time.perf_counter()
        for _ in loop:
            fn(arg)
        return time.perf_counter() - start
    finally:
        if gc_was_on:
            gc.enable()


@dataclass
class Timing:
    median: float  # seconds per call
    best: float
    samples: list[float]  # seconds per call, one per sample
    number: int  # calls per sample

    @property
    def fast(self) -> float:
        """Seconds per call: the mean of the fastest quarter of the samples (what is reported)."""
        return _fast(self.samples)

    @property
    def halves(self) -> tuple[float, float]:
        """Medians of the first and of the second half of the samples: two shorter runs, taken
        minutes (or seconds) apart, whose disagreement estimates run-to-run spread."""
        k = max(1, len(self.samples) // 2)
        first, second = self.samples[:k], self.samples[k:] or self.samples[:k]
        return statistics.median(first), statistics.median(second)

    def to_dict(self) -> dict[str, Any]:
        return {"fast_us": self.fast * 1e6, "median_us": self.median * 1e6, "min_us": self.best * 1e6,
                "number": self.number,
                "repeats": len(self.samples), "halves_us": [h * 1e6 for h in self.halves],
                "samples_us": [round(s * 1e6, 3) for s in self.samples]}


def _fast(samples: list[float]) -> float:
    """The mean of the fastest quarter of ``samples``: on a shared machine load only ever adds
    time, so the fast samples are the ones a quiet machine would give, and they move far less from
    run to run than the median does."""
    ordered = sorted(samples)
    k = max(1, len(ordered) // 4)
    return statistics.fmean(ordered[:k])


def paired_ratio(a: Timing | None, b: Timing | None) -> float | None:
    """a / b as the ratio of their fast samples (see ``_fast``); the samples of a cell are taken
    in turns, so both saw the same stretch of time."""
    if a is None or b is None or not a.samples or not b.samples:
        return None
    fb = _fast(b.samples)
    return _fast(a.samples) / fb if fb else None


def ratio_spread(a: Timing | None, b: Timing | None) -> float | None:
    """How far a/b from the first half of the turns is from a/b from the second half, relative to
    the whole (|r1 - r2| / r): what two runs of half the length would disagree by."""
    if a is None or b is None or len(a.samples) < 4 or len(b.samples) < 4:
        return None
    ka, kb = len(a.samples) // 2, len(b.samples) // 2
    r1 = _fast(a.samples[:ka]) / _fast(b.samples[:kb])
    r2 = _fast(a.samples[ka:]) / _fast(b.samples[kb:])
    r = paired_ratio(a, b)
    return abs(r1 - r2) / r if r else None


@dataclass
class Job:
    """One thing to time: ``fn(arg)``."""

    key: Any
    fn: CheckFn
    arg: str
    max_number: int | None = None
    max_repeats: int | None = None


def _calibrate(job: Job, plan: Plan) -> tuple[int, float]:
    """timeit-style: the number of calls that makes a sample last >= ``plan.min_sample``, and
    how long such a sample takes."""
    _run(job.fn, job.arg, 1)  # warm-up: a lazy one-off set-up (a table built on first use) lands here
    first = _run(job.fn, job.arg, 1)  # a first estimate
    if job.max_number == 1 or first >= plan.min_sample:
        return 1, first
    number = max(1, math.ceil(plan.min_sample / max(first, 1e-7)))
    while True:
        if job.max_number:
            number = min(number, job.max_number)
        batch = _run(job.fn, job.arg, number)
        if batch >= plan.min_sample or (job.max_number and number >= job.max_number):
            return number, batch
        number = max(number * 2, math.ceil(number * plan.min_sample / max(batch, 1e-7) * 1.2))


def measure_group(jobs: list[Job], plan: Plan) -> dict[Any, Timing | BaseException]:
    """Time several jobs side by side: calibrate each, then take their samples in turns, so a
    burst of load on a shared machine hits all of them alike and their ratios stay fair.
    A job that raises gets its exception as its result."""
    out: dict[Any, Timing | BaseException] = {}
    runs: list[tuple[Job, int, int]] = []
    gc.collect()
    for job in jobs:
        try:
            number, per_batch = _calibrate(job, plan)
        except Exception as exc:  # reported by the caller
            out[job.key] = exc
            continue
        repeats = plan.repeats if job.max_repeats is None else min(plan.repeats, job.max_repeats)
        repeats = max(1, min(repeats, int(plan.cell_budget / max(per_batch, 1e-9))))
        runs.append((job, number, repeats))
    samples: dict[Any, list[float]] = {job.key: [] for job, _, _ in runs}
    for r in range(max((rep for _, _, rep in runs), default=0)):
        for job, number, repeats in runs:
            if r >= repeats or job.key in out:
                continue
            try:
                samples[job.key].append(_run(job.fn, job.arg, number) / number)
            except Exception as exc:
                out[job.key] = exc
    for job, number, _ in runs:
        got = samples[job.key]
        if job.key not in out and got:
            out[job.key] = Timing(statistics.median(got), min(got), got, number)
    return out


def measure(fn: CheckFn, arg: str, plan: Plan, **kw: Any) -> Timing:
    """One job on its own; raises what the job raises."""
    result = measure_group([Job("x", fn, arg, **kw)], plan)["x"]
    if isinstance(result, BaseException):
        raise result
    return result


# ============================================================================================
# subjects


@dataclass
class Prepared:
    """A subject built for one term list."""

    check: CheckFn
    #: how many matches one call reports (for the sanity column); None when not cheap to tell
    hits: Callable[[str], int] | None = None
    build_seconds: float = 0.0


@dataclass
class Subject:
    key: str
    label: str
    #: the distribution whose version is reported
    dist: str | None
    #: build for a term list; raises if the subject cannot run
    build: Callable[[list[str]], Prepared]
    #: what the subject is fed instead of the text, prepared outside the timing (lowercased for
    #: the raw automata, forum_guard's skeleton for its own automaton); None: the text
    prep: Callable[[str], str] | None = None
    #: its build time is forum_guard's (the own-keys floor): left out of the build table
    shares_build: bool = False
    max_terms: int | None = None
    max_text: int | None = None
    max_number: int | None = None
    max_repeats: int | None = None
    cap_note: str = ""
    #: forum_guard itself: an error here is a crash (exit 1), not an n/a
    is_ours: bool = False
    #: forum_guard and the two automata run on every cell; peers may be limited (--quick)
    core: bool = False


class GuardFactory:
    """Builds (and keeps) one Guard per list size, so extras reuse the matrix's Guards."""

    def __init__(self, largest_text: int) -> None:
        self.largest_text = largest_text
        self.cache: dict[int, Any] = {}
        self.note = ""

    def limits(self) -> Any:
        from forum_guard.engine.limits import Limits

        limits = Limits.default()
        cap = getattr(limits, "hard_cap", None)
        if isinstance(cap, int) and cap < self.largest_text:
            # default limits refuse big drafts before any work; lift the cap to measure the scan
            try:
                limits = dataclasses.replace(limits, hard_cap=self.largest_text + 1)
            except (TypeError, ValueError) as exc:
                self.note = f"forum_guard: could not lift Limits.hard_cap ({_short_error(exc)}): big texts are refused"
                return limits
            self.note = (f"forum_guard: Limits.hard_cap raised from {cap:,} to {self.largest_text + 1:,} "
                         f"characters so the {size_label(self.largest_text)} text is scanned, not refused")
        return limits

    def lists(self, words: list[str]) -> list[Any]:
        from forum_guard.engine.terms import Term, WordList

        return [WordList(name="bench", terms=tuple(Term(w) for w in words))]

    def guard(self, words: list[str]) -> tuple[Any, float]:
        n = len(words)
        if n in self.cache:
            return self.cache[n]
        from forum_guard import Guard

        lists = self.lists(words)
        limits = self.limits()
        start = time.perf_counter()
        guard = Guard(lists, limits) if limits is not None else Guard(lists)
        built = time.perf_counter() - start
        self.cache[n] = (guard, built)
        return guard, built


def make_subjects(factory: GuardFactory) -> list[Subject]:
    def forum_guard(words: list[str]) -> Prepared:
        guard, built = factory.guard(words)
        check = guard.check

        def run(text: str) -> object:
            return check(text, html=False, group="member")

        return Prepared(run, lambda t: len(run(t).matches), built)  # type: ignore[attr-defined]

    def floor(words: list[str]) -> Prepared:
        import ahocorasick

        start = time.perf_counter()
        automaton = ahocorasick.Automaton()
        for i, w in enumerate(words):
            automaton.add_word(w, i)
        automaton.make_automaton()
        built = time.perf_counter() - start
        it = automaton.iter

        def run(text_lower: str) -> None:
            for _ in it(text_lower):
                pass

        return Prepared(run, lambda t: sum(1 for _ in it(t)), built)

    def floor_own(words: list[str]) -> Prepared:
        guard, _ = factory.guard(words)
        automaton = _own_automaton(guard)
        it = automaton.iter

        def run(skeleton: str) -> None:
            for _ in it(skeleton):
                pass

        return Prepared(run, lambda t: sum(1 for _ in it(t)), 0.0)

    def trie(words: list[str]) -> Prepared:
        start = time.perf_counter()
        pattern = re.compile(rf"\b(?:{trie_regex(words)})\b", re.IGNORECASE)
        built = time.perf_counter() - start
        finditer = pattern.finditer

        def run(text: str) -> None:
            for _ in finditer(text):
                pass

        return Prepared(run, lambda t: sum(1 for _ in finditer(t)), built)

    def aho_rs(words: list[str]) -> Prepared:
        import ahocorasick_rs

        start = time.perf_counter()
        matcher = ahocorasick_rs.AhoCorasick(words)
        built = time.perf_counter() - start
        find = matcher.find_matches_as_indexes
        return Prepared(find, lambda t: len(find(t)), built)

    def regex(words: list[str]) -> Prepared:
        start = time.perf_counter()
        alternation = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
        pattern = re.compile(rf"\b(?:{alternation})\b", re.IGNORECASE)
        built = time.perf_counter() - start
        finditer = pattern.finditer

        def run(text: str) -> None:
            for _ in finditer(text):
                pass

        return Prepared(run, lambda t: sum(1 for _ in finditer(t)), built)

    def better_profanity(words: list[str] | None) -> Prepared:
        from better_profanity import Profanity

        start = time.perf_counter()
        # an instance per list: the same code as the module's `profanity` after load_censor_words(words)
        censor = Profanity(words) if words is not None else Profanity()
        built = time.perf_counter() - start
        return Prepared(censor.contains_profanity, None, built)

    def glin(words: list[str] | None) -> Prepared:
        from glin_profanity import Filter

        start = time.perf_counter()
        filt = Filter({"custom_words": words}) if words is not None else Filter()
        built = time.perf_counter() - start

        def hits(text: str) -> int:
            return len(filt.check_profanity(text).get("matches") or [])

        return Prepared(filt.is_profane, hits, built)

    bp_cap = "only lists <= 1k terms and texts <= 2 KB (it is very slow); 1 call a sample, 3 samples"
    return [
        Subject("forum_guard", "forum_guard", None, forum_guard, is_ours=True, core=True),
        Subject("floor", "floor: raw words", "pyahocorasick", floor, prep=str.lower, core=True),
        Subject("floor_own", "floor: own keys", "pyahocorasick", floor_own, prep=own_skeleton, core=True,
                shares_build=True),
        Subject("aho_rs", "ahocorasick_rs", "ahocorasick_rs", aho_rs, prep=str.lower, core=True),
        Subject("trie", "re trie", None, trie),
        Subject("regex", "re alternation", None, regex),
        Subject("bp", "better_profanity", "better_profanity", better_profanity, max_terms=1_000,
                max_text=2_048, max_number=1, max_repeats=3, cap_note=bp_cap),
        Subject("glin", "glin-profanity", "glin-profanity", glin),
        # their own bundled lists (not ours): one row per text, in a separate table
        Subject("bp_default", "better_profanity (own list)", "better_profanity",
                lambda _w: better_profanity(None), max_text=2_048, max_number=1, max_repeats=3),
        Subject("glin_default", "glin-profanity (own list)", "glin-profanity", lambda _w: glin(None)),
    ]


SAME_LIST = ("forum_guard", "floor", "floor_own", "aho_rs", "trie", "regex", "bp", "glin")
OWN_LIST = ("bp_default", "glin_default")
EXTRAS = ("build", "flatness", "html", "kinds", "shipped")
#: old --only spellings
ALIASES = {"unicode": "kinds"}


def own_skeleton(text: str) -> str:
    """What forum_guard's automaton walks for ``text``: its folded, collapsed, padded skeleton."""
    from forum_guard.engine.normalize import fold

    return fold(text).text


def _own_automaton(guard: Any) -> Any:
    """forum_guard's own (evasion) automaton: the true floor of its scan."""
    automaton = getattr(getattr(guard, "matcher", None), "_evasive", None)
    if automaton is None or not hasattr(automaton, "iter"):
        raise RuntimeError("this Guard has no pyahocorasick automaton at guard.matcher._evasive")
    return automaton


def trie_regex(words: Iterable[str]) -> str:
    """One regular expression (without boundaries) matching exactly ``words``, lowercased, built
    from their trie: shared prefixes are written once, so the regex engine follows one branch per
    character instead of trying every word (what the ``trieregex`` approach does)."""
    root: dict[str, Any] = {}
    for word in words:
        node = root
        for ch in word.lower():
            node = node.setdefault(ch, {})
        node[""] = None  # a word ends here

    def emit(node: dict[str, Any]) -> str:
        alternatives: list[str] = []
        leaves: list[str] = []
        for ch in sorted(k for k in node if k):
            tail = emit(node[ch])
            if tail:
                alternatives.append(re.escape(ch) + tail)
            else:
                leaves.append(ch)
        if leaves:
            alternatives.append(re.escape(leaves[0]) if len(leaves) == 1
                                else "[" + "".join(re.escape(c) for c in leaves) + "]")
        if not alternatives:
            return ""
        optional = "" in node
        if len(alternatives) == 1 and not optional:
            return alternatives[0]
        return "(?:" + "|".join(alternatives) + ")" + ("?" if optional else "")

    return emit(root)


# ============================================================================================
# the matrix


@dataclass
class Cell:
    status: str  # ok | capped | skipped | n/a | error
    timing: Timing | None = None
    hits: int | None = None
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"status": self.status}
        if self.timing:
            d.update(self.timing.to_dict())
        if self.hits is not None:
            d["hits"] = self.hits
        if self.reason:
            d["reason"] = self.reason
        return d

    @property
    def us(self) -> float | None:
        return self.timing.fast * 1e6 if self.timing and self.status == "ok" else None


@dataclass
class Results:
    plan: Plan
    cells: dict[tuple[str, int, int], Cell] = field(default_factory=dict)  # (subject, terms, text)
    builds: dict[tuple[str, int], float | str] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    unavailable: dict[str, str] = field(default_factory=dict)
    ours_crashed: list[str] = field(default_factory=list)

    def us(self, subject: str, terms: int, text: int) -> float | None:
        cell = self.cells.get((subject, terms, text))
        return cell.us if cell else None

    def ratio(self, a: str, b: str, terms: int, text: int) -> float | None:
        """a / b in one cell, from their fast samples (see ``paired_ratio``)."""
        ca, cb = self.cells.get((a, terms, text)), self.cells.get((b, terms, text))
        if not ca or not cb or ca.us is None or cb.us is None:
            return None
        return paired_ratio(ca.timing, cb.timing)


def _short_error(exc: BaseException) -> str:
    msg = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    msg = msg if len(msg) <= 160 else msg[:157] + "..."
    return f"{type(exc).__name__}: {msg}" if msg else type(exc).__name__


def _predict(res: Results, key: str, terms: int, text: int) -> float | None:
    """A lower bound on one call's seconds from cells already measured: time grows with the
    text (linearly) and does not shrink with more terms."""
    estimates = []
    for (k, n, size), cell in res.cells.items():
        if k != key or cell.timing is None:
            continue
        if n == terms and size < text:
            estimates.append(cell.timing.median * text / size)
        elif n < terms and size == text:
            estimates.append(cell.timing.median)
    return max(estimates) if estimates else None


def run_matrix(res: Results, subjects: list[Subject], texts: dict[int, str],
               planted: dict[int, int], all_terms: Callable[[int], list[str]]) -> None:
    """Same-list subjects per list size (n > 0), then the own-list peers (n == 0); in each cell
    every subject is timed side by side with the others."""
    plan = res.plan
    same = [s for s in subjects if s.key in SAME_LIST]
    own = [s for s in subjects if s.key in OWN_LIST]
    groups = [(n, same) for n in plan.list_sizes] + ([(0, own)] if own else [])
    for n, group in groups:
        label = f"{size_label_terms(n)} terms" if n else "own lists"
        prepared: dict[str, Prepared] = {}
        for subject in group:
            why = _not_built(res, subject, n)
            if why is not None:
                for size in plan.text_sizes:
                    res.cells[(subject.key, n, size)] = why
                continue
            log(f"build {subject.label} for {label}")
            try:
                prepared[subject.key] = subject.build(all_terms(n) if n else [])
                res.builds[(subject.key, n)] = prepared[subject.key].build_seconds
            except Exception as exc:  # a peer failing is a result, not a crash
                reason = f"build failed: {_short_error(exc)}"
                if isinstance(exc, ImportError):
                    res.unavailable[subject.key] = reason
                res.builds[(subject.key, n)] = reason
                for size in plan.text_sizes:
                    res.cells[(subject.key, n, size)] = Cell("n/a", reason=reason)
                if subject.is_ours:
                    res.ours_crashed.append(f"{subject.key} build ({label}): {traceback.format_exc()}")
        for size in plan.text_sizes:
            _measure_cells(res, [s for s in group if s.key in prepared], prepared, n, size,
                           texts, planted)
        prepared.clear()
        gc.collect()


def _not_built(res: Results, subject: Subject, n: int) -> Cell | None:
    if subject.key in res.unavailable:
        return Cell("n/a", reason=res.unavailable[subject.key])
    if subject.max_terms is not None and n > subject.max_terms:
        return Cell("capped", reason=subject.cap_note)
    if time.perf_counter() - _T0 > res.plan.time_budget:
        return Cell("skipped", reason=f"time budget of the run ({res.plan.time_budget:g} s) used up")
    return None


def _measure_cells(res: Results, subjects: list[Subject], prepared: dict[str, Prepared], n: int, size: int,
                   texts: dict[int, str], planted: dict[int, int]) -> None:
    plan = res.plan
    jobs: list[Job] = []
    hits: dict[str, int | None] = {}
    for subject in subjects:
        key = (subject.key, n, size)
        if subject.max_text is not None and size > subject.max_text:
            res.cells[key] = Cell("capped", reason=subject.cap_note or f"texts <= {size_label(subject.max_text)}")
            continue
        if not subject.core and plan.peer_max_text is not None and size > plan.peer_max_text:
            res.cells[key] = Cell("capped", reason=f"--quick: peers only on texts <= {size_label(plan.peer_max_text)}")
            continue
        if time.perf_counter() - _T0 > plan.time_budget:
            res.cells[key] = Cell("skipped", reason=f"time budget of the run ({plan.time_budget:g} s) used up")
            continue
        estimate = _predict(res, subject.key, n, size)
        if estimate is not None and estimate > plan.max_call:
            res.cells[key] = Cell("skipped", reason=f"est. {estimate:.1f} s a call > {plan.max_call:g} s cap")
            continue
        p = prepared[subject.key]
        try:
            arg = subject.prep(texts[size]) if subject.prep else texts[size]
            hits[subject.key] = p.hits(arg) if p.hits else None
        except Exception as exc:
            _failed(res, subject, key, exc)
            continue
        jobs.append(Job(subject.key, p.check, arg, subject.max_number, subject.max_repeats))
    if not jobs:
        return
    by_key = {s.key: s for s in subjects}
    log(f"time {size_label_terms(n) or 'own'} x {size_label(size)}: " + ", ".join(by_key[j.key].label for j in jobs))
    for subject_key, result in measure_group(jobs, plan).items():
        subject = by_key[subject_key]
        key = (subject.key, n, size)
        if isinstance(result, BaseException):
            _failed(res, subject, key, result)
            continue
        res.cells[key] = Cell("ok", result, hits.get(subject.key))
        if subject.is_ours and hits.get(subject.key) == 0 and planted.get(size):
            res.notes.append(f"forum_guard found no match in the {size_label(size)} text with {n:,} terms although "
                             f"{planted[size]} terms are planted in it: that figure may not be a full check")


def _failed(res: Results, subject: Subject, key: tuple[str, int, int], exc: BaseException) -> None:
    res.cells[key] = Cell("error", reason=_short_error(exc))
    if subject.is_ours:
        tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        res.ours_crashed.append(f"{subject.key} check ({key[1]} terms, {size_label(key[2])}): {tb}")


def size_label_terms(n: int) -> str:
    if n == 0:
        return ""
    return f"{n // 1000}k" if n >= 1000 and n % 1000 == 0 else str(n)


# ============================================================================================
# forum_guard extras


def _max_rss_mb() -> float:
    """The process's lifetime peak resident memory (not reset by reset_peak)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _memory_probe(build: Callable[[], Any]) -> tuple[Any, float, dict[str, Any]]:
    """Run ``build``; its result, seconds, and how the process's RSS moved (MB)."""
    gc.collect()
    trim_heap()
    rss_before = status_bytes("VmRSS")
    exact_peak = reset_peak()
    start = time.perf_counter()
    built = build()
    seconds = time.perf_counter() - start
    peak = status_bytes("VmHWM")
    gc.collect()
    rss_after = status_bytes("VmRSS")
    mem: dict[str, Any] = {}
    if rss_before is not None and peak is not None and rss_after is not None:
        mem = {"peak_rss_increase_mb": (peak - rss_before) / 2**20,
               "retained_rss_mb": (rss_after - rss_before) / 2**20, "peak_exact": exact_peak}
    else:
        import resource

        mem = {"maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    return built, seconds, mem


def extra_build(res: Results, factory: GuardFactory, words: list[str]) -> None:
    """Guard build time and RSS growth for the biggest list; pyahocorasick alone for scale."""
    from forum_guard import Guard

    n = len(words)
    lists = factory.lists(words)
    limits = factory.limits()
    out: dict[str, Any] = {"terms": n}
    # the bare automaton first, kept alive during the Guard build so neither reuses the other's memory
    automaton: Any = None
    try:
        import ahocorasick

        def floor_build() -> Any:
            a = ahocorasick.Automaton()
            for i, w in enumerate(words):
                a.add_word(w, i)
            a.make_automaton()
            return a

        automaton, seconds, mem = _memory_probe(floor_build)
        out["floor_build_seconds"] = seconds
        out["floor_mem"] = mem
    except Exception as exc:  # the reference figure is optional
        out["floor_error"] = _short_error(exc)
    guard, first, mem = _memory_probe(lambda: Guard(lists, limits))
    out.update(mem)
    del automaton
    reported = getattr(guard, "build_seconds", None)
    if isinstance(reported, float):
        out["guard_build_seconds_attr"] = reported
    factory.cache[n] = (guard, first)
    times = [first]
    for _ in range(res.plan.build_repeats - 1):
        gc.collect()
        start = time.perf_counter()
        again = Guard(lists, limits)
        times.append(time.perf_counter() - start)
        del again
    out["build_seconds"] = statistics.median(times)
    out["build_samples"] = times
    res.extras["build"] = out


def _fg_runner(factory: GuardFactory, corpus_: _data.Corpus, n: int, *, html: bool = False) -> CheckFn:
    guard, _ = factory.guard(corpus_.terms(n))
    check = guard.check

    def run(text: str) -> object:
        return check(text, html=html, group="member")

    return run


def _timed(results: dict[Any, Timing | BaseException], key: str) -> Timing:
    r = results[key]
    if isinstance(r, BaseException):
        raise r
    return r


def _floor_runner(words: list[str]) -> CheckFn:
    import ahocorasick

    automaton = ahocorasick.Automaton()
    for i, w in enumerate(words):
        automaton.add_word(w, i)
    automaton.make_automaton()
    it = automaton.iter

    def floor(t: str) -> None:
        for _ in it(t):
            pass

    return floor


def _own_floor_runner(guard: Any) -> CheckFn:
    it = _own_automaton(guard).iter

    def floor(skeleton: str) -> None:
        for _ in it(skeleton):
            pass

    return floor


#: the biggest list of the flatness figure in the full run (generated on demand: ~20 s)
HUGE_LIST = 1_000_000


def extra_flatness(res: Results, factory: GuardFactory, corpus_: _data.Corpus) -> None:
    """The 2 KB check with 1k, 100k and (full run) 1M terms, timed side by side, each next to
    both floors over the same list."""
    sizes = [1_000, max(LIST_SIZES)] + ([] if res.plan.quick else [HUGE_LIST])
    text = corpus_.texts[2_048]
    rows: dict[int, dict[str, Any]] = {}
    runners: dict[int, tuple[CheckFn, CheckFn, CheckFn]] = {}
    for n in sizes:
        if n != 1_000 and time.perf_counter() - _T0 > res.plan.time_budget + 60:
            rows[n] = {"error": "skipped: time budget of the run used up"}
            continue
        if n > len(corpus_.master):
            log(f"generating {n:,} terms ...")
            words = _data.corpus(n, (2_048,)).terms(n)
        else:
            words = corpus_.terms(n)
        log(f"build forum_guard for {n:,} terms")
        guard, built = factory.guard(words)
        check = guard.check
        runners[n] = ((lambda t, c=check: c(t, html=False, group="member")), _floor_runner(words),
                      _own_floor_runner(guard))
        rows[n] = {"terms": n, "build_seconds": built}
        del words
    jobs: list[Job] = []
    skeleton = own_skeleton(text)
    for n, (fg, floor, own) in runners.items():
        jobs += [Job(("fg", n), fg, text), Job(("floor", n), floor, text.lower()), Job(("own", n), own, skeleton)]
    got = measure_group(jobs, res.plan)
    for n in runners:
        fg_t = _timed(got, ("fg", n))
        rows[n].update({"us": fg_t.fast * 1e6, "floor_us": _timed(got, ("floor", n)).fast * 1e6,
                        "own_floor_us": _timed(got, ("own", n)).fast * 1e6,
                        "hits": len(runners[n][0](text).matches)})  # type: ignore[attr-defined]
    small = rows[1_000]["us"]
    for n in runners:
        rows[n]["vs_small"] = paired_ratio(_timed(got, ("fg", n)), _timed(got, ("fg", 1_000)))
    res.extras["flatness"] = {"text": "2 KB", "rows": [rows[n] for n in sizes],
                              "small_terms": 1_000, "big_terms": max(LIST_SIZES),
                              "small_us": small, "big_us": rows[max(LIST_SIZES)].get("us"),
                              "ratio": rows[max(LIST_SIZES)].get("vs_small"),
                              "huge_ratio": rows.get(HUGE_LIST, {}).get("vs_small")}
    for n in sizes:
        if n > max(LIST_SIZES):
            factory.cache.pop(n, None)  # a 1M-term Guard is big: let it go
    gc.collect()


def extra_kinds(res: Results, factory: GuardFactory, corpus_: _data.Corpus) -> None:
    """The 2 KB texts by kind (ASCII, dense, non-ASCII), 10k terms: forum_guard next to both
    floors, ahocorasick_rs and the trie regex, each kind timed side by side with the ASCII text."""
    n = 10_000
    words = corpus_.terms(n)
    guard, _ = factory.guard(words)
    run = _fg_runner(factory, corpus_, n)
    floor = _floor_runner(words)
    own = _own_floor_runner(guard)
    peers: dict[str, CheckFn] = {}
    try:
        import ahocorasick_rs

        peers["aho_rs"] = ahocorasick_rs.AhoCorasick(words).find_matches_as_indexes
    except Exception:  # optional here
        pass
    trie = re.compile(rf"\b(?:{trie_regex(words)})\b", re.IGNORECASE).finditer

    def trie_run(t: str) -> None:
        for _ in trie(t):
            pass

    ascii_text = corpus_.kinds["ascii"]
    rows: dict[str, dict[str, Any]] = {}
    for kind, text in corpus_.kinds.items():
        if time.perf_counter() - _T0 > res.plan.time_budget + 20:
            rows[kind] = {"error": "skipped: time budget of the run used up"}
            continue
        jobs = [Job("fg", run, text), Job("floor", floor, text.lower()), Job("own", own, own_skeleton(text)),
                Job("trie", trie_run, text)]
        jobs += [Job(k, fn, text.lower()) for k, fn in peers.items()]
        if kind != "ascii":
            jobs.append(Job("fg_ascii", run, ascii_text))
        got = measure_group(jobs, res.plan)
        fg_t = _timed(got, "fg")
        row: dict[str, Any] = {"chars": len(text), "bytes": len(text.encode()),
                               "hits": len(run(text).matches)}  # type: ignore[attr-defined]
        for key, result in got.items():
            if isinstance(result, Timing):
                row[f"{key}_us"] = result.fast * 1e6
        row["vs_floor"] = paired_ratio(fg_t, _timed(got, "floor"))
        row["vs_own"] = paired_ratio(fg_t, _timed(got, "own"))
        row["spread"] = ratio_spread(fg_t, _timed(got, "floor"))
        if kind != "ascii":
            row["vs_ascii"] = paired_ratio(fg_t, _timed(got, "fg_ascii"))
            row["spread_ascii"] = ratio_spread(fg_t, _timed(got, "fg_ascii"))
        rows[kind] = row
    res.extras["kinds"] = {"terms": n, "rows": rows,
                           "ascii_stages_us": _stage_medians(run, ascii_text, res.plan),
                           "dense_stages_us": _stage_medians(run, corpus_.kinds["dense"], res.plan)}


def _stage_medians(run: CheckFn, arg: str, plan: Plan) -> dict[str, float]:
    """Medians (µs) of the ``verdict.timings`` stages over enough calls to be steady; {} when
    the Guard does not fill them."""
    stages: dict[str, list[float]] = {}
    deadline = time.perf_counter() + (0.3 if plan.quick else 1.0)
    calls = 0
    while calls < 20 or (time.perf_counter() < deadline and calls < 2_000):
        for k, v in (getattr(run(arg), "timings", None) or {}).items():
            stages.setdefault(k, []).append(v)
        calls += 1
    return {k: statistics.median(v) * 1e6 for k, v in stages.items()}


_SANITIZE_KEY = re.compile(r"saniti|clean|bleach", re.IGNORECASE)


def extra_html(res: Results, factory: GuardFactory, corpus_: _data.Corpus) -> None:
    """The check of a rich 2.5 KB draft, split into sanitizing and the rest."""
    n = 10_000
    draft = corpus_.html_draft
    run = _fg_runner(factory, corpus_, n, html=True)
    verdict: Any = run(draft)
    out: dict[str, Any] = {"terms": n, "draft_bytes": len(draft.encode()), "hits": len(verdict.matches),
                           "action": getattr(verdict.action, "value", str(verdict.action))}
    out["stages_us"] = _stage_medians(run, draft, res.plan)
    jobs = [Job("total", run, draft)]
    source = ""
    for k in out["stages_us"]:
        if _SANITIZE_KEY.search(k):
            source = f"verdict.timings[{k!r}]"
            out["sanitize_us"] = out["stages_us"][k]
            break
    else:
        try:
            from forum_guard.engine import draft as draft_mod

            sanitize = draft_mod.sanitize
            sanitize(draft)
            jobs.append(Job("sanitize", sanitize, draft))
            source = "forum_guard.engine.draft.sanitize, timed side by side with the check"
        except Exception as exc:
            out["sanitize_error"] = _short_error(exc)
    got = measure_group(jobs, res.plan)
    out["total_us"] = _timed(got, "total").fast * 1e6
    if "sanitize" in got:
        try:
            out["sanitize_us"] = _timed(got, "sanitize").fast * 1e6
        except Exception as exc:
            out["sanitize_error"] = _short_error(exc)
    if "sanitize_us" in out:
        out["rest_us"] = max(out["total_us"] - out["sanitize_us"], 0.0)
        out["sanitize_source"] = source
    out["sanitizers"] = _sanitizer_split(run, draft, res.plan)
    res.extras["html"] = out


def _sanitizer_split(run: CheckFn, draft: str, plan: Plan) -> dict[str, Any]:
    """Each HTML sanitizer alone and the whole check under it, all timed side by side."""
    try:
        from forum_guard.engine.draft.sanitizers import SANITIZERS, get_sanitizer, use_sanitizer
    except ImportError as exc:  # a forum_guard without the sanitizer interface
        return {"error": _short_error(exc)}
    jobs: list[Job] = []
    errors: dict[str, str] = {}
    for name in SANITIZERS:
        try:
            sanitizer = get_sanitizer(name)
        except ImportError as exc:
            errors[name] = _short_error(exc)
            continue

        def check_under(text: str, name: str = name) -> object:
            use_sanitizer(name)
            return run(text)

        jobs += [Job(("sanitize", name), sanitizer, draft), Job(("check", name), check_under, draft)]
    try:
        got = measure_group(jobs, plan)
    finally:
        use_sanitizer(None)
    out: dict[str, Any] = {"errors": errors}
    for (what, name), result in got.items():
        if isinstance(result, Timing):
            out.setdefault(name, {})[f"{what}_us"] = result.fast * 1e6
    if "bleach" in out and "nh3" in out:
        b, n = out["bleach"], out["nh3"]
        out["sanitize_ratio"] = paired_ratio(got[("sanitize", "bleach")], got[("sanitize", "nh3")])  # type: ignore[arg-type]
        out["check_ratio"] = paired_ratio(got[("check", "bleach")], got[("check", "nh3")])  # type: ignore[arg-type]
        b["rest_us"], n["rest_us"] = b["check_us"] - b["sanitize_us"], n["check_us"] - n["sanitize_us"]
    return out


def extra_shipped(res: Results, corpus_: _data.Corpus) -> None:
    """The shipped configuration: Guard.from_directory('wordlists')."""
    from forum_guard import Guard

    directory = REPO_ROOT / "wordlists"
    start = time.perf_counter()
    guard = Guard.from_directory(directory)
    built = time.perf_counter() - start
    terms = sum(len(wl.terms) for wl in guard.lists)
    check = guard.check
    hard_cap = getattr(getattr(guard, "limits", None), "hard_cap", None)
    per_text: dict[str, Any] = {}
    for size in res.plan.text_sizes:
        text = corpus_.texts[size]
        if isinstance(hard_cap, int) and len(text) > hard_cap:
            per_text[size_label(size)] = {"status": "refused", "reason": f"over its hard_cap of {hard_cap:,} characters"}
            continue
        hits = len(check(text, html=False, group="member").matches)
        t = measure(lambda x: check(x, html=False, group="member"), text, res.plan)
        per_text[size_label(size)] = {"status": "ok", "us": t.fast * 1e6, "hits": hits}
    res.extras["shipped"] = {"directory": str(directory.relative_to(REPO_ROOT)), "lists": len(guard.lists),
                             "terms": terms, "build_seconds": built, "texts": per_text}


# ============================================================================================
# report


def fmt_us(us: float | None) -> str:
    if us is None:
        return "—"
    if us >= 100:
        return f"{us:,.0f}"
    if us >= 10:
        return f"{us:.1f}"
    return f"{us:.2f}"


def fmt_ratio(r: float | None) -> str:
    if r is None or not math.isfinite(r):
        return "—"
    if r >= 100:
        return f"{r:,.0f}×"
    if r >= 10:
        return f"{r:.1f}×"
    return f"{r:.2f}×"


def fmt_pct(v: float | None) -> str:
    return "—" if v is None else f"{v * 100:.1f}%"


def _cell_spread(res: Results, a: str, b: str, n: int, size: int) -> float | None:
    ca, cb = res.cells.get((a, n, size)), res.cells.get((b, n, size))
    if not ca or not cb or ca.status != "ok" or cb.status != "ok":
        return None
    return ratio_spread(ca.timing, cb.timing)


def ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def cell_text(res: Results, key: str, n: int, size: int) -> str:
    cell = res.cells.get((key, n, size))
    if cell is None:
        return ""
    if cell.status == "ok":
        return fmt_us(cell.us)
    return {"capped": "—", "skipped": "skip", "n/a": "n/a", "error": "error"}[cell.status]


def _versions() -> dict[str, str]:
    out = {}
    for dist in ("pyahocorasick", "ahocorasick_rs", "better_profanity", "glin-profanity", "bleach", "emoji"):
        try:
            out[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            out[dist] = "not installed"
    return out


def _machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    commit = ""
    root = Path(_OTHER).resolve() if _OTHER else REPO_ROOT
    with contextlib.suppress(OSError, subprocess.SubprocessError):  # read-only: which commit was measured
        commit = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, timeout=5, check=False).stdout.strip()
    if _OTHER:
        commit = f"{commit or 'unknown'} (forum_guard from {root})"
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "implementation": platform.python_implementation(), "system": f"{platform.system()} {platform.release()}",
            "commit": commit or "unknown", "date": time.strftime("%Y-%m-%d %H:%M:%S %Z")}


def report(res: Results, subjects: list[Subject], corpus_: _data.Corpus, planted: dict[int, int],
           machine: dict[str, Any], elapsed: float, selected: set[str]) -> tuple[str, list[dict[str, Any]]]:
    plan = res.plan
    lines: list[str] = []
    w = lines.append
    w(f"# forum_guard speed benchmark ({'quick' if plan.quick else 'full'})")
    w("")
    w(f"{machine['cpu']}, {machine['cores']} cores, {machine['implementation']} {machine['python']}, "
      f"{machine['system']}; commit {machine['commit']}; {machine['date']}; ran {elapsed:.0f} s, "
      f"peak RSS {_max_rss_mb():,.0f} MB.")
    versions = ", ".join(f"{k} {v}" for k, v in _versions().items())
    w(f"Peers: {versions}.")
    summary = corpus_.summary()
    w(f"Inputs (seed {summary['seed']}): term lists are prefixes of one list that alternates "
      f"{corpus_.real_count} real terms ({corpus_.real_source}) with synthetic non-words "
      f"({summary['phrases']:,} two-word phrases in the 100k); texts are English-like prose with a planted "
      f"term about every {_data.OFFENDER_EVERY:,} characters. µs per call: the mean of each subject's fastest quarter of samples.")
    w("")

    same = [s for s in subjects if s.key in SAME_LIST and s.key in selected]
    if same:
        w("## Check latency: same lists, same texts (µs per call, lower is better)")
        w("")
        header = ["terms", "text", "planted", "fg hits"] + [s.label for s in same]
        ratio_cols = [("forum_guard", "floor", "fg / floor"), ("forum_guard", "floor_own", "fg / own floor"),
                      ("aho_rs", "floor", "aho_rs / floor"), ("trie", "forum_guard", "trie / fg"),
                      ("regex", "forum_guard", "regex / fg"), ("bp", "forum_guard", "bp / fg"),
                      ("glin", "forum_guard", "glin / fg")]
        ratio_cols = [rc for rc in ratio_cols if rc[0] in selected and rc[1] in selected]
        header += [rc[2] for rc in ratio_cols]
        spread_ok = "forum_guard" in selected and "floor" in selected
        if spread_ok:
            header.append("spread")
        spreads: list[float] = []
        w("| " + " | ".join(header) + " |")
        w("|" + "|".join(["---:"] * len(header)) + "|")
        for n in plan.list_sizes:
            for size in plan.text_sizes:
                fg = res.cells.get(("forum_guard", n, size))
                row = [size_label_terms(n), size_label(size), str(planted.get(size, "")),
                       "" if fg is None or fg.hits is None else str(fg.hits)]
                row += [cell_text(res, s.key, n, size) for s in same]
                row += [fmt_ratio(res.ratio(a, b, n, size)) for a, b, _ in ratio_cols]
                if spread_ok:
                    sp = _cell_spread(res, "forum_guard", "floor", n, size)
                    if sp is not None:
                        spreads.append(sp)
                    row.append(fmt_pct(sp))
                w("| " + " | ".join(row) + " |")
        w("")
        w("**floor: raw words** walks a pyahocorasick automaton of the plain words over the lowercased text; "
          "**floor: own keys** walks forum_guard's own automaton (its padded keys and variants) over forum_guard's "
          "own skeleton of the text, both prepared outside the timing: the least any check built on either can "
          "cost. ahocorasick_rs (the raw words, lowercased text) is the compiled limit. **re trie** is one "
          "`\\b(?:…)\\b` regex built from the words' trie (shared prefixes written once), **re alternation** the "
          "naive one. forum_guard does the whole check (normalize, match with boundaries, verdict, rendering). "
          "Times and **ratios** use the mean of each subject's fastest quarter of samples (load only adds "
          "time; the samples of a cell are taken in turns; the JSON has medians too). **spread**: how far `fg / floor` from the "
          "first half of the turns is from that of the second half — what two runs would disagree by. `—` not run by design (capped), `skip` predicted "
          "too slow for the cap, `n/a` failed.")
        if spreads:
            w("")
            w(f"Run-to-run spread of `fg / floor` over {len(spreads)} cells: median {fmt_pct(statistics.median(spreads))}, "
              f"max {fmt_pct(max(spreads))}.")
        _notes_for(res, same, lines)
        w("")

    own = [s for s in subjects if s.key in OWN_LIST and s.key in selected]
    if own:
        w("## Peers with their own bundled lists (median µs per call)")
        w("")
        header = ["text", "forum_guard 1k"] + [s.label for s in own] + [f"{s.label.split(' ')[0]} / fg" for s in own]
        w("| " + " | ".join(header) + " |")
        w("|" + "|".join(["---:"] * len(header)) + "|")
        for size in plan.text_sizes:
            fg_us = res.us("forum_guard", 1_000, size) if 1_000 in plan.list_sizes else None
            row = [size_label(size), fmt_us(fg_us)] + [cell_text(res, s.key, 0, size) for s in own]
            row += [fmt_ratio(ratio(res.us(s.key, 0, size), fg_us)) for s in own]
            w("| " + " | ".join(row) + " |")
        w("")
        w("better_profanity's bundled list has ~900 words (each expanded into leet variants), glin's English "
          "dictionary ~400; forum_guard is shown with the 1k list for scale.")
        _notes_for(res, own, lines)
        w("")

    built = [s for s in same if not s.shares_build
             and any(isinstance(res.builds.get((s.key, n)), float) for n in plan.list_sizes)]
    if built:
        w("## Build time per list (s, outside the timed calls)")
        w("")
        w("| subject | " + " | ".join(f"{size_label_terms(n)} terms" for n in plan.list_sizes) + " |")
        w("|---|" + "|".join(["---:"] * len(plan.list_sizes)) + "|")
        for s in built:
            vals = []
            for n in plan.list_sizes:
                b = res.builds.get((s.key, n))
                vals.append(f"{b:.3f}" if isinstance(b, float) else ("n/a" if b else "—"))
            w(f"| {s.label} | " + " | ".join(vals) + " |")
        w("")

    ex = res.extras
    if any(k in ex for k in EXTRAS):
        w("## forum_guard figures")
        w("")
        b = ex.get("build")
        if isinstance(b, dict) and "build_seconds" in b:
            mem = (f"peak RSS +{b['peak_rss_increase_mb']:.0f} MB{'' if b.get('peak_exact') else ' (peak not reset: upper bound)'}, "
                   f"retained +{b['retained_rss_mb']:.0f} MB" if "peak_rss_increase_mb" in b
                   else f"max RSS of the process {b.get('maxrss_mb', 0):.0f} MB")
            floor_mem = b.get("floor_mem", {})
            floor_txt = (f"; pyahocorasick alone: {b['floor_build_seconds']:.2f} s, peak RSS "
                         f"+{floor_mem.get('peak_rss_increase_mb', 0):.0f} MB" if "floor_build_seconds" in b else "")
            w(f"- **Build, {b['terms']:,} terms:** {b['build_seconds']:.2f} s (median of {len(b['build_samples'])}), "
              f"{mem}{floor_txt}.")
        elif isinstance(b, dict):
            w(f"- **Build:** n/a — {b.get('error')}")
        f = ex.get("flatness")
        if isinstance(f, dict) and "rows" in f:
            parts = []
            for row in f["rows"]:
                if "us" not in row:
                    continue
                parts.append(f"{row['terms']:,} terms {fmt_us(row['us'])} µs ({fmt_ratio(row['vs_small'])}; "
                             f"floors {fmt_us(row['floor_us'])} raw / {fmt_us(row['own_floor_us'])} own; "
                             f"{row['hits']} hits; built in {row['build_seconds']:.1f} s)")
            w(f"- **Latency flatness ({f['text']}, timed side by side):** " + ", ".join(parts) + ".")
        elif isinstance(f, dict):
            w(f"- **Latency flatness:** n/a — {f.get('error')}")
        h = ex.get("html")
        if isinstance(h, dict) and "total_us" in h:
            split = (f" = sanitize {fmt_us(h['sanitize_us'])} µs + the rest {fmt_us(h['rest_us'])} µs "
                     f"(sanitize from {h['sanitize_source']})" if "sanitize_us" in h
                     else f" (no sanitize split: {h.get('sanitize_error', 'unknown')})")
            stages = ", ".join(f"{k} {fmt_us(v)}" for k, v in h.get("stages_us", {}).items())
            w(f"- **HTML draft ({h['draft_bytes']:,} B, {h['terms']:,} terms, html=True):** {fmt_us(h['total_us'])} µs"
              f"{split}; verdict.timings medians: {stages or 'empty'}; hits: {h['hits']}, action {h['action']}.")
        elif isinstance(h, dict):
            w(f"- **HTML draft:** n/a — {h.get('error')}")
        hs = h.get("sanitizers") if isinstance(h, dict) else None
        if isinstance(hs, dict) and "sanitize_ratio" in hs:
            b, n = hs["bleach"], hs["nh3"]
            w(f"- **Sanitizers on that draft (timed side by side):** bleach {fmt_us(b['sanitize_us'])} µs, nh3 "
              f"{fmt_us(n['sanitize_us'])} µs → nh3 {fmt_ratio(hs['sanitize_ratio'])} faster; the whole html=True check "
              f"{fmt_us(b['check_us'])} µs with bleach, {fmt_us(n['check_us'])} µs with nh3 ({fmt_ratio(hs['check_ratio'])}).")
        elif isinstance(hs, dict) and hs.get("errors"):
            w("- **Sanitizers:** " + "; ".join(f"{k}: {v}" for k, v in hs["errors"].items()))
        k = ex.get("kinds")
        if isinstance(k, dict) and k.get("ascii_stages_us"):
            stages = ", ".join(f"{name} {fmt_us(v)}" for name, v in k["ascii_stages_us"].items())
            w(f"- **Where the plain 2 KB check goes ({k['terms']:,} terms, verdict.timings medians, µs):** {stages}.")
        if isinstance(k, dict) and k.get("dense_stages_us"):
            stages = ", ".join(f"{name} {fmt_us(v)}" for name, v in k["dense_stages_us"].items())
            w(f"- **The dense 2 KB check ({k['terms']:,} terms, µs):** {stages}.")
        elif isinstance(k, dict) and "error" in k:
            w(f"- **2 KB texts by kind:** n/a — {k.get('error')}")
        sh = ex.get("shipped")
        if isinstance(sh, dict) and "build_seconds" in sh:
            per = ", ".join(f"{k} {fmt_us(v['us'])} µs (hits: {v['hits']})" if v["status"] == "ok" else f"{k} {v['status']}"
                            for k, v in sh["texts"].items())
            w(f"- **Shipped config (`Guard.from_directory('{sh['directory']}')`, {sh['lists']} lists, "
              f"{sh['terms']:,} terms):** build {sh['build_seconds']:.3f} s; check {per}.")
        elif isinstance(sh, dict):
            w(f"- **Shipped config:** n/a — {sh.get('error')}")
        w("")

    k = ex.get("kinds")
    if isinstance(k, dict) and "rows" in k:
        w(f"## 2 KB texts by kind ({k['terms']:,} terms, µs per call, each timed side by side with the rest)")
        w("")
        w("| text | chars | bytes | fg hits | forum_guard | floor: raw | floor: own | ahocorasick_rs | re trie "
          "| fg / floor | fg / own floor | fg / ASCII fg | spread |")
        w("|---|" + "|".join(["---:"] * 12) + "|")
        for kind, row in k["rows"].items():
            if "fg_us" not in row:
                w(f"| {kind} | " + " | ".join([""] * 11) + f" {row.get('error', '')} |")
                continue
            w(f"| {kind} | {row['chars']:,} | {row['bytes']:,} | {row['hits']} | {fmt_us(row['fg_us'])} | "
              f"{fmt_us(row['floor_us'])} | {fmt_us(row['own_us'])} | {fmt_us(row.get('aho_rs_us'))} | "
              f"{fmt_us(row.get('trie_us'))} | {fmt_ratio(row['vs_floor'])} | {fmt_ratio(row['vs_own'])} | "
              f"{fmt_ratio(row.get('vs_ascii'))} | {fmt_pct(row.get('spread_ascii', row.get('spread')))} |")
        w("")
        w("*dense*: a planted term about every 5 words; *mixed*: accents, curly quotes, a dash and an emoji "
          "(the issue's non-ASCII text); *Cyrillic* and *CJK* carry planted Latin terms. The raw floor and "
          "ahocorasick_rs get the lowercased text, the own floor forum_guard's skeleton (not timed). "
          "*spread*: split-half disagreement of `fg / ASCII fg` (of `fg / floor` for the ASCII row).")
        w("")

    targets = compute_targets(res, plan)
    w("## Targets")
    w("")
    w("| target | figure | result |")
    w("|---|---|---|")
    for t in targets:
        w(f"| {t['target']} | {t['figure']} | {t['result']} |")
    w("")
    passed = sum(t["result"] == "PASS" for t in targets)
    failed = sum(t["result"] == "FAIL" for t in targets)
    w(f"targets met: {passed} of {len(targets)} ({failed} missed, {len(targets) - passed - failed} not measured; "
      "a report, not an assertion).")
    if res.notes:
        w("")
        w("Notes:")
        for note in dict.fromkeys(res.notes):
            w(f"- {note}")
    return "\n".join(lines), targets


def _notes_for(res: Results, subjects: Iterable[Subject], lines: list[str]) -> None:
    for s in subjects:
        reasons: dict[str, list[str]] = {}
        total = 0
        for (key, n, size), cell in res.cells.items():
            if key != s.key:
                continue
            total += 1
            if cell.status == "ok" or not cell.reason:
                continue
            place = f"{size_label_terms(n)}×{size_label(size)}" if n else size_label(size)
            reasons.setdefault(f"{cell.status}: {cell.reason}", []).append(place)
        for reason, places in reasons.items():
            everywhere = len(places) == total
            cells = "" if reason.startswith("capped") or everywhere else f" ({', '.join(places)})"
            lines.append(f"- {s.label} — {reason}{cells}")


def compute_targets(res: Results, plan: Plan) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []

    def add(target: str, value: float | None, limit: float, higher_is_better: bool, figure: str,
            missing: str = "not measured") -> None:
        if value is None:
            out.append({"target": target, "figure": missing, "result": "n/a", "value": None})
            return
        ok = value >= limit if higher_is_better else value <= limit
        out.append({"target": target, "figure": figure, "result": "PASS" if ok else "FAIL", "value": value})

    fg, fl = res.us("forum_guard", 10_000, 2_048), res.us("floor", 10_000, 2_048)
    r = res.ratio("forum_guard", "floor", 10_000, 2_048)
    add("2 KB / 10k terms: forum_guard ≤ 3× floor (raw words)", r, 3.0, False,
        f"{fmt_ratio(r)} ({fmt_us(fg)} vs {fmt_us(fl)} µs)")
    own = res.us("floor_own", 10_000, 2_048)
    r = res.ratio("forum_guard", "floor_own", 10_000, 2_048)
    add("2 KB / 10k terms: forum_guard ≤ 5× its own automaton over its own skeleton", r, 5.0, False,
        f"{fmt_ratio(r)} ({fmt_us(fg)} vs {fmt_us(own)} µs)")
    fg2, fl2 = res.us("forum_guard", 10_000, 200), res.us("floor", 10_000, 200)
    r = res.ratio("forum_guard", "floor", 10_000, 200)
    add("200 B / 10k terms: forum_guard ≤ 8× floor (raw words)", r, 8.0, False,
        f"{fmt_ratio(r)} ({fmt_us(fg2)} vs {fmt_us(fl2)} µs)")
    kinds = (res.extras.get("kinds") or {}).get("rows") or {}
    for kind in ("mixed", "accents", "curly quotes", "Cyrillic", "CJK", "emoji"):
        row = kinds.get(kind) or {}
        r = row.get("vs_ascii")
        add(f"2 KB {kind} text ≤ 1.3× the ASCII check of the same length", r, 1.3, False,
            f"{fmt_ratio(r)} ({fmt_us(row.get('fg_us'))} vs {fmt_us(row.get('fg_ascii_us'))} µs)")
    row = kinds.get("dense") or {}
    r = row.get("vs_floor")
    add(f"dense 2 KB ({row.get('hits', '?')} matches): forum_guard ≤ 6× floor (raw words)", r, 6.0, False,
        f"{fmt_ratio(r)} ({fmt_us(row.get('fg_us'))} vs {fmt_us(row.get('floor_us'))} µs)")
    f = res.extras.get("flatness") or {}
    r = f.get("ratio")
    add("2 KB: 100k-term check ≤ 1.5× 1k-term check", r, 1.5, False,
        f"{fmt_ratio(r)} ({fmt_us(f.get('big_us'))} vs {fmt_us(f.get('small_us'))} µs)")
    if not plan.quick:
        r = f.get("huge_ratio")
        huge = next((row for row in f.get("rows", []) if row.get("terms") == HUGE_LIST), {})
        add("2 KB: 1M-term check ≤ 1.5× 1k-term check", r, 1.5, False,
            f"{fmt_ratio(r)} ({fmt_us(huge.get('us'))} vs {fmt_us(f.get('small_us'))} µs)")
    fg1 = res.us("forum_guard", 1_000, 2_048)
    bp_own = res.us("bp_default", 0, 2_048)
    r = ratio(bp_own, fg1)
    add("≥ 500× faster than better_profanity (its own list, 2 KB; fg with 1k terms)", r, 500, True,
        f"{fmt_ratio(r)} ({fmt_us(bp_own)} vs {fmt_us(fg1)} µs)")
    bp_same = res.us("bp", 1_000, 2_048)
    r = ratio(bp_same, fg1)
    add("≥ 500× faster than better_profanity (same 1k list, 2 KB)", r, 500, True,
        f"{fmt_ratio(r)} ({fmt_us(bp_same)} vs {fmt_us(fg1)} µs)")
    glin = res.us("glin", 10_000, 2_048)
    r = ratio(glin, fg)
    add("≥ 20× faster than glin-profanity (same 10k list, 2 KB)", r, 20, True,
        f"{fmt_ratio(r)} ({fmt_us(glin)} vs {fmt_us(fg)} µs)")
    glin_own = res.us("glin_default", 0, 2_048)
    r = ratio(glin_own, fg1)
    add("≥ 20× faster than glin-profanity (its own list, 2 KB; fg with 1k terms)", r, 20, True,
        f"{fmt_ratio(r)} ({fmt_us(glin_own)} vs {fmt_us(fg1)} µs)")
    b = res.extras.get("build") or {}
    v = b.get("build_seconds")
    add(f"Guard build, {b.get('terms', 100_000):,} terms ≤ 2 s", v, 2.0, False, f"{v:.2f} s" if v is not None else "")
    v = b.get("peak_rss_increase_mb")
    add("peak RSS increase of that build ≤ 200 MB", v, 200.0, False, f"+{v:.0f} MB" if v is not None else "")
    h = res.extras.get("html") or {}
    v = h.get("rest_us")
    add("HTML 2.5 KB draft: check minus sanitize ≤ 0.5 ms", None if v is None else v / 1000, 0.5, False,
        f"{v / 1000:.3f} ms (total {h.get('total_us', 0) / 1000:.3f}, sanitize {h.get('sanitize_us', 0) / 1000:.3f})"
        if v is not None else "")
    return out


# ============================================================================================
# main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    keys = SAME_LIST + OWN_LIST + EXTRAS
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="lists 1k and 10k, texts 2 KB and 20 KB, fewer repeats, peers on small cells (< 60 s)")
    parser.add_argument("--json", metavar="PATH", help="also write every figure as JSON")
    parser.add_argument("--forum-guard-path", metavar="DIR",
                        help="benchmark the forum_guard package found in DIR (another checkout) instead of this one")
    parser.add_argument("--only", metavar="KEYS",
                        help=f"comma-separated subset of: {', '.join(keys)} (default: all)")
    args = parser.parse_args(argv)
    if args.only:
        chosen = {ALIASES.get(k.strip(), k.strip()) for k in args.only.split(",") if k.strip()}
        unknown = chosen - set(keys)
        if unknown:
            parser.error(f"unknown --only key(s): {', '.join(sorted(unknown))} (choose from {', '.join(keys)})")
        args.selected = chosen
    else:
        args.selected = set(keys)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    plan = QUICK if args.quick else FULL
    selected: set[str] = args.selected
    started = time.perf_counter()
    machine = _machine()

    log("generating lists and texts ...")
    text_keys = tuple(sorted(set(plan.text_sizes) | {2_048}))
    # the matrix's lists first (the texts do not depend on how many terms are generated); the
    # 100k list of the build and flatness figures only when they run
    corpus_ = corpus(max(plan.list_sizes), text_keys)

    def big_corpus() -> _data.Corpus:
        return corpus(max(LIST_SIZES), text_keys)

    texts = {size: corpus_.texts[size] for size in plan.text_sizes}
    alternation = "|".join(re.escape(o) for o in corpus_.offenders)
    planted_re = re.compile(rf"\b(?:{alternation})\b", re.IGNORECASE)
    planted = {size: len(planted_re.findall(t)) for size, t in texts.items()}

    res = Results(plan)
    factory = GuardFactory(max(plan.text_sizes))
    subjects = [s for s in make_subjects(factory) if s.key in selected]

    # import every subject first: a missing package is an n/a, forum_guard missing is a crash
    probes = {"forum_guard": "forum_guard", "floor": "ahocorasick", "aho_rs": "ahocorasick_rs",
              "bp": "better_profanity", "bp_default": "better_profanity", "glin": "glin_profanity",
              "glin_default": "glin_profanity"}
    needs_fg = bool(selected & ({"forum_guard"} | set(EXTRAS)))
    for s in subjects:
        module = probes.get(s.key)
        if module is None:
            continue
        try:
            importlib.import_module(module)
            if s.key == "forum_guard":
                importlib.import_module("forum_guard").Guard  # noqa: B018 - the name must exist
        except Exception as exc:
            res.unavailable[s.key] = f"import failed: {_short_error(exc)}"
    fg_ok = True
    if needs_fg:
        try:
            importlib.import_module("forum_guard").Guard  # noqa: B018
        except Exception as exc:
            fg_ok = False
            res.ours_crashed.append(f"import forum_guard: {traceback.format_exc()}")
            res.unavailable["forum_guard"] = f"import failed: {_short_error(exc)}"
            for key in EXTRAS:
                res.extras[key] = {"error": res.unavailable["forum_guard"]}

    def extra(key: str, fn: Callable[[], None]) -> None:
        if key not in selected or not fg_ok:
            return
        if key not in ("build", "flatness") and time.perf_counter() - _T0 > plan.time_budget + 12:
            res.extras[key] = {"error": f"skipped: time budget of the run ({plan.time_budget:g} s) used up"}
            return
        log(f"extra: {key}")
        try:
            fn()
        except Exception as exc:
            res.extras[key] = {"error": _short_error(exc)}
            res.ours_crashed.append(f"extra {key}: {traceback.format_exc()}")

    # the memory figure first, before the matrix fills the heap
    build = lambda: extra_build(res, factory, big_corpus().terms(max(LIST_SIZES)))  # noqa: E731
    if not plan.quick:
        extra("build", build)
    log("matrix ...")
    run_matrix(res, subjects, texts, planted, corpus_.terms)
    if plan.quick:  # --quick: the matrix comes first, whatever the build costs
        extra("build", build)
    if factory.note:
        res.notes.append(factory.note)
    extra("kinds", lambda: extra_kinds(res, factory, corpus_))
    extra("html", lambda: extra_html(res, factory, corpus_))
    extra("shipped", lambda: extra_shipped(res, corpus_))
    extra("flatness", lambda: extra_flatness(res, factory, big_corpus()))
    elapsed = time.perf_counter() - started

    text, targets = report(res, subjects, corpus_, planted, machine, elapsed, selected)
    print(text)
    if res.ours_crashed:
        print("\nforum_guard crashed:", file=sys.stderr)
        for crash in res.ours_crashed:
            print(crash, file=sys.stderr)

    if args.json:
        payload = {
            "mode": "quick" if plan.quick else "full",
            "plan": dataclasses.asdict(plan),
            "machine": machine,
            "versions": _versions(),
            "inputs": corpus_.summary() | {"planted": {size_label(k): v for k, v in planted.items()}},
            "cells": [{"subject": k, "terms": n or None, "text": size_label(size)} | c.to_dict()
                      for (k, n, size), c in res.cells.items()],
            "builds": [{"subject": k, "terms": n or None, "seconds" if isinstance(v, float) else "error": v}
                       for (k, n), v in res.builds.items()],
            "extras": res.extras,
            "targets": targets,
            "notes": list(dict.fromkeys(res.notes)),
            "elapsed_seconds": elapsed,
            "max_rss_mb": _max_rss_mb(),
            "forum_guard_crashed": bool(res.ours_crashed),
        }
        out = Path(args.json)
        if out.parent and not out.parent.exists():
            out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        log(f"wrote {out}")
    return 1 if res.ours_crashed else 0


if __name__ == "__main__":
    sys.exit(main())
