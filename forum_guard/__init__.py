"""forum_guard: a content-moderation filter a forum plugs in.

The package reads as layers, each knowing only the ones before it:

- :mod:`forum_guard.engine`: terms, folding, matching, draft analysis, limits, policy, rendering.
  Plain Python: no Flask, no SQL.
- :mod:`forum_guard.store`: lists, terms, limits, moderation queue and audit log in a database.
- :mod:`forum_guard.web`: the Flask extension (``ForumGuard``), its live-check API, validators,
  signals and the moderators' admin blueprint.
- :mod:`forum_guard.cli`: the ``forum-guard`` command (and ``flask guard``).
- :mod:`forum_guard.demo`: a small forum that plugs all of it in.

``from forum_guard import Guard`` costs only the engine; the Flask names (``ForumGuard``,
``signals``) are imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .engine.actions import Action
from .engine.limits import GroupLimits, Limits, Messages
from .engine.policy import Guard
from .engine.terms import ListKind, Term, WordList, dump_wordlist, load_wordlist, load_wordlists, parse_wordlist
from .engine.verdict import Match, Verdict, Violation, ViolationKind
from .errors import EmptyRulesetError, ForumGuardError, LimitsError, WordlistError

if TYPE_CHECKING:
    from .web import signals
    from .web.extension import ForumGuard

__version__ = "0.2.0"

__all__ = [
    "Action",
    "EmptyRulesetError",
    "ForumGuard",
    "ForumGuardError",
    "GroupLimits",
    "Guard",
    "Limits",
    "LimitsError",
    "ListKind",
    "Match",
    "Messages",
    "Term",
    "Verdict",
    "Violation",
    "ViolationKind",
    "WordList",
    "WordlistError",
    "__version__",
    "dump_wordlist",
    "load_wordlist",
    "load_wordlists",
    "parse_wordlist",
    "signals",
]

_LAZY = {"ForumGuard": ("forum_guard.web.extension", "ForumGuard"), "signals": ("forum_guard.web.signals", None)}


def __getattr__(name: str) -> Any:
    """The Flask edge's names, imported when first asked for (the engine stays Flask-free)."""
    try:
        module_name, attribute = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'forum_guard' has no attribute {name!r}") from None
    import importlib

    module = importlib.import_module(module_name)
    value = module if attribute is None else getattr(module, attribute)
    globals()[name] = value
    return value
