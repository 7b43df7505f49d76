"""The `forum-guard check` command and its JSONL contract, and the command line's start-up: lazy
imports, the shipped lists from any folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from forum_guard.cli import main


@pytest.fixture()
def lists(tmp_path: Path) -> Path:
    d = tmp_path / "lists"
    d.mkdir()
    (d / "bad.txt").write_text("# name: bad\nfuck*\nshit\n", encoding="utf-8")
    (d / "spam.txt").write_text("# name: spam\n# action: require_approval\nbuy followers\n", encoding="utf-8")
    return d


def run(args: list[str], stdin: str | None = None) -> tuple[int, str]:
    """Exit code and stdout (the notes on stderr are not the command's output)."""
    result = CliRunner().invoke(main, args, input=stdin)
    return result.exit_code, result.stdout


def test_check_text_human_readable(lists: Path) -> None:
    code, out = run(["check", "--lists", str(lists), "what the f.u.c.k"])
    assert code == 0
    assert "action: block" in out
    assert "Unfortunately, your content contains terms that we do not allow." in out
    assert "'f.u.c.k'" in out and "bad: fuck*" in out


def test_check_html_file(lists: Path, tmp_path: Path) -> None:
    draft = tmp_path / "draft.html"
    draft.write_text("<p>buy <b>followers</b> here</p>", encoding="utf-8")
    code, out = run(["check", "--lists", str(lists), "--html", "--file", str(draft), "--json"])
    assert code == 0
    verdict = json.loads(out)
    assert verdict["action"] == "require_approval"
    (match,) = verdict["matches"]
    assert match["matched"] == "buy <b>followers"
    assert match["spans"] == [[3, 7], [10, 19]]


def test_jsonl_contract(lists: Path) -> None:
    lines = [
        {"id": "a", "text": "hello there"},
        {"id": "b", "text": "oh shit"},
        "not json",
        {"id": "d", "text": 5},
        {"id": "e", "text": "<p>f<i>uc</i>k</p>", "html": True},
        {"id": "f", "text": "shit", "group": "moderator"},
        {"id": "g", "text": "x", "group": "nobody"},
    ]
    stdin = "\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n"
    code, out = run(["check", "--lists", str(lists), "--jsonl"], stdin)
    assert code == 1  # some lines failed
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r.get("id") for r in rows] == ["a", "b", 3, "d", "e", "f", "g"]
    assert rows[0]["action"] == "allow" and rows[0]["matches"] == []
    assert rows[1]["action"] == "block"
    assert rows[1]["matches"] == [{"term": "shit", "list": "bad", "start": 3, "end": 7, "matched": "shit",
                                   "action": "block"}]
    assert "error" in rows[2] and "error" in rows[3] and "error" in rows[6]
    assert rows[4]["matches"][0]["spans"] == [[3, 4], [7, 9], [13, 14]]
    assert rows[5]["action"] == "allow" and rows[5]["exempt"] is True


def test_jsonl_group_option(lists: Path) -> None:
    code, out = run(["check", "--lists", str(lists), "--jsonl", "--group", "guest"],
                    json.dumps({"id": 1, "text": "https://a.example https://b.example"}) + "\n")
    assert code == 0
    row = json.loads(out)
    assert row["action"] == "block" and row["violations"][0]["kind"] == "links"


def test_broken_list_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "x.txt").write_text("ok\n---\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["check", "--lists", str(tmp_path), "hi"])
    assert result.exit_code == 1
    assert "x.txt:2:" in result.stderr


@pytest.mark.parametrize("folder", ["empty", "missing"])
def test_a_folder_without_lists_is_an_error_not_an_allow(tmp_path: Path, folder: str) -> None:
    directory = tmp_path / folder
    if folder == "empty":
        directory.mkdir()
        (directory / "limits.toml").write_text("hard_cap = 1000\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["check", "--lists", str(directory), "what the fuck"])
    assert result.exit_code == 1 and result.stdout == ""
    assert str(directory) in result.stderr
    assert ("holds no word lists" if folder == "empty" else "not a folder") in result.stderr


def test_check_says_which_lists_it_read(lists: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FORUM_GUARD_WORDLISTS", raising=False)
    result = CliRunner().invoke(main, ["check", "--json", "what the fuck"])
    assert json.loads(result.stdout)["action"] == "block"
    assert "forum-guard: lists forum_guard.wordlists (the shipped lists):" in result.stderr
    monkeypatch.setenv("FORUM_GUARD_WORDLISTS", str(lists))
    result = CliRunner().invoke(main, ["check", "--json", "buy followers"])
    assert json.loads(result.stdout)["action"] == "require_approval"
    assert f"lists {lists} ($FORUM_GUARD_WORDLISTS): 2 lists" in result.stderr


def test_usage_error_exit_code(lists: Path) -> None:
    code, _out = run(["check", "--lists", str(lists)])
    assert code == 2


def test_console_script_installed(lists: Path) -> None:
    exe = Path(sys.executable).with_name("forum-guard")
    proc = subprocess.run([str(exe), "check", "--lists", str(lists), "--json", "shit"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["action"] == "block"


def _clean_env(tmp_path: Path) -> dict[str, str]:
    """A user whose home is beside ``tmp_path`` (its cache folder may fill: the Scunthorpe guard
    keeps each list's exceptions there), with no forum_guard settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FORUM_GUARD_", "XDG_"))}
    home = tmp_path.parent / f"{tmp_path.name}-home"
    return {**env, "XDG_DATA_HOME": str(home / "data"), "HOME": str(home)}


def test_check_from_any_folder_uses_the_shipped_lists(tmp_path: Path) -> None:
    """Run where there is no wordlists/ and no instance/ folder: the shipped lists are in force."""
    exe = Path(sys.executable).with_name("forum-guard")
    proc = subprocess.run([str(exe), "check", "what the fuck"], capture_output=True, text=True, timeout=60,
                          cwd=tmp_path, env=_clean_env(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert "action: block" in proc.stdout and "forum_guard.wordlists" in proc.stderr
    assert list(tmp_path.iterdir()) == []  # nothing made in the current folder
    home = tmp_path.parent / f"{tmp_path.name}-home"
    assert not (home / "data").exists()  # and no store: a read-only command creates no database
    assert list((home / ".cache" / "forum-guard" / "guard").glob("*.json"))  # the guard's cache, reused next time


#: what ``--help`` and ``--version`` must not import: each costs start-up time a command may not need
HEAVY = ("sqlalchemy", "flask", "werkzeug", "forum_guard.store", "forum_guard.web", "forum_guard.demo",
         "forum_guard.cli.lists", "forum_guard.cli.scanner")
PROBE = """
import sys
from forum_guard.cli import main
try:
    main(sys.argv[1:], prog_name="forum-guard")
except SystemExit:
    pass
print("IMPORTED", sorted({m.split(".")[0] if not m.startswith("forum_guard") else m for m in sys.modules}))
"""


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["check", "--help"], ["check", "one short text"]])
def test_start_up_imports_only_what_the_command_needs(args: list[str], tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, timeout=60,
                          cwd=tmp_path, env=_clean_env(tmp_path))
    assert proc.returncode == 0, proc.stderr
    imported = proc.stdout.rsplit("IMPORTED", 1)[1]
    assert not [m for m in HEAVY if repr(m) in imported], imported


def test_help_lists_every_command_with_its_own_short_help() -> None:
    """``--help`` shows the registry's help lines without importing the commands: each must be what
    the command itself says."""
    from forum_guard.cli.lazy import MAIN_COMMANDS, STORE_COMMANDS

    assert set(STORE_COMMANDS) <= set(MAIN_COMMANDS)
    for name, entry in MAIN_COMMANDS.items():
        command = entry.load()
        assert command.name == name
        assert entry.help_line(500) == command.get_short_help_str(500), name
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    listed = [line.split()[0] for line in result.stdout.split("Commands:")[1].splitlines() if line.strip()]
    assert listed == sorted(MAIN_COMMANDS)


def test_python_dash_m_runs_the_command_line(lists: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "forum_guard.cli", "check", "--lists", str(lists), "--json", "shit"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["action"] == "block"
