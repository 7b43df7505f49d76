"""The demo forum's pages: topics, replies, sign-up/sign-in and the moderators' pages.

The three ways to guard a post, each used once here:

- replies: the middleware (``FORUM_GUARD_PROTECT = {"forum.reply": ["content"]}`` in ``create_app``);
  a blocked reply never reaches :func:`reply`, :func:`blocked` renders the topic again with a 422;
- new topics: the ``NoBannedTerms`` validator on the form (:class:`~.forms.TopicForm`);
- member names: an explicit ``guard.check_field`` call in :func:`signup`.

Guest names and signatures are plain text a reader sees too: :mod:`.names` checks them.
"""

from __future__ import annotations

import contextlib
import gettext
import re
from collections.abc import Callable
from datetime import UTC, datetime
from functools import wraps
from typing import Any, Literal
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from markupsafe import Markup
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from forum_guard import signals
from forum_guard.engine.actions import Action
from forum_guard.engine.verdict import Verdict
from forum_guard.web import (
    ForumGuard,
    blocked_response,
    content_to_store,
    current_guard,
    current_verdict,
    exempt_notice,
    hold,
)

from .forms import (
    DecisionForm,
    EditForm,
    GroupForm,
    ProfileForm,
    ReplyForm,
    ReportForm,
    SignInForm,
    SignUpForm,
    TopicForm,
)
from .models import PENDING, PUBLISHED, REJECTED, Draft, Post, Topic, User, count_published, db
from .names import NameRefused, checked_name, checked_text, owner_of_lookalike

__all__ = ["bp", "current_user", "guard"]

bp = Blueprint("forum", __name__)

#: The extension, set up on the app in ``create_app``.
guard = ForumGuard()


# --- who is posting -----------------------------------------------------------------------------


def current_user() -> User | None:
    if "demo_user" not in g:
        user_id = session.get("user_id")
        g.demo_user = db().get(User, user_id) if user_id else None
    return g.demo_user


@guard.group_loader
def author_group() -> str:
    user = current_user()
    return user.group if user else "guest"


@guard.actor_loader
def author_name() -> str | None:
    user = current_user()
    return user.name if user else None


#: the editors of this forum: one per topic's reply form, and the new-topic form
DRAFT_KEY = re.compile(r"(reply|edit)-(\d{1,18})|new-topic")
#: drafts kept per member: saving one more drops the one left longest
MAX_DRAFTS = 20


@guard.recent_posts_loader
def recent_posts(limit: int) -> list[str]:
    """The newest posts (any status): the admin page previews a new term against them."""
    rows = db().scalars(select(Post.content).order_by(Post.id.desc()).limit(limit))
    return list(rows)


@guard.draft_loader
def load_draft(key: str) -> str | None:
    user = current_user()
    draft = db().get(Draft, (user.id, key)) if user else None
    return draft.content if draft else None


@guard.draft_saver
def save_draft(key: str, content: str | None) -> None:
    user = current_user()
    named = DRAFT_KEY.fullmatch(key)
    if user is None or named is None or (named.group(1) and db().get(
            Topic if named.group(1) == "reply" else Post, int(named.group(2))) is None):
        return  # only the editors this forum has: a topic's reply, a post's edit, a new topic
    draft = db().get(Draft, (user.id, key))
    if content is None:
        if draft is not None:
            db().delete(draft)
    elif draft is None:
        kept = db().scalars(select(Draft).where(Draft.user_id == user.id).order_by(Draft.updated_at.desc())).all()
        for old in kept[MAX_DRAFTS - 1:]:
            db().delete(old)
        db().add(Draft(user_id=user.id, key=key, content=content))
    else:
        draft.content = content
    db().commit()


@bp.app_context_processor
def _inject() -> dict[str, Any]:
    user = current_user()
    pending = 0
    if user is not None and user.is_moderator:
        pending = db().scalar(select(func.count(Post.id)).where(
            (Post.status == PENDING) | ((Post.status == PUBLISHED) & Post.flagged))) or 0
    admin_url = None
    if user is not None and user.is_moderator and "forum_guard_admin" in current_app.blueprints:
        admin_url = url_for("forum_guard_admin.index")
    # the actions, for their own wording in the templates ("held for approval")
    return {"user": user, "pending_count": pending, "admin_url": admin_url, "can_edit": can_edit,
            "report_form": ReportForm(formdata=None),
            "held": Action.REQUIRE_APPROVAL, "flagged": Action.FLAG}


def moderator_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        user = current_user()
        if user is None:
            return redirect(url_for("forum.signin", next=request.path))
        if not user.is_moderator:
            abort(403)
        return view(*args, **kwargs)

    return wrapper


# --- what a reader may see ----------------------------------------------------------------------


def _own(post: Post) -> bool:
    user = current_user()
    if user is not None and post.author_id == user.id:
        return True
    return post.author_id is None and post.id in session.get("guest_posts", [])


def can_see(post: Post) -> bool:
    if post.status == PUBLISHED:
        return True
    user = current_user()
    return post.status == PENDING and ((user is not None and user.is_moderator) or _own(post))


def can_see_topic(topic: Topic) -> bool:
    if topic.status == PUBLISHED:
        return True
    return bool(topic.posts) and can_see(topic.posts[0])


def _topic_or_404(topic_id: int) -> Topic:
    topic = db().get(Topic, topic_id)
    if topic is None or not can_see_topic(topic):
        abort(404)
    return topic


# --- pages --------------------------------------------------------------------------------------


class Page:
    """One page of a list: its items, its number (from 1) and how many pages there are."""

    def __init__(self, items: list[Any], number: int, per_page: int) -> None:
        self.pages = max(1, -(-len(items) // per_page))
        self.number = min(max(number, 1), self.pages)
        self.items = items[(self.number - 1) * per_page:self.number * per_page]
        self.total = len(items)


def _page_arg() -> int:
    raw = request.args.get("page", "1")
    return int(raw) if raw.isdigit() and len(raw) < 7 else 1


@bp.get("/")
def index() -> Any:
    topics = db().scalars(select(Topic).order_by(Topic.id.desc())).all()
    rows = []
    for topic in topics:
        if not can_see_topic(topic):
            continue
        visible = [p for p in topic.posts if p.status == PUBLISHED]
        last = visible[-1] if visible else (topic.posts[0] if topic.posts else None)
        rows.append({"topic": topic, "replies": max(len(visible) - 1, 0), "last": last})
    page = Page(rows, _page_arg(), current_app.config["DEMO_TOPICS_PER_PAGE"])
    return render_template("demo/index.html", rows=page.items, page=page)


def render_topic(topic: Topic, form: ReplyForm, status: int = 200, page_number: int | None = None) -> Any:
    posts = [p for p in topic.posts if can_see(p)]
    per_page = current_app.config["DEMO_POSTS_PER_PAGE"]
    # a re-shown reply form (422) is on the last page, where the reply would go
    page = Page(posts, page_number or (_page_arg() if status == 200 else 10**6), per_page)
    return render_template("demo/topic.html", topic=topic, posts=page.items, page=page, form=form,
                           post_counts=_post_counts(page.items)), status


def _post_counts(posts: list[Post]) -> dict[int, int]:
    """Published posts of each member on the page, in one query."""
    ids = {p.author_id for p in posts if p.author_id is not None}
    if not ids:
        return {}
    rows = db().execute(select(Post.author_id, func.count(Post.id)).where(
        Post.author_id.in_(ids), Post.status == PUBLISHED).group_by(Post.author_id))
    return {int(a): int(n) for a, n in rows if a is not None}


def _page_param(post: Post) -> int | None:
    """The ``page`` of a link to a post: None on the first page, so its address stays /t/N."""
    number = page_of(post)
    return number if number > 1 else None


def page_of(post: Post) -> int:
    """The page of its topic a post is on."""
    posts = [p.id for p in post.topic.posts if can_see(p)]
    index = posts.index(post.id) if post.id in posts else len(posts) - 1
    return index // current_app.config["DEMO_POSTS_PER_PAGE"] + 1


@bp.get("/t/<id:topic_id>")
def topic(topic_id: int) -> Any:
    topic = _topic_or_404(topic_id)
    form = ReplyForm()
    quoted = request.args.get("quote", "")
    if quoted.isdigit() and len(quoted) < 19 and not form.content.data:
        post = db().get(Post, int(quoted))
        if post is not None and post.topic_id == topic.id and can_see(post):
            form.content.data = quote_of(post)
    return render_topic(topic, form)


def quote_of(post: Post) -> str:
    """A post quoted in the forum's markup, with a line saying who wrote it, for a reply to start with."""
    markup = current_app.config["DEMO_MARKUP"]
    if markup == "markdown":
        body = "\n".join("> " + line for line in post.content.splitlines())
        return f"> **{post.author_name} wrote:**\n>\n{body}\n\n"
    if markup == "bbcode":
        return f"[quote={post.author_name}]{post.content}[/quote]\n"
    return str(Markup('<blockquote><p><strong>{} wrote:</strong></p>{}</blockquote><p></p>').format(
        post.author_name, Markup(post.content)))


@guard.block_handler
def blocked(verdicts: dict[str, Verdict]) -> Any:
    """The middleware refused a reply: the topic again, the notice and the draft intact, 422."""
    if request.endpoint == "forum.reply" and request.view_args:
        return render_topic(_topic_or_404(request.view_args["topic_id"]), ReplyForm(), status=422)
    return blocked_response(verdicts)


def _posted(post: Post, verdict: Verdict, what: str) -> None:
    """Queue and tell the author what happened to a saved post."""
    if verdict.action.queued:
        author = None if post.author_id else post.author_name  # the queue shows the group beside it
        post.queue_id = hold(verdict, post.content, ref=f"post:{post.id}", author=author)
    if post.author_id is None:
        session["guest_posts"] = [*session.get("guest_posts", []), post.id][-50:]
    if verdict.exempt and verdict.exempt_action not in (None, Action.ALLOW):
        flash(exempt_notice(verdict), "info")
    if post.status == PENDING:
        flash(f"Your {what} needs a moderator's approval. It will be visible to everyone once approved.", "warning")
    elif verdict.action is Action.CENSOR:
        flash(f"Your {what} has been {'saved' if what == 'edit' else 'posted'}. Some words were replaced.", "success")
    else:
        flash(f"Your {what} has been {'saved' if what == 'edit' else 'posted'}.", "success")
    user = current_user()
    if user is not None and post.status == PUBLISHED:
        _maybe_promote(user)
    db().commit()


@bp.get("/t/<id:topic_id>/reply")
def reply_page(topic_id: int) -> Any:
    """The address a refused reply was shown at, opened again (Enter in the address bar, a
    bookmark): the topic's reply form, rather than "405 Method Not Allowed"."""
    topic = _topic_or_404(topic_id)
    last = Page([p for p in topic.posts if can_see(p)], 10**6, current_app.config["DEMO_POSTS_PER_PAGE"]).number
    return redirect(url_for("forum.topic", topic_id=topic.id, page=last if last > 1 else None, _anchor="reply"))


@bp.post("/t/<id:topic_id>/reply")
def reply(topic_id: int) -> Any:
    topic = _topic_or_404(topic_id)
    form = ReplyForm()
    if not form.validate_on_submit():
        return render_topic(topic, form, status=422)
    # The middleware checked `content` before this view ran and put what may be stored (sanitized
    # or censored HTML) in its place; the verdict says what else to do.
    verdict = current_verdict("content")
    assert verdict is not None
    user = current_user()
    guest_name = _guest_name(form)
    if form.guest_name.errors:
        return render_topic(topic, form, status=422)
    post = Post(
        topic=topic,
        author=user,
        guest_name=guest_name,
        content=form.content.data,
        status=PUBLISHED if verdict.action.published else PENDING,
        flagged=verdict.action is Action.FLAG,
        action=verdict.action.value,
        reason=_reason(verdict),
    )
    db().add(post)
    db().commit()
    _posted(post, verdict, "reply")
    return redirect(url_for("forum.topic", topic_id=topic.id, page=_page_param(post), _anchor=f"post-{post.id}"))


def can_edit(post: Post) -> bool:
    """Authors edit their own posts (a guest within their session); moderators edit any."""
    user = current_user()
    return post.status != REJECTED and ((user is not None and user.is_moderator) or _own(post))


@bp.route("/p/<id:post_id>/edit", methods=["GET", "POST"])
def edit_post(post_id: int) -> Any:
    """Edit a post: checked again like a new one, with the same notice; an edit that now needs
    approval hides the post until a moderator approves it."""
    post = db().get(Post, post_id)
    if post is None or not can_see(post):
        abort(404)
    if not can_edit(post):
        abort(403)
    form = EditForm(data={"content": post.content})
    if form.validate_on_submit():
        verdict = current_verdict("content")
        assert verdict is not None
        if form.content.data == post.content and post.status == PUBLISHED:
            flash("Nothing changed.", "success")
            return redirect(url_for("forum.topic", topic_id=post.topic_id, page=_page_param(post), _anchor=f"post-{post.id}"))
        post.content = content_to_store(verdict)
        post.edited_at = _utcnow()
        post.action = verdict.action.value
        post.reason = _reason(verdict)
        post.flagged = verdict.action is Action.FLAG
        post.status = PUBLISHED if verdict.action.published else PENDING
        if post.is_first:
            post.topic.status = post.status
        db().commit()
        _posted(post, verdict, "edit")
        return redirect(url_for("forum.topic", topic_id=post.topic_id, page=_page_param(post), _anchor=f"post-{post.id}"))
    return render_template("demo/edit.html", form=form, post=post), 422 if form.is_submitted() else 200


@bp.post("/p/<id:post_id>/report")
def report_post(post_id: int) -> Any:
    """Report a post to the moderators: it joins the same queue as the posts the filter flagged."""
    post = db().get(Post, post_id)
    if post is None or not can_see(post):
        abort(404)
    form = ReportForm()
    if not form.validate_on_submit():
        abort(400)
    user = current_user()
    who = user.name if user else "a guest"
    note = f"reported by {who}" + (f": {' '.join(form.reason.data.split())}" if form.reason.data else "")
    reported = session.get("reported", [])
    if post.id in reported:
        flash("You have reported this post already; the moderators will look at it.", "info")
    else:
        post.flagged = True
        post.reason = "; ".join(filter(None, [post.reason, note]))
        if post.status == PUBLISHED:
            checked = current_guard().check(post.content, markup=current_app.config["DEMO_MARKUP"])
            post.queue_id = hold(checked.replace(action=Action.FLAG), post.content, ref=f"post:{post.id}",
                                 author=post.author_name)
        db().commit()
        session["reported"] = [*reported, post.id][-100:]
        flash("Thank you: the moderators will look at this post.", "success")
    return redirect(url_for("forum.topic", topic_id=post.topic_id, page=_page_param(post), _anchor=f"post-{post.id}"))


@bp.route("/new", methods=["GET", "POST"])
def new_topic() -> Any:
    form = TopicForm()
    valid = form.validate_on_submit()
    guest_name = _guest_name(form) if valid else None
    if valid and not form.guest_name.errors:
        # The validators checked both fields; their verdicts say what to store and whether to hold.
        title_verdict = current_verdict("title")
        content_verdict = current_verdict("content")
        assert title_verdict is not None and content_verdict is not None
        worst = max((content_verdict, title_verdict), key=lambda v: v.action.severity)
        user = current_user()
        status = PUBLISHED if worst.action.published else PENDING
        topic = Topic(title=content_to_store(title_verdict).strip(), status=status)
        post = Post(
            topic=topic,
            author=user,
            guest_name=guest_name,
            content=content_to_store(content_verdict),
            status=status,
            flagged=worst.action is Action.FLAG,
            action=worst.action.value,
            reason=_reason(title_verdict, content_verdict),
        )
        db().add_all([topic, post])
        db().commit()
        _posted(post, worst, "topic")
        return redirect(url_for("forum.topic", topic_id=topic.id))
    return render_template("demo/new_topic.html", form=form), 422 if form.is_submitted() else 200


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _guest_name(form: ReplyForm | TopicForm) -> str | None:
    """The guest's display name after the guard and the look-alike test (None for members and
    guests who gave none); a refused name becomes the field's error."""
    if current_user() is not None:
        return None
    name = " ".join((form.guest_name.data or "").split())
    if not name:
        return None
    try:
        return checked_name(name)
    except NameRefused as exc:
        form.guest_name.errors = [*form.guest_name.errors, str(exc)]
        return None


def _reason(*verdicts: Verdict) -> str | None:
    parts: list[str] = []
    for v in verdicts:
        for violation in v.violations:
            terms = sorted({m.matched for m in violation.matches})
            text = violation.message or violation.kind.value.replace("_", " ")
            if terms:
                text += " (" + ", ".join(terms) + ")"
            if text not in parts:
                parts.append(text)
    return "; ".join(parts) or None


def _maybe_promote(user: User) -> None:
    """A new member becomes a member after DEMO_PROMOTE_AFTER published posts."""
    if user.group == "new" and count_published(db(), user) >= current_app.config["DEMO_PROMOTE_AFTER"]:
        user.group = "member"
        if user is current_user():
            flash("Welcome aboard: you are now a member.", "success")


# --- accounts -----------------------------------------------------------------------------------


def _safe_next(default: str) -> str:
    target = request.args.get("next") or request.form.get("next") or ""
    parts = urlsplit(target)
    if target.startswith("/") and not target.startswith("//") and not parts.netloc and not parts.scheme:
        return target
    return default


@bp.route("/signup", methods=["GET", "POST"])
def signup() -> Any:
    form = SignUpForm()
    if form.validate_on_submit():
        # The third way: an explicit check in the view. Names are plain text.
        verdict = guard.check_field(form.name, html=False)
        name = " ".join(form.name.data.split())
        if verdict.blocked or verdict.action is Action.REQUIRE_APPROVAL:
            form.name.errors.append("That name is not allowed. Please choose another.")
        elif (owner := owner_of_lookalike(name)) is not None:
            # the same name in another case, or one that reads the same: m0derator, mоderator (Cyrillic о)
            form.name.errors.append("That name is taken." if owner.lower() == name.lower()
                                    else f"That name looks too much like {owner!r}. Please choose another.")
        else:
            user = User(name=name, password_hash=generate_password_hash(form.password.data), group="new")
            db().add(user)
            db().commit()
            session.clear()
            session["user_id"] = user.id
            after = current_app.config["DEMO_PROMOTE_AFTER"]
            flash(gettext.ngettext("Welcome, %(name)s! You are a new member; after %(num)d post you become a member.",
                                   "Welcome, %(name)s! You are a new member; after %(num)d posts you become a member.",
                                   after) % {"name": user.name, "num": after}, "success")
            return redirect(_safe_next(url_for("forum.index")))
    return render_template("demo/signup.html", form=form), 422 if form.is_submitted() else 200


@bp.route("/u/<id:user_id>", methods=["GET", "POST"])
def profile(user_id: int) -> Any:
    """A member's page: join date, post count, signature (which only they may edit)."""
    member = db().get(User, user_id)
    if member is None:
        abort(404)
    own = current_user() is member
    if request.method == "POST" and not own:
        abort(403)
    form = ProfileForm(obj=member) if own else None
    if form is not None and form.is_submitted():
        if form.validate():
            try:
                signature = " ".join((form.signature.data or "").split())
                member.signature = checked_text(signature, what="signature") if signature else None
            except NameRefused as exc:
                form.signature.errors = [*form.signature.errors, str(exc)]
            else:
                db().commit()
                flash("Your signature has been saved.", "success")
                return redirect(url_for("forum.profile", user_id=member.id))
        return render_profile(member, form), 422
    return render_profile(member, form)


def render_profile(member: User, form: ProfileForm | None) -> str:
    return render_template("demo/profile.html", member=member, form=form,
                           post_count=count_published(db(), member))


@bp.route("/signin", methods=["GET", "POST"])
def signin() -> Any:
    form = SignInForm()
    if form.validate_on_submit():
        user = db().scalar(select(User).where(func.lower(User.name) == form.name.data.strip().lower()))
        if user is not None and check_password_hash(user.password_hash, form.password.data):
            session.clear()
            session["user_id"] = user.id
            flash(f"Signed in as {user.name}.", "success")
            return redirect(_safe_next(url_for("forum.index")))
        form.password.errors.append("Wrong name or password.")
    return render_template("demo/signin.html", form=form), 422 if form.is_submitted() else 200


@bp.post("/signout")
def signout() -> Any:
    if DecisionForm().validate_on_submit():
        session.clear()
        flash("Signed out.", "success")
    return redirect(url_for("forum.index"))


# --- moderators ---------------------------------------------------------------------------------


@bp.get("/moderation")
@moderator_required
def pending() -> Any:
    posts = db().scalars(select(Post).where(
        (Post.status == PENDING) | ((Post.status == PUBLISHED) & Post.flagged)).order_by(Post.id)).all()
    return render_template("demo/pending.html", posts=posts, form=DecisionForm())


@bp.post("/moderation/<id:post_id>")
@moderator_required
def decide(post_id: int) -> Any:
    """Approve or reject a post. Goes through the store's queue (when there is one) and the same
    ``queue_decided`` signal the admin blueprint sends, so both ways end in :func:`apply_decision`."""
    if not DecisionForm().validate_on_submit():
        abort(400)
    post = db().get(Post, post_id)
    if post is None:
        abort(404)
    decision: Literal["approved", "rejected"] = "approved" if "approve" in request.form else "rejected"
    moderator = current_user()
    assert moderator is not None
    store = guard.state.store
    if store is not None and post.queue_id is not None:
        from forum_guard.store import StoreError

        # decided on the admin page already, or the queue was cleared: the post still follows
        with contextlib.suppress(StoreError):
            store.decide(post.queue_id, decision, actor=moderator.name, origin="demo")
    signals.queue_decided.send(current_app._get_current_object(),  # type: ignore[attr-defined]
                               queue_id=post.queue_id, ref=f"post:{post.id}", decision=decision,
                               content=None, moderator=moderator.name)
    flash(f"Post #{post.id} {decision}.", "success")
    return redirect(url_for("forum.pending"))


def on_queue_decided(sender: Any, *, ref: str | None = None, decision: str | None = None,
                     content: str | None = None, **extra: Any) -> None:
    """The admin blueprint (or :func:`decide`) decided a queued post: publish or drop it."""
    if not ref or not ref.startswith("post:") or not ref[5:].isdigit():
        return
    post = db().get(Post, int(ref[5:]))
    if post is None:
        return
    apply_decision(post, decision or "", content)
    db().commit()


def apply_decision(post: Post, decision: str, content: str | None = None) -> None:
    if decision == "approved":
        if content is not None and content != post.content:
            post.content = current_guard().check(content, markup=current_app.config["DEMO_MARKUP"],
                                                 group="moderator").sanitized
        if post.status == PENDING:
            post.status = PUBLISHED
        post.flagged = False
        if post.author is not None:
            _maybe_promote(post.author)
    elif decision == "rejected":
        post.status = REJECTED
        post.flagged = False
    else:
        return
    if post.is_first:
        post.topic.status = post.status


@bp.get("/members")
@moderator_required
def members() -> Any:
    users = db().scalars(select(User).order_by(User.name)).all()
    return render_template("demo/members.html", users=users, form=GroupForm())


@bp.post("/members/<id:user_id>")
@moderator_required
def set_group(user_id: int) -> Any:
    form = GroupForm()
    user = db().get(User, user_id)
    if user is None:
        abort(404)
    if not form.validate_on_submit():
        abort(400)
    if user is current_user() and form.group.data != "moderator":
        flash("You cannot take away your own moderator rights.", "warning")
    else:
        user.group = form.group.data
        db().commit()
        flash(f"{user.name} is now in the group {user.group}.", "success")
    return redirect(url_for("forum.members"))
