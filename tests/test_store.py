"""The store: schema, lists, terms, import/export, limits, queue, audit log, hot reload, reviews."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from store_fixtures import (  # noqa: F401 (fixtures)
    db_url_fixture,
    needs_postgres,
    pg_database_fixture,
    pg_url_fixture,
)

from forum_guard import Guard, Limits
from forum_guard.engine.terms import Action, ListKind, Term, WordList, parse_wordlist
from forum_guard.errors import EmptyRulesetError, WordlistError
from forum_guard.store import (
    SCHEMA_VERSION,
    AlreadyDecided,
    AlreadyExists,
    NoStoreError,
    NotFound,
    Snapshot,
    Store,
    StoreError,
    StoreSource,
    compile_snapshot,
    default_database_url,
    dictionary_hits,
    dictionary_words,
    display_url,
    export_text,
    impact_preview,
    lint_lists,
    parse_import_text,
    scan_lines,
    sqlite_file,
    user_database_url,
)

WORDLISTS = Path(__file__).resolve().parent.parent / "wordlists"


@pytest.fixture
def seed_dir(tmp_path: Path) -> Path:
    """A small wordlists folder (two lists and the shipped limits.toml)."""
    d = tmp_path / "seed"
    d.mkdir()
    (d / "rude.txt").write_text("# name: rude\n# action: block\nzorblax*\n!zorblaxian\n", encoding="utf-8")
    (d / "spam.txt").write_text("# name: spam\n# action: require_approval\ncheap pills\n", encoding="utf-8")
    (d / "limits.toml").write_text((WORDLISTS / "limits.toml").read_text("utf-8"), encoding="utf-8")
    return d


#: every test that takes ``db_url`` (or ``store``) runs on both; the PostgreSQL runs are skipped without a server
#: (``eval "$(scripts/test-postgres start)"`` starts a throwaway one and sets the variable)
@pytest.fixture
def store(db_url: str):
    s = Store(db_url)
    s.ensure_schema()
    yield s
    s.close()


def audit_count(store: Store) -> int:
    return store.count_audit()


# --- schema -----------------------------------------------------------------------------------


def test_schema_is_created_once_and_versioned(db_url: str, tmp_path: Path) -> None:
    s = Store(db_url)
    s.ensure_schema()
    s.ensure_schema()
    assert s.schema_version() == SCHEMA_VERSION
    assert s.version() == 1
    with s.engine.connect() as conn:
        if s.is_sqlite:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        tables = set(sa.inspect(conn).get_table_names())
    assert {"fg_schema_version", "fg_lists", "fg_terms", "fg_limits", "fg_queue", "fg_audit",
            "fg_ruleset"} <= tables
    s.close()


def test_a_newer_schema_is_refused(store: Store) -> None:
    with store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE fg_schema_version SET version = 99")
    with pytest.raises(StoreError, match="newer"):
        store.ensure_schema()


def test_sqlite_parent_folder_is_created(tmp_path: Path) -> None:
    s = Store(f"sqlite:///{tmp_path}/a/b/fg.sqlite")
    s.ensure_schema()
    assert (tmp_path / "a" / "b" / "fg.sqlite").exists()
    s.close()


# --- lists and terms -------------------------------------------------------------------------


def test_list_lifecycle_bumps_version_and_audits(store: Store) -> None:
    v1 = store.create_list("spam", action="require_approval", description="  Spam  words ", actor="ann")
    assert v1 == 2
    with pytest.raises(AlreadyExists):
        store.create_list("spam")
    with pytest.raises(StoreError):
        store.create_list("bad/name")
    with pytest.raises(StoreError):
        store.create_list("x", action="allow")
    info = store.list_info("spam")
    assert (info.action, info.kind, info.description, info.size) == (Action.REQUIRE_APPROVAL, ListKind.TERMS,
                                                                     "Spam words", 0)
    v2 = store.update_list("spam", new_name="junk", action="flag", actor="bob")
    assert v2 == 3
    assert store.list_names() == ["junk"]
    assert store.update_list("junk", action="flag") == 3  # no change, no bump
    v3 = store.delete_list("junk", actor="cy")
    assert v3 == 4
    assert store.list_names() == []
    actions = [(e.action, e.actor) for e in store.audit()]
    assert actions == [("list.delete", "cy"), ("list.update", "bob"), ("list.create", "ann")]
    with pytest.raises(NotFound):
        store.list_info("junk")


def test_add_and_remove_terms(store: Store) -> None:
    store.create_list("p")
    r = store.add_terms("p", ["darn", "Heck*", "!hecking", "darn", "DARN", "two  words"], actor="ann")
    assert [t.to_line() for t in r.added] == ["darn", "Heck*", "!hecking", "two words"]
    assert [t.to_line() for t in r.skipped] == ["darn", "DARN"]
    rows = store.terms("p")
    assert [row.term.to_line() for row in rows] == ["darn", "Heck*", "!hecking", "two words"]
    assert all(row.added_by == "ann" and row.added_at.tzinfo for row in rows)
    assert store.add_terms("p", ["darn"]).version is None  # nothing new: no version bump
    assert [r.term.text for r in store.terms("p", search="HEC")] == ["Heck", "hecking"]
    assert store.count_terms("p", search="o w") == 1
    r = store.remove_terms("p", ["DARN", "nothere"], actor="bob")
    assert [t.text for t in r.removed] == ["darn"] and [t.text for t in r.skipped] == ["nothere"]
    assert store.list_info("p").size == 3
    entry = store.audit(action="term.remove")[0]
    assert entry.actor == "bob" and entry.target == "p" and entry.detail["terms"] == ["darn"]
    with pytest.raises(StoreError):
        store.add_terms("p", ["a*b"])
    with pytest.raises(NotFound):
        store.add_terms("nope", ["x"])


def test_edit_and_delete_a_term(store: Store) -> None:
    store.create_list("p")
    store.add_terms("p", ["darn", "heck"])
    darn = store.terms("p")[0]
    store.update_term(darn.id, "darn*", actor="ann")
    assert store.get_term(darn.id).term.pattern == "darn*"
    with pytest.raises(AlreadyExists):
        store.update_term(darn.id, "HECK")
    heck = store.terms("p")[1]
    store.delete_term(heck.id, actor="ann")
    assert [r.term.pattern for r in store.terms("p")] == ["darn*"]
    with pytest.raises(NotFound):
        store.get_term(heck.id)
    assert [e.action for e in store.audit()][:2] == ["term.remove", "term.edit"]


def test_domain_lists_validate_hosts(store: Store) -> None:
    store.create_list("links", kind="domains")
    store.add_terms("links", ["Spam.Example.com"])
    assert store.get_list("links").terms[0].text == "spam.example.com"
    with pytest.raises(StoreError, match="host name"):
        store.add_terms("links", ["not a host"])


def test_snapshot_builds_the_same_guard_as_the_files(store: Store) -> None:
    assert store.seed_from_directory(WORDLISTS)
    snap = store.snapshot()
    files = Guard.from_directory(WORDLISTS)
    guard = compile_snapshot(snap)
    assert [wl.name for wl in guard.lists] == [wl.name for wl in files.lists]
    assert guard.lists[0].terms == files.lists[0].terms
    assert guard.limits == files.limits
    text = "what the fuck, you absolute wanker. Classic assassin."
    assert guard.check(text).to_dict() == files.check(text).to_dict()


# --- import / export --------------------------------------------------------------------------


def test_import_the_three_formats(store: Store, tmp_path: Path) -> None:
    text = tmp_path / "mine.txt"
    text.write_text("# name: mine\n# action: flag\n# evasion: off\nfoo*\n!food\n", encoding="utf-8")
    plain = tmp_path / "public.txt"
    plain.write_text("\ufeffBad\nbad\n!bang\n# comment\n\nworse one\n", encoding="utf-8")
    discourse = tmp_path / "watched.csv"
    discourse.write_text('word,replacement\nheck,h*ck\n"darn",,true\nfrick*\n', encoding="utf-8")
    result = store.import_files([text, plain, discourse], actor="ops")
    assert {d["list"]: d["added"] for d in result.lists} == {"mine": 2, "public": 3, "watched": 3}
    mine = store.get_list("mine")
    assert (mine.action, mine.evasion, [t.to_line() for t in mine.terms]) == (Action.FLAG, False, ["foo*", "!food"])
    public = store.get_list("public")
    assert [t.text for t in public.terms] == ["Bad", "!bang", "worse one"]  # '!' is a letter in plain files
    assert not any(t.exception for t in public.terms)
    watched = store.get_list("watched")
    assert [(t.pattern, t.replacement) for t in watched.terms] == [("heck", "h*ck"), ("darn", None),
                                                                    ("frick*", None)]
    entry = store.audit(action="import")[0]
    assert entry.actor == "ops" and entry.target == "watched" and entry.detail["added"] == 3
    assert [e.target for e in store.audit(action="import")] == ["watched", "public", "mine"]


def test_import_merge_and_replace(store: Store, tmp_path: Path) -> None:
    f = tmp_path / "p.txt"
    f.write_text("a1\nb2\n", encoding="utf-8")
    store.import_files([f])
    f.write_text("b2\nc3\n", encoding="utf-8")
    r = store.import_files([f])
    assert (r.added, r.removed) == (1, 0)
    assert [t.text for t in store.get_list("p").terms] == ["a1", "b2", "c3"]
    r = store.import_files([f], mode="replace")
    assert (r.added, r.removed) == (0, 1)
    assert [t.text for t in store.get_list("p").terms] == ["b2", "c3"]


def test_import_with_a_bad_file_changes_nothing(store: Store, tmp_path: Path) -> None:
    store.create_list("keep")
    store.add_terms("keep", ["one"])
    before = (store.version(), store.snapshot().lists, audit_count(store))
    good = tmp_path / "good.txt"
    good.write_text("fine\nwords\n", encoding="utf-8")
    bad = tmp_path / "bad.txt"
    bad.write_text("# name: keep\nok\nalso ok\n---\n", encoding="utf-8")
    with pytest.raises(WordlistError) as err:
        store.import_files([good, bad])
    assert err.value.source == str(bad) and err.value.line == 4
    assert f"{bad}:4" in str(err.value)
    assert (store.version(), store.snapshot().lists, audit_count(store)) == before
    bad_csv = tmp_path / "bad.csv"
    bad_csv.write_text("fine\nbad*word,x\n", encoding="utf-8")
    with pytest.raises(WordlistError, match=r"bad\.csv:2"):
        store.import_files([good, bad_csv])
    assert (store.version(), store.snapshot().lists, audit_count(store)) == before


def test_import_failing_halfway_in_the_database_rolls_back(store: Store, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    store.create_list("keep")
    store.add_terms("keep", ["one"])
    before = (store.version(), store.snapshot(), audit_count(store))
    files = []
    for name in ("first", "second", "third"):
        f = tmp_path / f"{name}.txt"
        f.write_text("\n".join(f"{name}{i}" for i in range(100)), encoding="utf-8")
        files.append(f)
    original = Store._insert_terms
    calls = []

    def failing(self, conn, list_id, terms, actor, extra=None):  # type: ignore[no-untyped-def]
        calls.append(list_id)
        if len(calls) == 3:  # the first two lists are written, then the disk "fails"
            raise sa.exc.OperationalError("INSERT", {}, Exception("disk I/O error"))
        return original(self, conn, list_id, terms, actor, extra)

    monkeypatch.setattr(Store, "_insert_terms", failing)
    with pytest.raises(sa.exc.OperationalError):
        store.import_files(files)
    assert len(calls) == 3
    assert (store.version(), store.snapshot(), audit_count(store)) == before


def test_limits_file_imports_with_the_lists(store: Store, seed_dir: Path) -> None:
    store.import_files([seed_dir / "rude.txt", seed_dir / "limits.toml"])
    assert store.limits() == Limits.load(seed_dir / "limits.toml")
    assert store.list_names() == ["rude"]


@pytest.mark.parametrize("fmt", ["text", "plain", "csv"])
def test_export_round_trips(store: Store, tmp_path: Path, fmt: str) -> None:
    wl = parse_wordlist("# name: rt\n# action: censor\ndarn => d**n\nheck*\n*frick\ntwo words\n,comma\n"
                        "\\!bang\n", source="x")
    store.import_wordlists([wl])
    out = store.export("rt", fmt)  # type: ignore[arg-type]
    back = parse_import_text(out, name="rt", source=f"rt.{fmt}", format=fmt, action=Action.CENSOR)  # type: ignore[arg-type]
    expected = wl.terms if fmt != "plain" else tuple(
        Term(t.text, t.wildcard_start, t.wildcard_end) for t in wl.terms)
    assert back.terms == expected
    if fmt == "text":
        assert back == wl


def test_export_plain_and_csv_drop_exceptions() -> None:
    wl = WordList("x", terms=(Term("a1"), Term("a1b", exception=True)))
    assert export_text(wl, "plain") == "a1\n"
    assert export_text(wl, "csv") == "a1\n"


def test_seed_only_once_even_from_many_workers(db_url: str, seed_dir: Path) -> None:
    stores = [Store(db_url) for _ in range(4)]
    for s in stores:
        s.ensure_schema()
    results: list[int] = []
    barrier = threading.Barrier(len(stores))

    def seed(s: Store) -> None:
        barrier.wait()
        results.append(s.seed_from_directory(seed_dir))

    threads = [threading.Thread(target=seed, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [0, 0, 0, 2]  # one worker seeded the two lists
    assert stores[0].list_names() == ["rude", "spam"]
    assert stores[0].limits() == Limits.load(seed_dir / "limits.toml")
    assert [e.target for e in stores[0].audit(action="import")] == ["limits", "spam", "rude"]
    assert not stores[0].seed_from_directory(seed_dir)
    for s in stores:
        s.close()


# --- limits -----------------------------------------------------------------------------------


def test_limits_per_group(store: Store) -> None:
    assert store.limits() is None
    store.set_limits(Limits.default(), actor="ann")
    v = store.set_limits({"groups": {"new": {**Limits.default().groups["new"].to_dict(), "max_links": 0}}},
                         partial=True, actor="bob")
    limits = store.limits()
    assert limits.for_group("new").max_links == 0
    assert limits.for_group("guest").max_links == 1
    entry = store.audit(action="limits")[0]
    assert entry.actor == "bob" and entry.target == "groups.new" and entry.version == v
    with store.engine.connect() as conn:
        sections = {r[0] for r in conn.exec_driver_sql("SELECT section FROM fg_limits")}
    assert {"groups.guest", "groups.new", "groups.member", "groups.moderator", "messages", "hard_cap"} == sections
    before = store.version()
    with pytest.raises(WordlistError):
        store.set_limits({"groups": {"new": {"max_links": "lots"}}}, partial=True)
    assert store.version() == before and store.limits().for_group("new").max_links == 0
    store.create_list("p")
    guard = store.build_guard()
    assert guard.check("see http://a.example", group="new").blocked


# --- moderation queue -------------------------------------------------------------------------


def _verdict(text: str):
    wl = WordList("spam", terms=(Term("cheap pills"),), action=Action.REQUIRE_APPROVAL)
    return Guard([wl]).check(text)


def test_queue_enqueue_decide(store: Store) -> None:
    v = _verdict("buy cheap pills now")
    qid = store.enqueue(content="buy cheap pills now", is_html=False, verdict=v, author="eve", group="member",
                        ref="post-7", reason="require_approval")
    item = store.queue_item(qid)
    assert (item.pending, item.author, item.ref, item.terms, item.action) == (True, "eve", "post-7",
                                                                              ["cheap pills"], "require_approval")
    assert "<mark" in item.highlighted_html
    assert store.queue_counts()["require_approval"] == 1
    decided = store.decide(qid, "approved", actor="mod", content="buy pills now", note="edited")
    assert (decided.status, decided.decided_by, decided.decided_content) == ("approved", "mod", "buy pills now")
    with pytest.raises(AlreadyDecided):
        store.decide(qid, "rejected", actor="mod2")
    assert store.queue() == []
    assert [i.id for i in store.queue(status="approved")] == [qid]
    assert store.recent_contents(5) == ["buy pills now"]
    entry = store.audit(action="queue")[0]
    assert entry.action == "queue.approve" and entry.detail["ref"] == "post-7" and entry.detail["edited"]
    with pytest.raises(ValueError):
        store.enqueue(content="x", is_html=False, verdict=v, author=None, group="member", ref=None, reason="nope")


def test_concurrent_decisions_only_one_wins(db_url: str, store: Store) -> None:
    qid = store.enqueue(content="cheap pills", is_html=False, verdict=_verdict("cheap pills"), author=None,
                        group="guest", ref=None, reason="require_approval")
    others = [Store(db_url) for _ in range(4)]
    outcomes: list[str] = []
    barrier = threading.Barrier(len(others))

    def decide(s: Store, n: int) -> None:
        barrier.wait()
        try:
            s.decide(qid, "approved" if n % 2 else "rejected", actor=f"m{n}")
            outcomes.append("won")
        except AlreadyDecided:
            outcomes.append("lost")

    threads = [threading.Thread(target=decide, args=(s, n)) for n, s in enumerate(others)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["lost", "lost", "lost", "won"]
    assert store.count_audit(action="queue") == 1
    for s in others:
        s.close()


# --- audit log --------------------------------------------------------------------------------


def test_audit_log_is_append_only(store: Store) -> None:
    store.create_list("p", actor="ann")
    for stmt in ("UPDATE fg_audit SET actor = 'mallory'", "DELETE FROM fg_audit"):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"), store.engine.begin() as conn:
            conn.exec_driver_sql(stmt)
    assert store.audit()[0].actor == "ann"


def test_audit_filters(store: Store) -> None:
    store.create_list("a", actor="ann", origin="admin")
    store.create_list("b", actor="bob", origin="cli")
    store.add_terms("a", ["x1"], actor="bob", origin="cli")
    assert [e.target for e in store.audit(actor="bob")] == ["a", "b"]
    assert [e.action for e in store.audit(action="term")] == ["term.add"]
    assert [e.actor for e in store.audit(target="a")] == ["bob", "ann"]
    assert [e.actor for e in store.audit(origin="admin")] == ["ann"]
    assert store.count_audit(search="X1") == 1
    assert store.audit(since=store.audit()[0].at) != []
    assert store.audit_actors() == ["ann", "bob"]


# --- concurrency ------------------------------------------------------------------------------


def test_concurrent_adds_from_many_connections_lose_nothing(db_url: str, store: Store) -> None:
    store.create_list("p")
    workers = [Store(db_url) for _ in range(6)]
    barrier = threading.Barrier(len(workers))

    def add(s: Store, n: int) -> None:
        barrier.wait()
        for i in range(15):
            s.add_terms("p", [f"w{n}x{i}", "shared"], actor=f"worker{n}")

    threads = [threading.Thread(target=add, args=(s, n)) for n, s in enumerate(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    texts = {t.text for t in store.get_list("p").terms}
    assert len(texts) == 6 * 15 + 1
    assert store.count_audit(action="term.add") == 6 * 15
    assert store.version() == 2 + 6 * 15
    for s in workers:
        s.close()


# --- hot reload -------------------------------------------------------------------------------


def test_store_source_swaps_in_a_new_ruleset(store: Store) -> None:
    store.create_list("p")
    source = StoreSource(store, reload_seconds=0.05)
    try:
        first = source.current()
        assert not first.check("zorblax").matches
        store.add_terms("p", ["zorblax"])
        deadline = time.monotonic() + 5
        while source.current() is first and time.monotonic() < deadline:
            time.sleep(0.01)
        assert source.current().check("zorblax").blocked
        assert source.version == store.version()
    finally:
        source.close()


def test_requests_never_wait_for_a_compile(store: Store) -> None:
    """While the reload thread compiles (held here until the test lets it go), current() keeps
    answering with the old ruleset: if it waited for the compile, it would never return."""
    store.create_list("p")
    compiling = threading.Event()
    release = threading.Event()

    def compile_(snap: Snapshot):  # type: ignore[no-untyped-def]
        if snap.lists[0].terms:  # the new version: hold the compile until released
            compiling.set()
            release.wait(30)
        return compile_snapshot(snap)

    source = StoreSource(store, reload_seconds=0.02, compile=compile_)
    answered: list[object] = []
    try:
        old = source.current()
        store.add_terms("p", ["zorblax"])
        assert compiling.wait(10), "the reload thread never started the new compile"
        reader = threading.Thread(target=lambda: answered.extend(source.current() for _ in range(1000)))
        reader.start()
        reader.join(10)
        assert not reader.is_alive(), "current() waited for the compile"
        assert len(answered) == 1000 and all(guard is old for guard in answered)
        release.set()
        deadline = time.monotonic() + 10
        while source.current() is old and time.monotonic() < deadline:
            time.sleep(0.02)
        assert source.current().check("zorblax").blocked
    finally:
        release.set()
        source.close()


def test_a_failing_compile_keeps_the_old_ruleset(store: Store, caplog: pytest.LogCaptureFixture) -> None:
    store.create_list("p")
    store.add_terms("p", ["fine"])
    broken = threading.Event()

    def compile_(snap: Snapshot):  # type: ignore[no-untyped-def]
        if broken.is_set():
            raise RuntimeError("boom")
        return compile_snapshot(snap)

    source = StoreSource(store, reload_seconds=60, compile=compile_)
    try:
        good = source.current()
        broken.set()
        store.add_terms("p", ["zorblax"])
        with caplog.at_level(logging.ERROR, logger="forum_guard.store"):
            assert not source.refresh()
        assert source.current() is good
        assert isinstance(source.last_error, RuntimeError)
        assert "did not compile" in caplog.text
        assert not source.refresh()  # the same broken version is not recompiled again and again
        broken.clear()
        store.add_terms("p", ["another"])
        assert source.refresh()
        assert source.current().check("zorblax").blocked and source.last_error is None
    finally:
        source.close()


def test_store_source_survives_a_broken_database(tmp_path: Path) -> None:
    s = Store(f"sqlite:///{tmp_path}/fg.sqlite")
    s.ensure_schema()
    s.create_list("p")
    source = StoreSource(s, reload_seconds=60)
    try:
        guard = source.current()
        (tmp_path / "fg.sqlite").unlink()
        for extra in ("-wal", "-shm"):
            if (tmp_path / f"fg.sqlite{extra}").exists():
                (tmp_path / f"fg.sqlite{extra}").unlink()
        s.close()
        assert not source.refresh()
        assert source.current() is guard
    finally:
        source.close()


# --- failing closed: seeding, empty stores ----------------------------------------------------


def test_seed_shipped_fills_an_empty_store_once_and_logs_it(store: Store,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    from forum_guard.engine.data import shipped_dir

    shipped = Guard.from_directory(shipped_dir())
    with caplog.at_level(logging.INFO, logger="forum_guard.store"):
        seeded = store.seed_shipped()
    assert seeded == len(shipped.lists) > 0
    assert f"seeded {seeded} lists from forum_guard.wordlists" in caplog.text
    assert store.list_names() == sorted(wl.name for wl in shipped.lists)
    assert store.build_guard().check("what the fuck").blocked
    assert {e.origin for e in store.audit(action="import")} == {"seed"}
    assert store.seed_shipped() == 0  # a store with lists is left alone
    store.delete_list(store.list_names()[0])
    assert store.seed_shipped() == 0


def test_seeding_from_the_shipped_folder_says_so(store: Store, caplog: pytest.LogCaptureFixture) -> None:
    from forum_guard.engine.data import shipped_dir

    with caplog.at_level(logging.INFO, logger="forum_guard.store"):
        assert store.seed_from_directory(shipped_dir()) > 0
    assert "lists from forum_guard.wordlists into" in caplog.text


def test_an_empty_store_is_an_error_never_an_allow_everything_guard(store: Store) -> None:
    source = StoreSource(store, reload_seconds=60)
    try:
        with pytest.raises(EmptyRulesetError, match="holds no word lists") as err:
            source.current()
        assert store.display_url in str(err.value) and "seed_shipped" in str(err.value)
        with pytest.raises(EmptyRulesetError):
            store.build_guard()
        store.create_list("p")
        store.add_terms("p", ["zorblax"])
        assert source.current().check("zorblax").blocked
        store.delete_list("p")  # every list deleted later: the last ruleset stays in force
        assert not source.refresh()
        assert isinstance(source.last_error, EmptyRulesetError)
        assert source.current().check("zorblax").blocked
    finally:
        source.close()


def test_the_empty_store_error_hides_the_password() -> None:
    snap = Snapshot(version=1, lists=(), limits={},
                    store=display_url("postgresql+psycopg://fg:s3cret@db.internal:5432/forum"))
    with pytest.raises(EmptyRulesetError) as err:
        compile_snapshot(snap)
    assert "fg:***@db.internal:5432/forum" in str(err.value) and "s3cret" not in str(err.value)
    assert "s3cret" not in repr(Store("postgresql://fg:s3cret@db.internal/forum"))


# --- where the store is, and what opening it creates -------------------------------------------


def test_opening_a_store_creates_nothing_until_ensure_schema(tmp_path: Path) -> None:
    path = tmp_path / "not" / "yet" / "fg.sqlite"
    s = Store(f"sqlite:///{path}")
    try:
        assert not s.exists()
        with pytest.raises(NoStoreError, match=f"no store at {path}"):
            s.require_schema()
        assert not path.parent.exists()
        s.ensure_schema()
        assert path.is_file() and s.exists()
        s.require_schema()
    finally:
        s.close()


def test_a_database_without_the_tables_is_no_store(db_url: str) -> None:
    s = Store(db_url)
    try:
        with s.engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE other_app (id INTEGER)")
        assert not s.exists()
        with pytest.raises(NoStoreError, match="holds no forum_guard store"):
            s.require_schema()
        with s.engine.connect() as conn:
            assert "fg_lists" not in sa.inspect(conn).get_table_names()
        s.ensure_schema()
        s.require_schema()
    finally:
        with s.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE other_app")
        s.close()


def test_the_default_location_never_depends_on_the_current_folder(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FORUM_GUARD_DATABASE_URL", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    expected = f"sqlite:///{tmp_path}/data/forum-guard/forum_guard.sqlite"
    assert default_database_url() == user_database_url() == expected
    assert default_database_url(instance_path="inst") == f"sqlite:///{tmp_path}/inst/forum_guard.sqlite"
    monkeypatch.setenv("FORUM_GUARD_DATABASE_URL", "postgresql+psycopg://u@db/x")
    assert default_database_url() == default_database_url(instance_path=tmp_path) == "postgresql+psycopg://u@db/x"
    assert sqlite_file(expected) == tmp_path / "data" / "forum-guard" / "forum_guard.sqlite"
    assert sqlite_file("sqlite://") is None and sqlite_file("postgresql+psycopg://u@db/x") is None


def test_postgresql_urls_use_psycopg_3() -> None:
    assert Store("postgresql://u@db.internal/forum").engine.dialect.driver == "psycopg"
    assert Store("postgresql+psycopg://u@db.internal/forum").engine.dialect.driver == "psycopg"


# --- reviews: Scunthorpe check, impact, lint --------------------------------------------------


def test_dictionary_is_found() -> None:
    words = dictionary_words()
    assert len(words) > 10_000 and "assassin" in words and "class" in words


def test_scunthorpe_check_uses_the_real_matcher() -> None:
    words = ["class", "glass", "assassin", "assess", "ass", "asses", "bass", "scunthorpe", "passage", "cassette"]
    plain = WordList("p")
    whole_word = dictionary_hits(plain, [Term("ass")], words=words).get("ass", [])
    guard = Guard([plain.with_terms([Term("ass")])])
    assert whole_word == [w for w in words if w not in ("ass", "asses") and guard.check(w).matches]
    assert not {"class", "glass", "assassin", "bass"} & set(whole_word)
    anywhere = dictionary_hits(plain, [Term("ass", True, True)], words=words)["*ass*"]
    assert set(anywhere) == {"class", "glass", "assassin", "assess", "bass", "passage", "cassette"}
    with_exception = plain.with_terms([Term("assassin", exception=True)])
    assert "assassin" not in dictionary_hits(with_exception, [Term("ass", True, True)], words=words)["*ass*"]
    assert dictionary_hits(plain, [Term("cunt", True, True)], words=words) == {"*cunt*": ["scunthorpe"]}


def test_scan_lines_equals_checking_each_line() -> None:
    guard = Guard.from_directory(WORDLISTS)
    lines = [*list(dictionary_words()[::40]), "a", "b", "c", "f", "u", "c", "k", "bullshit", "class"]
    bulk = scan_lines(guard, lines, chunk_chars=3000)
    one_by_one = {i: list(guard.check(line).matches) for i, line in enumerate(lines) if guard.check(line).matches}
    assert bulk == one_by_one


def test_impact_preview() -> None:
    posts = ["I love cheap pills", "<p>cheap <b>pills</b> here</p>", "nothing to see", "pills are cheap"]
    impact = impact_preview(WordList("spam"), [Term("cheap pills")], posts)
    assert (impact.checked, impact.caught) == (4, 2)
    assert impact.examples[0] == ("I love cheap pills", "cheap pills")


def test_lint_finds_duplicates_shadowed_dictionary_and_wildcards() -> None:
    a = WordList("a", terms=(Term("darn"), Term("darned"), Term("heck", wildcard_end=True), Term("hecking"),
                             Term("ass", True, True)))
    b = WordList("b", terms=(Term("darn"),), action=Action.FLAG)
    c = WordList("c", terms=(Term("as", wildcard_end=True),), action=Action.FLAG)
    findings = lint_lists([a, b, c], words=["class", "assassin", "ash", "aside", "heckle", "darn"])
    kinds = {(f.list, f.term, f.kind) for f in findings}
    assert ("a", "darn", "duplicate") in kinds and ("b", "darn", "duplicate") in kinds
    assert ("a", "hecking", "shadowed") in kinds
    assert ("a", "darned", "shadowed") in kinds
    assert ("c", "as*", "wildcard") in kinds and ("a", "*ass*", "wildcard") in kinds
    assert ("a", "heck*", "dictionary") in kinds
    hits = next(f for f in findings if f.term == "*ass*" and f.kind == "dictionary")
    assert set(hits.words) == {"class", "assassin"}
    assert lint_lists([a], only="a", dictionary=False, words=()) != []


# --- big lists --------------------------------------------------------------------------------


@pytest.mark.slow
def test_import_of_a_100k_term_list(store: Store, tmp_path: Path) -> None:
    f = tmp_path / "big.txt"
    f.write_text("\n".join(f"term{i}x" for i in range(100_000)), encoding="utf-8")
    t0 = time.perf_counter()
    store.import_files([f])
    took = time.perf_counter() - t0
    assert store.list_info("big").size == 100_000
    t0 = time.perf_counter()
    snap = store.snapshot()
    read = time.perf_counter() - t0
    assert len(snap.lists[0].terms) == 100_000 and snap.lists[0].terms[-1].text == "term99999x"
    print(f"\nimport 100k terms: {took:.2f}s; snapshot read: {read:.2f}s")  # measured, not asserted: benchmarks/


# --- PostgreSQL (when a server is given) ------------------------------------------------------


@pytest.mark.postgres
def test_postgresql_round_trip(pg_url: str) -> None:
    s = Store(pg_url)
    s.ensure_schema()
    s.ensure_schema()
    assert s.seed_from_directory(WORDLISTS)
    s.add_terms("profanity", ["zorblax"], actor="pg")
    assert s.build_guard().check("zorblax").blocked
    with pytest.raises(sa.exc.DatabaseError, match="append-only"), s.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM fg_audit")
    s.close()


@pytest.mark.postgres
def test_postgresql_connections_lost_cost_no_failed_call(pg_url: str) -> None:
    """A server restart or failover drops every pooled connection: the next write, read and reload
    reconnect instead of failing once per worker (the engine pings a connection before using it)."""
    s = Store(pg_url)
    s.ensure_schema()
    s.create_list("p")
    source = StoreSource(s, reload_seconds=60)
    killer = sa.create_engine(pg_url)
    try:
        source.current()
        s.queue_counts()  # a pooled connection exists
        with killer.begin() as conn:
            n = conn.exec_driver_sql("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                     "WHERE pid <> pg_backend_pid() AND datname = current_database()").scalar()
        assert n
        s.add_terms("p", ["zorblax"])
        assert source.refresh() and source.last_error is None
        assert source.current().check("zorblax").blocked
    finally:
        source.close()
        killer.dispose()
        s.close()
