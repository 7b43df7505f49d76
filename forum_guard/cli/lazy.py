"""A click group that imports a command's module only when that command runs.

``forum-guard --version`` and ``--help`` then cost the command line's own start-up, not the store,
SQLAlchemy, Flask and the demo forum. ``--help`` lists the commands from :data:`STORE_COMMANDS` and
:data:`MAIN_COMMANDS` without importing them (a test checks that each short help is the command's own).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import click

__all__ = ["MAIN_COMMANDS", "STORE_COMMANDS", "LazyCommand", "LazyGroup"]


@dataclass(frozen=True, slots=True)
class LazyCommand:
    """Where a command lives (``"module:attribute"``) and its short help for ``--help``."""

    target: str
    short_help: str

    def help_line(self, limit: int = 45) -> str:
        """The short help as ``--help`` shows it (shortened as click shortens a command's own)."""
        return click.Command(None, help=self.short_help).get_short_help_str(limit)

    def load(self) -> click.Command:
        module_name, _, attribute = self.target.partition(":")
        command = getattr(importlib.import_module(module_name), attribute)
        if not isinstance(command, click.Command):  # pragma: no cover - a wrong registry entry
            raise TypeError(f"{self.target} is not a click command")
        return command


def _cmd(target: str, short_help: str) -> LazyCommand:
    return LazyCommand(f"forum_guard.cli.{target}", short_help)


#: The store commands: ``forum-guard …`` and ``flask guard …`` alike.
STORE_COMMANDS: Mapping[str, LazyCommand] = {
    "init": _cmd("lists:init_cmd", "Create the store and seed it with the shipped lists (a store with lists is left alone)."),
    "lists": _cmd("lists:lists_cmd", "Show every list with its action, size and last change."),
    "show": _cmd("lists:show_cmd", "Show a list's settings and terms (who added each, and when, with --json)."),
    "add": _cmd("lists:add_cmd", "Add TERMs to a list (wordlist syntax: word, word*, *word, !exception, 'two words'; '-' reads stdin)."),
    "remove": _cmd("lists:remove_cmd", "Remove TERMs from a list (matched case-insensitively, with their wildcards; '-' reads stdin)."),
    "create-list": _cmd("lists:create_list_cmd", "Create an empty list (and the store, if there is none yet)."),
    "delete-list": _cmd("lists:delete_list_cmd", "Delete a list and its terms (the audit log keeps a copy)."),
    "import": _cmd("import_export:import_cmd", "Import word lists from FILEs in one transaction: a bad file changes nothing."),
    "export": _cmd("import_export:export_cmd", "Export a list (or every list into a folder) in a file format."),
    "lint": _cmd("lists:lint_cmd", "Find duplicates, shadowed terms, terms that hit dictionary words, risky wildcards."),
    "test": _cmd("lists:test_cmd", "Check TEXT against the store's rules and show the verdict with highlights."),
    "scan": _cmd("scan:scan_cmd", "Check a backlog of posts (JSONL, CSV or a forum's SQLite database) against the store's rules."),
    "stats": _cmd("moderation:stats_cmd", "Lists, terms, queue and audit counts, and the ruleset version."),
    "limits": _cmd("moderation:limits_cmd", "Show the limits per group (as stored, else the defaults), or change them with --set."),
    "queue": _cmd("moderation:queue_cmd", "Posts held for approval and flagged posts."),
    "approve": _cmd("moderation:approve_cmd", "Approve a queued post (under ``flask guard`` the host is notified through queue_decided)."),
    "reject": _cmd("moderation:reject_cmd", "Reject a queued post."),
    "audit": _cmd("moderation:audit_cmd", "Read the audit log, newest first."),
}

#: ``forum-guard``'s commands: the store commands, ``check`` and the demo forum.
MAIN_COMMANDS: Mapping[str, LazyCommand] = {
    "check": _cmd("check:check", "Check TEXT (or --file, or JSONL on stdin) and print the verdict."),
    "demo": LazyCommand("forum_guard.demo.commands:demo",
                        "Run the demo forum on http://127.0.0.1:5000 (topics, replies, the live-checking editor)."),
    **STORE_COMMANDS,
}


class LazyGroup(click.Group):
    """A group whose commands are imported on first use (``lazy_commands``: name → LazyCommand)."""

    def __init__(self, *args: Any, lazy_commands: Mapping[str, LazyCommand] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_commands: dict[str, LazyCommand] = dict(lazy_commands or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy_commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy_commands:
            self.add_command(self.lazy_commands[cmd_name].load(), cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list of ``--help``, from the registry for commands not imported yet."""
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            command = self.commands.get(name)
            if command is not None:
                if command.hidden:
                    continue
                rows.append((name, command.get_short_help_str(limit)))
            else:
                rows.append((name, self.lazy_commands[name].help_line(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)
