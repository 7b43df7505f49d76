#!/usr/bin/env python
"""Hostile-input benchmark: every known worst-case shape grown to the 100,000-character cap.

    python benchmarks/hostile.py                  # 10k → 100k, every shape and markup (~1-3 min)
    python benchmarks/hostile.py --quick          # 10k → 40k, best of 3; exit 1 on a doubling > ×2.5
    python benchmarks/hostile.py --only emoji     # shapes whose name contains "emoji"
    python benchmarks/hostile.py --json out.json  # also every figure as JSON

Each shape is one draft an anonymous guest can send (issue 12 and what was found since), checked
with ``Guard.check`` in each markup it makes sense in (html, markdown, bbcode). For each size the
CPU time of one check (``time.process_time``, best of ``--repeat``) and the peak memory it added
(VmHWM over the RSS before it) are printed, with the growth factor per doubling of the size
(against the largest size n1 ≤ n2/2: (t2/t1) ** (log 2 / log(n2/n1)); 2.0 is linear). Doublings whose
larger time is under ``--floor`` seconds are noise and never fail.

The exit status is 1 when any doubling costs more than ``--max-growth`` (default 2.5) or, in the
full run, any shape at the cap costs more than ``--target`` seconds (default 0.25); a shape that
already costs more than ``--give-up`` seconds at one size is not grown further (its row says so).
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))
if importlib.util.find_spec("forum_guard") is None:  # run from a checkout without `pip install -e`
    sys.path.insert(1, str(REPO_ROOT))

from _proc import reset_peak, status_bytes, trim_heap  # noqa: E402

from forum_guard.engine.actions import Action  # noqa: E402
from forum_guard.engine.policy import Guard  # noqa: E402
from forum_guard.engine.terms import ListKind, Term, WordList  # noqa: E402

CAP = 100_000
FULL_SIZES = (10_000, 20_000, 40_000, 80_000, CAP)
QUICK_SIZES = (10_000, 20_000, 40_000)
ALL = ("html", "markdown", "bbcode")
_T0 = time.perf_counter()


def log(msg: str) -> None:
    print(f"[{time.perf_counter() - _T0:6.1f}s] {msg}", file=sys.stderr, flush=True)


def repeat_to(unit: str, n: int, head: str = "", tail: str = "") -> str:
    """``head + unit * k + tail`` cut to exactly ``n`` characters (the unit repeated to fill it)."""
    body = n - len(head) - len(tail)
    k = body // len(unit) + 1
    return head + (unit * k)[:body] + tail


# ============================================================================================
# the guards the shapes run against


def _domain_list(count: int) -> WordList:
    # hosts in the reserved .example TLD, one per term
    return WordList(name=f"domains{count // 1000}k", kind=ListKind.DOMAINS, action=Action.BLOCK,
                    terms=tuple(Term(f"spam-{i:05d}.example") for i in range(count)))


def _guards() -> dict[str, Callable[[], Guard]]:
    def shipped() -> Guard:
        return Guard.shipped()

    def censor() -> Guard:
        base = Guard.shipped()
        mild = WordList(name="mild", action=Action.CENSOR,
                        terms=(Term("darn"), Term("heck"), Term("frick*")))
        return Guard((*base.lists, mild), base.limits)

    def domains(count: int) -> Callable[[], Guard]:
        def build() -> Guard:
            base = Guard.shipped()
            return Guard((*base.lists, _domain_list(count)), base.limits)
        return build

    return {"shipped": shipped, "censor": censor, "domains10k": domains(10_000), "domains50k": domains(50_000)}


# ============================================================================================
# the shapes


@dataclass(frozen=True)
class Shape:
    name: str
    #: who fixes it when it is not linear: the module whose cost it is
    owner: str
    build: Callable[[int], str]
    markups: tuple[str, ...] = ALL
    guard: str = "shipped"
    note: str = ""


def _links(n: int, host: str) -> str:
    return repeat_to(f"https://{host}/p ", n)


def _domain_links(n: int) -> str:
    parts: list[str] = []
    size = 0
    i = 0
    while size < n:
        part = f"https://www{i}.site-{i % 997}.org/p "
        parts.append(part)
        size += len(part)
        i += 1
    return "".join(parts)[:n]


SHAPES: tuple[Shape, ...] = (
    Shape("bang-run-after-e", "normalize", lambda n: repeat_to("!", n, head="é"),
          note='"é" + "!" * n (_TRAILING_SYMBOL_RE on non-ASCII)'),
    Shape("pipe-run-after-e", "normalize", lambda n: repeat_to("|", n, head="é")),
    Shape("plus-run-after-e", "normalize", lambda n: repeat_to("+", n, head="é")),
    Shape("url-close-parens", "links", lambda n: repeat_to(")", n, head="see https://example.org/a"),
          note="a URL followed by many )"),
    Shape("shiitake-fuck", "matcher", lambda n: repeat_to("shiitake fuck ", n),
          note="matches × exception spans"),
    Shape("censor-many-matches", "censor", lambda n: repeat_to("darn ", n), guard="censor",
          note="a censor list, every word a match"),
    Shape("separator-run", "normalize", lambda n: repeat_to("a.", n), note="a.a.a.a…"),
    Shape("spaced-letters", "normalize", lambda n: repeat_to("a ", n), note="a a a a…"),
    Shape("mixed-separators", "normalize", lambda n: repeat_to("a.-_ ", n)),
    Shape("emoji-flood", "emoji", lambda n: "😀" * n),
    Shape("emoji-skin-tones", "emoji", lambda n: repeat_to("👍🏽", n)),
    Shape("emoji-zwj-family", "emoji", lambda n: repeat_to("👨\u200d👩\u200d👧", n)),
    Shape("emoji-flags", "emoji", lambda n: repeat_to("🇫🇷", n)),
    Shape("emoji-keycaps", "emoji", lambda n: repeat_to("1\ufe0f\u20e3", n)),
    Shape("emoji-text-symbols", "emoji", lambda n: repeat_to("©", n), note="text-default, never counted"),
    Shape("shortcodes", "emoji", lambda n: repeat_to(":smile:", n)),
    Shape("many-attributes-one-tag", "sanitize", lambda n: repeat_to(' a="1"', n - 6, head="<p") + ">x</p>",
          markups=("html",)),
    Shape("many-distinct-attributes", "sanitize",
          lambda n: "<p" + "".join(f" a{i}=1" for i in range(n // 7))[: n - 6] + ">x</p>", markups=("html",)),
    Shape("many-tags-many-attributes", "sanitize",
          lambda n: repeat_to("<img src=http://a.example/i.png " + " ".join(f"x{i}=1" for i in range(120)) + ">", n),
          markups=("html",), note="tags just under the attribute bound's threshold"),
    Shape("img-title-alt", "sanitize",
          lambda n: repeat_to('<img src="http://a.example/i.png" alt="darn fuck" title="hopzone.eu">', n),
          markups=("html",)),
    Shape("link-flood", "links", lambda n: _links(n, "a.example")),
    Shape("link-flood-html", "links",
          lambda n: repeat_to('<a href="https://a.example/p">x</a> ', n), markups=("html",)),
    Shape("links-10k-domains", "matcher", _domain_links, guard="domains10k", note="Matcher.match_host"),
    Shape("links-50k-domains", "matcher", _domain_links, guard="domains50k", note="Matcher.match_host"),
    Shape("nested-html", "sanitize", lambda n: repeat_to("<b><i>", n), markups=("html",)),
    Shape("nested-quotes-md", "markdown", lambda n: repeat_to(">", n - 2) + " x", markups=("markdown",)),
    Shape("nested-lists-md", "markdown",
          lambda n: repeat_to("".join("  " * d + "- x\n" for d in range(100)), n), markups=("markdown",)),
    Shape("emphasis-md", "markdown", lambda n: repeat_to("*a_", n), markups=("markdown",)),
    Shape("brackets-md", "markdown", lambda n: repeat_to("[", n - 1) + "x", markups=("markdown",)),
    Shape("nested-bbcode", "bbcode", lambda n: repeat_to("[quote][b]", n), markups=("bbcode",)),
    Shape("unclosed-bbcode", "bbcode", lambda n: repeat_to("[url=http://a.example/]", n), markups=("bbcode",)),
)


# ============================================================================================
# measuring


@dataclass
class Row:
    shape: str
    markup: str
    owner: str
    seconds: dict[int, float] = field(default_factory=dict)
    peak_mb: dict[int, float] = field(default_factory=dict)
    growth: dict[int, float] = field(default_factory=dict)  # keyed by the larger size
    gave_up_after: int | None = None
    failed: list[str] = field(default_factory=list)


def measure(guard: Guard, text: str, markup: str, repeat: int) -> tuple[float, float]:
    """Best CPU seconds of ``repeat`` checks, and the most memory one of them added (MB)."""
    best = math.inf
    peak = 0.0
    for _ in range(repeat):
        trim_heap()
        before = status_bytes("VmRSS") or 0
        can_peak = reset_peak()
        gc.disable()
        started = time.process_time()
        guard.check(text, markup=markup, group="guest")
        spent = time.process_time() - started
        gc.enable()
        best = min(best, spent)
        if can_peak:
            peak = max(peak, ((status_bytes("VmHWM") or 0) - before) / 1e6)
    return best, peak


def growth(t1: float, t2: float, n1: int, n2: int) -> float:
    if t1 <= 0:
        return math.nan
    return (t2 / t1) ** (math.log(2) / math.log(n2 / n1))


def run(args: argparse.Namespace) -> list[Row]:
    sizes = QUICK_SIZES if args.quick else FULL_SIZES
    builders = _guards()
    guards: dict[str, Guard] = {}
    rows: list[Row] = []
    for shape in SHAPES:
        if args.only and not any(o in shape.name for o in args.only.split(",")):
            continue
        if shape.guard not in guards:
            log(f"compiling the {shape.guard} guard")
            guards[shape.guard] = builders[shape.guard]()
        guard = guards[shape.guard]
        for markup in shape.markups:
            row = Row(shape.name, markup, shape.owner)
            guard.check(shape.build(1_000), markup=markup, group="guest")  # warm: imports, caches
            for n in sizes:
                text = shape.build(n)
                seconds, peak = measure(guard, text, markup, args.repeat)
                row.seconds[n], row.peak_mb[n] = seconds, peak
                # against the largest size at most half of this one (100k: 40k), so that a short
                # step (80k → 100k) does not blow up the noise
                base = max((m for m in row.seconds if 2 * m <= n), default=None)
                if base is not None:
                    g = growth(row.seconds[base], seconds, base, n)
                    row.growth[n] = g
                    if g > args.max_growth and seconds >= args.floor:
                        row.failed.append(f"×{g:.1f} per doubling at {n // 1000}k")
                if seconds > args.give_up and n != sizes[-1]:
                    row.gave_up_after = n
                    break
            if not args.quick and CAP in row.seconds and row.seconds[CAP] > args.target:
                row.failed.append(f"{row.seconds[CAP]:.2f} s at the cap")
            if row.gave_up_after is not None and not row.failed:
                row.failed.append(f"{row.seconds[row.gave_up_after]:.1f} s at {row.gave_up_after // 1000}k")
            mark = "FAIL " + "; ".join(row.failed) if row.failed else "ok"
            log(f"{shape.name:<28} {markup:<8} " + "  ".join(
                f"{n // 1000}k {s * 1000:.0f}ms" for n, s in row.seconds.items()) + f"  {mark}")
            rows.append(row)
    return rows


def report(rows: list[Row], args: argparse.Namespace) -> None:
    sizes = QUICK_SIZES if args.quick else FULL_SIZES
    head = ["shape", "markup", "owner"] + [f"{n // 1000}k s" for n in sizes] + ["×/doubling (max)", "peak MB", "verdict"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for row in rows:
        cells = [row.shape, row.markup, row.owner]
        cells += [f"{row.seconds[n]:.3f}" if n in row.seconds else "—" for n in sizes]
        worst = [g for n, g in row.growth.items() if row.seconds[n] >= args.floor]
        cells.append(f"{max(worst):.2f}" if worst else "(< floor)")
        cells.append(f"{max(row.peak_mb.values()):.1f}")
        cells.append("FAIL: " + "; ".join(row.failed) if row.failed else "ok")
        print("| " + " | ".join(cells) + " |")
    failed = [r for r in rows if r.failed]
    print()
    print(f"{len(rows) - len(failed)} of {len(rows)} shape × markup rows pass "
          f"(max ×{args.max_growth} per doubling above {args.floor * 1000:.0f} ms"
          + ("" if args.quick else f", ≤ {args.target} s at {CAP:,} characters") + ").")
    if rows and not args.quick:
        worst = max(rows, key=lambda r: r.seconds.get(CAP, math.inf if r.gave_up_after else 0.0))
        figure = f"{worst.seconds[CAP]:.3f} s" if CAP in worst.seconds else "not reached"
        print(f"Worst at the cap: {worst.shape} ({worst.markup}), {figure}.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="10k → 40k, best of 3 (CI)")
    parser.add_argument("--repeat", type=int, default=None, help="checks per size, best counts (3 quick, 1 full)")
    parser.add_argument("--only", default="", help="comma-separated parts of shape names")
    parser.add_argument("--max-growth", type=float, default=2.5)
    parser.add_argument("--floor", type=float, default=0.02, help="seconds below which growth is noise")
    parser.add_argument("--target", type=float, default=0.25, help="seconds allowed at the cap (full run)")
    parser.add_argument("--give-up", type=float, default=None,
                        help="stop growing a shape once one size costs this many seconds (2 quick, 10 full)")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.repeat is None:
        args.repeat = 3 if args.quick else 1
    if args.give_up is None:
        args.give_up = 2.0 if args.quick else 10.0
    rows = run(args)
    if not rows:
        print("no shape matches --only", file=sys.stderr)
        return 2
    report(rows, args)
    if args.json:
        args.json.write_text(json.dumps([row.__dict__ for row in rows], indent=1), encoding="utf-8")
    return 1 if any(r.failed for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
