"""The Flask edge: guard a forum's posts, serve the live check, render the notice.

A host forum, runnable as it is (``flask --app thisfile run``)::

    from flask import Flask, g, render_template_string, request
    from flask_wtf import CSRFProtect, FlaskForm
    from wtforms import TextAreaField

    from forum_guard.ext import ForumGuard, blocked_response, current_verdict, hold
    from forum_guard.validators import NoBannedTerms

    app = Flask(__name__)
    app.config["SECRET_KEY"] = "change me"
    app.config["FORUM_GUARD_PROTECT"] = {"reply": ["content"]}   # 1. middleware
    CSRFProtect(app)
    guard = ForumGuard(app)                      # the shipped lists, in a store in the instance folder

    @guard.group_loader
    def group():                                 # "guest" | "new" | "member" | "moderator"
        return getattr(g, "user_group", None)    # None: guest

    PAGE = '''<head>{% include "forum_guard/_head.html" %}</head>
    {% from "forum_guard/_editor.html" import editor %}
    <form method="post" action="{{ url }}">{{ editor("content", draft or "") }}
    <input type="hidden" name="csrf_token" value="{{ csrf_token() }}"><button>Post</button></form>'''

    @app.get("/")
    def index():
        return render_template_string(PAGE, url="/reply")

    @app.post("/reply")                          # a blocked post never gets here (422 page instead)
    def reply():
        verdict = current_verdict("content")
        content = request.form["content"]        # sanitized, or censored, by the middleware
        post_id = 1                              # ... save (pending when require_approval) ...
        if verdict.action.queued:                # require_approval or flag
            hold(verdict, content, ref=post_id)  # signal + moderation queue
        return "saved"

    class TopicForm(FlaskForm):                  # 2. the WTForms validator
        content = TextAreaField(validators=[NoBannedTerms()])

    @app.route("/topic", methods=["GET", "POST"])
    def topic():                                 # 3. an explicit call
        form = TopicForm()
        if form.is_submitted():
            verdict = guard.check_field(form.content)
            if verdict.blocked:                  # 422, notice, draft intact
                return blocked_response(verdict, app.jinja_env.from_string(PAGE), url="/topic",
                                        draft=form.content.data)
            return "saved"
        return render_template_string(PAGE, url="/topic")

All three share one check per field and request, send the same signals and put the verdict where a
view and a template find it (:func:`current_verdict`, the ``forum_guard/_notice.html`` macro). The
demo forum (:mod:`forum_guard.demo`) uses each of them once.

What a verdict does at the edge:

- **block**: the view does not save. The middleware answers 422 itself (the host's
  :meth:`ForumGuard.block_handler`, or a generic page that re-posts the draft); the validator fails the
  form; an explicit caller returns :func:`blocked_response`. JSON posts get a JSON body.
- **require_approval** / **flag**: the view saves the post (pending / published) and calls
  :func:`hold` with its id; that sends :data:`~forum_guard.web.signals.post_held` /
  :data:`~forum_guard.web.signals.post_flagged` and queues the post in the store when there is one.
  A middleware-checked post the view saved without ``hold()`` is queued anyway (without an id).
- **censor**: :func:`content_to_store` is the censored HTML (the middleware also rewrites the form
  field to it, so a view that knows nothing of forum_guard stores the censored text).

Moderators (the "moderator" group, or ``@guard.moderator_loader``) are exempt by default; the notice
tells them so and what the post would otherwise have met. The group and moderator loaders may take
the ``context`` of the post (``@guard.context_loader`` on submit, the live check's ``context``
field), so a moderator of one forum is exempt only there.

A host that decides itself sets ``FORUM_GUARD_MODE = "record"``: the middleware only checks, the
view runs its permission checks, asks :func:`verdict_for` and renders the ``field_notice`` macro in
its own form. Notices are translated (:mod:`.i18n`: Flask-Babel's locale when the host uses it).

With no configuration the shipped lists are in force, kept in a SQLite store in the app's instance
folder and seeded on first run. A ruleset that would hold no list (an empty store with seeding off,
an empty or mistyped ``FORUM_GUARD_WORDLISTS``) stops ``init_app`` with
:class:`~forum_guard.errors.EmptyRulesetError`. The modules, one concern each: :mod:`.config`
(settings and wording), :mod:`.extension`, :mod:`.ruleset`, :mod:`.checks`, :mod:`.middleware`,
:mod:`.api`, :mod:`.responses`, :mod:`.editor`, :mod:`.body`, :mod:`.csrf`, :mod:`.ratelimit`,
:mod:`.errors`, :mod:`.i18n`, :mod:`.signals`, :mod:`.validators` and the :mod:`.admin` blueprint.
"""

from __future__ import annotations

from ..engine.sources import StaticSource
from . import signals
from .checks import (
    check,
    check_field,
    content_to_store,
    current_actor,
    current_context,
    current_group,
    current_guard,
    current_verdict,
    draft_for,
    hold,
    is_moderator,
    valid_unicode,
    verdict_for,
)
from .config import DEFAULTS, EDITOR_MESSAGES, ConfigKeys
from .editor import editor_config, editor_messages, server_draft
from .errors import BlockHandlerError, DraftRefused, DraftTooLargeError, TooManyChecks, UnansweredBlock
from .extension import ForumGuard
from .ratelimit import RateLimiter
from .responses import blocked_response, exempt_notice, verdict_json
from .state import GuardState

__all__ = [
    "DEFAULTS",
    "EDITOR_MESSAGES",
    "BlockHandlerError",
    "ConfigKeys",
    "DraftRefused",
    "DraftTooLargeError",
    "ForumGuard",
    "GuardState",
    "RateLimiter",
    "StaticSource",
    "TooManyChecks",
    "UnansweredBlock",
    "blocked_response",
    "check",
    "check_field",
    "content_to_store",
    "current_actor",
    "current_context",
    "current_group",
    "current_guard",
    "current_verdict",
    "draft_for",
    "editor_config",
    "editor_messages",
    "exempt_notice",
    "hold",
    "is_moderator",
    "server_draft",
    "signals",
    "valid_unicode",
    "verdict_for",
    "verdict_json",
]
