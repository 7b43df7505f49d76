"""Sharing the host's database: forum_guard's tables in their own migration history (their own
version table; ``include_object`` keeps a host's Alembic autogenerate off them), and a host engine
keeps its SQLite journal mode, foreign-key and busy-timeout pragmas after forum_guard used it."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from conftest import close_app, write_wordlists
from flask import Flask
from store_fixtures import FG_TABLES, needs_postgres, pg_database_fixture, pg_url_fixture  # noqa: F401 (fixtures)

from forum_guard.ext import ForumGuard, hold
from forum_guard.store import Store
from forum_guard.store.migrations import VERSION_TABLE, forum_guard_aware, include_object, is_forum_guard_table
from forum_guard.store.schema import metadata as fg_metadata

#: a host forum's schema, FlaskBB-like: posts point at topics, and the host deletes a topic before its
#: posts (it relies on SQLite's default: foreign keys off)
host_metadata = sa.MetaData()
topics = sa.Table("topics", host_metadata, sa.Column("id", sa.Integer, primary_key=True),
                  sa.Column("title", sa.String(100)))
posts = sa.Table("posts", host_metadata, sa.Column("id", sa.Integer, primary_key=True),
                 sa.Column("topic_id", sa.Integer, sa.ForeignKey("topics.id")), sa.Column("body", sa.Text))


def host_engine(path: Path) -> sa.Engine:
    """The host's engine with its own pragmas: rollback journal, no foreign keys, a 1.5 s timeout."""
    engine = sa.create_engine(f"sqlite:///{path}")

    @sa.event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA journal_mode = DELETE")
        dbapi_connection.execute("PRAGMA busy_timeout = 1500")

    host_metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(topics.insert().values(id=1, title="hello"))
        conn.execute(posts.insert().values(id=1, topic_id=1, body="first"))
    return engine


def pragmas(engine: sa.Engine) -> dict[str, Any]:
    with engine.connect() as conn:
        return {name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in ("journal_mode", "foreign_keys", "busy_timeout")}


def the_host_deletes_a_topic_first(engine: sa.Engine) -> None:
    """FlaskBB's topic deletion: the topic row goes before its posts (fails with foreign keys on)."""
    with engine.begin() as conn:
        conn.execute(topics.delete().where(topics.c.id == 1))
        conn.execute(posts.delete().where(posts.c.topic_id == 1))


HOST_PRAGMAS = {"journal_mode": "delete", "foreign_keys": 0, "busy_timeout": 1500}


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[sa.Engine]:
    engine = host_engine(tmp_path / "forum.sqlite")
    yield engine
    engine.dispose()


def use_the_store(store: Store) -> None:
    """Everything that writes: the schema, a list with terms, the limits, the list deleted (its terms
    go by ON DELETE CASCADE), the queue."""
    store.ensure_schema()
    store.create_list("spam", action="require_approval")
    store.add_terms("spam", ["cheap pills", "buy followers"])
    store.create_list("gone")
    store.add_terms("gone", ["one", "two"])
    store.set_limits({"groups": {"banned": {"extends": "guest", "max_links": 0}}}, partial=True)
    store.delete_list("gone")
    assert [wl.name for wl in store.snapshot().lists] == ["spam"]


def test_a_host_engine_keeps_its_pragmas(engine: sa.Engine) -> None:
    assert pragmas(engine) == HOST_PRAGMAS
    store = Store(engine)
    use_the_store(store)
    with engine.connect() as conn:  # the cascade ran: no orphaned terms of the deleted list
        assert conn.exec_driver_sql("SELECT count(*) FROM fg_terms").scalar() == 2
    store.close()
    assert pragmas(engine) == HOST_PRAGMAS
    the_host_deletes_a_topic_first(engine)  # still allowed: foreign keys stayed off for the host
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(posts)).scalar() == 0


def test_a_host_engine_through_the_extension(engine: sa.Engine, tmp_path: Path) -> None:
    store = Store(engine)
    app = Flask(__name__, instance_path=str(tmp_path / "instance"))
    app.config.update(TESTING=True, SECRET_KEY="t", WTF_CSRF_ENABLED=False,
                      FORUM_GUARD_WORDLISTS=str(write_wordlists(tmp_path / "lists")),
                      FORUM_GUARD_PROTECT={"reply": {"content": "text"}})

    @app.post("/reply")
    def reply() -> Any:
        from forum_guard.ext import current_verdict

        verdict = current_verdict("content")
        assert verdict is not None
        if verdict.action.queued:
            hold(verdict, "cheap pills", ref=1)
        return "saved", 201

    ForumGuard(app, store=store)  # seeds the store from the lists, in the host's database
    try:
        client = app.test_client()
        assert client.post("/reply", data={"content": "fuck"}).status_code == 422
        assert client.post("/reply", data={"content": "cheap pills"}).status_code == 201
        assert [item.ref for item in store.queue()] == ["1"]
    finally:
        close_app(app)
    assert pragmas(engine) == HOST_PRAGMAS
    the_host_deletes_a_topic_first(engine)
    assert engine.pool.status()  # the host's pool was not disposed under it
    with engine.connect() as conn:
        names = set(sa.inspect(conn).get_table_names())
    assert set(FG_TABLES) <= names and {"topics", "posts"} <= names


def test_a_shared_file_by_url_keeps_its_journal_mode(engine: sa.Engine) -> None:
    store = Store(engine.url)  # the host's file, forum_guard's own engine
    use_the_store(store)
    store.close()
    assert pragmas(engine) == HOST_PRAGMAS
    the_host_deletes_a_topic_first(engine)


def test_a_file_of_its_own_still_goes_to_wal(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'fg.sqlite'}")
    store.ensure_schema()
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    store.close()


@pytest.mark.parametrize("_", [pytest.param(0, marks=needs_postgres)])
def test_a_host_postgresql_engine_is_left_as_it_was(pg_url: str, _: int) -> None:
    engine = sa.create_engine(pg_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        host_metadata.drop_all(engine)
        host_metadata.create_all(engine)
        pool = engine.pool
        store = Store(engine)
        use_the_store(store)
        store.close()
        assert engine.pool is pool  # not disposed under the host
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM fg_terms").scalar() == 2
        if importlib.util.find_spec("alembic"):
            assert autogenerate(engine, include_object=include_object) == []
    finally:
        host_metadata.drop_all(engine)
        engine.dispose()


# --- Alembic ---------------------------------------------------------------------------------


def autogenerate(engine: sa.Engine, **opts: Any) -> list[Any]:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with engine.connect() as conn:
        return list(compare_metadata(MigrationContext.configure(conn, opts=opts), host_metadata))


def test_the_hosts_alembic_leaves_forum_guards_tables_alone(engine: sa.Engine) -> None:
    pytest.importorskip("alembic")
    Store(engine).ensure_schema()
    proposed = autogenerate(engine)  # without the hook: drop every forum_guard table
    dropped = {diff[1].name for diff in proposed if diff[0] == "remove_table"}
    # fg_rate_limits is made by the rate limiter on first use, not by ensure_schema
    assert dropped == set(FG_TABLES) - {"fg_rate_limits"}
    assert autogenerate(engine, include_object=include_object) == []
    from forum_guard.web.ratelimit import t_rate_limits

    t_rate_limits.create(engine, checkfirst=True)  # and once it exists, the host's Alembic leaves it alone too
    assert autogenerate(engine, include_object=include_object) == []
    mine = []

    def hosts_own(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        mine.append(name)
        return True

    assert autogenerate(engine, include_object=forum_guard_aware(hosts_own)) == []
    assert "topics" in mine and not any(is_forum_guard_table(n) for n in mine)


def test_forum_guards_version_table_is_its_own() -> None:
    assert VERSION_TABLE == "fg_schema_version" and VERSION_TABLE in fg_metadata.tables
    assert "alembic_version" not in fg_metadata.tables
    assert all(is_forum_guard_table(name) for name in fg_metadata.tables)
    table = fg_metadata.tables["fg_terms"]
    assert not include_object(table.c.key, "key", "column", False, None)
    assert include_object(topics.c.title, "title", "column", False, None)
