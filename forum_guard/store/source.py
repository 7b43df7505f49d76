"""The store as a hot-reloading ruleset source: :class:`StoreSource` follows the store's version
and swaps a freshly compiled Guard in, off the request path.

It fails closed: a store that holds no list at all is an error
(:class:`~forum_guard.errors.EmptyRulesetError`), never a Guard that lets every post through.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..engine.policy import Guard
from ..errors import EmptyRulesetError
from .limits import limits_from_dict
from .records import Snapshot

if TYPE_CHECKING:
    from .store import Store

__all__ = ["StoreSource", "compile_snapshot", "require_lists"]

log = logging.getLogger("forum_guard.store")


def require_lists(snapshot: Snapshot) -> None:
    """:class:`EmptyRulesetError` naming the store when the snapshot holds no list at all."""
    if not snapshot.lists:
        raise EmptyRulesetError(
            f"{snapshot.store} holds no word lists: a filter with nothing in force would let every post "
            "through. Seed it with the shipped lists (Store.seed_shipped(), or `forum-guard init`) or "
            "import lists (`forum-guard import FILE…`).")


def compile_snapshot(snapshot: Snapshot) -> Guard:
    """A Guard for a snapshot's lists and limits; :class:`EmptyRulesetError` for a snapshot
    without any list."""
    require_lists(snapshot)
    return Guard(list(snapshot.lists), limits_from_dict(snapshot.limits))


@dataclass(slots=True)
class _Loaded:
    version: int
    guard: Guard
    loaded_at: float = field(default_factory=time.monotonic)


class StoreSource:
    """A ruleset source that follows the store: ``current()`` returns the compiled Guard in force.

    A background thread reads the store's version at most every ``reload_seconds``; when it
    changed, it compiles a new Guard and swaps it in atomically (one reference assignment).
    Requests never wait for a compile, except the very first ``current()`` of a process, which
    compiles synchronously. A failing compile keeps the old ruleset and is logged. Fork-safe: a
    forked worker starts its own thread on first use.
    """

    def __init__(self, store: Store, reload_seconds: float = 2.0, *,
                 compile: Callable[[Snapshot], Guard] = compile_snapshot) -> None:
        self.store = store
        self.reload_seconds = float(reload_seconds)
        self._compile = compile
        self._loaded: _Loaded | None = None
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()
        self._failed_version: int | None = None
        #: the last compile or read error (None after a good reload)
        self.last_error: BaseException | None = None
        #: how many rulesets were compiled, and how long the last compile took (seconds)
        self.compiles = 0
        self.last_compile_seconds = 0.0

    @property
    def version(self) -> int | None:
        loaded = self._loaded
        return loaded.version if loaded else None

    def current(self) -> Guard:
        """The Guard in force. Cheap: one attribute read (after the first call)."""
        if os.getpid() != self._pid:
            self._after_fork()
        loaded = self._loaded
        if loaded is None:
            with self._lock:
                loaded = self._loaded
                if loaded is None:
                    snap = self.store.snapshot()
                    guard = self._timed_compile(snap)
                    loaded = self._loaded = _Loaded(snap.version, guard)
        if self._thread is None or not self._thread.is_alive():
            self._start()
        return loaded.guard

    def refresh(self) -> bool:
        """Check the version now and recompile in this thread if it changed; True if it swapped."""
        try:
            version = self.store.version()
        except Exception as exc:  # database unreachable: keep serving the old ruleset
            self.last_error = exc
            log.warning("forum_guard: cannot read the ruleset version: %s", exc)
            return False
        loaded = self._loaded
        if loaded is not None and version == loaded.version:
            return False
        if version == self._failed_version:
            return False
        try:
            snap = self.store.snapshot()
            guard = self._timed_compile(snap)
        except Exception as exc:
            self.last_error = exc
            self._failed_version = version
            log.exception("forum_guard: ruleset version %s did not compile; keeping version %s", version,
                          loaded.version if loaded else None)
            return False
        self._loaded = _Loaded(snap.version, guard)
        self.last_error = None
        self._failed_version = None
        log.info("forum_guard: ruleset version %s in force (compiled in %.3fs)", snap.version,
                 self.last_compile_seconds)
        return True

    def poke(self) -> None:
        """Ask the background thread to check now (after a change made in this process)."""
        self._wake.set()

    def close(self) -> None:
        """Stop the background thread."""
        self._stop.set()
        self._wake.set()
        t = self._thread
        if t is not None and t is not threading.current_thread():
            t.join(timeout=5)
        self._thread = None

    def _timed_compile(self, snap: Snapshot) -> Guard:
        require_lists(snap)
        self.store.refuse_compile(snap.lists)  # over the memory budget: refused, not attempted
        t0 = time.perf_counter()
        guard = self._compile(snap)
        self.last_compile_seconds = time.perf_counter() - t0
        self.compiles += 1
        return guard

    def _start(self) -> None:
        with self._lock:
            if (self._thread is not None and self._thread.is_alive()) or self._stop.is_set():
                return
            self._thread = threading.Thread(target=self._run, name="forum-guard-reload", daemon=True)
            self._thread.start()

    def _after_fork(self) -> None:
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread = None
        self.store.engine.dispose(close=False)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.reload_seconds)
            self._wake.clear()
            if self._stop.is_set():
                break
            try:
                self.refresh()
            except Exception:  # never let the thread die
                log.exception("forum_guard: ruleset reload failed")
