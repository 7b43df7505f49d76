"""What the extension keeps per app, in ``app.extensions["forum_guard"]``, and the way back to it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app

from ..engine.sources import RulesetSource
from ..store import Store
from .ratelimit import RateLimiter

if TYPE_CHECKING:
    from .extension import ForumGuard

__all__ = ["EXTENSION_KEY", "GuardState", "guard_state"]

#: The key of :class:`GuardState` in ``app.extensions``.
EXTENSION_KEY = "forum_guard"


@dataclass
class GuardState:
    """What :class:`~forum_guard.web.extension.ForumGuard` keeps for one app."""

    ext: ForumGuard
    #: where the ruleset in force comes from (``current()`` gives a Guard)
    source: RulesetSource
    #: the database store, or None when the rules come from a folder only
    store: Store | None
    #: the resolved ``FORUM_GUARD_*`` settings
    config: dict[str, Any]
    #: endpoint -> {field: markup name}
    protect: dict[str, dict[str, str]] = field(default_factory=dict)
    #: the live check's per-client limit (``FORUM_GUARD_LIVE_CHECK_RATE``), None when off
    live_check_limiter: RateLimiter | None = None
    #: the guarded posts' per-client limit (``FORUM_GUARD_POST_RATE``), None when off
    post_limiter: RateLimiter | None = None
    #: init_app opened the store itself (so :meth:`ForumGuard.close` closes it; a host's store stays open)
    owns_store: bool = False
    #: init_app made the source itself (so :meth:`ForumGuard.close` stops it)
    owns_source: bool = False


def guard_state(app: Flask | None = None) -> GuardState:
    """The state of ``app`` (default: the current app); a clear error when ForumGuard is not set up."""
    app = app or current_app
    try:
        state: GuardState = app.extensions[EXTENSION_KEY]
    except KeyError:
        raise RuntimeError("forum_guard is not set up on this app: call ForumGuard(app) or init_app(app)") from None
    return state
