"""The backlog scan engine: check every post of a JSONL file, a CSV file or a forum's SQLite
database against a ruleset, in parallel over processes, and count what each list would catch.

It streams (memory does not grow with the backlog) and, with a state file, checkpoints atomically
so that a scan killed at any instant goes on where it was and counts every post exactly once. No
click here: the ``scan`` command (:mod:`forum_guard.cli.scan`) turns options into a
:class:`ScanRequest`, draws the progress and prints the summary.
"""

from __future__ import annotations

import csv
import json
import multiprocessing
import os
import signal
import sqlite3
import sys
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from ..engine.policy import Guard
from ..engine.review import looks_like_html
from ..engine.terms import WordList
from ..errors import ScanError
from ..store.limits import limits_from_dict
from ..store.records import Snapshot

__all__ = ["TEXT_KEYS", "BacklogScan", "ScanRequest", "ScanTally"]

#: the fields or columns a post's text is looked for in, in this order
TEXT_KEYS = ("text", "content", "body", "html", "message", "raw", "cooked")
#: errors kept for the report (the count is exact)
ERRORS_KEPT = 100
#: the version of the state file's layout
STATE_FORMAT = 1
#: posts per task sent to a worker
BATCH = 200

# A source yields (pos, id, text, html, extra) per post, streaming. ``pos`` (JSON) says where to
# start again so that this post is not read twice; ``extra`` is "" or "group:<g>", else a read error.
ScanItem = tuple[dict[str, Any], Any, str, bool | None, str | None]
# (id, text, html or None to detect, group)
Post = tuple[Any, str, bool | None, str]
# a worker's answer for one post
Result = dict[str, Any]


@dataclass(frozen=True, slots=True)
class ScanRequest:
    """What to scan and how: the ``scan`` command's options."""

    source: Path
    #: "auto" (by suffix), "jsonl", "csv" or "sqlite"
    format: str = "auto"
    table: str | None = None
    column: str | None = None
    id_column: str | None = None
    group: str = "member"
    #: the posts are HTML (True), plain text (False), or detect per post (None)
    html: bool | None = None
    #: where to write one JSON line per post that is not allowed ("-": stdout)
    output: str | None = None
    #: worker processes (0: one per CPU)
    jobs: int = 0
    state_file: Path | None = None
    resume: bool = False
    checkpoint_every: int = 10_000


class ScanTally:
    """What a scan has counted so far; saved in the state file and restored on resume."""

    def __init__(self, list_names: Sequence[str]) -> None:
        self.scanned = 0          # posts sent to the check (checked + check errors)
        self.read_errors = 0
        self.check_errors = 0
        self.by_action: Counter[str] = Counter()
        self.by_list: dict[str, Counter[str]] = {name: Counter() for name in list_names}
        self.posts_by_list: Counter[str] = Counter()
        self.limits_hit: Counter[str] = Counter()
        self.errors: list[dict[str, Any]] = []

    @property
    def posts(self) -> int:
        return self.scanned + self.read_errors

    def error(self, item_id: Any, message: str, stage: str) -> None:
        if stage == "read":
            self.read_errors += 1
        else:
            self.check_errors += 1
        if len(self.errors) < ERRORS_KEPT:
            self.errors.append({"id": item_id, "error": message, "stage": stage})

    def add(self, r: Result) -> None:
        self.scanned += 1
        if "error" in r:
            self.error(r["id"], r["error"], "check")
            return
        self.by_action[r["action"]] += 1
        for kind in r["violations"]:
            self.limits_hit[kind] += 1
        for name in {m[0] for m in r["matches"]}:
            self.posts_by_list[name] += 1
        for name, term, _matched in r["matches"]:
            self.by_list.setdefault(name, Counter())[term] += 1

    def to_dict(self) -> dict[str, Any]:
        return {"scanned": self.scanned, "read_errors": self.read_errors, "check_errors": self.check_errors,
                "by_action": dict(self.by_action), "by_list": {k: dict(v) for k, v in self.by_list.items()},
                "posts_by_list": dict(self.posts_by_list), "limits_hit": dict(self.limits_hit),
                "errors": self.errors}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ScanTally:
        t = cls(())
        t.scanned, t.read_errors, t.check_errors = int(d["scanned"]), int(d["read_errors"]), int(d["check_errors"])
        t.by_action = Counter(d["by_action"])
        t.by_list = {k: Counter(v) for k, v in d["by_list"].items()}
        t.posts_by_list = Counter(d["posts_by_list"])
        t.limits_hit = Counter(d["limits_hit"])
        t.errors = list(d["errors"])
        return t


# --------------------------------------------------------------------------------------------
# checking, in this process or in a pool worker

_GUARD: Guard | None = None


_NOT_INSTALLED = object()


class _StopRequest:
    """Ctrl+C turned into a request that the scan loop reads between batches (``check``). Only
    the main thread can install a signal handler: elsewhere Ctrl+C is not this thread's anyway."""

    def __init__(self) -> None:
        self.requested = False

    def _handle(self, _signum: int, _frame: Any) -> None:
        self.requested = True

    def install(self) -> Any:
        """The handler it replaces (``_NOT_INSTALLED`` off the main thread)."""
        try:
            previous = signal.signal(signal.SIGINT, self._handle)
        except ValueError:  # not the main thread
            return _NOT_INSTALLED
        # None: the previous handler was not set from Python; Python's own is the one to restore
        return signal.default_int_handler if previous is None else previous

    def uninstall(self, previous: Any) -> None:
        if previous is not _NOT_INSTALLED:
            signal.signal(signal.SIGINT, previous)

    def check(self) -> None:
        if self.requested:
            raise KeyboardInterrupt


def _init_guard(lists: Sequence[WordList], limits_doc: dict[str, Any]) -> None:
    global _GUARD
    _GUARD = Guard(lists, limits_from_dict(limits_doc))


def _init_worker(lists: Sequence[WordList], limits_doc: dict[str, Any]) -> None:
    """A pool worker: Ctrl+C is the main process's business (it checkpoints and stops the pool)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _init_guard(lists, limits_doc)


def _check_batch(batch: list[Post]) -> list[Result]:
    guard = _GUARD
    assert guard is not None, "the scan's Guard is compiled before the first batch"
    out: list[Result] = []
    for item_id, text, html, group in batch:
        try:
            is_html = looks_like_html(text) if html is None else html
            v = guard.check(text, html=is_html, group=group)
        except Exception as exc:  # an unknown group, say: reported, the scan goes on
            out.append({"id": item_id, "error": str(exc)})
            continue
        out.append({"id": item_id, "action": v.action.value,
                    "matches": [(m.list, m.term, m.matched) for m in v.matches],
                    "violations": [x.kind.value for x in v.violations if x.list is None]})
    return out


# --------------------------------------------------------------------------------------------
# the sources


def _count_lines(path: Path) -> int:
    with path.open("rb") as fh:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b""))


def _sqlite_source(path: Path, table: str | None, column: str | None, id_column: str | None,
                   start: dict[str, Any] | None = None) -> tuple[int, Iterator[ScanItem]]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise ScanError(f"{path}: not a SQLite database ({exc})") from None
    if table is None:
        ranked = []
        for t in tables:
            cols = [r[1] for r in conn.execute(f'PRAGMA table_info("{t}")')]
            text_col = column if column in cols else next((c for c in TEXT_KEYS if c in cols), None)
            if text_col is None or t.startswith(("sqlite_", "fg_")):
                continue
            score = 2 if any(k in t.lower() for k in ("repl", "post", "comment", "message")) else 1
            ranked.append((score, t))
        if not ranked:
            conn.close()
            raise ScanError(f"{path}: no table with a text column ({', '.join(TEXT_KEYS)}); use --table")
        table = max(ranked)[1]
    if table not in tables:
        conn.close()
        raise ScanError(f"{path}: no table {table!r} (tables: {', '.join(tables)})")
    cols = [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')]
    text_col = column or next((c for c in TEXT_KEYS if c in cols), None)
    if text_col not in cols:
        conn.close()
        raise ScanError(f"{path}: table {table!r} has no column {text_col!r}; use --column")
    idc = id_column or ("id" if "id" in cols else "rowid")
    total = conn.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]
    # resuming: after the last id done (ids are ordered and unique: new posts of a live forum and
    # deleted ones do not shift what is left, as an OFFSET would)
    query = f'SELECT "{idc}", "{text_col}" FROM "{table}"'
    params: tuple[Any, ...] = ()
    row = 0
    if start is not None:
        query += f' WHERE "{idc}" > ?'
        params = (start["last_id"],)
        row = int(start["row"])

    def rows() -> Iterator[ScanItem]:
        nonlocal row
        try:
            for item_id, text in conn.execute(query + " ORDER BY 1", params):
                row += 1
                yield {"row": row, "last_id": item_id}, item_id, text if isinstance(text, str) else "", None, None
        finally:
            conn.close()

    return total, rows()


def _jsonl_source(path: Path, column: str | None, id_column: str | None,
                  start: dict[str, Any] | None = None) -> Iterator[ScanItem]:
    # bytes, so that the offset of the next line is known exactly (a resume seeks there)
    offset = int(start["offset"]) if start else 0
    lineno = int(start["line"]) if start else 0
    with path.open("rb") as fh:
        fh.seek(offset)
        for raw in fh:
            offset += len(raw)
            lineno += 1
            pos = {"offset": offset, "line": lineno}
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw.decode("utf-8"))
            except UnicodeDecodeError:
                yield pos, lineno, "", None, f"line {lineno}: not UTF-8"
                continue
            except ValueError as exc:
                yield pos, lineno, "", None, f"line {lineno}: not JSON: {exc}"
                continue
            if not isinstance(obj, dict):
                yield pos, lineno, "", None, f"line {lineno}: not a JSON object"
                continue
            key = column or next((k for k in TEXT_KEYS if isinstance(obj.get(k), str)), None)
            text = obj.get(key) if key else None
            item_id = obj.get(id_column or "id", lineno)
            if not isinstance(text, str):
                yield pos, item_id, "", None, f"line {lineno}: no text field ({column or ', '.join(TEXT_KEYS)})"
                continue
            html = obj.get("html") if isinstance(obj.get("html"), bool) else (True if key == "html" else None)
            group = obj.get("group") if isinstance(obj.get("group"), str) else None
            yield pos, item_id, text, html, "" if group is None else f"group:{group}"


def _csv_source(path: Path, column: str | None, id_column: str | None,
                start: dict[str, Any] | None = None) -> Iterator[ScanItem]:
    skip = int(start["row"]) if start else 0
    n = 0
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        try:
            fields = reader.fieldnames or []
            key = column or next((k for k in TEXT_KEYS if k in fields), None)
            if key is None or key not in fields:
                raise ScanError(f"{path}: no text column ({column or ', '.join(TEXT_KEYS)}); use --column")
            for n, row in enumerate(reader, start=1):
                if n <= skip:
                    continue
                yield ({"row": n}, row.get(id_column or "id") or n, row.get(key) or "",
                       True if key == "html" else None, None)
        except UnicodeDecodeError:
            raise ScanError(f"{path}: not UTF-8 (after row {n})") from None
        except csv.Error as exc:
            raise ScanError(f"{path}: not valid CSV (after row {n}): {exc}") from None


def _open_source(request: ScanRequest, fmt: str, start: dict[str, Any] | None) -> tuple[int, Iterator[ScanItem]]:
    """How many posts the source holds (for progress) and the posts after ``start``."""
    source = request.source
    if fmt == "sqlite":
        return _sqlite_source(source, request.table, request.column, request.id_column, start)
    if fmt == "csv":
        items = _csv_source(source, request.column, request.id_column, start)
        return max(0, _count_lines(source) - 1), items
    return _count_lines(source), _jsonl_source(source, request.column, request.id_column, start)


def source_format(source: Path, fmt: str = "auto") -> str:
    """``auto``: by the file's suffix (.csv, .sqlite/.sqlite3/.db, else JSONL)."""
    if fmt != "auto":
        return fmt
    return {".csv": "csv", ".sqlite": "sqlite", ".sqlite3": "sqlite", ".db": "sqlite"}.get(
        source.suffix.lower(), "jsonl")


# --------------------------------------------------------------------------------------------
# the state file and the output file


def _write_state(path: Path, doc: dict[str, Any]) -> None:
    """Atomically: a reader (or a resume after a kill at any instant) sees the old file or the new one."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        json.dump(doc, fh, ensure_ascii=False, default=str)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _read_state(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ScanError(f"--state {path}: cannot read it ({exc.strerror})") from None
    except ValueError:
        raise ScanError(f"--state {path}: not a scan state file") from None
    if not isinstance(doc, dict) or doc.get("forum_guard_scan") != STATE_FORMAT:
        raise ScanError(f"--state {path}: not a scan state file")
    return doc


def _source_identity(source: Path, fmt: str) -> dict[str, Any]:
    st = source.stat()
    ident: dict[str, Any] = {"path": str(source.resolve()), "format": fmt}
    if fmt != "sqlite":  # a file backlog must not change under a resume; a forum database may grow
        ident.update(size=st.st_size, mtime_ns=st.st_mtime_ns)
    return ident


class _Output:
    """One JSON line per post that is not allowed. A file is truncated on resume to the length it
    had at the checkpoint, so a line is never written twice."""

    def __init__(self, target: str | None, resume_at: int | None) -> None:
        self.path = target
        self.stream: IO[str] | None = None
        self.fh: IO[bytes] | None = None
        if target is None:
            return
        if target == "-":
            self.stream = sys.stdout
        elif resume_at is None:
            self.fh = Path(target).open("wb")  # noqa: SIM115 - closed in close()
        else:
            try:
                self.fh = Path(target).open("r+b")  # noqa: SIM115
            except FileNotFoundError:
                raise ScanError(f"--output {target}: the file of the interrupted scan is gone; "
                                "start again without --resume") from None
            self.fh.truncate(resume_at)
            self.fh.seek(resume_at)

    def write(self, line: str) -> None:
        if self.fh is not None:
            self.fh.write(line.encode("utf-8"))
        elif self.stream is not None:
            self.stream.write(line)

    def sync(self) -> int | None:
        """Flush to disk; the length to truncate to on a resume (None for stdout or none)."""
        if self.fh is None:
            if self.stream is not None:
                self.stream.flush()
            return None
        self.fh.flush()
        os.fsync(self.fh.fileno())
        return self.fh.tell()

    def close(self) -> None:
        if self.fh is not None:
            self.fh.close()


# --------------------------------------------------------------------------------------------
# the scan


class BacklogScan:
    """One scan of one source against one snapshot of the rules.

    Constructing it reads the state file, if any: a resume must be of the same source (unchanged),
    with the same options and the same ruleset version; an unfinished state is never overwritten
    without ``resume``. :meth:`run` does the work; :meth:`summary` is the report.
    """

    def __init__(self, request: ScanRequest, snapshot: Snapshot) -> None:
        if request.resume and request.state_file is None:
            raise ScanError("--resume needs --state FILE (the checkpoint of the interrupted scan)")
        self.request = request
        self.snapshot = snapshot
        self.format = source_format(request.source, request.format)
        output = request.output
        self.params = {"table": request.table, "column": request.column, "id_column": request.id_column,
                       "group": request.group, "html": request.html,
                       "output": str(Path(output).resolve()) if output and output != "-" else output}
        self.identity = _source_identity(request.source, self.format)
        self.tally = ScanTally([wl.name for wl in snapshot.lists])
        self.jobs = request.jobs or os.cpu_count() or 1
        #: the scan was interrupted (Ctrl+C): the state file holds where to go on
        self.interrupted = False
        #: the state file says the scan is done already: :meth:`run` has nothing to do
        self.finished = False
        #: what the caller should tell the user (a resume without a state file, say)
        self.notes: list[str] = []
        self._start: dict[str, Any] | None = None
        self._output_at: int | None = None
        self._jobs_used = 1
        self._load_state()

    def _load_state(self) -> None:
        state_file = self.request.state_file
        if state_file is None:
            return
        if not state_file.exists():
            if self.request.resume:
                self.notes.append(f"--state {state_file} does not exist yet: starting from the beginning")
            return
        saved = _read_state(state_file)
        if not self.request.resume:
            if not saved.get("done"):
                raise ScanError(f"--state {state_file} holds an unfinished scan ({saved['tally']['scanned']:,} "
                                "posts done): add --resume to go on with it, or delete the file to start over")
            return  # a finished scan's state: this one starts over
        if saved["source"] != self.identity:
            raise ScanError(f"--state {state_file}: it is the scan of {saved['source'].get('path')}"
                            " as it was then; this source differs (or changed since)")
        changed = [k for k in self.params if saved["params"].get(k) != self.params[k]]
        if changed:
            raise ScanError(f"--state {state_file}: resume with the same options as the interrupted scan "
                            f"({', '.join('--' + k.replace('_', '-') for k in changed)} differ)")
        if saved["version"] != self.snapshot.version:
            raise ScanError(f"--state {state_file}: the rules changed since the interrupted scan "
                            f"(version {saved['version']} then, {self.snapshot.version} now); "
                            "start the scan again without --resume")
        self._start, self._output_at = saved["pos"], saved.get("output_bytes")
        self.tally = ScanTally.from_dict(saved["tally"])
        self._jobs_used = int(saved.get("jobs", 1))
        self.finished = bool(saved.get("done"))

    def run(self, progress: Callable[[int, int], None] | None = None) -> None:
        """Check every post not counted yet. ``progress(posts_done, posts_in_source)`` is called
        after each batch. Ctrl+C stops the scan at a checkpoint (:attr:`interrupted`)."""
        if self.finished:
            return
        total, items = _open_source(self.request, self.format, self._start)
        use_pool = self.jobs > 1 and total - self.tally.posts > 2 * BATCH
        self._jobs_used = self.jobs if use_pool else 1
        out = _Output(self.request.output, self._output_at)
        position = self._start
        since_checkpoint = 0

        def checkpoint(done: bool = False) -> None:
            if self.request.state_file is None:
                return
            _write_state(self.request.state_file, {
                "forum_guard_scan": STATE_FORMAT, "source": self.identity, "params": self.params,
                "version": self.snapshot.version, "pos": position, "output_bytes": out.sync(),
                "tally": self.tally.to_dict(), "done": done, "jobs": self._jobs_used,
                "saved_at": datetime.now(UTC).isoformat()})

        def consume(results: list[Result], unread: list[tuple[Any, str]], pos: dict[str, Any] | None) -> None:
            nonlocal position, since_checkpoint
            for item_id, message in unread:
                self.tally.error(item_id, message, "read")
            for r in results:
                self.tally.add(r)
                if r.get("action", "allow") != "allow" and out.path is not None:
                    out.write(json.dumps({"id": r["id"], "action": r["action"],
                                          "terms": sorted({f"{m[0]}: {m[1]}" for m in r["matches"]}),
                                          "limits": r["violations"]}, ensure_ascii=False, default=str) + "\n")
            if pos is not None:
                position = pos
            since_checkpoint += len(results) + len(unread)
            if since_checkpoint >= self.request.checkpoint_every:
                checkpoint()
                since_checkpoint = 0
            if progress is not None:
                progress(self.tally.posts, total)

        lists, limits_doc = list(self.snapshot.lists), self.snapshot.limits
        pool = None
        # Ctrl+C is taken between two batches, never inside one: a KeyboardInterrupt raised while
        # a batch's results are being counted left the tally ahead of the position, and a resume
        # counted those posts twice. The handler asks for the stop; the loops stop after the batch.
        stop = _StopRequest()
        previous = stop.install()
        try:
            if use_pool:
                ctx = multiprocessing.get_context("forkserver" if sys.platform != "win32" else "spawn")
                pool = ctx.Pool(self.jobs, initializer=_init_worker, initargs=(lists, limits_doc))
                # a bounded window of tasks in flight, consumed in order: the input is read only as
                # fast as the workers check it (Pool.imap would read the whole source ahead)
                window: deque[tuple[Any, list[tuple[Any, str]], dict[str, Any] | None]] = deque()
                for batch, unread, pos in self._tasks(items):
                    window.append((pool.apply_async(_check_batch, (batch,)), unread, pos))
                    if len(window) >= 4 * self.jobs:
                        res, unread0, pos0 = window.popleft()
                        consume(res.get(), unread0, pos0)
                        stop.check()
                while window:
                    res, unread0, pos0 = window.popleft()
                    consume(res.get(), unread0, pos0)
                    stop.check()
            else:
                _init_guard(lists, limits_doc)
                for batch, unread, pos in self._tasks(items):
                    consume(_check_batch(batch), unread, pos)
                    stop.check()
        except KeyboardInterrupt:
            self.interrupted = True
        finally:
            stop.uninstall(previous)
            if pool is not None:
                if self.interrupted or sys.exc_info()[0] is not None:
                    pool.terminate()
                else:
                    pool.close()
                pool.join()
        try:
            checkpoint(done=not self.interrupted)
        finally:
            out.close()
        self.finished = not self.interrupted

    def _tasks(self, items: Iterator[ScanItem]) -> Iterator[tuple[list[Post], list[tuple[Any, str]],
                                                                  dict[str, Any] | None]]:
        """Batches of up to :data:`BATCH` posts, each with its read errors and where the source
        stands after it."""
        html, group = self.request.html, self.request.group
        batch: list[Post] = []
        unread: list[tuple[Any, str]] = []
        pos: dict[str, Any] | None = None
        for pos, item_id, text, item_html, extra in items:
            if extra and not extra.startswith("group:"):
                unread.append((item_id, extra))
            else:
                item_group = extra[6:] if extra else group
                batch.append((item_id, text, html if html is not None else item_html, item_group))
            if len(batch) + len(unread) >= BATCH:
                yield batch, unread, pos
                batch, unread = [], []
        if batch or unread:
            yield batch, unread, pos

    @property
    def error_count(self) -> int:
        return self.tally.read_errors + self.tally.check_errors

    def summary(self, top: int = 10) -> dict[str, Any]:
        """The report: posts, actions, limits hit, errors, and per list the posts caught and its
        ``top`` terms."""
        tally = self.tally
        actions = {wl.name: wl.action.value for wl in self.snapshot.lists}
        lists = [{"list": name, "action": actions.get(name), "posts": tally.posts_by_list.get(name, 0),
                  "matches": sum(c.values()), "top_terms": c.most_common(top)} for name, c in tally.by_list.items()]
        return {
            "source": str(self.request.source), "posts": tally.posts, "checked": tally.scanned - tally.check_errors,
            "actions": dict(tally.by_action), "limits": dict(tally.limits_hit),
            "errors": [{"id": e["id"], "error": e["error"]} for e in tally.errors], "error_count": self.error_count,
            "version": self.snapshot.version, "jobs": self._jobs_used, "lists": lists,
        }
