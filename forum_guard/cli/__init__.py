"""``forum-guard`` command line (and the ``flask guard`` group for a host app).

Exit codes: 0 ok, 1 a failure the user can fix (bad list, a JSONL line that failed), 2 usage.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any, TextIO

import click
from flask.cli import AppGroup

from ..engine.limits import GROUPS
from ..engine.policy import Guard
from ..engine.verdict import Verdict
from ..errors import ForumGuardError

__all__ = ["default_wordlists_dir", "flask_group", "main"]

#: ``flask guard …``: the same commands, with the store and lists taken from the app's config.
flask_group = AppGroup("guard", help="forum_guard: word lists, moderation and checks.")


def default_wordlists_dir() -> Path:
    """``$FORUM_GUARD_WORDLISTS``, else the lists shipped with forum_guard."""
    env = os.environ.get("FORUM_GUARD_WORDLISTS")
    if env:
        return Path(env)
    from ..engine.data import shipped_dir

    return shipped_dir()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="forum-guard")
def main() -> None:
    """forum_guard: check drafts against word lists and limits, edit lists, run the demo forum."""


def _load_guard(lists: Path | None) -> Guard:
    directory = lists or default_wordlists_dir()
    try:
        return Guard.from_directory(directory)
    except ForumGuardError as exc:
        raise click.ClickException(str(exc)) from None


@main.command()
@click.argument("text", required=False)
@click.option("--lists", "lists", type=click.Path(path_type=Path, file_okay=False),
              help="Folder of *.txt word lists (+ limits.toml). Default: ./wordlists.")
@click.option("--file", "file", type=click.File("r", encoding="utf-8"), help="Read the draft from a file ('-': stdin).")
@click.option("--html", is_flag=True, help="The draft is HTML from a rich editor.")
@click.option("--group", type=click.Choice(GROUPS), default="member", show_default=True, help="Author's member group.")
@click.option("--jsonl", is_flag=True, help='Read {"id":…, "text":…} lines from stdin (or --file), write one verdict a line.')
@click.option("--json", "as_json", is_flag=True, help="Print the verdict as JSON.")
def check(text: str | None, lists: Path | None, file: TextIO | None, html: bool, group: str, jsonl: bool,
          as_json: bool) -> None:
    """Check TEXT (or --file, or JSONL on stdin) and print the verdict."""
    guard = _load_guard(lists)
    if jsonl:
        failed = _check_jsonl(guard, file or sys.stdin, sys.stdout, group=group, html=html)
        sys.stdout.flush()
        sys.exit(1 if failed else 0)
    if text is None:
        if file is None:
            raise click.UsageError("give TEXT, --file FILE or --jsonl")
        text = file.read()
    verdict = guard.check(text, html=html, group=group)
    if as_json:
        click.echo(json.dumps(verdict.to_dict(), ensure_ascii=False))
    else:
        _print_verdict(verdict)
    sys.exit(0)


def _check_jsonl(guard: Guard, lines_in: TextIO, out: TextIO, *, group: str, html: bool) -> int:
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
            item_group = item.get("group", group)
            verdict = guard.check(text, html=item_html, group=item_group)
            result = {"id": item_id, **verdict.to_dict()}
        except (ValueError, TypeError) as exc:
            failed += 1
            result = {"id": item_id if item_id is not None else lineno, "error": f"line {lineno}: {exc}"}
        out.write(json.dumps(result, ensure_ascii=False) + "\n")
    return failed


def _print_verdict(verdict: Verdict) -> None:
    colour = verdict.action.colour
    click.echo(click.style(f"action: {verdict.action.value}", fg=colour, bold=True)
               + (f"  (exempt group {verdict.group}; would be {verdict.exempt_action.value})"
                  if verdict.exempt and verdict.exempt_action else ""))
    for message in verdict.messages:
        click.echo(f"  {message}")
    for violation in verdict.violations:
        detail = f" {violation.count}/{violation.limit}" if violation.limit is not None else ""
        source = f" [{violation.list}]" if violation.list else ""
        click.echo(f"  - {violation.kind.value}{source}:{detail} {violation.action.value}")
    if verdict.matches:
        click.echo("")
        click.echo(_highlight_terminal(verdict))
        click.echo("")
        for m in verdict.matches:
            click.echo(f"  {m.start}-{m.end}  {m.matched!r}  ← {m.list}: {m.term} ({m.action.value})")


def _highlight_terminal(verdict: Verdict) -> str:
    text = verdict.sanitized
    pieces: list[str] = []
    pos = 0
    spans = sorted({s for m in verdict.matches for s in m.spans})
    for start, end in spans:
        if start < pos:
            continue
        pieces.append(text[pos:start])
        pieces.append(click.style(text[start:end], fg="red", bold=True, underline=True, reverse=True))
        pos = end
    pieces.append(text[pos:])
    return "".join(pieces)


from ..demo.commands import demo  # noqa: E402
from . import store_commands as cli_store  # noqa: E402,F401  (registers the list, store and scan commands)

main.add_command(demo)

if __name__ == "__main__":  # pragma: no cover
    main()
