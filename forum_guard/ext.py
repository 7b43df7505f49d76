"""The Flask extension under its first, documented name; the code lives in :mod:`forum_guard.web`."""

from .web.extension import *  # noqa: F403
from .web.extension import __all__  # noqa: F401
