"""The extension's blueprint: the live check the editor calls, server-side drafts, the editor's
static files, and errors as JSON the editor can show.

Every POST here needs a valid CSRF token (:func:`~forum_guard.web.csrf.require_csrf`), whether or
not the host uses ``CSRFProtect``; bodies are held to ``FORUM_GUARD_MAX_REQUEST_BYTES``
(:func:`~forum_guard.web.body.limit_body`) before anything reads them.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from flask import Blueprint, jsonify, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, NotFound, RequestEntityTooLarge, UnsupportedMediaType

from ..engine.draft.markup import MarkupLanguage, markup_language
from .body import json_object, read_form
from .checks import check, current_guard, valid_unicode
from .csrf import require_csrf
from .editor import editor_assets, editor_markup, first_time, server_drafts_enabled
from .embed import embed_view
from .errors import DraftRefused, DraftTooLargeError, TooManyChecks, translated
from .ratelimit import COST_BYTES, spend_for_body, spend_for_request
from .responses import verdict_json
from .state import guard_state

if TYPE_CHECKING:
    from flask.typing import ResponseReturnValue

__all__ = ["MAX_CONTEXT", "MAX_DRAFT_KEY", "RATE_COST_BYTES", "live_context", "make_blueprint"]

#: A live check costs one request of the client's budget, plus one per this many bytes of body as read.
RATE_COST_BYTES = COST_BYTES
#: The longest editor key a draft may be saved under.
MAX_DRAFT_KEY = 200

_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def make_blueprint(url_prefix: str, live_check: bool) -> Blueprint:
    """The ``forum_guard`` blueprint: ``POST /check`` (when ``live_check``), ``POST /draft``, ``/static``."""
    bp = Blueprint(
        "forum_guard",
        __name__,
        url_prefix=url_prefix,
        template_folder="templates",
        static_folder="static",
        static_url_path="/static",
    )
    if live_check:
        bp.add_url_rule("/check", "check", live_check_view, methods=["POST"])
    bp.add_url_rule("/draft", "draft", save_draft_view, methods=["POST"])
    bp.add_url_rule("/embed", "embed", embed_view, methods=["POST"])
    bp.add_app_template_global(editor_assets, "forum_guard_editor_assets")
    bp.add_app_template_global(editor_markup, "forum_guard_editor_markup")
    bp.add_app_template_global(first_time, "forum_guard_first")
    bp.before_request(require_csrf)
    bp.register_error_handler(HTTPException, json_error)
    return bp


def live_check_view() -> ResponseReturnValue:
    """``POST /forum-guard/check`` with ``{"content": str, "markup": "html" | "markdown" | "bbcode" |
    "text", "context": …}`` (or the old ``"html": bool``; JSON or form). Without a markup:
    ``FORUM_GUARD_MARKUP``; ``context`` goes to the group loader (a moderator of one forum)."""
    _spend_rate()
    if request.is_json:
        body = json_object("The request")
    elif request.mimetype not in _FORM_TYPES:
        raise UnsupportedMediaType('Send the draft as JSON, {"content": "…", "html": true}, or as a form.')
    else:
        form = read_form(("content", "markup", "html")).to_dict()
        body = dict(form)
        if "html" in form:
            body["html"] = form["html"].lower() in ("1", "true", "on", "yes")
    spend_for_body(guard_state().live_check_limiter, TooManyChecks)  # the bytes as read: chunked pays too
    content = body.get("content", "")
    markup, html = body.get("markup"), body.get("html")
    if not isinstance(content, str) or not isinstance(html, bool | None) or not isinstance(markup, str | None):
        raise DraftRefused("content must be a string, markup a string and html a boolean.")
    try:
        language = None if markup is None else markup_language(markup)
    except ValueError:
        raise DraftRefused(f"markup must be one of {', '.join(m.value for m in MarkupLanguage)}.") from None
    context = live_context(body.get("context"))
    verdict = check(content, markup=language, html=None if language else html, context=context)
    return jsonify(verdict_json(verdict))


#: The longest ``context`` (as JSON) a live check may carry.
MAX_CONTEXT = 1000


def live_context(value: object) -> object:
    """The live check's ``context`` (where the draft will be posted, as the editor was told by the
    host's ``context_loader``): a string, number or flat object of those. It only shapes the answer
    while typing; the submit is checked with the context the host reads from its own request."""
    if value is None:
        return None
    scalar = str | int | float | bool
    ok = isinstance(value, scalar) or (
        isinstance(value, dict) and all(isinstance(v, scalar | None) for v in value.values()))
    if not ok or len(json.dumps(value)) > MAX_CONTEXT:
        raise DraftRefused(f"context must be a string, a number or a flat object, under {MAX_CONTEXT} characters.")
    return value


def _spend_rate() -> None:
    """Spend one live check from the client's budget, or refuse with 429 and ``Retry-After``."""
    spend_for_request(guard_state().live_check_limiter, TooManyChecks)


def save_draft_view() -> ResponseReturnValue:
    """``POST /forum-guard/draft`` with ``{"key": str, "content": str | null}`` (null drops it)."""
    saver = guard_state().ext._draft_saver
    if saver is None or not server_drafts_enabled():
        raise NotFound("Drafts are not kept on the server here.")
    body = json_object("The request")
    key, content = body.get("key"), body.get("content")
    if not isinstance(key, str) or not key or len(key) > MAX_DRAFT_KEY:
        raise DraftRefused("key must be a short string.")
    if content is not None and not isinstance(content, str):
        raise DraftRefused("content must be a string or null.")
    key, content = valid_unicode(key), None if content is None else valid_unicode(content)
    if content is not None and len(content) > current_guard().limits.hard_cap:
        # a draft no post could ever be: nothing is kept (the browser's own copy stays)
        raise DraftTooLargeError()
    saver(key, content or None)
    return jsonify({"saved": content is not None and content != "", "key": key})


def json_error(exc: HTTPException) -> ResponseReturnValue:
    """Errors of the blueprint's API as JSON the editor can show."""
    if request.endpoint == "forum_guard.static":
        return exc
    name = "csrf" if isinstance(exc, CSRFError) else (exc.name or "error").lower().replace(" ", "_")
    message = translated(exc.description or exc.name)
    if isinstance(exc, RequestEntityTooLarge):  # werkzeug's own (MAX_CONTENT_LENGTH), in the forum's words
        message = translated(DraftTooLargeError.description)
    response = jsonify({"error": name, "message": message})
    for header, value in exc.get_headers():  # Retry-After of a 429, Allow of a 405
        if header.lower() != "content-type":
            response.headers[header] = value
    return response, exc.code or 500
