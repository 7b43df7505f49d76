"""Plural forms in the demo and the admin pages (issue 11, bug 9): "1 post", never "1 posts", and a
sentence that reads as one ("Of the forum's last 4 posts", not "Of the last 4 the forum's recent posts")."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import close_app, csrf_token, demo_config
from flask import Flask
from test_demo import moderator, reply, sign_up, text_of

from forum_guard.demo import create_app

WRONG = re.compile(r"\b1 (posts|replies|terms|dictionary words|published posts)\b")


@pytest.fixture
def one_app(tmp_path: Path) -> Iterator[Flask]:
    """Promotion after a single post: every "N posts" in the demo is "1 post"."""
    app = create_app(demo_config(tmp_path, DEMO_PROMOTE_AFTER=1))
    yield app
    close_app(app)


def test_one_is_singular_everywhere_in_the_demo(one_app: Flask) -> None:
    client = one_app.test_client()
    signup_page = text_of(client.get("/signup").get_data(as_text=True))
    assert "after 1 post." in signup_page
    r = sign_up(client, "dora")
    welcome = text_of(client.get(r.headers["Location"]).get_data(as_text=True))
    assert "after 1 post you become a member" in welcome
    assert reply(client, "<p>one reply</p>", topic_id=2).status_code == 302
    index = text_of(client.get("/").get_data(as_text=True))
    assert "1 reply" in index and "0 replies" in index
    members = text_of(moderator(one_app).get("/members").get_data(as_text=True))
    assert "after 1 published post," in members
    for page in (signup_page, welcome, index, members):
        assert not WRONG.search(page), WRONG.search(page)


def test_the_impact_preview_reads_as_a_sentence(app: Flask) -> None:
    mod = moderator(app)
    store = app.extensions["forum_guard"].store
    if store is None:
        pytest.skip("the demo runs without a store here")
    reply(app.test_client(), "<p>zorp here</p>")
    token = csrf_token(mod, "/t/1")
    page = text_of(mod.post("/forum-guard/admin/lists/profanity/terms",
                            data={"terms": "zorp", "csrf_token": token}).get_data(as_text=True))
    assert re.search(r"Of the forum's last \d+ posts, \d+ would have been caught\.", page.replace("&#39;", "'"))
    assert "1 dictionary words" not in page
