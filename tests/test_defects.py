"""Defects a security review found in a running demo (issue 12's "other defects"), each pinned here
through the public HTTP surface of the demo forum, the extension and the admin pages."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import close_app, csrf_token, demo_config, signed_in
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from store_fixtures import csrf_token as form_token

from forum_guard.demo import create_app
from forum_guard.demo.models import Post, db

LIVE = "/forum-guard/check"


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    app = create_app(demo_config(tmp_path, FORUM_GUARD_LIVE_CHECK_RATE=None))
    yield app
    close_app(app)


def _posts(app: Flask) -> int:
    with app.app_context():
        return int(db().scalar(select(func.count(Post.id))) or 0)


def _file(text: str) -> tuple[io.BytesIO, str, str]:
    return (io.BytesIO(text.encode()), "post.txt", "text/plain")


def test_a_reply_sent_as_a_file_part_is_refused_not_saved_unchecked(app: Flask) -> None:
    client = app.test_client()
    token = csrf_token(client, "/t/1")
    before = _posts(app)
    r = client.post("/t/1/reply", data={"csrf_token": token, "content": _file("what the fuck")},
                    content_type="multipart/form-data")
    assert r.status_code == 422, r.get_data(as_text=True)[:300]
    assert "was sent as a file" in r.get_data(as_text=True)
    assert _posts(app) == before
    # the same field as text in a multipart body is checked as usual
    r = client.post("/t/1/reply", data={"csrf_token": token, "content": "what the fuck"},
                    content_type="multipart/form-data")
    assert r.status_code == 422 and _posts(app) == before


def test_the_live_check_refuses_a_file_part(app: Flask) -> None:
    client = app.test_client()
    token = csrf_token(client, "/t/1")
    r = client.post(LIVE, data={"content": _file("what the fuck")}, headers={"X-CSRFToken": token},
                    content_type="multipart/form-data")
    assert r.status_code == 422 and r.is_json and "sent as a file" in r.get_json()["message"]


@pytest.mark.parametrize(("path", "fields"), [
    ("/forum-guard/admin/lists/profanity/terms", {"terms": "zorblax"}),
    ("/forum-guard/admin/test", {"content": "what the fuck"}),
])
def test_the_admin_forms_refuse_file_parts_with_a_message(app: Flask, path: str, fields: dict[str, str]) -> None:
    client = signed_in(app)
    token = form_token(client.get("/forum-guard/admin/lists/profanity").get_data(as_text=True))
    data = {"csrf_token": token, **{k: _file(v) for k, v in fields.items()}}
    r = client.post(path, data=data, content_type="multipart/form-data")
    assert r.status_code == 400 and "take no file uploads" in r.get_data(as_text=True)
    store = app.extensions["forum_guard"].store
    assert "zorblax" not in {t.term for t in store.terms("profanity")}


def _member(app: Flask, name: str = "erin") -> tuple[FlaskClient, str]:
    client = app.test_client()
    password = "a-good-password"
    token = csrf_token(client, "/signup")
    client.post("/signup", data={"csrf_token": token, "name": name, "password": password, "confirm": password})
    return client, csrf_token(client, "/t/1")


def _stored_drafts(app: Flask) -> list[tuple[str, int]]:
    from forum_guard.demo.models import Draft

    with app.app_context():
        return [(d.key, len(d.content)) for d in db().scalars(select(Draft).order_by(Draft.key))]


def test_server_drafts_have_a_quota(app: Flask) -> None:
    """Drafts only for editors that exist, no longer than a post could ever be, at most MAX_DRAFTS
    per member (the oldest goes)."""
    from forum_guard.demo.views import MAX_DRAFTS

    client, token = _member(app)

    def save(key: str, content: str) -> int:
        return client.post("/forum-guard/draft", json={"key": key, "content": content},
                           headers={"X-CSRFToken": token}).status_code

    assert save("reply-1", "x" * 100_001) == 413
    assert save("reply-999999", "for a topic that does not exist") == 200
    assert _stored_drafts(app) == []
    with app.app_context():
        from forum_guard.demo.models import Topic

        for n in range(MAX_DRAFTS + 5):
            db().add(Topic(title=f"topic {n}"))
        db().commit()
        topic_ids = [t.id for t in db().scalars(select(Topic).order_by(Topic.id))]
    for topic_id in topic_ids:
        assert save(f"reply-{topic_id}", f"draft for {topic_id}") == 200
    kept = _stored_drafts(app)
    assert len(kept) == MAX_DRAFTS
    assert f"reply-{topic_ids[-1]}" in {k for k, _ in kept} and f"reply-{topic_ids[0]}" not in {k for k, _ in kept}
