"""Fixtures and helpers of the store, admin and store-CLI tests (a minimal host app of their own),
and the PostgreSQL database of each test worker."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask, jsonify, request, session

from forum_guard.store import Store
from forum_guard.web.admin import init_admin
from forum_guard.web.extension import ForumGuard

ROOT = Path(__file__).resolve().parent.parent
WORDLISTS = ROOT / "wordlists"

#: a PostgreSQL server for the tests (``eval "$(scripts/test-postgres start)"`` starts a throwaway one)
PG_URL = os.environ.get("FORUM_GUARD_TEST_POSTGRES_URL")
#: mark a test that needs it: skipped without a server
needs_postgres = [pytest.mark.postgres, pytest.mark.skipif(not PG_URL, reason="FORUM_GUARD_TEST_POSTGRES_URL not set")]
#: every table the store makes
FG_TABLES = ("fg_terms", "fg_lists", "fg_limits", "fg_queue", "fg_audit", "fg_ruleset", "fg_schema_version",
             "fg_rate_limits")

_CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def make_app(db_url: str, *, csrf: bool = True, reload_seconds: float = 0.2, seed: bool = True,
             **config: Any) -> Flask:
    """A tiny host forum: /login/<group> signs in as that group (session), /check checks a draft,
    and the admin pages are mounted at the default prefix."""
    app = Flask(__name__)
    app.config.update(
        TESTING=True, SECRET_KEY="test-secret", WTF_CSRF_ENABLED=csrf, FORUM_GUARD_DATABASE_URL=db_url,
        FORUM_GUARD_WORDLISTS=str(WORDLISTS), FORUM_GUARD_RELOAD_SECONDS=reload_seconds, FORUM_GUARD_SEED=seed,
        FORUM_GUARD_USE_STORE=True, **config,
    )
    guard = ForumGuard(app)

    @guard.group_loader
    def group() -> str | None:
        return session.get("group")

    @guard.actor_loader
    def actor() -> str | None:
        return session.get("user")

    init_admin(app)

    @app.route("/login/<group>")
    def login(group: str) -> str:
        session["group"] = group
        session["user"] = request.args.get("user", f"{group}-user")
        return "ok"

    @app.route("/check", methods=["POST"])
    def check() -> Any:
        from forum_guard.web.extension import current_guard

        verdict = current_guard().check(request.form["text"], group="member")
        return jsonify(verdict.to_dict())

    app.extensions["test_guard"] = guard
    return app


def store_of(app: Flask) -> Store:
    return app.extensions["forum_guard"].store  # type: ignore[no-any-return]


def csrf_token(html: str) -> str:
    m = _CSRF_RE.search(html)
    assert m, "no csrf_token in the page"
    return m.group(1) or m.group(2)


def close_app(app: Flask) -> None:
    state = app.extensions.get("forum_guard")
    source = getattr(state, "source", None)
    if hasattr(source, "close"):
        source.close()
    if getattr(state, "store", None) is not None:
        state.store.close()


# --- PostgreSQL: one database per test worker -------------------------------------------------


def _worker_database(base_url: str, worker: str) -> str:
    """A fresh database on the server of ``base_url`` for one pytest-xdist worker: two workers on one
    database would drop each other's tables in the middle of a test."""
    base = sa.make_url(base_url)
    name = f"{base.database}_{worker}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    finally:
        admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session", name="pg_database")
def pg_database_fixture() -> Iterator[str]:
    """This worker's own PostgreSQL database (``<name>_gw0``, ``<name>_gw1``, … ``<name>_main``),
    made at the start of the session and dropped at its end."""
    if not PG_URL:
        pytest.skip("FORUM_GUARD_TEST_POSTGRES_URL not set")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    url = _worker_database(PG_URL, worker)
    yield url
    admin = sa.create_engine(sa.make_url(PG_URL), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{sa.make_url(url).database}" WITH (FORCE)')
    finally:
        admin.dispose()


def drop_tables(url: str) -> None:
    """Empty a PostgreSQL database of the store's tables (each test starts from nothing)."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            for t in FG_TABLES:
                conn.exec_driver_sql(f"DROP TABLE IF EXISTS {t} CASCADE")
    finally:
        engine.dispose()


@pytest.fixture(name="pg_url")
def pg_url_fixture(pg_database: str) -> str:
    """This worker's PostgreSQL database, without the store's tables."""
    drop_tables(pg_database)
    return pg_database


#: both backends: SQLite always, PostgreSQL when FORUM_GUARD_TEST_POSTGRES_URL is set
BACKENDS = ["sqlite", pytest.param("postgresql", marks=needs_postgres)]


@pytest.fixture(params=BACKENDS, name="db_url")
def db_url_fixture(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database on each backend: a SQLite file, and this worker's PostgreSQL database
    without the store's tables."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/fg.sqlite"
    return request.getfixturevalue("pg_url")  # type: ignore[no-any-return]
