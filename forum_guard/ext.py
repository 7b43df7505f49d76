"""The Flask extension under its first, documented name: ``from forum_guard.ext import ForumGuard, …``.

The code and a complete host app to copy are in :mod:`forum_guard.web`.
"""

from .web import *  # noqa: F403
from .web import __all__  # noqa: F401
