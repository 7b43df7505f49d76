"""What a match or a broken limit does to a post, and everything that follows from it.

Each action carries its own facts (how severe it is, whether the poster is told, whether the post
is saved, published or queued for moderators, which notice a term match shows, how it is named
and coloured), so that a new action is one line here rather than a row in ten parallel tables.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

__all__ = ["Action"]


class Action(enum.Enum):
    """block > require_approval > flag > censor > allow. ``Action("block")`` parses a value."""

    #: value, severity, shown, saved, published, queued, terms message, label, done, colour
    # the "done" texts are translated where they are shown (forum_guard.web.responses.exempt_notice):
    # N_("allowed"), N_("censored"), N_("flagged for moderators"), N_("held for approval"), N_("blocked")
    ALLOW = ("allow", 0, False, True, True, False, None, "Allow", "allowed", "green")
    CENSOR = ("censor", 1, True, True, True, False, "terms_censor", "Censor", "censored", "cyan")
    FLAG = ("flag", 2, False, True, True, True, "terms_flag", "Flag", "flagged for moderators", "magenta")
    REQUIRE_APPROVAL = ("require_approval", 3, True, True, False, True, "terms_require_approval",
                        "Require approval", "held for approval", "yellow")
    BLOCK = ("block", 4, True, False, False, False, "terms_block", "Block", "blocked", "red")

    severity: int
    #: the poster is told: the matches are highlighted in the draft and the notice shown
    shown: bool
    #: the post is stored (everything but block)
    saved: bool
    #: the post is visible to readers at once
    published: bool
    #: the post goes to the moderation queue (its reason there is the action's value)
    queued: bool
    #: the field of :class:`~forum_guard.engine.limits.Messages` a term match of this action shows
    terms_message: str | None
    #: the name an admin picks in a form ("Require approval")
    label: str
    #: what happened to the post, for notices and logs ("held for approval")
    done: str
    #: the colour terminals and the admin page use
    colour: str

    def __new__(cls, value: str, *facts: object) -> Action:
        member = object.__new__(cls)
        member._value_ = value
        (member.severity, member.shown, member.saved, member.published, member.queued, member.terms_message,
         member.label, member.done, member.colour) = facts  # type: ignore[assignment]
        return member

    @classmethod
    def parse(cls, value: str) -> Action:
        """An action from what a person writes: ``"block"``, ``"Require approval"``, ``"queue"``…"""
        key = value.strip().lower().replace("-", "_").replace(" ", "_")
        key = _ALIASES.get(key, key)
        try:
            return cls(key)
        except ValueError:
            choices = ", ".join(a.value for a in cls.for_lists())
            raise ValueError(f"unknown action {value!r} (choose one of: {choices})") from None

    @classmethod
    def for_lists(cls) -> tuple[Action, ...]:
        """The actions a list may have (every one but allow), mildest first."""
        return tuple(a for a in cls if a is not cls.ALLOW)

    @staticmethod
    def strongest(actions: Iterable[Action]) -> Action:
        """The most severe of ``actions``; allow when there are none (a plain loop: every check
        calls it)."""
        strongest = Action.ALLOW
        for action in actions:
            if action.severity > strongest.severity:
                strongest = action
        return strongest


_ALIASES = {"approval": "require_approval", "approve": "require_approval", "moderate": "require_approval",
            "queue": "require_approval", "hide": "require_approval", "replace": "censor"}
