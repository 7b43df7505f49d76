"""Every error forum_guard raises, in one place.

Data errors subclass :class:`ValueError`; errors that reach an HTTP client subclass a werkzeug
``HTTPException`` in the Flask layer (``forum_guard.web.errors``), not here: the core imports no web code.
"""

from __future__ import annotations

__all__ = [
    "AlreadyDecided",
    "AlreadyExists",
    "EmptyRulesetError",
    "ForumGuardError",
    "LimitsError",
    "NoStoreError",
    "NotFound",
    "ScanError",
    "StoreError",
    "WordlistError",
]


class ForumGuardError(Exception):
    """Base class of every forum_guard error."""


class WordlistError(ForumGuardError, ValueError):
    """A wordlist (or limits file) that cannot be loaded; names the file and line when known."""

    def __init__(self, message: str, *, source: str | None = None, line: int | None = None) -> None:
        self.message = message
        self.source = source
        self.line = line
        where = source or "<wordlist>"
        if line is not None:
            where = f"{where}:{line}"
        super().__init__(f"{where}: {message}")


class LimitsError(WordlistError):
    """A limits file (``limits.toml``) with a wrong key or value."""


class EmptyRulesetError(ForumGuardError):
    """A ruleset that would hold no list at all: an empty store, an empty folder, a wrong path.

    Raised when a filter is set up, never at check time: a filter with nothing in force would let
    every post through without a word, so it refuses to start and says what it looked at."""


class StoreError(ForumGuardError):
    """A store operation that cannot be done as asked (data errors subclass ValueError, missing
    things LookupError)."""


class NotFound(StoreError, LookupError):
    """No such list, term or queue item."""


class AlreadyExists(StoreError, ValueError):
    """A list of that name exists already."""


class AlreadyDecided(StoreError, ValueError):
    """The queue item was approved or rejected already (perhaps by another moderator)."""


class NoStoreError(StoreError):
    """No store where one was looked for (a missing SQLite file, a database without forum_guard's
    tables): a command that only reads never creates one, so it says where it looked instead."""


class ScanError(ForumGuardError, ValueError):
    """A backlog scan that cannot start or go on: an unreadable source, a state file that does not
    belong to this scan."""
