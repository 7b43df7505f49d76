"""FlaskBB posts and the moderation queue, kept in step both ways.

- A reply, edit or topic whose verdict is require_approval is saved by FlaskBB as usual, then
  hidden (FlaskBB's own hidden posts: moderators see them, members do not) and queued under the
  post's id; a flagged one is queued and stays visible.
- A moderator unhiding the post in FlaskBB (or deleting it) settles its queue item
  (``guard.settle``); approving in forum_guard's queue unhides the post (the ``queue_decided``
  signal), with the moderator's edit written back to the post.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, g, has_request_context, url_for
from flask.typing import ResponseReturnValue

from ...engine.actions import Action
from ...engine.verdict import Verdict
from ...web import signals
from ...web.checks import current_verdict
from ...web.state import EXTENSION_KEY

_UNHIDDEN = "_forum_guard_flaskbb_unhidden"
_DELETED = "_forum_guard_flaskbb_deleted"


def _guard() -> Any:
    return current_app.extensions[EXTENSION_KEY].ext


def _queued(verdict: Verdict | None) -> bool:
    return verdict is not None and not verdict.exempt and verdict.action.queued


def after_post_saved(post: Any) -> None:
    """A reply or an edit was saved: hide and queue it when its verdict asks for approval."""
    if not has_request_context() or EXTENSION_KEY not in current_app.extensions:
        return
    topic = post.topic
    if topic is not None and topic.first_post_id is None:
        return  # the first post of a topic being created: after_topic_saved decides
    _hold(post, [("content", post.content)])


def after_topic_saved(topic: Any) -> None:
    """A topic was opened or edited: its title and first post decide together."""
    if not has_request_context() or EXTENSION_KEY not in current_app.extensions:
        return
    post = topic.first_post
    if post is not None:
        _hold(post, [("content", post.content), ("title", topic.title)])


def _hold(post: Any, fields: list[tuple[str, str]]) -> None:
    """Queue the first field whose verdict is queued (one item per post); hide the post when
    that verdict is require_approval."""
    done: set[int] = g.setdefault("_forum_guard_flaskbb_held", set())
    if post.id in done:
        return
    for field, text in fields:
        verdict = current_verdict(field)
        if not _queued(verdict):
            continue
        assert verdict is not None
        done.add(post.id)
        if verdict.action is Action.REQUIRE_APPROVAL and not post.hidden:
            from flask_login import current_user

            post.hide(current_user._get_current_object())
        _guard().hold(verdict, text, ref=post.id)
        return


def post_url(ref: str) -> str | None:
    """FlaskBB's address of a queued post (the queue links to it)."""
    return url_for("forum.view_post", post_id=int(ref)) if ref.isdigit() else None


def on_queue_decided(app: Flask, *, ref: str | None, decision: str, content: str | None = None,
                     queue_id: int | None = None, **_: Any) -> None:
    """A moderator decided in forum_guard's queue: unhide an approved post (with the edit, if any)."""
    if ref is None or not ref.isdigit() or decision != "approved":
        return
    from flaskbb.extensions import db
    from flaskbb.forum.models import Post

    post = db.session.get(Post, int(ref))
    if post is None:
        return
    store = app.extensions[EXTENSION_KEY].store
    item = store.queue_item(queue_id) if store is not None and queue_id is not None else None
    if content is not None and item is not None and item.content == post.content and content != post.content:
        post.content = content
        db.session.add(post)
        db.session.commit()
    if post.hidden:
        post.unhide()
    # the unhide is FlaskBB settling too: other items under the same post are approved with it
    _guard().settle(ref, "approve")


def track_hidden(target: Any, value: Any, oldvalue: Any, _initiator: Any) -> None:
    """SQLAlchemy ``set`` listener on ``Post.hidden``/``Topic.hidden``: note posts being unhidden."""
    if has_request_context() and oldvalue is True and value is False:
        post_id = getattr(target, "first_post_id", None) if hasattr(target, "first_post_id") else target.id
        if post_id is not None:
            g.setdefault(_UNHIDDEN, set()).add(post_id)


def track_deleted(_mapper: Any, _connection: Any, target: Any) -> None:
    """SQLAlchemy ``after_delete`` listener on ``Post``: note deleted posts."""
    if has_request_context() and target.id is not None:
        g.setdefault(_DELETED, set()).add(target.id)


def settle_after_request(response: ResponseReturnValue) -> ResponseReturnValue:
    """After a FlaskBB request that unhid or deleted posts: settle their queue items."""
    unhidden: set[int] = g.pop(_UNHIDDEN, set())
    deleted: set[int] = g.pop(_DELETED, set())
    status = getattr(response, "status_code", 200)
    if (unhidden or deleted) and status < 400 and EXTENSION_KEY in current_app.extensions:
        guard = _guard()
        if current_app.extensions[EXTENSION_KEY].store is not None:
            for post_id in sorted(unhidden - deleted):
                guard.settle(post_id, "approve")
            for post_id in sorted(deleted):
                guard.settle(post_id, "reject", note="deleted in FlaskBB")
    return response


def connect(app: Flask) -> None:
    from flaskbb.forum.models import Post, Topic
    from sqlalchemy import event

    for model in (Post, Topic):
        if not event.contains(model.hidden, "set", track_hidden):
            event.listen(model.hidden, "set", track_hidden)
    if not event.contains(Post, "after_delete", track_deleted):
        event.listen(Post, "after_delete", track_deleted)
    signals.queue_decided.connect(on_queue_decided, app, weak=False)
    app.after_request(settle_after_request)
