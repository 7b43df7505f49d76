"""``forum-guard`` command line (and the ``flask guard`` group for a host app).

The package reads as its parts: :mod:`.lazy` (the group that imports a command only when it runs,
so ``--help`` and ``--version`` start fast), :mod:`.check` (``check``, no store), :mod:`.common`
(which store, who may change it, options, errors) and :mod:`.output`, the store commands in
:mod:`.lists`, :mod:`.import_export` and :mod:`.moderation`, and the backlog scan: its engine
(:mod:`.scanner`) and its command (:mod:`.scan`). ``flask guard`` is :mod:`.app_group`.

Exit codes: 0 ok, 1 a failure the user can fix (bad list, a JSONL line that failed, no store), 2 usage.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from .lazy import MAIN_COMMANDS, LazyGroup

if TYPE_CHECKING:
    from flask.cli import AppGroup

    flask_group: AppGroup

__all__ = ["default_wordlists_dir", "flask_group", "main"]


@click.group(cls=LazyGroup, lazy_commands=MAIN_COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="forum-guard")
def main() -> None:
    """forum_guard: check drafts against word lists and limits, edit lists, run the demo forum."""


def __getattr__(name: str) -> Any:
    """``flask_group`` (it needs Flask) and ``default_wordlists_dir``, imported when first asked for."""
    if name == "flask_group":
        from .app_group import flask_group

        return flask_group
    if name == "default_wordlists_dir":
        from .check import default_wordlists_dir

        return default_wordlists_dir
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
