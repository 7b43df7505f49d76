"""WTForms validators that guard a field with the ruleset in force.

::

    class ReplyForm(FlaskForm):
        content = TextAreaField("Reply", validators=[DataRequired(), NoBannedTerms()])

On a failed validation the field's error is the forum's notice, and the verdict (with the highlighted
draft) is on ``form.content.verdict`` and ``forum_guard.web.current_verdict("content")`` for the
``forum_guard/_notice.html`` macro. Several validators on one field share one check.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from wtforms.validators import ValidationError

from ..engine.actions import Action
from ..engine.verdict import Verdict, ViolationKind
from .checks import check_field

if TYPE_CHECKING:
    from wtforms import Field, Form

__all__ = ["EmojiLimit", "GuardedContent", "NoBannedTerms", "NoPastedImages"]


class GuardedContent:
    """Fails the field when the draft breaks a rule whose action is in ``refuse`` (default: block).

    ``message`` replaces the forum's notices; ``markup`` says what the field holds, "html",
    "markdown", "bbcode" or "text" (or the old ``html=True/False``; default: ``FORUM_GUARD_MARKUP``);
    ``kinds`` limits the validator to some violation kinds.
    """

    kinds: frozenset[ViolationKind] | None = None

    def __init__(
        self,
        message: str | None = None,
        *,
        markup: str | None = None,
        html: bool | None = None,
        refuse: Iterable[Action] = (Action.BLOCK,),
    ) -> None:
        self.message = message
        self.markup = markup
        self.html = html
        self.refuse = frozenset(refuse)

    def offending(self, verdict: Verdict) -> list[str]:
        """The notices of the violations this validator refuses."""
        if verdict.exempt:
            return []
        messages: dict[str, None] = {}
        for v in verdict.violations:
            if v.action in self.refuse and (self.kinds is None or v.kind in self.kinds):
                messages.setdefault(v.message, None)
        return list(messages)

    def __call__(self, form: Form, field: Field) -> None:
        data: Any = field.data
        if data is None or data == "":
            return
        verdict = check_field(field, markup=self.markup, html=self.html)
        messages = self.offending(verdict)
        if messages:
            raise ValidationError(self.message or " ".join(messages))


class NoBannedTerms(GuardedContent):
    """The whole check: banned terms, blocked domains, emoji, pasted images and length limits."""


class EmojiLimit(GuardedContent):
    """Only the emoji limit ("Only 75 emoji are allowed.")."""

    kinds = frozenset({ViolationKind.EMOJI})


class NoPastedImages(GuardedContent):
    """Only pasted images (``data:``, ``blob:`` … sources)."""

    kinds = frozenset({ViolationKind.PASTED_IMAGE})
