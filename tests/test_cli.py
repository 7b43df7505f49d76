"""The `forum-guard check` command and its JSONL contract."""

from __future__ import annotations

import json
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
    result = CliRunner().invoke(main, args, input=stdin)
    return result.exit_code, result.output


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
    (tmp_path / "x.txt").write_text("ok\nba*d\n", encoding="utf-8")
    code, out = run(["check", "--lists", str(tmp_path), "hi"])
    assert code == 1
    assert "x.txt:2:" in out


def test_usage_error_exit_code(lists: Path) -> None:
    code, _out = run(["check", "--lists", str(lists)])
    assert code == 2


def test_console_script_installed(lists: Path) -> None:
    exe = Path(sys.executable).with_name("forum-guard")
    proc = subprocess.run([str(exe), "check", "--lists", str(lists), "--json", "shit"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["action"] == "block"
