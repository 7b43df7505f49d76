"""The check at the edge: the ruleset and author of this request, one check per field and request,
what a host stores, and :func:`hold` for posts that need a moderator."""

from __future__ import annotations

import inspect
import json
import logging
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from flask import current_app, g, has_request_context, request
from markupsafe import Markup

from ..engine.actions import Action
from ..engine.draft import sanitize_draft
from ..engine.draft.markup import MarkupLanguage, markup_language
from ..engine.verdict import Verdict
from ..i18n import using
from . import signals
from .body import json_object, read_form
from .config import ConfigKeys
from .errors import DraftRefused
from .i18n import translator
from .state import guard_state

if TYPE_CHECKING:
    from wtforms import Field

    from ..engine.policy import Guard

__all__ = [
    "call_loader",
    "check",
    "check_field",
    "configured_markup",
    "content_to_store",
    "context_key",
    "current_actor",
    "current_context",
    "current_group",
    "current_guard",
    "current_verdict",
    "draft_for",
    "hold",
    "is_moderator",
    "valid_unicode",
    "verdict_for",
]


# --- who and what this request checks against --------------------------------------------------


def current_guard() -> Guard:
    """The ruleset in force for this request (the same one for the whole request)."""
    if has_request_context():
        guard: Guard | None = g.get("_forum_guard_guard")
        if guard is None:
            guard = g._forum_guard_guard = guard_state().source.current()
        return guard
    return guard_state().source.current()


def _loader_takes_context(f: Callable[..., Any]) -> bool:
    """Whether a host hook is ``f(context)`` rather than ``f()``."""
    try:
        parameters = inspect.signature(f).parameters.values()
    except (TypeError, ValueError):
        return False
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                  inspect.Parameter.VAR_POSITIONAL)
    return any(p.kind in positional or p.name == "context" for p in parameters)


def call_loader(f: Callable[..., Any], context: Any) -> Any:
    """Call a host hook with the context when it takes one (``f(context)``), else ``f()``."""
    return f(context) if _loader_takes_context(f) else f()


def context_key(context: Any) -> str:
    """A stable key for a context (a forum id, a dict of ids…), for the per-request caches."""
    return json.dumps(context, sort_keys=True, default=repr)


def current_context() -> Any:
    """Where this request posts, from the host's ``context_loader`` (None when it has none): what the
    group and moderator loaders receive on submit. The live check's context comes from its body."""
    loader = guard_state().ext._context_loader
    if loader is None or (has_request_context() and request.blueprint == "forum_guard"):
        return None  # the live check's own URL says nothing of where the draft goes: its body does
    if has_request_context():
        cache: dict[str, Any] = g.setdefault("_forum_guard_context", {})
        if "value" not in cache:
            cache["value"] = loader()
        return cache["value"]
    return loader()


def current_group(context: Any = None) -> str:
    """The current author's group where they post: the host's ``group_loader``, called with
    ``context`` when it takes one (default: ``current_context()``); else ``FORUM_GUARD_DEFAULT_GROUP``."""
    if context is None:
        context = current_context()
    key = context_key(context)
    cache: dict[str, str] | None = g.setdefault("_forum_guard_groups", {}) if has_request_context() else None
    if cache is not None and key in cache:
        return cache[key]
    state = guard_state()
    loader = state.ext._group_loader
    group = (call_loader(loader, context) if loader else None) or state.config[ConfigKeys.DEFAULT_GROUP]
    if not isinstance(group, str):
        raise TypeError(f"the group_loader returned {group!r}; it must return a group name or None")
    if cache is not None:
        cache[key] = group
    return group


def current_actor() -> str | None:
    """The current user's display name, from the host's ``actor_loader``."""
    loader = guard_state().ext._actor_loader
    return loader() if loader else None


def is_moderator(context: Any = None) -> bool:
    """Whether the current user moderates where they post (``context``, default
    ``current_context()``): the host's ``moderator_loader``, else the "moderator" group. (Another
    group the limits exempt is not a moderator: it may not open the admin pages.)"""
    if context is None:
        context = current_context()
    loader = guard_state().ext._moderator_loader
    if loader is not None:
        return bool(call_loader(loader, context))
    return current_group(context) == "moderator"


def current_verdict(field: str | None = None) -> Verdict | None:
    """The verdict of a field checked on submit in this request (middleware, validator or
    ``check_field``); without a field name, the strictest of them."""
    if not has_request_context():
        return None
    verdicts: dict[str, Verdict] = g.get("_forum_guard_verdicts") or {}
    consulted: set[str] = g.setdefault("_forum_guard_consulted", set())
    if field is not None:
        if field in verdicts:
            consulted.add(field)
        return verdicts.get(field)
    if not verdicts:
        return None
    consulted.update(verdicts)
    return max(verdicts.values(), key=lambda v: v.action.severity)


def verdict_for(field: str, *, markup: str | MarkupLanguage | bool | None = None, context: Any = None) -> Verdict:
    """The verdict of the submitted ``field``, for a view that decides itself (``FORUM_GUARD_MODE =
    "record"``): call it after the host's own permission checks. The middleware's verdict when it
    checked the field, else the field is read from this request's form or JSON body and checked now
    (once per request, with the submit signals). A field missing from the post, sent twice or not
    text is a :class:`~forum_guard.web.errors.DraftRefused` (422). A ``context`` (where the post
    goes, once the view knows it) other than the one the middleware used checks the draft again
    with the author's group there."""
    if not has_request_context():
        raise RuntimeError("verdict_for() reads the current request: call it inside a view")
    verdicts: dict[str, Verdict] = g.get("_forum_guard_verdicts") or {}
    verdict = verdicts.get(field)
    used = (g.get("_forum_guard_contexts") or {}).get(field)
    if verdict is not None and context is not None and context_key(context) != used:
        verdict = submit_check(field, draft_for(field), markup or verdict.markup, context)
    elif verdict is None:
        verdict = submit_check(field, submitted_text(field), markup, context)
    g.setdefault("_forum_guard_consulted", set()).add(field)
    return verdict


def draft_for(field: str) -> str:
    """The draft of ``field`` as the poster sent it in this request ("" when it was not checked):
    what the host's form shows again around the notice."""
    if not has_request_context():
        return ""
    drafts: dict[str, str] = g.get("_forum_guard_drafts") or {}
    return drafts.get(field, "")


def submitted_text(field: str) -> str:
    """The one text value of ``field`` in this request's form or JSON body."""
    if request.is_json:
        body = json_object("The post")
        if field not in body:
            raise DraftRefused(f"The field {field!r} is missing from the post.")
        value = body[field]
    else:
        values = read_form().getlist(field)
        if not values:
            raise DraftRefused(f"The field {field!r} is missing from the post.")
        if len(values) > 1:
            raise DraftRefused(f"The field {field!r} was sent more than once.")
        value = values[0]
    if not isinstance(value, str):
        raise DraftRefused(f"The field {field!r} is not text.")
    return valid_unicode(value)


# --- checking ---------------------------------------------------------------------------------


log = logging.getLogger("forum_guard")

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def valid_unicode(text: str) -> str:
    """``text`` with every lone surrogate replaced by U+FFFD (same length, same offsets)."""
    return _LONE_SURROGATE.sub("\ufffd", text) if _LONE_SURROGATE.search(text) else text


def configured_markup(config: Mapping[str, Any]) -> MarkupLanguage:
    """``FORUM_GUARD_MARKUP``, or html/text after ``FORUM_GUARD_HTML`` when it is not set."""
    return markup_language(config.get(ConfigKeys.MARKUP), html=bool(config.get(ConfigKeys.HTML, True)))


def check(text: str, *, markup: str | MarkupLanguage | None = None, html: bool | None = None,
          group: str | None = None, context: Any = None) -> Verdict:
    """Check a draft with the ruleset in force, as the current author. The live check and every
    submit path go through here, so the editor and the server never disagree. Lone surrogates (a
    JSON body may hold ``"\\ud800"``; no database or UTF-8 page can) become U+FFFD first, as
    werkzeug does with bytes that are not UTF-8 in a form body; offsets do not move.

    ``markup`` (or the old ``html=True/False``) defaults to ``FORUM_GUARD_MARKUP``; drafts in that
    markup are read by ``FORUM_GUARD_MARKUP_RENDERER`` when the host set one.

    ``group`` defaults to the ``group_loader``'s answer for ``context`` (where the post goes: a
    forum id, whatever the host passes; default ``current_context()``). A group the limits in force
    do not name is checked with the limits of ``FORUM_GUARD_DEFAULT_GROUP`` (its verdict keeps the
    host's name)."""
    state = guard_state()
    text = valid_unicode(text)
    default = configured_markup(state.config)
    language = default if markup is None and html is None else markup_language(markup, html=html)
    renderer = state.config.get(ConfigKeys.MARKUP_RENDERER)
    if language is not default or language is MarkupLanguage.HTML:
        renderer = None
    if group is None:
        group = current_group(context)
    if not state.config[ConfigKeys.ENABLED]:  # FORUM_GUARD_ENABLED = False: allow, unchecked
        return _unchecked(text, language, group)
    guard = current_guard()
    limits_group = group
    if group not in guard.limits.groups:
        limits_group = state.config[ConfigKeys.DEFAULT_GROUP]
        _warn_unknown_group(group, limits_group)
    # a draft over the hard cap is not an error here: the verdict blocks it with its own message;
    # its notices are in the request's language (forum_guard.web.i18n)
    with using(translator()):
        verdict = guard.check(text, markup=language, renderer=renderer, group=limits_group)
    return verdict if limits_group == group else verdict.replace(group=group)


def _unchecked(text: str, language: MarkupLanguage, group: str) -> Verdict:
    """The verdict with the filter off: allow, no rule checked. An HTML draft is still sanitized
    (what a host stores and shows must be safe whether or not the rules run); other markups are
    stored as typed, as when the filter is on."""
    if language is MarkupLanguage.HTML:
        sanitized = sanitize_draft(text)[0]
        shown = Markup(sanitized)
    else:
        sanitized, shown = text, Markup.escape(text)
    return Verdict(action=Action.ALLOW, matches=(), violations=(), group=group,
                   is_html=language is MarkupLanguage.HTML, sanitized=sanitized, highlighted_html=shown,
                   censored_html=shown, markup=language.value)


_warned_groups: set[str] = set()


def _warn_unknown_group(group: str, fallback: str) -> None:
    if group not in _warned_groups and len(_warned_groups) < 1000:
        _warned_groups.add(group)
        log.warning("the limits in force name no group %r: its posts are checked with the limits of %r "
                    "(give it a [groups.%s] table in limits.toml or the store)", group, fallback, group)


def submit_check(name: str, text: str, markup: str | MarkupLanguage | bool | None, context: Any = None) -> Verdict:
    """The check of a submitted field: once per field and request, with the submit signals sent
    once, and the verdict and draft kept where :func:`current_verdict` and the templates find them.
    ``markup`` is a markup name (``True``/``False``: html/text; None: the configured one);
    ``context`` where the post goes (None: ``current_context()``)."""
    if isinstance(markup, bool):
        markup = MarkupLanguage.HTML if markup else MarkupLanguage.TEXT
    if context is None:
        context = current_context()
    cache: dict[tuple[str, str, str | None, str], Verdict] = g.setdefault("_forum_guard_cache", {})
    key = (name, text, None if markup is None else str(markup), context_key(context))
    verdict = cache.get(key)
    if verdict is None:
        verdict = cache[key] = check(text, markup=markup, context=context)
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        signals.draft_checked.send(app, verdict=verdict)
        if verdict.blocked:
            signals.draft_blocked.send(app, verdict=verdict, content=text)
    verdicts: dict[str, Verdict] = g.setdefault("_forum_guard_verdicts", {})
    verdicts[name] = verdict
    drafts: dict[str, str] = g.setdefault("_forum_guard_drafts", {})
    drafts[name] = text
    g.setdefault("_forum_guard_contexts", {})[name] = key[3]
    return verdict


def check_field(field: Field, *, markup: str | MarkupLanguage | None = None, html: bool | None = None) -> Verdict:
    """Check a WTForms field's data on submit; the verdict is also kept on ``field.verdict``.
    The markup: ``markup``/``html``, else the field's ``forum_guard_markup``/``forum_guard_html``
    attribute, else ``FORUM_GUARD_MARKUP``."""
    chosen: str | MarkupLanguage | bool | None = markup
    if chosen is None:
        chosen = html if html is not None else getattr(field, "forum_guard_markup", None)
    if chosen is None and hasattr(field, "forum_guard_html"):
        chosen = bool(field.forum_guard_html)
    data = field.data
    if data is None:
        data = ""
    if not isinstance(data, str):
        raise DraftRefused()
    verdict = submit_check(field.name, data, chosen)
    field.verdict = verdict
    return verdict


def content_to_store(verdict: Verdict) -> str:
    """What a host saves for an allowed post: the censored draft when the action is censor,
    otherwise the sanitized draft (HTML input) or the text as given."""
    if verdict.action is Action.CENSOR:
        if verdict.is_html:
            return str(verdict.censored_html)
        return Markup(str(verdict.censored_html).replace("<br>", "\n")).unescape()
    return verdict.sanitized


# --- posts that need a moderator ----------------------------------------------------------------

_HOLD_SIGNALS = {Action.REQUIRE_APPROVAL: signals.post_held, Action.FLAG: signals.post_flagged}


def hold(verdict: Verdict, content: str, *, ref: str | int | None = None, is_html: bool | None = None,
         author: str | None = None) -> int | None:
    """Tell moderators about a post saved as pending (require_approval) or flagged (flag).

    Queues it in the store when there is one and sends ``post_held`` / ``post_flagged``. ``ref`` is the
    host's id for the post; it comes back in ``queue_decided``. ``author`` defaults to
    :func:`current_actor`. Returns the queue id or None.
    """
    if not verdict.action.queued:
        queued = " and ".join(a.value for a in Action if a.queued)
        raise ValueError(f"hold() is for {queued} verdicts, not {verdict.action.value}")
    signal = _HOLD_SIGNALS[verdict.action]
    state = guard_state()
    ref_s = None if ref is None else str(ref)
    queue_id: int | None = None
    if state.store is not None:
        queue_id = state.store.enqueue(
            content=content,
            is_html=verdict.is_html if is_html is None else is_html,
            verdict=verdict,
            author=author if author is not None else (current_actor() if has_request_context() else None),
            group=verdict.group,
            ref=ref_s,
            reason=verdict.action.value,
        )
    signal.send(current_app._get_current_object(), verdict=verdict, content=content, ref=ref_s,  # type: ignore[attr-defined]
                queue_id=queue_id)
    if has_request_context():
        g.setdefault("_forum_guard_held", set()).add(id(verdict))
    return queue_id
