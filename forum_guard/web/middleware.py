"""The middleware: every POST/PUT/PATCH to an endpoint named in ``FORUM_GUARD_PROTECT`` is checked
before its view runs; a blocked one never reaches the view, a held one is queued even if the view
forgets to."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from flask import Response, g, render_template, request
from werkzeug.datastructures import ImmutableMultiDict, MultiDict

from ..engine.draft.markup import markup_language
from ..engine.verdict import Verdict
from .body import json_object, read_form
from .checks import content_to_store, hold, submit_check, valid_unicode
from .config import ConfigKeys
from .csrf import host_protects, require_csrf
from .errors import DraftRefused, TooManyPosts, UnansweredBlock, translated
from .ratelimit import spend_for_body, spend_for_request
from .responses import blocked_response, call_block_handler, wants_json
from .state import guard_state

if TYPE_CHECKING:
    from flask.typing import ResponseReturnValue

__all__ = ["hold_unheld", "normalize_protect", "protect_endpoints", "refuse_unanswered_blocks"]

log = logging.getLogger("forum_guard")


def normalize_protect(value: Mapping[str, Any] | None, default: str | bool) -> dict[str, dict[str, str]]:
    """``FORUM_GUARD_PROTECT`` as ``{endpoint: {field: markup}}``; a field's markup is a name or
    ``True``/``False`` (html/text), ``default`` where only field names are given. An unknown
    markup name is a ``ValueError`` (at start-up, not on the first post)."""

    def name(v: Any) -> str:
        if isinstance(v, bool):
            return "html" if v else "text"
        return markup_language(v).value

    out: dict[str, dict[str, str]] = {}
    for endpoint, fields in (value or {}).items():
        if isinstance(fields, str):
            fields = [fields]
        if isinstance(fields, Mapping):
            out[endpoint] = {str(k): name(v) for k, v in fields.items()}
        else:
            out[endpoint] = {str(f): name(default) for f in fields}
    return out


def protect_endpoints() -> ResponseReturnValue | None:
    """``before_request``: check the guarded fields of this post, answer 422 when one is blocked,
    and hand the view what may be stored."""
    if request.method not in ("POST", "PUT", "PATCH") or request.endpoint is None:
        return None
    state = guard_state()
    fields = state.protect.get(request.endpoint)
    if not fields:
        return None
    if host_protects():
        require_csrf()  # a forged post is refused before a check is spent on it (and before a signal)
    try:
        spend_for_request(state.post_limiter, TooManyPosts)
    except TooManyPosts as exc:
        return _too_fast(exc, fields)
    body: dict[str, Any] | None = None
    data: MultiDict[str, Any]
    if request.is_json:
        body = json_object("The post")
        for key, value in body.items():  # in place: views read this same parsed object
            if isinstance(value, str):
                body[key] = valid_unicode(value)
        data = MultiDict(body)
    else:
        data = read_form(fields)
    try:
        spend_for_body(state.post_limiter, TooManyPosts)
    except TooManyPosts as exc:
        return _too_fast(exc, fields)

    verdicts: dict[str, Verdict] = {}
    for name, markup in fields.items():
        values = data.getlist(name)
        if not values:
            continue
        if len(values) > 1:
            raise DraftRefused(f"The field {name!r} was sent more than once.")
        value = values[0]
        if not isinstance(value, str):
            raise DraftRefused(f"The field {name!r} is not text.")
        verdicts[name] = submit_check(name, value, markup)
    if not verdicts:
        return None
    g._forum_guard_middleware = set(verdicts)
    record = state.config[ConfigKeys.MODE] == "record"
    if any(v.blocked for v in verdicts.values()) and not record:
        handler = state.ext._block_handler
        if handler is not None and not wants_json():
            return call_block_handler(handler, verdicts)
        return blocked_response(verdicts)
    if record:  # the view decides: a blocked draft stays as typed, for the host's form to show again
        verdicts = {name: v for name, v in verdicts.items() if not v.blocked}
    if state.config[ConfigKeys.REWRITE_FIELDS] and verdicts:
        if body is not None:
            # request.get_json() (and flask-wtf, which reads it) returns this same cached dict, so
            # a JSON post's view sees the sanitized draft too, never the raw one
            for name, verdict in verdicts.items():
                body[name] = content_to_store(verdict)
        else:
            form = request.form.copy()
            for name, verdict in verdicts.items():
                form.setlist(name, [content_to_store(verdict)])
            request.form = ImmutableMultiDict(form)
    return None


def _too_fast(exc: TooManyPosts, fields: Mapping[str, str]) -> ResponseReturnValue:
    """A form post over the posting rate: 429 with ``Retry-After``, and the page gives every field
    back as typed (the body is read for that, never checked), so the poster loses nothing and
    sends it again later. JSON clients get the error as JSON."""
    if wants_json():
        raise exc
    form = read_form(fields)
    page = render_template(
        "forum_guard/too_fast.html", message=translated(exc.description or ""),
        fields=[(name, valid_unicode(form.get(name, "")) if isinstance(form.get(name), str) else "", markup)
                for name, markup in fields.items()],
        hidden=[(k, v) for k, v in form.items(multi=True) if k not in fields], action_url=request.url)
    return page, 429, {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}


def hold_unheld(response: Response) -> Response:
    """``after_request``: a middleware-checked post that needed a moderator and was saved without
    ``hold()`` is queued anyway (without a ref), so the signal and the queue never miss it."""
    names = g.get("_forum_guard_middleware")
    if not names or response.status_code >= 400:
        return response
    held = g.get("_forum_guard_held", set())
    drafts = g.get("_forum_guard_drafts") or {}
    verdicts = g.get("_forum_guard_verdicts") or {}
    for name in names:
        verdict = verdicts.get(name)
        if verdict is not None and verdict.action.queued and id(verdict) not in held:
            hold(verdict, content_to_store(verdict) if verdict.is_html else drafts.get(name, ""))
    return response


def refuse_unanswered_blocks(response: Response) -> Response:
    """``after_request`` in ``FORUM_GUARD_MODE = "record"``: a blocked draft the view never asked
    about (``verdict_for``, ``current_verdict``, the notice macro) and answered with success is a
    host bug, never a pass: the answer becomes a 500 and the log says which endpoint and field."""
    names = g.get("_forum_guard_middleware")
    if not names or response.status_code >= 400 or guard_state().config[ConfigKeys.MODE] != "record":
        return response
    verdicts = g.get("_forum_guard_verdicts") or {}
    consulted = g.get("_forum_guard_consulted") or set()
    unanswered = sorted(n for n in names if n not in consulted and verdicts[n].blocked)
    if not unanswered:
        return response
    error = UnansweredBlock(
        f"FORUM_GUARD_MODE is 'record' and the view of {request.endpoint!r} answered "
        f"{response.status_code} to a blocked post without asking verdict_for({unanswered[0]!r})")
    log.error("%s", error)
    return Response("The post could not be handled. The forum's log says why.", status=500,
                    mimetype="text/plain")
