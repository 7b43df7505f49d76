"""``forum-guard check``: a draft (or JSONL of drafts) against a folder of word lists, by default
the lists shipped with forum_guard, from any folder."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any, TextIO

import click

from ..engine.data import SHIPPED, shipped_dir
from ..engine.limits import GROUPS
from ..engine.policy import Guard
from ..errors import ForumGuardError
from .output import echo_json, note, print_verdict

__all__ = ["WORDLISTS_ENV", "check", "default_wordlists_dir"]

#: Environment variable: the folder ``check`` reads when ``--lists`` is not given.
WORDLISTS_ENV = "FORUM_GUARD_WORDLISTS"


def default_wordlists_dir() -> Path:
    """``$FORUM_GUARD_WORDLISTS``, else the lists shipped with forum_guard."""
    env = os.environ.get(WORDLISTS_ENV)
    return Path(env) if env else shipped_dir()


def _load_guard(lists: Path | None) -> Guard:
    """The Guard of ``--lists``, ``$FORUM_GUARD_WORDLISTS`` or the shipped lists; says on stderr
    which it read. A folder without any list is an error: a check against nothing allows everything."""
    env = os.environ.get(WORDLISTS_ENV)
    if lists is not None:
        directory, origin = lists, "--lists"
    elif env:
        directory, origin = Path(env), f"${WORDLISTS_ENV}"
    else:
        directory, origin = shipped_dir(), "the shipped lists"
    shown = SHIPPED if lists is None and not env else str(directory)
    try:
        guard = Guard.from_directory(directory)  # a folder without lists is an error, never an allow
    except ForumGuardError as exc:
        raise click.ClickException(f"{exc} ({origin})") from None
    n = len(guard.lists)
    note(f"lists {shown} ({origin}): {n} list{'' if n == 1 else 's'}")
    return guard


@click.command("check")
@click.argument("text", required=False)
@click.option("--lists", "lists", type=click.Path(path_type=Path, file_okay=False),
              help=f"Folder of *.txt word lists (+ limits.toml). Default: ${WORDLISTS_ENV}, else the shipped lists.")
@click.option("--file", "file", type=click.File("r", encoding="utf-8"), help="Read the draft from a file ('-': stdin).")
@click.option("--html", is_flag=True, help="The draft is HTML from a rich editor (the same as --markup html).")
@click.option("--markup", type=click.Choice(["html", "markdown", "bbcode", "text"]), default=None,
              help="What the draft is written in. Default: text (html with --html).")
@click.option("--group", type=click.Choice(GROUPS), default="member", show_default=True, help="Author's member group.")
@click.option("--jsonl", is_flag=True, help='Read {"id":…, "text":…} lines from stdin (or --file), write one verdict a line.')
@click.option("--json", "as_json", is_flag=True, help="Print the verdict as JSON.")
def check(text: str | None, lists: Path | None, file: TextIO | None, html: bool, markup: str | None, group: str,
          jsonl: bool, as_json: bool) -> None:
    """Check TEXT (or --file, or JSONL on stdin) and print the verdict."""
    if not jsonl and text is None and file is None:
        raise click.UsageError("give TEXT, --file FILE or --jsonl")
    guard = _load_guard(lists)
    if jsonl:
        failed = _check_jsonl(guard, file or sys.stdin, sys.stdout, group=group, html=html, markup=markup)
        sys.stdout.flush()
        sys.exit(1 if failed else 0)
    if text is None:
        assert file is not None
        text = file.read()
    verdict = guard.check(text, markup=markup, html=html, group=group)
    if as_json:
        echo_json(verdict.to_dict())
    else:
        print_verdict(verdict)
    sys.exit(0)


def _check_jsonl(guard: Guard, lines_in: TextIO, out: TextIO, *, group: str, html: bool,
                 markup: str | None = None) -> int:
    """One verdict a line (a line that is not a valid request gets ``{"id", "error"}``; a line may
    carry its own ``"markup"`` or ``"html"``); returns how many lines failed."""
    failed = 0
    for lineno, line in enumerate(lines_in, start=1):
        if not line.strip():
            continue
        item_id: Any = None
        try:
            item = json.loads(line)
            if not isinstance(item, dict):
                raise ValueError("each line must be a JSON object")
            item_id = item.get("id", lineno)
            text = item.get("text")
            if not isinstance(text, str):
                raise ValueError('"text" must be a string')
            item_html = item.get("html", html)
            if not isinstance(item_html, bool):
                raise ValueError('"html" must be true or false')
            item_markup = item.get("markup", None if "html" in item else markup)
            if item_markup is not None and not isinstance(item_markup, str):
                raise ValueError('"markup" must be a string')
            item_group = item.get("group", group)
            verdict = guard.check(text, markup=item_markup, html=item_html, group=item_group)
            result = {"id": item_id, **verdict.to_dict()}
        except (ValueError, TypeError) as exc:
            failed += 1
            result = {"id": item_id if item_id is not None else lineno, "error": f"line {lineno}: {exc}"}
        out.write(json.dumps(result, ensure_ascii=False) + "\n")
    return failed
