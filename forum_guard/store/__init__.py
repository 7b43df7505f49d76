"""The store: lists, terms, limits, the moderation queue and the audit log in a SQL database.

The package reads as its parts:

- :mod:`.records`: the value objects its methods return (ListInfo, TermRow, QueueItem, …);
- :mod:`.schema`: the tables, the audit log's triggers, SQLite's set-up, the migrations;
- :mod:`.base`: the engine, transactions, the ruleset version; :mod:`.rules` (lists, terms,
  import/export, seeding), :mod:`.limits`, :mod:`.queue` and :mod:`.audit` build on it, and
  :class:`Store` (:mod:`.store`) is all of them in one object;
- :mod:`.source`: :class:`StoreSource`, the hot-reloading ruleset source of the web extension;
- :mod:`.location`: where the store is when nobody says (never the current folder).

The interchange formats and the reviews (lint, the Scunthorpe check) hold no SQL and live in the
engine (:mod:`forum_guard.engine.formats`, :mod:`forum_guard.engine.review`); they are re-exported
here under the names they always had.
"""

from __future__ import annotations

from ..engine.formats import (
    MAX_IMPORT_BYTES,
    ExportFormat,
    ImportFormat,
    export_text,
    parse_import_file,
    parse_import_text,
    term_key,
)
from ..engine.review import (
    Finding,
    Impact,
    dictionary_hits,
    dictionary_words,
    impact_preview,
    lint_lists,
    looks_like_html,
    scan_lines,
)
from ..errors import AlreadyDecided, AlreadyExists, EmptyRulesetError, NoStoreError, NotFound, StoreError
from .base import MAX_TERMS, default_max_terms
from .limits import limits_from_dict, limits_to_dict
from .location import DATABASE_URL_ENV, default_database_url, display_url, sqlite_file, user_database_url
from .queue import QUEUE_REASONS, QUEUE_STATUSES
from .records import AuditEntry, ChangeResult, ImportResult, ListInfo, QueueItem, Snapshot, TermRow
from .rules import MAX_DESCRIPTION_LENGTH
from .schema import SCHEMA_VERSION
from .source import StoreSource, compile_snapshot, require_lists
from .store import Store

__all__ = [
    "DATABASE_URL_ENV",
    "DEFAULT_DATABASE_URL",
    "MAX_DESCRIPTION_LENGTH",
    "MAX_IMPORT_BYTES",
    "MAX_TERMS",
    "QUEUE_REASONS",
    "QUEUE_STATUSES",
    "SCHEMA_VERSION",
    "AlreadyDecided",
    "AlreadyExists",
    "AuditEntry",
    "ChangeResult",
    "EmptyRulesetError",
    "ExportFormat",
    "Finding",
    "Impact",
    "ImportFormat",
    "ImportResult",
    "ListInfo",
    "NoStoreError",
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
    "display_url",
    "export_text",
    "impact_preview",
    "limits_from_dict",
    "limits_to_dict",
    "lint_lists",
    "looks_like_html",
    "parse_import_file",
    "parse_import_text",
    "require_lists",
    "scan_lines",
    "sqlite_file",
    "term_key",
    "user_database_url",
]


def __getattr__(name: str) -> str:
    """``DEFAULT_DATABASE_URL``: the per-user store, worked out when asked for (it depends on the
    user's environment, so it is not frozen at import)."""
    if name == "DEFAULT_DATABASE_URL":
        return user_database_url()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
