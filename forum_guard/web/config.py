"""Every setting the Flask edge reads, its default, and the editor's own wording.

Each setting is a ``FORUM_GUARD_*`` key of ``app.config``, named once in :class:`ConfigKeys`; a keyword
argument given to :class:`~forum_guard.web.extension.ForumGuard` wins over it.
"""

from __future__ import annotations

from typing import Any

from ..i18n import N_

__all__ = ["DEFAULTS", "EDITOR_MESSAGES", "MODES", "ConfigKeys"]

#: The values of ``FORUM_GUARD_MODE``.
MODES = ("enforce", "record")


class ConfigKeys:
    """Every setting the extension and the admin pages read, each a ``FORUM_GUARD_*`` key of ``app.config``."""

    #: Folder of wordlists (``*.txt`` and ``limits.toml``): the rules when there is no store, and
    #: the seed of a new store. Default: the lists shipped with forum_guard (``forum_guard.wordlists``).
    #: A folder that does not exist or holds no list is an error at start-up, never an empty filter.
    WORDLISTS = "FORUM_GUARD_WORDLISTS"
    #: Keep the rules in the database store (``forum_guard.store``, hot reload, admin pages):
    #: ``True`` (default), or ``False`` to read the wordlists folder only.
    USE_STORE = "FORUM_GUARD_USE_STORE"
    #: SQLAlchemy URL of the store. Default: ``sqlite:///<instance folder>/forum_guard.sqlite``.
    DATABASE_URL = "FORUM_GUARD_DATABASE_URL"
    #: Import the wordlists folder into a store that has no lists yet (first run), and say so in the
    #: log. Default ``True``. With ``False`` an empty store is an error at start-up.
    SEED = "FORUM_GUARD_SEED"
    #: Seconds between checks of the store's version number (hot reload). Default ``2.0``.
    RELOAD_SECONDS = "FORUM_GUARD_RELOAD_SECONDS"
    #: Middleware protection: ``{"endpoint": ["field", ...]}`` or ``{"endpoint": {"field": markup}}``
    #: (a markup name, or ``True``/``False`` for html/text).
    #: Every POST/PUT/PATCH to a named endpoint is checked before its view runs. Default ``{}``.
    PROTECT = "FORUM_GUARD_PROTECT"
    #: Whether guarded fields hold HTML (the rich editor) rather than plain text. Default ``True``.
    #: :attr:`MARKUP` says more and wins when it is set.
    HTML = "FORUM_GUARD_HTML"
    #: What guarded fields are written in: ``"html"`` (sanitized, and the sanitized HTML is stored),
    #: ``"markdown"`` (CommonMark with tables and strikethrough), ``"bbcode"`` or ``"text"``; the
    #: last three are stored as typed, censored in their own syntax. The live check takes a
    #: ``"markup"`` of its own, so the editor and the submit agree. Default ``None``: ``"html"``
    #: when :attr:`HTML` is true, else ``"text"``.
    MARKUP = "FORUM_GUARD_MARKUP"
    #: The host's own reader for drafts in :attr:`MARKUP` (not HTML): ``renderer(source) ->
    #: forum_guard.engine.draft.RenderedMarkup`` (build it with ``MarkupBuilder``), used instead of
    #: the built-in Markdown/BBCode reader, with the same guarantees. Default ``None``.
    MARKUP_RENDERER = "FORUM_GUARD_MARKUP_RENDERER"
    #: The middleware replaces each guarded form field with what may be stored: the sanitized HTML,
    #: or the censored HTML when the action is censor. Default ``True``.
    REWRITE_FIELDS = "FORUM_GUARD_REWRITE_FIELDS"
    #: The group of an author when no ``group_loader`` is set or it returns ``None``. Default ``"guest"``.
    DEFAULT_GROUP = "FORUM_GUARD_DEFAULT_GROUP"
    #: URL prefix of the extension's blueprint (live check, drafts, static files). Default ``"/forum-guard"``.
    URL_PREFIX = "FORUM_GUARD_URL_PREFIX"
    #: Serve the live-check API ``POST <prefix>/check`` the editor calls. Default ``True``.
    LIVE_CHECK = "FORUM_GUARD_LIVE_CHECK"
    #: How many live checks one client may make: ``"120/minute"``, ``"120 per minute"``,
    #: ``"2/second"``, ``"5000 per hour"``. A client is the signed-in account (``actor_loader``), else
    #: the remote address (put werkzeug's ``ProxyFix`` in front behind a proxy). A check costs one
    #: before its body is read, plus one per 20 kB of body as read (chunked bodies pay the same). Over
    #: it the endpoint answers 429 with a JSON message and ``Retry-After``, and the editor waits
    #: quietly. The count is shared by every worker (:attr:`RATE_LIMIT_STORAGE`): a token bucket, the
    #: full number at once, refilled evenly over the period. ``None`` or ``""`` turns it off.
    #: Default ``"120 per minute"``.
    LIVE_CHECK_RATE = "FORUM_GUARD_LIVE_CHECK_RATE"
    #: How many guarded posts (the POSTs of :attr:`PROTECT` endpoints) one client may send, in the
    #: same notation and with the same costs and sharing as :attr:`LIVE_CHECK_RATE`. Over it the post
    #: is refused with 429 and ``Retry-After`` before it is read or checked (JSON for JSON posts,
    #: werkzeug's error page otherwise). ``None`` or ``""`` turns it off. Default ``"20 per minute"``.
    POST_RATE = "FORUM_GUARD_POST_RATE"
    #: Where the rate limits are counted, so that every worker shares them: ``None`` (default) the
    #: store's database (a ``fg_rate_limits`` table; this process when there is no store),
    #: ``"memcached://host:11211"`` or ``"redis://host:6379"`` (the ``limits`` package's storage, a
    #: sliding window; install ``limits[memcached]`` or ``limits[redis]``), another SQLAlchemy URL, or
    #: ``"memory://"`` for this process only.
    RATE_LIMIT_STORAGE = "FORUM_GUARD_RATE_LIMIT_STORAGE"
    #: The most characters of terms the store holds over all its lists (every worker compiles them
    #: all): an add, edit or import past it is refused with a message and nothing is stored.
    #: Default ``None``: ``$FORUM_GUARD_MAX_KEY_CHARS``, else 4,000,000
    #: (:data:`forum_guard.store.rules.MAX_KEY_CHARS`).
    MAX_KEY_CHARS = "FORUM_GUARD_MAX_KEY_CHARS"
    #: The memory, in MB, one worker's compiled ruleset may be estimated to take: a change to the
    #: rules that would need more is refused before it commits, and a worker never starts a compile
    #: over it (it keeps its ruleset and logs why). Default ``None``:
    #: ``$FORUM_GUARD_COMPILE_BUDGET_MB``, else 1024 (:data:`forum_guard.store.rules.COMPILE_BUDGET_MB`).
    COMPILE_BUDGET_MB = "FORUM_GUARD_COMPILE_BUDGET_MB"
    #: Largest request body, in bytes, the live check, the drafts endpoint or a guarded post may
    #: have; larger ones get a 413 with a message. A body without ``Content-Length`` (chunked) is
    #: counted as it is read and refused the same way. Default ``1_000_000``.
    MAX_REQUEST_BYTES = "FORUM_GUARD_MAX_REQUEST_BYTES"
    #: Milliseconds the editor waits after the last keystroke before it checks. Default ``350``.
    CHECK_DELAY_MS = "FORUM_GUARD_CHECK_DELAY_MS"
    #: Keep drafts in the browser (localStorage) and restore them on reload. Default ``True``.
    AUTOSAVE = "FORUM_GUARD_AUTOSAVE"
    #: The editor's and the notice templates' wording, by key, overriding the defaults: any key of
    #: :data:`EDITOR_MESSAGES`, plus ``pasted_image`` and ``moderator`` (which otherwise come from the
    #: ruleset's messages, ``limits.toml`` or the admin page). Default ``{}``.
    MESSAGES = "FORUM_GUARD_MESSAGES"
    #: Template rendered (status 422) when the middleware blocks a form post and no
    #: ``block_handler`` is set. Default ``"forum_guard/blocked.html"``.
    BLOCKED_TEMPLATE = "FORUM_GUARD_BLOCKED_TEMPLATE"
    #: Who decides about a checked post. ``"enforce"`` (default): the middleware answers a blocked
    #: post itself (422, the ``block_handler`` or the generic page) before the view runs. ``"record"``:
    #: the middleware only checks and records; the host's view runs its own permission checks, then
    #: asks :meth:`~forum_guard.web.extension.ForumGuard.verdict_for` and decides (the
    #: ``forum_guard/_notice.html`` ``field_notice`` macro renders the notice into the host's form).
    #: A view that answers a blocked post with success without asking is an error (500, logged).
    MODE = "FORUM_GUARD_MODE"
    #: The language of the notices, the editor's wording and the edge's errors when the host uses
    #: neither Flask-Babel (whose locale selector then decides) nor ``@guard.locale_selector``:
    #: a locale such as ``"de"`` or ``"fr_CA"`` (shipped: de, es, fr, ru). Default ``None``: English.
    LOCALE = "FORUM_GUARD_LOCALE"
    #: Master switch. ``False`` turns the filter off on this app without unplugging it: no rule is
    #: checked. :func:`~forum_guard.web.check` (so the middleware, the validators and the live
    #: check) returns an unchecked ``allow`` verdict, so host views that read ``current_verdict``
    #: keep working; its ``sanitized`` is still the sanitized HTML of an HTML draft (the draft as
    #: typed for other markups), so a forum that stores it stays safe with the filter off. An
    #: emergency switch, and what ``benchmarks/load.py`` measures against (a forum that sanitizes its
    #: HTML and checks nothing). Default ``True``.
    ENABLED = "FORUM_GUARD_ENABLED"
    #: URL prefix of the admin pages (``init_admin``). Default ``"/forum-guard/admin"``.
    ADMIN_PREFIX = "FORUM_GUARD_ADMIN_PREFIX"
    #: Rows per admin page (terms, queue, audit log). Default ``50``.
    ADMIN_PAGE_SIZE = "FORUM_GUARD_ADMIN_PAGE_SIZE"
    #: Where the admin pages' "back to the forum" points. Default ``"/"``.
    ADMIN_HOME_URL = "FORUM_GUARD_ADMIN_HOME_URL"
    #: How many recent posts the admin's impact preview checks a new term against. Default ``500``.
    IMPACT_POSTS = "FORUM_GUARD_IMPACT_POSTS"
    #: Word list of the admin's Scunthorpe check (one word a line). Default: ``/usr/share/dict/words``.
    DICTIONARY = "FORUM_GUARD_DICTIONARY"
    #: ``f(limit) -> iterable of str``: the forum's most recent posts (text or HTML), newest first,
    #: for the impact preview (or ``@guard.recent_posts_loader``). Default ``None``: the queue's posts.
    RECENT_POSTS_LOADER = "FORUM_GUARD_RECENT_POSTS_LOADER"
    #: ``f(url: str) -> EmbedCard | dict | None``: the preview card of a link pasted in the editor
    #: (``POST <prefix>/embed``), e.g. title, excerpt and author of the forum's own topic or post.
    #: ``None`` from it, or no resolver: a card with the link's host and path (nothing is fetched).
    #: Default ``None``. See :mod:`forum_guard.web.embed`.
    EMBED_RESOLVER = "FORUM_GUARD_EMBED_RESOLVER"


DEFAULTS: dict[str, Any] = {
    ConfigKeys.WORDLISTS: None,
    ConfigKeys.USE_STORE: True,
    ConfigKeys.DATABASE_URL: None,
    ConfigKeys.SEED: True,
    ConfigKeys.RELOAD_SECONDS: 2.0,
    ConfigKeys.PROTECT: {},
    ConfigKeys.HTML: True,
    ConfigKeys.MARKUP: None,
    ConfigKeys.MARKUP_RENDERER: None,
    ConfigKeys.REWRITE_FIELDS: True,
    ConfigKeys.DEFAULT_GROUP: "guest",
    ConfigKeys.URL_PREFIX: "/forum-guard",
    ConfigKeys.LIVE_CHECK: True,
    ConfigKeys.LIVE_CHECK_RATE: "120 per minute",
    ConfigKeys.POST_RATE: "20 per minute",
    ConfigKeys.RATE_LIMIT_STORAGE: None,
    ConfigKeys.MAX_KEY_CHARS: None,
    ConfigKeys.COMPILE_BUDGET_MB: None,
    ConfigKeys.MAX_REQUEST_BYTES: 1_000_000,
    ConfigKeys.CHECK_DELAY_MS: 350,
    ConfigKeys.AUTOSAVE: True,
    ConfigKeys.MESSAGES: {},
    ConfigKeys.BLOCKED_TEMPLATE: "forum_guard/blocked.html",
    ConfigKeys.MODE: "enforce",
    ConfigKeys.LOCALE: None,
    ConfigKeys.ENABLED: True,
    ConfigKeys.ADMIN_PREFIX: "/forum-guard/admin",
    ConfigKeys.ADMIN_PAGE_SIZE: 50,
    ConfigKeys.ADMIN_HOME_URL: "/",
    ConfigKeys.IMPACT_POSTS: 500,
    ConfigKeys.DICTIONARY: None,
    ConfigKeys.RECENT_POSTS_LOADER: None,
    ConfigKeys.EMBED_RESOLVER: None,
}

#: The wording of the editor (``editor.js``) and of the notice templates, the one place it is written.
#: The verdict's notices come from the ruleset's messages, and so do ``pasted_image`` and
#: ``moderator``; a host changes any of these with ``FORUM_GUARD_MESSAGES``.
EDITOR_MESSAGES: dict[str, str] = {
    # the editor's notices, and the buttons on them
    "rich_text": N_("Pasted as rich text."),
    "plain_text_action": N_("Paste as plain text instead"),
    "link_embedded": N_("Your link has been automatically embedded."),
    "link_action": N_("Display as a link instead"),
    "restored": N_("Your previous content has been restored."),
    "clear_action": N_("Clear editor"),
    "moderator_would": N_("Without the exemption this post would be: {action}."),
    "dismiss": N_("Dismiss"),
    "emoji_count": N_("{count} of {limit} emoji"),
    "check_failed": N_("The draft could not be checked just now; it will be checked again when you post."),
    "hit_title": N_("Not allowed: {words}"),
    "words_named": N_("Words to change: {words}."),
    "embed_label": N_("Link preview"),
    "embed_by": N_("by {author}"),
    # the toolbar and its link/image form
    "toolbar": N_("Formatting"),
    "editor": N_("Editor"),
    "bold": N_("Bold"),
    "bold_symbol": N_("B"),
    "italic": N_("Italic"),
    "italic_symbol": N_("I"),
    "link_button": N_("Link"),
    "link_title": N_("Insert link"),
    "image_button": N_("Image"),
    "image_title": N_("Insert image from URL"),
    "link_url": N_("Link URL"),
    "image_url": N_("Image URL"),
    "insert": N_("Insert"),
    "cancel": N_("Cancel"),
    "url_invalid": N_("Enter an address that starts with http:// or https://."),
    # the templates (forum_guard/_editor.html, _notice.html, blocked.html)
    "field_label": N_("Reply"),
    "placeholder": N_("Reply to this topic..."),
    "preview_label": N_("Your draft, with the words to edit highlighted:"),
    "blocked_title": N_("Please edit your post"),
    "blocked_submit": N_("Submit"),
}
