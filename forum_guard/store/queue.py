"""The moderation queue: posts held for approval or flagged, and the moderators' decisions.

A decision is one transaction with its audit entry; of two moderators deciding at once, one wins
and the other gets :class:`~forum_guard.errors.AlreadyDecided`.
"""

from __future__ import annotations

from typing import Any, Literal

import sqlalchemy as sa

from ..engine.actions import Action
from ..engine.verdict import Verdict
from ..errors import AlreadyDecided, NotFound
from .base import MAX_ROW, StoreBase, aware, aware_or_none, check_id, now
from .records import QueueItem
from .schema import t_queue

__all__ = ["QUEUE_REASONS", "QUEUE_STATUSES", "SETTLE_DECISIONS", "QueueMixin"]

#: why a post is in the queue: the actions that queue it ("require_approval", "flag")
QUEUE_REASONS = tuple(a.value for a in Action if a.queued)
QUEUE_STATUSES = ("pending", "approved", "rejected")
#: what a host may say when it settles a post itself (:meth:`QueueMixin.settle`), and the status it gives
SETTLE_DECISIONS: dict[str, Literal["approved", "rejected"]] = {
    "approve": "approved", "approved": "approved", "reject": "rejected", "rejected": "rejected"}


class QueueMixin(StoreBase):
    """Hold or flag a post, list the queue, decide an item."""

    def enqueue(self, *, content: str, is_html: bool, verdict: Verdict, author: str | None, group: str,
                ref: str | None, reason: str) -> int:
        """Hold (``reason="require_approval"``) or flag (``reason="flag"``) a post; returns its queue id."""
        if reason not in QUEUE_REASONS:
            raise ValueError(f"reason must be one of {', '.join(QUEUE_REASONS)}, not {reason!r}")
        with self._write() as conn:
            result = conn.execute(t_queue.insert().values(
                created_at=now(), reason=reason, status="pending", content=content, is_html=is_html,
                author=author, group=group, ref=ref, action=verdict.action.value,
                highlighted_html=str(verdict.highlighted_html), verdict=verdict.to_dict(),
            ))
            pk = result.inserted_primary_key
            assert pk is not None
            return int(pk[0])

    @staticmethod
    def _queue_item(r: sa.Row[Any]) -> QueueItem:
        return QueueItem(
            id=r.id, created_at=aware(r.created_at), reason=r.reason, status=r.status,
            content=r.content, is_html=bool(r.is_html), author=r.author, group=r.group, ref=r.ref, action=r.action,
            highlighted_html=r.highlighted_html, verdict=r.verdict or {}, decided_at=aware_or_none(r.decided_at),
            decided_by=r.decided_by, decided_content=r.decided_content, note=r.note,
        )

    def queue(self, *, status: str | None = "pending", reason: str | None = None, offset: int = 0,
              limit: int | None = 100) -> list[QueueItem]:
        """Queue items, oldest pending first (decided ones newest first)."""
        q = sa.select(t_queue)
        if status:
            q = q.where(t_queue.c.status == status)
        if reason:
            q = q.where(t_queue.c.reason == reason)
        q = q.order_by(t_queue.c.id if status == "pending" else t_queue.c.id.desc()).offset(min(offset, MAX_ROW))
        if limit is not None:
            q = q.limit(min(limit, MAX_ROW))
        with self._read() as conn:
            return [self._queue_item(r) for r in conn.execute(q)]

    def queue_item(self, item_id: int) -> QueueItem:
        check_id(item_id, "queue item")
        with self._read() as conn:
            r = conn.execute(sa.select(t_queue).where(t_queue.c.id == item_id)).first()
        if r is None:
            raise NotFound(f"no queue item {item_id}")
        return self._queue_item(r)

    def queue_counts(self) -> dict[str, int]:
        """``{"require_approval": n, "flag": n, "approved": n, "rejected": n}`` (the first two pending)."""
        out = {"require_approval": 0, "flag": 0, "approved": 0, "rejected": 0}
        with self._read() as conn:
            for status, reason, n in conn.execute(
                    sa.select(t_queue.c.status, t_queue.c.reason, sa.func.count())
                    .group_by(t_queue.c.status, t_queue.c.reason)):
                key = reason if status == "pending" else status
                out[key] = out.get(key, 0) + int(n)
        return out

    def decide(self, item_id: int, decision: Literal["approved", "rejected"], *, actor: str | None = None,
               content: str | None = None, note: str | None = None, origin: str = "api") -> QueueItem:
        """Approve (optionally with edited ``content``) or reject a pending item. Raises
        :class:`AlreadyDecided` if someone decided it first. The caller tells the host (signal)."""
        if decision not in ("approved", "rejected"):
            raise ValueError("decision must be 'approved' or 'rejected'")
        check_id(item_id, "queue item")
        with self._write() as conn:
            r = conn.execute(sa.select(t_queue).where(t_queue.c.id == item_id)).first()
            if r is None:
                raise NotFound(f"no queue item {item_id}")
            edited = content is not None and content != r.content
            res = conn.execute(t_queue.update().where(t_queue.c.id == item_id, t_queue.c.status == "pending").values(
                status=decision, decided_at=now(), decided_by=actor,
                decided_content=content if edited else None, note=note or None))
            if res.rowcount != 1:
                raise AlreadyDecided(f"queue item {item_id} was {r.status} by {r.decided_by or 'someone'} already")
            verb = "approved" + (" (edited)" if edited else "") if decision == "approved" else "rejected"
            self._audit(conn, actor=actor, origin=origin,
                        action="queue.approve" if decision == "approved" else "queue.reject",
                        target=f"queue:{item_id}",
                        summary=f"{verb} queued post #{item_id} by {r.author or 'anonymous'} ({r.reason})",
                        detail={"ref": r.ref, "author": r.author, "reason": r.reason, "edited": edited,
                                "note": note, "terms": sorted({m["term"] for m in (r.verdict or {}).get("matches", ())})})
            r2 = conn.execute(sa.select(t_queue).where(t_queue.c.id == item_id)).one()
        return self._queue_item(r2)

    def recent_contents(self, limit: int = 500) -> list[str]:
        """The newest stored posts' texts (queue items, as decided), for the admin's impact preview
        when the host gives no loader."""
        with self._read() as conn:
            rows = conn.execute(sa.select(t_queue.c.content, t_queue.c.decided_content)
                                .order_by(t_queue.c.id.desc()).limit(limit))
            return [dc or c for c, dc in rows]

    def queue_by_ref(self, ref: str | int, *, status: str | None = None) -> list[QueueItem]:
        """The queue items the host filed under its reference ``ref`` (its post id), oldest first;
        ``status`` ("pending", "approved", "rejected") narrows them down."""
        ref_s = _ref_text(ref)
        if status is not None and status not in QUEUE_STATUSES:
            raise ValueError(f"status must be one of {', '.join(QUEUE_STATUSES)}, not {status!r}")
        q = sa.select(t_queue).where(t_queue.c.ref == ref_s)
        if status is not None:
            q = q.where(t_queue.c.status == status)
        with self._read() as conn:
            return [self._queue_item(r) for r in conn.execute(q.order_by(t_queue.c.id).limit(MAX_ROW))]

    def settle(self, ref: str | int, decision: str, *, actor: str | None = None, note: str | None = None,
               origin: str = "host") -> list[QueueItem]:
        """The host decided its post ``ref`` itself (e.g. a moderator unhid it in the forum):
        ``decision`` "approve" or "reject" decides every pending item filed under ``ref``, each with
        its audit entry. Returns the items decided now: none when nothing was pending (never queued,
        or a moderator here decided first), so a host may call it on every decision it makes."""
        status = SETTLE_DECISIONS.get(decision) if isinstance(decision, str) else None
        if status is None:
            raise ValueError(f"decision must be 'approve' or 'reject', not {decision!r}")
        decided = []
        for item in self.queue_by_ref(ref, status="pending"):
            try:
                decided.append(self.decide(item.id, status, actor=actor, note=note, origin=origin))
            except AlreadyDecided:  # decided between the lookup and now: the other decision stands
                continue
        return decided


def _ref_text(ref: str | int) -> str:
    """A host reference as the queue stores it (``hold`` keeps ``str(ref)``)."""
    if isinstance(ref, bool) or not isinstance(ref, str | int):
        raise ValueError(f"a post reference is a string or an int, not {type(ref).__name__}")
    text = str(ref)
    if not text or len(text) > 200:
        raise ValueError("a post reference is 1 to 200 characters long")
    return text
