"""The wordlist text format: parsing, errors naming file and line, lossless round trip."""

from __future__ import annotations

from pathlib import Path

import pytest

from forum_guard import Action, ListKind, Term, WordList, WordlistError, dump_wordlist, load_wordlists, parse_wordlist
from forum_guard.engine.terms import load_wordlist

WORDLISTS = Path(__file__).resolve().parent.parent / "wordlists"

FULL = """# name: strong
# action: censor
# replacement: ***
# evasion: off
# inflections: off
# description: A test list
# a comment line that is not a header key
fuck*
*hole
*shit*
cum laude
darn => d**n
!scunthorpe
\\!bang  # a term that starts with "!"
word  # with a note
"""


def test_header_and_term_forms() -> None:
    wl = parse_wordlist(FULL)
    assert (wl.name, wl.action, wl.replacement, wl.evasion, wl.inflections) == (
        "strong", Action.CENSOR, "***", False, False)
    assert wl.description == "A test list"
    assert wl.terms[0] == Term("fuck", wildcard_end=True)
    assert wl.terms[1] == Term("hole", wildcard_start=True)
    assert wl.terms[2] == Term("shit", wildcard_start=True, wildcard_end=True)
    assert wl.terms[3] == Term("cum laude")
    assert wl.terms[4] == Term("darn", replacement="d**n")
    assert wl.terms[5] == Term("scunthorpe", exception=True)
    assert wl.terms[6] == Term("!bang", note='a term that starts with "!"')
    assert wl.terms[7].note == "with a note"
    assert [t.text for t in wl.exceptions] == ["scunthorpe"]
    assert len(wl.words) == 7


def test_plain_file_without_header_is_a_block_list_with_defaults() -> None:
    wl = parse_wordlist("badword\nanother one\n\nthird\n", name="plain")
    assert wl.name == "plain"
    assert wl.action is Action.BLOCK
    assert wl.evasion and wl.inflections
    assert [t.text for t in wl.terms] == ["badword", "another one", "third"]


@pytest.mark.parametrize("text", [FULL, "a\nb c\n!d\n", "# name: x\n# kind: domains\nhopzone.eu\nwww.example.com\n"])
def test_round_trip_is_lossless(text: str) -> None:
    wl = parse_wordlist(text, name="rt")
    again = parse_wordlist(dump_wordlist(wl), name="other")
    assert again == wl
    assert dump_wordlist(again) == dump_wordlist(wl)


def test_shipped_lists_round_trip() -> None:
    for wl in load_wordlists(WORDLISTS):
        assert parse_wordlist(dump_wordlist(wl)) == wl, wl.name


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("ok\n*\n", 2, "no letters"),
        ("ok\nf*ck\n---\n", 3, "no letter or digit"),
        ("# action: obliterate\nx\n", 1, "unknown action"),
        ("# evasion: maybe\nx\n", 1, "expected on or off"),
        ("a\n!b => c\n", 2, "cannot have a replacement"),
        ("a\nb =>\n", 2, "must be followed"),
        ("# kind: domains\nnot a host\n", 2, "not a host name"),
        ("x" * 201 + "\n", 1, "maximum is 200"),
        ("# name: bad/name\nx\n", 1, "list name"),
        ("# name: a\n# name: b\nx\n", 2, "given twice"),
        ("ok\n---\n", 2, "no letter or digit"),
    ],
)
def test_errors_name_source_and_line(text: str, line: int, fragment: str) -> None:
    with pytest.raises(WordlistError) as info:
        parse_wordlist(text, source="lists/test.txt")
    assert info.value.line == line
    assert info.value.source == "lists/test.txt"
    assert fragment in str(info.value)
    assert str(info.value).startswith(f"lists/test.txt:{line}: ")


def test_domains_list() -> None:
    wl = parse_wordlist("# kind: domains\nHopZone.EU\n*.spam.example\n")
    assert wl.kind is ListKind.DOMAINS
    assert [t.text for t in wl.terms] == ["hopzone.eu", "spam.example"]
    assert not wl.inflections


def test_broken_file_in_folder_fails_whole_load_unless_skipped(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("good\n", encoding="utf-8")
    (tmp_path / "b.txt").write_text("fine\n---\n", encoding="utf-8")
    (tmp_path / "c.txt").write_text("other\n", encoding="utf-8")
    with pytest.raises(WordlistError) as info:
        load_wordlists(tmp_path)
    assert info.value.source is not None and info.value.source.endswith("b.txt")
    assert info.value.line == 2
    broken: list[WordlistError] = []
    assert [wl.name for wl in load_wordlists(tmp_path, broken=broken)] == ["a", "c"]
    assert [(Path(e.source or "").name, e.line) for e in broken] == [("b.txt", 2)]


def test_repeats_are_merged_with_a_note() -> None:
    wl = parse_wordlist("ab\nbc\nAB\nbc  # again\n!ab\n", source="x.txt")
    assert [t.to_line() for t in wl.terms] == ["ab", "bc", "!ab"]
    assert [(n.what, n.line) for n in wl.notes] == [("merged", 3), ("merged", 4)]
    assert "repeats 'ab' in other case: line 1" in str(wl.notes[0]) and str(wl.notes[0]).startswith("x.txt:3: ")


def test_masked_and_symbol_terms_in_files_round_trip() -> None:
    wl = parse_wordlist("f*ck\nmother****\n*sh*t*\n🖕\n@$$\nfu*\n")
    assert [(t.text, t.wildcard_start, t.wildcard_end) for t in wl.terms] == [
        ("f*ck", False, False), ("mother****", False, False), ("sh*t", True, True), ("🖕", False, False),
        ("@$$", False, False), ("fu", False, True)]
    assert [n.what for n in wl.notes] == ["masked", "masked", "masked", "literal", "literal"]
    assert parse_wordlist(dump_wordlist(wl)) == wl
    # one term typed alone (the admin page, `add`) keeps the strict reading
    with pytest.raises(ValueError, match="only allowed at the start or end"):
        Term.parse("f*ck")
    assert Term.parse("f*ck", masks=True).masked


def test_terms_that_fold_to_almost_nothing_are_refused_with_a_note() -> None:
    wl = parse_wordlist("_l_\ns&m\nxx\n88\n2g1c\na hole\n操\n", source="f.txt")
    assert [t.text for t in wl.terms] == ["2g1c", "a hole", "操"]
    assert [(n.what, n.line) for n in wl.notes] == [("refused", 1), ("refused", 2), ("refused", 3), ("refused", 4)]
    assert "folds to 's m'" in str(wl.notes[1]) and str(wl.notes[1]).startswith("f.txt:2: refused: ")


def test_masks_that_leave_too_little_are_refused_with_a_note() -> None:
    wl = parse_wordlist("f***\nok\n", source="m.txt")
    assert [t.text for t in wl.terms] == ["ok"]
    assert [(n.what, n.line, n.pattern) for n in wl.notes] == [("refused", 1, "f***")]


def test_invalid_utf8_names_the_line(tmp_path: Path) -> None:
    p = tmp_path / "x.txt"
    p.write_bytes(b"one\ntwo\n\xff\xfe\n")
    with pytest.raises(WordlistError) as info:
        load_wordlist(p)
    assert info.value.line == 3 and "UTF-8" in str(info.value)


def test_duplicate_list_names_in_folder(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("# name: same\nx\n", encoding="utf-8")
    (tmp_path / "b.txt").write_text("# name: same\ny\n", encoding="utf-8")
    with pytest.raises(WordlistError, match="also used"):
        load_wordlists(tmp_path)


def test_action_parse_and_precedence() -> None:
    assert Action.parse("Require-Approval") is Action.REQUIRE_APPROVAL
    assert Action.strongest([Action.CENSOR, Action.FLAG, Action.ALLOW]) is Action.FLAG
    assert Action.strongest([Action.CENSOR, Action.BLOCK, Action.REQUIRE_APPROVAL]) is Action.BLOCK
    assert Action.strongest([]) is Action.ALLOW
    with pytest.raises(ValueError, match="unknown action"):
        Action.parse("nuke")


def test_wordlist_is_a_value() -> None:
    wl = WordList("x", (Term("a"),))
    assert wl.with_terms([Term("b")]).terms == (Term("b"),)
    assert Term.parse("  spaced    out  phrase ") == Term("spaced out phrase")
