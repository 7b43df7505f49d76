"""Budgets on what moderators and imports can add: the characters of all terms and the estimated
compile memory of the whole ruleset, checked inside the change's transaction (a refused change
stores nothing, bumps no version, writes no audit entry), and a worker that refuses to compile a
ruleset over its memory budget, keeping the one in force."""

from __future__ import annotations

import random
import string
from collections.abc import Iterator
from pathlib import Path

import pytest
from store_fixtures import close_app as close_store_app
from store_fixtures import (  # noqa: F401 (fixtures)
    db_url_fixture,
    make_app,
    needs_postgres,
    pg_database_fixture,
    pg_url_fixture,
    store_of,
)

from forum_guard.engine.actions import Action
from forum_guard.engine.matcher import Matcher
from forum_guard.engine.policy import Guard
from forum_guard.engine.terms import Term, WordList
from forum_guard.store import Store, StoreError, StoreSource
from forum_guard.store.rules import COMPILE_BUDGET_MB, MAX_KEY_CHARS, default_budgets, estimate_compile


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = Store(db_url)
    s.ensure_schema()
    s.seed_shipped()
    yield s
    s.close()


def _long_terms(count: int, length: int, seed: int = 1) -> list[str]:
    rnd = random.Random(seed)
    return ["".join(rnd.choice(string.ascii_lowercase) for _ in range(length)) for _ in range(count)]


def _state(store: Store) -> tuple[int, int, int]:
    return store.version(), sum(len(wl.terms) for wl in store.lists()), len(store.audit(limit=1000))


def test_the_database_estimate_is_the_python_one(store: Store) -> None:
    store.create_list("mixed", action=Action.FLAG)
    store.add_terms("mixed", ["fluffle", "Flake", "lime", "shore", "!safe", "zzz*", "*ough", "take off"])
    store.create_list("plain", action=Action.BLOCK, evasion=False)
    store.add_terms("plain", ["fluffle", "late"])
    assert store.estimate() == estimate_compile(store.lists())


def test_derived_forms_and_dodged_domains_count_in_both_estimates(store: Store) -> None:
    store.create_list("derived", action=Action.BLOCK, derive="y ish head phrase-words")
    store.add_terms("derived", ["snark", "grotbag", "buy followers", "crypto giveaway", "!snarky", "zonk*"])
    store.create_list("hosts", kind="domains", action=Action.BLOCK)
    store.add_terms("hosts", ["hopzone.eu", "spam.example.com", "!ok.example.com"])
    before = estimate_compile([])
    assert store.estimate() == estimate_compile(store.lists()) != before
    for wl in store.lists():
        if wl.name in ("derived", "hosts"):
            keys = Matcher([wl]).key_count
            assert 2 * len(wl.terms) < keys <= estimate_compile([wl]).keys <= 1.2 * keys, wl.name


def test_the_estimate_follows_the_compiled_matcher() -> None:
    shipped = Guard.shipped()
    est = estimate_compile(shipped.lists)
    # the estimate is of the terms as listed; the Scunthorpe guard's implicit exceptions come on
    # top (at most one key per dictionary word: 348k short words for wamerican-huge)
    listed = Matcher(shipped.lists).key_count
    assert listed <= est.keys <= 1.2 * listed
    long = WordList("long", tuple(Term(t) for t in _long_terms(300, 200)))
    est = estimate_compile([long])
    keys = Matcher([long]).key_count
    assert keys <= est.keys <= 1.1 * keys


def test_adding_past_the_character_budget_is_refused_whole(store: Store) -> None:
    store.max_key_chars = store.estimate().chars + 1_000
    store.create_list("big")
    before = _state(store)
    with pytest.raises(StoreError, match=r"characters of terms; it holds at most .*FORUM_GUARD_MAX_KEY_CHARS.*"
                                         r"Nothing was stored"):
        store.add_terms("big", _long_terms(6, 200))
    assert _state(store) == before
    # under the budget it is stored
    result = store.add_terms("big", _long_terms(4, 200))
    assert len(result.added) == 4


def test_an_import_past_the_memory_budget_stores_nothing(store: Store, tmp_path: Path) -> None:
    store.compile_budget_mb = 2
    path = tmp_path / "huge.txt"
    path.write_text("# name: huge\n# action: block\n" + "\n".join(_long_terms(300, 200)) + "\n", encoding="utf-8")
    before = _state(store)
    lists_before = store.list_names()
    with pytest.raises(StoreError, match=r"compile to about \d+ MB in each worker .* the budget is 2 MB "
                                         r"\(FORUM_GUARD_COMPILE_BUDGET_MB\)\. Nothing was stored"):
        store.import_files([path])
    assert _state(store) == before and store.list_names() == lists_before
    with pytest.raises(StoreError, match="Nothing was stored"):
        store.import_wordlists([WordList("huge", tuple(Term(t) for t in _long_terms(300, 200)))], mode="replace")
    assert _state(store) == before


def test_turning_evasion_on_for_a_big_list_is_checked(store: Store) -> None:
    store.create_list("plain", evasion=False)
    store.add_terms("plain", _long_terms(60, 200))
    plain = store.estimate()
    store.compile_budget_mb = int(plain.megabytes) + 1
    before = _state(store)
    with pytest.raises(StoreError, match="FORUM_GUARD_COMPILE_BUDGET_MB"):
        store.update_list("plain", evasion=True)
    assert _state(store) == before
    assert store.get_list("plain").evasion is False


def test_editing_a_term_longer_is_checked(store: Store) -> None:
    store.create_list("x")
    store.add_terms("x", ["short"])
    row = store.terms("x")[0]
    store.max_key_chars = store.estimate().chars + 10
    with pytest.raises(StoreError, match="FORUM_GUARD_MAX_KEY_CHARS"):
        store.update_term(row.id, "a much longer term than before")
    assert [r.term.text for r in store.terms("x")] == ["short"]


def test_a_worker_refuses_to_compile_over_its_budget(store: Store, db_url: str) -> None:
    source = StoreSource(store, reload_seconds=3600)
    try:
        first = source.current()
        # another process, with a larger budget, stores a big list
        writer = Store(db_url)
        try:
            writer.create_list("big")
            writer.add_terms("big", _long_terms(200, 200))
        finally:
            writer.close()
        store.compile_budget_mb = 2
        assert source.refresh() is False
        assert source.current() is first
        assert isinstance(source.last_error, StoreError)
        assert "Not compiled; the ruleset in force stays" in str(source.last_error)
        # with the budget raised the same version compiles
        store.compile_budget_mb = COMPILE_BUDGET_MB
        source._failed_version = None
        assert source.refresh() is True
        assert "big" in [wl.name for wl in source.current().lists]
    finally:
        source.close()


def test_defaults_and_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("FORUM_GUARD_MAX_KEY_CHARS", raising=False)
    monkeypatch.delenv("FORUM_GUARD_COMPILE_BUDGET_MB", raising=False)
    assert default_budgets() == (MAX_KEY_CHARS, COMPILE_BUDGET_MB)
    monkeypatch.setenv("FORUM_GUARD_MAX_KEY_CHARS", "1_000")
    monkeypatch.setenv("FORUM_GUARD_COMPILE_BUDGET_MB", "64")
    s = Store(f"sqlite:///{tmp_path}/env.sqlite")
    assert (s.max_key_chars, s.compile_budget_mb) == (1_000, 64)
    s.close()
    monkeypatch.setenv("FORUM_GUARD_COMPILE_BUDGET_MB", "lots")
    with pytest.raises(ValueError, match="FORUM_GUARD_COMPILE_BUDGET_MB='lots' is not a positive number"):
        default_budgets()
    with pytest.raises(ValueError):
        s.max_key_chars = 0


def test_flask_config_sets_the_budgets_and_the_admin_page_shows_the_refusal(tmp_path: Path) -> None:
    app = make_app(f"sqlite:///{tmp_path}/app.sqlite", csrf=False, FORUM_GUARD_MAX_KEY_CHARS=5_000,
                   FORUM_GUARD_COMPILE_BUDGET_MB=300)
    try:
        store = store_of(app)
        assert (store.max_key_chars, store.compile_budget_mb) == (5_000, 300)
        client = app.test_client()
        client.get("/login/moderator")
        page = client.get("/forum-guard/admin/lists/profanity")
        assert page.status_code == 200
        before = store.version()
        terms = "\n".join(_long_terms(10, 200))
        response = client.post("/forum-guard/admin/lists/profanity/terms", data={"terms": terms, "confirm": "save"},
                               follow_redirects=True)
        assert response.status_code in (200, 400, 422)
        assert "FORUM_GUARD_MAX_KEY_CHARS" in response.get_data(as_text=True)
        assert store.version() == before
    finally:
        close_store_app(app)
