"""What the commands print: JSON for machines, tables and verdicts for people, notes on stderr."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import click

from ..engine.verdict import Verdict

__all__ = ["echo_json", "note", "print_verdict", "shown", "table", "when"]

#: What a terminal would act on instead of printing: C0 and C1 controls (ESC starts a sequence that
#: can retitle the window, move the cursor, rewrite lines), DEL, and the bidi controls that reorder
#: what follows them. Text that a poster or a list author wrote is shown with these escaped.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_CONTROLS_AND_NEWLINES = re.compile(_CONTROLS.pattern[:-1] + "\n\t]")


def _escape(m: re.Match[str]) -> str:
    code = ord(m.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def shown(text: object, *, newlines: bool = False) -> str:
    """``text`` safe to print on a terminal: controls written as ``\\x1b``-style escapes, so posts and
    names from the forum cannot send escape sequences to the moderator's terminal. ``newlines``
    keeps line breaks and tabs (a whole draft); otherwise they are escaped too (one-line listings)."""
    return (_CONTROLS if newlines else _CONTROLS_AND_NEWLINES).sub(_escape, str(text))


def note(message: str) -> None:
    """A note for the person at the terminal, on stderr: stdout stays the command's data
    (``--json`` output, an export) and machine-readable."""
    click.echo(f"forum-guard: {message}", err=True)


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, default=str))


def table(rows: Sequence[Sequence[Any]], header: Sequence[str]) -> None:
    cells = [[shown(c) for c in header]] + [[("" if c is None else shown(c)) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    for n, r in enumerate(cells):
        line = "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
        click.echo(click.style(line, bold=True) if n == 0 else line)


def when(dt: datetime | None) -> str:
    return dt.astimezone().strftime("%Y-%m-%d %H:%M") if dt else ""


def print_verdict(verdict: Verdict) -> None:
    """A verdict for a terminal: the action, the messages, the violations, the draft with each
    match highlighted, and where each match came from."""
    colour = verdict.action.colour
    click.echo(click.style(f"action: {verdict.action.value}", fg=colour, bold=True)
               + (f"  (exempt group {verdict.group}; would be {verdict.exempt_action.value})"
                  if verdict.exempt and verdict.exempt_action else ""))
    for message in verdict.messages:
        click.echo(f"  {shown(message)}")
    for violation in verdict.violations:
        detail = f" {violation.count}/{violation.limit}" if violation.limit is not None else ""
        source = f" [{violation.list}]" if violation.list else ""
        click.echo(shown(f"  - {violation.kind.value}{source}:{detail} {violation.action.value}"))
    if verdict.matches:
        click.echo("")
        click.echo(_highlight_terminal(verdict))
        click.echo("")
        for m in verdict.matches:
            click.echo(shown(f"  {m.start}-{m.end}  {m.matched!r}  ← {m.list}: {m.term} ({m.action.value})"))


def _highlight_terminal(verdict: Verdict) -> str:
    text = verdict.sanitized
    pieces: list[str] = []
    pos = 0
    spans = sorted({s for m in verdict.matches for s in m.spans})
    for start, end in spans:
        if start < pos:
            continue
        pieces.append(shown(text[pos:start], newlines=True))
        pieces.append(click.style(shown(text[start:end], newlines=True), fg="red", bold=True, underline=True,
                                  reverse=True))
        pos = end
    pieces.append(shown(text[pos:], newlines=True))
    return "".join(pieces)
