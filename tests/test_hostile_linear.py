"""The hostile shapes of ``benchmarks/hostile.py`` as behaviour: each one, checked through
``Guard.check`` in every markup it is meant for, gives the verdict a reader would expect, with
spans inside the draft, and the emoji count stays exact on the dense-input path.

No timing assertions here: the cost curves are the benchmark's job (``benchmarks/hostile.py
--quick`` in CI fails on a doubling above ×2.5)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from forum_guard.engine.actions import Action
from forum_guard.engine.draft import count_emoji
from forum_guard.engine.policy import Guard
from forum_guard.engine.terms import ListKind, Term, WordList

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
import hostile  # noqa: E402

SIZE = 10_000


@pytest.fixture(scope="module")
def guards() -> dict[str, Guard]:
    built = hostile._guards()
    # the 50k-domain guard is the 10k one grown; one of them is enough for behaviour
    return {name: build() for name, build in built.items() if name != "domains50k"}


CASES = [(s, m) for s in hostile.SHAPES if s.guard != "domains50k" for m in s.markups]


@pytest.mark.parametrize(("shape", "markup"), CASES, ids=[f"{s.name}-{m}" for s, m in CASES])
def test_every_shape_checks_to_a_sane_verdict(guards: dict[str, Guard], shape: hostile.Shape, markup: str) -> None:
    text = shape.build(SIZE)
    assert len(text) == SIZE or shape.name.startswith("many-distinct")
    verdict = guards[shape.guard].check(text, markup=markup, group="guest")
    for match in verdict.matches:
        for start, end in match.spans:
            assert 0 <= start < end <= len(verdict.sanitized if markup == "html" else text)
    assert verdict.action in set(Action)


def test_shapes_built_to_the_cap_are_accepted_and_over_it_refused() -> None:
    guard = Guard.shipped()
    at_cap = hostile.SHAPES[0].build(hostile.CAP)
    assert len(at_cap) == guard.limits.hard_cap
    over = guard.check(at_cap + "!", markup="text")
    assert over.action is Action.BLOCK and over.violations[0].kind.value == "too_large"


def test_word_under_exceptions_is_blocked_at_every_repeat(guards: dict[str, Guard]) -> None:
    verdict = guards["shipped"].check(hostile.repeat_to("shiitake fuck ", 2_800), markup="text")
    assert verdict.action is Action.BLOCK
    assert sum(1 for m in verdict.matches if m.term.startswith("fuck") or "fuck" in m.term) == 200


def test_censor_flood_censors_every_word(guards: dict[str, Guard]) -> None:
    verdict = guards["censor"].check("darn " * 2_000, markup="text")
    assert verdict.action is Action.CENSOR
    assert "darn" not in verdict.censored_html.lower()
    assert len(verdict.matches) == 2_000


def test_link_flood_to_blocked_hosts_is_blocked(guards: dict[str, Guard]) -> None:
    text = "https://www1.spam-04321.example/x " * 50
    verdict = guards["domains10k"].check(text, markup="html", group="member")
    assert verdict.action is Action.BLOCK
    assert {m.list for m in verdict.matches} == {"domains10k"}
    clean = guards["domains10k"].check(hostile._domain_links(SIZE), markup="html", group="member")
    assert not [m for m in clean.matches if m.list == "domains10k"]


def test_emoji_flood_is_over_the_limit_with_the_exact_count(guards: dict[str, Guard]) -> None:
    for markup in hostile.ALL:
        verdict = guards["shipped"].check("😀" * 5_000, markup=markup)
        assert verdict.emoji_count == 5_000
        assert verdict.action is Action.BLOCK


@pytest.mark.parametrize("unit", ["😀", "👍🏽", "👨\u200d👩\u200d👧", "🇫🇷", "1\ufe0f\u20e3", "#\u20e3", "❤\ufe0f",
                                  "©", "a©b", "🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f",
                                  "😀\ufe0e", "x 😀 y", "\u20e3", "🇫"])
def test_emoji_count_is_the_same_sparse_and_dense(unit: str) -> None:
    one = count_emoji(unit)  # the per-candidate path
    for repeat in (3, 100, 5_000):  # 5,000 copies take the one-pass path
        assert count_emoji(unit * repeat) == one * repeat or unit == "🇫", unit
    # a lone regional indicator pairs with the next one: 2k of them are k flags
    assert count_emoji("🇫" * 6_000) == 3_000


def test_emoji_after_a_long_ascii_prefix() -> None:
    assert count_emoji("a" * 50_000 + "1\ufe0f\u20e3" * 100 + "b" * 50_000) == 100
    assert count_emoji("a" * 50_000 + "😀" * 3) == 3


def test_many_attributes_keep_only_allowed_ones(guards: dict[str, Guard]) -> None:
    text = "<p" + "".join(f' onclick{i}="x" a{i}=1' for i in range(800)) + ' title="t">fine</p>'
    verdict = guards["shipped"].check(text, markup="html")
    assert verdict.sanitized == "<p>fine</p>"


def test_quick_benchmark_runs_and_reports_every_row() -> None:
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "hostile.py"), "--quick", "--only", "shortcodes",
                          "--repeat", "1"], capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode in (0, 1), out.stderr
    lines = [line for line in out.stdout.splitlines() if line.startswith("| shortcodes |")]
    assert [line.split("|")[2].strip() for line in lines] == list(hostile.ALL)
    assert "shape × markup rows pass" in out.stdout


def test_domains_kind_is_what_the_benchmark_builds() -> None:
    wl = hostile._domain_list(1_000)
    assert wl.kind is ListKind.DOMAINS and len(wl.terms) == 1_000
    assert isinstance(wl, WordList) and all(isinstance(t, Term) for t in wl.terms)
