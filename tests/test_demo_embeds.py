"""The demo's link previews: a pasted link to one of its own topics or posts becomes a card with
the title, the opening words and the author; other links get host and path; hidden topics no card."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import close_app, csrf_token, demo_config
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from forum_guard.demo import create_app
from forum_guard.demo.models import PENDING, Topic, db


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    app = create_app(demo_config(tmp_path, FORUM_GUARD_LIVE_CHECK_RATE=None))
    yield app
    close_app(app)


def _card(client: FlaskClient, url: str) -> dict[str, object]:
    r = client.post("/forum-guard/embed", json={"url": url}, headers={"X-CSRFToken": csrf_token(client, "/t/1")})
    assert r.status_code == 200, r.get_data(as_text=True)
    return r.get_json()  # type: ignore[no-any-return]


def test_a_link_to_a_topic_of_this_forum_is_a_card_with_its_title_and_author(app: Flask) -> None:
    client = app.test_client()
    with app.app_context():
        topic = db().scalars(select(Topic).order_by(Topic.id)).first()
        assert topic is not None
        title, first = topic.title, topic.posts[0]
        author, post_id = first.author_name, topic.posts[-1].id
    card = _card(client, f"http://localhost/t/{topic.id}")
    assert card["kind"] == "topic" and card["title"] == title and card["author"] == author
    assert card["excerpt"] and "<" not in str(card["excerpt"])
    card = _card(client, f"http://localhost/t/{topic.id}#post-{post_id}")
    assert card["kind"] == "post" and card["title"] == title
    # elsewhere, or a topic nobody may see yet: the host-and-path card, nothing fetched
    other = _card(client, "https://example.org/t/1")
    assert other["kind"] == "link" and other["title"] is None and other["host"] == "example.org"
    with app.app_context():
        db().get(Topic, topic.id).status = PENDING
        db().commit()
    assert _card(client, f"http://localhost/t/{topic.id}")["kind"] == "link"
