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

from flask import Flask, request_started

from ..engine.draft.markup import MarkupLanguage
from ..engine.sources import RulesetSource
from ..engine.verdict import Verdict
from ..store import Store, StoreSource
from .api import make_blueprint
from .body import limit_body
from .checks import check, check_field, configured_markup, current_verdict, hold, is_moderator
from .checks import current_guard as current_guard  # still imported from here by tests/store_fixtures.py
from .config import DEFAULTS, ConfigKeys
from .csrf import csrf_token, setup_csrf
from .editor import editor_config, editor_message, server_draft
from .middleware import hold_unheld, normalize_protect, protect_endpoints
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
        self._group_loader: Callable[[], str | None] | None = None
        self._actor_loader: Callable[[], str | None] | None = None
        self._moderator_loader: Callable[[], bool] | None = None
        self._block_handler: Callable[[dict[str, Verdict]], ResponseReturnValue] | None = None
        self._draft_loader: Callable[[str], str | None] | None = None
        self._draft_saver: Callable[[str, str | None], None] | None = None
        self._recent_posts_loader: Callable[[int], Any] | None = None
        if app is not None:
            self.init_app(app)

    # --- hooks a host sets --------------------------------------------------------------------

    def group_loader(self, f: F) -> F:
        """Register ``f() -> "guest" | "new" | "member" | "moderator" | None`` for the current author."""
        self._group_loader = f
        return f

    def actor_loader(self, f: F) -> F:
        """Register ``f() -> str | None``: the current user's display name (queue and audit log)."""
        self._actor_loader = f
        return f

    def moderator_loader(self, f: F) -> F:
        """Register ``f() -> bool`` when moderators are not simply the "moderator" group."""
        self._moderator_loader = f
        return f

    def block_handler(self, f: F) -> F:
        """Register ``f(verdicts: dict[field, Verdict]) -> response`` that re-renders the host's own
        form when the middleware blocks a post. Return a 422 with the notice and the draft."""
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
        app.jinja_env.globals.update(
            forum_guard_verdict=current_verdict,
            forum_guard_csrf_token=csrf_token,
            forum_guard_editor_config=editor_config,
            forum_guard_message=editor_message,
            forum_guard_is_moderator=is_moderator,
            forum_guard_exempt_notice=exempt_notice,
            forum_guard_server_draft=server_draft,
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
              group: str | None = None) -> Verdict:
        """:func:`forum_guard.web.check`: ``text`` with the ruleset in force, as the current author."""
        return check(text, markup=markup, html=html, group=group)

    def check_field(self, field: Field, *, markup: str | MarkupLanguage | None = None,
                    html: bool | None = None) -> Verdict:
        """:func:`forum_guard.web.check_field`: a WTForms field's data, once per request."""
        return check_field(field, markup=markup, html=html)

    def hold(self, verdict: Verdict, content: str, *, ref: str | int | None = None,
             is_html: bool | None = None, author: str | None = None) -> int | None:
        """:func:`forum_guard.web.hold`: queue a held or flagged post and send its signal."""
        return hold(verdict, content, ref=ref, is_html=is_html, author=author)

    @property
    def state(self) -> GuardState:
        """The current app's :class:`GuardState`."""
        return guard_state()
