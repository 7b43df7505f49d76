"""Rate limits of the live check and of posting, shared by every worker that uses the same storage.

A :class:`RateLimiter` is a token bucket per client key: ``capacity`` requests at once, refilled at
``capacity`` per ``period`` seconds. Where the buckets live is its storage:

* the store's database (the default when there is a store): one row a client in the ``fg_rate_limits``
  table, spent with one atomic ``UPDATE``, so 2, 3 or 30 gunicorn workers on any number of machines
  allow the configured rate together, not once each (SQLite and PostgreSQL alike);
* ``memcached://host:port`` or ``redis://host:port`` (``FORUM_GUARD_RATE_LIMIT_STORAGE``): the
  ``limits`` package's storage and its sliding-window counter (a fixed window where the storage has
  no sliding one), for fleets that would rather not write a row per check;
* ``memory://``: this process only (one worker, or tests).

A request pays one token, plus one per :data:`COST_BYTES` of body, before its body is read when it
declares its length (a flood is refused unread); a chunked body without ``Content-Length`` pays the
one token first and the rest for the bytes actually read, so it pays the same as a declared one.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

__all__ = ["COST_BYTES", "RateLimiter", "body_bytes_read", "client_key", "rate_limit_storage", "spend_for_body",
           "spend_for_request"]

_RATE = re.compile(r"\s*(\d+)\s*(?:/|per)\s*(\d*)\s*(second|minute|hour|day)s?\s*", re.IGNORECASE)
_PERIODS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
#: A request costs one token, plus one per this many bytes of body as read (the worst drafts at the
#: hard cap take far longer to check than an ordinary one).
COST_BYTES = 20_000


class _Buckets(Protocol):
    """Where the buckets of a limiter live."""

    name: str

    def take(self, key: str, cost: float, capacity: float, per_second: float) -> float:
        """Spend ``cost`` from ``key``'s bucket: 0.0 when allowed, else the seconds to wait (and
        nothing spent)."""


class MemoryBuckets:
    """Buckets in this process: thread-safe, at most ``max_clients`` (the least recently used are
    forgotten, which only ever lets a forgotten client start afresh)."""

    name = "memory"

    def __init__(self, *, max_clients: int = 10_000, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_clients = max_clients
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key -> (tokens, at)
        self._lock = threading.Lock()

    def take(self, key: str, cost: float, capacity: float, per_second: float) -> float:
        now = self._clock()
        with self._lock:
            tokens, at = self._buckets.pop(key, (capacity, now))
            tokens = min(capacity, tokens + (now - at) * per_second)
            wait = 0.0
            if tokens >= cost:
                tokens -= cost
            else:
                wait = (cost - tokens) / per_second
            self._buckets[key] = (tokens, now)
            while len(self._buckets) > self.max_clients:
                self._buckets.popitem(last=False)
        return wait


_metadata = sa.MetaData()
#: one row a client and limit: the tokens left at ``at`` (seconds since the epoch)
t_rate_limits = sa.Table(
    "fg_rate_limits", _metadata,
    sa.Column("key", sa.String(300), primary_key=True),
    sa.Column("tokens", sa.Float, nullable=False),
    sa.Column("at", sa.Float, nullable=False),
)


class DatabaseBuckets:
    """Buckets in a table of the store's database, shared by every process that uses it.

    A hit is one ``UPDATE … WHERE`` the refilled level covers the cost (atomic on SQLite and
    PostgreSQL, so concurrent workers never both spend the last token), an ``INSERT`` for a new
    client. Rows of buckets that are full again are deleted now and then."""

    name = "database"
    #: seconds between two sweeps of full buckets (per process)
    SWEEP_SECONDS = 300.0

    def __init__(self, engine: Engine, *, clock: Callable[[], float] = time.time) -> None:
        self.engine = engine
        self._clock = clock
        self._next_sweep = clock() + self.SWEEP_SECONDS
        # workers booting together race to create the table: one wins, the others see "already
        # exists" or, on SQLite, "database is locked" while the winner commits; they try again
        deadline = time.monotonic() + 15.0
        while True:
            try:
                t_rate_limits.create(engine, checkfirst=True)
                return
            except SQLAlchemyError:
                try:
                    if sa.inspect(engine).has_table(t_rate_limits.name):
                        return
                except SQLAlchemyError:
                    pass
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def take(self, key: str, cost: float, capacity: float, per_second: float) -> float:
        now = self._clock()
        t = t_rate_limits
        refilled = t.c.tokens + sa.case((t.c.at < now, (now - t.c.at) * per_second), else_=0.0)
        level = sa.case((refilled > capacity, capacity), else_=refilled)
        spend = t.update().where(t.c.key == key, level >= cost).values(tokens=level - cost, at=now)
        for _ in range(3):
            with self.engine.begin() as conn:
                if conn.execute(spend).rowcount:
                    break
                row = conn.execute(sa.select(t.c.tokens, t.c.at).where(t.c.key == key)).first()
                if row is not None:
                    tokens = min(capacity, row.tokens + max(now - row.at, 0.0) * per_second)
                    return max((cost - tokens) / per_second, 1e-3)
                try:
                    with conn.begin_nested():
                        conn.execute(t.insert().values(key=key, tokens=capacity - cost, at=now))
                    break
                except IntegrityError:
                    continue  # another worker inserted it first: spend from that row
        if now >= self._next_sweep:
            self._next_sweep = now + self.SWEEP_SECONDS
            self.sweep(now)
        return 0.0

    def sweep(self, now: float | None = None) -> int:
        """Delete the rows not spent from for a day (a bucket of a rate per minute or hour is full
        again long before: as good as no row); returns how many."""
        now = self._clock() if now is None else now
        with self.engine.begin() as conn:
            return int(conn.execute(t_rate_limits.delete().where(t_rate_limits.c.at < now - 86_400)).rowcount or 0)


class LimitsBuckets:
    """A storage of the ``limits`` package (``memcached://``, ``redis://``, …): its sliding-window
    counter, or a fixed window where the storage has none. A window, not a bucket: up to the full
    rate at once, then nothing until the window moves on."""

    name = "limits"

    def __init__(self, uri: str) -> None:
        from limits.storage import SlidingWindowCounterSupport, storage_from_string
        from limits.strategies import FixedWindowRateLimiter, SlidingWindowCounterRateLimiter

        self.storage = storage_from_string(uri)
        self.uri = uri
        self.strategy: Any = (SlidingWindowCounterRateLimiter(self.storage)
                              if isinstance(self.storage, SlidingWindowCounterSupport)
                              else FixedWindowRateLimiter(self.storage))
        self._items: dict[tuple[float, float], Any] = {}

    def _item(self, capacity: float, per_second: float) -> Any:
        from limits import RateLimitItemPerSecond

        item = self._items.get((capacity, per_second))
        if item is None:
            period = max(1, round(capacity / per_second))
            item = self._items[(capacity, per_second)] = RateLimitItemPerSecond(int(capacity), period)
        return item

    def take(self, key: str, cost: float, capacity: float, per_second: float) -> float:
        item = self._item(capacity, per_second)
        if self.strategy.hit(item, key, cost=max(1, math.ceil(cost))):
            return 0.0
        stats = self.strategy.get_window_stats(item, key)
        return max(float(stats.reset_time) - time.time(), 1.0)


def rate_limit_storage(uri: str | None, engine: Engine | None) -> _Buckets:
    """The buckets for ``FORUM_GUARD_RATE_LIMIT_STORAGE``: None or "" → the store's database
    (``engine``), or this process when there is no store; ``"memory://"``; a SQLAlchemy URL
    (``sqlite:///…``, ``postgresql://…``) → that database; anything else (``memcached://``,
    ``redis://``, ``redis+sentinel://``…) → the ``limits`` package's storage of that URL."""
    uri = (uri or "").strip()
    if not uri:
        return DatabaseBuckets(engine) if engine is not None else MemoryBuckets()
    scheme = uri.split("://", 1)[0].lower() if "://" in uri else ""
    if scheme == "memory":
        return MemoryBuckets()
    if scheme.split("+", 1)[0] in ("sqlite", "postgresql", "postgres", "mysql", "mariadb"):
        return DatabaseBuckets(sa.create_engine(uri))
    if not scheme:
        raise ValueError(f"{uri!r}: write a URL such as memcached://127.0.0.1:11211, redis://127.0.0.1:6379, "
                         "memory:// or leave it empty for the store's database")
    try:
        return LimitsBuckets(uri)
    except Exception as exc:  # limits' own error names the missing client library or the bad URL
        raise ValueError(f"{uri!r}: {exc}") from None


class RateLimiter:
    """A token bucket per client key: ``capacity`` requests at once, refilled at ``capacity`` per
    ``period`` seconds, kept in ``storage`` (default: this process; see :func:`rate_limit_storage`)."""

    def __init__(self, capacity: int, period: float, *, max_clients: int = 10_000,
                 clock: Callable[[], float] = time.monotonic, storage: _Buckets | None = None,
                 name: str = "rate") -> None:
        if capacity < 1 or period <= 0:
            raise ValueError("a rate needs at least one request per positive period")
        self.capacity = float(capacity)
        self.period = float(period)
        self.per_second = capacity / period
        self.name = name
        self.storage: _Buckets = storage or MemoryBuckets(max_clients=max_clients, clock=clock)

    @property
    def _buckets(self) -> OrderedDict[str, tuple[float, float]]:
        """The in-process buckets (a limiter kept in memory only)."""
        if not isinstance(self.storage, MemoryBuckets):
            raise AttributeError("the buckets are not in this process")
        return self.storage._buckets

    @classmethod
    def parse(cls, rate: str | None, *, name: str = "rate") -> RateLimiter | None:
        """``"120/minute"``, ``"120 per minute"``, ``"10 per 5 seconds"``; None or "" for no limit.
        Anything else is a ``ValueError`` that quotes the rate."""
        if rate is None or not str(rate).strip():
            return None
        m = _RATE.fullmatch(str(rate))
        if m is None:
            raise ValueError(f"{rate!r}: write it like '120/minute', '120 per minute' or '2/second'")
        count, multiple, unit = int(m.group(1)), int(m.group(2) or 1), m.group(3).lower()
        if count < 1 or multiple < 1:
            raise ValueError(f"{rate!r}: allow at least one request per period (or set it to None to turn the "
                             "limit off)")
        return cls(count, multiple * _PERIODS[unit], name=name)

    def use(self, storage: _Buckets) -> RateLimiter:
        """Keep the buckets in ``storage`` from now on (the extension calls it once at start-up)."""
        self.storage = storage
        return self

    def hit(self, key: str, cost: float = 1.0) -> float:
        """Spend ``cost`` requests of ``key``'s budget: 0.0 when allowed, else the seconds to wait
        (nothing is spent then). A cost over the capacity takes the whole capacity."""
        cost = min(max(cost, 0.0), self.capacity)
        if cost == 0:
            return 0.0
        return self.storage.take(f"{self.name}:{key}", cost, self.capacity, self.per_second)

    def __repr__(self) -> str:
        return f"<RateLimiter {self.name} {self.capacity:g} per {self.period:g} s in {self.storage.name}>"


# ------------------------------------------------------------------------------------------------
# at the Flask edge


def client_key() -> str:
    """Whose budget a request spends: the signed-in account (the host's ``actor_loader``), else the
    client's address (put werkzeug's ``ProxyFix`` in front behind a proxy)."""
    from flask import request

    from .checks import current_actor

    actor = current_actor()
    return f"user:{actor}" if actor else f"addr:{request.remote_addr}"


def body_bytes_read() -> int:
    """The bytes of this request's body: its ``Content-Length``, or for a chunked body what was
    read of it so far."""
    from flask import request

    if request.content_length is not None:
        return int(request.content_length)
    try:
        return int(request.stream.tell())
    except (AttributeError, OSError, ValueError):
        return len(request.get_data(cache=True))


def _refuse(wait: float, error: Callable[..., Exception]) -> None:
    if wait > 0:
        raise error(retry_after=max(1, math.ceil(wait)))


def spend_for_request(limiter: RateLimiter | None, error: Callable[..., Exception]) -> None:
    """Before the body is read: one token of the client's budget plus one per :data:`COST_BYTES` of
    a declared ``Content-Length``, or ``error`` (a 429 with ``Retry-After``); a refused request is
    never read."""
    if limiter is None:
        return
    from flask import request

    declared = request.content_length
    _refuse(limiter.hit(client_key(), 1.0 + (declared or 0) // COST_BYTES), error)


def spend_for_body(limiter: RateLimiter | None, error: Callable[..., Exception]) -> None:
    """After a body without ``Content-Length`` (chunked) is read: one more token per
    :data:`COST_BYTES` of what was read, or ``error``; a declared length was paid for already."""
    if limiter is None:
        return
    from flask import request

    if request.content_length is not None:
        return
    extra = body_bytes_read() // COST_BYTES
    if extra:
        _refuse(limiter.hit(client_key(), float(extra)), error)
