"""forum_guard's own migration history, kept apart from the host forum's.

forum_guard's tables all start with ``fg_`` and its layout version lives in its own table,
``fg_schema_version``, never in the host's ``alembic_version``: :func:`~forum_guard.store.schema.
create_or_migrate` (``Store.ensure_schema()``, run at start-up and by every store command that
writes) takes the tables from any older layout to :data:`~forum_guard.store.schema.SCHEMA_VERSION`
with the steps in :data:`MIGRATIONS`, in one transaction, under a lock on PostgreSQL.

A host that keeps its own schema with Alembic (Flask-Migrate, FlaskBB) passes :func:`include_object`
to its ``env.py`` so that ``alembic revision --autogenerate`` neither proposes to drop forum_guard's
tables nor to alter them::

    from forum_guard.store.migrations import include_object

    context.configure(connection=connection, target_metadata=target_metadata,
                      include_object=include_object)

A host with its own ``include_object`` chains it: ``include_object=forum_guard_aware(mine)``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import Connection

__all__ = ["MIGRATIONS", "VERSION_TABLE", "forum_guard_aware", "include_object", "is_forum_guard_table"]

#: The prefix of every table (and index, trigger) forum_guard makes.
PREFIX = "fg_"
#: forum_guard's own version table (the host's Alembic keeps ``alembic_version``).
VERSION_TABLE = f"{PREFIX}schema_version"

#: ``MIGRATIONS[n]`` takes forum_guard's tables from layout version n to n + 1, inside the
#: caller's transaction. Version 1 is the first layout: there is nothing to migrate from yet; a
#: change to :mod:`forum_guard.store.schema` bumps ``SCHEMA_VERSION`` and adds its step here.
MIGRATIONS: dict[int, Callable[[Connection], None]] = {}

IncludeObject = Callable[[Any, str | None, str, bool, Any], bool]


def is_forum_guard_table(name: str | None) -> bool:
    """Whether a table name is one of forum_guard's (``fg_…``)."""
    return bool(name) and str(name).startswith(PREFIX)


def _table_name(obj: Any, name: str | None, type_: str) -> str | None:
    if type_ == "table":
        return name
    table = getattr(obj, "table", None)  # a column, index, unique or foreign-key constraint
    return getattr(table, "name", None)


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Alembic's ``include_object`` hook: False for forum_guard's tables and everything on them
    (columns, indexes, constraints), True for the rest, so a host's autogenerate leaves them alone."""
    return not is_forum_guard_table(_table_name(obj, name, type_))


def forum_guard_aware(host_include_object: IncludeObject) -> IncludeObject:
    """The host's own ``include_object`` with forum_guard's tables left out first."""

    def include(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        return include_object(obj, name, type_, reflected, compare_to) and bool(
            host_include_object(obj, name, type_, reflected, compare_to))

    return include
