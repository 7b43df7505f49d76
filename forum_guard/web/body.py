"""Reading a request body at the edge: one size limit, and JSON that is an object or a 422.

:func:`limit_body` is the one request-size check. It runs when a request to a guarded endpoint or
to the extension's blueprint starts, before any hook can read the body (the host's CSRFProtect reads
the form): a declared ``Content-Length`` over the limit is refused unread, and a body without one
(chunked) is cut off by werkzeug as soon as it has read past the limit (``request.max_content_length``).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, request
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import RequestEntityTooLarge

from .config import ConfigKeys
from .errors import DraftRefused, DraftTooLargeError
from .state import guard_state

__all__ = ["json_object", "limit_body", "read_form"]


def _applies(app: Flask) -> bool:
    """Whether the size limit holds for this request: the extension's blueprint or a guarded endpoint."""
    return request.blueprint == "forum_guard" or request.endpoint in guard_state(app).protect


def limit_body(sender: Flask, **extra: Any) -> None:
    """``request_started`` receiver: hold this request's body to ``FORUM_GUARD_MAX_REQUEST_BYTES``
    (or the host's smaller ``MAX_CONTENT_LENGTH``) when the extension reads it."""
    if not _applies(sender):
        return
    limit = guard_state(sender).config[ConfigKeys.MAX_REQUEST_BYTES]
    if not limit:
        return
    host_limit = request.max_content_length
    request.max_content_length = limit if host_limit is None else min(limit, host_limit)
    if (request.content_length or 0) > request.max_content_length:
        raise DraftTooLargeError()


def read_form() -> MultiDict[str, str]:
    """The request's form fields; a body over the limit is :class:`DraftTooLargeError`."""
    try:
        return request.form
    except RequestEntityTooLarge:
        raise DraftTooLargeError() from None


def json_object(what: str) -> dict[str, Any]:
    """The request's JSON object. Malformed JSON, JSON nested deeper than the parser's recursion
    limit, or anything but an object is a 422 naming ``what``, never a 500; a body over the limit is
    :class:`DraftTooLargeError`."""
    try:
        body = request.get_json(silent=True)
    except RecursionError:
        body = None
    except RequestEntityTooLarge:
        raise DraftTooLargeError() from None
    if not isinstance(body, dict):
        raise DraftRefused(f"{what} is not a JSON object.")
    return body
