"""Quality regression on the labelled corpus (tests/data/): the goals of the README, in seconds.

The full measurement, with peers, is ``python benchmarks/quality.py --peers``.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import pytest

from forum_guard import Guard

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
GUARD = Guard.from_directory(ROOT / "wordlists")
#: the shipped tiers the corpus is generated from (benchmarks/corpus.py)
VULGAR = {"profanity", "mild", "sexual", "slurs"}
CATEGORIES = sorted(p.stem for p in (DATA / "evasion").glob("*.jsonl"))


def _profanity_spans(text: str, html: bool, lists: set[str] = VULGAR) -> list[tuple[int, int]]:
    verdict = GUARD.check(text, html=html, group="member")
    return [(m.start, m.end) for m in verdict.matches if m.list in lists]


@pytest.mark.parametrize("category", CATEGORIES)
def test_evasion_recall_at_least_95_percent(category: str) -> None:
    rows = [json.loads(line) for line in (DATA / "evasion" / f"{category}.jsonl").read_text("utf-8").splitlines()]
    assert len(rows) >= 100
    caught = 0
    for row in rows:
        spans = _profanity_spans(row["text"], bool(row.get("html")), set(row.get("lists") or VULGAR))
        if row.get("start") is None:
            caught += bool(spans)
        else:
            caught += any(a < row["end"] and row["start"] < b for a, b in spans)
    assert caught / len(rows) >= 0.95, f"{category}: {caught}/{len(rows)}"


NAMED = sorted(p.stem for p in (DATA / "traps").glob("*.txt"))


@pytest.mark.parametrize("category", NAMED)
def test_the_categories_of_issue_9_catch_98_percent_with_exact_spans_and_no_trap(category: str) -> None:
    rows = [json.loads(line) for line in (DATA / "evasion" / f"{category}.jsonl").read_text("utf-8").splitlines()]
    lists = {name for row in rows for name in row["lists"]}
    html = any(row.get("html") for row in rows)
    exact = sum((row["start"], row["end"]) in _profanity_spans(row["text"], bool(row.get("html")), set(row["lists"]))
                for row in rows)
    assert exact / len(rows) >= 0.98, f"{category}: {exact}/{len(rows)} spans exact"
    traps = [t for t in (DATA / "traps" / f"{category}.txt").read_text("utf-8").splitlines()
             if t.strip() and not t.startswith("#")]
    assert len(traps) >= 10
    assert [t for t in traps if _profanity_spans(t, html, lists)] == []


def test_dictionary_false_positives_below_1_in_5000() -> None:
    words_file = Path("/usr/share/dict/words")
    if not words_file.exists():
        pytest.skip("Debian wamerican is not installed")
    profane = set((DATA / "fp" / "dictionary_profane.txt").read_text("utf-8").split())
    words = [w for w in words_file.read_text("utf-8").split() if w.lower().removesuffix("'s") not in profane]
    sample = random.Random(5000).sample(words, 20_000)
    flagged = [w for w in sample if GUARD.check(w).matches]
    assert len(flagged) <= len(sample) / 5000, flagged


def test_prose_false_positives_below_1_in_2000() -> None:
    sentences = [s for s in (DATA / "fp" / "prose.txt").read_text("utf-8").splitlines() if s.strip()]
    assert len(sentences) >= 2000
    flagged = [s for s in sentences if GUARD.check(s).action.value != "allow"]
    assert len(flagged) <= len(sentences) / 2000, flagged[:5]


def test_known_traps_are_not_flagged() -> None:
    traps = [t for t in (DATA / "fp" / "traps.txt").read_text("utf-8").splitlines() if t.strip() and not t.startswith("#")]
    assert len(traps) >= 100
    flagged = [t for t in traps if any(m.list in VULGAR for m in GUARD.check(t).matches)]
    assert flagged == []


@pytest.mark.parametrize(("text", "action", "tier"), [
    ("you stupid cunt", "block", "profanity"),
    ("what the hell", "censor", "mild"),
    ("damn it all", "censor", "mild"),
    ("send me a blowjob pic", "require_approval", "sexual"),
    ("kys", "block", "harassment"),
    ("just kill yourself", "block", "harassment"),
    ("go f yourself", "block", "harassment"),
    ("shut the f up", "block", "harassment"),
    ("buy instagram followers", "require_approval", "spam"),
])
def test_shipped_tiers_and_their_actions(text: str, action: str, tier: str) -> None:
    verdict = GUARD.check(text)
    assert verdict.action.value == action and {m.list for m in verdict.matches} == {tier}, verdict.matches


@pytest.mark.parametrize("text", ["the cock crowed at dawn", "a wild ass and a jackass", "here, pussy, pussy",
                                  "Dick Swiveller in The Old Curiosity Shop", "Dickens wrote it", "a bloody nose",
                                  "he killed himself in the novel", "blue tits at the feeder"])
def test_dual_use_words_pass_the_shipped_tiers(text: str) -> None:
    assert GUARD.check(text).action.value == "allow", GUARD.check(text).matches


def _quality_module():  # type: ignore[no-untyped-def]
    import importlib.util

    spec = importlib.util.spec_from_file_location("fg_quality_bench", ROOT / "benchmarks" / "quality.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


def test_innocent_text_hits_are_sorted_by_what_the_list_spells_out() -> None:
    from forum_guard.engine.terms import parse_wordlist

    quality = _quality_module()
    guard = Guard([parse_wordlist("fuck\nshit*\nson-of-a-bitch\n🖕\n", name="t")], dictionary=None)
    units = ["good morning", "fuck off", "fucking hell", "a shitstorm", "what a son of a bitch", "a 🖕 here",
             "pass the butter"]
    r = quality.innocent_hits(guard, units)
    assert r["units"] == 7
    assert dict(r["exact_words"]) == {"fuck": 1, "son of a bitch": 1, "🖕": 1}
    assert dict(r["inflected_words"]) == {"fucking": 1} and dict(r["wildcard_words"]) == {"shitstorm": 1}
    # without the dictionary guard "good" is an innocent hit of nothing here; "butter" neither
    assert r["innocent"] == [] and r["per_10k"] == 0.0
    guard = Guard([parse_wordlist("god\nbutt\n", name="g")], dictionary=None)
    r = quality.innocent_hits(guard, units)
    assert [(h["matched"], h["term"], h["unit"]) for h in r["innocent"]] == [("good", "god", 0), ("butter", "butt", 6)]
    assert r["per_10k"] == 2 * 10_000 / 7
    sources = dict(quality.list_sources(ROOT / "wordlists"))
    assert {"shipped", "LDNOOBW-shaped"} <= set(sources)
    assert all("*" not in t.text and not t.exception for t in sources["LDNOOBW-shaped"][0].terms)
