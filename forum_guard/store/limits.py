"""The stored limits: one row per section of the ``limits.toml`` structure (a group, the messages,
the hard cap), validated with :class:`~forum_guard.engine.limits.Limits` before anything is kept."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..engine.limits import Limits
from .base import StoreBase, now
from .schema import t_limits

__all__ = ["LimitsMixin", "limits_from_dict", "limits_to_dict", "load_limits_file"]


def limits_to_dict(limits: Limits | Mapping[str, Any]) -> dict[str, Any]:
    """A ``Limits`` object (or its dict form, the ``limits.toml`` structure) as a plain JSON document."""
    document = dict(limits) if isinstance(limits, Mapping) else limits.to_dict()
    return json.loads(json.dumps(document))


def limits_from_dict(data: Mapping[str, Any]) -> Limits | None:
    """The stored limits document as a ``Limits`` object (None when nothing is stored); raises
    ``LimitsError`` (a ValueError) for a bad document."""
    if not data:
        return None
    return Limits.from_dict(dict(data), source="db:limits")


def load_limits_file(path: Path, *, required: bool = False) -> Limits | None:
    """A ``limits.toml`` (None when it is not there and not ``required``)."""
    if not required and not path.is_file():
        return None
    return Limits.load(path)


def _sections(document: Mapping[str, Any]) -> dict[str, Any]:
    """``{"hard_cap": …, "groups": {"guest": {…}}, "messages": {…}}`` → one row per group:
    ``{"hard_cap": …, "groups.guest": {…}, "messages": {…}}``."""
    out: dict[str, Any] = {}
    for key, value in document.items():
        if key == "groups" and isinstance(value, Mapping):
            for group, settings in value.items():
                out[f"groups.{group}"] = settings
        else:
            out[key] = value
    return out


def _document(sections: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in sections.items():
        if key.startswith("groups."):
            out.setdefault("groups", {})[key[len("groups."):]] = value
        else:
            out[key] = value
    return out


class LimitsMixin(StoreBase):
    """The limits per member group, the messages and the hard cap."""

    def _limits_sections(self, conn: Connection) -> dict[str, Any]:
        return {r.section: r.data for r in conn.execute(sa.select(t_limits).order_by(t_limits.c.section))}

    def _limits_dict(self, conn: Connection) -> dict[str, Any]:
        return _document(self._limits_sections(conn))

    def limits_dict(self) -> dict[str, Any]:
        """The stored limits in the ``limits.toml`` structure (``Limits.to_dict()``); empty when none
        is stored (the Guard then uses ``Limits.default()``)."""
        with self._read() as conn:
            return self._limits_dict(conn)

    def limits(self) -> Limits | None:
        """The stored limits; None when nothing is stored (the Guard then uses ``Limits.default()``)."""
        return limits_from_dict(self.limits_dict())

    def _set_limits(self, conn: Connection, document: Mapping[str, Any], actor: str | None, *,
                    replace_all: bool) -> dict[str, Any]:
        old = self._limits_sections(conn)
        new = _sections(document)
        at = now()
        if replace_all:
            conn.execute(t_limits.delete())
            old_keys: set[str] = set()
        else:
            old_keys = set(old)
        for section, value in new.items():
            if section in old_keys:
                conn.execute(t_limits.update().where(t_limits.c.section == section)
                             .values(data=value, updated_at=at, updated_by=actor))
            else:
                conn.execute(t_limits.insert().values(section=section, data=value, updated_at=at, updated_by=actor))
        return old

    def set_limits(self, limits: Limits | Mapping[str, Any], *, partial: bool = False, actor: str | None = None,
                   origin: str = "api") -> int:
        """Store limits: a ``Limits`` object or its dict form (the ``limits.toml`` structure). With
        ``partial`` only the sections given are replaced (one group: ``{"groups": {"new": {…}}}``,
        the messages: ``{"messages": {…}}``); otherwise the whole document. The result is validated
        with ``Limits.from_dict`` (a bad value raises and nothing is stored). Returns the version."""
        document = limits_to_dict(limits)
        with self._write() as conn:
            self._lock_rules(conn)
            old = self._set_limits(conn, document, actor, replace_all=not partial)
            merged = self._limits_sections(conn)
            limits_from_dict(_document(merged))  # raises on a bad document: the transaction rolls back
            changed = sorted(s for s in set(old) | set(merged) if old.get(s) != merged.get(s))
            if not changed:
                return self._version(conn)
            version = self._bump(conn)
            self._audit(conn, actor=actor, origin=origin, action="limits.update", target=", ".join(changed)[:200],
                        summary=f"changed limits: {', '.join(changed)}",
                        detail={"from": {s: old.get(s) for s in changed}, "to": {s: merged.get(s) for s in changed}},
                        version=version)
        return version
