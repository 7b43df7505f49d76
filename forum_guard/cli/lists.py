"""The list and term commands: ``init``, ``lists``, ``show``, ``add``, ``remove``, ``create-list``,
``delete-list``, ``lint`` and ``test``. Every change is audited with the OS user as its actor."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path
from typing import TextIO

import click

from ..engine.actions import Action
from ..engine.data import SHIPPED
from ..engine.formats import term_key
from ..engine.limits import GROUPS
from ..engine.terms import ListKind, Term, WordList
from ..store.base import plural
from .common import (
    ACTIONS,
    ORIGIN,
    changed,
    database_option,
    handle_errors,
    json_option,
    open_store,
    os_user,
    read_terms,
)
from .output import echo_json, print_verdict, table, when

__all__ = [
    "add_cmd",
    "create_list_cmd",
    "delete_list_cmd",
    "init_cmd",
    "lint_cmd",
    "lists_cmd",
    "remove_cmd",
    "show_cmd",
    "test_cmd",
]


@click.command("init")
@click.option("--from", "from_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Seed from this folder of *.txt lists (and its limits.toml) instead of the shipped lists.")
@click.option("--empty", is_flag=True, help="Create the store without any list (it then filters nothing).")
@database_option
@json_option
@handle_errors
def init_cmd(from_dir: Path | None, empty: bool, database: str | None, as_json: bool) -> None:
    """Create the store and seed it with the shipped lists (a store with lists is left alone)."""
    if empty and from_dir is not None:
        raise click.UsageError("--empty and --from exclude each other")
    if from_dir is not None and not (from_dir.is_dir() and any(from_dir.glob("*.txt"))):
        raise click.ClickException(f"--from {from_dir}: " + (
            "no *.txt word lists in it" if from_dir.is_dir() else "not a folder"))
    store = open_store(database, create=True, announce=False)
    before = len(store.list_names())
    seeded = 0
    source = None
    if not empty and not before:
        source = str(from_dir) if from_dir is not None else SHIPPED
        if from_dir is not None:
            seeded = store.seed_from_directory(from_dir, actor=os_user())
        else:
            seeded = store.seed_shipped(actor=os_user())
        changed("seed", store.version())
    lists = len(store.list_names())
    if as_json:
        echo_json({"database": store.display_url, "lists": lists, "seeded": seeded, "source": source,
                   "version": store.version()})
        return
    if seeded:
        click.echo(f"seeded {seeded} lists from {source} into {store.display_url} (version {store.version()})")
    elif before:
        click.echo(f"{store.display_url} holds {before} lists already: nothing to do")
    else:
        click.echo(f"{store.display_url} is ready and holds no list: it filters nothing until lists are "
                   "added (forum-guard import FILE…, forum-guard add LIST TERM --create)")


@click.command("lists")
@database_option
@json_option
@handle_errors
def lists_cmd(database: str | None, as_json: bool) -> None:
    """Show every list with its action, size and last change."""
    store = open_store(database)
    infos = store.list_infos()
    if as_json:
        echo_json({"version": store.version(), "lists": [i.to_dict() for i in infos]})
        return
    if not infos:
        click.echo("no lists yet: forum-guard init (the shipped lists), forum-guard import FILE… "
                   "or forum-guard create-list NAME")
        return
    table([(i.name, i.kind.value, i.action.value, i.size, i.exceptions, when(i.updated_at), i.updated_by)
           for i in infos], ("list", "kind", "action", "terms", "exceptions", "changed", "by"))


@click.command("show")
@click.argument("list_name", metavar="LIST")
@click.option("--search", "-s", help="Only terms containing this text.")
@database_option
@json_option
@handle_errors
def show_cmd(list_name: str, search: str | None, database: str | None, as_json: bool) -> None:
    """Show a list's settings and terms (who added each, and when, with --json)."""
    store = open_store(database)
    info = store.list_info(list_name)
    rows = store.terms(list_name, search=search)
    if as_json:
        echo_json({**info.to_dict(), "terms": [r.to_dict() for r in rows]})
        return
    click.echo(f"# name: {info.name}   kind: {info.kind.value}   action: {info.action.value}   "
               f"evasion: {'on' if info.evasion else 'off'}   inflections: {'on' if info.inflections else 'off'}"
               + (f"   language: {info.language}" if info.language else "")
               + (f"   derive: {' '.join(info.derive)}" if info.derive else ""))
    if info.replacement:
        click.echo(f"# replacement: {info.replacement}")
    if info.description:
        click.echo(f"# description: {info.description}")
    click.echo(f"# {info.size} terms ({info.exceptions} exceptions); changed {when(info.updated_at)}"
               + (f" by {info.updated_by}" if info.updated_by else ""))
    for r in rows:
        click.echo(r.term.to_line())


@click.command("add")
@click.argument("list_name", metavar="LIST")
@click.argument("terms", nargs=-1, required=True)
@click.option("--create", is_flag=True, help="Create the list (and the store) if it does not exist (with --action).")
@click.option("--action", type=click.Choice(ACTIONS), default="block", show_default=True,
              help="Action of a list made by --create.")
@click.option("--check", "check_words", is_flag=True,
              help="Preview first: show the dictionary words the new terms would hit (the Scunthorpe "
                   "check), then ask before saving. Without a terminal, --yes is needed to save.")
@click.option("--yes", "-y", is_flag=True, help="With --check: save without asking.")
@database_option
@json_option
@handle_errors
def add_cmd(list_name: str, terms: tuple[str, ...], create: bool, action: str, check_words: bool, yes: bool,
            database: str | None, as_json: bool) -> None:
    """Add TERMs to a list (wordlist syntax: word, word*, *word, !exception, 'two words'; '-' reads stdin)."""
    lines = read_terms(terms)
    store = open_store(database, write=True, create=create)
    actor = os_user()
    hits: dict[str, list[str]] = {}
    if check_words:
        exists = list_name in store.list_names()
        if not exists and not create:
            store.list_info(list_name)  # the store's own "no such list" error
        wordlist = store.get_list(list_name) if exists else WordList(list_name, action=Action(action))
        new = _new_terms(wordlist, lines)
        if new:
            from ..engine.review import dictionary_hits

            # the would-be list, new exceptions included: "cum*" with "!cumin" does not warn about cumin
            hits = dictionary_hits(wordlist.with_terms([*wordlist.terms, *new]), new)
        if not _confirmed(list_name, wordlist, new, hits, yes=yes, as_json=as_json):
            return
    if create and list_name not in store.list_names():
        store.create_list(list_name, action=action, actor=actor, origin=ORIGIN)
    result = store.add_terms(list_name, lines, actor=actor, origin=ORIGIN)
    changed(f"term.add {list_name}", result.version)
    if as_json:
        echo_json({**result.to_dict(), "dictionary_hits": hits, "saved": bool(result.added)})
        return
    if result.added:
        click.echo(f"added {len(result.added)} to {list_name} (version {result.version}): "
                   + ", ".join(t.to_line() for t in result.added))
    if result.skipped:
        click.echo("already there: " + ", ".join(t.to_line() for t in result.skipped))


def _new_terms(wordlist: WordList, lines: list[str]) -> list[Term]:
    """The terms of ``lines`` the list does not hold yet (parse errors say which line)."""
    present = {term_key(t) for t in wordlist.terms}
    new: list[Term] = []
    for line in lines:
        try:
            term = Term.parse(line.strip(), kind=wordlist.kind)
        except ValueError as exc:
            raise click.ClickException(f"{line.strip()!r}: {exc}") from None
        if term_key(term) not in present:
            present.add(term_key(term))
            new.append(term)
    return new


def _confirmed(list_name: str, wordlist: WordList, new: list[Term], hits: dict[str, list[str]], *,
               yes: bool, as_json: bool) -> bool:
    """``add --check``: show what the new terms would hit, then save only with --yes or a yes typed
    at the terminal. Nothing to add, or a no: nothing is saved (exit 0 and 1)."""
    if not new:
        if as_json:
            echo_json({"list": list_name, "added": [], "saved": False, "dictionary_hits": {}})
        else:
            click.echo(f"nothing to add: {list_name} holds every one of these terms already")
        return False
    if as_json:
        if yes:
            return True
        echo_json({"list": list_name, "would_add": [t.to_line() for t in new], "dictionary_hits": hits,
                   "saved": False})
        sys.exit(1)
    action = wordlist.action.value
    click.echo(f"preview: adding {plural(len(new), 'term')} to {list_name} ({action}): "
               + ", ".join(t.to_line() for t in new))
    for term in new:
        words = hits.get(term.pattern, [])
        if words:
            click.secho(f"warning: {term.to_line()} would {action} {plural(len(words), 'dictionary word')}: "
                        + ", ".join(words[:12]) + (", …" if len(words) > 12 else ""), fg="yellow", err=True)
        elif not term.exception:
            click.echo(f"  {term.to_line()}: no dictionary word besides its own")
    if yes:
        return True
    if not sys.stdin.isatty():
        raise click.ClickException(
            "nothing saved: --check asks before saving, and there is no terminal to ask in. "
            "Run it again with --yes to save these terms.")
    if not click.confirm(f"Save {plural(len(new), 'term')} to {list_name}?", default=False):
        click.echo("nothing saved")
        sys.exit(1)
    return True


@click.command("remove")
@click.argument("list_name", metavar="LIST")
@click.argument("terms", nargs=-1, required=True)
@database_option
@json_option
@handle_errors
def remove_cmd(list_name: str, terms: tuple[str, ...], database: str | None, as_json: bool) -> None:
    """Remove TERMs from a list (matched case-insensitively, with their wildcards; '-' reads stdin)."""
    store = open_store(database, write=True)
    result = store.remove_terms(list_name, read_terms(terms), actor=os_user(), origin=ORIGIN)
    changed(f"term.remove {list_name}", result.version)
    if as_json:
        echo_json(result.to_dict())
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
@click.option("--language", default="", metavar="CODE",
              help="The terms' language (ru, de, es, fr…): their inflections are matched by stem.")
@click.option("--derive", default="", metavar="SUFFIXES",
              help="Derived forms each word also catches, e.g. 'y o ish head' (fucko, cunty; innocent "
                   "dictionary words such as hellish stay excused); 'phrase-words' inflects every word "
                   "of a phrase (buying followers).")
@database_option
@json_option
@handle_errors
def create_list_cmd(name: str, action: str, kind: str, replacement: str | None, evasion: bool,
                    inflections: bool | None, description: str, language: str, derive: str,
                    database: str | None, as_json: bool) -> None:
    """Create an empty list (and the store, if there is none yet)."""
    store = open_store(database, create=True)
    version = store.create_list(name, action=action, kind=kind, replacement=replacement, evasion=evasion,
                                inflections=inflections, description=description, language=language,
                                derive=derive, actor=os_user(), origin=ORIGIN)
    changed(f"list.create {name}", version)
    if as_json:
        echo_json({"list": name, "version": version})
    else:
        click.echo(f"created list {name} ({kind}, {action}); version {version}")


@click.command("delete-list")
@click.argument("name")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@database_option
@json_option
@handle_errors
def delete_list_cmd(name: str, yes: bool, database: str | None, as_json: bool) -> None:
    """Delete a list and its terms (the audit log keeps a copy)."""
    store = open_store(database, write=True)
    info = store.list_info(name)
    if not yes:
        click.confirm(f"Delete list {name} with {info.size} terms?", abort=True, err=True)
    version = store.delete_list(name, actor=os_user(), origin=ORIGIN)
    changed(f"list.delete {name}", version)
    if as_json:
        echo_json({"list": name, "deleted": True, "size": info.size, "version": version})
    else:
        click.echo(f"deleted list {name} ({info.size} terms); version {version}")


@click.command("lint")
@click.argument("list_name", metavar="[LIST]", required=False)
@click.option("--dictionary", type=click.Path(dir_okay=False, exists=True),
              help="Word list for the Scunthorpe check (default: /usr/share/dict/words).")
@click.option("--no-dictionary", is_flag=True, help="Skip the dictionary check.")
@database_option
@json_option
@handle_errors
def lint_cmd(list_name: str | None, dictionary: str | None, no_dictionary: bool, database: str | None,
             as_json: bool) -> None:
    """Find duplicates, shadowed terms, terms that hit dictionary words, risky wildcards.

    Exit code 1 when something is found."""
    from ..engine.review import dictionary_words, lint_lists

    store = open_store(database)
    wordlists = store.lists()
    if list_name and list_name not in {wl.name for wl in wordlists}:
        raise click.ClickException(f"no list named {list_name!r}")
    words = dictionary_words(dictionary) if not no_dictionary else ()
    findings = lint_lists(wordlists, only=list_name, words=words, dictionary=not no_dictionary)
    if as_json:
        echo_json({"findings": [f.to_dict() for f in findings], "dictionary_words": len(words)})
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
@handle_errors
def test_cmd(text: str | None, file: TextIO | None, html: bool, group: str, database: str | None,
             as_json: bool) -> None:
    """Check TEXT against the store's rules and show the verdict with highlights."""
    if text is None:
        if file is None:
            raise click.UsageError("give TEXT or --file FILE")
        text = file.read()
    store = open_store(database)
    guard = store.build_guard()  # EmptyRulesetError for a store without lists: never a silent allow
    verdict = guard.check(text, html=html, group=group)
    if as_json:
        echo_json({**verdict.to_dict(), "highlighted_html": str(verdict.highlighted_html),
                   "version": store.version()})
        return
    print_verdict(verdict)
