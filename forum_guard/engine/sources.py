"""Where a worker gets the ruleset in force: a fixed Guard, a folder of lists, or the store."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from .policy import Guard

__all__ = ["DirectorySource", "RulesetSource", "StaticSource"]


class RulesetSource(Protocol):
    """Gives the compiled ruleset in force. ``current()`` is cheap and never waits on a compile
    after the first one."""

    def current(self) -> Guard: ...


class StaticSource:
    """Always the same Guard."""

    def __init__(self, guard: Guard) -> None:
        self._guard = guard

    def current(self) -> Guard:
        return self._guard


class DirectorySource:
    """The lists of a folder (``*.txt`` plus ``limits.toml``), compiled once on first use."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._guard: Guard | None = None

    def current(self) -> Guard:
        guard = self._guard
        if guard is None:
            from .policy import Guard

            guard = self._guard = Guard.from_directory(self.path)
        return guard
