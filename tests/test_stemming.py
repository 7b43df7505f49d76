"""Non-English lists (a ``language:`` option) match every inflection of a term through its Snowball
stem, read non-Latin l33t, keep their exceptions, and survive the store, the CLI and the admin page."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from forum_guard import Guard, parse_wordlist
from forum_guard.cli.store_commands import cli
from forum_guard.engine.formats import export_text
from forum_guard.errors import WordlistError
from forum_guard.store import Store

RU = "# name: ru\n# language: ru\n\nблядь\nсука\nхуйня\nпизда\n!сукно\n"
DE = "# name: de\n# language: de\n\nArschloch\nFotze\nWichser\n"
ES = "# name: es\n# language: es\n\nputa\ngilipollas\ncabrón\n"
FR = "# name: fr\n# language: fr\n\nconnard\nsalope\n"

GUARD = Guard([parse_wordlist(t, source=f"{n}.txt") for n, t in (("ru", RU), ("de", DE), ("es", ES), ("fr", FR))])


@pytest.mark.parametrize(("text", "words"), [
    ("эти бляди и суки", ["бляди", "суки"]),
    ("Блядей тут много", ["Блядей"]),
    ("какая хуйня", ["хуйня"]), ("хуйни много", ["хуйни"]), ("с этой сукой", ["сукой"]),
    ("6лядь", ["6лядь"]), ("cука", ["cука"]),  # a digit and a Latin c among Cyrillic letters
    ("Du Arschlöcher!", ["Arschlöcher"]), ("zwei Fotzen", ["Fotzen"]), ("des Wichsers", ["Wichsers"]),
    ("putas y cabrones", ["putas", "cabrones"]), ("quelles salopes", ["salopes"]), ("des connards", ["connards"]),
])
def test_every_inflection_of_a_listed_word_is_matched_whole(text: str, words: list[str]) -> None:
    verdict = GUARD.check(text)
    assert verdict.blocked
    assert [m.matched for m in verdict.matches] == words
    for m in verdict.matches:
        assert text[m.start:m.end] == m.matched


@pytest.mark.parametrize("text", ["сукно и худой кот", "хуже не бывает", "la computadora", "Putin", "des Fotografen",
                                  "connaissance", "Arsch", "на сучке"])
def test_other_words_and_exceptions_pass(text: str) -> None:
    assert GUARD.check(text).allowed, [m.matched for m in GUARD.check(text).matches]


def test_an_exception_excuses_its_inflections_but_not_the_terms() -> None:
    guard = Guard([parse_wordlist("# name: ru\n# language: ru\n\nсука\n!сукно\n!сук\n", source="x")])
    assert guard.check("из сукна и сукном").allowed
    assert guard.check("сук дерева").allowed  # the exception as written
    assert guard.check("эти суки").blocked  # "сук" shares the term's stem: it does not excuse its forms


def test_an_unknown_language_names_the_known_ones() -> None:
    with pytest.raises(WordlistError, match=r"unknown language 'xx'.*ru"):
        parse_wordlist("# name: x\n# language: xx\n\nfoo\n", source="x.txt")


def test_the_language_round_trips_through_the_text_format() -> None:
    wl = parse_wordlist(RU, source="ru.txt")
    assert wl.language == "ru"
    assert parse_wordlist(export_text(wl), source="again").language == "ru"
    assert parse_wordlist("# name: e\n# language: en\n\nfoo\n", source="e").language == ""


def test_the_store_and_the_cli_keep_the_language(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path}/fg.sqlite"
    runner = CliRunner()
    r = runner.invoke(cli, ["create-list", "de", "--language", "de", "--database", db], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    r = runner.invoke(cli, ["add", "de", "Arschloch", "--database", db], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert "language: de" in runner.invoke(cli, ["show", "de", "--database", db]).output
    r = runner.invoke(cli, ["create-list", "xx", "--language", "klingon", "--database", db])
    assert r.exit_code == 1 and "unknown language" in r.output
    store = Store(db)
    try:
        guard = Guard(store.lists())
        assert [m.matched for m in guard.check("ihr Arschlöcher").matches] == ["Arschlöcher"]
        store.import_wordlists([parse_wordlist(RU, source="ru.txt")], actor="t")
        assert {w.name: w.language for w in store.lists()} == {"de": "de", "ru": "ru"}
        assert store.list_info("ru").to_dict()["language"] == "ru"
        store.update_list("ru", language="", actor="t")
        assert {w.name: w.language for w in store.lists()}["ru"] == ""
    finally:
        store.close()
