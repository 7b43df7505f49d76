"""Who is posting, in FlaskBB's terms: the plugin's group, actor and moderator loaders.

FlaskBB moderators are per forum: a user in a "mod" group moderates only the forums that list him
among their moderators; admins and super moderators moderate everywhere. The forum is the context
(``{"forum": id}``, from :func:`context` on submit, from the live check's body while typing), else
the one the request is about (FlaskBB's ``current_forum``: from the topic, post or forum in the
URL), else for the live check the ``forum`` the editor's check URL names.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, request

#: posts a member needs before leaving the "new" group (FlaskBB counts posts per user)
NEW_MEMBER_POSTS_KEY = "FORUM_GUARD_FLASKBB_NEW_MEMBER_POSTS"
DEFAULT_NEW_MEMBER_POSTS = 3


def _user() -> Any:
    from flask_login import current_user

    return current_user


def context() -> dict[str, int] | None:
    """The plugin's context loader: ``{"forum": id}`` of the forum this request posts to."""
    from flaskbb.forum.locals import current_forum

    forum = current_forum._get_current_object()
    return None if forum is None else {"forum": int(forum.id)}


def context_forum(given: Any = None) -> Any:
    """The FlaskBB forum this request posts to (``given`` context first), or None."""
    from flaskbb.extensions import db
    from flaskbb.forum.locals import current_forum
    from flaskbb.forum.models import Forum

    forum_id = given.get("forum") if isinstance(given, dict) else None
    if isinstance(forum_id, int) and not isinstance(forum_id, bool) and 0 < forum_id < 2**31:
        return db.session.get(Forum, forum_id)
    forum = current_forum._get_current_object()
    if forum is not None:
        return forum
    if request.blueprint == "forum_guard":  # the live check: the forum the editor was opened in
        forum_id = request.args.get("forum", "")
        if forum_id.isdigit() and len(forum_id) < 12:
            return db.session.get(Forum, int(forum_id))
    return None


def moderates(user: Any, forum: Any) -> bool:
    """Whether ``user`` may moderate ``forum`` (None: no forum, so only the global moderators)."""
    if not user.is_authenticated:
        return False
    perms = user.permissions
    if perms.get("admin") or perms.get("super_mod"):
        return True
    return bool(perms.get("mod")) and forum is not None and user in forum.moderators


def moderates_anywhere(user: Any) -> bool:
    perms = user.permissions if user.is_authenticated else {}
    return bool(perms.get("admin") or perms.get("super_mod") or perms.get("mod"))


def group(context: Any = None) -> str:
    """The author's forum_guard group: guest, new, member or moderator (in the forum of the context)."""
    user = _user()
    if not user.is_authenticated or user.permissions.get("banned") or user.permissions.get("guest"):
        return "guest"
    if moderates(user, context_forum(context)):
        return "moderator"
    threshold = int(current_app.config.get(NEW_MEMBER_POSTS_KEY, DEFAULT_NEW_MEMBER_POSTS))
    if (user.post_count or 0) < threshold:
        return "new"
    return "member"


def actor() -> str | None:
    user = _user()
    return str(user.username) if user.is_authenticated else None


def is_moderator(context: Any = None) -> bool:
    """The admin pages are for anyone who moderates somewhere; elsewhere (the editor's notice)
    a moderator is who moderates the forum of the context."""
    user = _user()
    if request.blueprint == "forum_guard_admin":
        return moderates_anywhere(user)
    return moderates(user, context_forum(context))


def locale() -> str | None:
    """The FlaskBB user's language (Flask-BabelPlus's locale: the user's setting, else the forum's)."""
    from flask_babelplus import get_locale

    found = get_locale()
    return None if found is None else str(found)
