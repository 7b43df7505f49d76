"""What every part of the store stands on: the engine, its transactions, the ruleset version and
the audit writer, plus the small checks the parts share.

SQLite (WAL, ``BEGIN IMMEDIATE`` for writes) by default; any SQLAlchemy URL such as PostgreSQL for a
fleet of workers. Every change to the rules runs in one transaction that also writes an audit entry
and bumps the ruleset version, so a worker that sees a new version also sees the whole change.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Engine, make_url

from ..errors import NoStoreError, NotFound, StoreError
from .location import display_url, sqlite_file
from .schema import SCHEMA_VERSION, create_or_migrate, schema_exists, setup_sqlite, t_audit, t_ruleset, t_schema

__all__ = ["MAX_TERMS", "StoreBase", "default_max_terms"]

#: The most terms one store holds, over all its lists: every worker compiles all of them (100k terms
#: take about 1.2 s and 90 MB per worker, a million about 14 s and 570 MB). ``$FORUM_GUARD_MAX_TERMS``
#: or ``Store(url, max_terms=...)`` changes it; an import or an add past it is refused whole.
MAX_TERMS = 200_000
#: The largest row id or offset a database takes (SQLite and PostgreSQL: signed 64 bits).
MAX_ROW = 2**63 - 1


def positive_env(name: str, default: int) -> int:
    """``$name`` as a positive whole number (``_`` allowed between digits), ``default`` when unset."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        n = int(value.replace("_", ""))
    except ValueError:
        n = 0
    if n < 1:
        raise ValueError(f"{name}={value!r} is not a positive number")
    return n


def default_max_terms() -> int:
    """``$FORUM_GUARD_MAX_TERMS`` when set (a positive number), else :data:`MAX_TERMS`."""
    return positive_env("FORUM_GUARD_MAX_TERMS", MAX_TERMS)


def _engine_url(url: str | URL) -> URL:
    """``postgresql://`` means psycopg 3 (the driver the ``postgres`` extra installs), not SQLAlchemy's
    default psycopg2; a URL that names its driver keeps it."""
    u = make_url(url)
    if u.drivername == "postgresql":
        u = u.set(drivername="postgresql+psycopg")
    return u


class StoreBase:
    """The engine and the transactions of a store (see :class:`forum_guard.store.Store`)."""

    def __init__(self, url: str | URL | Engine, *, busy_timeout: float = 30.0, max_terms: int | None = None,
                 **engine_options: Any) -> None:
        #: the most terms this store accepts over all lists (see :data:`MAX_TERMS`)
        self.max_terms = max_terms if max_terms is not None else default_max_terms()
        #: the engine is the host's (shared): forum_guard changes none of its settings, nor disposes it
        self.shared = isinstance(url, Engine)
        if isinstance(url, Engine):
            self.engine: Engine = url.execution_options(forum_guard=True)  # forum_guard's own view of the host's pool
        else:
            u = _engine_url(url)
            if u.get_backend_name() == "sqlite":
                engine_options.setdefault("connect_args", {}).setdefault("timeout", busy_timeout)
            else:  # a server restart or failover must not cost each worker a failed request
                engine_options.setdefault("pool_pre_ping", True)
            self.engine = sa.create_engine(u, **engine_options)
        self.url = self.engine.url
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self.is_postgresql = self.engine.dialect.name == "postgresql"
        if self.is_sqlite:
            setup_sqlite(self.engine, busy_timeout, shared=self.shared)
        self._write_engine = self.engine.execution_options(forum_guard_write=True)

    @property
    def display_url(self) -> str:
        """The store's URL with the password hidden: what messages and logs name."""
        return display_url(self.url)

    def __repr__(self) -> str:
        return f"Store({self.display_url!r})"

    def close(self) -> None:
        """Close the pooled connections (the store can still be used; it reconnects). A host's
        engine (``Store(engine)``) stays as it is: its pool is the host's to close."""
        if not self.shared:
            self.engine.dispose()

    # -- transactions ---------------------------------------------------------------------

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            if self.is_postgresql:
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                yield conn

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self._write_engine.begin() as conn:
            yield conn

    def _lock_rules(self, conn: Connection) -> None:
        """Serialize writers of the rules (SQLite does it with BEGIN IMMEDIATE)."""
        if not self.is_sqlite:
            conn.execute(sa.select(t_ruleset.c.version).where(t_ruleset.c.id == 1).with_for_update())

    def _version(self, conn: Connection) -> int:
        return int(conn.execute(sa.select(t_ruleset.c.version).where(t_ruleset.c.id == 1)).scalar_one())

    def _bump(self, conn: Connection) -> int:
        conn.execute(t_ruleset.update().where(t_ruleset.c.id == 1)
                     .values(version=t_ruleset.c.version + 1, changed_at=now()))
        return self._version(conn)

    def _audit(self, conn: Connection, *, actor: str | None, origin: str, action: str, target: str | None,
               summary: str, detail: Mapping[str, Any] | None = None, version: int | None = None) -> None:
        conn.execute(t_audit.insert().values(
            at=now(), actor=actor, origin=origin, action=action, target=target, summary=summary,
            detail=dict(detail or {}), version=version,
        ))

    # -- schema ---------------------------------------------------------------------------

    def ensure_schema(self) -> None:
        """Create the store on first use (a SQLite file's folder too) and migrate an older layout;
        idempotent and safe to run from many workers at once. Constructing a Store creates nothing:
        this does."""
        path = sqlite_file(self.url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        with self._write() as conn:
            create_or_migrate(conn)

    def exists(self) -> bool:
        """Whether the store is there: its SQLite file and forum_guard's tables in it. Creates
        nothing (not even an empty SQLite file)."""
        path = sqlite_file(self.url)
        if path is not None and not path.is_file():
            return False
        with self.engine.connect() as conn:
            return schema_exists(conn)

    def require_schema(self) -> None:
        """Make sure the store exists in a layout this forum_guard reads, without writing anything:
        :class:`NoStoreError` naming the place otherwise."""
        path = sqlite_file(self.url)
        if path is not None and not path.is_file():
            raise NoStoreError(f"no store at {path}")
        with self.engine.connect() as conn:
            if not schema_exists(conn):
                raise NoStoreError(f"{self.display_url} holds no forum_guard store (no {t_schema.name} table)")
            current = int(conn.execute(sa.select(t_schema.c.version).where(t_schema.c.id == 1)).scalar_one())
        if current != SCHEMA_VERSION:
            newer = current > SCHEMA_VERSION
            raise StoreError(f"the database's schema is version {current}; this forum_guard reads version "
                             f"{SCHEMA_VERSION}: " + ("upgrade forum_guard" if newer else
                                                      "run a command that writes (it migrates the store)"))

    def schema_version(self) -> int:
        with self._read() as conn:
            return int(conn.execute(sa.select(t_schema.c.version).where(t_schema.c.id == 1)).scalar_one())

    def version(self) -> int:
        """The ruleset version: bumped by every change to lists, terms or limits."""
        with self.engine.connect() as conn:
            return self._version(conn)


# --------------------------------------------------------------------------------------------
# the small checks and helpers the parts share


def now() -> datetime:
    return datetime.now(UTC)


def aware(value: datetime) -> datetime:
    """A datetime read back from a database that drops the zone (SQLite) is UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def aware_or_none(value: datetime | None) -> datetime | None:
    return None if value is None else aware(value)


def like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def check_id(value: int, what: str) -> None:
    """An id no database can hold (``/queue/99999999999999999999``) is simply not there."""
    if not 0 < value <= MAX_ROW:
        raise NotFound(f"no {what} {value}")


def clip(text: str, limit: int = 60) -> str:
    """``text`` shortened for an error message (a 10k-character term is not echoed whole)."""
    return text if len(text) <= limit else text[:limit] + f"… ({len(text):,} characters)"


def plural(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")
