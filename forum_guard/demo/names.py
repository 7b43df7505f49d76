"""Names people see next to posts: member names, guest names and signatures go through the guard,
and a name that looks like a member's (``m0derator``, ``mоderator`` with a Cyrillic о) is refused.

The look-alike test compares skeletons: the matcher's own folding (:func:`fold_term`: case, l33t,
homoglyphs, accents, fullwidth letters, repeated letters), with the spaces, dots, dashes and
underscores between words taken out, and I/l, rn/m, vv/w made one. Two names with the same skeleton
read the same on a page. (When the engine grows a confusables skeleton, this is where it goes.)
"""

from __future__ import annotations

import re

from sqlalchemy import select

from forum_guard.engine.actions import Action
from forum_guard.engine.normalize import fold_term
from forum_guard.web import check, content_to_store

from .models import User, db

__all__ = ["NameRefused", "checked_name", "checked_text", "name_skeleton", "owner_of_lookalike"]

#: names a member may not take even when no member holds them yet (staff titles)
RESERVED = ("moderator", "admin", "administrator", "staff", "forum guard", "system")


class NameRefused(ValueError):
    """A name or field the forum will not show; the message says why, for the form."""


#: letter groups that look alike in a sans-serif name next to a post (after folding, which already
#: reads 1, ! and | as i): capital I and small l, "rn" and "m", "vv" and "w"
_LOOKALIKE_GROUPS = (("rn", "m"), ("vv", "w"), ("l", "i"))


def name_skeleton(name: str) -> str:
    """What a name reads as: folded like the matcher folds text, without separators, with the
    letter groups that look alike in a name made one."""
    key = "".join(fold_term(name)[0].split())
    for group, letter in _LOOKALIKE_GROUPS:
        key = key.replace(group, letter)
    return _RUN.sub(r"\1", key)  # "aiice" (from "alice") and "aice" (from "AIice") are one name


_RUN = re.compile(r"(.)\1+")


def owner_of_lookalike(name: str, *, exclude: int | None = None) -> str | None:
    """The member (or reserved staff title) whose name reads the same as ``name``, if any."""
    key = name_skeleton(name)
    if not key:
        return None
    for reserved in RESERVED:
        if name_skeleton(reserved) == key:
            return reserved
    for user_id, other in db().execute(select(User.id, User.name)):
        if user_id != exclude and name_skeleton(other) == key:
            return str(other)
    return None


def checked_text(text: str, *, what: str) -> str:
    """``text`` (plain text a reader will see) as it may be stored, after the guard: refused when
    the filter would block it or hold it (a name cannot wait for approval), censored when it says
    so. The author's group applies, so moderators are exempt as everywhere else."""
    verdict = check(text, markup="text")
    if not verdict.exempt and verdict.action in (Action.BLOCK, Action.REQUIRE_APPROVAL):
        raise NameRefused(f"That {what} is not allowed. Please choose another.")
    return content_to_store(verdict)


def checked_name(name: str, *, what: str = "name", exclude: int | None = None) -> str:
    """A display name after the guard and the look-alike test (see :func:`checked_text`)."""
    name = " ".join(name.split())
    stored = checked_text(name, what=what)
    owner = owner_of_lookalike(stored, exclude=exclude)
    if owner is not None:
        if owner.lower() == stored.lower():
            raise NameRefused("That name is taken.")
        raise NameRefused(f"That name looks too much like {owner!r}. Please choose another.")
    return stored
