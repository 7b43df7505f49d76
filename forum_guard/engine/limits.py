"""Limits per member group and the notices shown to posters, loaded from ``limits.toml``.

A limits file (all keys optional; these are the defaults)::

    hard_cap = 100000            # characters; bigger drafts are refused before any other work

    [defaults]                   # every group starts from these
    max_emoji = 75
    allow_pasted_images = false
    max_links = -1               # -1: no limit
    max_images = -1
    max_length = 50000           # visible characters
    min_length = 1
    exempt = false               # the group bypasses every rule

    [groups.guest]               # then each group overrides what it needs
    max_links = 1
    [groups.new]
    max_links = 3
    [groups.member]
    [groups.moderator]
    exempt = true
    [groups.banned]              # any group name the host's group loader returns (up to 32 characters)
    extends = "guest"            # starts from another group's limits instead of [defaults]
    max_links = 0

    [messages]                   # the notices; {limit} and {count} are filled in
    terms_block = "Unfortunately, your content contains terms that we do not allow. ..."
"""

from __future__ import annotations

import string
import tomllib
from dataclasses import asdict, dataclass, field, fields, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..errors import LimitsError
from ..i18n import N_, gettext, ngettext

__all__ = [
    "DEFAULT_HARD_CAP", "GROUPS", "MAX_GROUP_NAME", "MESSAGE_FIELDS", "PLURAL_MESSAGES", "GroupLimits", "Limits",
    "Messages", "message_problem",
]

#: The fields a notice may name; each takes no format or a thousands separator (``{count:,}``).
MESSAGE_FIELDS = ("limit", "count", "domain")
_MESSAGE_SPECS = frozenset({"", ",", "_", "d", ",d", "_d"})
#: A notice longer than this is not a notice.
MAX_MESSAGE_LENGTH = 1000


@lru_cache(maxsize=256)
def message_problem(text: str) -> str | None:
    """What is wrong with a notice's text as a template, or None. Only ``{limit}``, ``{count}`` and
    ``{domain}`` may be named, with no conversion and no format beyond a thousands separator: a
    typo (``{limt}``) or a width (``{limit:>200000000}``, 400 MB per check) is refused when saved."""
    if len(text) > MAX_MESSAGE_LENGTH:
        return f"is longer than {MAX_MESSAGE_LENGTH} characters"
    try:
        parts = list(string.Formatter().parse(text))
    except ValueError as exc:
        return f"is not a valid template ({exc}); write a literal brace as {{{{ or }}}}"
    for _, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in MESSAGE_FIELDS:
            return (f"names {{{name}}}, which is not filled in; use "
                    + ", ".join(f"{{{f}}}" for f in MESSAGE_FIELDS))
        if conversion is not None or (spec or "") not in _MESSAGE_SPECS:
            return f"formats {{{name}}} with something other than a thousands separator ({{{name}:,}})"
    return None

#: The member groups a forum knows, from least to most trusted.
GROUPS = ("guest", "new", "member", "moderator")
#: The longest group name the limits (and the queue) keep.
MAX_GROUP_NAME = 32
#: Drafts longer than this many characters are refused before any other work.
DEFAULT_HARD_CAP = 100_000


@dataclass(frozen=True, slots=True)
class GroupLimits:
    """What one member group may post. ``None`` means no limit."""

    max_emoji: int | None = 75
    allow_pasted_images: bool = False
    max_links: int | None = None
    max_images: int | None = None
    max_length: int | None = 50_000
    min_length: int = 1
    exempt: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {k: (-1 if v is None else v) for k, v in asdict(self).items()}


@dataclass(frozen=True, slots=True)
class Messages:
    """The notices, in the forum's words. ``{limit}``, ``{count}`` and ``{domain}`` are filled in.

    The shipped wording is translated (:mod:`forum_guard.i18n`) and takes the plural form of its
    number ("Only 1 link is allowed."); a notice an admin reworded is shown as written."""

    terms_block: str = N_(
        "Unfortunately, your content contains terms that we do not allow. "
        "Please edit your content to remove the highlighted words below."
    )
    terms_require_approval: str = N_(
        "Your content contains terms that a moderator must approve. It will be visible once approved."
    )
    terms_flag: str = ""
    terms_censor: str = N_("Some words in your content will be replaced when it is posted.")
    emoji: str = "Only {limit} emoji are allowed."
    pasted_image: str = N_("You cannot paste images directly. Upload or insert images from URL.")
    links: str = "Only {limit} links are allowed."
    links_none: str = N_("You cannot post links yet.")
    images: str = "Only {limit} images are allowed."
    blocked_domain: str = N_("Your content links to a site that we do not allow.")
    too_long: str = "Your content is too long: {count:,} characters, the maximum is {limit:,}."
    too_short: str = "Your content is too short: at least {limit} characters are needed."
    too_large: str = "Your content is too large to be checked: {count:,} characters, the maximum is {limit:,}."
    exempt: str = N_("You are a moderator: the content filter does not apply to your posts.")

    def to_dict(self) -> dict[str, str]:
        return asdict(self)

    def text(self, key: str) -> str:
        """The notice ``key`` unfilled: the shipped wording translated (the plural form for many),
        or the admin's own text as written."""
        text: str = getattr(self, key)
        if text and text == getattr(_DEFAULT_MESSAGES, key):
            return _shipped(key, None)
        return text

    def render(self, key: str, **values: object) -> str:
        """The notice ``key`` with ``{limit}``, ``{count}``… filled in, in the current language and
        the plural form of its number. A text that cannot be filled (an unknown field, a bad
        format, in an admin's notice or a translation) falls back to the shipped English wording:
        a typo never breaks a check."""
        text: str = getattr(self, key)
        if text and text == getattr(_DEFAULT_MESSAGES, key):
            text = _shipped(key, values)
        if message_problem(text) is None:  # an admin's text stored before templates were checked
            try:
                return text.format(**values)
            except (KeyError, IndexError, ValueError, AttributeError, TypeError):
                pass
        return _english(key, values).format(**values)


#: The notices whose wording depends on a number: (singular, plural, the value that decides).
PLURAL_MESSAGES: dict[str, tuple[str, str, str]] = {
    "emoji": (N_("Only {limit} emoji is allowed."), N_("Only {limit} emoji are allowed."), "limit"),
    "links": (N_("Only {limit} link is allowed."), N_("Only {limit} links are allowed."), "limit"),
    "images": (N_("Only {limit} image is allowed."), N_("Only {limit} images are allowed."), "limit"),
    "too_long": (N_("Your content is too long: {count:,} character, the maximum is {limit:,}."),
                 N_("Your content is too long: {count:,} characters, the maximum is {limit:,}."), "count"),
    "too_short": (N_("Your content is too short: at least {limit} character is needed."),
                  N_("Your content is too short: at least {limit} characters are needed."), "limit"),
    "too_large": (N_("Your content is too large to be checked: {count:,} character, the maximum is {limit:,}."),
                  N_("Your content is too large to be checked: {count:,} characters, the maximum is {limit:,}."),
                  "count"),
}


def _number(key: str, values: dict[str, object] | None) -> int:
    n = (values or {}).get(PLURAL_MESSAGES[key][2])
    return n if isinstance(n, int) else 2


def _shipped(key: str, values: dict[str, object] | None) -> str:
    """The shipped wording of ``key`` in the current language."""
    if key in PLURAL_MESSAGES:
        singular, plural, _ = PLURAL_MESSAGES[key]
        return ngettext(singular, plural, _number(key, values))
    return gettext(getattr(_DEFAULT_MESSAGES, key))


def _english(key: str, values: dict[str, object] | None) -> str:
    if key in PLURAL_MESSAGES:
        singular, plural, _ = PLURAL_MESSAGES[key]
        return singular if _number(key, values) == 1 else plural
    text: str = getattr(_DEFAULT_MESSAGES, key)
    return text


_DEFAULT_MESSAGES = Messages()
_LIMIT_KEYS = {f.name for f in fields(GroupLimits)}
_MESSAGE_KEYS = {f.name for f in fields(Messages)}


@dataclass(frozen=True, slots=True)
class Limits:
    """Limits for every group, the hard size cap and the messages."""

    groups: dict[str, GroupLimits] = field(default_factory=dict)
    hard_cap: int = DEFAULT_HARD_CAP
    messages: Messages = field(default_factory=Messages)

    @classmethod
    def default(cls) -> Limits:
        base = GroupLimits()
        return cls(
            groups={
                "guest": replace(base, max_links=1),
                "new": replace(base, max_links=3),
                "member": base,
                "moderator": replace(base, exempt=True),
            }
        )

    def for_group(self, group: str) -> GroupLimits:
        try:
            return self.groups[group]
        except KeyError:
            known = ", ".join(self.groups)
            raise ValueError(f"unknown member group {group!r} (known: {known})") from None

    # ---------------------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: dict[str, Any], *, source: str = "<limits>") -> Limits:
        """Build from the TOML structure (also what the store keeps). Unknown keys are errors."""
        unknown = set(data) - {"hard_cap", "defaults", "groups", "messages"}
        if unknown:
            raise LimitsError(f"unknown key(s): {', '.join(sorted(unknown))}", source=source)
        base_values = dict(_group_values(data.get("defaults", {}), source, "defaults"))
        default_groups = cls.default().groups
        groups_data = data.get("groups", {})
        if not isinstance(groups_data, dict):
            raise LimitsError("[groups] must be a table", source=source)
        groups: dict[str, GroupLimits] = {}
        for name in groups_data:
            if not isinstance(name, str) or not name.strip() or len(name) > MAX_GROUP_NAME:
                raise LimitsError(f"[groups] a group name must be 1 to {MAX_GROUP_NAME} characters: {name!r}",
                                  source=source)

        def resolve(name: str, chain: tuple[str, ...]) -> GroupLimits:
            if name in groups:
                return groups[name]
            if name in chain:
                raise LimitsError(f"[groups.{name}] extends itself: {' -> '.join((*chain, name))}", source=source)
            own = groups_data.get(name, {})
            if not isinstance(own, dict):
                raise LimitsError(f"[groups.{name}] must be a table", source=source)
            parent = own.get("extends")
            if parent is not None:
                if not isinstance(parent, str) or (parent not in groups_data and parent not in GROUPS):
                    raise LimitsError(f"[groups.{name}] extends {parent!r}, which is not a group", source=source)
                values = asdict(resolve(parent, (*chain, name)))
            elif name not in groups_data and name in default_groups and not base_values:
                groups[name] = default_groups[name]
                return groups[name]
            else:
                values = dict(base_values)
                if name == "moderator":
                    values.setdefault("exempt", True)
                if name == "guest":
                    values.setdefault("max_links", 1)
                if name == "new":
                    values.setdefault("max_links", 3)
            values.update(_group_values({k: v for k, v in own.items() if k != "extends"}, source, f"groups.{name}"))
            groups[name] = GroupLimits(**values)
            return groups[name]

        for name in dict.fromkeys([*GROUPS, *groups_data]):
            resolve(name, ())
        groups = {name: groups[name] for name in dict.fromkeys([*GROUPS, *groups_data])}
        hard_cap = data.get("hard_cap", DEFAULT_HARD_CAP)
        if not isinstance(hard_cap, int) or isinstance(hard_cap, bool) or hard_cap < 1:
            raise LimitsError("hard_cap must be a positive number of characters", source=source)
        messages_data = data.get("messages", {})
        bad = set(messages_data) - _MESSAGE_KEYS
        if bad:
            raise LimitsError(f"unknown message(s): {', '.join(sorted(bad))}", source=source)
        for key, value in messages_data.items():
            if not isinstance(value, str):
                raise LimitsError(f"message {key!r} must be text", source=source)
            problem = message_problem(value)
            if problem:
                raise LimitsError(f"message {key!r} {problem}", source=source)
        return cls(groups=groups, hard_cap=hard_cap, messages=replace(Messages(), **messages_data))

    def to_dict(self) -> dict[str, Any]:
        return {
            "hard_cap": self.hard_cap,
            "groups": {name: g.to_dict() for name, g in self.groups.items()},
            "messages": self.messages.to_dict(),
        }

    @classmethod
    def load(cls, path: str | Path) -> Limits:
        p = Path(path)
        try:
            data = tomllib.loads(p.read_text(encoding="utf-8"))
        except OSError as exc:
            raise LimitsError(f"cannot read: {exc.strerror or exc}", source=str(p)) from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise LimitsError(f"not valid TOML: {exc}", source=str(p)) from None
        return cls.from_dict(data, source=str(p))


def _group_values(data: Any, source: str, where: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise LimitsError(f"[{where}] must be a table", source=source)
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key not in _LIMIT_KEYS:
            raise LimitsError(f"[{where}] unknown limit {key!r} (known: {', '.join(sorted(_LIMIT_KEYS))})",
                              source=source)
        if key in ("allow_pasted_images", "exempt"):
            if not isinstance(value, bool):
                raise LimitsError(f"[{where}] {key} must be true or false", source=source)
            out[key] = value
        else:
            if not isinstance(value, int) or isinstance(value, bool):
                raise LimitsError(f"[{where}] {key} must be a whole number", source=source)
            if key == "min_length":
                out[key] = max(0, value)
            else:
                out[key] = None if value < 0 else value
    return out
