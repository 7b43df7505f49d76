"""The HTTP errors of the Flask edge: werkzeug exceptions with a ``description`` a poster can read."""

from __future__ import annotations

from typing import Any

from markupsafe import escape
from werkzeug.exceptions import HTTPException, TooManyRequests

from ..i18n import N_


def translated(description: str) -> str:
    """A built-in error text in the request's language (as it is outside a request)."""
    from .i18n import translate  # the edge's translator needs the app: imported when used

    try:
        return translate(description)
    except RuntimeError:  # no app context, or forum_guard not set up on this app
        return description


class _Translated(HTTPException):
    """An HTTP error whose built-in description is shown in the request's language."""

    def get_description(self, environ: Any = None, scope: Any = None) -> str:
        return f"<p>{escape(translated(self.description or ''))}</p>"

__all__ = ["BlockHandlerError", "DraftRefused", "DraftTooLargeError", "TooManyChecks", "TooManyPosts", "UnansweredBlock"]


class DraftRefused(_Translated):
    """A post the server cannot check as sent (a guarded field repeated, not text, bad JSON)."""

    code = 422
    description = N_("The post could not be read. Please edit your content and try again.")


class DraftTooLargeError(_Translated):
    """A post larger than the extension accepts; refused before any expensive work."""

    code = 413
    description = N_("Your post is too large. Please shorten it and try again.")


class TooManyChecks(_Translated, TooManyRequests):
    """A client over ``FORUM_GUARD_LIVE_CHECK_RATE``; ``Retry-After`` says when to check again."""

    description = N_("Too many checks in a short time. Your draft will be checked again in a moment.")


class BlockHandlerError(RuntimeError):
    """The host's ``block_handler`` returned nothing for a blocked post. Never a pass: the post is
    not saved and the request ends in a 500 with this message in the log."""


class UnansweredBlock(RuntimeError):
    """``FORUM_GUARD_MODE = "record"``: a view answered a blocked post with success without asking
    ``verdict_for`` (or ``current_verdict``) about it."""


class TooManyPosts(_Translated, TooManyRequests):
    """A client over ``FORUM_GUARD_POST_RATE``; ``Retry-After`` says when to post again."""

    description = N_("You are posting too fast. Please wait a moment, then send your post again.")
