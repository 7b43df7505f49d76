"""The extension object: :class:`ForumGuard` keeps the host's hooks, and ``init_app`` sets an app up.

Setting up an app resolves the ``FORUM_GUARD_*`` settings, compiles the ruleset (or refuses to
start when it would be empty, :mod:`~forum_guard.web.ruleset`), and plugs in the edge: the
blueprint (:mod:`~forum_guard.web.api`), the middleware (:mod:`~forum_guard.web.middleware`), the
request-size limit (:mod:`~forum_guard.web.body`) and the template helpers. :meth:`ForumGuard.close`
stops what it started.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from flask import Flask, current_app, has_request_context, request_started

from ..engine.draft.markup import MarkupLanguage
from ..engine.sources import RulesetSource
from ..engine.verdict import Verdict
from ..errors import StoreError
from ..store import Store, StoreSource
from ..store.records import QueueItem
from . import signals
from .api import make_blueprint
from .body import limit_body
from .checks import (
    check,
    check_field,
    configured_markup,
    current_actor,
    current_verdict,
    draft_for,
    hold,
    is_moderator,
    verdict_for,
)
from .checks import current_guard as current_guard  # still imported from here by tests/store_fixtures.py
from .config import DEFAULTS, MODES, ConfigKeys
from .csrf import csrf_token, setup_csrf
from .editor import editor_config, editor_message, server_draft
from .i18n import current_locale
from .middleware import hold_unheld, normalize_protect, protect_endpoints, refuse_unanswered_blocks
from .ratelimit import RateLimiter, rate_limit_storage
from .responses import exempt_notice
from .ruleset import open_ruleset, wordlists_folder
from .state import EXTENSION_KEY, GuardState, guard_state

if TYPE_CHECKING:
    from flask.typing import ResponseReturnValue
    from wtforms import Field

__all__ = ["ForumGuard", "GuardState"]

F = TypeVar("F", bound=Callable[..., Any])


class ForumGuard:
    """The extension object. Keeps the host's hooks; per-app state lives in ``app.extensions``.

    Keyword arguments win over the ``FORUM_GUARD_*`` config keys:
    ``source`` (a ruleset source, e.g. ``StaticSource(guard)``), ``store`` (a ``Store``),
    ``wordlists``, ``database_url``, ``protect``.
    """

    def __init__(
        self,
        app: Flask | None = None,
        *,
        source: RulesetSource | None = None,
        store: Store | None = None,
        wordlists: str | Path | None = None,
        database_url: str | None = None,
        protect: Mapping[str, Any] | None = None,
    ) -> None:
        self._source = source
        self._store = store
        self._wordlists = wordlists
        self._database_url = database_url
        self._protect = protect
        self._group_loader: Callable[..., str | None] | None = None
        self._actor_loader: Callable[[], str | None] | None = None
        self._moderator_loader: Callable[..., bool] | None = None
        self._context_loader: Callable[[], Any] | None = None
        self._locale_selector: Callable[[], str | None] | None = None
        self._block_handler: Callable[[dict[str, Verdict]], ResponseReturnValue] | None = None
        self._draft_loader: Callable[[str], str | None] | None = None
        self._draft_saver: Callable[[str, str | None], None] | None = None
        self._recent_posts_loader: Callable[[int], Any] | None = None
        if app is not None:
            self.init_app(app)

    # --- hooks a host sets --------------------------------------------------------------------

    def group_loader(self, f: F) -> F:
        """Register ``f(context) -> group name | None`` (or ``f()``) for the current author: one of
        "guest", "new", "member", "moderator" or any group the limits name (``[groups.<name>]`` in
        limits.toml or the store; a name they do not know gets ``FORUM_GUARD_DEFAULT_GROUP``'s
        limits). ``context`` is where the post goes: the ``context_loader``'s answer on submit,
        the ``context`` a view passes to :meth:`verdict_for`/:meth:`check`, the live check's
        ``context`` field while typing (None when there is none). A moderator of one forum is
        "moderator" only when ``context`` is his forum."""
        self._group_loader = f
        return f

    def context_loader(self, f: F) -> F:
        """Register ``f() -> context``: where the current request posts (a forum id, a dict of ids),
        read from the request by the host (``request.view_args``, the topic's forum). What the group
        and moderator loaders receive on submit, and what the editor sends with its live checks."""
        self._context_loader = f
        return f

    def actor_loader(self, f: F) -> F:
        """Register ``f() -> str | None``: the current user's display name (queue and audit log)."""
        self._actor_loader = f
        return f

    def locale_selector(self, f: F) -> F:
        """Register ``f() -> locale | None`` ("de", "fr_CA"…): the language of the notices, the
        editor's wording and the edge's errors for this request, when the host does not use
        Flask-Babel (with Flask-Babel, its own locale selector decides). None: ``FORUM_GUARD_LOCALE``."""
        self._locale_selector = f
        return f

    def moderator_loader(self, f: F) -> F:
        """Register ``f(context) -> bool`` (or ``f()``) when moderators are not simply an exempt group."""
        self._moderator_loader = f
        return f

    def block_handler(self, f: F) -> F:
        """Register ``f(verdicts: dict[field, Verdict]) -> response`` that re-renders the host's own
        form when the middleware blocks a post. Return a 422 with the notice and the draft; a
        handler that returns None is a :class:`~forum_guard.web.errors.BlockHandlerError` (500),
        never a pass. It runs before the host's view (and its permission checks): a host whose form
        depends on who may post there uses ``FORUM_GUARD_MODE = "record"`` and :meth:`verdict_for`."""
        self._block_handler = f
        return f

    def recent_posts_loader(self, f: F) -> F:
        """Register ``f(limit) -> iterable of str``: the host's most recent posts, for the admin
        page's impact preview ("this term would have caught N of the last posts")."""
        self._recent_posts_loader = f
        return f

    def draft_loader(self, f: F) -> F:
        """Register ``f(key) -> str | None``: the signed-in user's saved draft for an editor.
        With :meth:`draft_saver` it turns on server-side drafts (``POST <prefix>/draft``)."""
        self._draft_loader = f
        return f

    def draft_saver(self, f: F) -> F:
        """Register ``f(key, content | None)``: keep (or, with None, drop) the signed-in user's draft."""
        self._draft_saver = f
        return f

    # --- setup --------------------------------------------------------------------------------

    def init_app(self, app: Flask) -> None:
        """Set ``app`` up. The ruleset is compiled now: a folder or store that would leave no list
        in force raises :class:`~forum_guard.errors.EmptyRulesetError`, a broken list
        :class:`~forum_guard.errors.WordlistError`, a bad ``FORUM_GUARD_LIVE_CHECK_RATE`` a ``ValueError``."""
        for key, value in DEFAULTS.items():
            app.config.setdefault(key, copy.deepcopy(value))
        if self._wordlists is not None:
            app.config[ConfigKeys.WORDLISTS] = str(self._wordlists)
        if self._database_url is not None:
            app.config[ConfigKeys.DATABASE_URL] = self._database_url
        if self._protect is not None:
            app.config[ConfigKeys.PROTECT] = dict(self._protect)
        setup_csrf(app)
        config = {k: app.config[k] for k in DEFAULTS}
        limiters: dict[str, RateLimiter | None] = {}
        for key, name in ((ConfigKeys.LIVE_CHECK_RATE, "check"), (ConfigKeys.POST_RATE, "post")):
            try:
                limiters[name] = RateLimiter.parse(config[key], name=name)
            except ValueError as exc:
                raise ValueError(f"{key} = {exc}") from None

        try:
            markup = configured_markup(config)
        except ValueError as exc:
            raise ValueError(f"{ConfigKeys.MARKUP} = {exc}") from None
        if config[ConfigKeys.MODE] not in MODES:
            raise ValueError(f"{ConfigKeys.MODE} = {config[ConfigKeys.MODE]!r}: use one of {', '.join(map(repr, MODES))}")
        renderer = config[ConfigKeys.MARKUP_RENDERER]
        if renderer is not None and (not callable(renderer) or markup is MarkupLanguage.HTML):
            raise ValueError(f"{ConfigKeys.MARKUP_RENDERER} must be a callable reading {ConfigKeys.MARKUP} drafts, "
                             "which must then be markdown, bbcode or text (HTML is always sanitized)")

        configured = config[ConfigKeys.WORDLISTS]
        ruleset = open_ruleset(app, config, store=self._store, source=self._source, wordlists=configured)
        # the settings in force, as the state (and the admin, the CLI) read them back
        config[ConfigKeys.WORDLISTS] = app.config[ConfigKeys.WORDLISTS] = str(wordlists_folder(configured))
        if ruleset.owns_store and ruleset.store is not None and not config[ConfigKeys.DATABASE_URL]:
            config[ConfigKeys.DATABASE_URL] = ruleset.store.url.render_as_string(hide_password=False)
        if any(limiters.values()):
            try:
                storage = rate_limit_storage(config[ConfigKeys.RATE_LIMIT_STORAGE],
                                             ruleset.store.engine if ruleset.store is not None else None)
            except ValueError as exc:
                raise ValueError(f"{ConfigKeys.RATE_LIMIT_STORAGE} = {exc}") from None
            for limiter in limiters.values():
                if limiter is not None:
                    limiter.use(storage)
        app.extensions[EXTENSION_KEY] = GuardState(
            ext=self,
            source=ruleset.source,
            store=ruleset.store,
            config=config,
            protect=normalize_protect(config[ConfigKeys.PROTECT], markup.value),
            live_check_limiter=limiters["check"],
            post_limiter=limiters["post"],
            owns_store=ruleset.owns_store,
            owns_source=ruleset.owns_source,
        )

        app.register_blueprint(make_blueprint(config[ConfigKeys.URL_PREFIX], bool(config[ConfigKeys.LIVE_CHECK])))
        request_started.connect(limit_body, app)  # before every before_request hook: see body.py
        app.before_request(protect_endpoints)
        app.after_request(hold_unheld)
        app.after_request(refuse_unanswered_blocks)  # after_request runs in reverse: this one first
        app.jinja_env.globals.update(
            forum_guard_verdict=current_verdict,
            forum_guard_draft=draft_for,
            forum_guard_locale=current_locale,
            forum_guard_csrf_token=csrf_token,
            forum_guard_editor_config=editor_config,
            forum_guard_message=editor_message,
            forum_guard_is_moderator=is_moderator,
            forum_guard_exempt_notice=exempt_notice,
            forum_guard_server_draft=server_draft,
            forum_guard_post_url=_post_url,
        )

    @staticmethod
    def close(app: Flask) -> None:
        """Stop what ``init_app`` started on ``app``: the store source's reload thread, and the
        store's connections when init_app opened the store itself (a store the host passed in,
        like a source it passed in, stays as it is). Safe to call twice; checks still answer with
        the ruleset last compiled, they just stop following the store. Call it as
        ``ForumGuard.close(app)`` or ``guard.close(app)``."""
        state: GuardState | None = app.extensions.get(EXTENSION_KEY)
        if state is None:
            return
        if state.owns_source and isinstance(state.source, StoreSource):
            state.source.close()
        if state.owns_store and state.store is not None:
            state.store.close()

    # --- the check ----------------------------------------------------------------------------

    def check(self, text: str, *, markup: str | MarkupLanguage | None = None, html: bool | None = None,
              group: str | None = None, context: Any = None) -> Verdict:
        """:func:`forum_guard.web.check`: ``text`` with the ruleset in force, as the current author
        posting in ``context``."""
        return check(text, markup=markup, html=html, group=group, context=context)

    def check_field(self, field: Field, *, markup: str | MarkupLanguage | None = None,
                    html: bool | None = None) -> Verdict:
        """:func:`forum_guard.web.check_field`: a WTForms field's data, once per request."""
        return check_field(field, markup=markup, html=html)

    def hold(self, verdict: Verdict, content: str, *, ref: str | int | None = None,
             is_html: bool | None = None, author: str | None = None) -> int | None:
        """:func:`forum_guard.web.hold`: queue a held or flagged post and send its signal."""
        return hold(verdict, content, ref=ref, is_html=is_html, author=author)

    def verdict_for(self, field: str, *, markup: str | MarkupLanguage | None = None, context: Any = None) -> Verdict:
        """:func:`forum_guard.web.checks.verdict_for`: the submitted ``field``'s verdict, for a view
        that decides itself (``FORUM_GUARD_MODE = "record"``), after its own permission checks;
        ``context`` (where the post goes) re-checks it with the author's group there."""
        return verdict_for(field, markup=markup, context=context)

    @property
    def state(self) -> GuardState:
        """The current app's :class:`GuardState`."""
        return guard_state()

    # --- queue sync with the host (issue 10) ------------------------------------------------------

    _post_url_loader: Callable[[str], str | None] | None = None

    def post_url_loader(self, f: F) -> F:
        """Register ``f(ref) -> url | None``: where the host shows its post ``ref`` (the ``ref``
        given to :meth:`hold`). The admin's queue links each item to it."""
        self._post_url_loader = f
        return f

    def post_url(self, ref: str | None) -> str | None:
        """The host's address for its post ``ref``, or None (no ref, no loader, or the loader's None)."""
        if ref is None or self._post_url_loader is None:
            return None
        return self._post_url_loader(ref) or None

    def settle(self, ref: str | int, decision: str, *, moderator: str | None = None,
               note: str | None = None) -> list[QueueItem]:
        """The host decided its post ``ref`` itself: ``decision`` "approve" or "reject" decides the
        pending queue items filed under ``ref`` (see :meth:`Store.settle`) and sends
        :data:`~forum_guard.web.signals.queue_settled` for each. ``moderator`` defaults to the
        actor loader's answer. Returns the items decided now (none when nothing was pending), so a
        host may call it on every decision; a bad ``decision`` raises ``ValueError``, a guard
        without a store :class:`~forum_guard.errors.StoreError`."""
        store = guard_state().store
        if store is None:
            raise StoreError("settle() needs a store (FORUM_GUARD_DATABASE_URL): there is no queue without one")
        who = moderator if moderator is not None else (current_actor() if has_request_context() else None)
        decided = store.settle(ref, decision, actor=who, note=note, origin="host")
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        for item in decided:
            signals.queue_settled.send(app, queue_id=item.id, ref=item.ref, decision=item.status, moderator=who)
        return decided


def _post_url(ref: str | None) -> str | None:
    """The template global ``forum_guard_post_url(ref)``: the host's link to its post, or None."""
    return guard_state().ext.post_url(ref)
