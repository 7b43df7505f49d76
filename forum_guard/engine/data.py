"""The data forum_guard ships: the default word lists and ``limits.toml``.

They live in the top-level ``wordlists/`` folder of the source tree, which the wheel carries as the
package ``forum_guard.wordlists``. They are always found through :mod:`importlib.resources`, never
through a path relative to the checkout or the current folder, so an installed wheel, an editable
checkout and a zipped install read the same files.
"""

from __future__ import annotations

from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

__all__ = ["SHIPPED", "shipped_dir", "shipped_files"]

#: How forum_guard names the shipped lists in messages and logs (``source`` of each list).
SHIPPED = "forum_guard.wordlists"


def _root() -> Traversable:
    return resources.files(SHIPPED)


def shipped_files() -> list[tuple[str, str]]:
    """``(file name, text)`` of every shipped ``*.txt`` list and of ``limits.toml``, sorted."""
    out = []
    for entry in sorted(_root().iterdir(), key=lambda e: e.name):
        if entry.is_file() and (entry.name.endswith(".txt") or entry.name == "limits.toml"):
            out.append((entry.name, entry.read_text(encoding="utf-8")))
    return out


def shipped_dir() -> Path:
    """The shipped lists as a folder on disk (an installed wheel or a checkout: always a real folder)."""
    root = _root()
    if not isinstance(root, Path):  # pragma: no cover - a zipped install
        raise RuntimeError(f"{SHIPPED} is not a folder on disk ({root!r}); install forum_guard unzipped")
    return root
