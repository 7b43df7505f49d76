"""The edge's answers to a checked post: the verdict as JSON, the moderator's notice, the 422 page."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from flask import g, jsonify, render_template, request

from ..engine.actions import Action
from ..engine.verdict import Verdict
from .config import ConfigKeys
from .editor import editor_messages
from .errors import BlockHandlerError
from .i18n import translate
from .state import guard_state

if TYPE_CHECKING:
    from flask.typing import ResponseReturnValue
    from jinja2 import Template

__all__ = ["blocked_response", "call_block_handler", "exempt_notice", "verdict_json", "wants_json"]


def wants_json() -> bool:
    """Whether the client asked for JSON: a JSON body, or an ``Accept`` that prefers it to HTML."""
    if request.is_json:
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def exempt_notice(verdict: Verdict) -> str:
    """What the notice tells a moderator whose post the filter let through, and what it would have met."""
    messages = editor_messages()
    text = messages["moderator"]
    would = verdict.exempt_action or Action.ALLOW
    if would is not Action.ALLOW:
        text += " " + messages["moderator_would"].format(action=translate(would.done))
    return text


def verdict_json(verdict: Verdict) -> dict[str, Any]:
    """The verdict as the live check and JSON posts return it."""
    d = verdict.to_dict()
    d["highlighted_html"] = str(verdict.highlighted_html)
    d["blocked"] = verdict.blocked
    if verdict.exempt:
        d["exempt_notice"] = exempt_notice(verdict)
    return d


def blocked_response(verdict: Verdict | Mapping[str, Verdict], template: str | Template | None = None,
                     **context: Any) -> ResponseReturnValue:
    """The 422 answer to a blocked post: JSON for API posts, else ``template`` (the host's form)
    rendered with ``context`` plus ``verdict``/``verdicts``; by default the generic re-post page."""
    verdicts = dict(verdict) if isinstance(verdict, Mapping) else {"content": verdict}
    worst = max(verdicts.values(), key=lambda v: v.action.severity)
    if wants_json():
        body = verdict_json(worst)
        body["error"] = "blocked"
        body["fields"] = {name: verdict_json(v) for name, v in verdicts.items()}
        return jsonify(body), 422
    if template is None:
        template = guard_state().config[ConfigKeys.BLOCKED_TEMPLATE]
        drafts = g.get("_forum_guard_drafts") or {}
        hidden = [(k, v) for k, v in request.form.items(multi=True) if k not in verdicts]
        context.setdefault("fields", [(name, drafts.get(name, ""), v) for name, v in verdicts.items()])
        context.setdefault("hidden", hidden)
        context.setdefault("action_url", request.url)
    context.setdefault("verdict", worst)
    context.setdefault("verdicts", verdicts)
    return render_template(template, **context), 422


def call_block_handler(handler: Callable[[dict[str, Verdict]], ResponseReturnValue],
                       verdicts: dict[str, Verdict]) -> ResponseReturnValue:
    """The host's ``block_handler`` answer to a blocked post. Returning nothing would let Flask run
    the view and save the post, so it is a :class:`~forum_guard.web.errors.BlockHandlerError`
    (a 500 with the reason in the log), never a pass."""
    answer = handler(verdicts)
    if answer is None:
        name = getattr(handler, "__qualname__", repr(handler))
        raise BlockHandlerError(
            f"the block_handler {name} returned None for a blocked post to {request.endpoint!r}; "
            "it must return a response (e.g. the host's form with status 422)")
    return answer
