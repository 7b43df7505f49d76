"""``flask guard …``: the store commands in a host app, with the app's store (its ForumGuard's)."""

from __future__ import annotations

from flask.cli import AppGroup

from .lazy import STORE_COMMANDS, LazyGroup

__all__ = ["flask_group"]


class _LazyAppGroup(LazyGroup, AppGroup):
    """Flask's command group, importing each command when it runs."""


#: ``flask guard …``: the same commands, with the store and lists taken from the app's config.
flask_group = _LazyAppGroup("guard", help="forum_guard: word lists, moderation and checks.",
                            lazy_commands=STORE_COMMANDS)
