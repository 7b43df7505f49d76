#!/usr/bin/env python
"""Where one check's time goes, stage by stage, timed inside real checks.

    python benchmarks/stages.py                 # the speed benchmark's 2 KB texts, 10k terms
    python benchmarks/stages.py --texts ascii,dense,emoji --terms 10000 --loops 3000

Each stage is a function of the check (the draft analysis and its parts, the fold, the skeleton
scan, ...) wrapped, for this run only, by a timer; the checks themselves are the ordinary
``Guard.check`` calls of the speed benchmark (same lists and texts, ``benchmarks/_data.py``),
with the garbage collector off as there. A row is the median over ``--loops`` checks of the time
spent in that stage per check; *the check itself* is what is left of the whole call (its own
lines: the verdict, the limits, the timings). The timers cost about 0.1 µs each, so the stages
add up to a little more than the untimed check (*untimed*, measured first).
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import _data  # noqa: E402

#: (label, module path, attribute, parent label or None): what is timed, in report order
STAGES: tuple[tuple[str, str, str, str | None], ...] = (
    ("draft analysis", "forum_guard.engine.policy:draft_mod", "analyze", None),
    ("  links in the text", "forum_guard.engine.draft", "text_links", "draft analysis"),
    ("  emoji", "forum_guard.engine.draft", "count_emoji", "draft analysis"),
    ("  :shortcodes:", "forum_guard.engine.draft", "count_shortcodes", "draft analysis"),
    ("edge symbols", "forum_guard.engine.matcher", "edge_runs", None),
    ("fold (skeleton)", "forum_guard.engine.matcher", "fold", None),
    ("automaton walk + candidate verification", "forum_guard.engine.matcher:Matcher", "_scan_skeleton", None),
    ("spaced letters", "forum_guard.engine.matcher:SPACED_HINT_RE", "search", None),
    ("edge symbols read as punctuation", "forum_guard.engine.matcher", "blank_edge_symbols", None),
    ("resolve (plausible, exceptions, nested)", "forum_guard.engine.matcher:Matcher", "_resolve", None),
    ("masked words", "forum_guard.engine.matcher:_MaskIndex", "scan", None),
    ("Match objects", "forum_guard.engine.policy:Guard", "_matches", None),
    ("limit rules", "forum_guard.engine.policy", "run_rules", None),
    ("violations", "forum_guard.engine.policy:Guard", "_term_violations", None),
)


class _Proxy:
    """Stands in for a compiled pattern whose ``search`` is timed (a C type takes no attribute)."""

    def __init__(self, target: Any, search: Callable[..., Any]) -> None:
        self._target = target
        self.search = search

    def __getattr__(self, name: str) -> Any:
        return getattr(self._target, name)


def _owner(path: str) -> tuple[Any, Any]:
    """(object holding the attribute, the object to put a proxy on or None)."""
    import importlib

    module_name, _, attr = path.partition(":")
    module = importlib.import_module(module_name)
    if not attr:
        return module, None
    return getattr(module, attr), module


def timed_stages(spent: dict[str, float]) -> Callable[[], None]:
    """Wrap every stage with a timer adding to ``spent``; returns the function that unwraps them."""
    restore: list[Callable[[], None]] = []
    clock = time.perf_counter
    for label, path, name, _parent in STAGES:
        owner, module = _owner(path)
        original = getattr(owner, name)

        def timer(*args: Any, __f: Callable[..., Any] = original, __label: str = label, **kw: Any) -> Any:
            start = clock()
            try:
                return __f(*args, **kw)
            finally:
                spent[__label] += clock() - start

        if name == "search" and module is not None:  # a compiled pattern: swap in a proxy
            attr = path.partition(":")[2]
            setattr(module, attr, _Proxy(owner, timer))
            restore.append(lambda m=module, a=attr, o=owner: setattr(m, a, o))
        else:
            setattr(owner, name, timer)
            restore.append(lambda o=owner, n=name, f=original: setattr(o, n, f))
        spent.setdefault(label, 0.0)

    def undo() -> None:
        for fn in reversed(restore):
            fn()

    return undo


def profile(check: Callable[[str], Any], text: str, loops: int) -> tuple[float, dict[str, float], float]:
    """(untimed µs per check, stage → median µs per check, timed whole check µs)."""
    for _ in range(200):
        check(text)
    gc.disable()
    try:
        untimed = []
        for _ in range(5):
            start = time.perf_counter()
            for _ in range(loops // 5):
                check(text)
            untimed.append((time.perf_counter() - start) / (loops // 5))
        spent: dict[str, float] = {}
        undo = timed_stages(spent)
        try:
            per: dict[str, list[float]] = {label: [] for label, *_ in STAGES}
            whole: list[float] = []
            for _ in range(loops):
                for label in spent:
                    spent[label] = 0.0
                start = time.perf_counter()
                check(text)
                whole.append(time.perf_counter() - start)
                for label, value in spent.items():
                    per[label].append(value)
        finally:
            undo()
    finally:
        gc.enable()
    return (min(untimed) * 1e6, {k: statistics.median(v) * 1e6 for k, v in per.items()},
            statistics.median(whole) * 1e6)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--texts", default="ascii,dense,mixed,Cyrillic,emoji,200 B",
                    help="the speed benchmark's 2 KB texts by kind, and '200 B' (default: %(default)s)")
    ap.add_argument("--terms", type=int, default=10_000, help="terms in the list (default 10,000)")
    ap.add_argument("--loops", type=int, default=3_000, help="checks per text (default 3,000)")
    args = ap.parse_args(argv)

    from forum_guard import Guard
    from forum_guard.engine.limits import Limits
    from forum_guard.engine.terms import Term, WordList

    corpus = _data.corpus(max(args.terms, 1_000), (200, 2_048))
    guard = Guard([WordList(name="bench", terms=tuple(Term(w) for w in corpus.terms(args.terms)))], Limits.default())
    texts = {"200 B": corpus.texts[200], **corpus.kinds}
    names = [t.strip() for t in args.texts.split(",") if t.strip()]
    unknown = [t for t in names if t not in texts]
    if unknown:
        ap.error(f"unknown text(s) {', '.join(unknown)}: choose from {', '.join(texts)}")

    def check(text: str) -> Any:
        return guard.check(text, group="member")

    results = {name: profile(check, texts[name], args.loops) for name in names}
    print(f"# One check, stage by stage ({args.terms:,} terms, median µs per check over {args.loops:,} checks)\n")
    print("| stage | " + " | ".join(names) + " |")
    print("|---|" + "---:|" * len(names))
    print("| **untimed check** | " + " | ".join(f"**{results[n][0]:.1f}**" for n in names) + " |")
    for label, *_rest in STAGES:
        print(f"| {label} | " + " | ".join(f"{results[n][1][label]:.1f}" for n in names) + " |")
    own = []
    for n in names:
        _, stages, whole = results[n]
        top = sum(v for (label, _p, _a, parent) in STAGES for k, v in stages.items() if k == label and parent is None)
        own.append(whole - top)
    print("| the check itself (verdict, limits, timings) | " + " | ".join(f"{v:.1f}" for v in own) + " |")
    print("| timed check (the sum, with the timers) | " + " | ".join(f"{results[n][2]:.1f}" for n in names) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
