"""The live store: lists, terms, limits, the moderation queue, the audit log and a ruleset version.

SQLAlchemy Core with its own engine. SQLite (WAL, ``BEGIN IMMEDIATE`` for writes) by default; any
SQLAlchemy URL such as PostgreSQL for a fleet of workers. Every change to the rules runs in one
transaction that also writes an audit entry and bumps the ruleset version, so a worker that sees a
new version also sees the whole change. :class:`StoreSource` turns the store into a hot-reloading
ruleset source for the Flask extension.

No Flask import here: the store is used by the extension, the admin blueprint and the CLI alike.
"""

from __future__ import annotations

import bisect
import csv
import functools
import io
import json
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Engine, make_url

from ..engine.terms import (
    MAX_NAME_LENGTH,
    MAX_TERM_LENGTH,
    Action,
    ListKind,
    Term,
    WordList,
    dump_wordlist,
    parse_wordlist,
)
from ..errors import ForumGuardError, WordlistError

if TYPE_CHECKING:
    from ..engine.policy import Guard
    from ..engine.verdict import Verdict

__all__ = [
    "DEFAULT_DATABASE_URL",
    "MAX_IMPORT_BYTES",
    "MAX_TERMS",
    "SCHEMA_VERSION",
    "AlreadyDecided",
    "AlreadyExists",
    "AuditEntry",
    "ChangeResult",
    "Finding",
    "Impact",
    "ImportResult",
    "ListInfo",
    "NotFound",
    "QueueItem",
    "Snapshot",
    "Store",
    "StoreError",
    "StoreSource",
    "TermRow",
    "compile_snapshot",
    "default_database_url",
    "default_max_terms",
    "dictionary_hits",
    "dictionary_words",
    "export_text",
    "impact_preview",
    "limits_from_dict",
    "limits_to_dict",
    "lint_lists",
    "looks_like_html",
    "parse_import_file",
    "parse_import_text",
    "scan_lines",
    "term_key",
]

log = logging.getLogger("forum_guard.store")

#: Version of the table layout; :meth:`Store.ensure_schema` migrates older databases up to it.
SCHEMA_VERSION = 1
#: Used when neither ``--database`` nor ``FORUM_GUARD_DATABASE_URL`` is given (relative to the cwd).
DEFAULT_DATABASE_URL = "sqlite:///instance/forum_guard.sqlite"

ImportFormat = Literal["auto", "text", "plain", "csv"]
ExportFormat = Literal["text", "plain", "csv"]
QUEUE_REASONS = tuple(a.value for a in Action if a.queued)
QUEUE_STATUSES = ("pending", "approved", "rejected")
#: The most terms one store holds, over all its lists: every worker compiles all of them (100k terms
#: take about 1.2 s and 90 MB per worker, a million about 14 s and 570 MB). ``$FORUM_GUARD_MAX_TERMS``
#: or ``Store(url, max_terms=...)`` changes it; an import or an add past it is refused whole.
MAX_TERMS = 200_000
#: The largest file an import reads, in bytes (200k terms of a typical list take about 3 MB).
MAX_IMPORT_BYTES = 32 * 1024 * 1024


def default_max_terms() -> int:
    """``$FORUM_GUARD_MAX_TERMS`` when set (a positive number), else :data:`MAX_TERMS`."""
    value = os.environ.get("FORUM_GUARD_MAX_TERMS", "").strip()
    if not value:
        return MAX_TERMS
    try:
        n = int(value.replace("_", ""))
    except ValueError:
        n = 0
    if n < 1:
        raise ValueError(f"FORUM_GUARD_MAX_TERMS={value!r} is not a positive number")
    return n


# --------------------------------------------------------------------------------------------
# errors (data errors are ValueErrors, missing things LookupErrors)


class StoreError(ForumGuardError):
    """A store operation that cannot be done as asked."""


class NotFound(StoreError, LookupError):
    """No such list, term or queue item."""


class AlreadyExists(StoreError, ValueError):
    """A list of that name exists already."""


class AlreadyDecided(StoreError, ValueError):
    """The queue item was approved or rejected already (perhaps by another moderator)."""


# --------------------------------------------------------------------------------------------
# value objects


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

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "kind": self.kind.value, "action": self.action.value,
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


# --------------------------------------------------------------------------------------------
# tables

PREFIX = "fg_"
metadata = sa.MetaData()

t_schema = sa.Table(
    f"{PREFIX}schema_version", metadata,
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

#: schema migrations: ``MIGRATIONS[n]`` takes a database from version n to n + 1
MIGRATIONS: dict[int, Callable[[Connection], None]] = {}


# --------------------------------------------------------------------------------------------
# helpers


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def term_key(term: Term) -> str:
    """A term's identity within a list: what ``parse_wordlist`` calls a repeat."""
    return (("!" if term.exception else "") + ("*" if term.wildcard_start else "") + term.text.casefold()
            + ("*" if term.wildcard_end else ""))


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def default_database_url(instance_path: str | os.PathLike[str] | None = None) -> str:
    """``FORUM_GUARD_DATABASE_URL``, else ``forum_guard.sqlite`` in ``instance_path`` (or ./instance)."""
    env = os.environ.get("FORUM_GUARD_DATABASE_URL")
    if env:
        return env
    if instance_path is None:
        return DEFAULT_DATABASE_URL
    return "sqlite:///" + str(Path(instance_path) / "forum_guard.sqlite")


def _limits_api() -> Any:
    """The lead's ``Limits`` class, or None while ``forum_guard.engine.limits`` does not exist."""
    try:
        from ..engine.limits import Limits
    except ImportError:
        return None
    return Limits


def limits_to_dict(limits: Any) -> dict[str, Any]:
    """A ``Limits`` object (or its dict form, the ``limits.toml`` structure) as a plain JSON document."""
    if isinstance(limits, Mapping):
        return json.loads(json.dumps(dict(limits)))
    return json.loads(json.dumps(limits.to_dict()))


def limits_from_dict(data: Mapping[str, Any]) -> Any:
    """The stored limits document as a ``Limits`` object (None when nothing is stored); raises
    ``LimitsError`` (a ValueError) for a bad document."""
    if not data:
        return None
    limits_cls = _limits_api()
    if limits_cls is None:
        return None
    return limits_cls.from_dict(dict(data), source="db:limits")


def _limits_sections(document: Mapping[str, Any]) -> dict[str, Any]:
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


def _limits_document(sections: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in sections.items():
        if key.startswith("groups."):
            out.setdefault("groups", {})[key[len("groups."):]] = value
        else:
            out[key] = value
    return out


# --------------------------------------------------------------------------------------------
# the import/export formats


def _sniff_format(text: str, path: str | None) -> str:
    if path and path.lower().endswith(".csv"):
        return "csv"
    for raw in text.lstrip("\ufeff").splitlines():
        line = raw.strip()
        if not line:
            continue
        if not line.startswith("#"):
            break
        key = line[1:].partition(":")[0].strip().lower()
        if ":" in line and key in ("name", "kind", "action", "replacement", "evasion", "inflections", "description"):
            return "text"
    return "plain"


def _parse_plain(text: str, *, name: str, source: str, kind: ListKind = ListKind.TERMS,
                 action: Action = Action.BLOCK) -> WordList:
    """One term a line as found in public lists: no header, ``#`` lines are comments, repeats are
    dropped (case-insensitively), a leading ``!`` is a literal character, not an exception."""
    terms: list[Term] = []
    seen: set[str] = set()
    for lineno, raw in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        body = "\\" + line if line[0] in "!\\" else line
        try:
            term = Term.parse(body, kind=kind)
        except ValueError as exc:
            raise WordlistError(str(exc), source=source, line=lineno) from None
        key = term_key(term)
        if key not in seen:
            seen.add(key)
            terms.append(term)
    return WordList(name=name, terms=tuple(terms), action=action, kind=kind,
                    inflections=kind is ListKind.TERMS, source=source)


def _parse_csv(text: str, *, name: str, source: str, action: Action = Action.BLOCK) -> WordList:
    """Discourse's watched-words CSV: ``word[,replacement[,case_sensitive]]`` a row, no header (a first
    row ``word,…`` is taken as one). The action is the file's (Discourse keeps one file per action)."""
    terms: list[Term] = []
    seen: set[str] = set()
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    try:
        for row in reader:
            lineno = reader.line_num
            if not row or not row[0].strip():
                continue
            word = row[0].strip()
            if lineno == 1 and word.lower() == "word":
                continue
            replacement = row[1].strip() if len(row) > 1 and row[1].strip() else None
            body = "\\" + word if word[0] in "!#\\" else word
            try:
                term = Term.parse(body)
            except ValueError as exc:
                raise WordlistError(str(exc), source=source, line=lineno) from None
            if replacement is not None:
                if "\n" in replacement or "\r" in replacement:
                    raise WordlistError("replacement contains a line break", source=source, line=lineno)
                term = Term(term.text, term.wildcard_start, term.wildcard_end, False, replacement, None)
            key = term_key(term)
            if key not in seen:
                seen.add(key)
                terms.append(term)
    except csv.Error as exc:
        raise WordlistError(f"not valid CSV: {exc}", source=source, line=reader.line_num) from None
    return WordList(name=name, terms=tuple(terms), action=action, source=source)


def parse_import_text(text: str, *, name: str, source: str, format: ImportFormat = "auto",
                      action: Action | None = None, kind: ListKind | None = None) -> WordList:
    """Parse one file's text in one of the import formats. ``name`` names a list whose text does not;
    ``action``/``kind`` override the header's (text) or the default block/terms (plain, csv). A file
    with more terms than a store may hold (:func:`default_max_terms`) is refused before parsing."""
    _refuse_too_many_lines(text, source)
    fmt = _sniff_format(text, source) if format == "auto" else format
    if fmt == "text":
        wl = parse_wordlist(text, name=name, source=source)
        if kind is not None and kind is not wl.kind:
            raise WordlistError(f"the file is a {wl.kind.value} list, not {kind.value}", source=source)
        if action is not None:
            wl = WordList(name=wl.name, terms=wl.terms, action=action, kind=wl.kind, replacement=wl.replacement,
                          evasion=wl.evasion, inflections=wl.inflections, description=wl.description,
                          source=wl.source)
        return wl
    if fmt == "plain":
        return _parse_plain(text, name=name, source=source, kind=kind or ListKind.TERMS,
                            action=action or Action.BLOCK)
    if fmt == "csv":
        if kind is ListKind.DOMAINS:
            raise WordlistError("CSV imports hold terms, not domains", source=source)
        return _parse_csv(text, name=name, source=source, action=action or Action.BLOCK)
    raise ValueError(f"unknown import format {format!r} (text, plain, csv or auto)")


def _refuse_too_many_lines(text: str, source: str) -> None:
    limit = default_max_terms()
    if text.count("\n") < limit:
        return
    terms = sum(1 for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#"))
    if terms > limit:
        raise WordlistError(f"{terms:,} terms: a store holds at most {limit:,} in all its lists "
                            "(FORUM_GUARD_MAX_TERMS); split the file or raise the limit", source=source)


def parse_import_file(path: str | os.PathLike[str], *, name: str | None = None, format: ImportFormat = "auto",
                      action: Action | None = None, kind: ListKind | None = None) -> WordList:
    """Read and parse one file; errors name the file and line (:class:`WordlistError`)."""
    p = Path(path)
    try:
        if p.stat().st_size > MAX_IMPORT_BYTES:
            raise WordlistError(f"the file is {p.stat().st_size:,} bytes; an import reads at most "
                                f"{MAX_IMPORT_BYTES:,}", source=str(p))
        data = p.read_bytes()
    except OSError as exc:
        raise WordlistError(f"cannot read: {exc.strerror or exc}", source=str(p)) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise WordlistError("not valid UTF-8", source=str(p), line=data[: exc.start].count(b"\n") + 1) from None
    return parse_import_text(text, name=name or p.stem, source=str(p), format=format, action=action, kind=kind)


def export_text(wordlist: WordList, format: ExportFormat = "text") -> str:
    """A list in an export format. ``plain`` and ``csv`` cannot hold exceptions or list options;
    ``csv`` is Discourse's watched-words upload format (word, replacement)."""
    if format == "text":
        return dump_wordlist(wordlist)
    if format == "plain":
        return "".join(t.pattern + "\n" for t in wordlist.terms if not t.exception)
    if format == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        for t in wordlist.terms:
            if t.exception:
                continue
            writer.writerow([t.pattern, t.replacement] if t.replacement else [t.pattern])
        return out.getvalue()
    raise ValueError(f"unknown export format {format!r} (text, plain or csv)")


# --------------------------------------------------------------------------------------------
# the store


class Store:
    """Lists, terms, limits, the moderation queue and the audit log in one SQL database.

    Thread-safe and process-safe: many workers (and the CLI) may use one database at once. Every
    method that changes the rules takes an ``actor`` (who, for the audit log) and an ``origin``
    ("admin", "cli", …) and returns the new ruleset version.
    """

    def __init__(self, url: str | URL | Engine, *, busy_timeout: float = 30.0, max_terms: int | None = None,
                 **engine_options: Any) -> None:
        #: the most terms this store accepts over all lists (see :data:`MAX_TERMS`)
        self.max_terms = max_terms if max_terms is not None else default_max_terms()
        if isinstance(url, Engine):
            self.engine = url
        else:
            u = make_url(url)
            if u.get_backend_name() == "sqlite":
                db = u.database
                if db and db != ":memory:" and not db.startswith("file:"):
                    Path(db).expanduser().parent.mkdir(parents=True, exist_ok=True)
                    engine_options.setdefault("connect_args", {}).setdefault("timeout", busy_timeout)
            else:  # a server restart or failover must not cost each worker a failed request
                engine_options.setdefault("pool_pre_ping", True)
            self.engine = sa.create_engine(u, **engine_options)
        self.url = self.engine.url
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self.is_postgresql = self.engine.dialect.name == "postgresql"
        if self.is_sqlite:
            _setup_sqlite(self.engine, busy_timeout)
        self._write_engine = self.engine.execution_options(forum_guard_write=True)

    def __repr__(self) -> str:
        return f"Store({self.url.render_as_string(hide_password=True)!r})"

    def close(self) -> None:
        """Close the pooled connections (the store can still be used; it reconnects)."""
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

    def _bump(self, conn: Connection) -> int:
        now = _now()
        conn.execute(t_ruleset.update().where(t_ruleset.c.id == 1)
                     .values(version=t_ruleset.c.version + 1, changed_at=now))
        return int(conn.execute(sa.select(t_ruleset.c.version).where(t_ruleset.c.id == 1)).scalar_one())

    def _audit(self, conn: Connection, *, actor: str | None, origin: str, action: str, target: str | None,
               summary: str, detail: Mapping[str, Any] | None = None, version: int | None = None) -> None:
        conn.execute(t_audit.insert().values(
            at=_now(), actor=actor, origin=origin, action=action, target=target, summary=summary,
            detail=dict(detail or {}), version=version,
        ))

    # -- schema ---------------------------------------------------------------------------

    def ensure_schema(self) -> None:
        """Create the tables on first use and migrate an older layout; idempotent and safe to run
        from many workers at once."""
        with self._write() as conn:
            if self.is_postgresql:
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(4711004711)"))
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
                conn.execute(t_schema.update().where(t_schema.c.id == 1)
                             .values(version=current, migrated_at=_now()))
            if conn.execute(sa.select(t_ruleset.c.id).where(t_ruleset.c.id == 1)).first() is None:
                conn.execute(t_ruleset.insert().values(id=1, version=1, changed_at=_now()))
            for stmt in _SQLITE_AUDIT_TRIGGERS if self.is_sqlite else _PG_AUDIT_TRIGGERS if self.is_postgresql else ():
                conn.execute(sa.text(stmt))

    def schema_version(self) -> int:
        with self._read() as conn:
            return int(conn.execute(sa.select(t_schema.c.version).where(t_schema.c.id == 1)).scalar_one())

    # -- the ruleset ----------------------------------------------------------------------

    def version(self) -> int:
        """The ruleset version: bumped by every change to lists, terms or limits."""
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(t_ruleset.c.version).where(t_ruleset.c.id == 1)).scalar_one())

    def snapshot(self) -> Snapshot:
        """Version, every list with its terms, and the limits, read consistently."""
        with self._read() as conn:
            version = int(conn.execute(sa.select(t_ruleset.c.version).where(t_ruleset.c.id == 1)).scalar_one())
            lists = self._load_lists(conn, None)
            limits = self._limits_dict(conn)
        return Snapshot(version=version, lists=tuple(lists), limits=limits)

    def build_guard(self) -> Guard:
        """Compile the stored ruleset (used by :class:`StoreSource` and the CLI)."""
        return compile_snapshot(self.snapshot())

    # -- lists ----------------------------------------------------------------------------

    def _list_row(self, conn: Connection, name: str) -> Any:
        row = conn.execute(sa.select(t_lists).where(t_lists.c.name == name)).first()
        if row is None:
            raise NotFound(f"no list named {name!r}")
        return row

    def _wordlist(self, row: Any, terms: Sequence[Term]) -> WordList:
        return WordList(
            name=row.name, terms=tuple(terms), action=Action(row.action), kind=ListKind(row.kind),
            replacement=row.replacement, evasion=bool(row.evasion), inflections=bool(row.inflections),
            description=row.description or "", source=f"db:{row.name}",
        )

    def _load_lists(self, conn: Connection, names: Sequence[str] | None) -> list[WordList]:
        q = sa.select(t_lists).order_by(t_lists.c.name)
        if names is not None:
            q = q.where(t_lists.c.name.in_(list(names)))
        rows = conn.execute(q).all()
        by_id: dict[int, list[Term]] = {row.id: [] for row in rows}
        tq = sa.select(t_terms.c.list_id, t_terms.c.text, t_terms.c.wildcard_start, t_terms.c.wildcard_end,
                       t_terms.c.exception, t_terms.c.replacement, t_terms.c.note).order_by(t_terms.c.id)
        if names is not None:
            tq = tq.where(t_terms.c.list_id.in_(list(by_id)))
        for list_id, text, ws, we, exc, rep, note in conn.execute(tq):
            bucket = by_id.get(list_id)
            if bucket is not None:
                bucket.append(Term(text, bool(ws), bool(we), bool(exc), rep, note))
        return [self._wordlist(row, by_id[row.id]) for row in rows]

    def lists(self) -> list[WordList]:
        """Every list with its terms, by name."""
        with self._read() as conn:
            return self._load_lists(conn, None)

    def get_list(self, name: str, *, exceptions_only: bool = False) -> WordList:
        """One list with its terms (only its ``!exceptions`` with ``exceptions_only``: enough to
        preview a new term with the list's options, without loading a big list)."""
        with self._read() as conn:
            row = self._list_row(conn, name)
            if not exceptions_only:
                return self._load_lists(conn, [name])[0]
            rows = conn.execute(sa.select(t_terms).where(t_terms.c.list_id == row.id, t_terms.c.exception)
                                .order_by(t_terms.c.id))
            return self._wordlist(row, [self._term_row(r, name).term for r in rows])

    def list_names(self) -> list[str]:
        with self._read() as conn:
            return list(conn.execute(sa.select(t_lists.c.name).order_by(t_lists.c.name)).scalars())

    def list_infos(self) -> list[ListInfo]:
        """Every list's settings and size (no terms loaded)."""
        with self._read() as conn:
            return self._list_infos(conn, None)

    def list_info(self, name: str) -> ListInfo:
        with self._read() as conn:
            infos = self._list_infos(conn, name)
        if not infos:
            raise NotFound(f"no list named {name!r}")
        return infos[0]

    def _list_infos(self, conn: Connection, name: str | None) -> list[ListInfo]:
        counts = (sa.select(t_terms.c.list_id, sa.func.count().label("size"),
                            sa.func.sum(sa.case((t_terms.c.exception, 1), else_=0)).label("exceptions"))
                  .group_by(t_terms.c.list_id).subquery())
        q = (sa.select(t_lists, counts.c.size, counts.c.exceptions)
             .outerjoin(counts, counts.c.list_id == t_lists.c.id).order_by(t_lists.c.name))
        if name is not None:
            q = q.where(t_lists.c.name == name)
        out = []
        for row in conn.execute(q):
            out.append(ListInfo(
                id=row.id, name=row.name, kind=ListKind(row.kind), action=Action(row.action),
                replacement=row.replacement, evasion=bool(row.evasion), inflections=bool(row.inflections),
                description=row.description or "", size=int(row.size or 0), exceptions=int(row.exceptions or 0),
                created_at=_aware(row.created_at), updated_at=_aware(row.updated_at),  # type: ignore[arg-type]
                updated_by=row.updated_by,
            ))
        return out

    @staticmethod
    def _check_name(name: str) -> str:
        probe = name.strip()
        try:
            parse_wordlist(f"# name: {probe}\n", source="<name>")
        except WordlistError as exc:
            raise StoreError(exc.message) from None
        return probe

    def create_list(self, name: str, *, action: Action | str = Action.BLOCK, kind: ListKind | str = ListKind.TERMS,
                    replacement: str | None = None, evasion: bool = True, inflections: bool | None = None,
                    description: str = "", actor: str | None = None, origin: str = "api") -> int:
        """Create an empty list; returns the new ruleset version."""
        name = self._check_name(name)
        action = Action.parse(action) if isinstance(action, str) else action
        kind = ListKind(kind) if isinstance(kind, str) else kind
        if action is Action.ALLOW:
            raise StoreError("a list's action cannot be 'allow'")
        if inflections is None:
            inflections = kind is ListKind.TERMS
        replacement = _check_replacement(replacement)
        description = _check_description(description)
        with self._write() as conn:
            self._lock_rules(conn)
            if conn.execute(sa.select(t_lists.c.id).where(t_lists.c.name == name)).first() is not None:
                raise AlreadyExists(f"a list named {name!r} exists already")
            now = _now()
            conn.execute(t_lists.insert().values(
                name=name, kind=kind.value, action=action.value, replacement=replacement or None, evasion=evasion,
                inflections=inflections, description=" ".join(description.split()), options={},
                created_at=now, updated_at=now, updated_by=actor,
            ))
            version = self._bump(conn)
            self._audit(conn, actor=actor, origin=origin, action="list.create", target=name,
                        summary=f"created list {name} ({kind.value}, {action.value})",
                        detail={"kind": kind.value, "action": action.value, "evasion": evasion,
                                "inflections": inflections, "replacement": replacement,
                                "description": description}, version=version)
        return version

    def update_list(self, name: str, *, new_name: str | None = None, action: Action | str | None = None,
                    replacement: str | Literal[False] | None = False, evasion: bool | None = None,
                    inflections: bool | None = None, description: str | None = None,
                    actor: str | None = None, origin: str = "api") -> int:
        """Rename a list or change its action/options (``replacement=None`` clears it; the default
        ``False`` leaves it). Returns the new ruleset version."""
        values: dict[str, Any] = {}
        if new_name is not None and new_name.strip() != name:
            values["name"] = self._check_name(new_name)
        if action is not None:
            act = Action.parse(action) if isinstance(action, str) else action
            if act is Action.ALLOW:
                raise StoreError("a list's action cannot be 'allow'")
            values["action"] = act.value
        if replacement is not False:
            values["replacement"] = _check_replacement(replacement)
        if evasion is not None:
            values["evasion"] = evasion
        if inflections is not None:
            values["inflections"] = inflections
        if description is not None:
            values["description"] = " ".join(_check_description(description).split())
        with self._write() as conn:
            self._lock_rules(conn)
            row = self._list_row(conn, name)
            changes = {k: {"from": getattr(row, k), "to": v} for k, v in values.items() if getattr(row, k) != v}
            if not changes:
                return int(conn.execute(sa.select(t_ruleset.c.version)).scalar_one())
            if "name" in changes and conn.execute(
                    sa.select(t_lists.c.id).where(t_lists.c.name == values["name"])).first() is not None:
                raise AlreadyExists(f"a list named {values['name']!r} exists already")
            conn.execute(t_lists.update().where(t_lists.c.id == row.id)
                         .values(**{k: values[k] for k in changes}, updated_at=_now(), updated_by=actor))
            version = self._bump(conn)
            desc = ", ".join(f"{k} {c['from']!r} → {c['to']!r}" for k, c in changes.items())
            action_name = "list.rename" if list(changes) == ["name"] else "list.update"
            self._audit(conn, actor=actor, origin=origin, action=action_name, target=name,
                        summary=f"changed list {name}: {desc}", detail=changes, version=version)
        return version

    def delete_list(self, name: str, *, actor: str | None = None, origin: str = "api") -> int:
        """Delete a list and its terms (the audit entry keeps the terms). Returns the new version."""
        with self._write() as conn:
            self._lock_rules(conn)
            row = self._list_row(conn, name)
            wl = self._load_lists(conn, [name])[0]
            conn.execute(t_terms.delete().where(t_terms.c.list_id == row.id))
            conn.execute(t_lists.delete().where(t_lists.c.id == row.id))
            version = self._bump(conn)
            self._audit(conn, actor=actor, origin=origin, action="list.delete", target=name,
                        summary=f"deleted list {name} ({len(wl.terms)} terms)",
                        detail={"size": len(wl.terms), "wordlist": dump_wordlist(wl)}, version=version)
        return version

    # -- terms ----------------------------------------------------------------------------

    def _parse_terms(self, terms: Iterable[Term | str], kind: ListKind) -> list[Term]:
        out = []
        for t in terms:
            if isinstance(t, Term):
                out.append(t)
                continue
            line = t.strip()
            if not line:
                continue
            try:
                out.append(Term.parse(line, kind=kind))
            except ValueError as exc:
                raise StoreError(f"{_clip(line)!r}: {exc}") from None
        return out

    def terms(self, list_name: str, *, search: str | None = None, offset: int = 0,
              limit: int | None = None) -> list[TermRow]:
        """A list's terms in the order they were added; ``search`` is a case-insensitive substring."""
        with self._read() as conn:
            row = self._list_row(conn, list_name)
            q = sa.select(t_terms).where(t_terms.c.list_id == row.id).order_by(t_terms.c.id)
            if search:
                q = q.where(t_terms.c.key.like(f"%{_like_escape(search.strip().casefold())}%", escape="\\"))
            if offset:
                q = q.offset(min(offset, _MAX_ROW))
            if limit is not None:
                q = q.limit(min(limit, _MAX_ROW))
            return [self._term_row(r, list_name) for r in conn.execute(q)]

    def count_terms(self, list_name: str, *, search: str | None = None) -> int:
        with self._read() as conn:
            row = self._list_row(conn, list_name)
            q = sa.select(sa.func.count()).select_from(t_terms).where(t_terms.c.list_id == row.id)
            if search:
                q = q.where(t_terms.c.key.like(f"%{_like_escape(search.strip().casefold())}%", escape="\\"))
            return int(conn.execute(q).scalar_one())

    @staticmethod
    def _term_row(r: Any, list_name: str) -> TermRow:
        return TermRow(id=r.id, list=list_name,
                       term=Term(r.text, bool(r.wildcard_start), bool(r.wildcard_end), bool(r.exception),
                                 r.replacement, r.note),
                       added_by=r.added_by, added_at=_aware(r.added_at))  # type: ignore[arg-type]

    def get_term(self, term_id: int) -> TermRow:
        _check_id(term_id, "term with id")
        with self._read() as conn:
            r = conn.execute(sa.select(t_terms, t_lists.c.name.label("list_name"))
                             .join(t_lists, t_lists.c.id == t_terms.c.list_id).where(t_terms.c.id == term_id)).first()
        if r is None:
            raise NotFound(f"no term with id {term_id}")
        return self._term_row(r, r.list_name)

    def find_terms(self, term: Term | str) -> list[TermRow]:
        """Where a term is, in every list (case-insensitive on the term's identity)."""
        key = term_key(term if isinstance(term, Term) else Term.parse(term))
        with self._read() as conn:
            rows = conn.execute(sa.select(t_terms, t_lists.c.name.label("list_name"))
                                .join(t_lists, t_lists.c.id == t_terms.c.list_id).where(t_terms.c.key == key))
            return [self._term_row(r, r.list_name) for r in rows]

    def _insert_terms(self, conn: Connection, list_id: int, terms: Sequence[Term], actor: str | None,
                      extra: Mapping[str, Mapping[str, Any]] | None = None) -> list[Term]:
        """Insert the terms not in the list yet; returns those inserted. Duplicates within ``terms``
        and terms already present (perhaps added a moment ago by another process) are skipped."""
        existing = set(conn.execute(sa.select(t_terms.c.key).where(t_terms.c.list_id == list_id)).scalars())
        now = _now()
        rows = []
        added = []
        for t in terms:
            key = term_key(t)
            if key in existing:
                continue
            _check_term(t)
            existing.add(key)
            added.append(t)
            rows.append({"list_id": list_id, "key": key, "text": t.text, "wildcard_start": t.wildcard_start,
                         "wildcard_end": t.wildcard_end, "exception": t.exception, "replacement": t.replacement,
                         "note": t.note, "options": dict((extra or {}).get(key, {})), "added_by": actor,
                         "added_at": now})
        if rows:
            total = int(conn.execute(sa.select(sa.func.count()).select_from(t_terms)).scalar_one()) + len(rows)
            if total > self.max_terms:
                raise StoreError(f"the store would hold {total:,} terms; it holds at most {self.max_terms:,} in all its "
                                 "lists (FORUM_GUARD_MAX_TERMS). Nothing was stored.")
        for i in range(0, len(rows), 5000):
            conn.execute(t_terms.insert(), rows[i : i + 5000])
        return added

    def add_terms(self, list_name: str, terms: Iterable[Term | str], *, actor: str | None = None,
                  origin: str = "api") -> ChangeResult:
        """Add terms (Term objects or lines in the wordlist format) to a list; terms already there are
        skipped. One transaction, one audit entry."""
        with self._write() as conn:
            self._lock_rules(conn)
            row = self._list_row(conn, list_name)
            wanted = self._parse_terms(terms, ListKind(row.kind))
            added = self._insert_terms(conn, row.id, wanted, actor)
            fresh = {term_key(t) for t in added}
            skipped_list = []
            for t in wanted:
                key = term_key(t)
                if key in fresh:
                    fresh.discard(key)  # its first occurrence was added
                else:
                    skipped_list.append(t)
            skipped = tuple(skipped_list)
            if not added:
                return ChangeResult(list=list_name, skipped=skipped)
            conn.execute(t_lists.update().where(t_lists.c.id == row.id).values(updated_at=_now(), updated_by=actor))
            version = self._bump(conn)
            self._audit(conn, actor=actor, origin=origin, action="term.add", target=list_name,
                        summary=f"added {_count(len(added), 'term')} to {list_name}: {_preview(added)}",
                        detail={"terms": [t.to_line() for t in added[:1000]], "count": len(added)},
                        version=version)
        return ChangeResult(list=list_name, added=tuple(added), skipped=skipped, version=version)

    def remove_terms(self, list_name: str, terms: Iterable[Term | str], *, actor: str | None = None,
                     origin: str = "api") -> ChangeResult:
        """Remove terms (matched on their identity: text case-insensitively, wildcards, ``!``)."""
        with self._write() as conn:
            self._lock_rules(conn)
            row = self._list_row(conn, list_name)
            wanted = self._parse_terms(terms, ListKind(row.kind))
            keys = [term_key(t) for t in wanted]
            present = {r.key: r for r in conn.execute(
                sa.select(t_terms).where(t_terms.c.list_id == row.id, t_terms.c.key.in_(keys)))}
            removed = [self._term_row(present[k], list_name).term for k in dict.fromkeys(keys) if k in present]
            skipped = tuple(t for t, k in zip(wanted, keys, strict=True) if k not in present)
            if not removed:
                return ChangeResult(list=list_name, skipped=skipped)
            conn.execute(t_terms.delete().where(t_terms.c.id.in_([r.id for r in present.values()])))
            conn.execute(t_lists.update().where(t_lists.c.id == row.id).values(updated_at=_now(), updated_by=actor))
            version = self._bump(conn)
            self._audit(conn, actor=actor, origin=origin, action="term.remove", target=list_name,
                        summary=f"removed {_count(len(removed), 'term')} from {list_name}: {_preview(removed)}",
                        detail={"terms": [t.to_line() for t in removed[:1000]], "count": len(removed)},
                        version=version)
        return ChangeResult(list=list_name, removed=tuple(removed), skipped=skipped, version=version)

    def update_term(self, term_id: int, new: Term | str, *, actor: str | None = None, origin: str = "api") -> int:
        """Replace a term by another (edit); returns the new ruleset version."""
        _check_id(term_id, "term with id")
        with self._write() as conn:
            self._lock_rules(conn)
            r = conn.execute(sa.select(t_terms, t_lists.c.name.label("list_name"), t_lists.c.kind.label("kind"))
                             .join(t_lists, t_lists.c.id == t_terms.c.list_id).where(t_terms.c.id == term_id)).first()
            if r is None:
                raise NotFound(f"no term with id {term_id}")
            term = self._parse_terms([new], ListKind(r.kind))
            if not term:
                raise StoreError("empty term")
            new_term = term[0]
            _check_term(new_term)
            old_term = self._term_row(r, r.list_name).term
            if new_term == old_term:
                return int(conn.execute(sa.select(t_ruleset.c.version)).scalar_one())
            key = term_key(new_term)
            clash = conn.execute(sa.select(t_terms.c.id).where(
                t_terms.c.list_id == r.list_id, t_terms.c.key == key, t_terms.c.id != term_id)).first()
            if clash is not None:
                raise AlreadyExists(f"{new_term.to_line()!r} is in {r.list_name} already")
            conn.execute(t_terms.update().where(t_terms.c.id == term_id).values(
                key=key, text=new_term.text, wildcard_start=new_term.wildcard_start,
                wildcard_end=new_term.wildcard_end, exception=new_term.exception,
                replacement=new_term.replacement, note=new_term.note))
            conn.execute(t_lists.update().where(t_lists.c.id == r.list_id).values(updated_at=_now(), updated_by=actor))
            version = self._bump(conn)
            self._audit(conn, actor=actor, origin=origin, action="term.edit", target=r.list_name,
                        summary=f"changed {old_term.to_line()!r} to {new_term.to_line()!r} in {r.list_name}",
                        detail={"from": old_term.to_line(), "to": new_term.to_line()}, version=version)
        return version

    def delete_term(self, term_id: int, *, actor: str | None = None, origin: str = "api") -> int:
        row = self.get_term(term_id)
        result = self.remove_terms(row.list, [row.term], actor=actor, origin=origin)
        if result.version is None:
            raise NotFound(f"no term with id {term_id}")
        return result.version

    # -- import / export --------------------------------------------------------------------

    def import_wordlists(self, wordlists: Sequence[WordList], *, mode: Literal["merge", "replace"] = "merge",
                         limits: Any = None, actor: str | None = None, origin: str = "api",
                         update_options: bool = True, source: str | None = None) -> ImportResult:
        """Import lists in ONE transaction: everything is stored or (on any error) nothing.

        ``merge`` adds the terms a list does not have; ``replace`` makes the stored list exactly the
        imported one. A list that does not exist is created with the imported options; an existing
        one takes them too when ``update_options`` (files with a header carry options, plain ones
        the defaults, so callers pass False for those).
        """
        if mode not in ("merge", "replace"):
            raise ValueError(f"unknown import mode {mode!r} (merge or replace)")
        names: dict[str, WordList] = {}
        for wl in wordlists:
            if wl.name in names:
                first = names[wl.name]
                wl = WordList(name=first.name, terms=first.terms + wl.terms, action=first.action, kind=first.kind,
                              replacement=first.replacement, evasion=first.evasion, inflections=first.inflections,
                              description=first.description, source=first.source)
            names[wl.name] = wl
        with self._write() as conn:
            self._lock_rules(conn)
            return self._import(conn, list(names.values()), mode=mode, limits=limits, actor=actor, origin=origin,
                                update_options=update_options, source=source)

    def _import(self, conn: Connection, wordlists: Sequence[WordList], *, mode: str, limits: Any,
                actor: str | None, origin: str, update_options: bool, source: str | None) -> ImportResult:
        report: list[dict[str, Any]] = []
        now = _now()
        for wl in wordlists:
            _check_replacement(wl.replacement)
            _check_description(wl.description)
            row = conn.execute(sa.select(t_lists).where(t_lists.c.name == wl.name)).first()
            created = row is None
            options = {"kind": wl.kind.value, "action": wl.action.value, "replacement": wl.replacement,
                       "evasion": wl.evasion, "inflections": wl.inflections, "description": wl.description}
            if row is None:
                inserted = conn.execute(t_lists.insert().values(
                    name=wl.name, options={}, created_at=now, updated_at=now, updated_by=actor, **options,
                )).inserted_primary_key
                assert inserted is not None
                list_id = inserted[0]
            else:
                list_id = row.id
                if row.kind != wl.kind.value:
                    raise StoreError(f"{wl.source or wl.name}: list {wl.name!r} holds {row.kind}, "
                                     f"the file {wl.kind.value}")
                upd: dict[str, Any] = {"updated_at": now, "updated_by": actor}
                if update_options:
                    upd.update(options)
                conn.execute(t_lists.update().where(t_lists.c.id == list_id).values(**upd))
            removed = 0
            if mode == "replace" and not created:
                keep = {term_key(t) for t in wl.terms}
                old = conn.execute(sa.select(t_terms.c.id, t_terms.c.key).where(t_terms.c.list_id == list_id)).all()
                drop = [i for i, k in old if k not in keep]
                for j in range(0, len(drop), 5000):
                    conn.execute(t_terms.delete().where(t_terms.c.id.in_(drop[j : j + 5000])))
                removed = len(drop)
            added = self._insert_terms(conn, list_id, wl.terms, actor)
            report.append({"list": wl.name, "source": wl.source, "created": created, "added": len(added),
                           "removed": removed, "size": len(wl.terms)})
        stored_limits = False
        if limits is not None:
            self._set_limits(conn, limits_to_dict(limits), actor, replace_all=True)
            stored_limits = True
        version = self._bump(conn)
        # one entry per list (so the log filters by list), all in this one transaction
        origin_text = f" from {source}" if source else ""
        for d in report:
            self._audit(conn, actor=actor, origin=origin, action="import", target=d["list"],
                        summary=f"imported ({mode}) {d['list']}{origin_text}: +{d['added']} -{d['removed']}"
                                + (" (new list)" if d["created"] else ""),
                        detail={"mode": mode, **d}, version=version)
        if stored_limits or not report:
            self._audit(conn, actor=actor, origin=origin, action="import", target="limits" if stored_limits else None,
                        summary=f"imported ({mode}) {'limits' if stored_limits else 'nothing'}{origin_text}",
                        detail={"mode": mode, "limits": stored_limits}, version=version)
        return ImportResult(lists=tuple(report), version=version, limits=stored_limits)

    def import_files(self, paths: Sequence[str | os.PathLike[str]], *, format: ImportFormat = "auto",
                     list_name: str | None = None, action: Action | None = None, kind: ListKind | None = None,
                     mode: Literal["merge", "replace"] = "merge", actor: str | None = None,
                     origin: str = "api") -> ImportResult:
        """Parse every file first (a bad one raises :class:`WordlistError` naming file and line, and
        nothing is stored), then store them all in one transaction. A ``*.toml`` file among them is a
        ``limits.toml`` and replaces the stored limits."""
        parsed = []
        keep_options = True
        limits = None
        for p in paths:
            if str(p).lower().endswith(".toml"):
                limits = _load_limits_file(Path(p), required=True)
                continue
            wl = parse_import_file(p, name=list_name, format=format, action=action, kind=kind)
            if list_name:
                wl = WordList(name=list_name, terms=wl.terms, action=wl.action, kind=wl.kind,
                              replacement=wl.replacement, evasion=wl.evasion, inflections=wl.inflections,
                              description=wl.description, source=wl.source)
            fmt = format if format != "auto" else _sniff_format(Path(p).read_text("utf-8", "replace"), str(p))
            if fmt != "text" and action is None:
                keep_options = False
            parsed.append(wl)
        source = ", ".join(str(p) for p in paths)
        return self.import_wordlists(parsed, mode=mode, limits=limits, actor=actor, origin=origin,
                                     update_options=keep_options, source=source[:200])

    def export(self, list_name: str, format: ExportFormat = "text") -> str:
        """A stored list as text in an export format (see :func:`export_text`)."""
        return export_text(self.get_list(list_name), format)

    def seed_from_directory(self, path: str | os.PathLike[str], *, actor: str | None = "seed") -> bool:
        """Import ``*.txt`` lists and ``limits.toml`` from a folder if the store has no lists yet.

        Returns True if it seeded. Safe to call from many workers at once: one seeds, the others see
        the lists and return False.
        """
        directory = Path(path)
        if not directory.is_dir():
            return False
        from ..engine.terms import load_wordlists

        if self.list_names():
            return False
        lists = load_wordlists(directory)
        limits = _load_limits_file(directory / "limits.toml")
        if not lists and limits is None:
            return False
        with self._write() as conn:
            self._lock_rules(conn)
            if conn.execute(sa.select(t_lists.c.id).limit(1)).first() is not None:
                return False  # another worker seeded first
            self._import(conn, lists, mode="merge", limits=limits, actor=actor, origin="seed",
                         update_options=True, source=str(directory)[:200])
        return True

    # -- limits ---------------------------------------------------------------------------

    def _limits_sections(self, conn: Connection) -> dict[str, Any]:
        return {r.section: r.data for r in conn.execute(sa.select(t_limits).order_by(t_limits.c.section))}

    def _limits_dict(self, conn: Connection) -> dict[str, Any]:
        return _limits_document(self._limits_sections(conn))

    def limits_dict(self) -> dict[str, Any]:
        """The stored limits in the ``limits.toml`` structure (``Limits.to_dict()``); empty when none
        is stored (the Guard then uses ``Limits.default()``)."""
        with self._read() as conn:
            return self._limits_dict(conn)

    def limits(self) -> Any:
        """The stored limits as a ``Limits`` object; None when nothing is stored."""
        return limits_from_dict(self.limits_dict())

    def _set_limits(self, conn: Connection, document: Mapping[str, Any], actor: str | None, *,
                    replace_all: bool) -> dict[str, Any]:
        old = self._limits_sections(conn)
        new = _limits_sections(document)
        now = _now()
        if replace_all:
            conn.execute(t_limits.delete())
            old_keys: set[str] = set()
        else:
            old_keys = set(old)
        for section, value in new.items():
            if section in old_keys:
                conn.execute(t_limits.update().where(t_limits.c.section == section)
                             .values(data=value, updated_at=now, updated_by=actor))
            else:
                conn.execute(t_limits.insert().values(section=section, data=value, updated_at=now, updated_by=actor))
        return old

    def set_limits(self, limits: Any, *, partial: bool = False, actor: str | None = None,
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
            limits_from_dict(_limits_document(merged))  # raises on a bad document: the transaction rolls back
            changed = sorted(s for s in set(old) | set(merged) if old.get(s) != merged.get(s))
            if not changed:
                return int(conn.execute(sa.select(t_ruleset.c.version)).scalar_one())
            version = self._bump(conn)
            self._audit(conn, actor=actor, origin=origin, action="limits.update", target=", ".join(changed)[:200],
                        summary=f"changed limits: {', '.join(changed)}",
                        detail={"from": {s: old.get(s) for s in changed}, "to": {s: merged.get(s) for s in changed}},
                        version=version)
        return version

    # -- moderation queue -----------------------------------------------------------------

    def enqueue(self, *, content: str, is_html: bool, verdict: Verdict, author: str | None, group: str,
                ref: str | None, reason: str) -> int:
        """Hold (``reason="require_approval"``) or flag (``reason="flag"``) a post; returns its queue id."""
        if reason not in QUEUE_REASONS:
            raise ValueError(f"reason must be one of {', '.join(QUEUE_REASONS)}, not {reason!r}")
        with self._write() as conn:
            result = conn.execute(t_queue.insert().values(
                created_at=_now(), reason=reason, status="pending", content=content, is_html=is_html,
                author=author, group=group, ref=ref, action=verdict.action.value,
                highlighted_html=str(verdict.highlighted_html), verdict=verdict.to_dict(),
            ))
            pk = result.inserted_primary_key
            assert pk is not None
            return int(pk[0])

    @staticmethod
    def _queue_item(r: Any) -> QueueItem:
        return QueueItem(
            id=r.id, created_at=_aware(r.created_at), reason=r.reason, status=r.status,  # type: ignore[arg-type]
            content=r.content, is_html=bool(r.is_html), author=r.author, group=r.group, ref=r.ref, action=r.action,
            highlighted_html=r.highlighted_html, verdict=r.verdict or {}, decided_at=_aware(r.decided_at),
            decided_by=r.decided_by, decided_content=r.decided_content, note=r.note,
        )

    def queue(self, *, status: str | None = "pending", reason: str | None = None, offset: int = 0,
              limit: int | None = 100) -> list[QueueItem]:
        """Queue items, oldest pending first (decided ones newest first)."""
        q = sa.select(t_queue)
        if status:
            q = q.where(t_queue.c.status == status)
        if reason:
            q = q.where(t_queue.c.reason == reason)
        q = q.order_by(t_queue.c.id if status == "pending" else t_queue.c.id.desc()).offset(min(offset, _MAX_ROW))
        if limit is not None:
            q = q.limit(min(limit, _MAX_ROW))
        with self._read() as conn:
            return [self._queue_item(r) for r in conn.execute(q)]

    def queue_item(self, item_id: int) -> QueueItem:
        _check_id(item_id, "queue item")
        with self._read() as conn:
            r = conn.execute(sa.select(t_queue).where(t_queue.c.id == item_id)).first()
        if r is None:
            raise NotFound(f"no queue item {item_id}")
        return self._queue_item(r)

    def queue_counts(self) -> dict[str, int]:
        """``{"require_approval": n, "flag": n, "approved": n, "rejected": n}`` (the first two pending)."""
        out = {"require_approval": 0, "flag": 0, "approved": 0, "rejected": 0}
        with self._read() as conn:
            for status, reason, n in conn.execute(
                    sa.select(t_queue.c.status, t_queue.c.reason, sa.func.count())
                    .group_by(t_queue.c.status, t_queue.c.reason)):
                key = reason if status == "pending" else status
                out[key] = out.get(key, 0) + int(n)
        return out

    def decide(self, item_id: int, decision: Literal["approved", "rejected"], *, actor: str | None = None,
               content: str | None = None, note: str | None = None, origin: str = "api") -> QueueItem:
        """Approve (optionally with edited ``content``) or reject a pending item. Raises
        :class:`AlreadyDecided` if someone decided it first. The caller tells the host (signal)."""
        if decision not in ("approved", "rejected"):
            raise ValueError("decision must be 'approved' or 'rejected'")
        _check_id(item_id, "queue item")
        with self._write() as conn:
            r = conn.execute(sa.select(t_queue).where(t_queue.c.id == item_id)).first()
            if r is None:
                raise NotFound(f"no queue item {item_id}")
            edited = content is not None and content != r.content
            res = conn.execute(t_queue.update().where(t_queue.c.id == item_id, t_queue.c.status == "pending").values(
                status=decision, decided_at=_now(), decided_by=actor,
                decided_content=content if edited else None, note=note or None))
            if res.rowcount != 1:
                raise AlreadyDecided(f"queue item {item_id} was {r.status} by {r.decided_by or 'someone'} already")
            verb = "approved" + (" (edited)" if edited else "") if decision == "approved" else "rejected"
            self._audit(conn, actor=actor, origin=origin,
                        action="queue.approve" if decision == "approved" else "queue.reject",
                        target=f"queue:{item_id}",
                        summary=f"{verb} queued post #{item_id} by {r.author or 'anonymous'} ({r.reason})",
                        detail={"ref": r.ref, "author": r.author, "reason": r.reason, "edited": edited,
                                "note": note, "terms": sorted({m["term"] for m in (r.verdict or {}).get("matches", ())})})
            r2 = conn.execute(sa.select(t_queue).where(t_queue.c.id == item_id)).one()
        return self._queue_item(r2)

    def recent_contents(self, limit: int = 500) -> list[str]:
        """The newest stored posts' texts (queue items, as decided), for the admin's impact preview
        when the host gives no loader."""
        with self._read() as conn:
            rows = conn.execute(sa.select(t_queue.c.content, t_queue.c.decided_content)
                                .order_by(t_queue.c.id.desc()).limit(limit))
            return [dc or c for c, dc in rows]

    # -- audit log ------------------------------------------------------------------------

    def record(self, action: str, summary: str, *, actor: str | None = None, origin: str = "api",
               target: str | None = None, detail: Mapping[str, Any] | None = None) -> None:
        """Append an entry that is not a rule change (a host's own moderation event, say)."""
        with self._write() as conn:
            self._audit(conn, actor=actor, origin=origin, action=action, target=target, summary=summary,
                        detail=detail)

    def _audit_query(self, q: Any, *, actor: str | None, action: str | None, target: str | None,
                     origin: str | None, search: str | None, since: datetime | None,
                     until: datetime | None) -> Any:
        if actor:
            q = q.where(t_audit.c.actor == actor)
        if action:
            q = q.where(t_audit.c.action.like(f"{_like_escape(action)}%", escape="\\"))
        if target:
            q = q.where(t_audit.c.target == target)
        if origin:
            q = q.where(t_audit.c.origin == origin)
        if search:
            q = q.where(sa.func.lower(t_audit.c.summary).like(f"%{_like_escape(search.lower())}%", escape="\\"))
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
        q = q.order_by(t_audit.c.id.desc()).offset(min(offset, _MAX_ROW))
        if limit is not None:
            q = q.limit(min(limit, _MAX_ROW))
        with self._read() as conn:
            return [AuditEntry(id=r.id, at=_aware(r.at), actor=r.actor, origin=r.origin,  # type: ignore[arg-type]
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

    # -- stats ----------------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        """Sizes and counters for ``forum-guard stats`` and monitoring."""
        infos = self.list_infos()
        with self._read() as conn:
            version, changed_at = conn.execute(sa.select(t_ruleset.c.version, t_ruleset.c.changed_at)).one()
            audit_n = int(conn.execute(sa.select(sa.func.count()).select_from(t_audit)).scalar_one())
            last = conn.execute(sa.select(t_audit).order_by(t_audit.c.id.desc()).limit(1)).first()
            schema = int(conn.execute(sa.select(t_schema.c.version)).scalar_one())
        return {
            "database": self.url.render_as_string(hide_password=True),
            "schema_version": schema,
            "version": int(version),
            "changed_at": _aware(changed_at).isoformat(),  # type: ignore[union-attr]
            "lists": {i.name: {"size": i.size, "exceptions": i.exceptions, "action": i.action.value,
                               "kind": i.kind.value, "updated_at": i.updated_at.isoformat(),
                               "updated_by": i.updated_by} for i in infos},
            "terms": sum(i.size for i in infos),
            "queue": self.queue_counts(),
            "audit_entries": audit_n,
            "last_change": ({"at": _aware(last.at).isoformat(), "actor": last.actor,  # type: ignore[union-attr]
                             "summary": last.summary} if last is not None else None),
        }


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


#: The largest row id or offset a database takes (SQLite and PostgreSQL: signed 64 bits).
_MAX_ROW = 2**63 - 1


def _check_id(value: int, what: str) -> None:
    """An id no database can hold (``/queue/99999999999999999999``) is simply not there."""
    if not 0 < value <= _MAX_ROW:
        raise NotFound(f"no {what} {value}")


def _clip(text: str, limit: int = 60) -> str:
    """``text`` shortened for an error message (a 10k-character term is not echoed whole)."""
    return text if len(text) <= limit else text[:limit] + f"… ({len(text):,} characters)"


#: The longest list description (the admin form's limit too).
MAX_DESCRIPTION_LENGTH = 500


def _check_replacement(replacement: str | None) -> str | None:
    """A censor text: one line of at most ``MAX_TERM_LENGTH`` characters (a line break would
    smuggle a term into the list's export); empty means none."""
    if replacement is None or not replacement.strip():
        return None
    if "\n" in replacement or "\r" in replacement:
        raise StoreError("the censor text must be one line")
    if len(replacement) > MAX_TERM_LENGTH:
        raise StoreError(f"the censor text is {len(replacement):,} characters long; the maximum is {MAX_TERM_LENGTH}")
    return replacement


def _check_description(description: str) -> str:
    if len(description) > MAX_DESCRIPTION_LENGTH:
        raise StoreError(f"the description is {len(description):,} characters long; "
                         f"the maximum is {MAX_DESCRIPTION_LENGTH}")
    return description


def _check_term(term: Term) -> None:
    """The limits of the stored form, for Term objects that did not come from ``Term.parse``."""
    if len(term.text) > MAX_TERM_LENGTH:
        raise StoreError(f"{_clip(term.text)!r}: term is {len(term.text):,} characters long; "
                         f"the maximum is {MAX_TERM_LENGTH}")
    if term.replacement is not None:
        try:
            _check_replacement(term.replacement)
        except StoreError as exc:
            raise StoreError(f"{_clip(term.text)!r}: {exc}") from None
    if term.note is not None and ("\n" in term.note or "\r" in term.note):
        raise StoreError(f"{_clip(term.text)!r}: the note must be one line")


def _preview(terms: Sequence[Term], limit: int = 10) -> str:
    shown = ", ".join(t.to_line() for t in terms[:limit])
    return shown + (f", … ({len(terms) - limit} more)" if len(terms) > limit else "")


def _load_limits_file(path: Path, *, required: bool = False) -> Any:
    if not path.is_file() and not required:
        return None
    limits_cls = _limits_api()
    if limits_cls is not None:
        return limits_cls.load(path)
    import tomllib

    try:
        return tomllib.loads(path.read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise WordlistError(str(exc), source=str(path)) from None


def _setup_sqlite(engine: Engine, busy_timeout: float) -> None:
    """WAL, foreign keys, a busy timeout, and real transactions: pysqlite's own BEGIN handling is
    switched off so that writes start with BEGIN IMMEDIATE (no lock upgrades, no SQLITE_BUSY
    deadlocks between processes) and reads see one snapshot."""

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cur = dbapi_connection.cursor()
        try:
            cur.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
            if engine.url.database not in (None, "", ":memory:"):
                cur.execute("PRAGMA journal_mode = WAL")
                cur.execute("PRAGMA synchronous = NORMAL")
            cur.execute("PRAGMA foreign_keys = ON")
        finally:
            cur.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get("forum_guard_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


# --------------------------------------------------------------------------------------------
# the hot-reloading ruleset source


def compile_snapshot(snapshot: Snapshot) -> Guard:
    """A Guard for a snapshot's lists and limits."""
    from ..engine.policy import Guard

    return Guard(list(snapshot.lists), limits_from_dict(snapshot.limits))


@dataclass(slots=True)
class _Loaded:
    version: int
    guard: Any
    loaded_at: float = field(default_factory=time.monotonic)


class StoreSource:
    """A ruleset source that follows the store: ``current()`` returns the compiled Guard in force.

    A background thread reads the store's version at most every ``reload_seconds``; when it
    changed, it compiles a new Guard and swaps it in atomically (one reference assignment).
    Requests never wait for a compile, except the very first ``current()`` of a process, which
    compiles synchronously. A failing compile keeps the old ruleset and is logged. Fork-safe: a
    forked worker starts its own thread on first use.
    """

    def __init__(self, store: Store, reload_seconds: float = 2.0, *,
                 compile: Callable[[Snapshot], Any] = compile_snapshot) -> None:
        self.store = store
        self.reload_seconds = float(reload_seconds)
        self._compile = compile
        self._loaded: _Loaded | None = None
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()
        self._failed_version: int | None = None
        #: the last compile or read error (None after a good reload)
        self.last_error: BaseException | None = None
        #: how many rulesets were compiled, and how long the last compile took (seconds)
        self.compiles = 0
        self.last_compile_seconds = 0.0

    @property
    def version(self) -> int | None:
        loaded = self._loaded
        return loaded.version if loaded else None

    def current(self) -> Guard:
        """The Guard in force. Cheap: one attribute read (after the first call)."""
        if os.getpid() != self._pid:
            self._after_fork()
        loaded = self._loaded
        if loaded is None:
            with self._lock:
                loaded = self._loaded
                if loaded is None:
                    snap = self.store.snapshot()
                    guard = self._timed_compile(snap)
                    loaded = self._loaded = _Loaded(snap.version, guard)
        if self._thread is None or not self._thread.is_alive():
            self._start()
        return loaded.guard

    def refresh(self) -> bool:
        """Check the version now and recompile in this thread if it changed; True if it swapped."""
        try:
            version = self.store.version()
        except Exception as exc:  # database unreachable: keep serving the old ruleset
            self.last_error = exc
            log.warning("forum_guard: cannot read the ruleset version: %s", exc)
            return False
        loaded = self._loaded
        if loaded is not None and version == loaded.version:
            return False
        if version == self._failed_version:
            return False
        try:
            snap = self.store.snapshot()
            guard = self._timed_compile(snap)
        except Exception as exc:
            self.last_error = exc
            self._failed_version = version
            log.exception("forum_guard: ruleset version %s did not compile; keeping version %s", version,
                          loaded.version if loaded else None)
            return False
        self._loaded = _Loaded(snap.version, guard)
        self.last_error = None
        self._failed_version = None
        log.info("forum_guard: ruleset version %s in force (compiled in %.3fs)", snap.version,
                 self.last_compile_seconds)
        return True

    def poke(self) -> None:
        """Ask the background thread to check now (after a change made in this process)."""
        self._wake.set()

    def close(self) -> None:
        """Stop the background thread."""
        self._stop.set()
        self._wake.set()
        t = self._thread
        if t is not None and t is not threading.current_thread():
            t.join(timeout=5)
        self._thread = None

    def _timed_compile(self, snap: Snapshot) -> Any:
        t0 = time.perf_counter()
        guard = self._compile(snap)
        self.last_compile_seconds = time.perf_counter() - t0
        self.compiles += 1
        return guard

    def _start(self) -> None:
        with self._lock:
            if (self._thread is not None and self._thread.is_alive()) or self._stop.is_set():
                return
            self._thread = threading.Thread(target=self._run, name="forum-guard-reload", daemon=True)
            self._thread.start()

    def _after_fork(self) -> None:
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread = None
        self.store.engine.dispose(close=False)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.reload_seconds)
            self._wake.clear()
            if self._stop.is_set():
                break
            try:
                self.refresh()
            except Exception:  # never let the thread die
                log.exception("forum_guard: ruleset reload failed")


# --------------------------------------------------------------------------------------------
# reviewing terms before they are saved: the Scunthorpe check, the impact preview, lint
# (shared by the admin page and the CLI; they use the real matcher through a Guard)

_HTML_TAG_RE = re.compile(r"<(?:[a-zA-Z][a-zA-Z0-9]*\b[^<>]*|/[a-zA-Z][a-zA-Z0-9]*\s*)>")
_INFLECTIONS = ("s", "es", "ed", "d", "ing", "er", "ers", "'s")
#: where the Scunthorpe check finds its dictionary (Debian's wamerican); english_words is the fallback
DICTIONARY_PATHS = ("/usr/share/dict/words", "/usr/share/dict/american-english")


def looks_like_html(text: str) -> bool:
    """Whether a stored post is HTML (from a rich editor) rather than plain text."""
    return _HTML_TAG_RE.search(text) is not None


@functools.lru_cache(maxsize=4)
def dictionary_words(path: str | None = None) -> tuple[str, ...]:
    """Lower-case dictionary words (letters only), from ``path``, the system dictionary, or the
    english_words package. Empty when none is found."""
    candidates = [path] if path else list(DICTIONARY_PATHS)
    for candidate in candidates:
        if candidate and os.path.isfile(candidate):
            with open(candidate, encoding="utf-8", errors="replace") as fh:
                words = {w for w in (line.strip() for line in fh) if w.isalpha() and w.islower()}
            return tuple(sorted(words))
    try:
        from english_words import get_english_words_set
    except ImportError:
        return ()
    return tuple(sorted(w for w in get_english_words_set(["web2"], lower=True) if w.isalpha()))


def scan_lines(guard: Guard, lines: Sequence[str], *, group: str = "member",
               chunk_chars: int = 60_000) -> dict[int, list[Any]]:
    """Check many short texts in bulk: they are joined into large chunks (one check each) and the
    matches mapped back to the line they fall in; each line with a match is then checked alone, so
    nothing is reported that joining the lines caused. Returns line index -> that line's matches."""
    chunk_chars = min(chunk_chars, max(1000, guard.limits.hard_cap - 1000))
    candidates: set[int] = set()
    start = 0
    while start < len(lines):
        end = start
        size = 0
        while end < len(lines) and (size + len(lines[end]) + 1 <= chunk_chars or end == start):
            size += len(lines[end]) + 1
            end += 1
        offsets = []
        pos = 0
        for line in lines[start:end]:
            offsets.append(pos)
            pos += len(line) + 1
        verdict = guard.check("\n".join(lines[start:end]), group=group)
        for m in verdict.matches:
            i = bisect.bisect_right(offsets, m.start) - 1
            candidates.add(start + i)
            j = bisect.bisect_right(offsets, max(m.start, m.end - 1)) - 1
            candidates.add(start + j)
        start = end
    out: dict[int, list[Any]] = {}
    for i in sorted(candidates):
        if len(lines[i]) > guard.limits.hard_cap:
            continue
        matches = list(guard.check(lines[i], group=group).matches)
        if matches:
            out[i] = matches
    return out


def _intended(word: str, term: Term, inflections: bool) -> bool:
    text = term.text.casefold()
    if word == text:
        return True
    return inflections and any(word == text + s for s in _INFLECTIONS)


def dictionary_hits(wordlist: WordList, terms: Sequence[Term] | None = None, *,
                    words: Sequence[str] | None = None, intended: bool = False) -> dict[str, list[str]]:
    """The dictionary words each term would hit with the real matcher: term pattern -> words.

    ``terms`` (default: the list's) are checked with the list's options and its exceptions, in a
    Guard of their own. A term's own word and its inflections are left out unless ``intended``.
    """
    from ..engine.policy import Guard

    if wordlist.kind is not ListKind.TERMS:
        return {}
    checked = [t for t in (wordlist.terms if terms is None else terms) if not t.exception]
    if not checked:
        return {}
    probe = wordlist.with_terms([*checked, *wordlist.exceptions])
    guard = Guard([probe])
    words = dictionary_words() if words is None else words
    by_pattern = {t.pattern: t for t in checked}
    out: dict[str, list[str]] = {}
    for i, matches in scan_lines(guard, list(words)).items():
        word = words[i]
        for pattern in dict.fromkeys(m.term for m in matches):
            term = by_pattern.get(pattern)
            if term is None or (not intended and _intended(word, term, wordlist.inflections)):
                continue
            out.setdefault(pattern, []).append(word)
    return out


@dataclass(frozen=True, slots=True)
class Impact:
    """How many of the recent posts a candidate change would have caught."""

    checked: int
    caught: int
    #: (post excerpt, matched text) for a few caught posts
    examples: tuple[tuple[str, str], ...] = ()


def impact_preview(wordlist: WordList, terms: Sequence[Term], posts: Sequence[str], *,
                   examples: int = 5) -> Impact:
    """How many of ``posts`` the ``terms`` (with the list's options and exceptions) would catch."""
    from ..engine.policy import Guard

    checked = [t for t in terms if not t.exception]
    if not checked or not posts:
        return Impact(checked=len(posts), caught=0)
    guard = Guard([wordlist.with_terms([*checked, *wordlist.exceptions])])
    caught = 0
    shown: list[tuple[str, str]] = []
    for post in posts:
        if len(post) > guard.limits.hard_cap:
            continue
        verdict = guard.check(post, html=looks_like_html(post))
        if verdict.matches:
            caught += 1
            if len(shown) < examples:
                m = verdict.matches[0]
                text = verdict.sanitized
                lo, hi = max(0, m.start - 40), min(len(text), m.end + 40)
                excerpt = _HTML_TAG_RE.sub(" ", text[lo:hi]) if verdict.is_html else text[lo:hi]
                shown.append((" ".join(excerpt.split()), m.matched))
    return Impact(checked=len(posts), caught=caught, examples=tuple(shown))


@dataclass(frozen=True, slots=True)
class Finding:
    """One lint finding about a term."""

    list: str
    term: str
    kind: str  # "duplicate", "shadowed", "dictionary", "wildcard"
    message: str
    words: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"list": self.list, "term": self.term, "kind": self.kind, "message": self.message}
        if self.words:
            d["words"] = list(self.words)
        return d


def lint_lists(lists: Sequence[WordList], *, only: str | None = None, words: Sequence[str] | None = None,
               dictionary: bool = True, many_words: int = 20) -> list[Finding]:
    """Duplicates across lists, terms shadowed by others, dictionary words hit, risky wildcards."""
    from ..engine.policy import Guard

    findings: list[Finding] = []
    targets = [wl for wl in lists if only is None or wl.name == only]
    where: dict[str, list[tuple[str, Action]]] = {}
    for wl in lists:
        for t in wl.words:
            where.setdefault(term_key(t), []).append((wl.name, wl.action))
    for wl in targets:
        for t in wl.words:
            others = [f"{n} ({a.value})" for n, a in where.get(term_key(t), ()) if n != wl.name]
            if others:
                findings.append(Finding(wl.name, t.pattern, "duplicate", f"also in {', '.join(others)}"))
    # shadowed: a term whose own text is caught by another term of the same or a stronger list
    term_lists = [wl for wl in lists if wl.kind is ListKind.TERMS]
    if term_lists:
        guard = Guard(term_lists)
        for wl in targets:
            if wl.kind is not ListKind.TERMS:
                continue
            words_of = list(wl.words)
            hits = scan_lines(guard, [t.text for t in words_of])
            for i, matches in hits.items():
                t = words_of[i]
                refs = {(m.list, m.term) for m in matches if (m.list, m.term) != (wl.name, t.pattern)
                        and m.start == 0 and m.end == len(t.text) and m.action.severity >= wl.action.severity}
                by = sorted({(name, o.pattern) for name, o in _terms_of(lists, refs)
                             if o.wildcard_start >= t.wildcard_start and o.wildcard_end >= t.wildcard_end})
                if by:
                    findings.append(Finding(wl.name, t.pattern, "shadowed",
                                            "already caught by " + ", ".join(f"{n}: {p}" for n, p in by)))
    for wl in targets:
        if wl.kind is not ListKind.TERMS:
            continue
        for t in wl.words:
            letters = sum(ch.isalnum() for ch in t.text)
            if (t.wildcard_start or t.wildcard_end) and letters <= 2:
                findings.append(Finding(wl.name, t.pattern, "wildcard",
                                        f"wildcard on {letters} letter(s) matches far too much"))
            elif t.wildcard_start and t.wildcard_end and letters <= 4:
                findings.append(Finding(wl.name, t.pattern, "wildcard",
                                        "*…* on a short term matches inside many words"))
        if dictionary:
            for pattern, hit in dictionary_hits(wl, words=words).items():
                msg = f"hits {_count(len(hit), 'dictionary word')}: {', '.join(hit[:8])}" + (
                    ", …" if len(hit) > 8 else "")
                findings.append(Finding(wl.name, pattern, "dictionary", msg, tuple(hit)))
                t = Term.parse(pattern)
                if (t.wildcard_start or t.wildcard_end) and len(hit) >= many_words:
                    findings.append(Finding(wl.name, pattern, "wildcard",
                                            f"suspicious wildcard: hits {len(hit)} dictionary words"))
    return findings


def _terms_of(lists: Sequence[WordList], refs: Iterable[tuple[str, str]]) -> list[tuple[str, Term]]:
    by_list = {wl.name: wl for wl in lists}
    out: list[tuple[str, Term]] = []
    for name, pattern in refs:
        wl = by_list.get(name)
        if wl is not None:
            out.extend((name, t) for t in wl.words if t.pattern == pattern)
    return out
