"""The interchange formats of word lists: what ``import`` reads and ``export`` writes.

- ``text``: forum_guard's own format with its ``# name:`` header (:mod:`forum_guard.engine.terms`);
- ``plain``: one term a line, as public lists are published (no header; ``#`` lines are comments);
- ``csv``: Discourse's watched-words export, ``word[,replacement[,case_sensitive]]`` a row.

Plain Python on text: no database here. The store imports through these functions, and so does the
CLI's ``import --dry-run``.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import os
from pathlib import Path
from typing import Literal

from ..errors import WordlistError
from .actions import Action
from .terms import ListKind, Term, WordList, dump_wordlist, parse_wordlist, read_terms

__all__ = [
    "MAX_IMPORT_BYTES",
    "ExportFormat",
    "ImportFormat",
    "count_terms",
    "export_text",
    "parse_import_file",
    "parse_import_text",
    "read_import_file",
    "sniff_format",
    "term_key",
]

ImportFormat = Literal["auto", "text", "plain", "csv"]
ExportFormat = Literal["text", "plain", "csv"]

#: The largest file an import reads, in bytes (200k terms of a typical list take about 3 MB).
MAX_IMPORT_BYTES = 32 * 1024 * 1024

_HEADER_KEYS = ("name", "kind", "action", "replacement", "evasion", "inflections", "description")


def term_key(term: Term) -> str:
    """A term's identity within a list: what ``parse_wordlist`` calls a repeat (text compared
    case-insensitively, with its wildcards and its ``!``)."""
    return (("!" if term.exception else "") + ("*" if term.wildcard_start else "") + term.text.casefold()
            + ("*" if term.wildcard_end else ""))


def sniff_format(text: str, path: str | None = None) -> ImportFormat:
    """``csv`` for a ``*.csv`` file, ``text`` when the leading comments hold a header key
    (``# name: …``), else ``plain``."""
    if path and path.lower().endswith(".csv"):
        return "csv"
    for raw in text.lstrip("\ufeff").splitlines():
        line = raw.strip()
        if not line:
            continue
        if not line.startswith("#"):
            break
        key = line[1:].partition(":")[0].strip().lower()
        if ":" in line and key in _HEADER_KEYS:
            return "text"
    return "plain"


def count_terms(text: str) -> int:
    """How many lines of ``text`` hold a term (not blank, not a comment): cheap, without parsing,
    so that a file far too big for a store is refused before it is parsed."""
    return sum(1 for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#"))


def _parse_plain(text: str, *, name: str, source: str, kind: ListKind = ListKind.TERMS,
                 action: Action = Action.BLOCK) -> WordList:
    """One term a line as found in public lists: no header, ``#`` lines are comments, repeats are
    merged (case-insensitively) with a note, a leading ``!`` is a literal character, not an
    exception; masked and symbol terms load (see :func:`~forum_guard.engine.terms.read_terms`)."""
    lines = [(n, raw.strip()) for n, raw in enumerate(text.lstrip("\ufeff").splitlines(), start=1)]
    terms, notes = read_terms([(n, line) for n, line in lines if line and not line.startswith("#")], kind,
                              source=source, plain=True)
    return WordList(name=name, terms=tuple(terms), action=action, kind=kind,
                    inflections=kind is ListKind.TERMS, source=source, notes=tuple(notes))


#: A cell starting with one of these is a formula to a spreadsheet (OWASP's "CSV injection"): the
#: export puts an apostrophe before it, which spreadsheets show as text, and the import takes it off.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _to_cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


def _from_cell(value: str) -> str:
    return value[1:] if value.startswith("'") and value[1:].startswith(_FORMULA_START) else value


def _parse_csv(text: str, *, name: str, source: str, action: Action = Action.BLOCK) -> WordList:
    """Discourse's watched-words CSV: ``word[,replacement[,case_sensitive]]`` a row, no header (a first
    row ``word,…`` is taken as one). The action is the file's (Discourse keeps one file per action)."""
    terms: list[Term] = []
    seen: set[str] = set()
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    try:
        for row in reader:
            lineno = reader.line_num
            if not row or not row[0].strip():
                continue
            word = _from_cell(row[0].strip())
            if lineno == 1 and word.lower() == "word":
                continue
            replacement = _from_cell(row[1].strip()) if len(row) > 1 and row[1].strip() else None
            body = "\\" + word if word[0] in "!#\\" else word
            try:
                term = Term.parse(body)
            except ValueError as exc:
                raise WordlistError(str(exc), source=source, line=lineno) from None
            if replacement is not None:
                if "\n" in replacement or "\r" in replacement:
                    raise WordlistError("replacement contains a line break", source=source, line=lineno)
                term = Term(term.text, term.wildcard_start, term.wildcard_end, False, replacement, None)
            key = term_key(term)
            if key not in seen:
                seen.add(key)
                terms.append(term)
    except csv.Error as exc:
        raise WordlistError(f"not valid CSV: {exc}", source=source, line=reader.line_num) from None
    return WordList(name=name, terms=tuple(terms), action=action, source=source)


def parse_import_text(text: str, *, name: str, source: str, format: ImportFormat = "auto",
                      action: Action | None = None, kind: ListKind | None = None) -> WordList:
    """Parse one file's text in one of the import formats. ``name`` names a list whose text does not;
    ``action``/``kind`` override the header's (text) or the default block/terms (plain, csv)."""
    fmt = sniff_format(text, source) if format == "auto" else format
    if fmt == "text":
        wl = parse_wordlist(text, name=name, source=source)
        if kind is not None and kind is not wl.kind:
            raise WordlistError(f"the file is a {wl.kind.value} list, not {kind.value}", source=source)
        if action is not None:
            wl = dataclasses.replace(wl, action=action)  # keeps every other option and the load notes
        return wl
    if fmt == "plain":
        return _parse_plain(text, name=name, source=source, kind=kind or ListKind.TERMS,
                            action=action or Action.BLOCK)
    if fmt == "csv":
        if kind is ListKind.DOMAINS:
            raise WordlistError("CSV imports hold terms, not domains", source=source)
        return _parse_csv(text, name=name, source=source, action=action or Action.BLOCK)
    raise ValueError(f"unknown import format {format!r} (text, plain, csv or auto)")


def read_import_file(path: str | os.PathLike[str]) -> str:
    """A file's text for an import: at most :data:`MAX_IMPORT_BYTES`, valid UTF-8 (errors name the
    file, and the line of a bad byte)."""
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > MAX_IMPORT_BYTES:
            raise WordlistError(f"the file is {size:,} bytes; an import reads at most {MAX_IMPORT_BYTES:,}",
                                source=str(p))
        data = p.read_bytes()
    except OSError as exc:
        raise WordlistError(f"cannot read: {exc.strerror or exc}", source=str(p)) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise WordlistError("not valid UTF-8", source=str(p), line=data[: exc.start].count(b"\n") + 1) from None


def parse_import_file(path: str | os.PathLike[str], *, name: str | None = None, format: ImportFormat = "auto",
                      action: Action | None = None, kind: ListKind | None = None) -> WordList:
    """Read and parse one file; errors name the file and line (:class:`WordlistError`)."""
    p = Path(path)
    return parse_import_text(read_import_file(p), name=name or p.stem, source=str(p), format=format,
                             action=action, kind=kind)


def export_text(wordlist: WordList, format: ExportFormat = "text") -> str:
    """A list in an export format. ``plain`` and ``csv`` cannot hold exceptions or list options;
    ``csv`` is Discourse's watched-words upload format (word, replacement)."""
    if format == "text":
        return dump_wordlist(wordlist)
    if format == "plain":
        return "".join(t.pattern + "\n" for t in wordlist.terms if not t.exception)
    if format == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        for t in wordlist.terms:
            if t.exception:
                continue
            cells = [t.pattern, t.replacement] if t.replacement else [t.pattern]
            writer.writerow([_to_cell(c) for c in cells])
        return out.getvalue()
    raise ValueError(f"unknown export format {format!r} (text, plain or csv)")
