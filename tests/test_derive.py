"""The ``derive:`` list option (issue 9): derived forms (fucko, cunty, bitchish), every word of a
phrase inflected (buying followers), phrases run together (cryptogiveaway), all through the
Scunthorpe guard, and kept by the text format, the store, the CLI and the admin page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from store_fixtures import close_app, csrf_token, make_app, store_of

from forum_guard import Guard, parse_wordlist
from forum_guard.cli.store_commands import cli
from forum_guard.engine.dictionary import Dictionary
from forum_guard.engine.formats import export_text
from forum_guard.engine.terms import derived_terms, parse_derive
from forum_guard.errors import WordlistError
from forum_guard.store import Store

A = "/forum-guard/admin"

LIST = """# name: rude
# derive: y o ish head
clit
fuck
shit
bitch
cunt
twat
hell
cock
butt
dick
"""
#: a dictionary holding the innocent words derived forms would hit, and some vulgar ones
WORDS = Dictionary.from_words(["hellish", "hello", "cocky", "butty", "dicky", "shitty", "dickhead", "fucker",
                               "butter", "good", "jerking", "jerked", "buying", "buys", "shutting", "city"])


@pytest.fixture(scope="module")
def guard() -> Guard:
    return Guard([parse_wordlist(LIST, source="rude.txt")], dictionary=WORDS)


def found(guard: Guard, text: str) -> list[tuple[str, str]]:
    return [(m.matched, m.term) for m in guard.check(text).matches]


@pytest.mark.parametrize(("text", "matched", "term"), [
    ("you fucko", "fucko", "fuck"),
    ("a real bitchish move", "bitchish", "bitch"),
    ("what a cunty thing", "cunty", "cunt"),
    ("twatty", "twatty", "twat"),
    ("twattish", "twattish", "twat"),            # the t doubled before a vowel, as English spells it
    ("shity", "shity", "shit"),                  # and the plain join, as posters write it
    ("those fuckheads", "fuckheads", "fuck"),   # a derived form takes the list's inflections
    ("F.U.C.K.O", "F.U.C.K.O", "fuck"),          # and the evasions
    ("what a shitty day", "shitty", "shit"),     # a dictionary word, but one the shipped tiers name
    ("dickhead", "dickhead", "dick"),
    ("you c1ity", "c1ity", "clit"),              # a variant spelling reaching "city" leaves clity matched
])
def test_derived_forms_match_as_their_term(guard: Guard, text: str, matched: str, term: str) -> None:
    assert found(guard, text) == [(matched, term)]


@pytest.mark.parametrize("text", ["a hellish day", "hello there", "the city centre", "a cocky rooster", "a chip butty", "a dicky bow",
                                  "pass the butter", "good morning"])
def test_derived_forms_that_are_innocent_dictionary_words_stay_excused(guard: Guard, text: str) -> None:
    assert found(guard, text) == []


def test_a_listed_word_is_matched_even_where_the_guard_would_excuse_it() -> None:
    wl = parse_wordlist(LIST + "hellish\n", source="rude.txt")
    assert [m for m, _ in found(Guard([wl], dictionary=WORDS), "a hellish day")] == ["hellish"]


def test_without_the_option_nothing_is_derived() -> None:
    g = Guard([parse_wordlist(LIST.replace("# derive: y o ish head\n", ""), source="r")], dictionary=WORDS)
    assert found(g, "you fucko") == [] and found(g, "twattish") == []
    assert found(g, "fucker") == [("fucker", "fuck")]  # -er is an inflection: the shipped tiers name fucker


def test_phrase_words_inflect_every_word_of_a_phrase_when_asked() -> None:
    text = "# name: spam\n# inflections: off\n# derive: phrase-words\njerk off\nbuy followers\nshut the f up\nblow job\n"
    g = Guard([parse_wordlist(text, source="spam.txt")], dictionary=WORDS)
    assert found(g, "stop jerking off") == [("jerking off", "jerk off")]
    assert found(g, "jerked off") == [("jerked off", "jerk off")]
    assert found(g, "he is buying followers") == [("buying followers", "buy followers")]
    assert found(g, "buys followers") == [("buys followers", "buy followers")]
    assert found(g, "buy follower") == []
    assert found(g, "jerks off") == []  # the dictionary has no "jerks": an inflection English lacks is left out
    # function words and one-letter words stay as written: never "shut thing f up"
    assert found(g, "shut thing f up") == [] and found(g, "shutting the f up") == [("shutting the f up",
                                                                                     "shut the f up")]
    plain = Guard([parse_wordlist("# name: s\njerk off\nblow job\n", source="s")], dictionary=WORDS)
    assert found(plain, "stop jerking off") == [] and found(plain, "blowing jobs") == []


def test_a_phrase_is_also_matched_run_together_and_spelled_out() -> None:
    g = Guard([parse_wordlist("# name: spam\ncrypto giveaway\nbuy followers\ngo die\n", source="s")],
              dictionary=WORDS)
    assert found(g, "#cryptogiveaway today") == [("cryptogiveaway", "crypto giveaway")]
    assert found(g, "c r y p t o g i v e a w a y") == [("c r y p t o g i v e a w a y", "crypto giveaway")]
    assert found(g, "b-u-y f-o-l-l-o-w-e-r-s now") == [("b-u-y f-o-l-l-o-w-e-r-s", "buy followers")]
    assert found(g, "buyfollowers") == [("buyfollowers", "buy followers")]
    assert found(g, "godie") == []  # under 8 letters: too likely to be some other word


def test_derived_terms_spelling() -> None:
    wl = parse_wordlist("# name: d\n# derive: y o ish head\nshit\nwhore\nfuck*\n*hole\n", source="d")
    forms = {t.text for t in derived_terms(wl.terms[0], wl)}
    assert forms == {"shitty", "shity", "shito", "shittish", "shitish", "shithead"}
    assert {"whory", "whorey", "whoreo", "whorish", "whoreish", "whorehead"} == {
        t.text for t in derived_terms(wl.terms[1], wl)}
    assert derived_terms(wl.terms[2], wl) == []  # a wildcard end continues the word already
    assert all(t.wildcard_start for t in derived_terms(wl.terms[3], wl))


def test_the_option_is_parsed_checked_and_round_trips() -> None:
    assert parse_derive("y, -o  ish head") == ("y", "o", "ish", "head")
    assert parse_derive("off") == () and parse_derive("") == ()
    assert parse_derive("phrase-words y") == ("phrase-words", "y")
    for bad in ("y2", "-", "a-b", "toolongsuffix"):
        with pytest.raises(ValueError):
            parse_derive(bad)
    wl = parse_wordlist(LIST, source="rude.txt")
    assert wl.derive == ("y", "o", "ish", "head")
    assert "# derive: y o ish head" in export_text(wl)
    assert parse_wordlist(export_text(wl), source="again") == wl
    with pytest.raises(WordlistError, match="derive") as exc:
        parse_wordlist("# name: x\n# derive: y!\nfoo\n", source="x.txt")
    assert exc.value.line == 2
    with pytest.raises(WordlistError, match="only a list of terms"):
        parse_wordlist("# name: x\n# kind: domains\n# derive: y\nexample.com\n", source="x.txt")


def test_the_store_and_the_cli_keep_the_option(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path}/fg.sqlite"
    runner = CliRunner()
    r = runner.invoke(cli, ["create-list", "rude", "--derive", "y o", "--database", db], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert runner.invoke(cli, ["add", "rude", "fuck", "twat", "--database", db]).exit_code == 0
    assert "derive: y o" in runner.invoke(cli, ["show", "rude", "--database", db]).output
    r = runner.invoke(cli, ["create-list", "bad", "--derive", "y2", "--database", db])
    assert r.exit_code == 1 and "derive" in r.output
    store = Store(db)
    try:
        assert found(Guard(store.lists(), dictionary=WORDS), "fucko twatty") == [("fucko", "fuck"),
                                                                                 ("twatty", "twat")]
        store.import_wordlists([parse_wordlist("# name: spam\n# derive: phrase-words\nbuy followers\n",
                                               source="spam.txt")], actor="t")
        assert {w.name: w.derive for w in store.lists()} == {"rude": ("y", "o"), "spam": ("phrase-words",)}
        assert store.list_info("spam").to_dict()["derive"] == ["phrase-words"]
        store.update_list("rude", derive="", actor="t")
        assert {w.name: w.derive for w in store.lists()}["rude"] == ()
        store.update_list("rude", derive="ish", language="", actor="t")
        assert store.list_info("rude").derive == ("ish",)
    finally:
        store.close()


@pytest.fixture
def admin_app(tmp_path: Path) -> Iterator[Flask]:
    url = f"sqlite:///{tmp_path}/fg.sqlite"
    store = Store(url)
    store.ensure_schema()
    store.create_list("rude", actor="seed")
    store.add_terms("rude", ["zorblax"], actor="seed")
    store.close()
    app = make_app(url, seed=False)
    yield app
    close_app(app)


def test_the_admin_list_forms_set_the_option(admin_app: Flask) -> None:
    client: FlaskClient = admin_app.test_client()
    client.get("/login/moderator?user=Maria")
    store = store_of(admin_app)
    t = csrf_token(client.get(f"{A}/lists").get_data(as_text=True))
    r = client.post(f"{A}/lists", data={"name": "derived", "action": "block", "kind": "terms", "evasion": "y",
                                       "inflections": "y", "derive": "y o", "csrf_token": t})
    assert r.status_code == 302, r.get_data(as_text=True)
    assert store.list_info("derived").derive == ("y", "o")
    page = client.get(f"{A}/lists/derived/settings").get_data(as_text=True)
    assert 'value="y o"' in page
    settings = {"name": "derived", "action": "block", "replacement": "", "evasion": "y", "inflections": "y",
                "description": "", "csrf_token": t}
    r = client.post(f"{A}/lists/derived/settings", data={**settings, "derive": "y 2"})
    assert r.status_code == 400 and "derive" in r.get_data(as_text=True)
    r = client.post(f"{A}/lists/derived/settings", data={**settings, "derive": ""})
    assert r.status_code == 302 and store.list_info("derived").derive == ()
