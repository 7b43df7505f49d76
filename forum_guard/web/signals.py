"""Signals a host forum can connect to (blinker, through Flask's namespace).

Every signal is sent with the Flask app as sender and keyword arguments as documented.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: A draft was checked on submit. kwargs: ``verdict``.
draft_checked = _signals.signal("forum-guard-draft-checked")
#: A submitted draft was refused (action block). kwargs: ``verdict``, ``content``.
draft_blocked = _signals.signal("forum-guard-draft-blocked")
#: A post needs a moderator's approval (action require_approval). kwargs: ``verdict``, ``content``,
#: ``ref`` (the host's id for the post, or None), ``queue_id`` (the store's queue item, or None).
post_held = _signals.signal("forum-guard-post-held")
#: A post was saved but flagged for moderators (action flag). Same kwargs as ``post_held``.
post_flagged = _signals.signal("forum-guard-post-flagged")
#: A moderator decided a queue item. kwargs: ``queue_id``, ``ref``, ``decision`` ("approved" or
#: "rejected"), ``content`` (the possibly edited text), ``moderator``.
queue_decided = _signals.signal("forum-guard-queue-decided")
#: The host settled its own post (:meth:`ForumGuard.settle`, e.g. a moderator unhid it in the forum):
#: the queue item is decided to match. kwargs: ``queue_id``, ``ref``, ``decision`` ("approved" or
#: "rejected"), ``moderator`` (who the host says decided, or None).
queue_settled = _signals.signal("forum-guard-queue-settled")
#: Lists, terms or limits changed in the store. kwargs: ``version``, ``actor``, ``what``.
rules_changed = _signals.signal("forum-guard-rules-changed")

__all__ = ["draft_blocked", "draft_checked", "post_flagged", "post_held", "queue_decided", "queue_settled",
           "rules_changed"]
