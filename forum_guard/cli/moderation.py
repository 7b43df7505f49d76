"""The moderation commands: ``queue``, ``approve``, ``reject``, ``audit``, ``stats`` and ``limits``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import click

from ..engine.limits import Limits
from .common import ORIGIN, changed, database_option, handle_errors, host_app, json_option, open_store, os_user
from .output import echo_json, shown, table, when

__all__ = ["approve_cmd", "audit_cmd", "limits_cmd", "queue_cmd", "reject_cmd", "stats_cmd"]


@click.command("stats")
@database_option
@json_option
@handle_errors
def stats_cmd(database: str | None, as_json: bool) -> None:
    """Lists, terms, queue and audit counts, and the ruleset version."""
    store = open_store(database)
    stats = store.stats()
    if as_json:
        echo_json(stats)
        return
    click.echo(f"database: {stats['database']} (schema {stats['schema_version']})")
    click.echo(f"ruleset version: {stats['version']} (changed {stats['changed_at']})")
    click.echo(f"lists: {len(stats['lists'])}, terms: {stats['terms']}")
    for name, d in stats["lists"].items():
        click.echo(f"  {name}: {d['size']} terms, {d['action']}")
    q = stats["queue"]
    click.echo(f"queue: {q['require_approval']} held, {q['flag']} flagged pending; "
               f"{q['approved']} approved, {q['rejected']} rejected")
    click.echo(f"audit log: {stats['audit_entries']} entries")
    if stats["last_change"]:
        lc = stats["last_change"]
        click.echo(shown(f"last change: {lc['at']} by {lc['actor']}: {lc['summary']}"))


@click.command("limits")
@click.option("--set", "settings", multiple=True, metavar="GROUP.KEY=VALUE",
              help="Change a limit, e.g. --set new.max_links=2 (-1: no limit); messages.KEY=TEXT for a notice.")
@database_option
@json_option
@handle_errors
def limits_cmd(settings: tuple[str, ...], database: str | None, as_json: bool) -> None:
    """Show the limits per group (as stored, else the defaults), or change them with --set."""
    store = open_store(database, create=bool(settings))
    current = store.limits() or Limits.default()
    version = None
    if settings:
        doc = current.to_dict()
        for s in settings:
            key, sep, value = s.partition("=")
            section, dot, name = key.strip().partition(".")
            if not sep or not dot:
                raise click.UsageError(f"--set {s!r}: use GROUP.KEY=VALUE or messages.KEY=TEXT")
            if section == "messages":
                doc["messages"][name] = value
                continue
            if section not in doc["groups"]:
                raise click.UsageError(f"--set {s!r}: unknown group {section!r} ({', '.join(doc['groups'])})")
            v = value.strip().lower()
            doc["groups"][section][name] = (v in ("true", "yes", "on", "1")) if v in (
                "true", "false", "yes", "no", "on", "off") else _int(v, s)
        version = store.set_limits(doc, actor=os_user(), origin=ORIGIN)
        changed("limits.update", version)
        current = store.limits() or Limits.default()
    if as_json:
        echo_json({"limits": current.to_dict(), "version": version or store.version()})
        return
    keys = ["max_emoji", "allow_pasted_images", "max_links", "max_images", "max_length", "min_length", "exempt"]
    rows = [(name, *[_limit_text(getattr(g, k)) for k in keys]) for name, g in current.groups.items()]
    table(rows, ("group", *keys))
    click.echo(f"hard cap: {current.hard_cap} characters")
    if version is not None:
        click.echo(f"version {version}")


def _int(value: str, setting: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise click.UsageError(f"--set {setting!r}: {value!r} is not a number, true or false") from None


def _limit_text(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    return str(v)


@click.command("queue")
@click.option("--status", type=click.Choice(["pending", "approved", "rejected", "all"]), default="pending",
              show_default=True)
@click.option("--limit", "limit", type=int, default=50, show_default=True)
@database_option
@json_option
@handle_errors
def queue_cmd(status: str, limit: int, database: str | None, as_json: bool) -> None:
    """Posts held for approval and flagged posts."""
    store = open_store(database)
    items = store.queue(status=None if status == "all" else status, limit=limit)
    if as_json:
        echo_json({"items": [i.to_dict() for i in items], "counts": store.queue_counts()})
        return
    if not items:
        click.echo("the queue is empty" if status == "pending" else "nothing")
    for i in items:
        text = " ".join((i.decided_content or i.content).split())
        click.echo(shown(f"#{i.id} {when(i.created_at)} {i.reason} {i.status} by {i.author or 'anonymous'} "
                         f"({i.group}) ref={i.ref}: terms {', '.join(i.terms) or '-'}"))
        click.echo(f"    {shown(text[:160])}{'…' if len(text) > 160 else ''}")


def _decide(item_id: int, decision: Literal["approved", "rejected"], content: str | None, note: str | None,
            database: str | None, as_json: bool) -> None:
    store = open_store(database, write=True)
    item = store.decide(item_id, decision, actor=os_user(), content=content, note=note, origin=ORIGIN)
    app = host_app()
    if app is not None:  # flask guard: the host hears about it as from the admin page
        from ..web import signals

        signals.queue_decided.send(app, queue_id=item.id, ref=item.ref, decision=decision,
                                   content=item.decided_content or item.content, moderator=os_user())
    if as_json:
        echo_json(item.to_dict())
    else:
        click.echo(f"{decision} #{item.id}" + ("" if app else " (recorded; no app to notify: use flask guard)"))


@click.command("approve")
@click.argument("item_id", type=int, metavar="ID")
@click.option("--content", help="Approve this edited text instead of the post as written.")
@click.option("--note", help="A note for the audit log.")
@database_option
@json_option
@handle_errors
def approve_cmd(item_id: int, content: str | None, note: str | None, database: str | None, as_json: bool) -> None:
    """Approve a queued post (under ``flask guard`` the host is notified through queue_decided)."""
    _decide(item_id, "approved", content, note, database, as_json)


@click.command("reject")
@click.argument("item_id", type=int, metavar="ID")
@click.option("--note", help="A note for the audit log.")
@database_option
@json_option
@handle_errors
def reject_cmd(item_id: int, note: str | None, database: str | None, as_json: bool) -> None:
    """Reject a queued post."""
    _decide(item_id, "rejected", None, note, database, as_json)


@click.command("audit")
@click.option("--actor", help="Only changes by this actor.")
@click.option("--action", help="Only this kind of change (prefix: term, list, import, limits, queue).")
@click.option("--list", "target", help="Only changes to this list.")
@click.option("--since", help="Only entries newer than this: an ISO date/time or an age such as 2h, 3d.")
@click.option("--limit", type=int, default=50, show_default=True)
@database_option
@json_option
@handle_errors
def audit_cmd(actor: str | None, action: str | None, target: str | None, since: str | None, limit: int,
              database: str | None, as_json: bool) -> None:
    """Read the audit log, newest first."""
    store = open_store(database)
    entries = store.audit(actor=actor, action=action, target=target, since=_parse_since(since), limit=limit)
    if as_json:
        echo_json({"entries": [e.to_dict() for e in entries]})
        return
    for e in entries:
        click.echo(shown(f"{when(e.at)}  {e.actor or '-'} ({e.origin})  {e.action}  {e.summary}"))


def _parse_since(value: str | None) -> datetime | None:
    if not value:
        return None
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
    if value[-1:] in units and value[:-1].isdigit():
        return datetime.now(UTC) - timedelta(seconds=int(value[:-1]) * units[value[-1]])
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        raise click.UsageError(f"--since {value!r}: give an ISO date (2024-05-01) or an age (2h, 3d)") from None
    return dt if dt.tzinfo else dt.astimezone(UTC)
