"""forum_guard: a content-moderation filter a forum plugs in.

The core (terms, normalize, matcher, draft, policy, render) is plain Python with no Flask import;
the Flask edge is :mod:`forum_guard.ext` (``ForumGuard``), :mod:`forum_guard.admin` and the CLI.
"""

from .errors import ForumGuardError, LimitsError, WordlistError
from .limits import GroupLimits, Limits, Messages
from .policy import Guard
from .terms import Action, ListKind, Term, WordList, dump_wordlist, load_wordlist, load_wordlists, parse_wordlist
from .verdict import Match, Verdict, Violation, ViolationKind

__all__ = [
    "Action",
    "ForumGuardError",
    "GroupLimits",
    "Guard",
    "Limits",
    "LimitsError",
    "ListKind",
    "Match",
    "Messages",
    "Term",
    "Verdict",
    "Violation",
    "ViolationKind",
    "WordList",
    "WordlistError",
    "dump_wordlist",
    "load_wordlist",
    "load_wordlists",
    "parse_wordlist",
]

__version__ = "0.1.0"
