"""The wordlist commands of ``forum-guard`` and ``flask guard``: the store from a shell.

Importing this module attaches its commands to ``forum_guard.cli.main`` (standalone, the store at
``--database URL``, ``$FORUM_GUARD_DATABASE_URL`` or ``sqlite:///instance/forum_guard.sqlite``) and to
``forum_guard.cli.flask_group`` (``flask guard …``: the store of the app's ForumGuard). Every change is
audited with the OS user as actor. Exit codes: 0 ok, 1 a failure the user can fix, 2 usage.

Who may change the store from a shell (:func:`check_may_write`, run before every command that
writes: add, remove, create-list, delete-list, import, limits --set, approve, reject): the OS user
(the real uid, not ``$USER``) must be one of ``$FORUM_GUARD_OPERATORS`` (comma-separated) when that
is set, and, for a SQLite store, must be able to write the database file and its folder. Reading
commands are not restricted. The database's own permissions are the boundary that holds (file
modes for SQLite, the role's grants for PostgreSQL); ``FORUM_GUARD_OPERATORS`` keeps the wrong
account on a shared machine from changing the rules by mistake.
"""

from __future__ import annotations

import csv
import functools
import getpass
import json
import multiprocessing
import os
import sqlite3
import sys
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import click
from sqlalchemy.engine import make_url

from ..engine.actions import Action
from ..engine.limits import GROUPS
from ..engine.terms import ListKind
from ..errors import ForumGuardError
from ..store import (
    DEFAULT_DATABASE_URL,
    Store,
    export_text,
    lint_lists,
    looks_like_html,
    parse_import_file,
)

__all__ = ["COMMANDS", "OPERATORS_ENV", "check_may_write", "cli", "os_user", "register"]

F = TypeVar("F", bound=Callable[..., Any])
ORIGIN = "cli"


# --------------------------------------------------------------------------------------------
# plumbing: the store, the actor, errors, output


def os_user() -> str:
    """The OS user running the command (its real uid's name, which ``$USER`` cannot change): the
    actor of every change it makes."""
    try:
        import pwd

        return pwd.getpwuid(os.getuid()).pw_name
    except (ImportError, KeyError):  # Windows, or no passwd entry (containers)
        pass
    try:
        return getpass.getuser()
    except Exception:
        return os.environ.get("USER") or os.environ.get("USERNAME") or f"uid:{os.getuid()}"


#: Environment variable: comma-separated OS users who may change the store from the command line.
OPERATORS_ENV = "FORUM_GUARD_OPERATORS"


def check_may_write(url: Any) -> None:
    """Refuse (exit 1, with what to do) a change by an OS user the CLI's rule does not allow:
    not in ``$FORUM_GUARD_OPERATORS`` when it is set, or unable to write a SQLite store's file."""
    user = os_user()
    allowed = {name.strip() for name in os.environ.get(OPERATORS_ENV, "").split(",") if name.strip()}
    if allowed and user not in allowed:
        raise click.ClickException(
            f"{user} may not change the store: {OPERATORS_ENV} allows only {', '.join(sorted(allowed))}. "
            "Run the command as one of them.")
    try:
        u = make_url(url)
    except Exception:  # not a database URL: opening the store says so
        return
    if u.get_backend_name() != "sqlite" or not u.database or u.database == ":memory:" or u.database.startswith(
            "file:"):
        return  # a server database: its grants decide
    path = Path(u.database).expanduser()
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    blocked = path if path.exists() and not os.access(path, os.W_OK) else (
        folder if not os.access(folder, os.W_OK) else None)
    if blocked is not None:
        raise click.ClickException(
            f"{user} may not change the store: cannot write {blocked}{_owner(blocked)}. "
            "Run the command as the forum's user, or ask an operator.")


def _owner(path: Path) -> str:
    try:
        import pwd

        return f" (owned by {pwd.getpwuid(path.stat().st_uid).pw_name})"
    except (ImportError, KeyError, OSError):
        return ""


def _flask_app(ctx: click.Context) -> Any:
    """The host app when running as ``flask guard …`` (None standalone)."""
    from flask import current_app
    from flask.cli import ScriptInfo

    try:
        return current_app._get_current_object()  # type: ignore[attr-defined]
    except RuntimeError:
        pass
    info = ctx.find_object(ScriptInfo)
    if info is None:
        return None
    app = info.load_app()
    ctx.with_resource(app.app_context())
    return app


def open_store(database: str | None, *, write: bool = False) -> Store:
    """The store for this command: ``--database``, else the Flask app's, else the environment's or
    the default SQLite file. Created on first use. ``write``: the command changes the store, so the
    CLI's rule (:func:`check_may_write`) applies first."""
    ctx = click.get_current_context()
    cached = ctx.meta.get("forum_guard.store")
    if cached is not None:
        if write:
            check_may_write(cached.url)
        return cached
    store: Store | None = None
    if not database:
        app = _flask_app(ctx)
        if app is not None:
            state = app.extensions.get("forum_guard")
            store = getattr(state, "store", None)
            if store is None:
                database = app.config.get("FORUM_GUARD_DATABASE_URL") or (
                    "sqlite:///" + str(Path(app.instance_path) / "forum_guard.sqlite"))
    if store is None:
        url = database or os.environ.get("FORUM_GUARD_DATABASE_URL") or DEFAULT_DATABASE_URL
        if write:
            check_may_write(url)
        try:
            store = Store(url)
            store.ensure_schema()
        except ForumGuardError:
            raise
        except Exception as exc:
            raise click.ClickException(f"cannot open the store at {url}: {exc}") from None
        ctx.call_on_close(store.close)
    elif write:
        check_may_write(store.url)
    ctx.meta["forum_guard.store"] = store
    return store


def _changed(what: str, version: int | None) -> None:
    """Tell a host app (``flask guard``) that the rules changed."""
    if version is None:
        return
    from flask import current_app

    from ..web import signals

    try:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
    except RuntimeError:
        return
    signals.rules_changed.send(app, version=version, actor=os_user(), what=what)


def _errors(f: F) -> F:
    """Store and wordlist errors become exit 1 with the message (file:line for files)."""

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return f(*args, **kwargs)
        except (ForumGuardError, ValueError, LookupError) as exc:
            raise click.ClickException(str(exc)) from None

    return wrapper  # type: ignore[return-value]


def database_option(f: F) -> F:
    return click.option(
        "--database", "database", metavar="URL",
        help="SQLAlchemy URL of the store. Default: $FORUM_GUARD_DATABASE_URL, the Flask app's store "
             f"(flask guard), else {DEFAULT_DATABASE_URL}.",
    )(f)


def json_option(f: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Machine-readable output (JSON).")(f)


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, default=str))


def _table(rows: Sequence[Sequence[Any]], header: Sequence[str]) -> None:
    cells = [[str(c) for c in header]] + [[("" if c is None else str(c)) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    for n, r in enumerate(cells):
        line = "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
        click.echo(click.style(line, bold=True) if n == 0 else line)


def _when(dt: datetime | None) -> str:
    return dt.astimezone().strftime("%Y-%m-%d %H:%M") if dt else ""


def _read_terms(terms: Sequence[str]) -> list[str]:
    """TERM arguments; ``-`` reads one term a line from stdin."""
    out: list[str] = []
    for t in terms:
        if t == "-":
            out.extend(line.strip() for line in click.open_file("-", encoding="utf-8") if line.strip())
        else:
            out.append(t)
    return out


ACTIONS = [a.value for a in Action.for_lists()]


# --------------------------------------------------------------------------------------------
# lists


@click.command("lists")
@database_option
@json_option
@_errors
def lists_cmd(database: str | None, as_json: bool) -> None:
    """Show every list with its action, size and last change."""
    store = open_store(database)
    infos = store.list_infos()
    if as_json:
        _echo_json({"version": store.version(), "lists": [i.to_dict() for i in infos]})
        return
    if not infos:
        click.echo("no lists yet: forum-guard import FILE… or forum-guard create-list NAME")
        return
    _table([(i.name, i.kind.value, i.action.value, i.size, i.exceptions, _when(i.updated_at), i.updated_by)
            for i in infos], ("list", "kind", "action", "terms", "exceptions", "changed", "by"))


@click.command("show")
@click.argument("list_name", metavar="LIST")
@click.option("--search", "-s", help="Only terms containing this text.")
@database_option
@json_option
@_errors
def show_cmd(list_name: str, search: str | None, database: str | None, as_json: bool) -> None:
    """Show a list's settings and terms (who added each, and when, with --json)."""
    store = open_store(database)
    info = store.list_info(list_name)
    rows = store.terms(list_name, search=search)
    if as_json:
        _echo_json({**info.to_dict(), "terms": [r.to_dict() for r in rows]})
        return
    click.echo(f"# name: {info.name}   kind: {info.kind.value}   action: {info.action.value}   "
               f"evasion: {'on' if info.evasion else 'off'}   inflections: {'on' if info.inflections else 'off'}")
    if info.replacement:
        click.echo(f"# replacement: {info.replacement}")
    if info.description:
        click.echo(f"# description: {info.description}")
    click.echo(f"# {info.size} terms ({info.exceptions} exceptions); changed {_when(info.updated_at)}"
               + (f" by {info.updated_by}" if info.updated_by else ""))
    for r in rows:
        click.echo(r.term.to_line())


@click.command("add")
@click.argument("list_name", metavar="LIST")
@click.argument("terms", nargs=-1, required=True)
@click.option("--create", is_flag=True, help="Create the list if it does not exist (with --action).")
@click.option("--action", type=click.Choice(ACTIONS), default="block", show_default=True,
              help="Action of a list made by --create.")
@click.option("--check", "check_words", is_flag=True,
              help="Also show the dictionary words the new terms would hit (the Scunthorpe check).")
@database_option
@json_option
@_errors
def add_cmd(list_name: str, terms: tuple[str, ...], create: bool, action: str, check_words: bool,
            database: str | None, as_json: bool) -> None:
    """Add TERMs (wordlist syntax: word, word*, *word, !exception, 'two words'; '-' reads stdin)."""
    store = open_store(database, write=True)
    actor = os_user()
    if create and list_name not in store.list_names():
        store.create_list(list_name, action=action, actor=actor, origin=ORIGIN)
    result = store.add_terms(list_name, _read_terms(terms), actor=actor, origin=ORIGIN)
    _changed(f"term.add {list_name}", result.version)
    hits: dict[str, list[str]] = {}
    if check_words and result.added:
        from ..store import dictionary_hits

        hits = dictionary_hits(store.get_list(list_name), list(result.added))
    if as_json:
        _echo_json({**result.to_dict(), "dictionary_hits": hits})
        return
    if result.added:
        click.echo(f"added {len(result.added)} to {list_name} (version {result.version}): "
                   + ", ".join(t.to_line() for t in result.added))
    if result.skipped:
        click.echo("already there: " + ", ".join(t.to_line() for t in result.skipped))
    for pattern, words in hits.items():
        click.secho(f"warning: {pattern} hits {len(words)} dictionary words: {', '.join(words[:12])}"
                    + (", …" if len(words) > 12 else ""), fg="yellow", err=True)


@click.command("remove")
@click.argument("list_name", metavar="LIST")
@click.argument("terms", nargs=-1, required=True)
@database_option
@json_option
@_errors
def remove_cmd(list_name: str, terms: tuple[str, ...], database: str | None, as_json: bool) -> None:
    """Remove TERMs from a list (matched case-insensitively, with their wildcards; '-' reads stdin)."""
    store = open_store(database, write=True)
    result = store.remove_terms(list_name, _read_terms(terms), actor=os_user(), origin=ORIGIN)
    _changed(f"term.remove {list_name}", result.version)
    if as_json:
        _echo_json(result.to_dict())
    else:
        if result.removed:
            click.echo(f"removed {len(result.removed)} from {list_name} (version {result.version}): "
                       + ", ".join(t.to_line() for t in result.removed))
        if result.skipped:
            click.echo("not in the list: " + ", ".join(t.to_line() for t in result.skipped))
    if not result.removed:
        sys.exit(1)


@click.command("create-list")
@click.argument("name")
@click.option("--action", type=click.Choice(ACTIONS), default="block", show_default=True)
@click.option("--kind", type=click.Choice([k.value for k in ListKind]), default="terms", show_default=True)
@click.option("--replacement", help="Censor text for the whole list.")
@click.option("--evasion/--no-evasion", default=True, show_default=True,
              help="See through l33t, look-alikes, separators, repeats.")
@click.option("--inflections/--no-inflections", default=None, help="A word also catches -s -es -ed -ing -er.")
@click.option("--description", default="")
@database_option
@json_option
@_errors
def create_list_cmd(name: str, action: str, kind: str, replacement: str | None, evasion: bool,
                    inflections: bool | None, description: str, database: str | None, as_json: bool) -> None:
    """Create an empty list."""
    store = open_store(database, write=True)
    version = store.create_list(name, action=action, kind=kind, replacement=replacement, evasion=evasion,
                                inflections=inflections, description=description, actor=os_user(), origin=ORIGIN)
    _changed(f"list.create {name}", version)
    if as_json:
        _echo_json({"list": name, "version": version})
    else:
        click.echo(f"created list {name} ({kind}, {action}); version {version}")


@click.command("delete-list")
@click.argument("name")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@database_option
@json_option
@_errors
def delete_list_cmd(name: str, yes: bool, database: str | None, as_json: bool) -> None:
    """Delete a list and its terms (the audit log keeps a copy)."""
    store = open_store(database, write=True)
    info = store.list_info(name)
    if not yes:
        click.confirm(f"Delete list {name} with {info.size} terms?", abort=True, err=True)
    version = store.delete_list(name, actor=os_user(), origin=ORIGIN)
    _changed(f"list.delete {name}", version)
    if as_json:
        _echo_json({"list": name, "deleted": True, "size": info.size, "version": version})
    else:
        click.echo(f"deleted list {name} ({info.size} terms); version {version}")


# --------------------------------------------------------------------------------------------
# import / export


@click.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--list", "list_name", help="Import into this list (default: the file's header name or stem).")
@click.option("--format", "fmt", type=click.Choice(["auto", "text", "plain", "csv"]), default="auto",
              show_default=True, help="text: wordlist with header; plain: one term a line; csv: Discourse.")
@click.option("--action", type=click.Choice(ACTIONS), help="Action of the imported lists (overrides a header).")
@click.option("--kind", type=click.Choice([k.value for k in ListKind]), help="terms or domains (plain files).")
@click.option("--replace", is_flag=True, help="Make each list exactly the file (remove terms not in it).")
@click.option("--dry-run", is_flag=True, help="Parse and report; store nothing.")
@database_option
@json_option
@_errors
def import_cmd(files: tuple[Path, ...], list_name: str | None, fmt: str, action: str | None, kind: str | None,
               replace: bool, dry_run: bool, database: str | None, as_json: bool) -> None:
    """Import word lists from FILEs in one transaction: a bad file changes nothing."""
    act = Action.parse(action) if action else None
    knd = ListKind(kind) if kind else None
    if dry_run:
        parsed = [parse_import_file(p, name=list_name, format=fmt, action=act, kind=knd)  # type: ignore[arg-type]
                  for p in files]
        report = [{"list": list_name or wl.name, "source": wl.source, "terms": len(wl.terms),
                   "action": wl.action.value} for wl in parsed]
        if as_json:
            _echo_json({"dry_run": True, "lists": report})
        else:
            for r in report:
                click.echo(f"{r['source']}: {r['terms']} terms → {r['list']} ({r['action']})")
        return
    store = open_store(database, write=True)
    result = store.import_files(list(files), format=fmt, list_name=list_name, action=act,  # type: ignore[arg-type]
                                kind=knd, mode="replace" if replace else "merge", actor=os_user(), origin=ORIGIN)
    _changed("import", result.version)
    if as_json:
        _echo_json(result.to_dict())
        return
    for d in result.lists:
        click.echo(f"{d['source']}: {d['list']}{' (new list)' if d['created'] else ''}: "
                   f"{d['added']} added, {d['removed']} removed, {d['size']} in the file")
    click.echo(f"version {result.version}")


@click.command("export")
@click.argument("list_name", metavar="[LIST]", required=False)
@click.option("--format", "fmt", type=click.Choice(["text", "plain", "csv"]), default="text", show_default=True,
              help="text: wordlist with header; plain: one term a line; csv: Discourse watched words.")
@click.option("--output", "-o", type=click.Path(path_type=Path),
              help="File to write (one list) or folder (every list, one file each). Default: stdout.")
@database_option
@_errors
def export_cmd(list_name: str | None, fmt: str, output: Path | None, database: str | None) -> None:
    """Export a list (or every list into a folder) in a file format."""
    store = open_store(database)
    suffix = ".csv" if fmt == "csv" else ".txt"
    if list_name:
        wl = store.get_list(list_name)
        _warn_lossy(wl, fmt)
        text = export_text(wl, fmt)  # type: ignore[arg-type]
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
            click.echo(export_text(wordlists[0], fmt), nl=False)  # type: ignore[arg-type]
            return
        raise click.UsageError("name a LIST, or give --output FOLDER to export every list")
    output.mkdir(parents=True, exist_ok=True)
    for wl in wordlists:
        _warn_lossy(wl, fmt)
        target = output / f"{wl.name}{suffix}"
        target.write_text(export_text(wl, fmt), encoding="utf-8")  # type: ignore[arg-type]
        click.echo(f"wrote {target}", err=True)


def _warn_lossy(wl: Any, fmt: str) -> None:
    if fmt != "text" and wl.exceptions:
        click.secho(f"warning: {wl.name}: {len(wl.exceptions)} exceptions (!term) cannot be written as {fmt}",
                    fg="yellow", err=True)


# --------------------------------------------------------------------------------------------
# lint, test, stats


@click.command("lint")
@click.argument("list_name", metavar="[LIST]", required=False)
@click.option("--dictionary", type=click.Path(dir_okay=False, exists=True),
              help="Word list for the Scunthorpe check (default: /usr/share/dict/words).")
@click.option("--no-dictionary", is_flag=True, help="Skip the dictionary check.")
@database_option
@json_option
@_errors
def lint_cmd(list_name: str | None, dictionary: str | None, no_dictionary: bool, database: str | None,
             as_json: bool) -> None:
    """Find duplicates, terms shadowed by others, terms that hit dictionary words, risky wildcards.

    Exit code 1 when something is found."""
    from ..store import dictionary_words

    store = open_store(database)
    wordlists = store.lists()
    if list_name and list_name not in {wl.name for wl in wordlists}:
        raise click.ClickException(f"no list named {list_name!r}")
    words = dictionary_words(dictionary) if not no_dictionary else ()
    findings = lint_lists(wordlists, only=list_name, words=words, dictionary=not no_dictionary)
    if as_json:
        _echo_json({"findings": [f.to_dict() for f in findings], "dictionary_words": len(words)})
    else:
        colours = {"duplicate": "cyan", "shadowed": "blue", "dictionary": "yellow", "wildcard": "red"}
        for f in findings:
            click.echo(f"{f.list}: {click.style(f.kind, fg=colours.get(f.kind))}: {f.term}: {f.message}")
        counts = Counter(f.kind for f in findings)
        click.echo(", ".join(f"{n} {k}" for k, n in sorted(counts.items())) or "no findings", err=True)
    if findings:
        sys.exit(1)


@click.command("test")
@click.argument("text", required=False)
@click.option("--file", "file", type=click.File("r", encoding="utf-8"), help="Read the text from a file ('-': stdin).")
@click.option("--html", is_flag=True, help="The text is HTML from a rich editor.")
@click.option("--group", type=click.Choice(GROUPS), default="member", show_default=True)
@database_option
@json_option
@_errors
def test_cmd(text: str | None, file: Any, html: bool, group: str, database: str | None, as_json: bool) -> None:
    """Check TEXT against the store's rules and show the verdict with highlights."""
    if text is None:
        if file is None:
            raise click.UsageError("give TEXT or --file FILE")
        text = file.read()
    store = open_store(database)
    guard = store.build_guard()
    verdict = guard.check(text, html=html, group=group)
    if as_json:
        _echo_json({**verdict.to_dict(), "highlighted_html": str(verdict.highlighted_html),
                    "version": store.version()})
        return
    try:
        from . import _print_verdict
    except ImportError:  # pragma: no cover - the lead's printer is the one to use
        click.echo(f"action: {verdict.action.value}")
        for m in verdict.matches:
            click.echo(f"  {m.matched!r} ← {m.list}: {m.term}")
    else:
        _print_verdict(verdict)


@click.command("stats")
@database_option
@json_option
@_errors
def stats_cmd(database: str | None, as_json: bool) -> None:
    """Lists, terms, queue and audit counts, and the ruleset version."""
    store = open_store(database)
    stats = store.stats()
    if as_json:
        _echo_json(stats)
        return
    click.echo(f"database: {stats['database']} (schema {stats['schema_version']})")
    click.echo(f"ruleset version: {stats['version']} (changed {stats['changed_at']})")
    click.echo(f"lists: {len(stats['lists'])}, terms: {stats['terms']}")
    for name, d in stats["lists"].items():
        click.echo(f"  {name}: {d['size']} terms, {d['action']}")
    q = stats["queue"]
    click.echo(f"queue: {q['require_approval']} held, {q['flag']} flagged pending; "
               f"{q['approved']} approved, {q['rejected']} rejected")
    click.echo(f"audit log: {stats['audit_entries']} entries")
    if stats["last_change"]:
        lc = stats["last_change"]
        click.echo(f"last change: {lc['at']} by {lc['actor']}: {lc['summary']}")


# --------------------------------------------------------------------------------------------
# limits, queue, audit


@click.command("limits")
@click.option("--set", "settings", multiple=True, metavar="GROUP.KEY=VALUE",
              help="Change a limit, e.g. --set new.max_links=2 (-1: no limit); messages.KEY=TEXT for a notice.")
@database_option
@json_option
@_errors
def limits_cmd(settings: tuple[str, ...], database: str | None, as_json: bool) -> None:
    """Show the limits per group (as stored, else the defaults), or change them with --set."""
    from ..engine.limits import Limits

    store = open_store(database, write=bool(settings))
    current = store.limits() or Limits.default()
    version = None
    if settings:
        doc = current.to_dict()
        for s in settings:
            key, sep, value = s.partition("=")
            section, dot, name = key.strip().partition(".")
            if not sep or not dot:
                raise click.UsageError(f"--set {s!r}: use GROUP.KEY=VALUE or messages.KEY=TEXT")
            if section == "messages":
                doc["messages"][name] = value
                continue
            if section not in doc["groups"]:
                raise click.UsageError(f"--set {s!r}: unknown group {section!r} ({', '.join(doc['groups'])})")
            v = value.strip().lower()
            doc["groups"][section][name] = (v in ("true", "yes", "on", "1")) if v in (
                "true", "false", "yes", "no", "on", "off") else _int(v, s)
        version = store.set_limits(doc, actor=os_user(), origin=ORIGIN)
        _changed("limits.update", version)
        current = store.limits() or Limits.default()
    if as_json:
        _echo_json({"limits": current.to_dict(), "version": version or store.version()})
        return
    keys = ["max_emoji", "allow_pasted_images", "max_links", "max_images", "max_length", "min_length", "exempt"]
    rows = [(name, *[_limit_text(getattr(g, k)) for k in keys]) for name, g in current.groups.items()]
    _table(rows, ("group", *keys))
    click.echo(f"hard cap: {current.hard_cap} characters")
    if version is not None:
        click.echo(f"version {version}")


def _int(value: str, setting: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise click.UsageError(f"--set {setting!r}: {value!r} is not a number, true or false") from None


def _limit_text(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    return str(v)


@click.command("queue")
@click.option("--status", type=click.Choice(["pending", "approved", "rejected", "all"]), default="pending",
              show_default=True)
@click.option("--limit", "limit", type=int, default=50, show_default=True)
@database_option
@json_option
@_errors
def queue_cmd(status: str, limit: int, database: str | None, as_json: bool) -> None:
    """Posts held for approval and flagged posts."""
    store = open_store(database)
    items = store.queue(status=None if status == "all" else status, limit=limit)
    if as_json:
        _echo_json({"items": [i.to_dict() for i in items], "counts": store.queue_counts()})
        return
    if not items:
        click.echo("the queue is empty" if status == "pending" else "nothing")
    for i in items:
        text = " ".join((i.decided_content or i.content).split())
        click.echo(f"#{i.id} {_when(i.created_at)} {i.reason} {i.status} by {i.author or 'anonymous'} "
                   f"({i.group}) ref={i.ref}: terms {', '.join(i.terms) or '-'}")
        click.echo(f"    {text[:160]}{'…' if len(text) > 160 else ''}")


def _decide(item_id: int, decision: str, content: str | None, note: str | None, database: str | None,
            as_json: bool) -> None:
    from flask import current_app

    from ..web import signals

    store = open_store(database, write=True)
    item = store.decide(item_id, decision, actor=os_user(), content=content, note=note,  # type: ignore[arg-type]
                        origin=ORIGIN)
    try:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
    except RuntimeError:
        app = None
    if app is not None:  # flask guard: the host hears about it as from the admin page
        signals.queue_decided.send(app, queue_id=item.id, ref=item.ref, decision=decision,
                                   content=item.decided_content or item.content, moderator=os_user())
    if as_json:
        _echo_json(item.to_dict())
    else:
        click.echo(f"{decision} #{item.id}" + ("" if app else " (recorded; no app to notify: use flask guard)"))


@click.command("approve")
@click.argument("item_id", type=int, metavar="ID")
@click.option("--content", help="Approve this edited text instead of the post as written.")
@click.option("--note", help="A note for the audit log.")
@database_option
@json_option
@_errors
def approve_cmd(item_id: int, content: str | None, note: str | None, database: str | None, as_json: bool) -> None:
    """Approve a queued post (under ``flask guard`` the host is notified through queue_decided)."""
    _decide(item_id, "approved", content, note, database, as_json)


@click.command("reject")
@click.argument("item_id", type=int, metavar="ID")
@click.option("--note", help="A note for the audit log.")
@database_option
@json_option
@_errors
def reject_cmd(item_id: int, note: str | None, database: str | None, as_json: bool) -> None:
    """Reject a queued post."""
    _decide(item_id, "rejected", None, note, database, as_json)


@click.command("audit")
@click.option("--actor", help="Only changes by this actor.")
@click.option("--action", help="Only this kind of change (prefix: term, list, import, limits, queue).")
@click.option("--list", "target", help="Only changes to this list.")
@click.option("--since", help="Only entries newer than this: an ISO date/time or an age such as 2h, 3d.")
@click.option("--limit", type=int, default=50, show_default=True)
@database_option
@json_option
@_errors
def audit_cmd(actor: str | None, action: str | None, target: str | None, since: str | None, limit: int,
              database: str | None, as_json: bool) -> None:
    """Read the audit log, newest first."""
    store = open_store(database)
    entries = store.audit(actor=actor, action=action, target=target, since=_parse_since(since), limit=limit)
    if as_json:
        _echo_json({"entries": [e.to_dict() for e in entries]})
        return
    for e in entries:
        click.echo(f"{_when(e.at)}  {e.actor or '-'} ({e.origin})  {e.action}  {e.summary}")


def _parse_since(value: str | None) -> datetime | None:
    if not value:
        return None
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
    if value[-1:] in units and value[:-1].isdigit():
        return datetime.now(UTC) - timedelta(seconds=int(value[:-1]) * units[value[-1]])
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        raise click.UsageError(f"--since {value!r}: give an ISO date (2024-05-01) or an age (2h, 3d)") from None
    return dt if dt.tzinfo else dt.astimezone(UTC)


# --------------------------------------------------------------------------------------------
# scan: a backlog of posts, in parallel over processes

_TEXT_KEYS = ("text", "content", "body", "html", "message", "raw", "cooked")
_SCAN_GUARD: Any = None


def _scan_init(lists: Any, limits_doc: dict[str, Any]) -> None:
    global _SCAN_GUARD
    from ..engine.policy import Guard
    from ..store import limits_from_dict

    _SCAN_GUARD = Guard(lists, limits_from_dict(limits_doc))


def _scan_worker_init(lists: Any, limits_doc: dict[str, Any]) -> None:
    """A pool worker: Ctrl+C is the main process's business (it checkpoints and stops the pool)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _scan_init(lists, limits_doc)


def _scan_batch(batch: list[tuple[Any, str, bool | None, str]]) -> list[dict[str, Any]]:
    out = []
    for item_id, text, html, group in batch:
        try:
            is_html = looks_like_html(text) if html is None else html
            v = _SCAN_GUARD.check(text, html=is_html, group=group)
        except Exception as exc:  # an unknown group, say: reported, the scan goes on
            out.append({"id": item_id, "error": str(exc)})
            continue
        out.append({"id": item_id, "action": v.action.value,
                    "matches": [(m.list, m.term, m.matched) for m in v.matches],
                    "violations": [x.kind.value for x in v.violations if x.list is None]})
    return out


def _count_lines(path: Path) -> int:
    with path.open("rb") as fh:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b""))


# A source yields (pos, id, text, html, extra) per post, streaming. ``pos`` (JSON) says where to
# start again so that this post is not read twice; ``extra`` is "" or "group:<g>", else a read error.
ScanItem = tuple[dict[str, Any], Any, str, bool | None, str | None]


def _sqlite_source(path: Path, table: str | None, column: str | None, id_column: str | None,
                   start: dict[str, Any] | None = None) -> tuple[int, Iterator[ScanItem]]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    if table is None:
        ranked = []
        for t in tables:
            cols = [r[1] for r in conn.execute(f'PRAGMA table_info("{t}")')]
            text_col = column if column in cols else next((c for c in _TEXT_KEYS if c in cols), None)
            if text_col is None or t.startswith(("sqlite_", "fg_")):
                continue
            score = 2 if any(k in t.lower() for k in ("repl", "post", "comment", "message")) else 1
            ranked.append((score, t))
        if not ranked:
            raise click.ClickException(f"{path}: no table with a text column ({', '.join(_TEXT_KEYS)}); use --table")
        table = max(ranked)[1]
    if table not in tables:
        raise click.ClickException(f"{path}: no table {table!r} (tables: {', '.join(tables)})")
    cols = [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')]
    text_col = column or next((c for c in _TEXT_KEYS if c in cols), None)
    if text_col not in cols:
        raise click.ClickException(f"{path}: table {table!r} has no column {text_col!r}; use --column")
    idc = id_column or ("id" if "id" in cols else "rowid")
    total = conn.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]
    # resuming: after the last id done (ids are ordered and unique: new posts of a live forum and
    # deleted ones do not shift what is left, as an OFFSET would)
    query = f'SELECT "{idc}", "{text_col}" FROM "{table}"'
    params: tuple[Any, ...] = ()
    row = 0
    if start is not None:
        query += f' WHERE "{idc}" > ?'
        params = (start["last_id"],)
        row = int(start["row"])

    def rows() -> Iterator[ScanItem]:
        nonlocal row
        try:
            for item_id, text in conn.execute(query + " ORDER BY 1", params):
                row += 1
                yield {"row": row, "last_id": item_id}, item_id, text if isinstance(text, str) else "", None, None
        finally:
            conn.close()

    return total, rows()


def _jsonl_source(path: Path, column: str | None, id_column: str | None,
                  start: dict[str, Any] | None = None) -> Iterator[ScanItem]:
    # bytes, so that the offset of the next line is known exactly (a resume seeks there)
    offset = int(start["offset"]) if start else 0
    lineno = int(start["line"]) if start else 0
    with path.open("rb") as fh:
        fh.seek(offset)
        for raw in fh:
            offset += len(raw)
            lineno += 1
            pos = {"offset": offset, "line": lineno}
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw.decode("utf-8"))
            except UnicodeDecodeError:
                yield pos, lineno, "", None, f"line {lineno}: not UTF-8"
                continue
            except ValueError as exc:
                yield pos, lineno, "", None, f"line {lineno}: not JSON: {exc}"
                continue
            if not isinstance(obj, dict):
                yield pos, lineno, "", None, f"line {lineno}: not a JSON object"
                continue
            key = column or next((k for k in _TEXT_KEYS if isinstance(obj.get(k), str)), None)
            text = obj.get(key) if key else None
            item_id = obj.get(id_column or "id", lineno)
            if not isinstance(text, str):
                yield pos, item_id, "", None, f"line {lineno}: no text field ({column or ', '.join(_TEXT_KEYS)})"
                continue
            html = obj.get("html") if isinstance(obj.get("html"), bool) else (True if key == "html" else None)
            group = obj.get("group") if isinstance(obj.get("group"), str) else None
            yield pos, item_id, text, html, "" if group is None else f"group:{group}"


def _csv_source(path: Path, column: str | None, id_column: str | None,
                start: dict[str, Any] | None = None) -> Iterator[ScanItem]:
    skip = int(start["row"]) if start else 0
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        fields = reader.fieldnames or []
        key = column or next((k for k in _TEXT_KEYS if k in fields), None)
        if key is None or key not in fields:
            raise click.ClickException(f"{path}: no text column ({column or ', '.join(_TEXT_KEYS)}); use --column")
        for n, row in enumerate(reader, start=1):
            if n <= skip:
                continue
            yield {"row": n}, row.get(id_column or "id") or n, row.get(key) or "", True if key == "html" else None, None


#: errors kept for the report (the count is exact)
_SCAN_ERRORS_KEPT = 100
_SCAN_STATE_FORMAT = 1


class _ScanTally:
    """What a scan has counted so far; saved in the state file and restored on --resume."""

    def __init__(self, list_names: Sequence[str]) -> None:
        self.scanned = 0          # posts sent to the check (checked + check errors)
        self.read_errors = 0
        self.check_errors = 0
        self.by_action: Counter[str] = Counter()
        self.by_list: dict[str, Counter[str]] = {name: Counter() for name in list_names}
        self.posts_by_list: Counter[str] = Counter()
        self.limits_hit: Counter[str] = Counter()
        self.errors: list[dict[str, Any]] = []

    @property
    def posts(self) -> int:
        return self.scanned + self.read_errors

    def error(self, item_id: Any, message: str, stage: str) -> None:
        if stage == "read":
            self.read_errors += 1
        else:
            self.check_errors += 1
        if len(self.errors) < _SCAN_ERRORS_KEPT:
            self.errors.append({"id": item_id, "error": message, "stage": stage})

    def add(self, r: dict[str, Any]) -> None:
        self.scanned += 1
        if "error" in r:
            self.error(r["id"], r["error"], "check")
            return
        self.by_action[r["action"]] += 1
        for kind in r["violations"]:
            self.limits_hit[kind] += 1
        for name in {m[0] for m in r["matches"]}:
            self.posts_by_list[name] += 1
        for name, term, _matched in r["matches"]:
            self.by_list.setdefault(name, Counter())[term] += 1

    def to_dict(self) -> dict[str, Any]:
        return {"scanned": self.scanned, "read_errors": self.read_errors, "check_errors": self.check_errors,
                "by_action": dict(self.by_action), "by_list": {k: dict(v) for k, v in self.by_list.items()},
                "posts_by_list": dict(self.posts_by_list), "limits_hit": dict(self.limits_hit),
                "errors": self.errors}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> _ScanTally:
        t = cls(())
        t.scanned, t.read_errors, t.check_errors = int(d["scanned"]), int(d["read_errors"]), int(d["check_errors"])
        t.by_action = Counter(d["by_action"])
        t.by_list = {k: Counter(v) for k, v in d["by_list"].items()}
        t.posts_by_list = Counter(d["posts_by_list"])
        t.limits_hit = Counter(d["limits_hit"])
        t.errors = list(d["errors"])
        return t


def _write_state(path: Path, doc: dict[str, Any]) -> None:
    """Atomically: a reader (or a resume after a kill at any instant) sees the old file or the new one."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        json.dump(doc, fh, ensure_ascii=False, default=str)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _read_state(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise click.ClickException(f"--state {path}: cannot read it ({exc.strerror})") from None
    except ValueError:
        raise click.ClickException(f"--state {path}: not a scan state file") from None
    if not isinstance(doc, dict) or doc.get("forum_guard_scan") != _SCAN_STATE_FORMAT:
        raise click.ClickException(f"--state {path}: not a scan state file")
    return doc


def _source_identity(source: Path, fmt: str) -> dict[str, Any]:
    st = source.stat()
    ident: dict[str, Any] = {"path": str(source.resolve()), "format": fmt}
    if fmt != "sqlite":  # a file backlog must not change under a resume; a forum database may grow
        ident.update(size=st.st_size, mtime_ns=st.st_mtime_ns)
    return ident


class _ScanOutput:
    """``--output``: one JSON line per post that is not allowed. A file is truncated on --resume to
    the length it had at the checkpoint, so a line is never written twice."""

    def __init__(self, target: str | None, resume_at: int | None) -> None:
        self.path = target
        self.stream: Any = None
        self.fh: Any = None
        if target is None:
            return
        if target == "-":
            self.stream = sys.stdout
        elif resume_at is None:
            self.fh = Path(target).open("wb")  # noqa: SIM115 - closed in close()
        else:
            try:
                self.fh = Path(target).open("r+b")  # noqa: SIM115
            except FileNotFoundError:
                raise click.ClickException(f"--output {target}: the file of the interrupted scan is gone; "
                                           "start again without --resume") from None
            self.fh.truncate(resume_at)
            self.fh.seek(resume_at)

    def write(self, line: str) -> None:
        if self.fh is not None:
            self.fh.write(line.encode("utf-8"))
        elif self.stream is not None:
            self.stream.write(line)

    def sync(self) -> int | None:
        """Flush to disk; the length to truncate to on a resume (None for stdout or none)."""
        if self.fh is None:
            if self.stream is not None:
                self.stream.flush()
            return None
        self.fh.flush()
        os.fsync(self.fh.fileno())
        return self.fh.tell()

    def close(self) -> None:
        if self.fh is not None:
            self.fh.close()


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
@click.option("--jobs", "-j", type=int, default=0, help="Worker processes (default: one per CPU).")
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
@_errors
def scan_cmd(source: Path, fmt: str, table: str | None, column: str | None, id_column: str | None, group: str,
             html: bool | None, jobs: int, output: str | None, top: int, state_file: Path | None, resume: bool,
             checkpoint_every: int, database: str | None, as_json: bool) -> None:
    """Check a backlog of posts (JSONL, CSV or the demo forum's SQLite database) against the store's
    rules, in parallel, and summarise what each list would catch. Streams: memory does not grow with
    the backlog. With --state it checkpoints, and --resume goes on after an interruption (Ctrl+C, a
    kill, a crash). Exit 1 if some posts could not be read."""
    if resume and state_file is None:
        raise click.UsageError("--resume needs --state FILE (the checkpoint of the interrupted scan)")
    store = open_store(database)
    snap = store.snapshot()
    if fmt == "auto":
        suffix = source.suffix.lower()
        fmt = {".csv": "csv", ".sqlite": "sqlite", ".sqlite3": "sqlite", ".db": "sqlite"}.get(suffix, "jsonl")
    params = {"table": table, "column": column, "id_column": id_column, "group": group, "html": html,
              "output": str(Path(output).resolve()) if output and output != "-" else output}
    identity = _source_identity(source, fmt)

    start: dict[str, Any] | None = None
    tally = _ScanTally([wl.name for wl in snap.lists])
    output_at: int | None = None
    if state_file is not None and state_file.exists():
        saved = _read_state(state_file)
        if resume:
            if saved["source"] != identity:
                raise click.ClickException(f"--state {state_file}: it is the scan of {saved['source'].get('path')}"
                                           " as it was then; this source differs (or changed since)")
            changed = [k for k in params if saved["params"].get(k) != params[k]]
            if changed:
                raise click.ClickException(f"--state {state_file}: resume with the same options as the "
                                           f"interrupted scan ({', '.join('--' + k.replace('_', '-') for k in changed)} differ)")
            if saved["version"] != snap.version:
                raise click.ClickException(f"--state {state_file}: the rules changed since the interrupted scan "
                                           f"(version {saved['version']} then, {snap.version} now); "
                                           "start the scan again without --resume")
            start, output_at = saved["pos"], saved.get("output_bytes")
            tally = _ScanTally.from_dict(saved["tally"])
            if saved.get("done"):
                _scan_report(tally, source, snap, saved.get("jobs", 1), top, as_json)
                return
        elif not saved.get("done"):
            raise click.ClickException(f"--state {state_file} holds an unfinished scan ({saved['tally']['scanned']:,} "
                                       "posts done): add --resume to go on with it, or delete the file to start over")
    elif resume:
        click.echo(f"--state {state_file} does not exist yet: starting from the beginning", err=True)

    items: Iterator[ScanItem]
    if fmt == "sqlite":
        total, items = _sqlite_source(source, table, column, id_column, start)
    elif fmt == "csv":
        total, items = max(0, _count_lines(source) - 1), _csv_source(source, column, id_column, start)
    else:
        total, items = _count_lines(source), _jsonl_source(source, column, id_column, start)

    # one task = up to 200 posts; its read errors and where the source stands after it go with it
    Task = tuple[list[tuple[Any, str, bool | None, str]], list[tuple[Any, str]], dict[str, Any] | None]

    def tasks() -> Iterator[Task]:
        batch: list[tuple[Any, str, bool | None, str]] = []
        unread: list[tuple[Any, str]] = []
        pos: dict[str, Any] | None = None
        for pos, item_id, text, item_html, extra in items:
            if extra and not extra.startswith("group:"):
                unread.append((item_id, extra))
            else:
                item_group = extra[6:] if extra else group
                batch.append((item_id, text, html if html is not None else item_html, item_group))
            if len(batch) + len(unread) >= 200:
                yield batch, unread, pos
                batch, unread = [], []
        if batch or unread:
            yield batch, unread, pos

    jobs = jobs or os.cpu_count() or 1
    use_pool = jobs > 1 and total - tally.posts > 400
    out = _ScanOutput(output, output_at)
    position = start
    since_checkpoint = 0

    def checkpoint(done: bool = False) -> None:
        if state_file is None:
            return
        _write_state(state_file, {
            "forum_guard_scan": _SCAN_STATE_FORMAT, "source": identity, "params": params, "version": snap.version,
            "pos": position, "output_bytes": out.sync(), "tally": tally.to_dict(), "done": done,
            "jobs": jobs if use_pool else 1, "saved_at": datetime.now(UTC).isoformat()})

    def consume(results: list[dict[str, Any]], unread: list[tuple[Any, str]], pos: dict[str, Any] | None) -> int:
        nonlocal position, since_checkpoint
        for item_id, message in unread:
            tally.error(item_id, message, "read")
        for r in results:
            tally.add(r)
            if r.get("action", "allow") != "allow" and out.path is not None:
                out.write(json.dumps({"id": r["id"], "action": r["action"],
                                      "terms": sorted({f"{m[0]}: {m[1]}" for m in r["matches"]}),
                                      "limits": r["violations"]}, ensure_ascii=False, default=str) + "\n")
        if pos is not None:
            position = pos
        n = len(results) + len(unread)
        since_checkpoint += n
        if since_checkpoint >= checkpoint_every:
            checkpoint()
            since_checkpoint = 0
        return n

    pool = None
    interrupted = False
    progress_every = 10.0 if not sys.stderr.isatty() else None
    started = last_note = time.monotonic()
    done_before = tally.posts
    try:
        with click.progressbar(length=max(total, 1), label="scanning", file=sys.stderr, show_pos=True) as bar:
            bar.update(min(done_before, total))

            def advance(n: int) -> None:
                nonlocal last_note
                bar.update(min(n, max(0, total - bar.pos)))
                now = time.monotonic()
                if progress_every is not None and now - last_note >= progress_every:
                    last_note = now
                    rate = (tally.posts - done_before) / max(now - started, 1e-9)
                    click.echo(f"scanning: {tally.posts:,} of {total:,} posts ({rate:,.0f} posts/s)", err=True)

            if use_pool:
                ctx = multiprocessing.get_context("forkserver" if sys.platform != "win32" else "spawn")
                pool = ctx.Pool(jobs, initializer=_scan_worker_init, initargs=(list(snap.lists), snap.limits))
                # a bounded window of tasks in flight, consumed in order: the input is read only as
                # fast as the workers check it (Pool.imap would read the whole source ahead)
                window: deque[tuple[Any, list[tuple[Any, str]], dict[str, Any] | None]] = deque()
                for batch, unread, pos in tasks():
                    window.append((pool.apply_async(_scan_batch, (batch,)), unread, pos))
                    if len(window) >= 4 * jobs:
                        res, unread0, pos0 = window.popleft()
                        advance(consume(res.get(), unread0, pos0))
                while window:
                    res, unread0, pos0 = window.popleft()
                    advance(consume(res.get(), unread0, pos0))
            else:
                _scan_init(list(snap.lists), snap.limits)
                for batch, unread, pos in tasks():
                    advance(consume(_scan_batch(batch), unread, pos))
    except KeyboardInterrupt:
        interrupted = True
    finally:
        if pool is not None:
            if interrupted or sys.exc_info()[0] is not None:
                pool.terminate()
            else:
                pool.close()
            pool.join()
    try:
        checkpoint(done=not interrupted)
    finally:
        out.close()
    if interrupted:
        where = f"; go on with --resume --state {state_file}" if state_file is not None else ""
        click.secho(f"interrupted after {tally.posts:,} posts{where}", fg="yellow", err=True)
        sys.exit(130)
    _scan_report(tally, source, snap, jobs if use_pool else 1, top, as_json)


def _scan_report(tally: _ScanTally, source: Path, snap: Any, jobs: int, top: int, as_json: bool) -> None:
    actions = {wl.name: wl.action.value for wl in snap.lists}
    checked = tally.scanned - tally.check_errors
    error_count = tally.read_errors + tally.check_errors
    list_summaries: list[dict[str, Any]] = [
        {"list": name, "action": actions.get(name), "posts": tally.posts_by_list.get(name, 0),
         "matches": sum(c.values()), "top_terms": c.most_common(top)} for name, c in tally.by_list.items()]
    summary = {
        "source": str(source), "posts": tally.posts,
        "checked": checked, "actions": dict(tally.by_action), "limits": dict(tally.limits_hit),
        "errors": [{"id": e["id"], "error": e["error"]} for e in tally.errors], "error_count": error_count,
        "version": snap.version, "jobs": jobs,
        "lists": list_summaries,
    }
    if as_json:
        _echo_json(summary)
    else:
        click.echo(f"{checked} posts checked against ruleset version {snap.version}"
                   + (f", {error_count} could not be read" if error_count else ""))
        click.echo("actions: " + ", ".join(f"{k} {v}" for k, v in tally.by_action.most_common()))
        if tally.limits_hit:
            click.echo("limits: " + ", ".join(f"{k} {v}" for k, v in tally.limits_hit.most_common()))
        for d in list_summaries:
            terms = ", ".join(f"{t} ×{n}" for t, n in d["top_terms"])
            click.echo(f"  {d['list']} ({d['action']}): {d['posts']} posts" + (f" — {terms}" if terms else ""))
        for e in tally.errors[:10]:
            click.secho(f"error: {e['id']}: {e['error']}", fg="red", err=True)
    if error_count:
        sys.exit(1)


# --------------------------------------------------------------------------------------------
# registration

COMMANDS: tuple[click.Command, ...] = (
    lists_cmd, show_cmd, add_cmd, remove_cmd, create_list_cmd, delete_list_cmd, import_cmd, export_cmd,
    lint_cmd, test_cmd, scan_cmd, stats_cmd, limits_cmd, queue_cmd, approve_cmd, reject_cmd, audit_cmd,
)


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

try:
    from . import flask_group, main
except ImportError:  # pragma: no cover - cli.py imports this module; a broken cli.py must not hide it
    pass
else:
    register(main, flask_group)

if __name__ == "__main__":  # pragma: no cover
    cli()
