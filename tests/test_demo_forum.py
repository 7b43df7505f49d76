"""What every forum has (issue 11, "a forum people would use"): editing your own post (checked
again, with the same notice), quoting, reporting to the moderators' queue, pages of topics and
replies, relative dates, post counts and join dates."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from conftest import close_app, demo_config
from flask import Flask
from flask.testing import FlaskClient
from test_demo import TERMS_NOTICE, csrf_token, moderator, posts, reply, sign_up, text_of

from forum_guard.demo import ago, create_app


def edit(client: FlaskClient, post_id: int, content: str):  # type: ignore[no-untyped-def]
    token = csrf_token(client, f"/p/{post_id}/edit")
    return client.post(f"/p/{post_id}/edit", data={"csrf_token": token, "content": content})


def test_an_author_edits_their_post_and_the_edit_is_checked_again(app: Flask, client: FlaskClient) -> None:
    sign_up(client, "erin")
    assert reply(client, "<p>first version</p>").status_code == 302
    post = posts(app)[-1]
    r = edit(client, post.id, "<p>second fuck version</p>")
    page = r.get_data(as_text=True)
    assert r.status_code == 422 and TERMS_NOTICE in page and "<mark" in page
    assert posts(app)[-1].content == "<p>first version</p>"  # the refused edit changed nothing
    r = edit(client, post.id, "<p>second darn version</p>")
    assert r.status_code == 302 and "#post-" in r.headers["Location"]
    after = posts(app)[-1]
    assert after.content == "<p>second d**n version</p>" and after.edited_at is not None
    shown = text_of(client.get(r.headers["Location"]).get_data(as_text=True))
    assert "Your edit has been saved. Some words were replaced." in shown and "edited just now" in shown
    # an edit that needs approval hides the post again until a moderator approves it
    assert edit(client, post.id, "<p>buy followers here</p>").status_code == 302
    assert posts(app)[-1].status == "pending"
    assert "buy followers here" not in app.test_client().get("/t/1").get_data(as_text=True)


def test_nobody_else_edits_a_post(app: Flask, client: FlaskClient) -> None:
    sign_up(client, "erin")
    reply(client, "<p>mine</p>")
    post_id = posts(app)[-1].id
    other = app.test_client()
    sign_up(other, "frank")
    assert other.get(f"/p/{post_id}/edit").status_code == 403
    assert "/edit" not in text_of(other.get("/t/1").get_data(as_text=True)) or \
        f"/p/{post_id}/edit" not in other.get("/t/1").get_data(as_text=True)
    guest = app.test_client()
    assert guest.get(f"/p/{post_id}/edit").status_code == 403
    assert moderator(app).get(f"/p/{post_id}/edit").status_code == 200
    # a guest edits what they posted in this session
    reply(guest, "<p>guest words</p>", guest_name="Gus")
    guest_post = posts(app)[-1].id
    assert edit(guest, guest_post, "<p>better guest words</p>").status_code == 302


def test_quote_starts_a_reply_with_the_post(app: Flask, client: FlaskClient) -> None:
    page = client.get("/t/1").get_data(as_text=True)
    first = posts(app)[0]
    assert f"/t/1?quote={first.id}#reply" in page
    quoted = client.get(f"/t/1?quote={first.id}").get_data(as_text=True)
    assert "&lt;blockquote&gt;&lt;p&gt;&lt;strong&gt;moderator wrote:" in quoted  # in the textarea, escaped
    assert reply(client, "<blockquote><p><strong>moderator wrote:</strong></p><p>hi</p></blockquote><p>Thanks</p>"
                 ).status_code == 302
    assert "<blockquote>" in posts(app)[-1].content
    assert client.get("/t/1?quote=999999").status_code == 200  # an unknown post quotes nothing


def test_a_report_reaches_the_moderators_queue(app: Flask, client: FlaskClient) -> None:
    reply(app.test_client(), "<p>something rude but not in a list</p>", guest_name="Rude")
    post = posts(app)[-1]
    token = csrf_token(client, "/t/1")
    r = client.post(f"/p/{post.id}/report", data={"csrf_token": token, "reason": "insults people"})
    assert r.status_code == 302
    reported = posts(app)[-1]
    assert reported.flagged and "reported by a guest: insults people" in (reported.reason or "")
    mod = moderator(app)
    pending = text_of(mod.get("/moderation").get_data(as_text=True))
    assert "something rude but not in a list" in pending and "insults people" in pending
    store = app.extensions["forum_guard"].store
    if store is not None:
        assert reported.queue_id is not None
    assert client.post(f"/p/{post.id}/report", data={"reason": "x"}).status_code == 400  # no CSRF token
    # a second report from the same reader is not a second entry
    client.post(f"/p/{post.id}/report", data={"csrf_token": token})
    assert posts(app)[-1].reason == reported.reason


@pytest.fixture
def paged(tmp_path: Path) -> Iterator[Flask]:
    app = create_app(demo_config(tmp_path, DEMO_POSTS_PER_PAGE=2, DEMO_TOPICS_PER_PAGE=2))
    yield app
    close_app(app)


def test_topics_and_replies_come_in_pages(paged: Flask) -> None:
    client = paged.test_client()
    index = client.get("/").get_data(as_text=True)
    assert 'aria-current="page" class="pages__current">1<' in index and "?page=2" in index
    assert len(re.findall(r'class="topic-row"', index)) == 2
    assert len(re.findall(r'class="topic-row"', client.get("/?page=2").get_data(as_text=True))) == 1
    for n in range(3):
        r = reply(client, f"<p>reply number {n}</p>")
    assert "page=2" in r.headers["Location"]  # the new reply's page
    page1 = client.get("/t/1").get_data(as_text=True)
    page2 = client.get("/t/1?page=2").get_data(as_text=True)
    assert "reply number 0" in page1 and "reply number 1" not in page1
    assert "reply number 1" in page2 and "reply number 2" in page2
    assert client.get("/t/1?page=99").status_code == 200 and client.get("/t/1?page=x").status_code == 200


def test_relative_dates_post_counts_and_join_dates(app: Flask, client: FlaskClient) -> None:
    now = datetime(2026, 3, 10, 12, 0)
    assert ago(now - timedelta(seconds=20), now) == "just now"
    assert ago(now - timedelta(minutes=1), now) == "1 minute ago"
    assert ago(now - timedelta(hours=5), now) == "5 hours ago"
    assert ago(now - timedelta(days=1, hours=2), now) == "yesterday"
    assert ago(now - timedelta(days=40), now) == "29 Jan 2026"
    sign_up(client, "hana")
    reply(client, "<p>one</p>")
    page = client.get("/t/1").get_data(as_text=True)
    article = page[page.rindex('<article'):]
    assert "1 post<br>" in article and "Joined" in article and "just now" in article
    reply(client, "<p>two</p>")
    assert "2 posts<br>" in client.get("/t/1").get_data(as_text=True)


def test_the_address_of_a_refused_reply_opened_again_is_the_reply_form(app: Flask, client: FlaskClient) -> None:
    r = reply(client, "<p>fuck</p>")
    assert r.status_code == 422
    again = client.get("/t/1/reply")  # Enter in the address bar of the 422 page
    assert again.status_code == 302 and again.headers["Location"].startswith("/t/1")
    assert again.headers["Location"].endswith("#reply")
    assert client.get(again.headers["Location"]).status_code == 200
    assert client.get("/t/999/reply").status_code == 404
