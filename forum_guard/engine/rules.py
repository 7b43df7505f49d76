"""The limit rules a draft goes through, one small class each, run in turn by the policy.

A rule looks at the analysed draft and the author's group limits and returns the violation it
finds, or None. A new rule is one class here plus its notice in
:class:`~forum_guard.engine.limits.Messages`; :data:`DEFAULT_RULES` is the chain a
:class:`~forum_guard.engine.policy.Guard` runs unless it is given another one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from .actions import Action
from .draft import Draft
from .limits import GroupLimits, Messages
from .verdict import Violation, ViolationKind

__all__ = [
    "DEFAULT_RULES",
    "EmojiRule",
    "ImageRule",
    "LimitRule",
    "LinkRule",
    "MaxLengthRule",
    "MinLengthRule",
    "PastedImageRule",
    "run_rules",
]


class LimitRule(Protocol):
    """One limit: ``rule(draft, limits, messages)`` is the violation it finds, or None."""

    def __call__(self, draft: Draft, limits: GroupLimits, messages: Messages) -> Violation | None: ...


def _over(kind: ViolationKind, messages: Messages, key: str, count: int, limit: int) -> Violation:
    return Violation(kind, Action.BLOCK, messages.render(key, count=count, limit=limit), count=count, limit=limit)


class EmojiRule:
    """At most ``max_emoji`` emoji (Unicode graphemes, forum shortcodes and emoji images)."""

    def __call__(self, draft: Draft, limits: GroupLimits, messages: Messages) -> Violation | None:
        if limits.max_emoji is None or draft.emoji_count <= limits.max_emoji:
            return None
        return _over(ViolationKind.EMOJI, messages, "emoji", draft.emoji_count, limits.max_emoji)


class PastedImageRule:
    """No image whose source is not on the web (``data:``, ``blob:``, ``file:``…)."""

    def __call__(self, draft: Draft, limits: GroupLimits, messages: Messages) -> Violation | None:
        if not draft.pasted_images or limits.allow_pasted_images:
            return None
        return _over(ViolationKind.PASTED_IMAGE, messages, "pasted_image", len(draft.pasted_images), 0)


class LinkRule:
    """At most ``max_links`` links; none at all has its own notice."""

    def __call__(self, draft: Draft, limits: GroupLimits, messages: Messages) -> Violation | None:
        if limits.max_links is None or len(draft.links) <= limits.max_links:
            return None
        key = "links_none" if limits.max_links == 0 else "links"
        return _over(ViolationKind.LINKS, messages, key, len(draft.links), limits.max_links)


class ImageRule:
    """At most ``max_images`` images from the web."""

    def __call__(self, draft: Draft, limits: GroupLimits, messages: Messages) -> Violation | None:
        if limits.max_images is None or draft.image_count <= limits.max_images:
            return None
        return _over(ViolationKind.IMAGES, messages, "images", draft.image_count, limits.max_images)


class MaxLengthRule:
    """At most ``max_length`` visible characters."""

    def __call__(self, draft: Draft, limits: GroupLimits, messages: Messages) -> Violation | None:
        if limits.max_length is None:
            return None
        length = len(draft.body.strip())
        if length <= limits.max_length:
            return None
        return _over(ViolationKind.TOO_LONG, messages, "too_long", length, limits.max_length)


class MinLengthRule:
    """At least ``min_length`` visible characters, unless the post is an image."""

    def __call__(self, draft: Draft, limits: GroupLimits, messages: Messages) -> Violation | None:
        length = len(draft.body.strip())
        if length >= limits.min_length or draft.image_count:
            return None
        return _over(ViolationKind.TOO_SHORT, messages, "too_short", length, limits.min_length)


#: The rules every Guard runs by default, in the order their notices are shown.
DEFAULT_RULES: tuple[LimitRule, ...] = (
    EmojiRule(), PastedImageRule(), LinkRule(), ImageRule(), MaxLengthRule(), MinLengthRule(),
)


def run_rules(rules: Sequence[LimitRule], draft: Draft, limits: GroupLimits, messages: Messages) -> list[Violation]:
    """Every violation the rules find, in the rules' order."""
    found = []
    for rule in rules:
        violation = rule(draft, limits, messages)
        if violation is not None:
            found.append(violation)
    return found
