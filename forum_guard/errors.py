"""Every error forum_guard raises, in one place.

Data errors subclass :class:`ValueError`; errors that reach an HTTP client subclass a werkzeug
``HTTPException`` in the Flask layer (``forum_guard.web.extension``), not here: the core imports no web code.
"""

from __future__ import annotations


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
