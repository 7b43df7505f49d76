"""Where the store is when nobody says: never a path relative to the current folder.

In order: ``$FORUM_GUARD_DATABASE_URL``; a Flask app's instance folder when the caller has one (the
web extension); otherwise ``forum_guard.sqlite`` in the per-user data folder
(``platformdirs.user_data_path("forum-guard")``: ``~/.local/share/forum-guard`` on Linux,
``~/Library/Application Support/forum-guard`` on macOS, ``%LOCALAPPDATA%\\forum-guard`` on Windows).
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

__all__ = [
    "APP_NAME",
    "DATABASE_FILE",
    "DATABASE_URL_ENV",
    "default_database_url",
    "display_url",
    "sqlite_file",
    "sqlite_url",
    "user_data_dir",
    "user_database_url",
]

#: The environment variable naming the store (a SQLAlchemy URL).
DATABASE_URL_ENV = "FORUM_GUARD_DATABASE_URL"
#: The store's file name in a folder (the instance folder, the per-user data folder).
DATABASE_FILE = "forum_guard.sqlite"
#: The per-user data folder's name.
APP_NAME = "forum-guard"


def user_data_dir() -> Path:
    """The per-user data folder of forum_guard (not created here)."""
    import platformdirs

    return platformdirs.user_data_path(APP_NAME, appauthor=False)


def sqlite_url(path: str | os.PathLike[str]) -> str:
    """The SQLAlchemy URL of a SQLite file (made absolute: a URL never depends on the current folder)."""
    return "sqlite:///" + str(Path(path).expanduser().absolute())


def user_database_url() -> str:
    """``forum_guard.sqlite`` in the per-user data folder."""
    return sqlite_url(user_data_dir() / DATABASE_FILE)


def default_database_url(instance_path: str | os.PathLike[str] | None = None) -> str:
    """The store to use when nothing names one: ``$FORUM_GUARD_DATABASE_URL``, else
    ``forum_guard.sqlite`` in ``instance_path`` (a Flask app's instance folder) when given, else in
    the per-user data folder."""
    env = os.environ.get(DATABASE_URL_ENV, "").strip()
    if env:
        return env
    if instance_path is not None:
        return sqlite_url(Path(instance_path) / DATABASE_FILE)
    return user_database_url()


def sqlite_file(url: str | URL) -> Path | None:
    """The file of a SQLite URL; None for an in-memory database, a ``file:`` URI or another backend."""
    u = make_url(url)
    if u.get_backend_name() != "sqlite":
        return None
    db = u.database
    if not db or db == ":memory:" or db.startswith("file:"):
        return None
    return Path(db).expanduser()


def display_url(url: str | URL) -> str:
    """A URL as it may be shown and logged: the password hidden."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:  # not a URL at all: shown as given (there is no password SQLAlchemy could find)
        return str(url)
