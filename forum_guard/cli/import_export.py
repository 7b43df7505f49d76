"""``import`` and ``export``: word lists between files (the interchange formats of
:mod:`forum_guard.engine.formats`) and the store. An import is one transaction: a bad file changes
nothing."""

from __future__ import annotations

from pathlib import Path

import click

from ..engine.actions import Action
from ..engine.formats import ExportFormat, ImportFormat, export_text, parse_import_text, read_import_file
from ..engine.terms import ListKind, WordList
from ..errors import WordlistError
from .common import ACTIONS, ORIGIN, changed, database_option, handle_errors, json_option, open_store, os_user
from .output import echo_json

__all__ = ["export_cmd", "import_cmd"]

_IMPORT_FORMATS: tuple[ImportFormat, ...] = ("auto", "text", "plain", "csv")
_EXPORT_FORMATS: tuple[ExportFormat, ...] = ("text", "plain", "csv")


@click.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--list", "list_name", help="Import into this list (default: the file's header name or stem).")
@click.option("--format", "fmt", type=click.Choice(_IMPORT_FORMATS), default="auto",
              show_default=True, help="text: wordlist with header; plain: one term a line; csv: Discourse.")
@click.option("--action", type=click.Choice(ACTIONS), help="Action of the imported lists (overrides a header).")
@click.option("--kind", type=click.Choice([k.value for k in ListKind]), help="terms or domains (plain files).")
@click.option("--replace", is_flag=True, help="Make each list exactly the file (remove terms not in it).")
@click.option("--dry-run", is_flag=True, help="Parse and report; store nothing.")
@click.option("--skip-broken", is_flag=True, help="Import the files that load; report and skip the others.")
@database_option
@json_option
@handle_errors
def import_cmd(files: tuple[Path, ...], list_name: str | None, fmt: ImportFormat, action: str | None,
               kind: str | None, replace: bool, dry_run: bool, skip_broken: bool, database: str | None,
               as_json: bool) -> None:
    """Import word lists from FILEs in one transaction: a bad file changes nothing.

    With --skip-broken the files that load are imported and the others reported. What loading did
    to each line (a symbol or masked term, a repeat merged, a term refused) is reported."""
    from ..store import default_max_terms
    from ..store.rules import refuse_too_many_terms

    act = Action.parse(action) if action else None
    knd = ListKind(kind) if kind else None
    parsed: list[WordList] = []
    broken: list[WordlistError] = []
    for p in files:
        if p.suffix.lower() == ".toml":
            continue
        try:
            text = read_import_file(p)
            refuse_too_many_terms(text, str(p), default_max_terms())
            parsed.append(parse_import_text(text, name=list_name or p.stem, source=str(p), format=fmt, action=act,
                                            kind=knd))
        except WordlistError as exc:
            if not skip_broken:
                raise
            broken.append(exc)
    notes = [n for wl in parsed for n in wl.notes]
    if not as_json:
        for n in notes:
            click.secho(f"{'warning' if n.warning else 'note'}: {n}", fg="yellow" if n.warning else None, err=True)
        for error in broken:
            click.secho(f"skipped: {error}", fg="red", err=True)
    note_dicts = [{"source": n.source, "line": n.line, "what": n.what, "term": n.pattern, "message": n.message}
                  for n in notes]
    broken_dicts = [{"source": e.source, "line": e.line, "error": e.message} for e in broken]
    if dry_run:
        report = [{"list": list_name or wl.name, "source": wl.source, "terms": len(wl.terms),
                   "action": wl.action.value} for wl in parsed]
        if as_json:
            echo_json({"dry_run": True, "lists": report, "notes": note_dicts, "skipped": broken_dicts})
        else:
            for r in report:
                click.echo(f"{r['source']}: {r['terms']} terms → {r['list']} ({r['action']})")
        return
    if broken:
        bad = {e.source for e in broken}
        files = tuple(p for p in files if str(p) not in bad)
        if not files:
            raise click.ClickException("no file could be imported")
    store = open_store(database, create=True)
    result = store.import_files(list(files), format=fmt, list_name=list_name, action=act, kind=knd,
                                mode="replace" if replace else "merge", actor=os_user(), origin=ORIGIN)
    changed("import", result.version)
    if as_json:
        echo_json({**result.to_dict(), "notes": note_dicts, "skipped": broken_dicts})
        return
    for d in result.lists:
        click.echo(f"{d['source']}: {d['list']}{' (new list)' if d['created'] else ''}: "
                   f"{d['added']} added, {d['removed']} removed, {d['size']} in the file")
    click.echo(f"version {result.version}")


@click.command("export")
@click.argument("list_name", metavar="[LIST]", required=False)
@click.option("--format", "fmt", type=click.Choice(_EXPORT_FORMATS), default="text", show_default=True,
              help="text: wordlist with header; plain: one term a line; csv: Discourse watched words.")
@click.option("--output", "-o", type=click.Path(path_type=Path),
              help="File to write (one list) or folder (every list, one file each). Default: stdout.")
@database_option
@handle_errors
def export_cmd(list_name: str | None, fmt: ExportFormat, output: Path | None, database: str | None) -> None:
    """Export a list (or every list into a folder) in a file format."""
    store = open_store(database)
    suffix = ".csv" if fmt == "csv" else ".txt"
    if list_name:
        wl = store.get_list(list_name)
        _warn_lossy(wl, fmt)
        text = export_text(wl, fmt)
        if output is None or str(output) == "-":
            click.echo(text, nl=False)
        else:
            target = output / f"{wl.name}{suffix}" if output.is_dir() else output
            target.write_text(text, encoding="utf-8")
            click.echo(f"wrote {target}", err=True)
        return
    wordlists = store.lists()
    if output is None or str(output) == "-":
        if len(wordlists) == 1:
            _warn_lossy(wordlists[0], fmt)
            click.echo(export_text(wordlists[0], fmt), nl=False)
            return
        raise click.UsageError("name a LIST, or give --output FOLDER to export every list")
    output.mkdir(parents=True, exist_ok=True)
    for wl in wordlists:
        _warn_lossy(wl, fmt)
        target = output / f"{wl.name}{suffix}"
        target.write_text(export_text(wl, fmt), encoding="utf-8")
        click.echo(f"wrote {target}", err=True)


def _warn_lossy(wl: WordList, fmt: str) -> None:
    if fmt != "text" and wl.exceptions:
        click.secho(f"warning: {wl.name}: {len(wl.exceptions)} exceptions (!term) cannot be written as {fmt}",
                    fg="yellow", err=True)
