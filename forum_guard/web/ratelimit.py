"""The live check's rate limit: a token bucket per client, kept in this process.

The interface is two calls, :meth:`RateLimiter.parse` (a rate as people write it) and
:meth:`RateLimiter.hit` (spend from one client's budget), so that a limiter on shared storage can
take its place without touching the API views.
"""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

__all__ = ["RateLimiter"]

_RATE = re.compile(r"\s*(\d+)\s*(?:/|per)\s*(\d*)\s*(second|minute|hour|day)s?\s*", re.IGNORECASE)
_PERIODS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


class RateLimiter:
    """A token bucket per client key: ``capacity`` requests at once, refilled at ``capacity`` per
    ``period`` seconds. Thread-safe; it keeps at most ``max_clients`` buckets (the least recently
    used are forgotten, which only ever lets a forgotten client start afresh)."""

    def __init__(self, capacity: int, period: float, *, max_clients: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if capacity < 1 or period <= 0:
            raise ValueError("a rate needs at least one request per positive period")
        self.capacity = float(capacity)
        self.per_second = capacity / period
        self.max_clients = max_clients
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key -> (tokens, at)
        self._lock = threading.Lock()

    @classmethod
    def parse(cls, rate: str | None) -> RateLimiter | None:
        """``"120 per minute"``, ``"2/second"``, ``"10 per 5 seconds"``; None or "" for no limit.
        Anything else is a ``ValueError`` that quotes the rate."""
        if rate is None or not str(rate).strip():
            return None
        m = _RATE.fullmatch(str(rate))
        if m is None:
            raise ValueError(f"{rate!r}: write it like '120 per minute' or '2/second'")
        count, multiple, unit = int(m.group(1)), int(m.group(2) or 1), m.group(3).lower()
        if count < 1 or multiple < 1:
            raise ValueError(f"{rate!r}: allow at least one check per period (or set it to None to turn the limit off)")
        return cls(count, multiple * _PERIODS[unit])

    def hit(self, key: str, cost: float = 1.0) -> float:
        """Spend ``cost`` requests of ``key``'s budget: 0.0 when allowed, else the seconds to wait
        (nothing is spent then)."""
        cost = min(max(cost, 0.0), self.capacity)
        now = self._clock()
        with self._lock:
            tokens, at = self._buckets.pop(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - at) * self.per_second)
            wait = 0.0
            if tokens >= cost:
                tokens -= cost
            else:
                wait = (cost - tokens) / self.per_second
            self._buckets[key] = (tokens, now)
            while len(self._buckets) > self.max_clients:
                self._buckets.popitem(last=False)
        return wait
