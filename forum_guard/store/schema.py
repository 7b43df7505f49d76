"""The store's tables, the audit log's append-only triggers, SQLite's set-up and the migrations.

One ``fg_`` prefix for every table, so the store can share a database with the host forum; its
layout version is in its own table and its steps in :mod:`forum_guard.store.migrations` (with the
``include_object`` a host's Alembic needs). On a shared database forum_guard never changes the
host's SQLite journal mode, foreign-key or busy-timeout pragmas (:func:`setup_sqlite`).
"""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ..engine.terms import MAX_NAME_LENGTH, MAX_TERM_LENGTH
from ..errors import StoreError
from .migrations import MIGRATIONS, PREFIX, VERSION_TABLE

__all__ = [
    "MIGRATIONS",
    "PREFIX",
    "SCHEMA_VERSION",
    "create_or_migrate",
    "metadata",
    "schema_exists",
    "setup_sqlite",
    "t_audit",
    "t_limits",
    "t_lists",
    "t_queue",
    "t_ruleset",
    "t_schema",
    "t_terms",
]

#: Version of the table layout; :func:`create_or_migrate` takes older databases up to it.
SCHEMA_VERSION = 1

metadata = sa.MetaData()

t_schema = sa.Table(
    VERSION_TABLE, metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("migrated_at", sa.DateTime(timezone=True), nullable=False),
)

t_ruleset = sa.Table(
    f"{PREFIX}ruleset", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("version", sa.BigInteger().with_variant(sa.Integer, "sqlite"), nullable=False),
    sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
)

t_lists = sa.Table(
    f"{PREFIX}lists", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(MAX_NAME_LENGTH), nullable=False, unique=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("replacement", sa.String(MAX_TERM_LENGTH)),
    sa.Column("evasion", sa.Boolean, nullable=False),
    sa.Column("inflections", sa.Boolean, nullable=False),
    sa.Column("description", sa.Text, nullable=False, default=""),
    sa.Column("options", sa.JSON, nullable=False, default=dict),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_by", sa.String(200)),
)

t_terms = sa.Table(
    f"{PREFIX}terms", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("list_id", sa.Integer, sa.ForeignKey(f"{PREFIX}lists.id", ondelete="CASCADE"), nullable=False),
    #: casefolded identity of the term within its list ("!", "*" marks included): no duplicates
    sa.Column("key", sa.String(MAX_TERM_LENGTH + 3), nullable=False),
    sa.Column("text", sa.String(MAX_TERM_LENGTH), nullable=False),
    sa.Column("wildcard_start", sa.Boolean, nullable=False, default=False),
    sa.Column("wildcard_end", sa.Boolean, nullable=False, default=False),
    sa.Column("exception", sa.Boolean, nullable=False, default=False),
    sa.Column("replacement", sa.String(MAX_TERM_LENGTH)),
    sa.Column("note", sa.Text),
    #: per-term options beyond the wordlist format (e.g. ``case_sensitive`` from a Discourse import)
    sa.Column("options", sa.JSON, nullable=False, default=dict),
    sa.Column("added_by", sa.String(200)),
    sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("list_id", "key", name=f"{PREFIX}terms_list_key"),
)

t_limits = sa.Table(
    f"{PREFIX}limits", metadata,
    #: a group name ("guest", "new", "member", "moderator") or another top-level section ("messages", …)
    sa.Column("section", sa.String(64), primary_key=True),
    sa.Column("data", sa.JSON, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_by", sa.String(200)),
)

t_queue = sa.Table(
    f"{PREFIX}queue", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("reason", sa.String(32), nullable=False),
    sa.Column("status", sa.String(16), nullable=False, default="pending"),
    sa.Column("content", sa.Text, nullable=False),
    sa.Column("is_html", sa.Boolean, nullable=False),
    sa.Column("author", sa.String(200)),
    sa.Column("group", sa.String(32), nullable=False),
    sa.Column("ref", sa.String(200)),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("highlighted_html", sa.Text, nullable=False),
    sa.Column("verdict", sa.JSON, nullable=False),
    sa.Column("decided_at", sa.DateTime(timezone=True)),
    sa.Column("decided_by", sa.String(200)),
    sa.Column("decided_content", sa.Text),
    sa.Column("note", sa.Text),
    sa.Index(f"{PREFIX}queue_status", "status", "id"),
)

t_audit = sa.Table(
    f"{PREFIX}audit", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("actor", sa.String(200)),
    #: where the change came from: "admin", "cli", "seed", "api"
    sa.Column("origin", sa.String(32), nullable=False),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("target", sa.String(200)),
    sa.Column("summary", sa.Text, nullable=False),
    sa.Column("detail", sa.JSON, nullable=False),
    #: the ruleset version the change produced (None for queue decisions)
    sa.Column("version", sa.Integer),
    sa.Index(f"{PREFIX}audit_at", "at"),
)

_SQLITE_AUDIT_TRIGGERS = (
    f"CREATE TRIGGER IF NOT EXISTS {PREFIX}audit_no_update BEFORE UPDATE ON {PREFIX}audit "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
    f"CREATE TRIGGER IF NOT EXISTS {PREFIX}audit_no_delete BEFORE DELETE ON {PREFIX}audit "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
)
_PG_AUDIT_TRIGGERS = (
    f"CREATE OR REPLACE FUNCTION {PREFIX}audit_append_only() RETURNS trigger AS $$ "
    "BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$ LANGUAGE plpgsql",
    f"DROP TRIGGER IF EXISTS {PREFIX}audit_append_only ON {PREFIX}audit",
    f"CREATE TRIGGER {PREFIX}audit_append_only BEFORE UPDATE OR DELETE ON {PREFIX}audit "
    f"FOR EACH ROW EXECUTE FUNCTION {PREFIX}audit_append_only()",
)

#: any number, the same in every process: the lock taken while PostgreSQL creates the tables
_PG_SCHEMA_LOCK = 4711004711


def _now() -> datetime:
    return datetime.now(UTC)


def schema_exists(conn: Connection) -> bool:
    """Whether the database holds forum_guard's tables (without creating anything)."""
    return sa.inspect(conn).has_table(t_schema.name)


def create_or_migrate(conn: Connection) -> None:
    """Create the tables on first use and migrate an older layout, in the caller's write
    transaction; idempotent and safe from many workers at once. Refuses a newer layout."""
    dialect = conn.dialect.name
    if dialect == "postgresql":
        conn.execute(sa.text(f"SELECT pg_advisory_xact_lock({_PG_SCHEMA_LOCK})"))
    metadata.create_all(conn, checkfirst=True)
    row = conn.execute(sa.select(t_schema.c.version).where(t_schema.c.id == 1)).first()
    if row is None:
        conn.execute(t_schema.insert().values(id=1, version=SCHEMA_VERSION, migrated_at=_now()))
        current = SCHEMA_VERSION
    else:
        current = int(row[0])
    if current > SCHEMA_VERSION:
        raise StoreError(f"the database's schema is version {current}, newer than this forum_guard "
                         f"understands ({SCHEMA_VERSION}); upgrade forum_guard")
    while current < SCHEMA_VERSION:
        MIGRATIONS[current](conn)
        current += 1
        conn.execute(t_schema.update().where(t_schema.c.id == 1).values(version=current, migrated_at=_now()))
    if conn.execute(sa.select(t_ruleset.c.id).where(t_ruleset.c.id == 1)).first() is None:
        conn.execute(t_ruleset.insert().values(id=1, version=1, changed_at=_now()))
    triggers = _SQLITE_AUDIT_TRIGGERS if dialect == "sqlite" else _PG_AUDIT_TRIGGERS if dialect == "postgresql" else ()
    for stmt in triggers:
        conn.execute(sa.text(stmt))


#: tables of the host in a SQLite file (anything that is neither forum_guard's nor SQLite's own)
_HOST_TABLES = (f"SELECT 1 FROM sqlite_master WHERE type = 'table' AND substr(name, 1, {len(PREFIX)}) != '{PREFIX}' "
                "AND substr(name, 1, 7) != 'sqlite_' LIMIT 1")


def setup_sqlite(engine: Engine, busy_timeout: float, *, shared: bool = False) -> None:
    """forum_guard's own SQLite engine: a busy timeout, foreign keys, and real transactions
    (pysqlite's own BEGIN handling is switched off so that writes start with BEGIN IMMEDIATE: no
    lock upgrades, no SQLITE_BUSY deadlocks between processes, and reads see one snapshot). The
    file goes to WAL only when it holds nothing but forum_guard's tables: the journal mode is the
    file's, and a file the host's tables live in keeps the host's.

    ``shared``: ``engine`` is the host's (``Store(host_engine)``), passed as an option engine of
    it that only forum_guard uses. Nothing on the host's connections changes: no connect hook, no
    journal mode, no busy timeout; forum_guard's own transactions begin explicitly and turn the
    foreign keys on (its ``ON DELETE CASCADE`` needs them) only for themselves, and a connection
    goes back to the host's pool with the foreign-key pragma it had."""
    if shared:
        _share_sqlite(engine)
        return

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cur = dbapi_connection.cursor()
        try:
            cur.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
            if engine.url.database not in (None, "", ":memory:") and cur.execute(_HOST_TABLES).fetchone() is None:
                _to_wal(cur, busy_timeout)
                cur.execute("PRAGMA synchronous = NORMAL")
            cur.execute("PRAGMA foreign_keys = ON")
        finally:
            cur.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get("forum_guard_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def _to_wal(cur: Any, busy_timeout: float) -> None:
    """Switch the file to WAL once. Changing the journal mode takes the file's exclusive lock and
    SQLite does not wait for it through the busy timeout: workers booting together (gunicorn) would
    see "database is locked". So the mode is read first (WAL already: nothing to do), and the
    switch is retried for up to the busy timeout."""
    if str(cur.execute("PRAGMA journal_mode").fetchone()[0]).lower() == "wal":
        return
    deadline = time.monotonic() + max(busy_timeout, 1.0)
    while True:
        try:
            cur.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


_RESTORE_FK = "forum_guard_restore_foreign_keys"


def _share_sqlite(engine: Engine) -> None:
    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        dbapi_connection = conn.connection.dbapi_connection
        if dbapi_connection is None:  # pragma: no cover - a connection being invalidated
            return
        if not dbapi_connection.in_transaction:
            cur = dbapi_connection.cursor()
            try:
                if not cur.execute("PRAGMA foreign_keys").fetchone()[0]:
                    cur.execute("PRAGMA foreign_keys = ON")
                    conn.connection.info[_RESTORE_FK] = True
            finally:
                cur.close()
            write = conn.get_execution_options().get("forum_guard_write", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    @sa.event.listens_for(engine.pool, "checkin")
    def _on_checkin(dbapi_connection: Any, record: Any) -> None:
        if record is not None and record.info.pop(_RESTORE_FK, False) and dbapi_connection is not None:
            if dbapi_connection.in_transaction:  # pragma: no cover - the pool's reset rolled back already
                dbapi_connection.rollback()
            dbapi_connection.execute("PRAGMA foreign_keys = OFF")
