"""Reading a request body at the edge: one size limit, and JSON that is an object or a 422.

:func:`limit_body` is the one request-size check. It runs when a request to a guarded endpoint or
to the extension's blueprint starts, before any hook can read the body (the host's CSRFProtect reads
the form): a declared ``Content-Length`` over the limit is refused unread, and a body without one
(chunked) is counted as it is read and refused once it goes past the limit.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Flask, g, request
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
    (or the host's smaller ``MAX_CONTENT_LENGTH``) when the extension reads it.

    A declared length over the limit is refused at once. A body without one is read through
    werkzeug's limit set one byte past ours: werkzeug stops there without an error (the body would
    just end early), so :func:`read_form` and :func:`json_object` refuse a body they read past the
    limit instead of checking, and saving, the cut-off part."""
    if not _applies(sender):
        return
    limits = [n for n in (guard_state(sender).config[ConfigKeys.MAX_REQUEST_BYTES], request.max_content_length) if n]
    if not limits:
        return
    limit = min(limits)
    if request.content_length is not None:
        if request.content_length > limit:
            raise DraftTooLargeError()
        return
    request.max_content_length = limit + 1
    g._forum_guard_body_limit = limit


def _refuse_if_read_past_the_limit() -> None:
    limit = g.get("_forum_guard_body_limit")
    if limit is not None and request.stream.tell() > limit:
        raise DraftTooLargeError()


def read_form(text_fields: Iterable[str] = ()) -> MultiDict[str, str]:
    """The request's form fields; a body over the limit is :class:`DraftTooLargeError`. A field of
    ``text_fields`` sent as a multipart file part is refused (422): it would pass unchecked and
    reach the view as a file (the post's attachments, under other names, stay the host's)."""
    try:
        form = request.form
        files = request.files if request.mimetype == "multipart/form-data" else None
    except RequestEntityTooLarge:
        raise DraftTooLargeError() from None
    _refuse_if_read_past_the_limit()
    for name in text_fields if files else ():
        if name in files:  # type: ignore[operator]
            raise DraftRefused(f"The field {name!r} was sent as a file: send it as text.")
    return form


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
    _refuse_if_read_past_the_limit()
    if not isinstance(body, dict):
        raise DraftRefused(f"{what} is not a JSON object.")
    return body
