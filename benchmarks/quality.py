"""Measure the quality of the shipped lists: evasion recall and false positives.

    python benchmarks/quality.py [--lists wordlists] [--data tests/data] [--peers] [--json] [--jobs 2]

What it measures, with ``Guard.from_directory(lists).check(text, html=..., group="member")``:

* **Recall per evasion category** over ``tests/data/evasion/*.jsonl`` (written by
  ``benchmarks/corpus.py``): a line is caught when a match of the profanity list overlaps the
  labelled span; an ``html_split`` line (no span, offsets depend on the sanitizer) is caught when
  the profanity list matches at all.
* **False positives**: dictionary words checked one at a time (``/usr/share/dict/words``, all of
  it, and the ``english_words`` web2 list when installed), the generated prose of
  ``tests/data/fp/prose.txt`` and the innocent traps of ``tests/data/fp/traps.txt``. Dictionary
  words that are themselves vulgar (``tests/data/fp/dictionary_profane.txt``) are reported but
  not counted as false positives.

**Innocent text, per list source** (issue 9): the shipped lists, better_profanity's and
glin-profanity's bundled English lists (read from their installed packages, loaded plain) and an
LDNOOBW-shaped list (the shipped tiers' words written plain, one a line, no header, wildcards or
exceptions, as LDNOOBW publishes) are each compiled alone and run over text nobody here wrote:
every word of Debian ``wamerican-huge``, every Debian ``fortunes`` cookie and every paragraph of
the Python docs (``python3-doc``, text of ``<p>`` elements). A hit is *named* when the matched
word is one the list spells out (a term, its -s -es -ed -ing form, a wildcard continuation),
else *innocent*; the table gives innocent hits per 10,000 units and every innocent hit is printed
to be read. ``--quick`` samples 20,000 words, 2,000 cookies and 2,000 paragraphs.

``--peers`` runs the same corpus through better_profanity (its own word list, and loaded with our
list's words), glin-profanity (its English list, and with our words added) and a plain
case-insensitive ``\\b(?:t1|t2|...)\\b`` regex over our terms (the Discourse approach). Peers
without spans count a line as caught when they flag it but not the same sentence with the word
replaced by an innocent one; they get the raw HTML of the ``html_split`` lines, as a forum
handing them a post would. Peers check a fixed 5,000-word sample of the dictionary
(better_profanity is slow).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from forum_guard import Guard  # noqa: E402
from forum_guard.engine.terms import WordList  # noqa: E402

SEED = 5_000
DICT_PATH = Path("/usr/share/dict/words")
PEER_SAMPLE = 5_000
PROFANITY = "profanity"
#: the shipped tiers the labelled corpus is generated from (benchmarks/corpus.py)
VULGAR = frozenset({"profanity", "mild", "sexual", "slurs"})

Spans = list[tuple[int, int]]
#: text, is_html -> spans of profanity found (forum_guard, regex) or just flagged/not (others)
Detect = Callable[[str, bool], "Spans | bool"]


@dataclass
class Tool:
    name: str
    detect: Detect
    #: checks the whole dictionary (fast tools) rather than the peer sample
    full_dictionary: bool = False
    #: text, is_html, list names -> spans of those lists (forum_guard: the categories that name lists)
    detect_in: Callable[[str, bool, frozenset[str]], Spans] | None = None


@dataclass
class Case:
    category: str
    text: str
    term: str
    html: bool
    start: int | None
    end: int | None
    form: str
    how: str
    #: the lists the line is measured on (None: the vulgar tiers)
    lists: frozenset[str] | None = None


@dataclass
class Data:
    cases: list[Case]
    dictionary: list[str]
    web2: list[str]
    prose: list[str]
    traps: list[str]
    profane: set[str]
    sample: list[str] = field(default_factory=list)
    #: category -> (is HTML, innocent lines no list of the category may match) from tests/data/traps/
    category_traps: dict[str, tuple[bool, list[str]]] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------
# loading


def _lines(path: Path) -> list[str]:
    if not path.exists():
        return []
    return [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip() and not ln.startswith("#")]


def load_data(data_dir: Path) -> Data:
    cases: list[Case] = []
    for path in sorted((data_dir / "evasion").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            cases.append(Case(
                category=path.stem, text=row["text"], term=row["term"], html=bool(row.get("html")),
                start=row.get("start"), end=row.get("end"), form=row.get("form", ""), how=row.get("how", ""),
                lists=frozenset(row["lists"]) if row.get("lists") else None,
            ))
    dictionary = [w for w in _lines(DICT_PATH)] if DICT_PATH.exists() else []
    try:
        from english_words import get_english_words_set

        web2 = sorted(get_english_words_set(["web2"], lower=True))
    except Exception:  # not installed, or the data set is missing
        web2 = []
    data = Data(
        cases=cases,
        dictionary=dictionary,
        web2=web2,
        prose=_lines(data_dir / "fp" / "prose.txt"),
        traps=_lines(data_dir / "fp" / "traps.txt"),
        profane={w.lower() for w in _lines(data_dir / "fp" / "dictionary_profane.txt")},
    )
    data.sample = sorted(random.Random(SEED).sample(dictionary, min(PEER_SAMPLE, len(dictionary))))
    html_categories = {c.category for c in cases if c.html}
    for path in sorted((data_dir / "traps").glob("*.txt")):
        data.category_traps[path.stem] = (path.stem in html_categories, _lines(path))
    return data


def is_profane_word(word: str, profane: set[str]) -> bool:
    w = word.lower()
    return w in profane or w.removesuffix("'s") in profane


# --------------------------------------------------------------------------------------------
# tools


def guard_tool(guard: Guard) -> Tool:
    def detect(text: str, html: bool) -> Spans:
        verdict = guard.check(text, html=html, group="member")
        return [(m.start, m.end) for m in verdict.matches if m.list in VULGAR]

    def detect_in(text: str, html: bool, lists: frozenset[str]) -> Spans:
        verdict = guard.check(text, html=html, group="member")
        return [(m.start, m.end) for m in verdict.matches if m.list in lists]

    return Tool("forum_guard", detect, full_dictionary=True, detect_in=detect_in)


def guard_terms(guard: Guard) -> WordList:
    """The vulgar tiers as one list (what the peers are given as "our words")."""
    terms = tuple(t for wl in guard.lists if wl.name in VULGAR for t in wl.terms)
    if not terms:
        raise SystemExit(f"no list named one of {sorted(VULGAR)} in the lists folder")
    return WordList(name=PROFANITY, terms=terms)


def our_words(wl: WordList) -> list[str]:
    """The list's words as plain strings (wildcards dropped), for peers that take a word list."""
    return sorted({" ".join(t.text.lower().split()) for t in wl.words})


def regex_tool(wl: WordList) -> Tool:
    parts = []
    for t in sorted(wl.words, key=lambda t: -len(t.text)):
        body = r"\s+".join(re.escape(p) for p in t.text.lower().split())
        parts.append((r"\w*" if t.wildcard_start else "") + body + (r"\w*" if t.wildcard_end else ""))
    pattern = re.compile(r"\b(?:" + "|".join(parts) + r")\b", re.IGNORECASE)

    def detect(text: str, html: bool) -> Spans:
        return [m.span() for m in pattern.finditer(text)]

    return Tool("regex \\b(our terms)\\b", detect, full_dictionary=True)


def peer_tools(wl: WordList) -> list[Tool]:
    tools: list[Tool] = []
    try:
        from better_profanity import Profanity
    except ImportError:
        print("better_profanity not installed: skipped", file=sys.stderr)
    else:
        default = Profanity()
        ours = Profanity(our_words(wl))
        tools.append(Tool("better_profanity", lambda t, h: default.contains_profanity(t)))
        tools.append(Tool("better_profanity (our words)", lambda t, h: ours.contains_profanity(t)))
    try:
        from glin_profanity import Filter
    except ImportError:
        print("glin-profanity not installed: skipped", file=sys.stderr)
    else:
        config: dict[str, Any] = {"languages": ["english"], "detect_leetspeak": True, "normalize_unicode": True}
        glin = Filter(dict(config))
        glin_ours = Filter({**config, "custom_words": our_words(wl)})
        tools.append(Tool("glin-profanity", lambda t, h: glin.is_profane(t)))
        tools.append(Tool("glin-profanity (+our words)", lambda t, h: glin_ours.is_profane(t)))
    tools.append(regex_tool(wl))
    return tools


# --------------------------------------------------------------------------------------------
# measuring


def caught(case: Case, found: Spans | bool) -> bool:
    if isinstance(found, bool):
        return found
    if case.start is None or case.end is None:
        return bool(found)
    return any(s < case.end and case.start < e for s, e in found)


def exact_span(case: Case, found: Spans | bool) -> bool | None:
    """Whether a match starts and ends where the labelled span does (None: no span to compare)."""
    if isinstance(found, bool) or case.start is None or case.end is None:
        return None
    return (case.start, case.end) in found


#: what replaces the evasive word in a control sentence
PLACEHOLDER = "banana"


def control_text(case: Case) -> str:
    """The case's sentence with the evasive word replaced by an innocent one."""
    if case.html or case.start is None or case.end is None:
        return case.text.replace(case.form, PLACEHOLDER, 1)
    return case.text[: case.start] + PLACEHOLDER + case.text[case.end :]


def flagged(found: Spans | bool) -> bool:
    return found if isinstance(found, bool) else bool(found)


def measure(tool: Tool, data: Data) -> dict[str, Any]:
    t0 = time.perf_counter()
    per_cat: dict[str, list[int]] = {}
    spans: dict[str, list[int]] = {}
    misses: dict[str, list[dict[str, str]]] = {}
    inexact: dict[str, list[dict[str, Any]]] = {}
    controls: dict[tuple[str, bool], bool] = {}
    carrier_flagged = 0
    cat_lists: dict[str, frozenset[str]] = {}
    for case in data.cases:
        if case.lists is not None and tool.detect_in is not None:
            found = tool.detect_in(case.text, case.html, case.lists)
            cat_lists[case.category] = cat_lists.get(case.category, frozenset()) | case.lists
        else:
            found = tool.detect(case.text, case.html)
        ok = caught(case, found)
        exact = exact_span(case, found)
        if exact is not None:
            tally_s = spans.setdefault(case.category, [0, 0])
            tally_s[0] += exact
            tally_s[1] += 1
            if ok and not exact:
                inexact.setdefault(case.category, []).append({"form": case.form, "found": found, "text": case.text,
                                                               "span": [case.start, case.end]})
        if ok and isinstance(found, bool):
            # a tool without spans must not get credit for flagging the carrier sentence itself
            key = (control_text(case), case.html)
            if key not in controls:
                controls[key] = flagged(tool.detect(*key))
            if controls[key]:
                ok = False
                carrier_flagged += 1
        tally = per_cat.setdefault(case.category, [0, 0])
        tally[0] += ok
        tally[1] += 1
        if not ok:
            misses.setdefault(case.category, []).append({"form": case.form, "how": case.how, "term": case.term,
                                                          "text": case.text})
    recall = {cat: {"caught": c, "total": n, "recall": c / n if n else 0.0,
                    "spans_exact": spans[cat][0] / spans[cat][1] if spans.get(cat) else None}
              for cat, (c, n) in sorted(per_cat.items())}
    total_c = sum(c for c, _ in per_cat.values())
    total_n = sum(n for _, n in per_cat.values())
    recall["all"] = {"caught": total_c, "total": total_n, "recall": total_c / total_n if total_n else 0.0}

    def dictionary_fp(words: Sequence[str]) -> dict[str, Any]:
        hits = [w for w in words if flagged(tool.detect(w, False))]
        innocent = [w for w in hits if not is_profane_word(w, data.profane)]
        n = len(words)
        return {
            "words": n, "flagged": len(hits), "innocent_flagged": len(innocent),
            "innocent_per_5k": 5000 * len(innocent) / n if n else 0.0,
            "flagged_per_5k": 5000 * len(hits) / n if n else 0.0,
            "innocent": innocent,
            "vulgar": [w for w in hits if is_profane_word(w, data.profane)],
        }

    result: dict[str, Any] = {"tool": tool.name, "recall": recall, "misses": misses,
                              "carrier_flagged": carrier_flagged, "inexact_spans": inexact}
    # each category's own false-positive traps, checked against the category's lists
    category_traps: dict[str, Any] = {}
    for cat, (is_html, traps) in data.category_traps.items():
        lists = cat_lists.get(cat)
        hits = []
        for trap in traps:
            found = (tool.detect_in(trap, is_html, lists) if lists is not None and tool.detect_in is not None
                     else tool.detect(trap, is_html))
            if flagged(found):
                hits.append(trap)
        category_traps[cat] = {"traps": len(traps), "flagged": len(hits), "offenders": hits}
    result["category_traps"] = category_traps
    result["dictionary_sample"] = dictionary_fp(data.sample)
    if tool.full_dictionary:
        result["dictionary"] = dictionary_fp(data.dictionary)
        if data.web2:
            result["web2"] = dictionary_fp(data.web2)
    prose_hits = [s for s in data.prose if flagged(tool.detect(s, False))]
    result["prose"] = {
        "sentences": len(data.prose), "flagged": len(prose_hits),
        "per_2000": 2000 * len(prose_hits) / len(data.prose) if data.prose else 0.0, "offenders": prose_hits,
    }
    trap_hits = [s for s in data.traps if flagged(tool.detect(s, False))]
    result["traps"] = {"traps": len(data.traps), "flagged": len(trap_hits), "offenders": trap_hits}
    result["seconds"] = round(time.perf_counter() - t0, 2)
    return result


_WORK: tuple[list[Tool], Data] | None = None


def _measure_index(i: int) -> dict[str, Any]:
    assert _WORK is not None
    tools, data = _WORK
    print(f"measuring {tools[i].name} …", file=sys.stderr)
    return measure(tools[i], data)


def run_all(tools: list[Tool], data: Data, jobs: int) -> list[dict[str, Any]]:
    """Measure every tool; with ``jobs > 1`` in forked processes (tools hold closures, so they
    are inherited rather than pickled), the slowest peer first."""
    global _WORK
    _WORK = (tools, data)
    if jobs <= 1 or len(tools) == 1 or "fork" not in multiprocessing.get_all_start_methods():
        return [_measure_index(i) for i in range(len(tools))]
    order = sorted(range(len(tools)), key=lambda i: not tools[i].name.startswith("better_profanity"))
    with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork")) as pool:
        futures = {i: pool.submit(_measure_index, i) for i in order}
        return [futures[i].result() for i in range(len(tools))]


def guard_details(guard: Guard, words: Iterable[str], profane: set[str]) -> list[tuple[str, str]]:
    """(word, term) for innocent dictionary words the guard flags."""
    out = []
    for w in words:
        if is_profane_word(w, profane):
            continue
        ms = [m for m in guard.check(w).matches if m.list in VULGAR]
        if ms:
            out.append((w, ms[0].term))
    return out


# --------------------------------------------------------------------------------------------
# reporting


def markdown(results: list[dict[str, Any]], data: Data, guard: Guard) -> str:
    names = [r["tool"] for r in results]
    out = ["## Evasion recall (% of labelled lines caught)", "",
           "forum_guard's spans exact: % of lines with a span whose match starts and ends where the label "
           "does; its traps: innocent lines of the category's own (tests/data/traps/) its lists matched.", ""]
    out.append("| category | lines | " + " | ".join(names) + " | forum_guard spans exact | forum_guard traps hit |")
    out.append("|---|---:|" + "---:|" * len(names) + "---:|---:|")
    cats = [c for c in results[0]["recall"] if c != "all"] + ["all"]
    g_traps = results[0].get("category_traps", {})
    for cat in cats:
        n = results[0]["recall"][cat]["total"]
        cells = [f"{100 * r['recall'][cat]['recall']:.1f}" for r in results]
        label = f"**{cat}**" if cat == "all" else cat
        exact = results[0]["recall"][cat].get("spans_exact")
        t = g_traps.get(cat)
        out.append(f"| {label} | {n} | " + " | ".join(cells)
                   + f" | {'–' if exact is None else f'{100 * exact:.1f}'} | "
                   + ("–" if t is None else f"{t['flagged']} of {t['traps']}") + " |")
    out += ["", "## False positives", ""]
    out.append("| measure | " + " | ".join(names) + " |")
    out.append("|---|" + "---:|" * len(names))
    s = results[0]["dictionary_sample"]
    out.append(f"| dictionary sample ({s['words']:,} words): innocent words flagged | "
               + " | ".join(str(r["dictionary_sample"]["innocent_flagged"]) for r in results) + " |")
    out.append("| dictionary sample: all words flagged (incl. vulgar ones) | "
               + " | ".join(str(r["dictionary_sample"]["flagged"]) for r in results) + " |")
    for key, label in (("dictionary", "wamerican"), ("web2", "web2")):
        if any(key in r for r in results):
            n = next(r[key]["words"] for r in results if key in r)
            out.append(f"| full {label} ({n:,} words): innocent flagged per 5k | "
                       + " | ".join(f"{r[key]['innocent_per_5k']:.2f} ({r[key]['innocent_flagged']})" if key in r
                                    else "–" for r in results) + " |")
    p = results[0]["prose"]
    out.append(f"| prose ({p['sentences']:,} sentences): flagged per 2,000 | "
               + " | ".join(f"{r['prose']['per_2000']:.1f} ({r['prose']['flagged']})" for r in results) + " |")
    t = results[0]["traps"]
    out.append(f"| traps ({t['traps']}): flagged | " + " | ".join(str(r["traps"]["flagged"]) for r in results) + " |")
    out.append("| evasion lines not credited: the carrier alone is flagged | "
               + " | ".join(str(r["carrier_flagged"]) for r in results) + " |")
    out.append("| seconds | " + " | ".join(f"{r['seconds']:.1f}" for r in results) + " |")

    g = results[0]
    out += ["", "## forum_guard details", ""]
    for key in ("dictionary", "web2"):
        if key not in g:
            continue
        d = g[key]
        out.append(f"- {key}: {d['flagged']} of {d['words']:,} words flagged ({d['flagged_per_5k'] / 5:.2f} per 1k), "
                   f"{d['innocent_flagged']} of them innocent ({d['innocent_per_5k'] / 5:.3f} per 1k, "
                   f"{d['innocent_per_5k']:.2f} per 5k; 1 in {d['words'] // max(1, d['innocent_flagged']):,})")
        vulgar = sorted({w.lower().removesuffix("'s") for w in d.get("vulgar", [])})
        if vulgar:
            out.append(f"  - vulgar words flagged (not counted; first 30 of {len(vulgar)}): "
                       + ", ".join(f"`{w}`" for w in vulgar[:30]))
        top = guard_details(guard, d["innocent"], data.profane)[:30]
        if top:
            out.append("  - innocent flagged (word ← term): " + ", ".join(f"`{w}` ← `{t}`" for w, t in top))
    if g["prose"]["offenders"]:
        out.append(f"- prose offenders ({g['prose']['flagged']}):")
        for sentence in g["prose"]["offenders"][:30]:
            ms = [(m.matched, m.term) for m in guard.check(sentence).matches if m.list in VULGAR]
            out.append(f"  - {sentence!r} → " + ", ".join(f"`{a}` ← `{b}`" for a, b in ms))
    if g["traps"]["offenders"]:
        out.append(f"- traps flagged ({g['traps']['flagged']}):")
        for trap in g["traps"]["offenders"]:
            ms = [(m.matched, m.term) for m in guard.check(trap).matches if m.list in VULGAR]
            out.append(f"  - {trap!r} → " + ", ".join(f"`{a}` ← `{b}`" for a, b in ms))
    others = Counter()
    for sentence in data.prose + data.traps:
        for m in guard.check(sentence).matches:
            if m.list not in VULGAR:
                others[(m.list, m.matched)] += 1
    if others:
        out.append("- other lists matching prose or traps: "
                   + ", ".join(f"{li}: `{w}` ×{n}" for (li, w), n in others.most_common(20)))
    for cat, t in g.get("category_traps", {}).items():
        if t["offenders"]:
            out.append(f"- {cat} traps matched ({t['flagged']}): " + ", ".join(repr(x) for x in t["offenders"]))
    if g.get("inexact_spans"):
        out.append("- caught with a span other than the label's (first examples):")
        for cat, rows in g["inexact_spans"].items():
            out.append(f"  - {cat} ({len(rows)}): " + "; ".join(
                f"{r['form']!r} label {r['span']} found {r['found']}" for r in rows[:4]))
    if g["misses"]:
        out.append("- evasion misses (by category, trick → count; first examples):")
        for cat, rows in g["misses"].items():
            hows = Counter(r["how"] for r in rows)
            out.append(f"  - {cat} ({len(rows)}): " + ", ".join(f"{h} ×{n}" for h, n in hows.most_common(8)))
            for r in rows[:4]:
                out.append(f"    - {r['form']!r} ({r['term']}): {r['text']!r}")
    for r in results[1:]:
        if r["traps"]["offenders"]:
            out.append(f"- {r['tool']} traps flagged: " + ", ".join(repr(x) for x in r["traps"]["offenders"][:15])
                       + (" …" if len(r["traps"]["offenders"]) > 15 else ""))
    return "\n".join(out)


# --------------------------------------------------------------------------------------------
# innocent text nobody here wrote, per list source

HUGE_PATH = Path("/usr/share/dict/american-english-huge")
FORTUNES_DIR = Path("/usr/share/games/fortunes")
PYDOC_DIR = Path("/usr/share/doc/python3-doc/html")
QUICK = {"wamerican-huge": 20_000, "fortunes": 2_000, "python-doc": 2_000}


class _Paragraphs(HTMLParser):
    """The text of every ``<p>`` element of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self._depth = 0
        self._buf: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "p":
            self._depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "p" and self._depth:
            self._depth -= 1
            if not self._depth:
                text = " ".join("".join(self._buf).split())
                if text:
                    self.out.append(text)
                self._buf = []

    def handle_data(self, data: str) -> None:
        if self._depth:
            self._buf.append(data)


def innocent_corpora(quick: bool) -> dict[str, list[str]]:
    """Unit texts of each innocent corpus that is installed (words, cookies, paragraphs)."""
    out: dict[str, list[str]] = {}
    if HUGE_PATH.exists():
        out["wamerican-huge"] = [w for w in HUGE_PATH.read_text(encoding="utf-8").split("\n") if w.strip()]
    else:
        print(f"{HUGE_PATH} missing (Debian wamerican-huge): skipped", file=sys.stderr)
    if FORTUNES_DIR.is_dir():
        cookies: list[str] = []
        for path in sorted(FORTUNES_DIR.iterdir()):
            if path.is_file() and not path.suffix and not path.is_symlink():
                text = path.read_text(encoding="utf-8", errors="replace")
                cookies += [c.strip() for c in re.split(r"(?m)^%\s*$", text) if c.strip()]
        out["fortunes"] = cookies
    else:
        print(f"{FORTUNES_DIR} missing (Debian fortunes): skipped", file=sys.stderr)
    if PYDOC_DIR.is_dir():
        paragraphs: list[str] = []
        for path in sorted(PYDOC_DIR.rglob("*.html")):
            parser = _Paragraphs()
            parser.feed(path.read_text(encoding="utf-8", errors="replace"))
            paragraphs += parser.out
        out["python-doc"] = paragraphs
    else:
        print(f"{PYDOC_DIR} missing (Debian python3-doc): skipped", file=sys.stderr)
    if quick:
        out = {k: sorted(random.Random(SEED).sample(v, min(QUICK[k], len(v)))) for k, v in out.items()}
    return out


def list_sources(lists_dir: Path) -> list[tuple[str, list[WordList]]]:
    """(name, lists) of each list source; a source whose package is missing is left out."""
    from importlib import resources

    from forum_guard.engine.formats import export_text, parse_import_text
    from forum_guard.engine.terms import ListKind, load_wordlists

    shipped = [wl for wl in load_wordlists(lists_dir) if wl.kind is ListKind.TERMS]
    sources = [("shipped", shipped)]
    try:
        text = (resources.files("better_profanity") / "profanity_wordlist.txt").read_text(encoding="utf-8")
        sources.append(("better_profanity", [parse_import_text(text, name="better_profanity",
                                                              source="better_profanity", format="plain")]))
    except (ImportError, FileNotFoundError):
        print("better_profanity not installed: its list skipped", file=sys.stderr)
    try:
        raw = (resources.files("glin_profanity") / "data" / "dictionaries" / "english.json").read_text(encoding="utf-8")
        sources.append(("glin-profanity", [parse_import_text("\n".join(json.loads(raw)["words"]), name="glin",
                                                            source="glin-profanity", format="plain")]))
    except (ImportError, FileNotFoundError):
        print("glin-profanity not installed: its list skipped", file=sys.stderr)
    # LDNOOBW's shape: one plain term a line, no header, wildcards or exceptions (our tiers' words)
    plain = "".join(export_text(wl, "plain").replace("*", "") for wl in shipped if wl.name in VULGAR)
    sources.append(("LDNOOBW-shaped", [parse_import_text(plain, name="ldnoobw", source="ldnoobw", format="plain")]))
    return sources


_WORD_RE = re.compile(r"[^\W\d_]+")


def innocent_hits(guard: Guard, units: list[str]) -> dict[str, Any]:
    """Every match on the units, sorted by what the list says about the matched word: ``exact``
    (a term as written), ``inflected`` (its -s -es -ed -ing forms), ``wildcard`` (what a ``word*``
    or ``*word`` term continues it with) and ``innocent`` (a word the list does not spell out)."""
    from forum_guard.engine.dictionary import Spellings, vulgar_words
    from forum_guard.engine.review import scan_lines
    from forum_guard.engine.terms import derived_terms

    spellings = {wl.name: Spellings(wl) for wl in guard.lists}
    exact = {wl.name: {" ".join(_WORD_RE.findall(t.text.lower())) or t.text.casefold() for t in wl.words}
             for wl in guard.lists}
    derived = {wl.name: {" ".join(_WORD_RE.findall(d.text)) for t in wl.words for d in derived_terms(t, wl)}
               for wl in guard.lists}
    vulgar = vulgar_words()
    kinds: dict[str, Counter[str]] = {"exact": Counter(), "inflected": Counter(), "wildcard": Counter(),
                                      "derived": Counter(), "vulgar": Counter()}
    innocent: list[dict[str, Any]] = []
    for i, matches in sorted(scan_lines(guard, units).items()):
        for m in matches:
            word = " ".join(_WORD_RE.findall(m.matched.lower())) or m.matched.casefold()  # 🖕: as written
            sp = spellings[m.list]
            if word in exact[m.list]:
                kinds["exact"][word] += 1
            elif sp.spells_word(word):
                kinds["inflected"][word] += 1
            elif word and word in sp:
                kinds["wildcard"][word] += 1
            elif word in derived[m.list] or any(word[:-k] in derived[m.list] for k in (1, 2, 3) if len(word) > k):
                kinds["derived"][word] += 1  # a derived form (derive:), or its -s -es -ed
            elif word in vulgar:
                kinds["vulgar"][word] += 1  # a word the shipped vulgar tiers name (fucker from fuck)
            else:
                text = units[i]
                context = text[max(0, m.start - 40) : m.end + 40].replace("\n", " ")
                innocent.append({"unit": i, "list": m.list, "term": m.term, "matched": m.matched,
                                 "context": context})
    units_innocent = len({h["unit"] for h in innocent})
    return {"units": len(units), **{k: sum(c.values()) for k, c in kinds.items()},
            **{f"{k}_words": c.most_common() for k, c in kinds.items()},
            "innocent": innocent, "units_innocent": units_innocent,
            "per_10k": 10_000 * units_innocent / len(units) if units else 0.0}


def run_innocent(lists_dir: Path, quick: bool, derive: str | None = None,
                 sources: Sequence[str] | None = None) -> dict[str, Any]:
    """``derive``: every terms list of every source takes this ``derive:`` option (its cost)."""
    from dataclasses import replace as _replace

    from forum_guard.engine.dictionary import default_dictionary
    from forum_guard.engine.terms import ListKind, parse_derive

    corpora = innocent_corpora(quick)
    guard_dictionary = default_dictionary()
    out: dict[str, Any] = {"corpora": {k: len(v) for k, v in corpora.items()}, "sources": {},
                           "guard_dictionary": guard_dictionary.source if guard_dictionary else "none"}
    for name, lists in list_sources(lists_dir):
        if sources and name not in sources:
            continue
        if derive is not None:
            lists = [_replace(wl, derive=parse_derive(derive)) if wl.kind is ListKind.TERMS else wl for wl in lists]
            out["derive"] = derive
        t0 = time.perf_counter()
        guard = Guard(lists)
        print(f"innocent text: {name} ({sum(len(wl.words) for wl in lists):,} terms) …", file=sys.stderr)
        out["sources"][name] = {
            "lists": [wl.name for wl in lists], "terms": sum(len(wl.words) for wl in lists),
            "derive": {wl.name: " ".join(wl.derive) for wl in lists if wl.derive},
            "notes": Counter(n.what for wl in lists for n in wl.notes),
            "corpora": {k: innocent_hits(guard, v) for k, v in corpora.items()},
        }
        out["sources"][name]["seconds"] = round(time.perf_counter() - t0, 1)
    return out


def innocent_markdown(res: dict[str, Any]) -> str:
    out = ["## Innocent text, per list source (hits per 10,000 units)", "",
           f"The Scunthorpe guard's dictionary: {res.get('guard_dictionary')}."
           + (f" Every terms list derives `{res['derive']}`." if res.get("derive") is not None else ""), ""]
    for name, src in res["sources"].items():
        notes = ", ".join(f"{n} {w}" for w, n in sorted(src["notes"].items())) or "none"
        derive = "; ".join(f"{k} derives {v}" for k, v in src.get("derive", {}).items())
        out += [f"### {name} ({src['terms']:,} terms in {', '.join(src['lists'])}; load notes: {notes}"
                + (f"; {derive}" if derive else "") + ")", "",
                "| corpus | units | hits: a term as written | its -s/-ed/-ing forms | wildcard continuations "
                "| derived forms | vulgar words the shipped tiers name | innocent hits | units with one "
                "| innocent per 10,000 |",
                "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for corpus, r in src["corpora"].items():
            out.append(f"| {corpus} | {r['units']:,} | {r['exact']:,} | {r['inflected']:,} | {r['wildcard']:,} | "
                       f"{r['derived']:,} | {r['vulgar']:,} | "
                       f"{len(r['innocent']):,} | {r['units_innocent']:,} | {r['per_10k']:.2f} |")
        out.append("")
        for corpus, r in src["corpora"].items():
            for kind, label in (("exact", "terms as written"), ("inflected", "-s/-ed/-ing forms"),
                                ("wildcard", "wildcard continuations"), ("derived", "derived forms"),
                                ("vulgar", "vulgar words the shipped tiers name")):
                words = r[f"{kind}_words"]
                if words:
                    out.append(f"- {corpus}, {label}: " + ", ".join(f"`{w}` ×{n}" if n > 1 else f"`{w}`"
                                                                   for w, n in words))
            if r["innocent"]:
                out.append(f"- {corpus}, every innocent hit ({len(r['innocent'])}; matched ← term, list, context):")
                for h in r["innocent"]:
                    out.append(f"  - `{h['matched']}` ← `{h['term']}` ({h['list']}): {h['context']!r}")
        out.append("")
    return "\n".join(out)

def build_cost(n: int, repeats: int = 2) -> str:
    """Guard build seconds for the speed benchmark's first ``n`` terms, the Scunthorpe guard on
    and off, alternating (a loaded machine moves both alike; the ratio is the figure)."""
    sys.path.insert(0, str(REPO_ROOT / "benchmarks"))
    from _data import corpus  # type: ignore[import-not-found]

    from forum_guard.engine.dictionary import default_dictionary
    from forum_guard.engine.terms import Term

    t0 = time.perf_counter()
    dictionary = default_dictionary()
    if dictionary is not None:
        len(dictionary.by_skeleton)  # the index is built on first use: time it here, not in a build
    load = time.perf_counter() - t0
    wl = WordList(name="bench", terms=tuple(Term(w) for w in corpus().master[:n]))
    times: dict[str, list[float]] = {"off": [], "on": []}
    implicit = 0
    for _ in range(repeats):
        for key, d in (("off", None), ("on", dictionary)):
            t0 = time.perf_counter()
            guard = Guard([wl], dictionary=d)
            times[key].append(time.perf_counter() - t0)
            if d is not None:
                implicit = sum(1 for t in guard.matcher.lists[0].terms if t.exception)
    off, on = min(times["off"]), min(times["on"])
    return (f"build of {len(wl.terms):,} terms: guard off {off:.2f} s, guard on {on:.2f} s (×{on / off:.2f}, "
            f"{implicit:,} implicit exceptions); dictionary index {load:.2f} s once a process "
            f"({dictionary!r}); best of {repeats} (the first guarded build fills the user's guard cache, "
            f"so the later ones read each list's implicit exceptions from it: FORUM_GUARD_GUARD_CACHE=off "
            f"measures the computation every time)")


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lists", default=str(REPO_ROOT / "wordlists"), help="folder of lists (default: wordlists)")
    ap.add_argument("--data", default=str(REPO_ROOT / "tests" / "data"), help="corpus folder (default: tests/data)")
    ap.add_argument("--peers", action="store_true", help="also measure better_profanity, glin-profanity, a regex")
    ap.add_argument("--json", action="store_true", help="print JSON instead of Markdown")
    ap.add_argument("--quick", action="store_true", help="innocent text: a fixed sample of each corpus")
    ap.add_argument("--no-innocent", action="store_true", help="skip the innocent-text tables")
    ap.add_argument("--innocent-only", action="store_true", help="only the innocent-text tables")
    ap.add_argument("--derive", metavar="SUFFIXES",
                    help="innocent text: every terms list takes this derive: option ('y o ish head'; '' for none)")
    ap.add_argument("--source", action="append", metavar="NAME",
                    help="innocent text: only this list source (shipped, better_profanity, glin-profanity, "
                         "LDNOOBW-shaped); repeatable")
    ap.add_argument("--build-terms", type=int, metavar="N",
                    help="only time Guard builds of N terms with the Scunthorpe guard on and off")
    ap.add_argument("--guard-dictionary", metavar="PATH",
                    help="the Scunthorpe guard's dictionary (default: wamerican-huge; 'off' for none); "
                         "/usr/share/dict/american-english keeps it apart from the wamerican-huge corpus")
    ap.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1),
                    help="tools measured in parallel processes (default: 2)")
    args = ap.parse_args(argv)

    if args.guard_dictionary:
        from forum_guard.engine.dictionary import DICTIONARY_ENV

        os.environ[DICTIONARY_ENV] = args.guard_dictionary
    if args.build_terms:
        print(build_cost(args.build_terms))
        return 0
    innocent = None if args.no_innocent else run_innocent(Path(args.lists), args.quick, args.derive, args.source)
    if args.innocent_only:
        if innocent is not None:
            print(json.dumps(innocent, ensure_ascii=False, indent=1) if args.json else innocent_markdown(innocent))
        return 0
    guard = Guard.from_directory(args.lists)
    data = load_data(Path(args.data))
    if not data.cases:
        raise SystemExit(f"no evasion corpus in {args.data}/evasion: run benchmarks/corpus.py first")
    tools = [guard_tool(guard)]
    if args.peers:
        tools += peer_tools(guard_terms(guard))
    results = run_all(tools, data, jobs=max(1, args.jobs))
    if args.json:
        print(json.dumps({"lists": args.lists, "results": results, "innocent": innocent}, ensure_ascii=False,
                         indent=1))
    else:
        print(markdown(results, data, guard))
        if innocent is not None:
            print("\n" + innocent_markdown(innocent))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
