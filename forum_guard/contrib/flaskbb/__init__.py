"""forum_guard as a FlaskBB plugin: ``pip install forum-guard``, enable "forum_guard" in FlaskBB's
plugin admin (Management → Plugins), restart FlaskBB.

What it does, through FlaskBB's own hooks and forms (no template or view of FlaskBB is replaced):

- **Checks** replies, quick replies, post edits, new topics and topic edits (title as text, body as
  Markdown, FlaskBB's markup): the check is a validator on FlaskBB's forms, so it runs after
  FlaskBB's permission checks. A blocked submit comes back as FlaskBB's page (422) with the
  draft in the form, the notice and the highlighted draft above the field; a blocked quick reply
  too (FlaskBB itself would redirect and lose it).
- **Holds** posts that need approval as FlaskBB hidden posts (see :mod:`.posts`); unhiding one in
  FlaskBB approves its queue item, approving in the queue unhides it.
- **Groups** from FlaskBB's users: guest, new (fewer than ``FORUM_GUARD_FLASKBB_NEW_MEMBER_POSTS``
  posts, default 3), member, moderator — admins, super moderators, and moderators in the forums
  they moderate (see :mod:`.authors`).
- **The admin pages** (lists, limits, queue, audit log) for FlaskBB's moderators and admins, inside
  FlaskBB's layout, linked from the top navigation ("Content filter").
- **The live editor** attached to FlaskBB's Markdown textarea, checking as the author types.

Settings are forum_guard's ``FORUM_GUARD_*`` keys in FlaskBB's config file; the plugin only
changes two defaults: ``FORUM_GUARD_MARKUP = "markdown"`` and the store, an SQLite file
``forum_guard.sqlite`` in FlaskBB's instance folder (never FlaskBB's own database: see issue 6).
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Flask, current_app, g, make_response, render_template, request
from flask.typing import ResponseReturnValue
from markupsafe import Markup
from pluggy import HookimplMarker

from ...web.checks import current_verdict
from ...web.editor import editor_config
from ...web.state import EXTENSION_KEY
from ...web.validators import NoBannedTerms
from . import authors, posts

__all__ = ["PLUGIN_NAME"]

#: the plugin's name in FlaskBB (its entry point in group ``flaskbb_plugins``)
PLUGIN_NAME = "forum_guard"

impl = HookimplMarker("flaskbb")

_templates = Blueprint("forum_guard_flaskbb", __name__, template_folder="templates")


class FlaskBBGuard(NoBannedTerms):
    """The validator put on FlaskBB's fields: forum_guard's whole check, in apps where the plugin runs."""

    def __call__(self, form: Any, field: Any) -> None:
        if EXTENSION_KEY in current_app.extensions:
            super().__call__(form, field)


def _guard_fields() -> None:
    """Put the validator on FlaskBB's post and topic forms (every form class shares these fields:
    reply, quick reply, edit, new topic, edit topic)."""
    from flaskbb.forum.forms import PostForm, TopicForm

    for unbound, markup in ((PostForm.content, None), (TopicForm.content, None), (TopicForm.title, "text")):
        validators = unbound.kwargs.setdefault("validators", [])
        if not any(isinstance(v, FlaskBBGuard) for v in validators):
            validators.append(FlaskBBGuard(markup=markup))


def _setup(app: Flask) -> None:
    from ...web.admin import init_admin
    from ...web.extension import ForumGuard

    app.config.setdefault("FORUM_GUARD_MARKUP", "markdown")
    app.config.setdefault("FORUM_GUARD_DATABASE_URL", f"sqlite:///{app.instance_path}/forum_guard.sqlite")
    app.config.setdefault("FORUM_GUARD_ADMIN_HOME_URL", app.config.get("APPLICATION_ROOT") or "/")
    app.register_blueprint(_templates)  # before the admin: its base.html wins
    guard = ForumGuard(app)
    guard.context_loader(authors.context)
    guard.group_loader(authors.group)
    guard.actor_loader(authors.actor)
    guard.moderator_loader(authors.is_moderator)
    guard.post_url_loader(posts.post_url)
    guard.locale_selector(authors.locale)
    init_admin(app)
    _guard_fields()
    posts.connect(app)
    app.after_request(_blocked_status)
    app.context_processor(_flaskbb_theme)


@impl
def flaskbb_additional_setup(app: Flask) -> None:
    _setup(app)


@impl
def flaskbb_event_post_save_after(post: Any, is_new: bool) -> None:
    posts.after_post_saved(post)


@impl
def flaskbb_event_topic_save_after(topic: Any, is_new: bool) -> None:
    posts.after_topic_saved(topic)


@impl
def flaskbb_tpl_navigation_after() -> Any:
    """"Content filter" in FlaskBB's top navigation, for moderators and admins."""
    from flaskbb.display.navigation import NavigationLink

    if EXTENSION_KEY not in current_app.extensions or not authors.moderates_anywhere(authors._user()):
        return None
    return NavigationLink(endpoint="forum_guard_admin.queue", name="Content filter", icon="fas fa-shield-alt")


def _flaskbb_theme() -> dict[str, Any]:
    """FlaskBB's theme for the admin pages, which extend FlaskBB's layout (FlaskBB's own views
    pass it through their ``render_template``; forum_guard's use Flask's)."""
    if request.blueprint != "forum_guard_admin":
        return {}
    from flask import session
    from flaskbb.utils.settings import flaskbb_config

    user = authors._user()
    theme = user.theme if user.is_authenticated and user.theme else session.get("theme", flaskbb_config["DEFAULT_THEME"])
    return {"_theme": theme}


def _field_markup(field_id: str, markup: str, *, editor: bool = True) -> Markup:
    """The notice and the editor attach for FlaskBB's field ``field_id``."""
    if EXTENSION_KEY not in current_app.extensions:
        return Markup("")
    if not editor:
        return Markup(render_template("forum_guard/flaskbb/_field.html", verdict=current_verdict(field_id),
                                      field_id=field_id, markup=markup, editor_config=None, assets=False))
    config = json.loads(editor_config())
    forum = authors.context_forum()
    if config.get("checkUrl") and forum is not None:
        config["checkUrl"] += f"?forum={int(forum.id)}"
    config["moderator"] = authors.group(authors.context()) == "moderator"
    assets = not g.get("_forum_guard_flaskbb_assets")
    g._forum_guard_flaskbb_assets = True
    return Markup(render_template("forum_guard/flaskbb/_field.html", verdict=current_verdict(field_id),
                                  field_id=field_id, markup=markup, editor_config=json.dumps(config),
                                  assets=assets))


def _content_markup() -> str:
    return str(current_app.config.get("FORUM_GUARD_MARKUP", "markdown"))


@impl
def flaskbb_tpl_form_new_post_before(form: Any) -> Markup:
    return _field_markup("content", _content_markup())


@impl
def flaskbb_tpl_form_new_topic_before(form: Any) -> Markup:
    """Below the title, above the body: the title's notice, then the body's notice and editor."""
    return _field_markup("title", "text", editor=False) + _field_markup("content", _content_markup())


@impl
def flaskbb_tpl_topic_controls(topic: Any) -> Markup:
    """Right above the quick reply form: its notice and its editor. FlaskBB's topic page shows its
    controls twice, above the posts and above the quick reply: only the second gets them."""
    if request.endpoint != "forum.view_topic":
        return Markup("")
    seen = g.get("_forum_guard_flaskbb_controls", 0) + 1
    g._forum_guard_flaskbb_controls = seen
    if seen != 2:
        return Markup("")
    return _field_markup("content", _content_markup())


def _blocked_status(response: Any) -> ResponseReturnValue:
    """FlaskBB answers a refused form with 200 (and a refused quick reply with a redirect that
    loses the draft): answer 422 with the page and the draft instead."""
    if request.method != "POST" or EXTENSION_KEY not in current_app.extensions:
        return response
    verdicts = [v for v in (current_verdict("content"), current_verdict("title")) if v is not None]
    if not any(v.blocked and not v.exempt for v in verdicts):
        return response
    if request.endpoint == "forum.view_topic" and response.status_code in (302, 303):
        from flaskbb.forum.views import ViewTopic

        page = ViewTopic().get(**(request.view_args or {}))  # the quick reply form holds the draft
        return make_response(page, 422)
    if response.status_code == 200 and response.mimetype == "text/html":
        response.status_code = 422
    return response
