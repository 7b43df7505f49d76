"""Fixtures and helpers of the store, admin and store-CLI tests (a minimal host app of their own)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from flask import Flask, jsonify, request, session

from forum_guard.store import Store
from forum_guard.web.admin import init_admin
from forum_guard.web.extension import ForumGuard

ROOT = Path(__file__).resolve().parent.parent
WORDLISTS = ROOT / "wordlists"

_CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def make_app(db_url: str, *, csrf: bool = True, reload_seconds: float = 0.2, seed: bool = True,
             **config: Any) -> Flask:
    """A tiny host forum: /login/<group> signs in as that group (session), /check checks a draft,
    and the admin pages are mounted at the default prefix."""
    app = Flask(__name__)
    app.config.update(
        TESTING=True, SECRET_KEY="test-secret", WTF_CSRF_ENABLED=csrf, FORUM_GUARD_DATABASE_URL=db_url,
        FORUM_GUARD_WORDLISTS=str(WORDLISTS), FORUM_GUARD_RELOAD_SECONDS=reload_seconds, FORUM_GUARD_SEED=seed,
        FORUM_GUARD_USE_STORE=True, **config,
    )
    guard = ForumGuard(app)

    @guard.group_loader
    def group() -> str | None:
        return session.get("group")

    @guard.actor_loader
    def actor() -> str | None:
        return session.get("user")

    init_admin(app)

    @app.route("/login/<group>")
    def login(group: str) -> str:
        session["group"] = group
        session["user"] = request.args.get("user", f"{group}-user")
        return "ok"

    @app.route("/check", methods=["POST"])
    def check() -> Any:
        from forum_guard.web.extension import current_guard

        verdict = current_guard().check(request.form["text"], group="member")
        return jsonify(verdict.to_dict())

    app.extensions["test_guard"] = guard
    return app


def store_of(app: Flask) -> Store:
    return app.extensions["forum_guard"].store  # type: ignore[no-any-return]


def csrf_token(html: str) -> str:
    m = _CSRF_RE.search(html)
    assert m, "no csrf_token in the page"
    return m.group(1) or m.group(2)


def close_app(app: Flask) -> None:
    state = app.extensions.get("forum_guard")
    source = getattr(state, "source", None)
    if hasattr(source, "close"):
        source.close()
    if getattr(state, "store", None) is not None:
        state.store.close()
