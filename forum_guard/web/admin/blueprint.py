"""The admin blueprint: who gets in, CSRF on every POST, how errors show, and what every page shares."""

from __future__ import annotations

import gettext
import math
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from flask import Blueprint, Flask, abort, current_app, render_template, request

from ...engine.actions import Action
from ...errors import ForumGuardError
from ...store import NotFound, Store, StoreSource
from .. import signals
from ..checks import current_actor, is_moderator
from ..config import DEFAULTS, ConfigKeys
from ..csrf import NO_SECRET_KEY, has_secret_key, require_csrf, setup_csrf
from ..state import EXTENSION_KEY, GuardState

if TYPE_CHECKING:
    from flask.typing import ResponseReturnValue

__all__ = ["bp", "init_admin", "recent_posts_loader"]

F = TypeVar("F", bound=Callable[..., Any])

#: Where ``recent_posts_loader(app)`` keeps its loader, in ``app.extensions``.
ADMIN_KEY = "forum_guard_admin"

# "forum_guard.web" as the import name: the templates are the edge's, in web/templates/forum_guard/admin/
bp = Blueprint("forum_guard_admin", "forum_guard.web", template_folder="templates")


def init_admin(app: Flask, *, url_prefix: str | None = None) -> None:
    """Mount the admin pages on ``app`` (after ``ForumGuard(app)``; they need its store)."""
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    setup_csrf(app)
    app.extensions.setdefault(ADMIN_KEY, {"recent_posts_loader": None})
    app.register_blueprint(bp, url_prefix=url_prefix or app.config[ConfigKeys.ADMIN_PREFIX])


def recent_posts_loader(app: Flask) -> Callable[[F], F]:
    """``@recent_posts_loader(app)`` registers ``f(limit) -> iterable of str``: recent posts for the
    impact preview (the same as setting ``FORUM_GUARD_RECENT_POSTS_LOADER``)."""

    def decorator(f: F) -> F:
        app.extensions.setdefault(ADMIN_KEY, {})["recent_posts_loader"] = f
        return f

    return decorator


# --- access, state, helpers -------------------------------------------------------------------


def setting(key: str) -> Any:
    """An admin setting of the current app (its default when the host never set it)."""
    return current_app.config.get(key, DEFAULTS[key])


def state() -> GuardState | None:
    """The extension's state, or None when the host never set ForumGuard up."""
    found: GuardState | None = current_app.extensions.get(EXTENSION_KEY)
    return found


def current_store() -> Store:
    """The store the pages edit; a 503 with a message when the rules come from a folder."""
    found = state()
    if found is None or found.store is None:
        abort(503, description=f"The admin pages need forum_guard's database store ({ConfigKeys.USE_STORE}).")
    return found.store


def actor() -> str:
    """Who the audit log names for this moderator."""
    return current_actor() or "moderator"


@bp.before_request
def _protect() -> None:
    """Moderators only (deny by default: no ForumGuard, no hook, an unknown user — no access), and
    every POST with a valid CSRF token, whether or not the host uses CSRFProtect."""
    if state() is None or not is_moderator():
        abort(403, description="Only moderators may use the content filter's admin pages.")
    if not has_secret_key():  # its forms carry CSRF tokens, which need one
        abort(503, description=NO_SECRET_KEY)
    require_csrf()
    if request.mimetype == "multipart/form-data" and request.files:
        # every field here is text (terms, a test draft, a note): a file part would reach the
        # forms as a FileStorage; imports are pasted or read by the CLI
        abort(400, description="The content filter's pages take no file uploads: paste the text instead.")


@bp.app_template_global("forum_guard_admin_counts")
def _queue_counts() -> dict[str, int]:
    try:
        return current_store().queue_counts()
    except Exception:  # the nav must render even when the store is down
        return {}


@bp.app_template_filter("fg_action")
def _action(value: Action | str) -> Action:
    """A stored action or queue reason (its value) as the :class:`Action` whose facts a page shows."""
    return value if isinstance(value, Action) else Action(value)


@bp.app_template_global("fg_ngettext")
def _ngettext(singular: str, plural: str, n: int) -> str:
    """``ngettext`` with ``%(num)d`` filled in: the admin pages' plural forms ("1 post", "2 posts")."""
    return gettext.ngettext(singular, plural, n) % {"num": n}


@bp.app_template_filter("fg_when")
def _when(dt: datetime | None) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if dt else ""


@bp.errorhandler(NotFound)
def _not_found(exc: NotFound) -> ResponseReturnValue:
    return render_template("forum_guard/admin/error.html", message=str(exc)), 404


@bp.errorhandler(ForumGuardError)
def _store_error(exc: ForumGuardError) -> ResponseReturnValue:
    return render_template("forum_guard/admin/error.html", message=str(exc)), 400


def rules_changed(version: int | None, what: str) -> None:
    """Make the change live in this worker at once and tell the host."""
    if version is None:
        return
    found = state()
    if found is not None and isinstance(found.source, StoreSource):
        found.source.poke()
    signals.rules_changed.send(current_app._get_current_object(), version=version, actor=actor(),  # type: ignore[attr-defined]
                               what=what)


def page_number() -> int:
    """``?page=``, from 1; a huge number is the last page, not a 500."""
    try:
        return min(10**9, max(1, int(request.args.get("page", "1"))))
    except ValueError:
        return 1


def page_count(total: int) -> int:
    return max(1, math.ceil(total / int(setting(ConfigKeys.ADMIN_PAGE_SIZE))))


def recent_posts(limit: int) -> tuple[list[str], str]:
    """Recent posts for the impact preview, and where they came from: ``"forum"`` (the host's
    loader) or ``"queue"`` (the store's moderation queue)."""
    found = state()
    loader = (current_app.extensions.get(ADMIN_KEY, {}).get("recent_posts_loader")
              or (found.ext._recent_posts_loader if found is not None else None)
              or setting(ConfigKeys.RECENT_POSTS_LOADER))
    if loader is not None:
        posts = [p for p in _take(loader(limit), limit) if isinstance(p, str)]
        return posts, "forum"
    return current_store().recent_contents(limit), "queue"


def _take(items: Iterable[Any], n: int) -> list[Any]:
    out: list[Any] = []
    for item in items:
        if len(out) >= n:
            break
        out.append(item)
    return out
