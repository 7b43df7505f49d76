"""Defects a security review found in a running demo (issue 12's "other defects"), each pinned here
through the public HTTP surface of the demo forum, the extension and the admin pages."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import close_app, csrf_token, demo_config
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from store_fixtures import csrf_token as form_token

from forum_guard.demo import create_app
from forum_guard.demo.models import Post, User, db

LIVE = "/forum-guard/check"


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    app = create_app(demo_config(tmp_path, FORUM_GUARD_LIVE_CHECK_RATE=None))
    yield app
    close_app(app)


def _posts(app: Flask) -> int:
    with app.app_context():
        return int(db().scalar(select(func.count(Post.id))) or 0)


def _moderator(app: Flask) -> FlaskClient:
    client = app.test_client()
    with app.app_context():
        moderator = db().scalar(select(User).where(User.group == "moderator"))
        assert moderator is not None
        moderator_id = moderator.id
    with client.session_transaction() as session:
        session["user_id"] = moderator_id
    return client


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
    client = _moderator(app)
    token = form_token(client.get("/forum-guard/admin/lists/profanity").get_data(as_text=True))
    data = {"csrf_token": token, **{k: _file(v) for k, v in fields.items()}}
    r = client.post(path, data=data, content_type="multipart/form-data")
    assert r.status_code == 400 and "take no file uploads" in r.get_data(as_text=True)
    store = app.extensions["forum_guard"].store
    assert "zorblax" not in {t.term for t in store.terms("profanity")}
