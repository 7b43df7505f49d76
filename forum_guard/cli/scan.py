"""``forum-guard scan``: the command over the backlog scan engine (:mod:`forum_guard.cli.scanner`):
its options, the progress on stderr and the summary."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import click

from ..engine.limits import GROUPS
from ..store import require_lists
from .common import database_option, handle_errors, json_option, open_store
from .output import echo_json, note
from .scanner import BacklogScan, ScanRequest

__all__ = ["scan_cmd"]

#: seconds between two progress lines when stderr is not a terminal (a log file, CI)
PROGRESS_EVERY = 10.0


@click.command("scan")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["auto", "jsonl", "csv", "sqlite"]), default="auto",
              show_default=True, help="auto: by suffix (.jsonl/.json, .csv, .sqlite/.db).")
@click.option("--table", help="SQLite: the table of posts (default: found by its text column).")
@click.option("--column", help="The text field/column (default: text, content, body, html, …).")
@click.option("--id-column", help="The id field/column (default: id).")
@click.option("--group", type=click.Choice(GROUPS), default="member", show_default=True,
              help="Author group to check as (a JSONL 'group' field wins).")
@click.option("--html/--text", "html", default=None, help="Posts are HTML / plain text (default: detect).")
@click.option("--jobs", "-j", type=click.IntRange(min=0), default=0, help="Worker processes (default: one per CPU).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, allow_dash=True),
              help="Write one JSON line per post that is not allowed ('-': stdout).")
@click.option("--top", type=int, default=10, show_default=True, help="Terms shown per list in the summary.")
@click.option("--state", "state_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Checkpoint file: where the scan is in SOURCE and what it has counted, written atomically "
                   "every --checkpoint-every posts, so that an interrupted scan can go on with --resume.")
@click.option("--resume", is_flag=True,
              help="Go on from the --state file of an interrupted scan; no post is counted twice.")
@click.option("--checkpoint-every", type=click.IntRange(min=1), default=10_000, show_default=True,
              help="Posts between two checkpoints (with --state).")
@database_option
@json_option
@handle_errors
def scan_cmd(source: Path, fmt: str, table: str | None, column: str | None, id_column: str | None, group: str,
             html: bool | None, jobs: int, output: str | None, top: int, state_file: Path | None, resume: bool,
             checkpoint_every: int, database: str | None, as_json: bool) -> None:
    """Check a backlog of posts (JSONL, CSV or a forum's SQLite database) against the store's rules.

    In parallel, streaming (memory does not grow with the backlog); summarises what each list would
    catch. With --state it checkpoints, and --resume goes on after an interruption (Ctrl+C, a kill,
    a crash). Exit 1 if some posts could not be read."""
    if resume and state_file is None:
        raise click.UsageError("--resume needs --state FILE (the checkpoint of the interrupted scan)")
    snapshot = open_store(database).snapshot()
    require_lists(snapshot)  # a scan against no list would report every post as allowed
    scan = BacklogScan(ScanRequest(
        source=source, format=fmt, table=table, column=column, id_column=id_column, group=group, html=html,
        output=output, jobs=jobs, state_file=state_file, resume=resume, checkpoint_every=checkpoint_every,
    ), snapshot)
    for message in scan.notes:
        note(message)
    if not scan.finished:
        _run_with_progress(scan)
    if scan.interrupted:
        where = f"; go on with --resume --state {state_file}" if state_file is not None else ""
        click.secho(f"interrupted after {scan.tally.posts:,} posts{where}", fg="yellow", err=True)
        sys.exit(130)
    _report(scan.summary(top), as_json)
    if scan.error_count:
        sys.exit(1)


def _run_with_progress(scan: BacklogScan) -> None:
    """A progress bar on stderr, and a line every :data:`PROGRESS_EVERY` seconds when stderr is
    not a terminal (the bar alone would say nothing in a log)."""
    periodic = not sys.stderr.isatty()
    started = last_note = time.monotonic()
    done_before = scan.tally.posts
    with click.progressbar(length=1, label="scanning", file=sys.stderr, show_pos=True) as bar:

        def progress(done: int, total: int) -> None:
            nonlocal last_note
            bar.length = max(total, 1)
            bar.update(min(done, total) - bar.pos)
            now = time.monotonic()
            if periodic and now - last_note >= PROGRESS_EVERY:
                last_note = now
                rate = (done - done_before) / max(now - started, 1e-9)
                click.echo(f"scanning: {done:,} of {total:,} posts ({rate:,.0f} posts/s)", err=True)

        scan.run(progress)


def _report(summary: dict[str, Any], as_json: bool) -> None:
    if as_json:
        echo_json(summary)
        return
    errors = summary["error_count"]
    click.echo(f"{summary['checked']} posts checked against ruleset version {summary['version']}"
               + (f", {errors} could not be read" if errors else ""))
    actions = sorted(summary["actions"].items(), key=lambda kv: -kv[1])
    click.echo("actions: " + ", ".join(f"{k} {v}" for k, v in actions))
    if summary["limits"]:
        limits = sorted(summary["limits"].items(), key=lambda kv: -kv[1])
        click.echo("limits: " + ", ".join(f"{k} {v}" for k, v in limits))
    for d in summary["lists"]:
        terms = ", ".join(f"{t} ×{n}" for t, n in d["top_terms"])
        click.echo(f"  {d['list']} ({d['action']}): {d['posts']} posts" + (f" — {terms}" if terms else ""))
    for e in summary["errors"][:10]:
        click.secho(f"error: {e['id']}: {e['error']}", fg="red", err=True)
