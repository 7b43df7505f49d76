"""Public word lists load as they are published (issue 9, item 1).

better_profanity's and glin-profanity's bundled lists are read from their installed packages (the
bench extra); LDNOOBW's shapes are a fixture of our own lines. Nothing of theirs is in the repo.
"""

from __future__ import annotations

import json
import logging
from importlib import resources
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from forum_guard import Guard
from forum_guard.cli.store_commands import cli
from forum_guard.engine.formats import parse_import_file
from forum_guard.engine.terms import WordList
from forum_guard.store import Store


def _better_profanity_list() -> Path:
    pytest.importorskip("better_profanity")
    return Path(str(resources.files("better_profanity") / "profanity_wordlist.txt"))


def _glin_english(tmp_path: Path) -> Path:
    """glin-profanity keeps its list as JSON; written out one term a line, as an admin would."""
    pytest.importorskip("glin_profanity")
    data = json.loads((resources.files("glin_profanity") / "data" / "dictionaries" / "english.json")
                      .read_text(encoding="utf-8"))
    path = tmp_path / "glin-english.txt"
    path.write_text("\n".join(data["words"]) + "\n", encoding="utf-8")
    return path


#: LDNOOBW's shapes, in lines of our own: plain words, phrases, capitals and a case repeat,
#: hyphens and digits, a masked spelling, and an emoji last with no newline after it
LDNOOBW_SHAPED = "\n".join([
    "badword", "two word phrase", "Capitalword", "capitalword", "x-rated-ish", "3some-ish", "b*dword",
    "blue waffle thing", "🤬",
])


def _plain(path: Path) -> WordList:
    return parse_import_file(path, format="plain")


def test_better_profanity_list_loads_as_it_is() -> None:
    path = _better_profanity_list()
    lines = [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
    wl = _plain(path)
    kept = {t.pattern.casefold() for t in wl.terms}
    refused = {n.pattern.casefold() for n in wl.notes if n.what == "refused"}
    merged = [n for n in wl.notes if n.what == "merged"]
    # every line is a term, merged into an earlier one, or refused with a note naming its line
    assert {ln.casefold() for ln in lines} <= kept | refused | {n.pattern.casefold() for n in merged}
    assert len(wl.terms) + len(merged) + len(refused) == len(lines)
    assert all(n.source == str(path) and n.line for n in wl.notes)
    guard = Guard([wl])
    for text in ("f.u.c.k", "a fuck-tard", "you b!tch", "f4nny"):
        assert guard.check(text).action.value == "block", text
    assert guard.check("a quiet afternoon").action.value == "allow"


def test_glin_profanity_list_loads_with_symbols_masks_and_emoji(tmp_path: Path) -> None:
    wl = _plain(_glin_english(tmp_path))
    notes = {n.pattern: n for n in wl.notes}
    assert notes["🖕"].what == "literal" and notes["a$$"].what == "literal" if "a$$" in notes else True
    assert notes["🖕"].what == "literal" and "@ss" not in notes  # letters: read through l33t as usual
    assert notes["f*ck"].what == "masked"
    assert all(n.line for n in wl.notes)
    guard = Guard([wl])
    for text in ("🖕", "what a f*ck", "you a$$", "F*CK this", "sh!t happens", "$h!t"):
        v = guard.check(text)
        assert v.action.value == "block", text
    # the literal emoji is found where it is, and highlighted there
    v = guard.check("well 🖕 then")
    assert [(m.start, m.end, m.term) for m in v.matches] == [(5, 6, "🖕")]
    assert guard.check("a*b and 2*3 and **bold**").action.value == "allow"
    assert guard.check("nice weather today").action.value == "allow"


def test_ldnoobw_shaped_list(tmp_path: Path) -> None:
    path = tmp_path / "en"
    path.write_text(LDNOOBW_SHAPED, encoding="utf-8")  # LDNOOBW files have no suffix
    wl = _plain(path)
    assert [t.text for t in wl.terms] == ["badword", "two word phrase", "Capitalword", "x-rated-ish",
                                         "3some-ish", "b*dword", "blue waffle thing", "🤬"]
    assert [(n.what, n.line) for n in wl.notes] == [("merged", 4), ("masked", 7), ("literal", 9)]
    guard = Guard([wl])
    assert guard.check("that 🤬 again").action.value == "block"
    assert guard.check("such a b*dword").action.value == "block"
    assert guard.check("Two  Word\nphrase").action.value == "block"


def _write(folder: Path, name: str, text: str) -> None:
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")


def test_one_broken_list_never_takes_the_others_down(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    lists = tmp_path / "lists"
    _write(lists, "a.txt", "# name: rude\n# action: block\nbadword\n")
    _write(lists, "b.txt", "# name: broken\nfine\n---\n")
    _write(lists, "c.txt", "# name: spam\n# action: require_approval\ncheap pills\n")
    with caplog.at_level(logging.ERROR, logger="forum_guard"):
        guard = Guard.from_directory(lists)
    assert [wl.name for wl in guard.lists] == ["rude", "spam"]
    assert [(Path(e.source or "").name, e.line) for e in guard.load_errors] == [("b.txt", 3)]
    assert "b.txt:3" in caplog.text
    assert guard.check("badword").action.value == "block"
    assert guard.check("cheap pills").action.value == "require_approval"
    store = Store(f"sqlite:///{tmp_path}/fg.sqlite")
    store.ensure_schema()
    assert store.seed_from_directory(lists) == 2
    assert sorted(store.list_names()) == ["rude", "spam"]


def _run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_cli_import_prints_what_was_done_to_each_line(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path}/fg.sqlite"
    glin = _glin_english(tmp_path)
    r = _run("import", str(glin), "--list", "glin", "--database", db)
    assert r.exit_code == 0, r.output
    assert f"{glin}:" in r.stderr and "literal: '🖕'" in r.stderr and "masked: 'f*ck'" in r.stderr
    store = Store(db)
    wl = store.get_list("glin")
    assert Guard([wl]).check("what a f*ck 🖕").action.value == "block"
    # a broken file among good ones: refused as one transaction, or skipped with --skip-broken
    bad = tmp_path / "bad.txt"
    bad.write_text("fine\n---\n", encoding="utf-8")
    good = tmp_path / "good.txt"
    good.write_text("badword\nBadword\n", encoding="utf-8")
    r = _run("import", str(bad), str(good), "--database", db)
    assert r.exit_code == 1 and "bad.txt:2" in r.output and "good" not in store.list_names()
    r = _run("import", str(bad), str(good), "--skip-broken", "--database", db)
    assert r.exit_code == 0, r.output
    assert "skipped: " in r.stderr and "bad.txt:2" in r.stderr and "merged: 'Badword'" in r.stderr
    assert "good" in store.list_names() and "bad" not in store.list_names()
    data = json.loads(_run("import", str(good), "--dry-run", "--json", "--database", db).stdout)
    assert data["notes"][0]["what"] == "merged" and data["notes"][0]["line"] == 2
