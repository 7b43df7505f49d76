"""forum_guard: a content-moderation filter a forum plugs in.

The package reads as layers, each knowing only the ones before it:

- :mod:`forum_guard.engine`: terms, folding, matching, draft analysis, limits, policy, rendering.
  Plain Python: no Flask, no SQL.
- :mod:`forum_guard.store`: lists, terms, limits, moderation queue and audit log in a database.
- :mod:`forum_guard.web`: the Flask extension (``ForumGuard``), its live-check API, validators,
  signals and the moderators' admin blueprint.
- :mod:`forum_guard.cli`: the ``forum-guard`` command (and ``flask guard``).
- :mod:`forum_guard.demo`: a small forum that plugs all of it in.

Every public name is imported on first use: ``from forum_guard import Guard`` costs only the
engine, and the Flask names (``ForumGuard``, ``signals``) load Flask only when asked for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .engine.actions import Action
    from .engine.limits import GroupLimits, Limits, Messages
    from .engine.policy import Guard
    from .engine.terms import ListKind, Term, WordList, dump_wordlist, load_wordlist, load_wordlists, parse_wordlist
    from .engine.verdict import Match, Verdict, Violation, ViolationKind
    from .errors import EmptyRulesetError, ForumGuardError, LimitsError, WordlistError
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

#: public name -> (module, attribute; None for the module itself): imported on first use, so that
#: ``import forum_guard`` (and the CLI's start-up) costs nothing until a name is needed
_LAZY: dict[str, tuple[str, str | None]] = {
    **{name: ("forum_guard.engine.terms", name) for name in (
        "ListKind", "Term", "WordList", "dump_wordlist", "load_wordlist", "load_wordlists", "parse_wordlist")},
    **{name: ("forum_guard.engine.verdict", name) for name in ("Match", "Verdict", "Violation", "ViolationKind")},
    **{name: ("forum_guard.engine.limits", name) for name in ("GroupLimits", "Limits", "Messages")},
    **{name: ("forum_guard.errors", name) for name in (
        "EmptyRulesetError", "ForumGuardError", "LimitsError", "WordlistError")},
    "Action": ("forum_guard.engine.actions", "Action"),
    "Guard": ("forum_guard.engine.policy", "Guard"),
    "ForumGuard": ("forum_guard.web.extension", "ForumGuard"),
    "signals": ("forum_guard.web.signals", None),
}


def __getattr__(name: str) -> Any:
    """A public name, imported when first asked for."""
    try:
        module_name, attribute = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'forum_guard' has no attribute {name!r}") from None
    import importlib

    module = importlib.import_module(module_name)
    value = module if attribute is None else getattr(module, attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
