"""The moderators' admin pages: lists, terms, test box, limits, moderation queue, audit log.

A blueprint over the store, mounted at ``FORUM_GUARD_ADMIN_PREFIX`` (default ``/forum-guard/admin``)::

    guard = ForumGuard(app)
    init_admin(app)               # or app.register_blueprint(admin.bp, url_prefix="/mod/filter")

Access is denied by default: only the host's moderators get in (``forum_guard.web.extension.is_moderator``: the
"moderator" group, or the host's ``@guard.moderator_loader``). Every POST needs a CSRF token
(flask-wtf), whether or not the host uses ``CSRFProtect``. The pages are plain HTML (no JavaScript),
work on a phone, and every template can be overridden by a file of the same name under the host's
``templates/forum_guard/admin/``.

Before a term is saved the Terms page shows what it would do: the dictionary words the real matcher
would hit with it (the Scunthorpe check) and how many recent posts it would have caught. Recent posts
come from the host (``@admin.recent_posts_loader`` or ``FORUM_GUARD_RECENT_POSTS_LOADER``: a callable
``f(limit) -> iterable of str``), else from the store's moderation queue.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, TypeVar
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

try:  # wtforms >= 3.3 wants SelectChoice objects; older versions take (value, label) pairs
    from wtforms.fields.choices import SelectChoice

    def _choices(pairs: Iterable[tuple[str, str]]) -> list[Any]:
        return [SelectChoice(value, label) for value, label in pairs]
except ImportError:  # pragma: no cover
    def _choices(pairs: Iterable[tuple[str, str]]) -> list[Any]:
        return list(pairs)

from ..engine.actions import Action
from ..engine.terms import MAX_NAME_LENGTH, ListKind, Term
from ..errors import ForumGuardError
from ..store import (
    AlreadyDecided,
    NotFound,
    Store,
    StoreError,
    dictionary_hits,
    dictionary_words,
    impact_preview,
)
from . import signals

if TYPE_CHECKING:
    from flask.typing import ResponseReturnValue

__all__ = ["AdminConfig", "bp", "init_admin", "recent_posts_loader"]

F = TypeVar("F", bound=Callable[..., Any])


class AdminConfig:
    """The admin's settings, each a ``FORUM_GUARD_*`` key of ``app.config``."""

    #: URL prefix of the admin pages. Default ``"/forum-guard/admin"``.
    PREFIX = "FORUM_GUARD_ADMIN_PREFIX"
    #: Rows per page (terms, queue, audit log). Default ``50``.
    PAGE_SIZE = "FORUM_GUARD_ADMIN_PAGE_SIZE"
    #: How many recent posts the impact preview checks a new term against. Default ``500``.
    IMPACT_POSTS = "FORUM_GUARD_IMPACT_POSTS"
    #: Word list of the Scunthorpe check (one word a line). Default: ``/usr/share/dict/words``.
    DICTIONARY = "FORUM_GUARD_DICTIONARY"
    #: ``f(limit) -> iterable of str``: the forum's most recent posts (text or HTML), newest first.
    RECENT_POSTS_LOADER = "FORUM_GUARD_RECENT_POSTS_LOADER"
    #: Where "back to the forum" points. Default ``"/"``.
    HOME_URL = "FORUM_GUARD_ADMIN_HOME_URL"


DEFAULTS: dict[str, Any] = {
    AdminConfig.PREFIX: "/forum-guard/admin",
    AdminConfig.PAGE_SIZE: 50,
    AdminConfig.IMPACT_POSTS: 500,
    AdminConfig.DICTIONARY: None,
    AdminConfig.RECENT_POSTS_LOADER: None,
    AdminConfig.HOME_URL: "/",
}

EXTENSION_KEY = "forum_guard_admin"
GROUPS = ("guest", "new", "member", "moderator")
LIST_ACTIONS = [(a.value, a.label) for a in Action.for_lists()]
LIMIT_FIELDS = ("max_emoji", "max_links", "max_images", "max_length", "min_length")
LIMIT_FLAGS = ("allow_pasted_images", "exempt")
LIMIT_LABELS = {
    "max_emoji": "Most emoji", "max_links": "Most links", "max_images": "Most images",
    "max_length": "Longest (characters)", "min_length": "Shortest (characters)",
    "allow_pasted_images": "May paste images", "exempt": "Exempt from every rule",
}

bp = Blueprint("forum_guard_admin", __name__, template_folder="templates")


def init_admin(app: Flask, *, url_prefix: str | None = None) -> None:
    """Mount the admin pages on ``app`` (after ``ForumGuard(app)``; they need its store)."""
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    app.extensions.setdefault(EXTENSION_KEY, {"recent_posts_loader": None})
    app.register_blueprint(bp, url_prefix=url_prefix or app.config[AdminConfig.PREFIX])


def recent_posts_loader(app: Flask) -> Callable[[F], F]:
    """``@recent_posts_loader(app)`` registers ``f(limit) -> iterable of str``: recent posts for the
    impact preview (the same as setting ``FORUM_GUARD_RECENT_POSTS_LOADER``)."""

    def decorator(f: F) -> F:
        app.extensions.setdefault(EXTENSION_KEY, {})["recent_posts_loader"] = f
        return f

    return decorator


# --------------------------------------------------------------------------------------------
# access, state, helpers


def _config(key: str) -> Any:
    return current_app.config.get(key, DEFAULTS[key])


def _state() -> Any:
    return current_app.extensions.get("forum_guard")


def _store() -> Store:
    state = _state()
    store = getattr(state, "store", None)
    if store is None:
        abort(503, description="The admin pages need forum_guard's database store (FORUM_GUARD_USE_STORE).")
    return store


def _is_moderator() -> bool:
    """Deny by default: no ForumGuard, no hook, an unknown user — no access."""
    if _state() is None:
        return False
    from .extension import is_moderator

    return bool(is_moderator())


def _actor() -> str:
    from .extension import current_actor

    return current_actor() or "moderator"


@bp.before_request
def _protect() -> None:
    if not _is_moderator():
        abort(403, description="Only moderators may use the content filter's admin pages.")
    if request.method == "POST" and current_app.config.get("WTF_CSRF_ENABLED", True):
        from flask_wtf.csrf import CSRFError, validate_csrf
        from wtforms import ValidationError

        token = request.form.get("csrf_token") or request.headers.get("X-CSRFToken")
        try:
            validate_csrf(token)
        except ValidationError as exc:
            raise CSRFError(exc.args[0]) from None


@bp.app_template_global("forum_guard_admin_counts")
def _queue_counts() -> dict[str, int]:
    try:
        return _store().queue_counts()
    except Exception:  # the nav must render even when the store is down
        return {}


@bp.errorhandler(ForumGuardError)
def _store_error(exc: ForumGuardError) -> ResponseReturnValue:
    return render_template("forum_guard/admin/error.html", message=str(exc)), 400 if not isinstance(
        exc, NotFound) else 404


@bp.errorhandler(NotFound)
def _not_found(exc: NotFound) -> ResponseReturnValue:
    return render_template("forum_guard/admin/error.html", message=str(exc)), 404


def _rules_changed(version: int | None, what: str) -> None:
    """Make the change live in this worker at once and tell the host."""
    if version is None:
        return
    source = getattr(_state(), "source", None)
    poke = getattr(source, "poke", None)
    if poke is not None:
        poke()
    signals.rules_changed.send(current_app._get_current_object(), version=version, actor=_actor(),  # type: ignore[attr-defined]
                               what=what)


def _page() -> int:
    try:
        return min(10**9, max(1, int(request.args.get("page", "1"))))  # ?page=10**30: the last page, not a 500
    except ValueError:
        return 1


def _pages(total: int) -> int:
    return max(1, math.ceil(total / int(_config(AdminConfig.PAGE_SIZE))))


def _recent_posts(limit: int) -> tuple[list[str], str]:
    """Recent posts for the impact preview, and where they came from."""
    loader = (current_app.extensions.get(EXTENSION_KEY, {}).get("recent_posts_loader")
              or getattr(getattr(_state(), "ext", None), "_recent_posts_loader", None)
              or _config(AdminConfig.RECENT_POSTS_LOADER))
    if loader is not None:
        posts = [p for p in _take(loader(limit), limit) if isinstance(p, str)]
        return posts, "the forum's recent posts"
    return _store().recent_contents(limit), "posts in the moderation queue"


def _take(items: Iterable[Any], n: int) -> list[Any]:
    out: list[Any] = []
    for item in items:
        if len(out) >= n:
            break
        out.append(item)
    return out


# --------------------------------------------------------------------------------------------
# forms


class ListForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=MAX_NAME_LENGTH)])
    action = SelectField("Action", choices=_choices(LIST_ACTIONS), default="block")
    kind = SelectField("Kind", choices=_choices([("terms", "terms (words and phrases)"),
                                                 ("domains", "domains (links)")]), default="terms")
    replacement = StringField("Censor text", validators=[Optional(), Length(max=200)])
    evasion = BooleanField("See through l33t, look-alikes, separators and repeats", default=True)
    inflections = BooleanField("A word also catches -s -es -ed -ing -er -ers", default=True)
    description = StringField("Description", validators=[Optional(), Length(max=500)])
    submit = SubmitField("Save")


class ConfirmForm(FlaskForm):
    submit = SubmitField("Delete")


class TermsForm(FlaskForm):
    terms = TextAreaField("Terms, one a line", validators=[DataRequired(), Length(max=200_000)])
    #: set by the preview page's "Save" button
    confirm = HiddenField()
    submit = SubmitField("Check")


class TermEditForm(FlaskForm):
    term = StringField("Term", validators=[DataRequired(), Length(max=400)])
    confirm = HiddenField()
    submit = SubmitField("Check")


class TestForm(FlaskForm):
    text = TextAreaField("Text or HTML", validators=[DataRequired(), Length(max=200_000)])
    group = SelectField("Author group", choices=_choices((g, g) for g in GROUPS), default="member")
    html = BooleanField("It is HTML (rich editor)")
    submit = SubmitField("Test")


class DecisionForm(FlaskForm):
    content = TextAreaField("Post (edit before approving if needed)", validators=[Optional()])
    note = StringField("Note for the audit log", validators=[Optional(), Length(max=500)])
    approve = SubmitField("Approve")
    reject = SubmitField("Reject")


def _group_form(group: str, values: dict[str, Any], formdata: Any = None) -> FlaskForm:
    class GroupForm(FlaskForm):
        pass

    for key in LIMIT_FIELDS:
        setattr(GroupForm, key, IntegerField(LIMIT_LABELS[key], validators=[Optional(), NumberRange(min=-1)],
                                             description="empty: no limit"))
    for key in LIMIT_FLAGS:
        setattr(GroupForm, key, BooleanField(LIMIT_LABELS[key]))
    GroupForm.save = SubmitField("Save " + group)
    data = {k: (None if values.get(k) in (None, -1) else values.get(k)) for k in LIMIT_FIELDS}
    data.update({k: bool(values.get(k)) for k in LIMIT_FLAGS})
    # several forms on one page: the blueprint checks the one unprefixed csrf_token of every POST
    return GroupForm(formdata=formdata, prefix=group, data=data, meta={"csrf": False})


def _messages_form(values: dict[str, str], formdata: Any = None) -> FlaskForm:
    class MessagesForm(FlaskForm):
        pass

    for key in values:
        setattr(MessagesForm, key, TextAreaField(key.replace("_", " "), validators=[Optional(), Length(max=2000)]))
    MessagesForm.save = SubmitField("Save messages")
    return MessagesForm(formdata=formdata, prefix="messages", data=values,
                        meta={"csrf": False})


# --------------------------------------------------------------------------------------------
# lists


@bp.route("/")
def index() -> ResponseReturnValue:
    return redirect(url_for(".lists"))


@bp.route("/lists", methods=["GET", "POST"])
def lists() -> ResponseReturnValue:
    store = _store()
    form = ListForm()
    if form.validate_on_submit():
        try:
            version = store.create_list(
                form.name.data, action=form.action.data, kind=form.kind.data,
                replacement=form.replacement.data or None, evasion=form.evasion.data,
                inflections=form.inflections.data and form.kind.data == "terms",
                description=form.description.data or "", actor=_actor(), origin="admin")
        except StoreError as exc:
            form.name.errors.append(str(exc))
        else:
            _rules_changed(version, f"list.create {form.name.data}")
            flash(f"Created list {form.name.data.strip()}.", "ok")
            return redirect(url_for(".terms", name=form.name.data.strip()))
    status = 400 if form.is_submitted() else 200
    return render_template("forum_guard/admin/lists.html", lists=store.list_infos(), form=form,
                           version=store.version()), status


@bp.route("/lists/<name>/settings", methods=["GET", "POST"])
def list_settings(name: str) -> ResponseReturnValue:
    store = _store()
    info = store.list_info(name)
    form = ListForm(obj=None, data={"name": info.name, "action": info.action.value, "kind": info.kind.value,
                                    "replacement": info.replacement or "", "evasion": info.evasion,
                                    "inflections": info.inflections, "description": info.description})
    if form.validate_on_submit():
        try:
            version = store.update_list(
                name, new_name=form.name.data, action=form.action.data, replacement=form.replacement.data or None,
                evasion=form.evasion.data, inflections=form.inflections.data,
                description=form.description.data or "", actor=_actor(), origin="admin")
        except StoreError as exc:
            form.name.errors.append(str(exc))
        else:
            _rules_changed(version, f"list.update {name}")
            flash(f"Saved list {form.name.data.strip()}.", "ok")
            return redirect(url_for(".terms", name=form.name.data.strip()))
    status = 400 if form.is_submitted() else 200
    return render_template("forum_guard/admin/list_settings.html", info=info, form=form), status


@bp.route("/lists/<name>/delete", methods=["GET", "POST"])
def list_delete(name: str) -> ResponseReturnValue:
    store = _store()
    info = store.list_info(name)
    form = ConfirmForm()
    if form.validate_on_submit():
        version = store.delete_list(name, actor=_actor(), origin="admin")
        _rules_changed(version, f"list.delete {name}")
        flash(f"Deleted list {name} and its {info.size} terms.", "ok")
        return redirect(url_for(".lists"))
    return render_template("forum_guard/admin/list_delete.html", info=info, form=form)


# --------------------------------------------------------------------------------------------
# terms


@bp.route("/lists/<name>", methods=["GET"])
def terms(name: str) -> ResponseReturnValue:
    return _terms_page(name, TermsForm(formdata=None))


def _terms_page(name: str, form: TermsForm, status: int = 200, **extra: Any) -> ResponseReturnValue:
    store = _store()
    info = store.list_info(name)
    q = request.args.get("q", "").strip()
    page = _page()
    size = int(_config(AdminConfig.PAGE_SIZE))
    total = store.count_terms(name, search=q or None)
    rows = store.terms(name, search=q or None, offset=(page - 1) * size, limit=size)
    return render_template("forum_guard/admin/terms.html", info=info, rows=rows, q=q, page=page,
                           pages=_pages(total), total=total, form=form, delete_form=ConfirmForm(), **extra), status


def _preview(name: str, candidates: list[Term]) -> dict[str, Any]:
    """The Scunthorpe check and the impact preview of terms about to be saved."""
    store = _store()
    wl = store.get_list(name, exceptions_only=True)
    words = dictionary_words(_config(AdminConfig.DICTIONARY))
    hits = dictionary_hits(wl, candidates, words=words) if wl.kind is ListKind.TERMS else {}
    posts, posts_from = _recent_posts(int(_config(AdminConfig.IMPACT_POSTS)))
    impact = impact_preview(wl, candidates, posts)
    per_term = []
    for t in candidates:
        existing = [r.list for r in store.find_terms(t)]
        per_term.append({"term": t, "hits": hits.get(t.pattern, []), "in_lists": existing})
    return {"preview": per_term, "impact": impact, "posts_from": posts_from, "dictionary_size": len(words),
            "hits_total": sum(len(v) for v in hits.values())}


def _parse_candidates(text: str, kind: ListKind) -> tuple[list[Term], list[str]]:
    terms: list[Term] = []
    errors: list[str] = []
    seen: set[str] = set()
    for n, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        try:
            t = Term.parse(line, kind=kind)
        except ValueError as exc:
            shown = line if len(line) <= 60 else f"{line[:60]}… ({len(line):,} characters)"
            errors.append(f"line {n}: {shown!r}: {exc}")
            continue
        if t.to_line() not in seen:
            seen.add(t.to_line())
            terms.append(t)
    return terms, errors


@bp.route("/lists/<name>/terms", methods=["POST"])
def terms_add(name: str) -> ResponseReturnValue:
    store = _store()
    info = store.list_info(name)
    form = TermsForm()
    if not form.validate_on_submit():
        return _terms_page(name, form, 400)
    candidates, errors = _parse_candidates(form.terms.data, info.kind)
    if errors or not candidates:
        for e in errors or ["no terms given"]:
            form.terms.errors.append(e)
        return _terms_page(name, form, 400)
    if form.confirm.data != "save":
        return render_template("forum_guard/admin/term_preview.html", info=info, form=form,
                               action_url=url_for(".terms_add", name=name), **_preview(name, candidates))
    result = store.add_terms(name, candidates, actor=_actor(), origin="admin")
    _rules_changed(result.version, f"term.add {name}")
    if result.added:
        flash(f"Added {len(result.added)} term(s) to {name}: " + ", ".join(t.to_line() for t in result.added[:20]),
              "ok")
    if result.skipped:
        flash("Already in the list: " + ", ".join(t.to_line() for t in result.skipped[:20]), "info")
    return redirect(url_for(".terms", name=name))


@bp.route("/terms/<int:term_id>/edit", methods=["GET", "POST"])
def term_edit(term_id: int) -> ResponseReturnValue:
    store = _store()
    row = store.get_term(term_id)
    info = store.list_info(row.list)
    form = TermEditForm(data={"term": row.term.to_line()})
    if form.validate_on_submit():
        candidates, errors = _parse_candidates(form.term.data, info.kind)
        if errors or len(candidates) != 1:
            form.term.errors.extend(errors or ["give one term"])
        elif form.confirm.data != "save":
            return render_template("forum_guard/admin/term_preview.html", info=info, form=form, row=row,
                                   action_url=url_for(".term_edit", term_id=term_id), **_preview(row.list, candidates))
        else:
            try:
                version = store.update_term(term_id, candidates[0], actor=_actor(), origin="admin")
            except StoreError as exc:
                form.term.errors.append(str(exc))
            else:
                _rules_changed(version, f"term.edit {row.list}")
                flash(f"Changed {row.term.to_line()} to {candidates[0].to_line()}.", "ok")
                return redirect(url_for(".terms", name=row.list))
    status = 400 if form.is_submitted() else 200
    return render_template("forum_guard/admin/term_edit.html", info=info, row=row, form=form), status


@bp.route("/terms/<int:term_id>/delete", methods=["POST"])
def term_delete(term_id: int) -> ResponseReturnValue:
    store = _store()
    row = store.get_term(term_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        version = store.delete_term(term_id, actor=_actor(), origin="admin")
        _rules_changed(version, f"term.remove {row.list}")
        flash(f"Removed {row.term.to_line()} from {row.list}.", "ok")
    return redirect(url_for(".terms", name=row.list, q=request.args.get("q") or None))


# --------------------------------------------------------------------------------------------
# test box


@bp.route("/test", methods=["GET", "POST"])
def test() -> ResponseReturnValue:
    form = TestForm()
    verdict = None
    highlighted = None
    if form.validate_on_submit():
        from .extension import current_guard

        guard = current_guard()
        verdict = guard.check(form.text.data, html=form.html.data, group=form.group.data, mark_all=True)
        highlighted = verdict.highlighted_html
    status = 400 if form.is_submitted() and verdict is None else 200
    return render_template("forum_guard/admin/test.html", form=form, verdict=verdict, highlighted=highlighted), status


# --------------------------------------------------------------------------------------------
# limits


@bp.route("/limits", methods=["GET", "POST"])
def limits() -> ResponseReturnValue:
    from ..engine.limits import Limits

    store = _store()
    current = store.limits() or Limits.default()
    doc = current.to_dict()
    posted = request.form.get("section") if request.method == "POST" else None
    forms = {}
    for group in doc["groups"]:
        forms[group] = _group_form(group, doc["groups"][group], request.form if posted == group else None)
    messages_form = _messages_form(doc["messages"], request.form if posted == "messages" else None)
    status = 200
    if posted:
        form = messages_form if posted == "messages" else forms.get(posted)
        if form is None:
            abort(400, description="unknown section")
        if form.validate():
            if posted == "messages":
                change = {"messages": {k: form[k].data or "" for k in doc["messages"]}}
            else:
                values = {k: (-1 if form[k].data is None else form[k].data) for k in LIMIT_FIELDS}
                values.update({k: bool(form[k].data) for k in LIMIT_FLAGS})
                change = {"groups": {posted: values}}
            version = store.set_limits(change, partial=True, actor=_actor(), origin="admin")
            _rules_changed(version, f"limits.update {posted}")
            flash(f"Saved the limits for {posted}.", "ok")
            return redirect(url_for(".limits"))
        status = 400
    from flask_wtf.csrf import generate_csrf

    return render_template("forum_guard/admin/limits.html", forms=forms, messages_form=messages_form,
                           hard_cap=current.hard_cap, labels=LIMIT_LABELS, csrf=generate_csrf()), status


# --------------------------------------------------------------------------------------------
# moderation queue


@bp.route("/queue")
def queue() -> ResponseReturnValue:
    store = _store()
    status = request.args.get("status", "pending")
    if status not in ("pending", "approved", "rejected"):
        status = "pending"
    reason = request.args.get("reason") or None
    if reason not in (None, "require_approval", "flag"):
        reason = None
    size = int(_config(AdminConfig.PAGE_SIZE))
    page = _page()
    items = store.queue(status=status, reason=reason, offset=(page - 1) * size, limit=size + 1)
    more = len(items) > size
    items = items[:size]
    return render_template("forum_guard/admin/queue.html", items=[(i, _marked(i)) for i in items], status=status,
                           reason=reason, page=page, more=more, form=DecisionForm(formdata=None))


def _marked(item: Any) -> Markup:
    """The post with every match marked (flags too), as moderators see it."""
    stored = Markup(item.highlighted_html)  # produced by our renderer at enqueue time
    try:
        from .extension import current_guard

        guard = current_guard()
        group = item.group if item.group in guard.limits.groups else "member"
        text = item.decided_content or item.content
        verdict = guard.check(text, html=item.is_html, group=group, mark_all=True)
        if verdict.matches:
            return verdict.highlighted_html
    except Exception:  # a post the current rules cannot check: show it as it was queued
        current_app.logger.exception("forum_guard admin: cannot re-check queue item %s", item.id)
    return stored


@bp.route("/queue/<int:item_id>", methods=["GET", "POST"])
def queue_item(item_id: int) -> ResponseReturnValue:
    store = _store()
    item = store.queue_item(item_id)
    form = DecisionForm(data={"content": item.decided_content or item.content})
    if form.validate_on_submit():
        decision: Literal["approved", "rejected"] = "rejected" if form.reject.data else "approved"
        content = form.content.data if decision == "approved" and form.content.data else None
        if content is not None:
            content = content.replace("\r\n", "\n")
        try:
            decided = store.decide(item_id, decision, actor=_actor(), content=content, note=form.note.data or None,
                                   origin="admin")
        except AlreadyDecided as exc:
            flash(str(exc), "error")
            return redirect(url_for(".queue_item", item_id=item_id))
        signals.queue_decided.send(current_app._get_current_object(),  # type: ignore[attr-defined]
                                   queue_id=decided.id, ref=decided.ref, decision=decision,
                                   content=decided.decided_content or decided.content, moderator=_actor())
        flash(f"{decision.capitalize()} post #{item_id}.", "ok")
        return redirect(_local_url(request.args.get("next")) or url_for(".queue"))
    status = 400 if form.is_submitted() else 200
    return render_template("forum_guard/admin/queue_item.html", item=item, marked=_marked(item), form=form), status


# --------------------------------------------------------------------------------------------
# audit log


@bp.route("/audit")
def audit() -> ResponseReturnValue:
    store = _store()
    args = request.args
    filters: dict[str, Any] = {
        "actor": args.get("actor") or None,
        "action": args.get("action") or None,
        "target": args.get("list") or None,
        "search": args.get("q") or None,
        "since": _date(args.get("since")),
        "until": _date(args.get("until"), end=True),
    }
    size = int(_config(AdminConfig.PAGE_SIZE))
    page = _page()
    total = store.count_audit(**filters)
    entries = store.audit(**filters, offset=(page - 1) * size, limit=size)
    query = {k: v for k, v in args.items() if k != "page" and v}
    return render_template("forum_guard/admin/audit.html", entries=entries, total=total, page=page,
                           pages=_pages(total), actors=store.audit_actors(), lists=store.list_names(),
                           args=args, query=query)


def _local_url(target: str | None) -> str | None:
    """``target`` if it is a path on this site, else None: a crafted ``?next=`` must not send a
    moderator elsewhere after a decision (an open redirect)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(c in target for c in "\r\n\t"):
        return None
    return target


def _date(value: str | None, *, end: bool = False) -> datetime | None:
    if not value:
        return None
    try:
        d = datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        return None
    return d + timedelta(days=1) if end else d


@bp.app_template_filter("fg_when")
def _when(dt: datetime | None) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if dt else ""
