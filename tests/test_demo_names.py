"""Every field a reader sees goes through the guard (issue 11, bug 5): guest names, topic titles,
signatures; names that read like a staff member's or another member's are refused."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from test_demo import csrf_token, moderator, posts, reply, sign_up, text_of

from forum_guard.demo.models import Topic, User


def new_topic(client: FlaskClient, title: str, content: str = "<p>hello there</p>", **extra: str):  # type: ignore[no-untyped-def]
    token = csrf_token(client, "/new")
    return client.post("/new", data={"csrf_token": token, "title": title, "content": content, **extra})


def test_a_guest_name_from_the_profanity_list_is_refused_and_the_draft_kept(app: Flask, client: FlaskClient) -> None:
    before = len(posts(app))
    r = reply(client, "<p>a perfectly nice reply</p>", guest_name="FuckFace")
    page = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "That name is not allowed" in page
    assert "a perfectly nice reply" in page  # the draft is still in the editor
    assert 'aria-invalid="true"' in page
    assert len(posts(app)) == before
    # the same guest with another name is published
    assert reply(client, "<p>a perfectly nice reply</p>", guest_name="Traveller").status_code == 302
    assert posts(app)[-1].guest_name == "Traveller"


def test_a_guest_name_that_needs_approval_is_refused_too(app: Flask, client: FlaskClient) -> None:
    r = reply(client, "<p>hello</p>", guest_name="cheap pills")
    assert r.status_code == 422 and "That name is not allowed" in r.get_data(as_text=True)


def test_a_censored_guest_name_is_stored_censored(app: Flask, client: FlaskClient) -> None:
    assert reply(client, "<p>hello</p>", guest_name="darn it").status_code == 302
    assert posts(app)[-1].guest_name == "d**n it"


def test_guests_cannot_pose_as_staff_or_members(app: Flask, client: FlaskClient) -> None:
    for name in ("moderator", "M0derator", "mоderator", "Mod.erator", "ADMIN"):  # the third has a Cyrillic о
        r = reply(client, "<p>trust me</p>", guest_name=name)
        assert r.status_code == 422, name
        assert "That name" in text_of(r.get_data(as_text=True))
    sign_up(app.test_client(), "alice")
    r = reply(client, "<p>hi</p>", guest_name="AIice")  # capital i for the l
    assert r.status_code == 422 and "looks too much like &#39;alice&#39;" in r.get_data(as_text=True)


def test_the_guest_name_of_a_new_topic_is_checked(app: Flask, client: FlaskClient) -> None:
    r = new_topic(client, "A fine title", guest_name="shithead")
    assert r.status_code == 422 and "That name is not allowed" in r.get_data(as_text=True)
    with app.app_context():
        from forum_guard.demo.models import db

        assert db().scalar(select(Topic).where(Topic.title == "A fine title")) is None


def test_topic_titles_are_checked(app: Flask, client: FlaskClient) -> None:
    r = new_topic(client, "what the fuck")
    assert r.status_code == 422 and "terms that we do not allow" in r.get_data(as_text=True)
    assert new_topic(client, "darn printers").status_code == 302
    with app.app_context():
        from forum_guard.demo.models import db

        assert db().scalar(select(Topic).order_by(Topic.id.desc())).title == "d**n printers"


def test_sign_up_refuses_lookalikes_of_staff_and_of_each_other(app: Flask) -> None:
    for name in ("m0derator", "Moderat0r", "mоderator", "administrator"):
        r = sign_up(app.test_client(), name)
        assert r.status_code == 422, name
        assert "looks too much like" in r.get_data(as_text=True) or "taken" in r.get_data(as_text=True)
    assert sign_up(app.test_client(), "bob_smith").status_code == 302
    r = sign_up(app.test_client(), "Bob-Smith")
    assert r.status_code == 422 and "looks too much like &#39;bob_smith&#39;" in r.get_data(as_text=True)
    r = sign_up(app.test_client(), "b0b smith")
    assert r.status_code == 422
    assert sign_up(app.test_client(), "bobby").status_code == 302


def test_a_signature_is_checked_saved_and_shown_under_posts(app: Flask, client: FlaskClient) -> None:
    sign_up(client, "carol")
    with app.app_context():
        from forum_guard.demo.models import db

        carol = db().scalar(select(User).where(User.name == "carol"))
        assert carol is not None
        carol_id = carol.id
    url = f"/u/{carol_id}"
    r = client.post(url, data={"csrf_token": csrf_token(client, url), "signature": "fuck off"})
    assert r.status_code == 422 and "That signature is not allowed" in r.get_data(as_text=True)
    r = client.post(url, data={"csrf_token": csrf_token(client, url), "signature": "Keep <b>calm</b>"})
    assert r.status_code == 302
    assert reply(client, "<p>my first reply</p>").status_code == 302
    page = client.get("/t/1").get_data(as_text=True)
    assert '<p class="post__signature">Keep &lt;b&gt;calm&lt;/b&gt;</p>' in page
    # someone else sees the profile without a form, and cannot post to it
    other = app.test_client()
    assert "Save signature" not in other.get(url).get_data(as_text=True)
    r = other.post(url, data={"csrf_token": csrf_token(other, url), "signature": "hacked"})
    assert r.status_code == 403


def test_moderators_may_use_any_signature(app: Flask) -> None:
    mod = moderator(app)
    with app.app_context():
        from forum_guard.demo.models import db

        mod_id = db().scalar(select(User.id).where(User.name == "moderator"))
    url = f"/u/{mod_id}"
    r = mod.post(url, data={"csrf_token": csrf_token(mod, url), "signature": "no shit, sherlock"})
    assert r.status_code == 302


def test_a_database_from_an_older_demo_gets_the_new_columns(tmp_path: Path) -> None:
    from conftest import close_app, demo_config

    from forum_guard.demo import create_app

    instance = tmp_path / "instance"
    instance.mkdir()
    with sqlite3.connect(instance / "demo.sqlite") as conn:  # the users table before signatures
        conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(40) UNIQUE, "
                     "password_hash VARCHAR(255), \"group\" VARCHAR(20), created_at DATETIME)")
        conn.execute("INSERT INTO users (name, password_hash, \"group\", created_at) "
                     "VALUES ('old-timer', 'x', 'member', '2020-01-01 00:00:00')")
    app = create_app(demo_config(tmp_path))
    try:
        with app.app_context():
            from forum_guard.demo.models import db

            old = db().scalar(select(User).where(User.name == "old-timer"))
            assert old is not None and old.signature is None
    finally:
        close_app(app)


def test_a_refused_title_shows_its_notice_once(app: Flask, client: FlaskClient) -> None:
    r = new_topic(client, "what the fuck")
    page = r.get_data(as_text=True)
    assert r.status_code == 422
    assert page.count("terms that we do not allow") == 1
    assert 'id="title-notice"' in page and 'aria-invalid="true"' in page
    assert 'data-demo-check="/forum-guard/check"' in page


def test_fields_without_errors_carry_no_aria_attributes_at_all(tmp_path: Path) -> None:
    """WTForms writes ``aria-invalid="None"`` for a None keyword, which browsers read as invalid:
    a field without an error must have no aria-invalid and no dangling aria-describedby."""
    from conftest import close_app, demo_config

    from forum_guard.demo import create_app

    app = create_app(demo_config(tmp_path))
    try:
        client = app.test_client()
        for path in ("/t/1", "/new", "/signup", "/signin"):
            page = client.get(path).get_data(as_text=True)
            assert '="None"' not in page, path
    finally:
        close_app(app)
