"""The Markdown reader on documents nobody here wrote: the CommonMark spec's 652 examples and the
GFM table and strikethrough fixtures, as markdown-it-py ships them in its source distribution.

The data is read at test time, never copied into the repository: the sdist is fetched once with
pip into a cache (``FORUM_GUARD_TEST_CORPORA``, default ``~/.cache/forum_guard/test-corpora``).
For every document: the reader's words are a renderer's words (the HTML pulldown-cmark makes of
it, read by the HTML extractor), every span lies in the source, an allowed draft is stored byte
for byte, and a censored one renders with exactly the same tags.
"""

from __future__ import annotations

import collections
import json
import os
import re
import subprocess
import sys
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyromark
import pytest
from conftest import assert_maps_into_source

from forum_guard import Action, Guard
from forum_guard.engine.draft import analyze
from forum_guard.engine.draft.extract import extract
from forum_guard.engine.terms import parse_wordlist
from forum_guard.web.checks import content_to_store

pytestmark = pytest.mark.slow

SDIST = ("markdown-it-py", "4.3.0")
ROOT = "markdown_it_py-4.3.0/tests"
CACHE = Path(os.environ.get("FORUM_GUARD_TEST_CORPORA") or Path.home() / ".cache" / "forum_guard" / "test-corpora")
OPTIONS = pyromark.Options.ENABLE_TABLES | pyromark.Options.ENABLE_STRIKETHROUGH
# the spec's words: "foo", "bar" and "baz" are in most examples
GUARD = Guard([parse_wordlist("# name: mild\n# action: censor\nfoo\nbar\nbaz\n")])
# raw HTML comments (and CDATA): their text is checked (a host that escapes raw HTML shows it), a renderer
# that passes raw HTML through hides it
COMMENT_EXAMPLES = {177, 179, 182, 183, 625}


def _sdist() -> tarfile.TarFile:
    name, version = SDIST
    folder = CACHE / f"{name}-{version}"
    found = sorted(folder.glob("*.tar.gz"))
    if not found:
        folder.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(
            [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:",
             f"{name}=={version}", "-d", str(folder)],
            capture_output=True, text=True, timeout=600, check=False,
        )
        found = sorted(folder.glob("*.tar.gz"))
        if not found:
            pytest.skip(f"the {name} {version} sdist could not be fetched with pip: {result.stderr.strip()[-300:]}")
    return tarfile.open(found[0])


def _fixtures(text: str) -> list[str]:
    """The Markdown of each case of a markdown-it fixture file (title, ".", markdown, ".", html, ".")."""
    cases, lines, i = [], text.splitlines(keepends=True), 0
    while i < len(lines):
        if lines[i].rstrip("\n") == "." and i + 1 < len(lines):
            j = i + 1
            while j < len(lines) and lines[j].rstrip("\n") != ".":
                j += 1
            cases.append("".join(lines[i + 1:j]))
            k = j + 1
            while k < len(lines) and lines[k].rstrip("\n") != ".":
                k += 1
            i = k + 1
        else:
            i += 1
    return cases


@pytest.fixture(scope="module")
def documents() -> list[tuple[str, str]]:
    with _sdist() as tar:
        spec: list[dict[str, Any]] = json.load(tar.extractfile(f"{ROOT}/test_cmark_spec/commonmark.json"))  # type: ignore[arg-type]
        docs = [(f"spec {ex['example']} ({ex['section']})", ex["markdown"]) for ex in spec]
        for fixture in ("tables.md", "strikethrough.md"):
            member = tar.extractfile(f"{ROOT}/test_port/fixtures/{fixture}")
            assert member is not None
            docs += [(f"{fixture} {i}", md) for i, md in enumerate(_fixtures(member.read().decode()))]
    assert len(spec) == 652 and len(docs) > 700
    return docs


def _words(text: str) -> collections.Counter[str]:
    return collections.Counter(re.findall(r"\w+", text))


def _tags(html: str) -> list[str]:
    return re.findall(r"<(/?[a-z0-9]+)", html)


def test_reader_sees_the_words_a_renderer_shows(documents: list[tuple[str, str]]) -> None:
    differ = []
    for name, source in documents:
        ours = analyze(source, markup="markdown").text
        theirs = extract(pyromark.html(source, options=OPTIONS)).text
        if _words(ours) != _words(theirs) and not any(name.startswith(f"spec {n} ") for n in COMMENT_EXAMPLES):
            differ.append((name, source, ours, theirs))
    assert differ == []


def test_spans_lie_in_the_source_and_drafts_are_stored_as_typed(documents: list[tuple[str, str]]) -> None:
    for name, source in documents:
        assert_maps_into_source(source, "markdown", name)


def censor_each(documents: list[tuple[str, str]], markup: str,
                tags: Callable[[str], object]) -> tuple[int, list[tuple[str, str, str]]]:
    """Check every document; how many were censored, and those whose tags (as ``tags`` reads
    them) changed. A document that is not censored must be stored exactly as written."""
    censored_count = 0
    broken = []
    for name, source in documents:
        verdict = GUARD.check(source, markup=markup)
        out = content_to_store(verdict)
        if verdict.action is not Action.CENSOR:
            assert out == source, name
            continue
        censored_count += 1
        if tags(out) != tags(source):
            broken.append((name, source, out))
    return censored_count, broken


def test_censoring_keeps_every_tag(documents: list[tuple[str, str]]) -> None:
    censored_count, broken = censor_each(documents, "markdown", lambda s: _tags(pyromark.html(s, options=OPTIONS)))
    assert broken == []
    assert censored_count > 350  # most examples name foo, bar or baz


# --- BBCode nobody here wrote: the same documents, converted by md2bbcode --------------------


@pytest.fixture(scope="module")
def bbcode_documents(documents: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The spec's documents as BBCode, written by md2bbcode (a mistune renderer that forums use to
    post Markdown READMEs as XenForo/phpBB BBCode): tags, options, quotes, lists and code we did
    not choose."""
    convert = pytest.importorskip("md2bbcode.main").process_readme
    return [(name, convert(source)) for name, source in documents]


def _bb_tokens(source: str) -> list[tuple[int, str | None]]:
    import bbcode

    parser = bbcode.Parser()
    return [(t, name) for t, name, _, _ in parser.tokenize(source) if t != parser.TOKEN_DATA]


def test_bbcode_documents_map_into_their_source(bbcode_documents: list[tuple[str, str]]) -> None:
    tags = collections.Counter()
    for name, source in bbcode_documents:
        assert_maps_into_source(source, "bbcode", name)
        tags.update(re.findall(r"\[/?([A-Za-z*]+)", source))
    assert {"b", "i", "url", "img", "QUOTE", "CODE", "list", "*"} <= set(tags)  # a real mix of tags


def test_bbcode_censoring_keeps_every_tag(bbcode_documents: list[tuple[str, str]]) -> None:
    censored_count, broken = censor_each(bbcode_documents, "bbcode", _bb_tokens)
    assert broken == []
    assert censored_count > 300
