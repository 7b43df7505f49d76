#!/usr/bin/env python
"""The draft stage under hostile shapes: each shape grown by doubling up to the 100,000-character
cap, read as Markdown, BBCode or HTML through ``Guard.check`` (the shipped lists), with the CPU
time per size and the growth factor per doubling (linear is ×2).

    python benchmarks/markup.py            # every shape, 12.5k → 100k, median of 3
    python benchmarks/markup.py --quick    # 25k → 100k, one run

The figures are a report, not an assertion (benchmarks/hostile.py holds the CI gate).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from forum_guard import Guard
from forum_guard.engine.draft import analyze

CAP = 100_000


def _repeat(unit: str) -> Callable[[int], str]:
    return lambda n: (unit * (n // len(unit) + 1))[:n]


#: (name, markup, make(n) -> a draft of n characters)
SHAPES: list[tuple[str, str, Callable[[int], str]]] = [
    ("prose", "markdown", _repeat("Some **bold** words and a [link](https://example.org) here. ")),
    ("brackets [", "markdown", _repeat("[")),
    ("images ![", "markdown", _repeat("![")),
    ("nested [[", "markdown", _repeat("[[")),
    ("link openers [a](", "markdown", _repeat("[a](")),
    ("emphasis **fu**ck", "markdown", _repeat("**fu**ck ")),
    ("stars *a", "markdown", _repeat("*a")),
    ("blockquotes >", "markdown", _repeat(">")),
    ("table rows", "markdown", lambda n: ("a|b\n-|-\n" + "x|y\n" * n)[:n]),
    ("autolinks", "markdown", _repeat("<https://example.org/a> ")),
    ("raw html <a ", "markdown", _repeat("<a ")),
    ("entities &amp;", "markdown", _repeat("&amp;")),
    ("url + ))))", "markdown", lambda n: ("see https://example.org/" + ")" * n)[:n]),
    ("bbcode prose", "bbcode", _repeat("[b]Some[/b] words [url=https://example.org]here[/url]. ")),
    ("bbcode [b]", "bbcode", _repeat("[b]")),
    ("bbcode [", "bbcode", _repeat("[")),
    ("bbcode [*]", "bbcode", _repeat("[list][*]")),
    ("bbcode long option", "bbcode", lambda n: ("[url=" + "a " * n)[: n - 1] + "]"),
    ("html many attributes", "html", lambda n: ("<a " + " ".join(f'x{i}="1"' for i in range(n // 8)))[: n - 1] + ">"),
    ("html alt/title", "html", _repeat('<img src="https://example.org/a.png" alt="a b" title="c">')),
    ("html url + ))))", "html", lambda n: ("<p>https://example.org/" + ")" * n)[:n]),
]


def measure(guard: Guard, markup: str, text: str, runs: int) -> tuple[float, float]:
    """CPU seconds of the draft stage alone (``analyze``) and of the whole check, medians."""
    stage, whole = [], []
    for _ in range(runs):
        started = time.process_time()
        analyze(text, markup=markup)
        stage.append(time.process_time() - started)
        started = time.process_time()
        guard.check(text, markup=markup, group="guest")
        whole.append(time.process_time() - started)
    return statistics.median(stage), statistics.median(whole)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="25k to 100k, one run each")
    args = parser.parse_args()
    sizes = [25_000, 50_000, CAP] if args.quick else [12_500, 25_000, 50_000, CAP]
    runs = 1 if args.quick else 3
    guard = Guard.shipped()
    guard.check("warm up", markup="markdown")
    guard.check("warm up", markup="bbcode")
    header = " | ".join(f"{n / 1000:g}k" for n in sizes)
    print("Draft stage (analyze) / whole check, CPU ms; growth of the draft stage over the last doubling.\n")
    print(f"| shape | markup | {header} | ×/doubling |")
    print("|---|---|" + "---|" * len(sizes) + "---|")
    for name, markup, make in SHAPES:
        times = [measure(guard, markup, make(n), runs) for n in sizes]
        growth = times[-1][0] / times[-2][0] if times[-2][0] > 0 else float("nan")
        cells = " | ".join(f"{a * 1000:.0f} / {b * 1000:.0f}" for a, b in times)
        print(f"| {name} | {markup} | {cells} | ×{growth:.2f} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
