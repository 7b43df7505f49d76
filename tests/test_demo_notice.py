"""The notice says what will happen to the post, computed from the final action, the same in every
surface: the editor's live check, the 422 page and the admin page's test box (issue 11, bug 4)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import TEST_WORDLISTS, close_app, csrf_token, demo_config
from flask import Flask
from test_demo import moderator, posts, reply, text_of

from forum_guard.demo import create_app

#: the issue's spam reply: a phrase that needs approval and a link to a host that is refused
SPAM = "<p>For verified travel tips and real support, visit: https://hopzone.eu/</p>"
HELD = "It will be visible once approved"
DOMAIN = "Your content links to a site that we do not allow."


@pytest.fixture
def spam_app(tmp_path: Path) -> Iterator[Flask]:
    """The demo with the shipped lists' actions: spam phrases held for approval, spam hosts blocked."""
    lists = dict(TEST_WORDLISTS)
    lists["spam.txt"] = "# name: spam\n# action: require_approval\nverified travel tips\ncheap pills\n"
    lists["domains.txt"] = "# name: domains\n# action: block\n# kind: domains\nhopzone.eu\n"
    directory = tmp_path / "lists"
    directory.mkdir()
    for name, text in lists.items():
        (directory / name).write_text(text, encoding="utf-8")
    app = create_app(demo_config(tmp_path, FORUM_GUARD_WORDLISTS=str(directory)))
    yield app
    close_app(app)


def test_live_check_of_a_refused_post_promises_no_approval(spam_app: Flask) -> None:
    client = spam_app.test_client()
    token = csrf_token(client, "/t/2")
    data = client.post("/forum-guard/check", json={"content": SPAM, "html": True},
                       headers={"X-CSRFToken": token}).get_json()
    assert data["action"] == "block"
    assert data["messages"] == [DOMAIN]
    # both are still marked in the draft, so the poster sees every word that matters
    assert {m["matched"] for m in data["matches"]} == {"verified travel tips", "hopzone.eu"}


def test_the_422_page_says_only_what_happens(spam_app: Flask) -> None:
    client = spam_app.test_client()
    r = reply(client, SPAM, topic_id=2, guest_name="Traveller")
    page = text_of(r.get_data(as_text=True))
    assert r.status_code == 422
    assert DOMAIN in page and HELD not in page
    assert not posts(spam_app, guest_name="Traveller")


def test_without_the_link_the_same_post_waits_for_approval(spam_app: Flask) -> None:
    client = spam_app.test_client()
    r = reply(client, "<p>For verified travel tips and real support, ask me.</p>", topic_id=2,
              guest_name="Traveller")
    assert r.status_code == 302
    [post] = posts(spam_app, guest_name="Traveller")
    assert post.status == "pending"
    token = csrf_token(client, "/t/2")
    data = client.post("/forum-guard/check", json={"content": "<p>verified travel tips</p>", "html": True},
                       headers={"X-CSRFToken": token}).get_json()
    assert data["action"] == "require_approval" and any(HELD in m for m in data["messages"])


def test_the_admin_test_box_says_the_same(spam_app: Flask) -> None:
    mod = moderator(spam_app)
    r = mod.post("/forum-guard/admin/test", data={"text": SPAM, "html": "y", "group": "guest",
                                                  "csrf_token": csrf_token(mod, "/t/1")})
    body = text_of(r.get_data(as_text=True))
    assert r.status_code == 200
    assert DOMAIN in body and HELD not in body


def test_the_seed_topic_promises_what_the_filter_does(spam_app: Flask) -> None:
    page = text_of(spam_app.test_client().get("/t/2").get_data(as_text=True))
    assert "wait for a moderator" in page and "refused" in page
