"""The HTTP errors of the Flask edge: werkzeug exceptions with a ``description`` a poster can read."""

from __future__ import annotations

from werkzeug.exceptions import HTTPException, TooManyRequests

__all__ = ["DraftRefused", "DraftTooLargeError", "TooManyChecks", "TooManyPosts"]


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


class TooManyPosts(TooManyRequests):
    """A client over ``FORUM_GUARD_POST_RATE``; ``Retry-After`` says when to post again."""

    description = "You are posting too fast. Please wait a moment, then send your post again."
