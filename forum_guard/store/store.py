"""The store: :class:`Store`, one object over the parts (rules, limits, queue, audit log).

SQLAlchemy Core with its own engine; no Flask import here: the store is used by the extension, the
admin blueprint and the CLI alike. Thread-safe and process-safe: many workers (and the CLI) may use
one database at once.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ..engine.policy import Guard
from .audit import AuditMixin
from .base import aware
from .queue import QueueMixin
from .rules import RulesMixin
from .schema import t_audit, t_ruleset, t_schema
from .source import compile_snapshot

__all__ = ["Store"]


class Store(RulesMixin, QueueMixin, AuditMixin):
    """Lists, terms, limits, the moderation queue and the audit log in one SQL database.

    ``Store(url)`` connects lazily and creates nothing; :meth:`ensure_schema` creates the tables (a
    SQLite file too), :meth:`exists` tells whether they are there. Every method that changes the
    rules takes an ``actor`` (who, for the audit log) and an ``origin`` ("admin", "cli", …) and
    returns the new ruleset version.
    """

    def build_guard(self) -> Guard:
        """Compile the stored ruleset (the CLI's ``test``); :class:`~forum_guard.errors.EmptyRulesetError`
        when the store holds no list."""
        return compile_snapshot(self.snapshot())

    def stats(self) -> dict[str, Any]:
        """Sizes and counters for ``forum-guard stats`` and monitoring."""
        infos = self.list_infos()
        with self._read() as conn:
            version, changed_at = conn.execute(sa.select(t_ruleset.c.version, t_ruleset.c.changed_at)).one()
            audit_n = int(conn.execute(sa.select(sa.func.count()).select_from(t_audit)).scalar_one())
            last = conn.execute(sa.select(t_audit).order_by(t_audit.c.id.desc()).limit(1)).first()
            schema = int(conn.execute(sa.select(t_schema.c.version)).scalar_one())
        return {
            "database": self.display_url,
            "schema_version": schema,
            "version": int(version),
            "changed_at": aware(changed_at).isoformat(),
            "lists": {i.name: {"size": i.size, "exceptions": i.exceptions, "action": i.action.value,
                               "kind": i.kind.value, "updated_at": i.updated_at.isoformat(),
                               "updated_by": i.updated_by} for i in infos},
            "terms": sum(i.size for i in infos),
            "queue": self.queue_counts(),
            "audit_entries": audit_n,
            "last_change": ({"at": aware(last.at).isoformat(), "actor": last.actor,
                             "summary": last.summary} if last is not None else None),
        }
