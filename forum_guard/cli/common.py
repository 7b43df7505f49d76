"""The store commands' shared plumbing: which store, who may change it, options and errors.

Which store (:func:`open_store`), in order: ``--database URL``; ``$FORUM_GUARD_DATABASE_URL``; under
``flask guard``, the host app's store (its ForumGuard's, else the one its config names, else its
instance folder's); otherwise ``forum_guard.sqlite`` in the per-user data folder
(:func:`forum_guard.store.user_database_url`) — never a path relative to the current folder. A
command that only reads never creates a store: a missing one is an error that says where it looked
and how to make one (``forum-guard init``). Every command says on stderr which store it opened and
how many lists it holds.

Who may change the store from a shell (:func:`check_may_write`, run before every command that
writes): the OS user (the real uid, not ``$USER``) must be one of ``$FORUM_GUARD_OPERATORS``
(comma-separated) when that is set, and, for a SQLite store, must be able to write the database file
and its folder. Reading commands are not restricted. The database's own permissions are the
boundary that holds (file modes for SQLite, the role's grants for PostgreSQL);
``FORUM_GUARD_OPERATORS`` keeps the wrong account on a shared machine from changing the rules by
mistake.
"""

from __future__ import annotations

import functools
import getpass
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from ..engine.actions import Action
from ..errors import ForumGuardError, NoStoreError
from .output import note

if TYPE_CHECKING:
    from flask import Flask
    from sqlalchemy.engine import URL

    from ..store import Store

__all__ = [
    "ACTIONS",
    "OPERATORS_ENV",
    "ORIGIN",
    "StoreLocation",
    "announce_store",
    "changed",
    "check_may_write",
    "database_option",
    "handle_errors",
    "host_app",
    "json_option",
    "locate_store",
    "open_store",
    "os_user",
    "read_terms",
]

F = TypeVar("F", bound=Callable[..., Any])
#: the origin of every change the CLI makes (the audit log's ``origin``)
ORIGIN = "cli"
#: Environment variable: comma-separated OS users who may change the store from the command line.
OPERATORS_ENV = "FORUM_GUARD_OPERATORS"
#: the actions a list can have, for ``--action``
ACTIONS = [a.value for a in Action.for_lists()]
_META_KEY = "forum_guard.store"


# --------------------------------------------------------------------------------------------
# who


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


def check_may_write(url: str | URL) -> None:
    """Refuse (exit 1, with what to do) a change by an OS user the CLI's rule does not allow:
    not in ``$FORUM_GUARD_OPERATORS`` when it is set, or unable to write a SQLite store's file."""
    from sqlalchemy.exc import ArgumentError

    from ..store import sqlite_file

    user = os_user()
    allowed = {name.strip() for name in os.environ.get(OPERATORS_ENV, "").split(",") if name.strip()}
    if allowed and user not in allowed:
        raise click.ClickException(
            f"{user} may not change the store: {OPERATORS_ENV} allows only {', '.join(sorted(allowed))}. "
            "Run the command as one of them.")
    try:
        path = sqlite_file(url)
    except ArgumentError:  # not a database URL: opening the store says so
        return
    if path is None:
        return  # a server database: its grants decide
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


# --------------------------------------------------------------------------------------------
# which store


@dataclass(frozen=True, slots=True)
class StoreLocation:
    """A store's URL and how the CLI came to it (for the messages)."""

    url: str
    #: "--database", "$FORUM_GUARD_DATABASE_URL", "the app's store", "the app's config", "the per-user store"
    origin: str


def _flask_app(ctx: click.Context) -> Flask | None:
    """The host app when running as ``flask guard …`` (None standalone)."""
    if "flask" not in sys.modules:  # standalone: no app can exist, and Flask is not worth importing
        return None
    app = host_app()
    if app is not None:
        return app
    from flask.cli import ScriptInfo

    info = ctx.find_object(ScriptInfo)
    if info is None:
        return None
    app = info.load_app()
    ctx.with_resource(app.app_context())
    return app


def locate_store(database: str | None, ctx: click.Context) -> tuple[StoreLocation, Store | None]:
    """Where this command's store is (see the module's docstring), and the host app's open store
    when that is the one."""
    from ..store import DATABASE_URL_ENV, default_database_url, user_database_url

    if database:
        return StoreLocation(database, "--database"), None
    env = os.environ.get(DATABASE_URL_ENV, "").strip()
    if env:
        return StoreLocation(env, f"${DATABASE_URL_ENV}"), None
    app = _flask_app(ctx)
    if app is not None:
        from ..ext import ConfigKeys

        state = app.extensions.get("forum_guard")
        store: Store | None = state.store if state is not None else None
        if store is not None:
            return StoreLocation(store.display_url, "the app's store"), store
        url = app.config.get(ConfigKeys.DATABASE_URL) or default_database_url(instance_path=app.instance_path)
        return StoreLocation(url, "the app's config"), None
    return StoreLocation(user_database_url(), "the per-user store"), None


def open_store(database: str | None, *, write: bool = False, create: bool = False, announce: bool = True) -> Store:
    """This command's store (see the module's docstring).

    A store that is not there is an error naming the place, unless ``create``: the command may
    create it (an empty store; ``forum-guard init`` seeds it). ``write``/``create``: the command
    changes the store, so the CLI's rule (:func:`check_may_write`) applies first. ``announce``:
    say on stderr which store it is and how many lists it holds.
    """
    from ..store import Store, display_url, sqlite_file

    ctx = click.get_current_context()
    cached: Store | None = ctx.meta.get(_META_KEY)
    if cached is not None:
        if write or create:
            check_may_write(cached.url)
        return cached
    location, store = locate_store(database, ctx)
    shown = display_url(location.url)
    if write or create:
        check_may_write(location.url)
    if store is None:
        try:
            store = Store(location.url)
        except ForumGuardError:
            raise
        except Exception as exc:
            raise click.ClickException(f"cannot open the store at {shown}: {exc}") from None
        ctx.call_on_close(store.close)
        try:
            exists = store.exists()
            if not exists and create:
                store.ensure_schema()
                note(f"created a new store at {sqlite_file(store.url) or shown} ({location.origin})")
            elif exists and (write or create):
                store.ensure_schema()  # migrates an older layout
            else:
                store.require_schema()  # NoStoreError naming the place when there is none
        except NoStoreError as exc:
            raise click.ClickException(
                f"{exc} ({location.origin}). Create one with `forum-guard init` (it seeds the shipped lists), "
                f"or name another store with --database URL or $FORUM_GUARD_DATABASE_URL.") from None
        except ForumGuardError:
            raise
        except Exception as exc:  # unreachable server, wrong password, a file that is not a database
            raise click.ClickException(f"cannot open the store at {shown}: {exc}") from None
    ctx.meta[_META_KEY] = store
    if announce:
        announce_store(store, location.origin)
    return store


def announce_store(store: Store, origin: str) -> None:
    """On stderr: which store this is, how the CLI came to it, and how many lists it holds."""
    n = len(store.list_names())
    note(f"store {store.display_url} ({origin}): {n} list{'' if n == 1 else 's'}")


def host_app() -> Flask | None:
    """The host app whose context this command runs in (``flask guard``); None standalone."""
    if "flask" not in sys.modules:
        return None
    from flask import current_app

    try:
        return current_app._get_current_object()  # type: ignore[attr-defined]
    except RuntimeError:
        return None


def changed(what: str, version: int | None) -> None:
    """Tell a host app (``flask guard``) that the rules changed."""
    app = host_app()
    if version is None or app is None:
        return
    from ..web import signals

    signals.rules_changed.send(app, version=version, actor=os_user(), what=what)


# --------------------------------------------------------------------------------------------
# options, errors, input


def handle_errors(f: F) -> F:
    """Store, wordlist and scan errors become exit 1 with the message (file:line for files)."""

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
             "(flask guard), else forum_guard.sqlite in the per-user data folder.",
    )(f)


def json_option(f: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Machine-readable output (JSON).")(f)


def read_terms(terms: Sequence[str]) -> list[str]:
    """TERM arguments; ``-`` reads one term a line from stdin."""
    out: list[str] = []
    for t in terms:
        if t == "-":
            out.extend(line.strip() for line in click.open_file("-", encoding="utf-8") if line.strip())
        else:
            out.append(t)
    return out
