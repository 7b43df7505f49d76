"""The HTTP errors of the Flask edge: werkzeug exceptions with a ``description`` a poster can read."""

from __future__ import annotations

from werkzeug.exceptions import HTTPException, TooManyRequests

__all__ = ["BlockHandlerError", "DraftRefused", "DraftTooLargeError", "TooManyChecks", "UnansweredBlock"]


class DraftRefused(HTTPException):
    """A post the server cannot check as sent (a guarded field repeated, not text, bad JSON)."""

    code = 422
    description = "The post could not be read. Please edit your content and try again."


class DraftTooLargeError(HTTPException):
    """A post larger than the extension accepts; refused before any expensive work."""

    code = 413
    description = "Your post is too large. Please shorten it and try again."


class TooManyChecks(TooManyRequests):
    """A client over ``FORUM_GUARD_LIVE_CHECK_RATE``; ``Retry-After`` says when to check again."""

    description = "Too many checks in a short time. Your draft will be checked again in a moment."


class BlockHandlerError(RuntimeError):
    """The host's ``block_handler`` returned nothing for a blocked post. Never a pass: the post is
    not saved and the request ends in a 500 with this message in the log."""


class UnansweredBlock(RuntimeError):
    """``FORUM_GUARD_MODE = "record"``: a view answered a blocked post with success without asking
    ``verdict_for`` (or ``current_verdict``) about it."""
