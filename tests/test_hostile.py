"""Hostile and broken input through the HTTP edge (the demo forum, the live check) and the store's
command line: size and shape bombs, bytes that are not text, and a rejected draft that must come back
to its author intact. Each case ends in a clear error (413, 415, 422 with a message; JSON for the
API) or a safe result; never a 500.

No timing assertions: the figures (each case's time and memory) are in docs/RELIABILITY-security.md.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import close_app, csrf_token, demo_config, signed_in, write_wordlists
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from store_fixtures import csrf_token as form_token

from forum_guard.cli import main as cli_main
from forum_guard.demo import create_app
from forum_guard.demo.models import Post, db
from forum_guard.engine.terms import Term, WordList
from forum_guard.store import Store, StoreError

LIVE = "/forum-guard/check"
TOO_LARGE = "Your post is too large"
TEXTAREA = re.compile(r'<textarea[^>]*\bname="content"[^>]*>(.*?)</textarea>', re.S)


def _forum(path: Path) -> Flask:
    """The demo forum with the live check's rate limit off (these tests send many checks)."""
    return create_app(demo_config(path, FORUM_GUARD_LIVE_CHECK_RATE=None))


def _client(app: Flask) -> FlaskClient:
    client = app.test_client()
    token = csrf_token(client, "/t/1")
    client.environ_base["HTTP_X_CSRFTOKEN"] = token  # the live check reads the header
    client.token = token  # type: ignore[attr-defined]
    return client


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    app = _forum(tmp_path)
    yield app
    close_app(app)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return _client(app)


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """One forum for the tests that store nothing (they compare post counts before and after)."""
    app = _forum(tmp_path_factory.mktemp("hostile"))
    yield app
    close_app(app)


@pytest.fixture
def sclient(shared: Flask) -> FlaskClient:
    return _client(shared)


def post_count(app: Flask) -> int:
    with app.app_context():
        return int(db().scalar(select(func.count(Post.id))) or 0)


def reply(client: FlaskClient, content: str | bytes, **extra: Any) -> Any:
    data = {"csrf_token": client.token, "content": content, **extra}  # type: ignore[attr-defined]
    return client.post("/t/1/reply", data=data)


def raw_form(client: FlaskClient, body: bytes) -> Any:
    """A form post whose bytes are sent as they are (invalid UTF-8 included)."""
    token = client.token.encode()  # type: ignore[attr-defined]
    return client.post("/t/1/reply", data=b"csrf_token=" + token + b"&" + body,
                       content_type="application/x-www-form-urlencoded")


def live(client: FlaskClient, **kwargs: Any) -> Any:
    return client.post(LIVE, **kwargs)


def assert_json_error(r: Any, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.get_data(as_text=True)[:300]
    assert r.is_json
    data = r.get_json()
    assert data["error"] and data["message"]
    return data  # type: ignore[no-any-return]


def draft_in_page(page: str) -> str:
    """The draft as the re-rendered editor gives it back (the textarea's text: HTML drops one line
    break right after the start tag)."""
    m = TEXTAREA.search(page)
    assert m, "no editor in the page"
    text = m.group(1)
    return html.unescape(text[1:] if text.startswith("\n") else text)


# --- size bombs ---------------------------------------------------------------------------------


def test_a_10_mb_post_is_refused_before_any_work(app: Flask, client: FlaskClient) -> None:
    ten_mb = "a" * 10_000_000
    assert TOO_LARGE in assert_json_error(live(client, json={"content": ten_mb}), 413)["message"]
    assert reply(client, ten_mb).status_code == 413
    r = client.post("/new", data={"csrf_token": client.token, "title": "big", "content": ten_mb})  # type: ignore[attr-defined]
    assert r.status_code == 413
    assert post_count(app) == 3  # the seed topics only


@pytest.mark.parametrize(
    ("name", "content", "html_mode", "message"),
    [
        ("100k nested tags", "<div>" * 100_000 + "x", True, "too large"),
        ("nested tags under the hard cap", "<b>" * 30_000 + "fuck" + "</b>" * 30_000, True, "too large"),
        ("60k emoji", "😀" * 60_000, False, "Only 75 emoji are allowed."),
        ("emoji families", "👨\u200d👩\u200d👧\u200d👦" * 12_000, True, "Only 75 emoji are allowed."),
        ("7k links", " ".join(f"http://e{i}.example" for i in range(7_000)), False, "too large"),
        ("2.5k anchors", "".join(f'<a href="http://e{i}.example/">x</a>' for i in range(2_500)), True, "only 1 link is allowed"),
        ("a 99k line", "x" * 99_000, False, "too long"),
        ("every matched word", "fuck " * 19_000, False, "terms that we do not allow"),
        ("99k '<'", "<" * 99_000, True, "too long"),
    ],
)
def test_shape_bombs_get_a_verdict_with_a_message(sclient: FlaskClient, name: str, content: str, html_mode: bool,
                                                  message: str) -> None:
    r = live(sclient, json={"content": content, "html": html_mode})
    assert r.status_code == 200, name
    data = r.get_json()
    assert data["blocked"], name
    assert any(message.lower() in m.lower() for m in data["messages"]), data["messages"]


@pytest.mark.parametrize(
    "content",
    ["😀" * 1_000_000, " ".join(f"http://e{i}.example" for i in range(100_000)), "x" * 1_048_576],
    ids=["a million emoji", "100k links", "a 1 MB line"],
)
def test_bombs_over_the_request_cap_are_413_json(shared: Flask, sclient: FlaskClient, content: str) -> None:
    before = post_count(shared)
    assert TOO_LARGE in assert_json_error(live(sclient, json={"content": content}), 413)["message"]
    r = reply(sclient, content)
    assert r.status_code == 413
    assert post_count(shared) == before


def test_a_huge_blocked_reply_comes_back_whole(app: Flask, client: FlaskClient) -> None:
    draft = "<p>" + "fuck it " * 12_000 + "</p>"  # 96k characters: checked, blocked, returned
    r = reply(client, draft)
    assert r.status_code == 422
    assert draft_in_page(r.get_data(as_text=True)) == draft
    assert post_count(app) == 3


# --- bytes that are not text --------------------------------------------------------------------


def test_nul_bytes_are_checked_and_stored_safely(app: Flask, client: FlaskClient) -> None:
    data = live(client, json={"content": "fu\x00ck you", "html": True}).get_json()
    assert data["action"] == "block"  # the HTML parser drops NUL: no way around the list
    assert "\x00" not in data["highlighted_html"]
    r = reply(client, "<p>hello\x00 there</p>")
    assert r.status_code == 302
    with app.app_context():
        stored = db().scalars(select(Post.content).order_by(Post.id.desc())).first()
    assert stored is not None and "\x00" not in stored and "hello" in stored


@pytest.mark.parametrize("control", ["\x00", "\x01", "\x1f", "\x7f", "\x85"])
def test_control_characters_do_not_hide_a_word_in_plain_text(sclient: FlaskClient, control: str) -> None:
    data = live(sclient, json={"content": f"fu{control}ck you", "html": False}).get_json()
    assert data["action"] == "block"


def test_lone_surrogates_in_json_become_replacement_characters(app: Flask, client: FlaskClient) -> None:
    body = '{"content": "caf\\udce9 fuck \\ud800", "html": false}'
    data = live(client, data=body, content_type="application/json").get_json()
    assert data["action"] == "block"
    assert data["highlighted_html"].startswith("caf\ufffd ") and "\ud800" not in data["highlighted_html"]
    # a JSON reply with a lone surrogate is stored (no 500 from the database's UTF-8)
    body = '{"content": "<p>fine \\ud800 words</p>", "guest_name": "ok\\udfff"}'
    r = client.post("/t/1/reply", data=body, content_type="application/json")
    assert r.status_code == 302
    with app.app_context():
        post = db().scalars(select(Post).order_by(Post.id.desc())).first()
    assert post is not None and post.content == "<p>fine \ufffd words</p>"
    assert post.guest_name == "ok\ufffd"


def test_invalid_utf8_in_a_form_body_is_never_a_500(app: Flask, client: FlaskClient) -> None:
    # percent-escaped bytes that are not UTF-8 stay as the literal escapes (werkzeug), and are checked
    r = raw_form(client, b"content=fuck%FF%FEyou%C3")
    assert r.status_code == 422 and draft_in_page(r.get_data(as_text=True)) == "fuck%FF%FEyou%C3"
    assert raw_form(client, b"content=hello%FF%FE+there").status_code == 302
    with app.app_context():
        assert db().scalars(select(Post.content).order_by(Post.id.desc())).first() == "hello%FF%FE there"
    # raw bytes that are not UTF-8: werkzeug drops the field, so the post is empty and refused
    r = raw_form(client, b"content=fuck\xff\xfe+you")
    assert r.status_code == 422 and "Please write a reply." in r.get_data(as_text=True)
    r = live(client, data=b"content=caf\xe9&html=false", content_type="application/x-www-form-urlencoded")
    assert r.status_code == 200 and r.get_json()["highlighted_html"] == ""
    assert post_count(app) == 4


@pytest.mark.parametrize(
    ("body", "what"),
    [
        (b'{"content": "caf\xe9 \xff"}', "invalid UTF-8"),
        (b'{"content": "unterminated', "truncated"),
        (b"[" * 100_000 + b"]" * 100_000, "nested past the parser's recursion limit"),
        (b'{"content": ' + b"[" * 50_000 + b"]" * 50_000 + b"}", "a nested value"),
        (b"null", "not an object"),
    ],
)
def test_broken_json_is_a_422_with_a_message(shared: Flask, sclient: FlaskClient, body: bytes, what: str) -> None:
    before = post_count(shared)
    assert_json_error(live(sclient, data=body, content_type="application/json"), 422)
    r = sclient.post("/t/1/reply", data=body, content_type="application/json")
    assert r.status_code == 422, what
    assert post_count(shared) == before


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("content=hello", "text/plain"),
        ('{"content": "hello"}', "text/plain"),
        ("<content>hello</content>", "application/xml"),
        (b"\x00\x01\x02", "application/octet-stream"),
        ("content=hello", ""),
    ],
)
def test_wrong_content_types_on_the_live_check_are_415(sclient: FlaskClient, body: str | bytes,
                                                       content_type: str) -> None:
    data = assert_json_error(live(sclient, data=body, content_type=content_type), 415)
    assert "JSON" in data["message"]


def test_the_live_check_takes_json_and_both_form_encodings(sclient: FlaskClient) -> None:
    assert live(sclient, json={"content": "fuck"}).get_json()["action"] == "block"
    assert live(sclient, data={"content": "fuck"}).get_json()["action"] == "block"
    r = live(sclient, data={"content": "fuck"}, content_type="multipart/form-data")
    assert r.get_json()["action"] == "block"
    assert sclient.get(LIVE).status_code == 405


def test_a_field_sent_many_times_or_as_an_object_is_refused(app: Flask, client: FlaskClient) -> None:
    r = client.post("/t/1/reply", data={"csrf_token": client.token, "content": ["a", "b"]})  # type: ignore[attr-defined]
    assert r.status_code == 422
    for value in (5, None, {"a": 1}, ["a", "b"], [{"a": 1}]):
        r = client.post("/t/1/reply", json={"content": value})
        assert r.status_code == 422, value
    fields = "&".join(f"f{i}=x" for i in range(3_000)).encode()
    r = raw_form(client, fields + b"&content=hello")
    assert r.status_code in (302, 413)
    assert post_count(app) == 3 + (r.status_code == 302)


# --- a rejected draft comes back to its author, exactly ---------------------------------------

HOSTILE_DRAFTS = [
    '<p>fuck</p></textarea><script>window.owned = 1</script>',
    '"><img src=x onerror="window.owned=1"> fuck',
    "fuck \u202eevil\u202c and \u200bzero\u200bwidth and 👨\u200d👩\u200d👧",
    "fuck {{ 7*7 }} {% raw %} ${7*7} &lt;b&gt; &amp;amp;",
    "fuck\ttabs\r\nand lines\n\n  indented",
]


@pytest.mark.parametrize("draft", HOSTILE_DRAFTS)
def test_a_blocked_reply_keeps_the_draft_exactly(app: Flask, client: FlaskClient, draft: str) -> None:
    r = reply(client, draft)
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert draft_in_page(page).replace("\r\n", "\n") == draft.replace("\r\n", "\n")  # as a browser reads it
    assert "<script>window.owned" not in page and "<img src=x" not in page
    assert post_count(app) == 3


@pytest.mark.parametrize("draft", HOSTILE_DRAFTS[:2])
def test_a_blocked_new_topic_keeps_title_and_draft(app: Flask, client: FlaskClient, draft: str) -> None:
    title = '"><script>window.owned=1</script> title'
    r = client.post("/new", data={"csrf_token": client.token, "title": title, "content": draft})  # type: ignore[attr-defined]
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert draft_in_page(page) == draft
    value = re.search(r'<input[^>]*name="title"[^>]*value="([^"]*)"', page)
    assert value and html.unescape(value.group(1)) == title
    assert "<script>window.owned" not in page


def test_the_generic_blocked_page_reposts_every_field_intact(tmp_path: Path) -> None:
    """A host without a block_handler gets forum_guard/blocked.html: the draft in the editor and the
    other fields as hidden inputs, all escaped and all exactly as sent."""
    from flask_wtf import CSRFProtect

    from forum_guard.web.extension import ForumGuard

    app = Flask(__name__, instance_path=str(tmp_path / "instance"))
    app.config.update(TESTING=True, SECRET_KEY="s", WTF_CSRF_ENABLED=False, FORUM_GUARD_USE_STORE=False,
                      FORUM_GUARD_WORDLISTS=str(write_wordlists(tmp_path / "lists")),
                      FORUM_GUARD_PROTECT={"reply": ["content"]})
    CSRFProtect(app)
    ForumGuard(app)
    saved: list[str] = []

    @app.post("/reply", endpoint="reply")
    def reply_view() -> str:
        saved.append("saved")
        return "saved"

    draft = HOSTILE_DRAFTS[0]
    other = '"><script>window.owned=2</script>'
    r = app.test_client().post("/reply", data={"content": draft, "subject": other})
    page = r.get_data(as_text=True)
    assert r.status_code == 422 and saved == []
    assert draft_in_page(page) == draft
    hidden = re.search(r'<input type="hidden" name="subject" value="([^"]*)">', page)
    assert hidden and html.unescape(hidden.group(1)) == other
    assert "<script>window.owned" not in page


# --- the store and its command line -------------------------------------------------------------


def cli(*args: str) -> Any:
    return CliRunner().invoke(cli_main, list(args), catch_exceptions=False)


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/store.sqlite"


def store_at(url: str, **kwargs: Any) -> Store:
    store = Store(url, **kwargs)
    store.ensure_schema()
    return store


def test_an_import_of_a_million_terms_is_refused_whole(db_url: str, tmp_path: Path) -> None:
    big = tmp_path / "million.txt"
    big.write_text("".join(f"word{i:07d}\n" for i in range(1_000_000)), encoding="utf-8")
    r = cli("import", str(big), "--database", db_url)
    assert r.exit_code == 1
    assert "1,000,000 terms" in r.output and "at most 200,000" in r.output and "FORUM_GUARD_MAX_TERMS" in r.output
    store = store_at(db_url)
    try:
        assert store.list_names() == [] and store.count_audit() == 0
    finally:
        store.close()


def test_the_term_cap_holds_over_every_list_in_one_transaction(db_url: str) -> None:
    store = store_at(db_url, max_terms=100)
    try:
        store.create_list("a")
        store.add_terms("a", [f"a{i}" for i in range(60)])
        version, audit = store.version(), store.count_audit()
        with pytest.raises(StoreError, match="would hold 120 terms; it holds at most 100"):
            store.add_terms("a", [f"b{i}" for i in range(60)])
        first = WordList(name="x", terms=tuple(Term.parse(f"x{i}") for i in range(30)))
        second = WordList(name="y", terms=tuple(Term.parse(f"y{i}") for i in range(30)))
        with pytest.raises(StoreError, match="at most 100"):
            store.import_wordlists([first, second])  # the first list fits, the second does not: neither is stored
        assert store.list_names() == ["a"] and store.count_terms("a") == 60
        assert (store.version(), store.count_audit()) == (version, audit)
        store.import_wordlists([first])  # what fits still goes in
        assert store.count_terms("x") == 30
    finally:
        store.close()


def test_the_term_cap_comes_from_the_environment(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                 ) -> None:
    monkeypatch.setenv("FORUM_GUARD_MAX_TERMS", "50")
    f = tmp_path / "list.txt"
    f.write_text("".join(f"w{i}\n" for i in range(51)), encoding="utf-8")
    r = cli("import", str(f), "--database", db_url)
    assert r.exit_code == 1 and "51 terms" in r.output and "at most 50" in r.output
    f.write_text("".join(f"w{i}\n" for i in range(40)), encoding="utf-8")
    assert cli("import", str(f), "--database", db_url).exit_code == 0
    f2 = tmp_path / "more.txt"
    f2.write_text("".join(f"u{i}\n" for i in range(20)), encoding="utf-8")
    r = cli("import", str(f2), "--database", db_url)
    assert r.exit_code == 1 and "would hold 60 terms" in r.output
    monkeypatch.setenv("FORUM_GUARD_MAX_TERMS", "lots")
    with pytest.raises(ValueError, match="not a positive number"):
        Store(db_url)


def test_an_oversized_import_file_is_refused_unread(db_url: str, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("forum_guard.engine.formats.MAX_IMPORT_BYTES", 1000)
    f = tmp_path / "big.txt"
    f.write_text("word\n" * 300, encoding="utf-8")
    r = cli("import", str(f), "--database", db_url)
    assert r.exit_code == 1 and "1,500 bytes" in r.output and "at most 1,000" in r.output


def test_a_term_of_10k_characters_is_refused_with_a_short_message(db_url: str, tmp_path: Path) -> None:
    long_term = "q" * 10_000
    assert cli("create-list", "spam", "--database", db_url).exit_code == 0
    r = cli("add", "spam", long_term, "--database", db_url)
    assert r.exit_code == 1
    assert "term is 10000 characters long; the maximum is 200" in r.output and len(r.output) < 300
    f = tmp_path / "spam.txt"
    f.write_text(f"fine\n{long_term}\n", encoding="utf-8")
    r = cli("import", str(f), "--database", db_url)
    assert r.exit_code == 1 and f"{f}:2:" in r.output
    r = cli("add", "spam", "darn => " + "z" * 10_000, "--database", db_url)
    assert r.exit_code == 1 and "censor text is 10,000 characters" in r.output
    store = store_at(db_url)
    try:
        assert store.count_terms("spam") == 0
        with pytest.raises(StoreError, match="characters long"):
            store.add_terms("spam", [Term(long_term)])  # a Term built in code, not parsed
    finally:
        store.close()


@pytest.mark.parametrize("replacement", ["***\nfuck", "***\r# action: allow", "z" * 10_000])
def test_a_censor_text_cannot_smuggle_lines_into_an_export(db_url: str, replacement: str) -> None:
    r = cli("create-list", "mild", "--action", "censor", "--replacement", replacement, "--database", db_url)
    assert r.exit_code == 1 and "censor text" in r.output
    assert cli("create-list", "mild", "--action", "censor", "--database", db_url).exit_code == 0
    store = store_at(db_url)
    try:
        with pytest.raises(StoreError, match="censor text"):
            store.update_list("mild", replacement=replacement)
        with pytest.raises(StoreError, match="description"):
            store.update_list("mild", description="d" * 600)
        assert store.export("mild") == cli("export", "mild", "--database", db_url).stdout
        assert "fuck" not in store.export("mild")
    finally:
        store.close()


def test_a_10k_term_through_the_admin_form(app: Flask) -> None:
    client = signed_in(app)
    token = form_token(client.get("/forum-guard/admin/lists/profanity").get_data(as_text=True))
    r = client.post("/forum-guard/admin/lists/profanity/terms", data={"csrf_token": token, "terms": "q" * 10_000})
    page = r.get_data(as_text=True)
    assert r.status_code == 400 and "term is 10000 characters long; the maximum is 200" in page
    assert "… (10,000 characters)" in page  # the error names the line without echoing it whole
    assert "q" * 10_000 in page  # the moderator's input is given back to edit
    store = app.extensions["forum_guard"].store
    row = store.terms("profanity")[0]
    r = client.post(f"/forum-guard/admin/terms/{row.id}/edit", data={"csrf_token": token, "term": "q" * 10_000})
    assert r.status_code == 400
    assert store.get_term(row.id).term == row.term


@pytest.mark.parametrize("path", ["/forum-guard/admin/terms/99999999999999999999999/edit",
                                  "/forum-guard/admin/queue/99999999999999999999999",
                                  "/forum-guard/admin/queue?page=99999999999999999999999",
                                  "/forum-guard/admin/audit?page=99999999999999999999999",
                                  "/forum-guard/admin/lists/profanity?page=99999999999999999999999"])
def test_ids_and_pages_no_database_can_hold_are_not_a_500(shared: Flask, path: str) -> None:
    client = signed_in(shared)
    assert client.get(path).status_code in (200, 404)


def test_a_one_megabyte_jsonl_line_gets_a_verdict(tmp_path: Path) -> None:
    lists = write_wordlists(tmp_path / "lists")
    lines = [json.dumps({"id": 1, "text": "x" * 1_000_000}), json.dumps({"id": 2, "text": "fu\x00ck \ud800"}),
             "{broken", json.dumps({"id": 4, "text": "fine"})]
    r = CliRunner().invoke(cli_main, ["check", "--lists", str(lists), "--jsonl"], input="\n".join(lines) + "\n")
    out = [json.loads(line) for line in r.stdout.splitlines()]
    assert [o.get("id") for o in out] == [1, 2, 3, 4]
    assert out[0]["action"] == "block" and any("too large" in m for m in out[0]["messages"])
    assert "error" in out[2] and out[3]["action"] == "allow"
    assert r.exit_code == 1  # one line failed


def test_markup_in_terms_survives_every_export_as_data(db_url: str, tmp_path: Path) -> None:
    """The CLI's exports are data files: markup in a term, a censor text or a description is written
    as it is (so it imports back exactly); the one HTML the CLI prints, ``test --json``'s
    highlighted_html, escapes it."""
    from forum_guard.store import parse_import_text

    hostile = ['<img src=x onerror="alert(1)">', '"><script>alert(2)</script>', 'zorp => </textarea><script>alert(3)']
    assert cli("create-list", "xss", "--action", "censor", "--replacement", '"><b onmouseover=alert(4)>',
               "--description", "<script>alert(5)</script>", "--database", db_url).exit_code == 0
    assert cli("add", "xss", *hostile, "--database", db_url).exit_code == 0
    store = store_at(db_url)
    try:
        stored = store.get_list("xss")
        for fmt in ("text", "plain", "csv"):
            out = tmp_path / f"xss.{fmt}"
            assert cli("export", "xss", "--format", fmt, "--output", str(out), "--database", db_url).exit_code == 0
            back = parse_import_text(out.read_text("utf-8"), name="xss", source=str(out), format=fmt)
            assert [t.pattern for t in back.terms] == [t.pattern for t in stored.terms], fmt
            if fmt == "text":
                assert back == stored
        r = cli("test", "--json", '<img src=x onerror="alert(1)"> and zorp', "--database", db_url)
        data = json.loads(r.stdout)
        assert data["action"] == "censor" and "<img" not in data["highlighted_html"]
        assert "&lt;img" in data["highlighted_html"]
    finally:
        store.close()
