"""Fixtures for the Flask edge and the demo forum: ``app``, ``client``, ``runner`` from the demo's
app factory, with small word lists written into ``tmp_path`` so the tests do not depend on the
shipped lists."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

#: One list per action, small enough to read in a test.
TEST_WORDLISTS = {
    "profanity.txt": "# name: profanity\n# action: block\nfuck*\n*shit*\n",
    "spam.txt": "# name: spam\n# action: require_approval\ncheap pills\nbuy followers\n",
    "watch.txt": "# name: watch\n# action: flag\ncrypto giveaway\n",
    "mild.txt": "# name: mild\n# action: censor\ndarn => d**n\n",
    "domains.txt": "# name: domains\n# action: require_approval\n# kind: domains\nhopzone.eu\n",
}
MODERATOR_PASSWORD = "moderator-password"
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def write_wordlists(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in TEST_WORDLISTS.items():
        (directory / name).write_text(text, encoding="utf-8")
    return directory


def demo_config(tmp_path: Path, **extra: object) -> dict[str, object]:
    config: dict[str, object] = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "FORUM_GUARD_WORDLISTS": str(write_wordlists(tmp_path / "wordlists")),
        "DEMO_MODERATOR_PASSWORD": MODERATOR_PASSWORD,
        "DEMO_ANNOUNCE": False,
        "DEMO_PROMOTE_AFTER": 2,
    }
    config.update(extra)
    return config


def close_app(app: Flask) -> None:
    """Stop what an app started: forum_guard's reload thread and store (``ForumGuard.close``), the
    demo's engine."""
    from forum_guard.web import ForumGuard

    ForumGuard.close(app)
    engine = app.extensions.get("demo_engine")
    if engine is not None:
        engine.dispose()


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    from forum_guard.demo import create_app

    app = create_app(demo_config(tmp_path))
    yield app
    close_app(app)


def signed_in(app: Flask, group: str = "moderator") -> FlaskClient:
    """A test client of the demo forum signed in as its first user of ``group``."""
    from sqlalchemy import select

    from forum_guard.demo.models import User, db

    client = app.test_client()
    with app.app_context():
        user_id = db().scalar(select(User.id).where(User.group == group).order_by(User.id))
    assert user_id is not None, f"the demo has no {group} user"
    with client.session_transaction() as session:
        session["user_id"] = user_id
    return client


def assert_maps_into_source(source: str, markup: str, label: str = "") -> None:
    """A Markdown or BBCode draft is stored as typed, and every character of its text maps to
    spans inside the source."""
    from forum_guard.engine.draft import analyze

    draft = analyze(source, markup=markup)
    assert draft.sanitized == source, label
    for i in range(len(draft.text)):
        for s, e in draft.spans(i, i + 1):
            assert 0 <= s < e <= len(source), label


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


def csrf_token(client: FlaskClient, path: str = "/") -> str:
    """The CSRF token of the client's session, from the page's <meta name="csrf-token">."""
    page = client.get(path)
    match = CSRF_META.search(page.get_data(as_text=True))
    assert match, f"no csrf meta tag on {path}"
    return match.group(1)

# tests/flaskbb/ is the FlaskBB plugin's suite: scripts/flaskbb-suite runs it against a real FlaskBB
# in its own virtualenv (Python 3.12); the main suite never collects it
collect_ignore = ["flaskbb"]
