"""Rate limits shared across workers: the token buckets in the store's database (SQLite and
PostgreSQL), the ``limits`` package's storages, the live check and posting through the demo forum,
and bodies paid for by the bytes read (a chunked body pays what a declared one does).

Processes stand for workers here; ``tests/test_gunicorn_limits.py`` runs real gunicorn workers."""

from __future__ import annotations

import html
import io
import multiprocessing
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from conftest import close_app, csrf_token, demo_config
from flask import Flask
from flask.testing import FlaskClient
from store_fixtures import db_url_fixture, pg_database_fixture, pg_url_fixture  # noqa: F401 (fixtures)

from forum_guard.demo import create_app
from forum_guard.web import ConfigKeys, TooManyChecks
from forum_guard.web.errors import TooManyPosts
from forum_guard.web.ratelimit import (
    COST_BYTES,
    DatabaseBuckets,
    LimitsBuckets,
    MemoryBuckets,
    RateLimiter,
    rate_limit_storage,
    t_rate_limits,
)


def _engine(url: str) -> sa.Engine:
    return sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_database_buckets_are_token_buckets(db_url: str) -> None:
    clock = Clock()
    engine = _engine(db_url)
    try:
        limiter = RateLimiter(3, 60, storage=DatabaseBuckets(engine, clock=clock), name="t")
        assert [limiter.hit("a") for _ in range(3)] == [0.0, 0.0, 0.0]
        assert limiter.hit("a") == pytest.approx(20.0)  # one back every 20 s
        assert limiter.hit("b") == 0.0  # clients apart
        clock.now += 20
        assert limiter.hit("a") == 0.0 and limiter.hit("a") > 0
        clock.now += 3600
        assert [limiter.hit("a") for _ in range(4)][-1] > 0  # refills to the capacity, not beyond
        costly = RateLimiter(10, 10, storage=DatabaseBuckets(engine, clock=clock), name="c")
        assert costly.hit("a", 6) == 0.0
        assert costly.hit("a", 6) == pytest.approx(2.0)  # a refused request spends nothing
        clock.now += 2
        assert costly.hit("a", 6) == 0.0
    finally:
        engine.dispose()


def test_two_workers_share_one_budget(db_url: str) -> None:
    """Two limiters on two engines (two workers) spend from the same row."""
    one, two = _engine(db_url), _engine(db_url)
    try:
        a = RateLimiter(5, 3600, storage=DatabaseBuckets(one), name="live")
        b = RateLimiter(5, 3600, storage=DatabaseBuckets(two), name="live")
        allowed = [x.hit("addr:1.2.3.4") == 0.0 for x in (a, b) * 5]
        assert allowed.count(True) == 5
        assert b.hit("addr:5.6.7.8") == 0.0
    finally:
        one.dispose()
        two.dispose()


def _worker(url: str, hits: int, out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    engine = _engine(url)
    limiter = RateLimiter(40, 3600, storage=DatabaseBuckets(engine), name="live")
    out.put(sum(limiter.hit("addr:10.0.0.9") == 0.0 for _ in range(hits)))
    engine.dispose()


def test_concurrent_processes_never_spend_one_token_twice(db_url: str) -> None:
    engine = _engine(db_url)
    DatabaseBuckets(engine)  # the table, made once before the race
    engine.dispose()
    ctx = multiprocessing.get_context("spawn")
    out: multiprocessing.Queue = ctx.Queue()  # type: ignore[type-arg]
    procs = [ctx.Process(target=_worker, args=(db_url, 30, out)) for _ in range(3)]
    for p in procs:
        p.start()
    totals = [out.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    assert sum(totals) == 40, totals  # 90 tries from 3 processes, 40 allowed in all


def test_threads_share_the_memory_buckets() -> None:
    limiter = RateLimiter(50, 3600, storage=MemoryBuckets(), name="m")
    results: list[bool] = []
    lock = threading.Lock()

    def run() -> None:
        for _ in range(40):
            ok = limiter.hit("x") == 0.0
            with lock:
                results.append(ok)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(True) == 50


def test_the_limits_package_storage() -> None:
    buckets = LimitsBuckets("memory://")
    limiter = RateLimiter(4, 60, storage=buckets, name="l")
    assert [limiter.hit("a") == 0.0 for _ in range(6)] == [True] * 4 + [False] * 2
    assert 1.0 <= limiter.hit("a") <= 61
    assert limiter.hit("b", 4) == 0.0 and limiter.hit("b") > 0


@pytest.mark.parametrize(("uri", "kind"), [("", MemoryBuckets), ("memory://", MemoryBuckets),
                                           ("sqlite:///:memory:", DatabaseBuckets)])
def test_storage_urls(uri: str, kind: type) -> None:
    assert isinstance(rate_limit_storage(uri, None), kind)


@pytest.mark.parametrize("uri", ["nonsense", "gopher://x"])
def test_a_bad_storage_url_fails_at_startup(tmp_path: Path, uri: str) -> None:
    with pytest.raises(ValueError, match=ConfigKeys.RATE_LIMIT_STORAGE):
        create_app(demo_config(tmp_path, FORUM_GUARD_RATE_LIMIT_STORAGE=uri))


@pytest.mark.parametrize("rate", ["120/minute", "120 per minute", "10/5 seconds", "3 PER DAY"])
def test_the_ecosystem_notation_parses(rate: str) -> None:
    assert RateLimiter.parse(rate) is not None


@pytest.mark.parametrize("rate", ["fast", "0/minute", "10 per fortnight"])
def test_a_bad_post_rate_fails_at_startup(tmp_path: Path, rate: str) -> None:
    with pytest.raises(ValueError, match=ConfigKeys.POST_RATE):
        create_app(demo_config(tmp_path, FORUM_GUARD_POST_RATE=rate))


# ------------------------------------------------------------------------------------------------
# through the demo forum: the store's database is the default storage


@pytest.fixture
def forum(tmp_path: Path) -> Iterator[Flask]:
    app = create_app(demo_config(tmp_path, FORUM_GUARD_LIVE_CHECK_RATE="6 per hour",
                                 FORUM_GUARD_POST_RATE="3 per hour"))
    yield app
    close_app(app)


def _client(app: Flask, addr: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = addr
    token = csrf_token(client, "/t/1")
    client.environ_base["HTTP_X_CSRFTOKEN"] = token
    client.token = token  # type: ignore[attr-defined]
    return client


def test_the_default_storage_is_the_stores_database(forum: Flask) -> None:
    state = forum.extensions["forum_guard"]
    for limiter in (state.live_check_limiter, state.post_limiter):
        assert isinstance(limiter.storage, DatabaseBuckets)
        assert limiter.storage.engine is state.store.engine
    client = _client(forum, "10.1.0.1")
    assert client.post("/forum-guard/check", json={"content": "hi"}).status_code == 200
    with state.store.engine.connect() as conn:
        keys = set(conn.execute(sa.select(t_rate_limits.c.key)).scalars())
    assert keys == {"check:addr:10.1.0.1"}


def test_posting_is_limited_per_client(forum: Flask) -> None:
    client = _client(forum, "10.1.0.2")
    statuses = [client.post("/t/1/reply", data={"csrf_token": client.token, "content": f"a fine reply {i}"}).status_code
                for i in range(3)]
    assert statuses == [302, 302, 302]
    r = client.post("/t/1/reply", data={"csrf_token": client.token, "content": "one more"})
    assert r.status_code == 429
    assert int(r.headers["Retry-After"]) >= 1
    assert TooManyPosts.description in r.get_data(as_text=True)
    # JSON answers for JSON posts; another client has its own budget; live checks their own
    r = client.post("/t/1/reply", json={"content": "one more"}, headers={"Accept": "application/json"})
    assert r.status_code == 429
    other = _client(forum, "10.1.0.3")
    assert other.post("/t/1/reply", data={"csrf_token": other.token, "content": "hello there"}).status_code == 302
    assert client.post("/forum-guard/check", json={"content": "hi"}).status_code == 200


def test_a_post_over_the_rate_comes_back_to_its_author_intact(forum: Flask) -> None:
    """The 429 page gives the draft back as typed (leading line break, markup, other fields) in a
    form that posts it again: a refused draft is never lost."""
    client = _client(forum, "10.1.0.9")
    for i in range(3):
        client.post("/t/1/reply", data={"csrf_token": client.token, "content": f"a fine reply {i}"})
    draft = '\n<p>my <b>long</b> & careful "reply"</p>'
    r = client.post("/t/1/reply", data={"csrf_token": client.token, "content": draft, "guest_name": "Ann"})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
    page = r.get_data(as_text=True)
    assert TooManyPosts.description in page
    assert html.unescape(re.search(r'<textarea[^>]*name="content"[^>]*>\n(.*?)</textarea>', page, re.S).group(1)) == draft
    assert '<input type="hidden" name="guest_name" value="Ann">' in page
    assert 'action="http://localhost/t/1/reply"' in page


def test_forged_posts_spend_nothing(forum: Flask) -> None:
    client = _client(forum, "10.1.0.4")
    for _ in range(5):
        assert client.post("/t/1/reply", data={"csrf_token": "forged", "content": "x"}).status_code == 400
    assert client.post("/t/1/reply", data={"csrf_token": client.token, "content": "a real reply"}).status_code == 302


def _chunked(body: bytes) -> dict[str, Any]:
    """A body without Content-Length, as a server that reads chunked requests hands it over."""
    return {"input_stream": io.BytesIO(body), "environ_overrides": {"wsgi.input_terminated": True}}


def test_a_chunked_body_pays_what_a_declared_one_does(forum: Flask) -> None:
    body = ('{"content": "' + "x" * (2 * COST_BYTES + 100) + '"}').encode()  # 1 + 2 tokens
    declared = _client(forum, "10.1.0.5")
    assert declared.post("/forum-guard/check", data=body, content_type="application/json").status_code == 200
    chunked = _client(forum, "10.1.0.6")
    r = chunked.post("/forum-guard/check", content_type="application/json", **_chunked(body))
    assert r.status_code == 200
    # 6 per hour: both spent 3; two more ordinary checks each, then 429
    for client in (declared, chunked):
        assert [client.post("/forum-guard/check", json={"content": "hi"}).status_code for _ in range(4)] == [
            200, 200, 200, 429]
    r = chunked.post("/forum-guard/check", json={"content": "hi"})
    assert r.status_code == 429 and r.get_json()["message"] == TooManyChecks.description


def test_a_chunked_post_pays_for_its_bytes(forum: Flask) -> None:
    client = _client(forum, "10.1.0.7")
    form = f"csrf_token={client.token}&content=" + "y" * (2 * COST_BYTES)  # 1 + 2: the whole budget of 3
    r = client.post("/t/1/reply", content_type="application/x-www-form-urlencoded", **_chunked(form.encode()))
    assert r.status_code in (302, 422)
    assert client.post("/t/1/reply", data={"csrf_token": client.token, "content": "short"}).status_code == 429


def test_limits_off(tmp_path: Path) -> None:
    app = create_app(demo_config(tmp_path, FORUM_GUARD_LIVE_CHECK_RATE=None, FORUM_GUARD_POST_RATE=""))
    try:
        state = app.extensions["forum_guard"]
        assert state.live_check_limiter is None and state.post_limiter is None
        client = _client(app, "10.1.0.8")
        assert {client.post("/t/1/reply", data={"csrf_token": client.token, "content": f"reply {i}"}).status_code
                for i in range(25)} == {302}
    finally:
        close_app(app)
