"""The moderators' admin pages: lists, terms, test box, limits, moderation queue, audit log.

A blueprint over the store, mounted at ``FORUM_GUARD_ADMIN_PREFIX`` (default ``/forum-guard/admin``)::

    guard = ForumGuard(app)
    init_admin(app)               # or app.register_blueprint(admin.bp, url_prefix="/mod/filter")

Access is denied by default: only the host's moderators get in (:func:`forum_guard.web.is_moderator`:
the "moderator" group, or the host's ``@guard.moderator_loader``). Every POST needs a CSRF token,
checked by flask-wtf (with its same-origin referrer check on HTTPS) whether or not the host uses
``CSRFProtect``. The pages are plain HTML (no JavaScript), work on a phone, and every template can be
overridden by a file of the same name under the host's ``templates/forum_guard/admin/``.

Before a term is saved the Terms page shows what it would do: the dictionary words the real matcher
would hit with it (the Scunthorpe check) and how many recent posts it would have caught. Recent posts
come from the host (``@admin.recent_posts_loader``, ``@guard.recent_posts_loader`` or
``FORUM_GUARD_RECENT_POSTS_LOADER``: a callable ``f(limit) -> iterable of str``), else from the
store's moderation queue.

The parts: :mod:`.blueprint` (access, CSRF, errors, shared helpers), :mod:`.forms`, :mod:`.views`.
"""

from __future__ import annotations

from . import views  # noqa: F401  (registers the routes on bp)
from .blueprint import bp, init_admin, recent_posts_loader

__all__ = ["bp", "init_admin", "recent_posts_loader"]
