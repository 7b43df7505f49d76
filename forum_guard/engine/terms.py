"""Terms, word lists and the wordlist text format.

The format, one term a line (see the README for the full description)::

    # name: profanity
    # action: block            block | require_approval | flag | censor
    # kind: terms              terms | domains
    # replacement: ***         censor text for the whole list (optional)
    # evasion: on              see through l33t, homoglyphs, separators, repeats
    # inflections: on          a plain `word` also catches -s -es -ed -ing -er -ers
    # description: Strong English profanity
    fuck*                      word and any continuation
    *hole                      any word ending in it
    *shit*                     anywhere, even inside words (Scunthorpe-risky)
    two words                  phrase: any whitespace or punctuation between
    darn => d**n               per-term censor text
    !scunthorpe                exception: never flagged by this list
    word  # a comment          trailing comment kept with the term

A file with no header loads as a block list named after the file, with the default options.
``parse_wordlist(dump_wordlist(wl)) == wl`` for every valid list.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..errors import WordlistError
from .actions import Action

__all__ = [
    "MAX_TERM_LENGTH",
    "Action",
    "ListKind",
    "Term",
    "WordList",
    "dump_wordlist",
    "load_wordlist",
    "load_wordlists",
    "parse_wordlist",
]

#: Longest term accepted, in characters (a term is a word or a short phrase).
MAX_TERM_LENGTH = 200
#: Longest list name.
MAX_NAME_LENGTH = 64


class ListKind(enum.Enum):
    """``terms``: words and phrases; ``domains``: hosts matched in links and bare mentions."""

    TERMS = "terms"
    DOMAINS = "domains"


_HOST_RE = re.compile(r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}$")


@dataclass(frozen=True, slots=True)
class Term:
    """One line of a list: a word, phrase, wildcard pattern, domain or exception."""

    text: str
    #: ``*word``: may be preceded by other letters (matches word endings).
    wildcard_start: bool = False
    #: ``word*``: may be followed by other letters (matches word beginnings).
    wildcard_end: bool = False
    #: ``!word``: never flagged by this list.
    exception: bool = False
    #: ``word => text``: censor replacement for this term.
    replacement: str | None = None
    #: trailing ``# comment``.
    note: str | None = None

    @property
    def pattern(self) -> str:
        """The term as written in a list, without exception mark, replacement or note."""
        return ("*" if self.wildcard_start else "") + self.text + ("*" if self.wildcard_end else "")

    def to_line(self) -> str:
        line = ("!" if self.exception else "") + _escape(self.pattern)
        if self.replacement is not None:
            line += f" => {self.replacement}"
        if self.note:
            line += f"  # {self.note}"
        return line

    @classmethod
    def parse(cls, line: str, *, kind: ListKind = ListKind.TERMS) -> Term:
        """Parse one term line (no header, no blank). Raises ValueError with a reason."""
        return _parse_term(line, kind)


@dataclass(frozen=True, slots=True)
class WordList:
    """A named list of terms with one action and its options."""

    name: str
    terms: tuple[Term, ...] = ()
    action: Action = Action.BLOCK
    kind: ListKind = ListKind.TERMS
    replacement: str | None = None
    evasion: bool = True
    inflections: bool = True
    description: str = ""
    #: the language of the terms (ISO 639-1): other than English, each word's inflections are
    #: matched through its Snowball stem (:mod:`forum_guard.engine.stemming`); "" is English
    language: str = ""
    #: where the list came from (a file path, ``db:NAME``); informational, not part of the format.
    source: str | None = field(default=None, compare=False)

    @property
    def words(self) -> tuple[Term, ...]:
        return tuple(t for t in self.terms if not t.exception)

    @property
    def exceptions(self) -> tuple[Term, ...]:
        return tuple(t for t in self.terms if t.exception)

    def with_terms(self, terms: Iterable[Term]) -> WordList:
        return replace(self, terms=tuple(terms))


# --------------------------------------------------------------------------------------------
# parsing

_HEADER_RE = re.compile(r"^#\s*([A-Za-z_][A-Za-z0-9_-]*)\s*:\s*(.*?)\s*$")
_HEADER_KEYS = ("name", "kind", "action", "replacement", "evasion", "inflections", "language", "description")
_TRUE = {"on", "yes", "true", "1"}
_FALSE = {"off", "no", "false", "0"}
_NAME_RE = re.compile(r"^[\w][\w .-]*$")


def _escape(pattern: str) -> str:
    # a leading "!" or "#" in a real term is written with a backslash
    if pattern[:1] in ("!", "#", "\\"):
        return "\\" + pattern
    return pattern


def _split_note(line: str) -> tuple[str, str | None]:
    idx = line.find(" #")
    if idx < 0:
        idx = line.find("\t#")
    if idx < 0:
        return line, None
    return line[:idx].rstrip(), line[idx + 2 :].strip() or None


def _parse_term(raw: str, kind: ListKind) -> Term:
    body, note = _split_note(raw.strip())
    exception = False
    if body.startswith("\\"):
        body = body[1:]
    elif body.startswith("!"):
        exception = True
        body = body[1:].lstrip()
    replacement: str | None = None
    if "=>" in body:
        body, _, rep = body.partition("=>")
        body = body.rstrip()
        replacement = rep.strip()
        if not replacement:
            raise ValueError("'=>' must be followed by the replacement text")
        if exception:
            raise ValueError("an exception (!term) cannot have a replacement")
    body = " ".join(body.split())  # phrases: any run of whitespace is one separator
    if kind is ListKind.DOMAINS:
        body = body.removeprefix("*.")  # "*.example.com": subdomains always match anyway
    wildcard_start = body.startswith("*")
    wildcard_end = body.endswith("*") and len(body) > 1
    text = body.strip("*").strip()
    if not text:
        raise ValueError("empty term" if not body else f"term {body!r} has no letters besides wildcards")
    if "*" in text:
        raise ValueError(f"term {body!r}: '*' is only allowed at the start or end of a term")
    if len(text) > MAX_TERM_LENGTH:
        raise ValueError(f"term is {len(text)} characters long; the maximum is {MAX_TERM_LENGTH}")
    if any(ch in text for ch in "\x00\r\n"):
        raise ValueError("term contains a control character")
    if not any(ch.isalnum() for ch in text):
        raise ValueError(f"term {text!r} has no letter or digit")
    if kind is ListKind.DOMAINS:
        host = text.lower()
        if wildcard_start or wildcard_end:
            raise ValueError(f"domain {body!r}: wildcards are not used in domain lists (subdomains always match)")
        if not _HOST_RE.match(host.encode("idna").decode("ascii") if not host.isascii() else host):
            raise ValueError(f"{text!r} is not a host name such as example.com")
        text = host
    return Term(text, wildcard_start, wildcard_end, exception, replacement, note)


def _parse_bool(value: str) -> bool:
    v = value.strip().lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    raise ValueError(f"expected on or off, got {value!r}")


def parse_wordlist(text: str, *, name: str | None = None, source: str | None = None) -> WordList:
    """Parse the wordlist text format. Raises :class:`WordlistError` naming source and line.

    ``name`` is used when the text has no ``# name:`` header (for files: the file's stem).
    """
    src = source or (f"<{name}>" if name else "<wordlist>")
    if text.startswith("\ufeff"):
        text = text[1:]
    header: dict[str, str] = {}
    in_header = True
    term_lines: list[tuple[int, str]] = []
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            m = _HEADER_RE.match(line)
            if in_header and m and m.group(1).lower() in _HEADER_KEYS:
                key = m.group(1).lower()
                if key in header:
                    raise WordlistError(f"header key {key!r} given twice", source=src, line=lineno)
                header[key] = m.group(2)
            continue
        in_header = False
        term_lines.append((lineno, line))

    def header_value(key: str, conv, default):  # type: ignore[no-untyped-def]
        if key not in header:
            return default
        try:
            return conv(header[key])
        except ValueError as exc:
            lineno = _header_line(text, key)
            raise WordlistError(f"header {key!r}: {exc}", source=src, line=lineno) from None

    list_name = header.get("name") or name or "wordlist"
    list_name = list_name.strip()
    if not _NAME_RE.match(list_name) or len(list_name) > MAX_NAME_LENGTH:
        raise WordlistError(
            f"list name {list_name!r} must be 1-{MAX_NAME_LENGTH} letters, digits, spaces, '.', '-' or '_'",
            source=src, line=_header_line(text, "name"),
        )
    kind = header_value("kind", lambda v: ListKind(v.strip().lower()), ListKind.TERMS)
    action = header_value("action", Action.parse, Action.BLOCK)
    if action is Action.ALLOW:
        raise WordlistError("a list's action cannot be 'allow'", source=src, line=_header_line(text, "action"))
    evasion = header_value("evasion", _parse_bool, True)
    inflections = header_value("inflections", _parse_bool, kind is ListKind.TERMS)
    replacement = header.get("replacement") or None
    language = header_value("language", parse_language, "")

    terms: list[Term] = []
    seen: dict[tuple[str, bool, bool, bool], int] = {}
    for lineno, line in term_lines:
        try:
            term = _parse_term(line, kind)
        except ValueError as exc:
            raise WordlistError(str(exc), source=src, line=lineno) from None
        key = (term.text.casefold(), term.wildcard_start, term.wildcard_end, term.exception)
        if key in seen:
            raise WordlistError(
                f"{term.to_line()!r} repeats line {seen[key]}", source=src, line=lineno
            )
        seen[key] = lineno
        terms.append(term)
    return WordList(
        name=list_name, terms=tuple(terms), action=action, kind=kind, replacement=replacement,
        evasion=evasion, inflections=inflections, description=header.get("description", ""), source=source,
        language=language,
    )


def _header_line(text: str, key: str) -> int | None:
    for lineno, raw in enumerate(text.splitlines(), start=1):
        m = _HEADER_RE.match(raw.strip())
        if m and m.group(1).lower() == key:
            return lineno
    return None


def parse_language(value: str) -> str:
    """A list's ``language:``: an ISO 639-1 code Snowball knows (``ru``, ``de``…), or ``en``/empty
    for English (the built-in inflections); ``ValueError`` names the codes it knows."""
    code = value.strip().lower()
    if code in ("", "en"):
        return ""
    from .stemming import language_name

    language_name(code)
    return code


def dump_wordlist(wordlist: WordList) -> str:
    """Write a list in the text format (canonical: header, then terms in their order)."""
    lines = [f"# name: {wordlist.name}"]
    if wordlist.kind is not ListKind.TERMS:
        lines.append(f"# kind: {wordlist.kind.value}")
    lines.append(f"# action: {wordlist.action.value}")
    if wordlist.replacement:
        lines.append(f"# replacement: {wordlist.replacement}")
    lines.append(f"# evasion: {'on' if wordlist.evasion else 'off'}")
    default_inflections = wordlist.kind is ListKind.TERMS
    if wordlist.inflections != default_inflections or wordlist.kind is ListKind.TERMS:
        lines.append(f"# inflections: {'on' if wordlist.inflections else 'off'}")
    if wordlist.language:
        lines.append(f"# language: {wordlist.language}")
    if wordlist.description:
        lines.append(f"# description: {' '.join(wordlist.description.split())}")
    lines.append("")
    lines.extend(term.to_line() for term in wordlist.terms)
    return "\n".join(lines) + "\n"


def load_wordlist(path: str | Path) -> WordList:
    """Load one list file; the file's stem names a list that has no ``# name:`` header."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise WordlistError(f"cannot read: {exc.strerror or exc}", source=str(p)) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise WordlistError("not valid UTF-8", source=str(p), line=line) from None
    return parse_wordlist(text, name=p.stem, source=str(p))


def load_wordlists(directory: str | Path) -> list[WordList]:
    """Every ``*.txt`` list in a folder, sorted by file name. All load, or an error is raised."""
    d = Path(directory)
    if not d.is_dir():
        raise WordlistError("not a folder", source=str(d))
    lists = [load_wordlist(p) for p in sorted(d.glob("*.txt"))]
    names: dict[str, str] = {}
    for wl in lists:
        if wl.name in names:
            raise WordlistError(f"list name {wl.name!r} is also used by {names[wl.name]}", source=wl.source)
        names[wl.name] = wl.source or wl.name
    return lists
