"""The store commands as one click group, and the names older code imports from here.

The commands live in :mod:`.lists`, :mod:`.import_export`, :mod:`.moderation` and :mod:`.scan`;
``forum-guard`` and ``flask guard`` load them lazily (:mod:`.lazy`). :data:`cli` holds them all
(``python -m forum_guard.cli.store_commands``), and :func:`register` attaches them to another group.
"""

from __future__ import annotations

import click

from .common import OPERATORS_ENV, check_may_write, os_user
from .lazy import STORE_COMMANDS

__all__ = ["COMMANDS", "OPERATORS_ENV", "check_may_write", "cli", "os_user", "register"]

#: every store command, imported
COMMANDS: tuple[click.Command, ...] = tuple(entry.load() for entry in STORE_COMMANDS.values())


def register(*groups: click.Group) -> None:
    """Attach the store commands to click groups (a name a group has already is left alone)."""
    for group in groups:
        for command in COMMANDS:
            if command.name not in group.commands:
                group.add_command(command)


@click.group("forum-guard-store")
def cli() -> None:
    """The store commands alone (``python -m forum_guard.cli.store_commands``)."""


register(cli)

if __name__ == "__main__":  # pragma: no cover
    cli()
