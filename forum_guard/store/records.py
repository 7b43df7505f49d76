"""The store's value objects: what its methods return (frozen, with a JSON-ready ``to_dict``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..engine.actions import Action
from ..engine.terms import ListKind, Term, WordList

__all__ = ["AuditEntry", "ChangeResult", "ImportResult", "ListInfo", "QueueItem", "Snapshot", "TermRow"]


@dataclass(frozen=True, slots=True)
class ListInfo:
    """A list's settings and size, without its terms."""

    id: int
    name: str
    kind: ListKind
    action: Action
    replacement: str | None
    evasion: bool
    inflections: bool
    description: str
    size: int
    exceptions: int
    created_at: datetime
    updated_at: datetime
    updated_by: str | None
    #: ISO 639-1 code of a non-English list ("" for English), see :mod:`forum_guard.engine.stemming`
    language: str = ""
    #: suffixes (and ``phrase-words``) the list derives forms with, see :mod:`forum_guard.engine.terms`
    derive: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "language": self.language, "derive": list(self.derive), "name": self.name, "kind": self.kind.value,
            "action": self.action.value,
            "replacement": self.replacement, "evasion": self.evasion, "inflections": self.inflections,
            "description": self.description, "size": self.size, "exceptions": self.exceptions,
            "created_at": self.created_at.isoformat(), "updated_at": self.updated_at.isoformat(),
            "updated_by": self.updated_by,
        }


@dataclass(frozen=True, slots=True)
class TermRow:
    """A stored term with who added it and when."""

    id: int
    list: str
    term: Term
    added_by: str | None
    added_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "list": self.list, "term": self.term.to_line(), "added_by": self.added_by,
                "added_at": self.added_at.isoformat()}


@dataclass(frozen=True, slots=True)
class QueueItem:
    """A post held for approval or flagged, and the moderator's decision once made."""

    id: int
    created_at: datetime
    reason: str
    status: str
    content: str
    is_html: bool
    author: str | None
    group: str
    ref: str | None
    action: str
    highlighted_html: str
    verdict: dict[str, Any]
    decided_at: datetime | None = None
    decided_by: str | None = None
    decided_content: str | None = None
    note: str | None = None

    @property
    def pending(self) -> bool:
        return self.status == "pending"

    @property
    def terms(self) -> list[str]:
        return sorted({m["term"] for m in self.verdict.get("matches", ())})

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "created_at": self.created_at.isoformat(), "reason": self.reason, "status": self.status,
            "content": self.content, "is_html": self.is_html, "author": self.author, "group": self.group,
            "ref": self.ref, "action": self.action, "terms": self.terms,
            "decided_at": self.decided_at.isoformat() if self.decided_at else None,
            "decided_by": self.decided_by, "decided_content": self.decided_content, "note": self.note,
        }


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One line of the append-only audit log."""

    id: int
    at: datetime
    actor: str | None
    origin: str
    action: str
    target: str | None
    summary: str
    detail: dict[str, Any]
    version: int | None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "at": self.at.isoformat(), "actor": self.actor, "origin": self.origin,
                "action": self.action, "target": self.target, "summary": self.summary, "detail": self.detail,
                "version": self.version}


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything a Guard is compiled from, read in one transaction."""

    version: int
    lists: tuple[WordList, ...]
    #: the limits document as stored (section name -> settings), empty when none is stored
    limits: dict[str, Any]
    #: the store it was read from (its URL, password hidden), for messages
    store: str = "the store"


@dataclass(frozen=True, slots=True)
class ChangeResult:
    """What a change did: terms added/removed/skipped and the ruleset version it produced."""

    list: str
    added: tuple[Term, ...] = ()
    removed: tuple[Term, ...] = ()
    #: terms asked for that were already there (add) or were not there (remove)
    skipped: tuple[Term, ...] = ()
    version: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"list": self.list, "added": [t.to_line() for t in self.added],
                "removed": [t.to_line() for t in self.removed], "skipped": [t.to_line() for t in self.skipped],
                "version": self.version}


@dataclass(frozen=True, slots=True)
class ImportResult:
    """Per list: how many terms the import added and removed; whether the list was created."""

    lists: tuple[dict[str, Any], ...]
    version: int | None
    limits: bool = False

    @property
    def added(self) -> int:
        return sum(d["added"] for d in self.lists)

    @property
    def removed(self) -> int:
        return sum(d["removed"] for d in self.lists)

    def to_dict(self) -> dict[str, Any]:
        return {"lists": list(self.lists), "added": self.added, "removed": self.removed, "version": self.version,
                "limits": self.limits}
