"""What the editor and the notice templates get from the server: their wording and the editor's config.

The wording has one source, :data:`~forum_guard.web.config.EDITOR_MESSAGES` plus the ruleset's own
messages, with the host's ``FORUM_GUARD_MESSAGES`` over both. The templates read it through
:func:`editor_message`; ``editor.js`` gets all of it in the ``data-fg-config`` JSON and has no
wording of its own.
"""

from __future__ import annotations

import json

from flask import g, has_request_context, url_for

from ..engine.limits import Messages
from ..i18n import using
from .checks import current_actor, current_context, current_guard, is_moderator
from .config import EDITOR_MESSAGES, ConfigKeys
from .i18n import translate, translator
from .state import guard_state

__all__ = ["editor_config", "editor_message", "editor_messages", "server_draft", "server_drafts_enabled"]


def editor_messages() -> dict[str, str]:
    """Every text the editor and the notice templates show, by key (computed once per request)."""
    if has_request_context() and "_forum_guard_messages" in g:
        cached: dict[str, str] = g._forum_guard_messages
        return cached
    state = guard_state()
    # the two notices the ruleset words too: an admin who rewords them changes the editor's as well
    ruleset = current_guard().limits.messages if state.config[ConfigKeys.ENABLED] else Messages()
    with using(translator()):  # the shipped wording in the request's language, an admin's as written
        messages = {"pasted_image": ruleset.text("pasted_image"), "moderator": ruleset.text("exempt")}
    messages.update({key: translate(text) for key, text in EDITOR_MESSAGES.items()})
    messages.update(state.config[ConfigKeys.MESSAGES] or {})
    if has_request_context():
        g._forum_guard_messages = messages
    return messages


def editor_message(key: str) -> str:
    """One of :func:`editor_messages`, for the templates."""
    return editor_messages()[key]


def server_drafts_enabled() -> bool:
    """Drafts are kept on the server for signed-in users when the host gave a loader and a saver."""
    ext = guard_state().ext
    return ext._draft_loader is not None and ext._draft_saver is not None and current_actor() is not None


def server_draft(key: str | None) -> str:
    """The signed-in user's saved draft for the editor ``key`` ("" when none)."""
    loader = guard_state().ext._draft_loader
    if not key or loader is None or not server_drafts_enabled():
        return ""
    return loader(key) or ""


def editor_config() -> str:
    """JSON for the editor's ``data-fg-config`` attribute (a plain str: Jinja escapes it there)."""
    config = guard_state().config
    return json.dumps({
        "checkUrl": url_for("forum_guard.check") if config[ConfigKeys.LIVE_CHECK] else None,
        "delay": int(config[ConfigKeys.CHECK_DELAY_MS]),
        "autosave": bool(config[ConfigKeys.AUTOSAVE]),
        "messages": editor_messages(),
        "moderator": is_moderator(),
        # where the page posts (the host's context_loader): editor.js sends it with each live check
        "context": current_context(),
        "draftUrl": url_for("forum_guard.draft") if server_drafts_enabled() else None,
    }, default=str)
