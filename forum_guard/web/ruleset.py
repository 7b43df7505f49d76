"""Where an app's rules come from, decided once when the extension is set up, and never nothing.

The store (``FORUM_GUARD_USE_STORE``, the default) is opened, and seeded from the wordlists folder
when it has no lists yet; otherwise the folder itself is the ruleset. Either way the ruleset is
compiled here, at start-up, and one that holds no list at all is an
:class:`~forum_guard.errors.EmptyRulesetError` naming what was looked at: a filter with nothing in
force would let every post through without a word.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask

from ..engine.data import SHIPPED, shipped_dir
from ..engine.sources import DirectorySource, RulesetSource
from ..errors import EmptyRulesetError
from ..store import Store, StoreSource, default_database_url
from .config import ConfigKeys

__all__ = ["Ruleset", "open_ruleset", "wordlists_folder"]

log = logging.getLogger("forum_guard")


@dataclass(frozen=True, slots=True)
class Ruleset:
    """The source of an app's rules and the store behind it, and which of them the extension made."""

    source: RulesetSource
    store: Store | None
    owns_source: bool
    owns_store: bool


@dataclass(frozen=True, slots=True)
class _Folder:
    path: Path
    #: how messages name it: the config key and path, or the shipped lists
    label: str


def wordlists_folder(configured: str | Path | None) -> Path:
    """The wordlists folder in force: the configured one, else the lists shipped with forum_guard."""
    return Path(configured) if configured is not None else shipped_dir()


def open_ruleset(app: Flask, config: dict[str, Any], *, store: Store | None = None,
                 source: RulesetSource | None = None, wordlists: str | Path | None = None) -> Ruleset:
    """The ruleset of ``app``, compiled: the host's ``source`` or ``store`` when given, else the
    store at ``FORUM_GUARD_DATABASE_URL`` (unless ``FORUM_GUARD_USE_STORE`` is False), else the
    wordlists folder. ``wordlists`` is the configured folder (None: the shipped lists)."""
    path = wordlists_folder(wordlists)
    if wordlists is None:
        label = f"the shipped lists ({SHIPPED}, {path})"
    else:
        label = f"{ConfigKeys.WORDLISTS} = {str(wordlists)!r}"
        if not path.is_absolute():
            label += f" ({path.absolute()})"
    folder = _Folder(path, label)
    if source is not None:
        ruleset = Ruleset(source, store, owns_source=False, owns_store=False)
        what = f"the source {source!r}"
    elif store is not None or config[ConfigKeys.USE_STORE] is not False:
        owns_store = store is None
        if store is None:
            store = Store(config[ConfigKeys.DATABASE_URL] or default_database_url(app.instance_path))
        if config.get(ConfigKeys.MAX_KEY_CHARS) is not None:
            store.max_key_chars = int(config[ConfigKeys.MAX_KEY_CHARS])
        if config.get(ConfigKeys.COMPILE_BUDGET_MB) is not None:
            store.compile_budget_mb = int(config[ConfigKeys.COMPILE_BUDGET_MB])
        try:
            if owns_store or not store.exists():  # a host's store (Store(host_engine)) on a fresh database
                store.ensure_schema()
            _seed_if_empty(store, folder, seed=bool(config[ConfigKeys.SEED]))
        except Exception:
            if owns_store:
                store.close()  # refused before it was handed over: nothing keeps its connections
            raise
        ruleset = Ruleset(StoreSource(store, reload_seconds=float(config[ConfigKeys.RELOAD_SECONDS])), store,
                          owns_source=True, owns_store=owns_store)
        what = f"the store {store.display_url}"
    else:
        if not path.is_dir():
            raise EmptyRulesetError(f"{folder.label}: not a folder, so no rules would be in force. "
                                    f"Fix the path, or leave {ConfigKeys.WORDLISTS} unset for the shipped lists.")
        ruleset = Ruleset(DirectorySource(path), None, owns_source=True, owns_store=False)
        what = folder.label
    try:
        guard = ruleset.source.current()  # compiled now, not on the first request; bad lists fail here
    except Exception:
        _close(ruleset)
        raise
    if not guard.lists:
        _close(ruleset)
        raise EmptyRulesetError(f"{what} holds no word lists, so no rules would be in force.")
    return ruleset


def _seed_if_empty(store: Store, folder: _Folder, *, seed: bool) -> None:
    """Seed a store without lists from the folder (and log it); still none is an error."""
    if store.list_names():
        return
    where = f"the store {store.display_url} holds no lists"
    if not seed:
        raise EmptyRulesetError(f"{where} and {ConfigKeys.SEED} is False. Import lists into it "
                                f"(forum-guard import), or turn seeding on to fill it from {folder.label}.")
    if not folder.path.is_dir():
        raise EmptyRulesetError(f"{where}, and {folder.label} is not a folder to seed it from. "
                                f"Fix the path, or leave {ConfigKeys.WORDLISTS} unset for the shipped lists.")
    if store.seed_from_directory(folder.path):
        log.info("forum_guard: the store %s had no lists; seeded it with %d lists from %s",
                 store.display_url, len(store.list_names()), folder.label)
    if not store.list_names():
        raise EmptyRulesetError(f"{where}, and {folder.label} has no word lists (*.txt) to seed it from.")


def _close(ruleset: Ruleset) -> None:
    """Undo what :func:`open_ruleset` started, when it fails after starting it."""
    if ruleset.owns_source and isinstance(ruleset.source, StoreSource):
        ruleset.source.close()
    if ruleset.owns_store and ruleset.store is not None:
        ruleset.store.close()
