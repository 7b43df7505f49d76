"""The smallest compatibility patch FlaskBB 2.2.0 needs on Python 3.12 and 3.13, applied by
``scripts/flaskbb-suite`` to the FlaskBB installed in its own virtualenv (never to the checkout).

1. Modules that import names only under ``if TYPE_CHECKING:`` but use them in annotations fail at
   import before Python 3.14 (PEP 649): each gets ``from __future__ import annotations``.
2. ``ForumNotLocked.fulfill`` answers "locked" (its check is inverted), so nobody may open a topic
   in an unlocked forum: it gets the ``not`` it lacks.

Idempotent: a second run changes nothing. Prints what it changed.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

FUTURE = "from __future__ import annotations\n"
LOCK_BUG = "    def fulfill(self, user: User):\n        return self._is_forum_locked()\n"
LOCK_FIX = "    def fulfill(self, user: User):\n        return not self._is_forum_locked()\n"


def add_future_import(path: Path) -> bool:
    source = path.read_text(encoding="utf-8")
    if "TYPE_CHECKING" not in source or FUTURE in source:
        return False
    tree = ast.parse(source)
    first = tree.body[0] if tree.body else None
    docstring = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
        and isinstance(first.value.value, str)
    lines = source.splitlines(keepends=True)
    at = first.end_lineno if docstring and first is not None and first.end_lineno else 0
    if at == 0:  # keep an encoding line or shebang first
        while at < len(lines) and lines[at].startswith("#"):
            at += 1
    lines.insert(at, FUTURE)
    path.write_text("".join(lines), encoding="utf-8")
    return True


def fix_forum_not_locked(path: Path) -> bool:
    source = path.read_text(encoding="utf-8")
    if LOCK_FIX in source:
        return False
    if source.count(LOCK_BUG) != 1:
        raise SystemExit(f"{path}: ForumNotLocked.fulfill is not as FlaskBB 2.2.0 shipped it; check the patch")
    path.write_text(source.replace(LOCK_BUG, LOCK_FIX), encoding="utf-8")
    return True


def main(package: Path) -> None:
    changed = [p for p in sorted(package.rglob("*.py")) if add_future_import(p)]
    if fix_forum_not_locked(package / "utils" / "requirements.py"):
        changed.append(package / "utils" / "requirements.py")
    for p in changed:
        print(f"patched {p.relative_to(package.parent)}")
    print(f"FlaskBB compatibility patch: {len(changed)} file(s) changed")


if __name__ == "__main__":
    import importlib.util

    spec = importlib.util.find_spec("flaskbb")  # found, not imported: importing it is what fails
    if len(sys.argv) > 1:
        main(Path(sys.argv[1]))
    elif spec is None or spec.origin is None:
        raise SystemExit("FlaskBB is not installed in this interpreter")
    else:
        main(Path(spec.origin).parent)
