"""The admin pages: lists, terms (with the Scunthorpe check and impact preview), the test box,
limits, the moderation queue and the audit log. Every route is on :data:`.blueprint.bp`, behind its
moderator and CSRF checks."""

from __future__ import annotations

import gettext
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from markupsafe import Markup

from ...engine.actions import Action
from ...engine.limits import Limits
from ...engine.terms import ListKind, Term
from ...errors import LimitsError
from ...store import AlreadyDecided, QueueItem, StoreError, dictionary_hits, dictionary_words, impact_preview
from .. import signals
from ..checks import current_guard
from ..config import ConfigKeys
from ..csrf import csrf_token
from .blueprint import actor, bp, current_store, page_count, page_number, recent_posts, rules_changed, setting
from .forms import (
    LIMIT_FIELDS,
    LIMIT_FLAGS,
    LIMIT_LABELS,
    ConfirmForm,
    DecisionForm,
    ListForm,
    TermEditForm,
    TermsForm,
    TestForm,
    group_form,
    messages_form,
)

if TYPE_CHECKING:
    from flask.typing import ResponseReturnValue

__all__: list[str] = []  # routes only: they register themselves on the blueprint

#: The reasons a post is in the queue: the actions that queue it.
QUEUE_REASONS = tuple(a for a in Action if a.queued)


# --------------------------------------------------------------------------------------------
# lists


@bp.route("/")
def index() -> ResponseReturnValue:
    return redirect(url_for(".lists"))


@bp.route("/lists", methods=["GET", "POST"])
def lists() -> ResponseReturnValue:
    store = current_store()
    form = ListForm()
    if form.validate_on_submit():
        try:
            version = store.create_list(
                form.name.data, action=form.action.data, kind=form.kind.data,
                replacement=form.replacement.data or None, evasion=form.evasion.data,
                inflections=form.inflections.data and form.kind.data == "terms",
                description=form.description.data or "", language=form.language.data or "",
                derive=form.derive.data or "", actor=actor(), origin="admin")
        except StoreError as exc:
            (form.derive if str(exc).startswith("derive") else form.name).errors.append(str(exc))
        else:
            return _list_saved(form, version, f"list.create {form.name.data}", "Created")
    status = 400 if form.is_submitted() else 200
    return render_template("forum_guard/admin/lists.html", lists=store.list_infos(), form=form,
                           version=store.version()), status


@bp.route("/lists/<name>/settings", methods=["GET", "POST"])
def list_settings(name: str) -> ResponseReturnValue:
    store = current_store()
    info = store.list_info(name)
    form = ListForm(obj=None, data={"name": info.name, "action": info.action.value, "kind": info.kind.value,
                                    "replacement": info.replacement or "", "evasion": info.evasion,
                                    "inflections": info.inflections, "description": info.description,
                                    "language": info.language, "derive": " ".join(info.derive)})
    if form.validate_on_submit():
        try:
            version = store.update_list(
                name, new_name=form.name.data, action=form.action.data, replacement=form.replacement.data or None,
                evasion=form.evasion.data, inflections=form.inflections.data,
                description=form.description.data or "", language=form.language.data or "",
                derive=form.derive.data or "", actor=actor(), origin="admin")
        except StoreError as exc:
            (form.derive if str(exc).startswith("derive") else form.name).errors.append(str(exc))
        else:
            return _list_saved(form, version, f"list.update {name}", "Saved")
    status = 400 if form.is_submitted() else 200
    return render_template("forum_guard/admin/list_settings.html", info=info, form=form), status


def _list_saved(form: ListForm, version: int | None, what: str, done: str) -> ResponseReturnValue:
    """After a list was created or changed: make it live, say so, and show its terms."""
    rules_changed(version, what)
    name = form.name.data.strip()
    flash(f"{done} list {name}.", "ok")
    return redirect(url_for(".terms", name=name))


@bp.route("/lists/<name>/delete", methods=["GET", "POST"])
def list_delete(name: str) -> ResponseReturnValue:
    store = current_store()
    info = store.list_info(name)
    form = ConfirmForm()
    if form.validate_on_submit():
        version = store.delete_list(name, actor=actor(), origin="admin")
        rules_changed(version, f"list.delete {name}")
        flash(f"Deleted list {name} and its {info.size} terms.", "ok")
        return redirect(url_for(".lists"))
    return render_template("forum_guard/admin/list_delete.html", info=info, form=form)


# --------------------------------------------------------------------------------------------
# terms


@bp.route("/lists/<name>", methods=["GET"])
def terms(name: str) -> ResponseReturnValue:
    return _terms_page(name, TermsForm(formdata=None))


def _terms_page(name: str, form: TermsForm, status: int = 200, **extra: Any) -> ResponseReturnValue:
    store = current_store()
    info = store.list_info(name)
    q = request.args.get("q", "").strip()
    page = page_number()
    size = int(setting(ConfigKeys.ADMIN_PAGE_SIZE))
    total = store.count_terms(name, search=q or None)
    rows = store.terms(name, search=q or None, offset=(page - 1) * size, limit=size)
    return render_template("forum_guard/admin/terms.html", info=info, rows=rows, q=q, page=page,
                           pages=page_count(total), total=total, form=form, delete_form=ConfirmForm(), **extra), status


def _preview(name: str, candidates: list[Term]) -> dict[str, Any]:
    """The Scunthorpe check and the impact preview of terms about to be saved."""
    store = current_store()
    wl = store.get_list(name, exceptions_only=True)
    words = dictionary_words(setting(ConfigKeys.DICTIONARY))
    hits = dictionary_hits(wl, candidates, words=words) if wl.kind is ListKind.TERMS else {}
    posts, posts_from = recent_posts(int(setting(ConfigKeys.IMPACT_POSTS)))
    impact = impact_preview(wl, candidates, posts)
    per_term = []
    for t in candidates:
        existing = [r.list for r in store.find_terms(t)]
        per_term.append({"term": t, "hits": hits.get(t.pattern, []), "in_lists": existing,
                         "present": name in existing})
    # what "Save" would add: a term already in this list is not offered again
    to_save = [p for p in per_term if not p["present"]]
    return {"preview": per_term, "impact": impact, "posts_from": posts_from, "dictionary_size": len(words),
            "hits_total": sum(len(v) for v in hits.values()), "to_save": to_save}


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
    store = current_store()
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
    result = store.add_terms(name, candidates, actor=actor(), origin="admin")
    rules_changed(result.version, f"term.add {name}")
    if result.added:
        added = gettext.ngettext("Added %(num)d term to %(name)s: ", "Added %(num)d terms to %(name)s: ",
                                 len(result.added)) % {"num": len(result.added), "name": name}
        flash(added + ", ".join(t.to_line() for t in result.added[:20]), "ok")
    if result.skipped:
        flash("Already in the list: " + ", ".join(t.to_line() for t in result.skipped[:20]), "info")
    return redirect(url_for(".terms", name=name))


@bp.route("/terms/<int:term_id>/edit", methods=["GET", "POST"])
def term_edit(term_id: int) -> ResponseReturnValue:
    store = current_store()
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
                version = store.update_term(term_id, candidates[0], actor=actor(), origin="admin")
            except StoreError as exc:
                form.term.errors.append(str(exc))
            else:
                rules_changed(version, f"term.edit {row.list}")
                flash(f"Changed {row.term.to_line()} to {candidates[0].to_line()}.", "ok")
                return redirect(url_for(".terms", name=row.list))
    status = 400 if form.is_submitted() else 200
    return render_template("forum_guard/admin/term_edit.html", info=info, row=row, form=form), status


@bp.route("/terms/<int:term_id>/delete", methods=["POST"])
def term_delete(term_id: int) -> ResponseReturnValue:
    store = current_store()
    row = store.get_term(term_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        version = store.delete_term(term_id, actor=actor(), origin="admin")
        rules_changed(version, f"term.remove {row.list}")
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
        guard = current_guard()
        verdict = guard.check(form.text.data, html=form.html.data, group=form.group.data, mark_all=True)
        highlighted = verdict.highlighted_html
    status = 400 if form.is_submitted() and verdict is None else 200
    return render_template("forum_guard/admin/test.html", form=form, verdict=verdict, highlighted=highlighted), status


# --------------------------------------------------------------------------------------------
# limits


@bp.route("/limits", methods=["GET", "POST"])
def limits() -> ResponseReturnValue:
    store = current_store()
    current = store.limits() or Limits.default()
    doc = current.to_dict()
    posted = request.form.get("section") if request.method == "POST" else None
    forms = {}
    for group in doc["groups"]:
        forms[group] = group_form(group, doc["groups"][group], request.form if posted == group else None)
    wording = messages_form(doc["messages"], request.form if posted == "messages" else None)
    status = 200
    if posted:
        form = wording if posted == "messages" else forms.get(posted)
        if form is None:
            abort(400, description="unknown section")
        if form.validate():
            if posted == "messages":
                change = {"messages": {k: form[k].data or "" for k in doc["messages"]}}
            else:
                values = {k: (-1 if form[k].data is None else form[k].data) for k in LIMIT_FIELDS}
                values.update({k: bool(form[k].data) for k in LIMIT_FLAGS})
                change = {"groups": {posted: values}}
            try:
                version = store.set_limits(change, partial=True, actor=actor(), origin="admin")
            except LimitsError as exc:  # a notice that is not a valid template: nothing was saved
                flash(f"Nothing was saved: {exc}", "error")
            else:
                rules_changed(version, f"limits.update {posted}")
                flash(f"Saved the limits for {posted}.", "ok")
                return redirect(url_for(".limits"))
        status = 400
    return render_template("forum_guard/admin/limits.html", forms=forms, messages_form=wording,
                           hard_cap=current.hard_cap, labels=LIMIT_LABELS, csrf=csrf_token()), status


# --------------------------------------------------------------------------------------------
# moderation queue


@bp.route("/queue")
def queue() -> ResponseReturnValue:
    store = current_store()
    status = request.args.get("status", "pending")
    if status not in ("pending", "approved", "rejected"):
        status = "pending"
    reason = request.args.get("reason") or None
    if reason not in {a.value for a in QUEUE_REASONS}:
        reason = None
    size = int(setting(ConfigKeys.ADMIN_PAGE_SIZE))
    page = page_number()
    items = store.queue(status=status, reason=reason, offset=(page - 1) * size, limit=size + 1)
    more = len(items) > size
    items = items[:size]
    return render_template("forum_guard/admin/queue.html", items=[(i, _marked(i)) for i in items], status=status,
                           reason=reason, reasons=QUEUE_REASONS, page=page, more=more,
                           form=DecisionForm(formdata=None))


def _marked(item: QueueItem) -> Markup:
    """The post with every match marked (flags too), as moderators see it."""
    stored = Markup(item.highlighted_html)  # produced by our renderer at enqueue time
    try:
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
    store = current_store()
    item = store.queue_item(item_id)
    form = DecisionForm(data={"content": item.decided_content or item.content})
    if form.validate_on_submit():
        decision: Literal["approved", "rejected"] = "rejected" if form.reject.data else "approved"
        content = form.content.data if decision == "approved" and form.content.data else None
        if content is not None:
            content = content.replace("\r\n", "\n")
        try:
            decided = store.decide(item_id, decision, actor=actor(), content=content, note=form.note.data or None,
                                   origin="admin")
        except AlreadyDecided as exc:
            flash(str(exc), "error")
            return redirect(url_for(".queue_item", item_id=item_id))
        signals.queue_decided.send(current_app._get_current_object(),  # type: ignore[attr-defined]
                                   queue_id=decided.id, ref=decided.ref, decision=decision,
                                   content=decided.decided_content or decided.content, moderator=actor())
        flash(f"{decision.capitalize()} post #{item_id}.", "ok")
        return redirect(_local_url(request.args.get("next")) or url_for(".queue"))
    status = 400 if form.is_submitted() else 200
    return render_template("forum_guard/admin/queue_item.html", item=item, marked=_marked(item), form=form), status


# --------------------------------------------------------------------------------------------
# audit log


@bp.route("/audit")
def audit() -> ResponseReturnValue:
    store = current_store()
    args = request.args
    filters: dict[str, Any] = {
        "actor": args.get("actor") or None,
        "action": args.get("action") or None,
        "target": args.get("list") or None,
        "search": args.get("q") or None,
        "since": _date(args.get("since")),
        "until": _date(args.get("until"), end=True),
    }
    size = int(setting(ConfigKeys.ADMIN_PAGE_SIZE))
    page = page_number()
    total = store.count_audit(**filters)
    entries = store.audit(**filters, offset=(page - 1) * size, limit=size)
    # only the filters go back into the pager's links: other names (``endpoint``, ``_method``,
    # ``_external``) are url_for's own arguments
    query = {k: v for k, v in args.items() if k in _AUDIT_FILTERS and v}
    return render_template("forum_guard/admin/audit.html", entries=entries, total=total, page=page,
                           pages=page_count(total), actors=store.audit_actors(), lists=store.list_names(),
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


_AUDIT_FILTERS = frozenset({"actor", "action", "list", "q", "since", "until"})


def _date(value: str | None, *, end: bool = False) -> datetime | None:
    """A ``YYYY-MM-DD`` filter as a datetime (the day's end for ``end``); anything else is no filter."""
    if not value:
        return None
    try:
        d = datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
        return d + timedelta(days=1) if end else d
    except (ValueError, OverflowError):  # 9999-12-31 has no next day
        return None


