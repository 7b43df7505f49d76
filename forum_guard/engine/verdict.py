"""Value objects a check returns: Match, Violation, Verdict."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any

from markupsafe import Markup

from .actions import Action
from .draft.model import slot_setters

__all__ = ["Match", "Verdict", "Violation", "ViolationKind"]


class _MatchSlots:
    """The storage of :class:`Match`: the same slots, writable. A check fills one of these and
    makes it a Match (``new_match``): eight plain stores instead of eight calls to the frozen
    class's slot setters (0.15 µs a match instead of 0.6; a dense draft has many)."""

    __slots__ = ("action", "end", "list", "matched", "replacement", "spans", "start", "term")


@dataclass(frozen=True, init=False)
class Match(_MatchSlots):
    """One offending span. ``start``/``end`` are code-point offsets into the checked input
    (for HTML input: into the sanitized HTML, ``Verdict.sanitized_html``); ``spans`` holds the
    per-text-node pieces when tags cut through the match (one piece otherwise)."""

    __slots__ = ()

    # no defaults here: a default would be a class attribute hiding its slot (see __init__)
    list: str
    term: str
    start: int
    end: int
    matched: str
    action: Action
    spans: tuple[tuple[int, int], ...]
    replacement: str | None

    def __init__(self, list: str, term: str, start: int, end: int, matched: str, action: Action,
                 spans: tuple[tuple[int, int], ...] = (), replacement: str | None = None) -> None:
        put = _MATCH_SLOTS
        put[0](self, list)
        put[1](self, term)
        put[2](self, start)
        put[3](self, end)
        put[4](self, matched)
        put[5](self, action)
        put[6](self, spans)
        put[7](self, replacement)

    def __getstate__(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in _MATCH_FIELDS)  # the order __setstate__ sets

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        for put, value in zip(_MATCH_SLOTS, state, strict=True):
            put(self, value)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "term": self.term,
            "list": self.list,
            "start": self.start,
            "end": self.end,
            "matched": self.matched,
            "action": self.action.value,
        }
        if len(self.spans) > 1:
            d["spans"] = [list(s) for s in self.spans]
        return d


def new_match(list: str, term: str, start: int, end: int, matched: str, action: Action,
              spans: tuple[tuple[int, int], ...], replacement: str | None) -> Match:
    """``Match(...)`` made the fast way, for the check's loop: the values are stored in a
    writable ``_MatchSlots``, which then becomes a Match (the same layout: Match adds no slot)."""
    m: Any = _MatchSlots()  # the fields' types are Match's
    m.list = list
    m.term = term
    m.start = start
    m.end = end
    m.matched = matched
    m.action = action
    m.spans = spans
    m.replacement = replacement
    m.__class__ = Match
    return m


_MATCH_SLOTS = slot_setters(Match)
_MATCH_FIELDS = tuple(f.name for f in fields(Match))


class ViolationKind(enum.Enum):
    TERMS = "terms"
    EMOJI = "emoji"
    PASTED_IMAGE = "pasted_image"
    LINKS = "links"
    IMAGES = "images"
    BLOCKED_DOMAIN = "blocked_domain"
    TOO_LONG = "too_long"
    TOO_SHORT = "too_short"
    TOO_LARGE = "too_large"


@dataclass(frozen=True, slots=True, init=False)
class Violation:
    """A rule the draft breaks, with the action it calls for and the notice to show."""

    kind: ViolationKind
    action: Action
    message: str
    #: the list whose terms matched (TERMS, BLOCKED_DOMAIN), else None
    list: str | None = None
    #: what was counted (emoji, links, characters, images) and the allowed maximum/minimum
    count: int | None = None
    limit: int | None = None
    matches: tuple[Match, ...] = ()

    def __init__(self, kind: ViolationKind, action: Action, message: str, list: str | None = None,
                 count: int | None = None, limit: int | None = None, matches: tuple[Match, ...] = ()) -> None:
        put = _VIOLATION_SLOTS
        put[0](self, kind)
        put[1](self, action)
        put[2](self, message)
        put[3](self, list)
        put[4](self, count)
        put[5](self, limit)
        put[6](self, matches)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"kind": self.kind.value, "action": self.action.value, "message": self.message}
        if self.list is not None:
            d["list"] = self.list
        if self.count is not None:
            d["count"] = self.count
        if self.limit is not None:
            d["limit"] = self.limit
        if self.matches:
            d["terms"] = sorted({m.term for m in self.matches})
        return d


_VIOLATION_SLOTS = slot_setters(Violation)


#: what renders one of the two HTML views on first access
Renderer = Callable[[], Markup]


@dataclass(frozen=True, slots=True, init=False)
class Verdict:
    """The outcome of one check.

    ``highlighted_html`` and ``censored_html`` are rendered on first access (then kept): most
    checks of a clean or refused draft never read them, and a check should not pay for HTML
    nobody shows. Pass either as a ready :class:`~markupsafe.Markup` or as a zero-argument
    callable that renders it."""

    action: Action
    matches: tuple[Match, ...]
    violations: tuple[Violation, ...]
    group: str
    is_html: bool
    #: the draft as it would be stored before censoring: sanitized HTML, or the plain text as given
    sanitized: str
    emoji_count: int
    emoji_limit: int | None
    #: the author's group is exempt (moderators by default): nothing was enforced
    exempt: bool
    #: what would have happened without the exemption (for a moderator testing their own post)
    exempt_action: Action | None
    timings: dict[str, float] = field(compare=False, repr=False)
    #: what the draft was written in: "html", "markdown", "bbcode", "text" (or a host renderer's
    #: name); "html" or "text" after ``is_html`` when not given
    markup: str
    _highlighted: Markup | Renderer = field(compare=False, repr=False)
    _censored: Markup | Renderer = field(compare=False, repr=False)
    _messages: tuple[str, ...] | None = field(compare=False, repr=False)

    def __init__(self, action: Action, matches: tuple[Match, ...], violations: tuple[Violation, ...], group: str,
                 is_html: bool, sanitized: str, highlighted_html: Markup | Renderer,
                 censored_html: Markup | Renderer, emoji_count: int = 0, emoji_limit: int | None = None,
                 exempt: bool = False, exempt_action: Action | None = None,
                 timings: dict[str, float] | None = None, markup: str = "") -> None:
        put = _VERDICT_SLOTS
        put[0](self, action)
        put[1](self, matches)
        put[2](self, violations)
        put[3](self, group)
        put[4](self, is_html)
        put[5](self, sanitized)
        put[6](self, emoji_count)
        put[7](self, emoji_limit)
        put[8](self, exempt)
        put[9](self, exempt_action)
        put[10](self, {} if timings is None else timings)
        put[11](self, markup or ("html" if is_html else "text"))
        put[12](self, highlighted_html)
        put[13](self, censored_html)
        put[14](self, None if violations else ())

    def replace(self, **changes: Any) -> Verdict:
        """A copy with ``changes`` (the constructor's keywords), the views still rendered lazily
        (:func:`dataclasses.replace` cannot copy a class with its own ``__init__``)."""
        values: dict[str, Any] = {
            "action": self.action, "matches": self.matches, "violations": self.violations, "group": self.group,
            "is_html": self.is_html, "sanitized": self.sanitized, "highlighted_html": self._highlighted,
            "censored_html": self._censored, "emoji_count": self.emoji_count, "emoji_limit": self.emoji_limit,
            "exempt": self.exempt, "exempt_action": self.exempt_action, "timings": self.timings,
            "markup": self.markup,
        }
        values.update(changes)
        return Verdict(**values)

    @property
    def highlighted_html(self) -> Markup:
        """The draft, escaped (or sanitized HTML), with ``<mark>`` around what the poster is told about."""
        value = self._highlighted
        if not isinstance(value, Markup):
            value = value()
            object.__setattr__(self, "_highlighted", value)
        return value

    @property
    def censored_html(self) -> Markup:
        """The draft, escaped (or sanitized HTML), with censor-list matches replaced."""
        value = self._censored
        if not isinstance(value, Markup):
            value = value()
            object.__setattr__(self, "_censored", value)
        return value

    @property
    def messages(self) -> tuple[str, ...]:
        """The notices that are true of the final action, each once, in the order the violations
        were found. A blocked draft is not saved, so the notices of milder rules ("It will be
        visible once approved", "Some words will be replaced") would promise what will not happen:
        only the notices of the rules that block are shown. An exempt author (a moderator) is told
        only that the filter does not apply and what it would have done (``exempt_action``), never
        "Please edit your content", so there are no notices."""
        cached = self._messages
        if cached is None:
            seen: dict[str, None] = {}
            if not self.exempt:
                for v in self.violations:
                    if v.message and (self.action is not Action.BLOCK or v.action is Action.BLOCK):
                        seen.setdefault(v.message, None)
            cached = tuple(seen)
            object.__setattr__(self, "_messages", cached)
        return cached

    @property
    def allowed(self) -> bool:
        """The post may be saved as it is (allow, flag) or censored (censor)."""
        return self.action in (Action.ALLOW, Action.FLAG, Action.CENSOR)

    @property
    def blocked(self) -> bool:
        return self.action is Action.BLOCK

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "action": self.action.value,
            "matches": [m.to_dict() for m in self.matches],
            "violations": [v.to_dict() for v in self.violations],
            "messages": list(self.messages),
            "group": self.group,
            "emoji_count": self.emoji_count,
            "emoji_limit": self.emoji_limit,
            "markup": self.markup,
        }
        if self.exempt:
            d["exempt"] = True
            d["exempt_action"] = (self.exempt_action or Action.ALLOW).value
        return d


_VERDICT_SLOTS = slot_setters(Verdict)
