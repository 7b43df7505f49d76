"""The plugin in a real FlaskBB 2.2.0, through FlaskBB's test client: replies, quick replies, edits
and topics are checked after FlaskBB's own permission checks; held posts are FlaskBB hidden posts
in step with the queue; groups come from FlaskBB's (per-forum) moderators; the admin pages live
in FlaskBB's layout."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from conftest import csrf

WELCOME_TOPIC = "/topic/1"  # "Welcome!" in forum "Welcome" (moderated by mo)
ELSEWHERE_TOPIC = "/topic/2"  # "Talk elsewhere" in forum "Elsewhere" (nobody moderates it)
BLOCK_NOTICE = "contains terms that we do not allow"
IMAGE = "![chart](data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==)"


def db_post(app: Any, post_id: int) -> Any:
    from flaskbb.extensions import db
    from flaskbb.forum.models import Post

    with app.app_context():
        post = db.session.get(Post, post_id)
        return None if post is None else {"content": post.content, "hidden": bool(post.hidden),
                                          "topic": post.topic_id}


def post_count(app: Any, topic_id: int) -> int:
    from flaskbb.extensions import db
    from flaskbb.forum.models import Post

    with app.app_context():
        return len(db.session.execute(db.select(Post).filter_by(topic_id=topic_id)).scalars().all())


def posted_id(response: Any) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    m = re.search(r"/post/(\d+)", response.headers["Location"])
    assert m, response.headers["Location"]
    return int(m.group(1))


def textarea(page: str, name: str = "content") -> str:
    m = re.search(rf'<textarea[^>]*name="{name}"[^>]*>(.*?)</textarea>', page, re.S)
    assert m, f"no {name} textarea in the page"
    return html.unescape(m.group(1)).strip("\r\n")


def store(app: Any) -> Any:
    return app.extensions["forum_guard"].store


# --- blocked: FlaskBB's page, the notice, the draft ------------------------------------------------


def assert_blocked_page(response: Any, draft: str, *, notice: str = BLOCK_NOTICE) -> str:
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="navbarNavDropdown"' in page  # FlaskBB's own layout, not a bare notice page
    assert notice in page
    assert textarea(page) == draft
    return page


def test_blocked_quick_reply_comes_back_in_the_topic_with_the_draft(app: Any, login: Any) -> None:
    ann = login("ann")
    before = post_count(app, 1)
    draft = "Well, you *zorblax*, that is\n\n> a quote & more"
    page = assert_blocked_page(ann.submit(WELCOME_TOPIC, {"content": draft}), draft)
    assert "Welcome!" in page  # the topic page itself: FlaskBB would have redirected and lost the draft
    assert '<mark class="fg-term fg-block"' in page and ">zorblax</mark>" in page
    assert post_count(app, 1) == before
    # one notice, right above the quick reply's textarea (not by the controls above the posts)
    assert page.count('data-fg-notice-for="content"') == 1
    assert page.index('data-fg-notice-for="content"') > page.index("Have fun with your new FlaskBB Forum!")
    assert page.index('data-fg-notice-for="content"') < page.index('<textarea')


def test_blocked_reply_page(app: Any, login: Any) -> None:
    ann = login("ann")
    before = post_count(app, 1)
    draft = "zorblax in a full reply"
    assert_blocked_page(ann.submit(f"{WELCOME_TOPIC}/post/new", {"content": draft, "submit": "Reply"}), draft)
    assert post_count(app, 1) == before


def test_blocked_edit_leaves_the_post_as_it_was(app: Any, login: Any) -> None:
    ann = login("ann")
    post_id = posted_id(ann.submit(f"{WELCOME_TOPIC}/post/new", {"content": "A fine reply.", "submit": "Reply"}))
    draft = "A fine reply, zorblax."
    assert_blocked_page(ann.submit(f"/post/{post_id}/edit", {"content": draft, "submit": "Reply"}), draft)
    assert db_post(app, post_id)["content"] == "A fine reply."


def test_blocked_topic_title(app: Any, login: Any) -> None:
    ann = login("ann")
    response = ann.submit("/1/topic/new", {"title": "zorblax news", "content": "Nothing wrong here.",
                                                 "submit": "Post topic"})
    page = assert_blocked_page(response, "Nothing wrong here.")
    assert 'value="zorblax news"' in page and 'data-fg-notice-for="title"' in page


def test_markdown_image_is_refused_on_submit(app: Any, login: Any) -> None:
    ann = login("ann")
    draft = f"Look at this:\n\n{IMAGE}"
    assert_blocked_page(ann.submit(f"{WELCOME_TOPIC}/post/new", {"content": draft, "submit": "Reply"}), draft,
                        notice="You cannot paste images directly.")


def test_markdown_is_stored_byte_for_byte(app: Any, login: Any) -> None:
    ann = login("ann")
    text = "> a quote\n\na < b && c, see <https://example.org> and **bold** `code`\n\n![x](https://example.org/x.png)"
    post_id = posted_id(ann.submit(f"{WELCOME_TOPIC}/post/new", {"content": text, "submit": "Reply"}))
    assert db_post(app, post_id)["content"] == text


# --- groups: FlaskBB's users and per-forum moderators -----------------------------------------------


def test_moderator_is_exempt_only_in_his_forum(app: Any, login: Any) -> None:
    mo = login("mo")
    post_id = posted_id(mo.submit(f"{WELCOME_TOPIC}/post/new", {"content": "mod says zorblax", "submit": "Reply"}))
    assert db_post(app, post_id)["content"] == "mod says zorblax"
    assert_blocked_page(mo.submit(f"{ELSEWHERE_TOPIC}/post/new", {"content": "mod says zorblax", "submit": "Reply"}),
                        "mod says zorblax")


def live_check(member: Any, forum_id: int | None, content: str, *, by: str = "query") -> dict[str, Any]:
    """The editor's live check, told the forum by its URL (``by="query"``) or its body's context."""
    page = member.get(f"/topic/{1 if forum_id == 1 else 2}/post/new").get_data(as_text=True)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)
    query = f"?forum={forum_id}" if forum_id and by == "query" else ""
    body: dict[str, Any] = {"content": content, "markup": "markdown"}
    if forum_id and by == "context":
        body["context"] = {"forum": forum_id}
    r = member.client.post(f"/forum-guard/check{query}", json=body, headers={"X-CSRFToken": token})
    assert r.status_code == 200, r.get_data(as_text=True)
    return r.get_json()


def test_live_check_knows_the_forum(app: Any, login: Any) -> None:
    mo = login("mo")
    assert live_check(mo, 1, "zorblax")["exempt"] is True
    assert live_check(mo, 2, "zorblax")["blocked"] is True
    assert live_check(mo, None, "zorblax")["blocked"] is True  # no forum: only global moderators are exempt
    assert live_check(mo, 1, "zorblax", by="context")["exempt"] is True
    assert live_check(mo, 2, "zorblax", by="context")["blocked"] is True
    admin = login("admin")
    assert live_check(admin, 2, "zorblax")["exempt"] is True


def test_the_editor_url_names_the_forum(app: Any, login: Any) -> None:
    page = login("mo").get(f"{ELSEWHERE_TOPIC}/post/new").get_data(as_text=True)
    assert "/forum-guard/check?forum=2" in html.unescape(page)
    # the context_loader's context, in the editor's config for the live check
    assert re.search(r'context\\?": \{\\?"forum\\?": 2\}', html.unescape(page))
    assert page.count("forum_guard/editor.js") == 1


def test_new_members_get_the_new_limits(app: Any, login: Any) -> None:
    links = " ".join(f"https://example.org/{i}" for i in range(4))
    response = login("newbie").submit(f"{WELCOME_TOPIC}/post/new", {"content": links, "submit": "Reply"})
    assert response.status_code == 422 and "links" in response.get_data(as_text=True)
    posted_id(login("ann").submit(f"{WELCOME_TOPIC}/post/new", {"content": links, "submit": "Reply"}))


# --- held posts: FlaskBB hidden posts, in step with the queue ---------------------------------------


def held_reply(app: Any, login: Any, text: str = "buy cheap pills today") -> int:
    post_id = posted_id(login("ann").submit(f"{WELCOME_TOPIC}/post/new", {"content": text, "submit": "Reply"}))
    assert db_post(app, post_id)["hidden"] is True
    return post_id


def test_held_post_is_hidden_and_unhiding_it_in_flaskbb_approves_it(app: Any, login: Any) -> None:
    post_id = held_reply(app, login)
    [item] = store(app).queue_by_ref(post_id, status="pending")  # SQLite reuses a deleted post's id
    assert item.author == "ann"
    assert "buy cheap pills today" not in login("newbie").get(WELCOME_TOPIC).get_data(as_text=True)
    mo = login("mo")
    r = mo.submit(WELCOME_TOPIC, {}, action=f"/post/{post_id}/unhide")
    assert r.status_code == 302
    assert db_post(app, post_id)["hidden"] is False
    item = store(app).queue_item(item.id)
    assert item.status == "approved" and item.decided_by == "mo"


def test_deleting_a_held_post_in_flaskbb_rejects_it(app: Any, login: Any) -> None:
    post_id = held_reply(app, login, "cheap pills, last chance")
    r = login("admin").submit(WELCOME_TOPIC, {}, action=f"/post/{post_id}/delete")
    assert r.status_code == 302 and db_post(app, post_id) is None
    [item] = store(app).queue_by_ref(post_id, status="rejected")
    assert item.note == "deleted in FlaskBB"


def test_approving_in_the_queue_unhides_the_post_with_the_edit(app: Any, login: Any) -> None:
    post_id = held_reply(app, login, "cheap pills for all")
    [item] = store(app).queue_by_ref(post_id, status="pending")
    admin = login("admin")
    page = admin.get(f"/forum-guard/admin/queue/{item.id}").get_data(as_text=True)
    assert f'href="/post/{post_id}"' in page  # the queue links to the post in FlaskBB
    r = admin.client.post(f"/forum-guard/admin/queue/{item.id}",
                          data={"csrf_token": csrf(page), "approve": "1", "content": "pills for all"})
    assert r.status_code == 302
    assert db_post(app, post_id) == {"content": "pills for all", "hidden": False, "topic": 1}
    assert store(app).queue_item(item.id).status == "approved"


def test_held_topic_is_a_hidden_topic(app: Any, login: Any) -> None:
    r = login("ann").submit("/1/topic/new", {"title": "Cheap pills inside", "content": "Details follow.",
                                                   "submit": "Post topic"})
    assert r.status_code == 302
    from flaskbb.extensions import db
    from flaskbb.forum.models import Topic

    with app.app_context():
        topic = db.session.execute(db.select(Topic).filter_by(title="Cheap pills inside")).unique().scalar_one()
        assert topic.hidden and topic.first_post_id is not None
        ref, topic_id = topic.first_post_id, topic.id
    [item] = store(app).queue_by_ref(ref, status="pending")
    assert item.content == "Cheap pills inside"
    # unhiding the topic in FlaskBB approves it
    r = login("admin").submit(f"/topic/{topic_id}", {}, action=f"/topic/{topic_id}/unhide")
    assert r.status_code == 302
    assert store(app).queue_item(item.id).status == "approved"


def test_flagged_or_allowed_posts_are_not_hidden(app: Any, login: Any) -> None:
    post_id = posted_id(login("ann").submit(f"{WELCOME_TOPIC}/post/new", {"content": "Nice day.", "submit": "Reply"}))
    assert db_post(app, post_id)["hidden"] is False and store(app).queue_by_ref(post_id, status="pending") == []


# --- the admin pages --------------------------------------------------------------------------------


@pytest.mark.parametrize(("username", "status"), [("admin", 200), ("mo", 200), ("ann", 403), (None, 403)])
def test_admin_pages_are_for_flaskbb_moderators(app: Any, login: Any, username: str | None, status: int) -> None:
    r = login(username).get("/forum-guard/admin/queue")
    assert r.status_code == status
    if status == 200:
        page = r.get_data(as_text=True)
        assert 'id="navbarNavDropdown"' in page and "data-fg-flaskbb-admin" in page  # inside FlaskBB's layout


def test_navigation_links_the_admin_pages_for_moderators_only(app: Any, login: Any) -> None:
    assert "/forum-guard/admin/queue" in login("mo").get("/").get_data(as_text=True)
    assert "/forum-guard/admin/queue" not in login("ann").get("/").get_data(as_text=True)


def test_markdown_image_is_refused_by_the_live_check(app: Any, login: Any) -> None:
    verdict = live_check(login("ann"), 1, f"see {IMAGE}")
    assert verdict["blocked"] is True and "cannot paste images" in " ".join(verdict["messages"])


def test_an_edit_that_needs_approval_hides_the_post(app: Any, login: Any) -> None:
    ann = login("ann")
    post_id = posted_id(ann.submit(f"{WELCOME_TOPIC}/post/new", {"content": "Plain words.", "submit": "Reply"}))
    posted_id(ann.submit(f"/post/{post_id}/edit", {"content": "Plain words. Cheap pills!", "submit": "Reply"}))
    assert db_post(app, post_id) == {"content": "Plain words. Cheap pills!", "hidden": True, "topic": 1}
    [item] = store(app).queue_by_ref(post_id, status="pending")
    assert item.content == "Plain words. Cheap pills!"


def test_notices_follow_the_flaskbb_users_language(app: Any, login: Any) -> None:
    from flaskbb.extensions import db
    from flaskbb.user.models import User

    with app.app_context():
        user = db.session.execute(db.select(User).filter_by(username="newbie")).scalar_one()
        user.language = "de"
        db.session.commit()
    try:
        response = login("newbie").submit(f"{WELCOME_TOPIC}/post/new", {"content": "zorblax", "submit": "Reply"})
        assert response.status_code == 422
        page = response.get_data(as_text=True)
        assert BLOCK_NOTICE not in page and "zorblax</mark>" in page
    finally:
        with app.app_context():
            user = db.session.execute(db.select(User).filter_by(username="newbie")).scalar_one()
            user.language = "en"
            db.session.commit()
