"""The Scunthorpe guard (issue 9, item 2): dictionary words a plain list reaches only through folding,
repeat collapsing or an inflection are not matched; exact spellings are."""

from __future__ import annotations

from pathlib import Path

import pytest

from forum_guard import Guard
from forum_guard.engine.dictionary import DICTIONARY_ENV, Dictionary, default_dictionary
from forum_guard.engine.terms import parse_wordlist

PLAIN = "god\nbutt\nrape\nscat\nanal\nshit\nass\ncock\n"


@pytest.fixture(scope="module")
def dictionary() -> Dictionary:
    found = default_dictionary()
    if found is None:
        pytest.skip("no dictionary installed (Debian wamerican, or the english-words package)")
    return found


def action(guard: Guard, text: str) -> str:
    return guard.check(text).action.value


@pytest.mark.parametrize("text", ["good morning", "pass the butter", "a rapper", "scatter plot",
                                  "annals of history", "Shiites", "a cocker spaniel", "assess the GOODS"])
def test_plain_list_does_not_invent_words(dictionary: Dictionary, text: str) -> None:
    known = {w for words in dictionary.by_skeleton.values() for w in words}
    missing = [w for w in text.lower().split() if w not in known and w not in ("a", "of", "the")]
    if missing:
        pytest.skip(f"{dictionary.source} lacks {missing} (Debian wamerican-huge has them)")
    guard = Guard([parse_wordlist(PLAIN, name="plain")], dictionary=dictionary)
    assert action(guard, text) == "allow"
    # without the guard the same list blocks it: the guard is what lets it through
    assert action(Guard([parse_wordlist(PLAIN, name="plain")], dictionary=None), text) == "block"


@pytest.mark.parametrize("text", ["god", "gods", "butts", "raped", "raping", "rapes", "shit", "shitting",
                                  "sh1t", "5h!t", "shiiit", "a s s", "b.u.t.t", "g0d", "cocks", "cocked",
                                  "anal", "scats"])
def test_exact_spellings_and_evasions_stay_matched(dictionary: Dictionary, text: str) -> None:
    guard = Guard([parse_wordlist(PLAIN, name="plain")], dictionary=dictionary)
    assert action(guard, text) == "block", guard.check(text).matches


def test_a_word_the_list_names_is_matched(dictionary: Dictionary) -> None:
    guard = Guard([parse_wordlist(PLAIN + "butter\ngood\n", name="plain")], dictionary=dictionary)
    assert action(guard, "pass the butter") == "block"
    assert action(guard, "good morning") == "block"
    assert action(guard, "scatter plot") == "allow"


def test_wildcards_keep_their_continuations_not_their_loose_forms(dictionary: Dictionary) -> None:
    guard = Guard([parse_wordlist("god*\n*butt\n", name="w")], dictionary=dictionary)
    assert action(guard, "godless") == "block" and action(guard, "a rebutt") == "block"
    assert action(guard, "goodness me") == "allow"
    guard = Guard([parse_wordlist("god*\n*butt\ngoodness\n", name="w")], dictionary=dictionary)
    assert action(guard, "goodness me") == "block"


def test_leet_exception_does_not_switch_the_term_off(dictionary: Dictionary) -> None:
    guard = Guard([parse_wordlist("ass\n!45s\n", name="l")], dictionary=dictionary)
    assert action(guard, "ass") == "block" and action(guard, "you a$$") == "block"
    assert action(guard, "the 45s of the band") == "allow"
    matches = guard.check("ass and 45s").matches
    assert [m.matched for m in matches] == ["ass"]


def test_exceptions_take_inflections(dictionary: Dictionary) -> None:
    guard = Guard([parse_wordlist("shit*\n!shittah\n", name="e")], dictionary=dictionary)
    assert action(guard, "a shittah tree") == "allow"
    assert action(guard, "two shittahs") == "allow"
    assert action(guard, "shitty") == "block"


def test_guard_reads_any_dictionary_and_can_be_switched_off(monkeypatch: pytest.MonkeyPatch,
                                                           tmp_path: pytest.TempPathFactory) -> None:
    small = Dictionary.from_words(["butter", "Butter", "Shiites", "rapper", "apple's", "x2"])
    assert len(small) == 3 and small.by_skeleton["buter"] == ("butter",)
    guard = Guard([parse_wordlist(PLAIN, name="plain")], dictionary=small)
    assert action(guard, "pass the butter") == "allow" and action(guard, "good morning") == "block"
    monkeypatch.setenv(DICTIONARY_ENV, "off")
    assert default_dictionary() is None
    assert Guard([parse_wordlist(PLAIN, name="plain")]).dictionary is None


def test_shipped_lists_stay_clean_without_their_removed_exceptions(dictionary: Dictionary) -> None:
    guard = Guard.shipped()
    for text in ("good morning", "pass the butter", "a rapper", "scatter plot", "annals of history",
                 "assess", "cocker spaniel", "Dickens", "Scunthorpe", "cockpit", "a classic", "shiitake"):
        assert action(guard, text) in ("allow", "censor"), (text, guard.check(text).matches)


def test_a_list_guarded_once_needs_no_dictionary_the_next_time(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Each list's implicit exceptions are cached per user (by the list's terms and the dictionary
    file's identity): a CLI call or a worker start after the first reads no dictionary at all."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    builds: list[int] = []

    def loader() -> dict[str, tuple[str, ...]]:
        builds.append(1)
        return Dictionary.from_words(["good", "butter", "scatter", "annals"]).by_skeleton

    wl = parse_wordlist("# name: p\n\ngod\nbutt\nscat\nanal\n", source="p.txt")
    first = Guard([wl], dictionary=Dictionary("words.txt", loader=loader, cache_key="words.txt:1"))
    second = Guard([wl], dictionary=Dictionary("words.txt", loader=loader, cache_key="words.txt:1"))
    assert builds == [1]
    for guard in (first, second):
        assert guard.check("good butter, a scatter plot and the annals").allowed
        assert guard.check("god").blocked
    # another dictionary (or another version of the file) is another key
    Guard([wl], dictionary=Dictionary("words.txt", loader=loader, cache_key="words.txt:2"))
    assert builds == [1, 1]
