"""The Flask extension: guard a forum's posts, serve the live check, render the notice.

A host forum, runnable as it is (``flask --app thisfile run``)::

    from flask import Flask, g, render_template_string, request
    from flask_wtf import CSRFProtect, FlaskForm
    from wtforms import TextAreaField

    from forum_guard.web.extension import ForumGuard, blocked_response, current_verdict, hold
    from forum_guard.web.validators import NoBannedTerms

    app = Flask(__name__)
    app.config["SECRET_KEY"] = "change me"
    app.config["FORUM_GUARD_PROTECT"] = {"reply": ["content"]}   # 1. middleware
    CSRFProtect(app)
    guard = ForumGuard(app)

    @guard.group_loader
    def group():                                 # "guest" | "new" | "member" | "moderator"
        return getattr(g, "user_group", None)    # None: guest

    PAGE = '''<head>{% include "forum_guard/_head.html" %}</head>
    {% from "forum_guard/_editor.html" import editor %}
    <form method="post" action="/reply">{{ editor("content", "") }}
    <input type="hidden" name="csrf_token" value="{{ csrf_token() }}"><button>Post</button></form>'''

    @app.get("/")
    def index():
        return render_template_string(PAGE)

    @app.post("/reply")                          # a blocked post never gets here (422 page instead)
    def reply():
        verdict = current_verdict("content")
        content = request.form["content"]        # sanitized, or censored, by the middleware
        post_id = 1                              # ... save (pending when require_approval) ...
        if verdict.action.value in ("require_approval", "flag"):
            hold(verdict, content, ref=post_id)  # signal + moderation queue
        return "saved"

    class TopicForm(FlaskForm):                  # 2. the WTForms validator
        content = TextAreaField(validators=[NoBannedTerms()])

    @app.post("/topic")
    def topic():                                 # 3. an explicit call
        form = TopicForm()
        verdict = guard.check_field(form.content)
        if verdict.blocked:
            return blocked_response(verdict, "topic.html", form=form)   # 422, notice, draft intact
        ...

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
tells them so and what the post would otherwise have met.
"""

from __future__ import annotations

import copy
import importlib
import json
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    g,
    has_request_context,
    jsonify,
    render_template,
    request,
)
from markupsafe import Markup
from werkzeug.datastructures import ImmutableMultiDict, MultiDict
from werkzeug.exceptions import HTTPException, NotFound, RequestEntityTooLarge, TooManyRequests, UnsupportedMediaType

from ..engine.actions import Action
from ..engine.sources import DirectorySource, RulesetSource, StaticSource
from ..engine.verdict import Verdict
from . import signals

if TYPE_CHECKING:
    from flask.typing import ResponseReturnValue
    from jinja2 import Template
    from wtforms import Field

    from ..engine.policy import Guard

__all__ = [
    "ConfigKeys",
    "DraftRefused",
    "DraftTooLargeError",
    "ForumGuard",
    "GuardState",
    "RateLimiter",
    "TooManyChecks",
    "blocked_response",
    "check",
    "check_field",
    "content_to_store",
    "current_actor",
    "current_group",
    "current_guard",
    "current_verdict",
    "exempt_notice",
    "hold",
    "is_moderator",
    "server_draft",
    "valid_unicode",
    "verdict_json",
]

GROUPS = ("guest", "new", "member", "moderator")
EXTENSION_KEY = "forum_guard"

F = TypeVar("F", bound=Callable[..., Any])


class ConfigKeys:
    """Every setting the extension reads, each a ``FORUM_GUARD_*`` key of ``app.config``.

    A keyword argument given to :class:`ForumGuard` wins over the config value.
    """

    #: Folder of wordlists (``*.txt`` and ``limits.toml``): the rules when there is no store, and
    #: the seed of a new store. Default: the lists shipped with forum_guard.
    WORDLISTS = "FORUM_GUARD_WORDLISTS"
    #: Use the database store (``forum_guard.store``): ``None`` (default) uses it when the module is
    #: installed, ``True`` requires it, ``False`` reads the wordlists folder only.
    USE_STORE = "FORUM_GUARD_USE_STORE"
    #: SQLAlchemy URL of the store. Default: ``sqlite:///<instance>/forum_guard.sqlite``.
    DATABASE_URL = "FORUM_GUARD_DATABASE_URL"
    #: Import the wordlists folder into a store that has no lists yet (first run). Default ``True``.
    SEED = "FORUM_GUARD_SEED"
    #: Seconds between checks of the store's version number (hot reload). Default ``2.0``.
    RELOAD_SECONDS = "FORUM_GUARD_RELOAD_SECONDS"
    #: Middleware protection: ``{"endpoint": ["field", ...]}`` or ``{"endpoint": {"field": is_html}}``.
    #: Every POST/PUT/PATCH to a named endpoint is checked before its view runs. Default ``{}``.
    PROTECT = "FORUM_GUARD_PROTECT"
    #: Whether guarded fields hold HTML (the rich editor) rather than plain text. Default ``True``.
    HTML = "FORUM_GUARD_HTML"
    #: The middleware replaces each guarded form field with what may be stored: the sanitized HTML,
    #: or the censored HTML when the action is censor. Default ``True``.
    REWRITE_FIELDS = "FORUM_GUARD_REWRITE_FIELDS"
    #: The group of an author when no ``group_loader`` is set or it returns ``None``. Default ``"guest"``.
    DEFAULT_GROUP = "FORUM_GUARD_DEFAULT_GROUP"
    #: URL prefix of the extension's blueprint (live check, drafts, static files). Default ``"/forum-guard"``.
    URL_PREFIX = "FORUM_GUARD_URL_PREFIX"
    #: Serve the live-check API ``POST <prefix>/check`` the editor calls. Default ``True``.
    LIVE_CHECK = "FORUM_GUARD_LIVE_CHECK"
    #: How many live checks one client may make: ``"120 per minute"``, ``"2/second"``, ``"5000 per
    #: hour"``. A client is the signed-in user (``actor_loader``), else the remote address (put
    #: werkzeug's ``ProxyFix`` in front behind a proxy). A check counts one, plus one per 20 kB of
    #: body (a huge draft costs more to check). Over it the endpoint answers 429 with a JSON message
    #: and ``Retry-After``, and the editor waits quietly; posting is never limited here. Each worker
    #: process keeps its own count (a token bucket: the full number at once, refilled evenly over
    #: the period). ``None`` or ``""`` turns it off. Default ``"120 per minute"``.
    LIVE_CHECK_RATE = "FORUM_GUARD_LIVE_CHECK_RATE"
    #: Largest request body, in bytes, the live check or a guarded post may have; larger ones get a
    #: 413 with a message. Default ``1_000_000``.
    MAX_REQUEST_BYTES = "FORUM_GUARD_MAX_REQUEST_BYTES"
    #: Milliseconds the editor waits after the last keystroke before it checks. Default ``350``.
    CHECK_DELAY_MS = "FORUM_GUARD_CHECK_DELAY_MS"
    #: Keep drafts in the browser (localStorage) and restore them on reload. Default ``True``.
    AUTOSAVE = "FORUM_GUARD_AUTOSAVE"
    #: The editor's own notices, by key, overriding the forum's wording (``pasted_image``,
    #: ``rich_text``, ``plain_text_action``, ``link_embedded``, ``link_action``, ``restored``,
    #: ``clear_action``, ``moderator``, ``dismiss``). Default ``{}``.
    MESSAGES = "FORUM_GUARD_MESSAGES"
    #: Template rendered (status 422) when the middleware blocks a form post and no
    #: ``block_handler`` is set. Default ``"forum_guard/blocked.html"``.
    BLOCKED_TEMPLATE = "FORUM_GUARD_BLOCKED_TEMPLATE"
    #: Master switch. ``False`` turns the filter off on this app without unplugging it: nothing is
    #: checked and nothing is sanitized. :func:`check` (so the middleware, the validators and the live
    #: check) returns an unchecked ``allow`` verdict whose ``sanitized`` is the draft as sent, so host
    #: views that read :func:`current_verdict` keep working. Meant for measuring the same app with and
    #: without forum_guard (``benchmarks/load.py``); never run a forum that renders posted HTML with
    #: it off. Default ``True``.
    ENABLED = "FORUM_GUARD_ENABLED"


DEFAULTS: dict[str, Any] = {
    ConfigKeys.WORDLISTS: None,
    ConfigKeys.USE_STORE: None,
    ConfigKeys.DATABASE_URL: None,
    ConfigKeys.SEED: True,
    ConfigKeys.RELOAD_SECONDS: 2.0,
    ConfigKeys.PROTECT: {},
    ConfigKeys.HTML: True,
    ConfigKeys.REWRITE_FIELDS: True,
    ConfigKeys.DEFAULT_GROUP: "guest",
    ConfigKeys.URL_PREFIX: "/forum-guard",
    ConfigKeys.LIVE_CHECK: True,
    ConfigKeys.LIVE_CHECK_RATE: "120 per minute",
    ConfigKeys.MAX_REQUEST_BYTES: 1_000_000,
    ConfigKeys.CHECK_DELAY_MS: 350,
    ConfigKeys.AUTOSAVE: True,
    ConfigKeys.MESSAGES: {},
    ConfigKeys.BLOCKED_TEMPLATE: "forum_guard/blocked.html",
    ConfigKeys.ENABLED: True,
}

#: The editor's notices in the forum's words (the server's notices come from the verdict).
EDITOR_MESSAGES: dict[str, str] = {
    "pasted_image": "You cannot paste images directly. Upload or insert images from URL.",
    "rich_text": "Pasted as rich text.",
    "plain_text_action": "Paste as plain text instead",
    "link_embedded": "Your link has been automatically embedded.",
    "link_action": "Display as a link instead",
    "restored": "Your previous content has been restored.",
    "clear_action": "Clear editor",
    "moderator": "You are a moderator: the content filter does not apply to your posts.",
    "moderator_would": "Without the exemption this post would be: {action}.",
    "dismiss": "Dismiss",
    "emoji_count": "{count} of {limit} emoji",
    "check_failed": "The draft could not be checked just now; it will be checked again when you post.",
}


# --- HTTP errors ------------------------------------------------------------------------------


class DraftRefused(HTTPException):
    """A post the server cannot check as sent (a guarded field repeated, not text, bad JSON)."""

    code = 422
    description = "The post could not be read. Please edit your content and try again."


class DraftTooLargeError(HTTPException):
    """A post larger than the extension accepts; refused before any expensive work."""

    code = 413
    description = "Your post is too large. Please shorten it and try again."


class TooManyChecks(TooManyRequests):
    """A client over ``FORUM_GUARD_LIVE_CHECK_RATE``; ``Retry-After`` says when to check again."""

    description = "Too many checks in a short time. Your draft will be checked again in a moment."


# --- the live check's rate limit ---------------------------------------------------------------

_RATE = re.compile(r"\s*(\d+)\s*(?:/|per)\s*(\d*)\s*(second|minute|hour|day)s?\s*", re.IGNORECASE)
_PERIODS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


class RateLimiter:
    """A token bucket per client key: ``capacity`` requests at once, refilled at ``capacity`` per
    ``period`` seconds. Thread-safe; it keeps at most ``max_clients`` buckets (the least recently
    used are forgotten, which only ever lets a forgotten client start afresh)."""

    def __init__(self, capacity: int, period: float, *, max_clients: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if capacity < 1 or period <= 0:
            raise ValueError("a rate needs at least one request per positive period")
        self.capacity = float(capacity)
        self.per_second = capacity / period
        self.max_clients = max_clients
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key -> (tokens, at)
        self._lock = threading.Lock()

    @classmethod
    def parse(cls, rate: str | None) -> RateLimiter | None:
        """``"120 per minute"``, ``"2/second"``, ``"10 per 5 seconds"``; None or "" for no limit."""
        if rate is None or not str(rate).strip():
            return None
        m = _RATE.fullmatch(str(rate))
        if m is None:
            raise ValueError(f"{ConfigKeys.LIVE_CHECK_RATE} = {rate!r}: write it like '120 per minute' or '2/second'")
        count, multiple, unit = int(m.group(1)), int(m.group(2) or 1), m.group(3).lower()
        if count < 1 or multiple < 1:
            raise ValueError(f"{ConfigKeys.LIVE_CHECK_RATE} = {rate!r}: allow at least one check per period "
                             "(or set it to None to turn the limit off)")
        return cls(count, multiple * _PERIODS[unit])

    def hit(self, key: str, cost: float = 1.0) -> float:
        """Spend ``cost`` requests of ``key``'s budget: 0.0 when allowed, else the seconds to wait
        (nothing is spent then)."""
        cost = min(max(cost, 0.0), self.capacity)
        now = self._clock()
        with self._lock:
            tokens, at = self._buckets.pop(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - at) * self.per_second)
            wait = 0.0
            if tokens >= cost:
                tokens -= cost
            else:
                wait = (cost - tokens) / self.per_second
            self._buckets[key] = (tokens, now)
            while len(self._buckets) > self.max_clients:
                self._buckets.popitem(last=False)
        return wait


# --- state ------------------------------------------------------------------------------------


@dataclass
class GuardState:
    """What :class:`ForumGuard` keeps for one app, in ``app.extensions["forum_guard"]``."""

    ext: ForumGuard
    #: where the ruleset in force comes from (``current()`` gives a Guard)
    source: RulesetSource
    #: the database store (``forum_guard.store.Store``) or None
    store: Any
    #: the resolved ``FORUM_GUARD_*`` settings
    config: dict[str, Any]
    #: endpoint -> {field: is_html}
    protect: dict[str, dict[str, bool]] = field(default_factory=dict)
    #: the live check's per-client limit (``FORUM_GUARD_LIVE_CHECK_RATE``), None when off
    live_check_limiter: RateLimiter | None = None


def _state(app: Flask | None = None) -> GuardState:
    app = app or current_app
    try:
        return app.extensions[EXTENSION_KEY]
    except KeyError:
        raise RuntimeError("forum_guard is not set up on this app: call ForumGuard(app) or init_app(app)") from None


def _shipped_wordlists() -> Path:
    from ..engine.data import shipped_dir

    return shipped_dir()


def _normalize_protect(value: Mapping[str, Any] | None, default_html: bool) -> dict[str, dict[str, bool]]:
    out: dict[str, dict[str, bool]] = {}
    for endpoint, fields in (value or {}).items():
        if isinstance(fields, str):
            fields = [fields]
        if isinstance(fields, Mapping):
            out[endpoint] = {str(k): bool(v) for k, v in fields.items()}
        else:
            out[endpoint] = {str(f): default_html for f in fields}
    return out


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
        store: Any = None,
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
        for key, value in DEFAULTS.items():
            app.config.setdefault(key, copy.deepcopy(value))
        if self._wordlists is not None:
            app.config[ConfigKeys.WORDLISTS] = str(self._wordlists)
        if self._database_url is not None:
            app.config[ConfigKeys.DATABASE_URL] = self._database_url
        if self._protect is not None:
            app.config[ConfigKeys.PROTECT] = dict(self._protect)
        if app.config[ConfigKeys.WORDLISTS] is None:
            app.config[ConfigKeys.WORDLISTS] = str(_shipped_wordlists())
        config = {k: app.config[k] for k in DEFAULTS}
        limiter = RateLimiter.parse(config[ConfigKeys.LIVE_CHECK_RATE])  # a bad rate fails here, early

        store = self._store
        source = self._source
        if source is None:
            store, source = _make_source(app, config, store)
        state = GuardState(
            ext=self,
            source=source,
            store=store,
            config=config,
            protect=_normalize_protect(config[ConfigKeys.PROTECT], bool(config[ConfigKeys.HTML])),
            live_check_limiter=limiter,
        )
        app.extensions[EXTENSION_KEY] = state

        app.register_blueprint(_make_blueprint(config[ConfigKeys.URL_PREFIX], bool(config[ConfigKeys.LIVE_CHECK])))
        app.before_request(_protect_endpoints)
        app.after_request(_hold_unheld)
        app.jinja_env.globals.update(
            forum_guard_verdict=current_verdict,
            forum_guard_csrf_token=_csrf_token,
            forum_guard_editor_config=editor_config,
            forum_guard_is_moderator=is_moderator,
            forum_guard_exempt_notice=exempt_notice,
            forum_guard_server_draft=server_draft,
        )

    # --- the check ----------------------------------------------------------------------------

    def check(self, text: str, *, html: bool | None = None, group: str | None = None) -> Verdict:
        return check(text, html=html, group=group)

    def check_field(self, field: Field, *, html: bool | None = None) -> Verdict:
        return check_field(field, html=html)

    def hold(self, verdict: Verdict, content: str, *, ref: str | int | None = None,
             is_html: bool | None = None, author: str | None = None) -> int | None:
        return hold(verdict, content, ref=ref, is_html=is_html, author=author)

    @property
    def state(self) -> GuardState:
        return _state()


def _make_source(app: Flask, config: dict[str, Any], store: Any) -> tuple[Any, RulesetSource]:
    """Store (hot reload) when configured and installed, else the wordlists folder."""
    use_store = config[ConfigKeys.USE_STORE]
    url = config[ConfigKeys.DATABASE_URL]
    wordlists = Path(config[ConfigKeys.WORDLISTS])
    store_module = None
    if use_store is not False:
        try:
            store_module = importlib.import_module("forum_guard.store")
        except ImportError:
            if store is None and (use_store or url):
                raise RuntimeError(
                    "FORUM_GUARD_DATABASE_URL / FORUM_GUARD_USE_STORE need forum_guard.store, which is not installed"
                ) from None
    if store is None and store_module is not None:
        if not url:
            Path(app.instance_path).mkdir(parents=True, exist_ok=True)
            url = "sqlite:///" + str(Path(app.instance_path) / "forum_guard.sqlite")
            config[ConfigKeys.DATABASE_URL] = url
        store = store_module.Store(url)
        store.ensure_schema()
        if config[ConfigKeys.SEED] and wordlists.is_dir():
            store.seed_from_directory(wordlists)
    if store is not None:
        source_class = getattr(store_module, "StoreSource", None) or importlib.import_module(
            "forum_guard.store").StoreSource
        return store, source_class(store, reload_seconds=float(config[ConfigKeys.RELOAD_SECONDS]))
    return None, DirectorySource(wordlists)


# --- request-scoped accessors -----------------------------------------------------------------


def current_guard() -> Guard:
    """The ruleset in force for this request (the same one for the whole request)."""
    if has_request_context():
        guard = g.get("_forum_guard_guard")
        if guard is None:
            guard = g._forum_guard_guard = _state().source.current()
        return guard
    return _state().source.current()


def current_group() -> str:
    """The current author's group, from the host's ``group_loader`` (default: guest)."""
    if has_request_context() and "_forum_guard_group" in g:
        return g._forum_guard_group
    state = _state()
    group = state.ext._group_loader() if state.ext._group_loader else None
    group = group or state.config[ConfigKeys.DEFAULT_GROUP]
    if has_request_context():
        g._forum_guard_group = group
    return group


def current_actor() -> str | None:
    """The current user's display name, from the host's ``actor_loader``."""
    state = _state()
    return state.ext._actor_loader() if state.ext._actor_loader else None


def is_moderator() -> bool:
    state = _state()
    if state.ext._moderator_loader is not None:
        return bool(state.ext._moderator_loader())
    return current_group() == "moderator"


def current_verdict(field: str | None = None) -> Verdict | None:
    """The verdict of a field checked on submit in this request (middleware, validator or
    ``check_field``); without a field name, the strictest of them."""
    if not has_request_context():
        return None
    verdicts: dict[str, Verdict] = g.get("_forum_guard_verdicts") or {}
    if field is not None:
        return verdicts.get(field)
    if not verdicts:
        return None
    return max(verdicts.values(), key=lambda v: v.action.severity)


# --- checking ---------------------------------------------------------------------------------


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def valid_unicode(text: str) -> str:
    """``text`` with every lone surrogate replaced by U+FFFD (same length, same offsets)."""
    return _LONE_SURROGATE.sub("\ufffd", text) if _LONE_SURROGATE.search(text) else text


def check(text: str, *, html: bool | None = None, group: str | None = None) -> Verdict:
    """Check a draft with the ruleset in force, as the current author. The live check and every
    submit path go through here, so the editor and the server never disagree. Lone surrogates (a
    JSON body may hold ``"\\ud800"``; no database or UTF-8 page can) become U+FFFD first, as
    werkzeug does with bytes that are not UTF-8 in a form body; offsets do not move."""
    state = _state()
    text = valid_unicode(text)
    if html is None:
        html = bool(state.config[ConfigKeys.HTML])
    if group is None:
        group = current_group()
    if not state.config[ConfigKeys.ENABLED]:  # FORUM_GUARD_ENABLED = False: allow, unchecked
        shown = Markup.escape(text)
        return Verdict(action=Action.ALLOW, matches=(), violations=(), group=group, is_html=html,
                       sanitized=text, highlighted_html=shown, censored_html=shown)
    # a draft over the hard cap is not an error here: the verdict blocks it with its own message
    return current_guard().check(text, html=html, group=group)


def _submit_check(name: str, text: str, html: bool) -> Verdict:
    """One check per field and request, with the submit signals sent once."""
    cache: dict[tuple[str, str, bool], Verdict] = g.setdefault("_forum_guard_cache", {})
    key = (name, text, html)
    verdict = cache.get(key)
    if verdict is None:
        verdict = cache[key] = check(text, html=html)
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        signals.draft_checked.send(app, verdict=verdict)
        if verdict.blocked:
            signals.draft_blocked.send(app, verdict=verdict, content=text)
    verdicts: dict[str, Verdict] = g.setdefault("_forum_guard_verdicts", {})
    verdicts[name] = verdict
    drafts: dict[str, str] = g.setdefault("_forum_guard_drafts", {})
    drafts[name] = text
    return verdict


def check_field(field: Field, *, html: bool | None = None) -> Verdict:
    """Check a WTForms field's data on submit; the verdict is also kept on ``field.verdict``."""
    if html is None:
        html = bool(getattr(field, "forum_guard_html", _state().config[ConfigKeys.HTML]))
    data = field.data
    if data is None:
        data = ""
    if not isinstance(data, str):
        raise DraftRefused()
    verdict = _submit_check(field.name, data, html)
    field.verdict = verdict
    return verdict


def content_to_store(verdict: Verdict) -> str:
    """What a host saves for an allowed post: the censored draft when the action is censor,
    otherwise the sanitized draft (HTML input) or the text as given."""
    if verdict.action is Action.CENSOR:
        if verdict.is_html:
            return str(verdict.censored_html)
        return Markup(str(verdict.censored_html).replace("<br>", "\n")).unescape()
    return verdict.sanitized


def hold(verdict: Verdict, content: str, *, ref: str | int | None = None, is_html: bool | None = None,
         author: str | None = None) -> int | None:
    """Tell moderators about a post saved as pending (require_approval) or flagged (flag).

    Queues it in the store when there is one and sends ``post_held`` / ``post_flagged``. ``ref`` is the
    host's id for the post; it comes back in ``queue_decided``. ``author`` defaults to
    :func:`current_actor`. Returns the queue id or None.
    """
    if verdict.action is Action.REQUIRE_APPROVAL:
        reason, signal = "require_approval", signals.post_held
    elif verdict.action is Action.FLAG:
        reason, signal = "flag", signals.post_flagged
    else:
        raise ValueError(f"hold() is for require_approval and flag verdicts, not {verdict.action.value}")
    state = _state()
    ref_s = None if ref is None else str(ref)
    queue_id: int | None = None
    if state.store is not None:
        queue_id = state.store.enqueue(
            content=content,
            is_html=verdict.is_html if is_html is None else is_html,
            verdict=verdict,
            author=author if author is not None else (current_actor() if has_request_context() else None),
            group=verdict.group,
            ref=ref_s,
            reason=reason,
        )
    signal.send(current_app._get_current_object(), verdict=verdict, content=content, ref=ref_s,  # type: ignore[attr-defined]
                queue_id=queue_id)
    if has_request_context():
        g.setdefault("_forum_guard_held", set()).add(id(verdict))
    return queue_id


# --- responses --------------------------------------------------------------------------------


def _wants_json() -> bool:
    if request.is_json:
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def exempt_notice(verdict: Verdict) -> str:
    """What the notice tells a moderator whose post the filter let through."""
    messages = editor_messages()
    text = messages["moderator"]
    if "moderator" not in (_state().config[ConfigKeys.MESSAGES] or {}):
        limits_messages = getattr(current_guard().limits, "messages", None)
        text = getattr(limits_messages, "exempt", None) or text
    would = verdict.exempt_action or Action.ALLOW
    if would is not Action.ALLOW:
        text += " " + messages["moderator_would"].format(action=would.done)
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
    if _wants_json():
        body = verdict_json(worst)
        body["error"] = "blocked"
        body["fields"] = {name: verdict_json(v) for name, v in verdicts.items()}
        return jsonify(body), 422
    if template is None:
        template = _state().config[ConfigKeys.BLOCKED_TEMPLATE]
        drafts = g.get("_forum_guard_drafts") or {}
        hidden = [(k, v) for k, v in request.form.items(multi=True) if k not in verdicts]
        context.setdefault("fields", [(name, drafts.get(name, ""), v) for name, v in verdicts.items()])
        context.setdefault("hidden", hidden)
        context.setdefault("action_url", request.url)
    context.setdefault("verdict", worst)
    context.setdefault("verdicts", verdicts)
    return render_template(template, **context), 422


# --- middleware -------------------------------------------------------------------------------


def _protect_endpoints() -> ResponseReturnValue | None:
    if request.method not in ("POST", "PUT", "PATCH") or request.endpoint is None:
        return None
    state = _state()
    fields = state.protect.get(request.endpoint)
    if not fields:
        return None
    csrf = current_app.extensions.get("csrf")
    if (csrf is not None and current_app.config.get("WTF_CSRF_ENABLED", True)
            and current_app.config.get("WTF_CSRF_CHECK_DEFAULT", True) and not g.get("csrf_valid")):
        csrf.protect(apply_exemptions=True)  # refuse forged posts before spending a check on them
    limit = state.config[ConfigKeys.MAX_REQUEST_BYTES]
    if limit and (request.content_length or 0) > limit:
        raise DraftTooLargeError()
    body: dict[str, Any] | None = None
    try:
        data: MultiDict[str, Any] | Mapping[str, Any]
        if request.is_json:
            body = _json_object("The post")
            for key, value in body.items():  # in place: views read this same parsed object
                if isinstance(value, str):
                    body[key] = valid_unicode(value)
            data = MultiDict({k: v for k, v in body.items()})
        else:
            data = request.form
    except RequestEntityTooLarge:
        raise DraftTooLargeError() from None

    verdicts: dict[str, Verdict] = {}
    for name, html in fields.items():
        values = data.getlist(name)
        if not values:
            continue
        if len(values) > 1:
            raise DraftRefused(f"The field {name!r} was sent more than once.")
        value = values[0]
        if not isinstance(value, str):
            raise DraftRefused(f"The field {name!r} is not text.")
        verdicts[name] = _submit_check(name, value, html)
    if not verdicts:
        return None
    g._forum_guard_middleware = set(verdicts)
    if any(v.blocked for v in verdicts.values()):
        handler = state.ext._block_handler
        if handler is not None and not _wants_json():
            rv = handler(verdicts)
            return rv
        return blocked_response(verdicts)
    if state.config[ConfigKeys.REWRITE_FIELDS]:
        if body is not None:
            # request.get_json() (and flask-wtf, which reads it) returns this same cached dict, so
            # a JSON post's view sees the sanitized draft too, never the raw one
            for name, verdict in verdicts.items():
                body[name] = content_to_store(verdict)
        else:
            form = request.form.copy()
            for name, verdict in verdicts.items():
                form.setlist(name, [content_to_store(verdict)])
            request.form = ImmutableMultiDict(form)
    return None


def _json_object(what: str) -> dict[str, Any]:
    """The request's JSON object. Malformed JSON, JSON nested deeper than the parser's recursion
    limit, or anything but an object is a 422 with a message, never a 500."""
    try:
        body = request.get_json(silent=True)
    except RecursionError:
        body = None
    if not isinstance(body, dict):
        raise DraftRefused(f"{what} is not a JSON object.")
    return body


def _hold_unheld(response: Response) -> Response:
    """A middleware-checked post that needed a moderator and was saved without ``hold()``: queue
    it anyway (without a ref), so the signal and the queue never miss it."""
    names = g.get("_forum_guard_middleware")
    if not names or response.status_code >= 400:
        return response
    held = g.get("_forum_guard_held", set())
    drafts = g.get("_forum_guard_drafts") or {}
    verdicts = g.get("_forum_guard_verdicts") or {}
    for name in names:
        verdict = verdicts.get(name)
        if verdict is not None and verdict.action.queued and id(verdict) not in held:
            hold(verdict, content_to_store(verdict) if verdict.is_html else drafts.get(name, ""))
    return response


# --- templates --------------------------------------------------------------------------------


def _csrf_token() -> str:
    from flask_wtf.csrf import generate_csrf

    return generate_csrf()


def editor_messages() -> dict[str, str]:
    messages = dict(EDITOR_MESSAGES)
    messages.update(_state().config[ConfigKeys.MESSAGES] or {})
    return messages


def editor_config() -> str:
    """JSON for the editor's ``data-fg-config`` attribute (a plain str: Jinja escapes it there)."""
    from flask import url_for

    state = _state()
    cfg = {
        "checkUrl": url_for("forum_guard.check") if state.config[ConfigKeys.LIVE_CHECK] else None,
        "delay": int(state.config[ConfigKeys.CHECK_DELAY_MS]),
        "autosave": bool(state.config[ConfigKeys.AUTOSAVE]),
        "messages": editor_messages(),
        "moderator": is_moderator(),
        "draftUrl": url_for("forum_guard.draft") if server_drafts_enabled() else None,
    }
    return json.dumps(cfg)


# --- the blueprint: live check and static files ----------------------------------------------


def _make_blueprint(url_prefix: str, live_check: bool) -> Blueprint:
    bp = Blueprint(
        "forum_guard",
        __name__,
        url_prefix=url_prefix,
        template_folder="templates",
        static_folder="static",
        static_url_path="/static",
    )
    if live_check:
        bp.add_url_rule("/check", "check", _live_check, methods=["POST"])
    bp.add_url_rule("/draft", "draft", _save_draft, methods=["POST"])
    bp.register_error_handler(HTTPException, _json_error)
    return bp


def _validate_csrf() -> None:
    """The live check is always CSRF-protected: by the host's CSRFProtect, or here."""
    from flask_wtf.csrf import CSRFError, validate_csrf
    from wtforms import ValidationError

    if not current_app.config.get("WTF_CSRF_ENABLED", True) or g.get("csrf_valid"):
        return
    token = None
    for header in current_app.config.get("WTF_CSRF_HEADERS", ["X-CSRFToken", "X-CSRF-Token"]):
        token = request.headers.get(header)
        if token:
            break
    try:
        validate_csrf(token)
    except ValidationError as exc:
        raise CSRFError(exc.args[0]) from None
    g.csrf_valid = True


def _live_check() -> ResponseReturnValue:
    """``POST /forum-guard/check`` with ``{"content": str, "html": bool}`` (JSON or form)."""
    _validate_csrf()
    limit = _state().config[ConfigKeys.MAX_REQUEST_BYTES]
    if limit and (request.content_length or 0) > limit:
        raise DraftTooLargeError()  # refused unread, and without spending the client's budget
    _limit_rate()
    if request.is_json:
        body = _json_object("The request")
    elif request.mimetype not in _FORM_TYPES:
        raise UnsupportedMediaType('Send the draft as JSON, {"content": "…", "html": true}, or as a form.')
    else:
        try:
            form = request.form.to_dict()
        except RequestEntityTooLarge:
            raise DraftTooLargeError() from None
        body = dict(form)
        if "html" in form:
            body["html"] = form["html"].lower() in ("1", "true", "on", "yes")
    content = body.get("content", "")
    html = body.get("html", _state().config[ConfigKeys.HTML])
    if not isinstance(content, str) or not isinstance(html, bool):
        raise DraftRefused("content must be a string and html a boolean.")
    verdict = check(content, html=html)
    return jsonify(verdict_json(verdict))


_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


#: A live check costs one request of the client's budget, plus one per this many bytes of body: the
#: worst drafts at the hard cap take about a second to check, an ordinary one a few milliseconds.
RATE_COST_BYTES = 20_000


def _limit_rate() -> None:
    """Spend this live check's cost from the client's budget, or refuse with 429 and ``Retry-After``."""
    limiter = _state().live_check_limiter
    if limiter is None:
        return
    actor = current_actor()
    cost = 1 + (request.content_length or 0) // RATE_COST_BYTES
    wait = limiter.hit(f"user:{actor}" if actor else f"addr:{request.remote_addr}", cost)
    if wait > 0:
        raise TooManyChecks(retry_after=max(1, int(wait + 0.999)))


def server_drafts_enabled() -> bool:
    """Drafts are kept on the server for signed-in users when the host gave a loader and a saver."""
    ext = _state().ext
    return ext._draft_loader is not None and ext._draft_saver is not None and current_actor() is not None


def server_draft(key: str | None) -> str:
    """The signed-in user's saved draft for the editor ``key`` ("" when none)."""
    if not key or not server_drafts_enabled():
        return ""
    return _state().ext._draft_loader(key) or ""  # type: ignore[misc]


MAX_DRAFT_KEY = 200


def _save_draft() -> ResponseReturnValue:
    """``POST /forum-guard/draft`` with ``{"key": str, "content": str | null}`` (null drops it)."""
    _validate_csrf()
    if not server_drafts_enabled():
        raise NotFound("Drafts are not kept on the server here.")
    limit = _state().config[ConfigKeys.MAX_REQUEST_BYTES]
    if limit and (request.content_length or 0) > limit:
        raise DraftTooLargeError()
    body = _json_object("The request")
    key, content = body.get("key"), body.get("content")
    if not isinstance(key, str) or not key or len(key) > MAX_DRAFT_KEY:
        raise DraftRefused("key must be a short string.")
    if content is not None and not isinstance(content, str):
        raise DraftRefused("content must be a string or null.")
    key, content = valid_unicode(key), None if content is None else valid_unicode(content)
    _state().ext._draft_saver(key, content or None)  # type: ignore[misc]
    return jsonify({"saved": content is not None and content != "", "key": key})


def _json_error(exc: HTTPException) -> ResponseReturnValue:
    """Errors of the blueprint's API as JSON the editor can show."""
    from flask_wtf.csrf import CSRFError

    if request.endpoint == "forum_guard.static":
        return exc
    name = "csrf" if isinstance(exc, CSRFError) else (exc.name or "error").lower().replace(" ", "_")
    message = exc.description or exc.name
    if isinstance(exc, RequestEntityTooLarge):  # werkzeug's own (MAX_CONTENT_LENGTH), in the forum's words
        message = DraftTooLargeError.description
    response = jsonify({"error": name, "message": message})
    for header, value in exc.get_headers():  # Retry-After of a 429, Allow of a 405
        if header.lower() != "content-type":
            response.headers[header] = value
    return response, exc.code or 500


__all__ += ["EDITOR_MESSAGES", "StaticSource", "editor_config", "editor_messages"]
