"""The store: lists, terms, limits, moderation queue and audit log in a SQL database."""

from ._store import *  # noqa: F403
from ._store import __all__  # noqa: F401
