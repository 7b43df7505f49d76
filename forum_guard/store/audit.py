"""The audit log: append-only (triggers refuse UPDATE and DELETE), newest first, filtered."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from .base import MAX_ROW, StoreBase, aware, like_escape
from .records import AuditEntry
from .schema import t_audit

__all__ = ["AuditMixin"]


class AuditMixin(StoreBase):
    """Read the audit log; append entries that are not rule changes (those write their own)."""

    def record(self, action: str, summary: str, *, actor: str | None = None, origin: str = "api",
               target: str | None = None, detail: Mapping[str, Any] | None = None) -> None:
        """Append an entry that is not a rule change (a host's own moderation event, say)."""
        with self._write() as conn:
            self._audit(conn, actor=actor, origin=origin, action=action, target=target, summary=summary,
                        detail=detail)

    @staticmethod
    def _audit_query(q: sa.Select[Any], *, actor: str | None, action: str | None, target: str | None,
                     origin: str | None, search: str | None, since: datetime | None,
                     until: datetime | None) -> sa.Select[Any]:
        if actor:
            q = q.where(t_audit.c.actor == actor)
        if action:
            q = q.where(t_audit.c.action.like(f"{like_escape(action)}%", escape="\\"))
        if target:
            q = q.where(t_audit.c.target == target)
        if origin:
            q = q.where(t_audit.c.origin == origin)
        if search:
            q = q.where(sa.func.lower(t_audit.c.summary).like(f"%{like_escape(search.lower())}%", escape="\\"))
        if since:
            q = q.where(t_audit.c.at >= since)
        if until:
            q = q.where(t_audit.c.at < until)
        return q

    def audit(self, *, actor: str | None = None, action: str | None = None, target: str | None = None,
              origin: str | None = None, search: str | None = None, since: datetime | None = None,
              until: datetime | None = None, offset: int = 0, limit: int | None = 100) -> list[AuditEntry]:
        """Audit entries, newest first. ``action`` matches a prefix ("term" finds term.add, term.remove)."""
        q = self._audit_query(sa.select(t_audit), actor=actor, action=action, target=target, origin=origin,
                              search=search, since=since, until=until)
        q = q.order_by(t_audit.c.id.desc()).offset(min(offset, MAX_ROW))
        if limit is not None:
            q = q.limit(min(limit, MAX_ROW))
        with self._read() as conn:
            return [AuditEntry(id=r.id, at=aware(r.at), actor=r.actor, origin=r.origin,
                               action=r.action, target=r.target, summary=r.summary, detail=r.detail or {},
                               version=r.version) for r in conn.execute(q)]

    def count_audit(self, **filters: Any) -> int:
        q = self._audit_query(sa.select(sa.func.count()).select_from(t_audit), **{
            k: filters.get(k) for k in ("actor", "action", "target", "origin", "search", "since", "until")})
        with self._read() as conn:
            return int(conn.execute(q).scalar_one())

    def audit_actors(self) -> list[str]:
        with self._read() as conn:
            return [a for a in conn.execute(sa.select(t_audit.c.actor).distinct().order_by(t_audit.c.actor)).scalars()
                    if a]
