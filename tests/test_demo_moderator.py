"""The moderator's journey (issue 11, bug 6 and the friction list): ``forum-guard add --check``
previews and asks before saving, the admin page does not offer to save a term the list holds, and
the demo's moderator account can be reset."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from flask.testing import FlaskClient
from test_admin import A, admin_app, mod, store, text, token  # noqa: F401 (fixtures)

from forum_guard.cli.store_commands import cli
from forum_guard.store import Store

ROOT = Path(__file__).resolve().parent.parent
SENTENCE = "I assume you will assist me with the assessment"


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path}/fg.sqlite"
    s = Store(url)
    s.ensure_schema()
    s.create_list("rude", actor="seed")
    s.add_terms("rude", ["zorblax"], actor="seed")
    s.close()
    return url


def run(db: str, *args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, [*args, "--database", db], input=input, catch_exceptions=False)


def terms_of(db: str) -> set[str]:
    s = Store(db)
    try:
        return {row.term.pattern for row in s.terms("rude")}
    finally:
        s.close()


def test_add_check_without_a_terminal_refuses_and_saves_nothing(db: str) -> None:
    r = run(db, "add", "rude", "ass*", "--check")
    assert r.exit_code == 1
    assert re.search(r"ass\* would block \d+ dictionary words: .*assassin", r.stderr)
    assert "nothing saved" in r.stderr and "--yes" in r.stderr
    assert terms_of(db) == {"zorblax"}
    # the filter still lets the sentence through: nothing went live
    check = run(db, "test", SENTENCE, "--json")
    assert check.exit_code == 0 and '"action": "allow"' in check.stdout, check.output


def in_a_terminal(db: str, *args: str, answer: str) -> tuple[int, str]:
    """Run ``forum-guard`` with a pseudo-terminal as its stdin and stdout, type ``answer``."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "forum_guard.cli", *args, "--database", db],
                            stdin=slave, stdout=slave, stderr=slave, cwd=ROOT)
    os.close(slave)
    out = b""
    deadline = time.monotonic() + 60
    answered = False
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            out += chunk
            if not answered and b"[y/N]" in out:
                os.write(master, answer.encode() + b"\n")
                answered = True
        elif proc.poll() is not None:
            break
    os.close(master)
    return proc.wait(timeout=30), out.decode(errors="replace")


def test_add_check_asks_at_a_terminal(db: str) -> None:
    code, out = in_a_terminal(db, "add", "rude", "ass*", "--check", answer="n")
    assert "Save 1 term to rude? [y/N]" in out and "would block" in out
    assert code == 1 and "nothing saved" in out
    assert terms_of(db) == {"zorblax"}
    code, out = in_a_terminal(db, "add", "rude", "ass*", "--check", answer="y")
    assert code == 0 and "added 1 to rude" in out
    assert terms_of(db) == {"zorblax", "ass*"}
    assert '"action": "block"' in run(db, "test", SENTENCE, "--json").stdout


def test_add_check_with_yes_saves_after_the_preview(db: str) -> None:
    r = run(db, "add", "rude", "ass*", "!assume", "--check", "--yes")
    assert r.exit_code == 0, r.output
    assert "preview: adding 2 terms to rude" in r.stdout and "added 2 to rude" in r.stdout
    assert "assume" not in r.stderr.split("would block", 1)[-1].split(",")[0]  # the new exception counts
    assert terms_of(db) >= {"ass*", "assume"}


def test_add_check_json_previews_without_saving(db: str) -> None:
    import json

    r = run(db, "add", "rude", "cum*", "!cumin", "--check", "--json")
    assert r.exit_code == 1
    data = json.loads(r.stdout)
    assert data["saved"] is False and data["would_add"] == ["cum*", "!cumin"]
    assert "cumulative" in data["dictionary_hits"]["cum*"] and "cumin" not in data["dictionary_hits"]["cum*"]
    assert terms_of(db) == {"zorblax"}
    r = run(db, "add", "rude", "cum*", "--check", "--json", "--yes")
    assert r.exit_code == 0 and json.loads(r.stdout)["saved"] is True


def test_add_check_of_a_term_already_there_saves_nothing(db: str) -> None:
    r = run(db, "add", "rude", "ZORBLAX", "--check")
    assert r.exit_code == 0 and "holds every one of these terms already" in r.stdout


def test_add_without_check_still_saves_at_once(db: str) -> None:
    assert run(db, "add", "rude", "ass*").exit_code == 0
    assert "ass*" in terms_of(db)


def test_the_admin_page_does_not_offer_to_save_a_term_already_there(mod: FlaskClient, store: Store) -> None:  # noqa: F811
    r = mod.post(f"{A}/lists/rude/terms", data={"terms": "ass", "csrf_token": token(mod)})
    page = text(r)
    assert r.status_code == 200
    assert 'id="save-terms"' not in page and 'id="nothing-to-save"' in page
    assert "Already in rude" in page
    # one new and one old: only the new one is counted
    r = mod.post(f"{A}/lists/rude/terms", data={"terms": "ass\nglorp", "csrf_token": token(mod)})
    assert ">Save 1 term</button>" in text(r)


def test_demo_reset_moderator_sets_a_new_password(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from conftest import MODERATOR_PASSWORD, close_app, demo_config
    from test_demo import sign_in

    from forum_guard.cli import main
    from forum_guard.demo import create_app

    monkeypatch.setenv("FORUM_GUARD_DEMO_INSTANCE", str(tmp_path / "elsewhere"))  # restored afterwards
    monkeypatch.delenv("DEMO_MODERATOR_PASSWORD", raising=False)
    monkeypatch.setenv("FORUM_GUARD_WORDLISTS", str(tmp_path / "wordlists"))
    config = demo_config(tmp_path)  # writes the word lists; the instance is tmp_path/instance
    app = create_app(config)  # the first run: the moderator has MODERATOR_PASSWORD
    close_app(app)
    r = CliRunner().invoke(main, ["demo", "--reset-moderator", "--instance", str(tmp_path / "instance")],
                           catch_exceptions=False)
    assert r.exit_code == 0, r.output
    match = re.search(r"name: (\S+)\s+password: (\S+)", r.stderr)
    assert match and match.group(1) == "moderator"
    new_password = match.group(2)
    app = create_app(config)
    try:
        assert sign_in(app.test_client(), "moderator", MODERATOR_PASSWORD).status_code == 422
        assert sign_in(app.test_client(), "moderator", new_password).status_code == 302
    finally:
        close_app(app)
    monkeypatch.setenv("DEMO_MODERATOR_PASSWORD", "chosen-by-me-123")
    r = CliRunner().invoke(main, ["demo", "--reset-moderator", "--instance", str(tmp_path / "instance")])
    assert r.exit_code == 0 and "password: chosen-by-me-123" in r.stderr


def test_a_moderator_sees_only_the_exemption_with_what_would_have_happened(tmp_path: Path) -> None:
    from conftest import close_app, demo_config
    from test_demo import moderator, reply

    from forum_guard.demo import create_app

    app = create_app(demo_config(tmp_path))
    try:
        mod = moderator(app)
        token = csrf_token_of(mod)
        data = mod.post("/forum-guard/check", json={"content": "<p>fuck</p>", "html": True},
                        headers={"X-CSRFToken": token}).get_json()
        assert data["exempt"] is True and data["messages"] == []
        assert "would be: blocked" in data["exempt_notice"]
        r = reply(mod, "<p>fuck this spam, removed</p>")
        page = mod.get(r.headers["Location"]).get_data(as_text=True)
        assert "You are a moderator" in page and "would be: blocked" in page
        assert "Please edit your content" not in page
    finally:
        close_app(app)


def csrf_token_of(client: FlaskClient) -> str:
    from conftest import csrf_token

    return csrf_token(client, "/t/1")
