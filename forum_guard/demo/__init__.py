"""A small forum that plugs forum_guard in: the project's demo and an example to copy.

    forum-guard demo              # or: python -m forum_guard.demo

starts it on http://127.0.0.1:5000 with SQLite files in the instance folder. It uses only the
public extension API (:mod:`forum_guard.web`, its validators and admin blueprint, the templates and the
editor shipped with the package).
"""

from __future__ import annotations

import gettext
import os
import secrets
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from flask import Flask, Response, current_app, request
from flask_wtf import CSRFProtect
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.routing import IntegerConverter
from werkzeug.security import generate_password_hash

from forum_guard import signals
from forum_guard.engine.draft import markup_language, sanitize
from forum_guard.web import ConfigKeys, valid_unicode
from forum_guard.web.admin import init_admin

from . import uploads as _uploads  # noqa: F401 (its routes are on bp)
from .embeds import forum_card
from .models import PUBLISHED, Post, Topic, User, db, init_db
from .views import bp, guard, on_queue_decided

__all__ = ["create_app", "reset_moderator_password", "run"]

csrf = CSRFProtect()

#: The demo's own settings (the FORUM_GUARD_* keys are documented in forum_guard.web.ConfigKeys).
DEFAULTS: dict[str, Any] = {
    #: SQLAlchemy URL of the forum's topics, posts and members. Default: instance/demo.sqlite.
    "DEMO_DATABASE_URL": None,
    #: Password of the moderator account created on first run. Default: a random one, printed once.
    "DEMO_MODERATOR_PASSWORD": None,
    #: Published posts after which a new member becomes a member.
    "DEMO_PROMOTE_AFTER": 3,
    #: Create a few topics on first run.
    "DEMO_SEED": True,
    #: Print the moderator's credentials when the account is created.
    "DEMO_ANNOUNCE": True,
    #: Topics on a page of the index, and posts on a page of a topic.
    "DEMO_TOPICS_PER_PAGE": 20,
    "DEMO_POSTS_PER_PAGE": 20,
    #: Largest image upload in bytes (PNG, JPEG, GIF, WebP; stored in instance/uploads/).
    "DEMO_UPLOAD_MAX_BYTES": 1024 * 1024,
    #: What posts are written in: "html" (the rich editor; the sanitized HTML is stored), or
    #: "markdown" / "bbcode" (a plain textarea; posts are stored as typed and rendered when shown).
    #: Sets ``FORUM_GUARD_MARKUP`` unless that is set too.
    "DEMO_MARKUP": "html",
    # replies are guarded by the middleware; new topics by the validator (see views.py)
    ConfigKeys.PROTECT: {"forum.reply": ["content"]},
    "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
    "SESSION_COOKIE_SAMESITE": "Lax",
}


def create_app(test_config: Mapping[str, Any] | None = None, *, overrides: Mapping[str, Any] | None = None) -> Flask:
    """The demo forum's app factory. ``test_config`` overrides everything (tests pass
    ``{"TESTING": True, ...}``); otherwise ``instance/config.py`` is read when it exists, then
    ``overrides``."""
    app = Flask(__name__, instance_relative_config=True,
                instance_path=(test_config or {}).get("INSTANCE_PATH") or os.environ.get("FORUM_GUARD_DEMO_INSTANCE"))
    app.config.from_mapping(DEFAULTS)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
    else:
        app.config.from_mapping(test_config)
    app.config.from_mapping(overrides or {})
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(Path(app.instance_path))
    url = app.config["DEMO_DATABASE_URL"] or "sqlite:///" + str(Path(app.instance_path) / "demo.sqlite")

    app.config["DEMO_MARKUP"] = markup_language(app.config["DEMO_MARKUP"]).value
    app.config.setdefault(ConfigKeys.MARKUP, app.config["DEMO_MARKUP"])
    # a pasted link to one of the forum's own topics becomes a card with its title and author
    app.config.setdefault(ConfigKeys.EMBED_RESOLVER, forum_card)
    app.add_template_filter(post_html)
    app.add_template_global(demo_ngettext)
    app.add_template_filter(ago)
    app.jinja_env.globals["demo_rich_editor"] = app.config["DEMO_MARKUP"] == "html"

    csrf.init_app(app)
    init_db(app, url)
    guard.init_app(app)
    app.url_map.converters["id"] = _IdConverter
    app.before_request(_text_json_fields)
    app.register_blueprint(bp)
    init_admin(app)
    # a moderator's decision on the admin page (or the demo's own moderation page) publishes or drops the post
    signals.queue_decided.connect(on_queue_decided, sender=app)

    with app.app_context():
        _first_run(app)
    return app


class _IdConverter(IntegerConverter):
    """Row ids in URLs: positive and within a 64-bit integer, so a huge number is a 404 rather
    than a database overflow."""

    def __init__(self, url_map: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(url_map, min=1, max=2**63 - 1)


def _text_json_fields() -> Response | None:
    """The demo's forms also accept a JSON object (flask-wtf reads one as form data). Every value
    must be text, and lone surrogates (``"\ud800"``) become U+FFFD. Anything else gets a 422 with a
    message, never a 500. The extension's own JSON endpoints check their bodies themselves."""
    if request.method != "POST" or not request.is_json or request.blueprint == "forum_guard":
        return None
    try:
        body = request.get_json(silent=True)
    except RecursionError:
        body = None
    if not isinstance(body, dict) or not all(isinstance(value, str) for value in body.values()):
        return Response("Send the form's fields as a JSON object of text values.\n", 422, mimetype="text/plain")
    for key, value in body.items():
        body[key] = valid_unicode(value)
    return None


def demo_ngettext(singular: str, plural: str, n: int) -> str:
    """The plural form for ``n`` (``gettext.ngettext``) with ``%(num)d`` filled in: "1 post", "2 posts"."""
    return gettext.ngettext(singular, plural, n) % {"num": n}


def ago(when: datetime, now: datetime | None = None) -> str:
    """A stored UTC time as people say it: "just now", "5 minutes ago", "yesterday", "3 days ago";
    older than 30 days, the date."""
    now = now or datetime.now(UTC).replace(tzinfo=None)
    seconds = int((now - when).total_seconds())
    if seconds < 60:
        return "just now"
    for size, one, many in ((3600, "%(num)d minute ago", "%(num)d minutes ago"),
                            (86400, "%(num)d hour ago", "%(num)d hours ago")):
        if seconds < size:
            return demo_ngettext(one, many, seconds // (size // (60 if size == 3600 else 24)))
    days = seconds // 86400
    if days == 1:
        return "yesterday"
    if days < 30:
        return demo_ngettext("%(num)d day ago", "%(num)d days ago", days)
    return when.strftime("%d %b %Y")


def post_html(content: str) -> Markup:
    """A stored post as HTML for the page: HTML posts were sanitized when posted; Markdown and
    BBCode posts are rendered now, and the rendering sanitized (raw HTML in Markdown included)."""
    markup = current_app.config["DEMO_MARKUP"]
    if markup == "html":
        return Markup(content)
    if markup == "markdown":
        import pyromark

        rendered = pyromark.html(content, options=pyromark.Options.ENABLE_TABLES | pyromark.Options.ENABLE_STRIKETHROUGH)
    elif markup == "bbcode":
        import bbcode

        rendered = bbcode.render_html(content)
    else:
        return Markup("<p>{}</p>").format(content)
    return Markup(sanitize(rendered)[0])


def _secret_key(instance: Path) -> str:
    """A random key kept in the instance folder, so sessions survive a restart."""
    path = instance / "secret_key"
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_hex(32)
    path.write_text(key + "\n")
    path.chmod(0o600)
    return key


def _first_run(app: Flask) -> None:
    session = db()
    moderator = session.scalar(select(User).where(User.group == "moderator"))
    if moderator is None:
        password = app.config["DEMO_MODERATOR_PASSWORD"] or secrets.token_urlsafe(12)
        seed = app.config["DEMO_SEED"] and session.scalar(select(Topic.id).limit(1)) is None
        for name in ("moderator", f"moderator-{secrets.token_hex(2)}"):
            moderator = User(name=name, password_hash=generate_password_hash(password), group="moderator")
            session.add(moderator)
            if seed:
                # the topics go in with the account, in one transaction: a worker that sees the
                # account sees the topics too, and one that loses the race for it seeds nothing
                _seed(moderator)
            try:
                session.commit()
                break
            except IntegrityError:
                # the name is taken: by another worker booting on the same empty database (it
                # created the account and the topics; this one goes on with what is there),
                # or by a member who signed up as "moderator" (then a name of its own)
                session.rollback()
                if session.scalar(select(User.id).where(User.group == "moderator")) is not None:
                    return
        else:
            return
        if app.config["DEMO_ANNOUNCE"]:
            click.secho("forum_guard demo: created the moderator account (shown only this once)", fg="yellow", err=True)
            click.secho(f"    name: {name}\n    password: {password}", bold=True, err=True)
    if app.config["DEMO_SEED"] and session.scalar(select(Topic.id).limit(1)) is None:
        _seed(moderator)
        session.commit()


SEED_TOPICS = [
    ("Welcome to the forum_guard demo", """
<p>This forum checks every post with <strong>forum_guard</strong>. Try it in a reply below:</p>
<ul>
<li>write a word from the profanity list: the notice appears while you type, the word is highlighted, and
posting is refused with your draft intact;</li>
<li>paste a screenshot: <em>You cannot paste images directly.</em> Insert images from a URL with the toolbar instead;</li>
<li>paste text copied from a web page, or a bare link;</li>
<li>type, then reload the page: your draft comes back.</li>
</ul>
<p>Guests may post too; sign up to become a member.</p>"""),
    ("Travel tips and real support", """
<p>Share the places you loved and the ones you would skip. Posts that sound like spam ("verified travel
tips") wait for a moderator's approval before anyone else sees them; links to known spam sites are refused.</p>"""),
    ("Show us your emoji", """
<p>Emoji are welcome 🎉 — up to 75 in one post. Try pasting more than that 😄</p>"""),
]


def _seed(author: User) -> None:
    for title, html in SEED_TOPICS:
        topic = Topic(title=title, status=PUBLISHED)
        db().add_all([topic, Post(topic=topic, author=author, content=html.strip(), status=PUBLISHED)])


def reset_moderator_password(instance_path: str | None = None, password: str | None = None) -> tuple[str, str]:
    """Set a new password on the demo's moderator account (``password``, else a random one) and
    return the account's name and the password. The account is created if there is none."""
    if instance_path:
        os.environ["FORUM_GUARD_DEMO_INSTANCE"] = str(Path(instance_path).resolve())
    app = create_app(overrides={"DEMO_ANNOUNCE": False, "DEMO_SEED": False})
    password = password or secrets.token_urlsafe(12)
    with app.app_context():
        session = db()
        moderator = session.scalar(select(User).where(User.group == "moderator").order_by(User.id))
        assert moderator is not None  # create_app made one on an empty database
        moderator.password_hash = generate_password_hash(password)
        session.commit()
        name = moderator.name
    guard.close(app)
    engine = app.extensions.get("demo_engine")
    if engine is not None:
        engine.dispose()
    return name, password


def run(host: str = "127.0.0.1", port: int = 5000, *, debug: bool = False, instance_path: str | None = None) -> None:
    """Serve the demo with werkzeug's threaded server until interrupted."""
    from werkzeug.serving import run_simple

    if instance_path:
        os.environ["FORUM_GUARD_DEMO_INSTANCE"] = str(Path(instance_path).resolve())
    app = create_app()
    click.secho(f"forum_guard demo forum on http://{host}:{port}/  (instance: {app.instance_path}; Ctrl+C stops)",
                fg="green", err=True)
    run_simple(host, port, app, threaded=True, use_reloader=False, use_debugger=debug)


def main(argv: list[str] | None = None) -> None:
    from .commands import demo

    demo.main(args=argv if argv is not None else sys.argv[1:], prog_name="python -m forum_guard.demo")
