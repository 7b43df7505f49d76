"""Terms, word lists and the wordlist text format.

The format, one term a line (see the README for the full description)::

    # name: profanity
    # action: block            block | require_approval | flag | censor
    # kind: terms              terms | domains
    # replacement: ***         censor text for the whole list (optional)
    # evasion: on              see through l33t, homoglyphs, separators, repeats
    # inflections: on          a plain `word` also catches -s -es -ed -ing -er -ers
    # derive: y o ish head     also the word + these suffixes (fucko, cunty, twattish), unless
    #                          that is an innocent dictionary word (hellish, cocky, hello);
    #                          `phrase-words`: each word of a phrase takes -s -es -ed -ing
    #                          ("buying followers" from "buy followers")
    # description: Strong English profanity
    fuck*                      word and any continuation
    *hole                      any word ending in it
    *shit*                     anywhere, even inside words (Scunthorpe-risky)
    two words                  phrase: any whitespace or punctuation between
    darn => d**n               per-term censor text
    !scunthorpe                exception: never flagged by this list
    word  # a comment          trailing comment kept with the term
    f*ck  mother****           masked spellings, as public lists write them: matched as written
    🖕  @$$                    symbol terms: matched literally, character for character

Files are read the way public lists are written. What loading did to a line beyond reading it
plainly is kept in :attr:`WordList.notes` (a :class:`LoadNote` per line: a symbol term matched
literally, a masked spelling, a repeat merged, a term refused because it folds to almost nothing).
A line that cannot be a term at all is a :class:`WordlistError` naming file and line; in a folder
(:func:`load_wordlists` with ``broken=``) that one list is skipped and reported, the others load.

A file with no header loads as a block list named after the file, with the default options.
``parse_wordlist(dump_wordlist(wl)) == wl`` for every valid list.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..errors import WordlistError
from .actions import Action

__all__ = [
    "MAX_TERM_LENGTH",
    "PHRASE_WORDS",
    "Action",
    "ListKind",
    "LiteralTerms",
    "LoadNote",
    "Term",
    "WordList",
    "derived_terms",
    "dump_wordlist",
    "literal_exception",
    "load_wordlist",
    "load_wordlists",
    "parse_derive",
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
class LoadNote:
    """What loading did to one line of a list file, beyond reading it plainly."""

    #: ``literal`` (a symbol term, matched character for character), ``masked`` (``*`` inside a
    #: term), ``merged`` (a repeat, also in other case, folded into the first), ``refused`` (left out)
    what: str
    line: int | None
    pattern: str
    message: str
    source: str | None = None

    @property
    def warning(self) -> bool:
        return self.what in ("merged", "refused")

    def __str__(self) -> str:
        where = self.source or "<wordlist>"
        if self.line is not None:
            where = f"{where}:{self.line}"
        return f"{where}: {self.what}: {self.pattern!r}: {self.message}"


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

    @property
    def masked(self) -> bool:
        """``f*ck``, ``mother****``: a ``*`` stands for a letter (public lists write masked spellings)."""
        return "*" in self.text

    @property
    def literal(self) -> bool:
        """Matched character for character (case aside) rather than through the skeleton: terms with
        no letter (``🖕``, ``@$$``) and masked spellings (``f*ck``)."""
        text = self.text
        if "*" in text:
            return True
        # a plain word is the common case (a 100k-term compile asks this 300k times)
        return not (text.isalpha() or any(ch.isalpha() for ch in text))

    def to_line(self) -> str:
        line = ("!" if self.exception else "") + _escape(self.pattern)
        if self.replacement is not None:
            line += f" => {self.replacement}"
        if self.note:
            line += f"  # {self.note}"
        return line

    @classmethod
    def parse(cls, line: str, *, kind: ListKind = ListKind.TERMS, masks: bool = False) -> Term:
        """Parse one term line (no header, no blank). Raises ValueError with a reason.

        ``masks``: a ``*`` inside the term (``f*ck``) or two or more at an end (``f***``) is a
        masked letter, as in list files; otherwise only a wildcard at the start or end."""
        return _parse_term(line, kind, masks=masks)


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
    #: suffixes each plain one-word term also takes (``derive: y o ish head``: fucko, cunty,
    #: bitchish), and ``phrase-words`` (each word of a phrase inflected); a derived form that is
    #: an innocent dictionary word is excused by the Scunthorpe guard (see :func:`derived_terms`)
    derive: tuple[str, ...] = ()
    #: derived forms left out because they spell an innocent dictionary word ("hello" from hell + o,
    #: "cocky"): set by the Scunthorpe guard when a ruleset is compiled; not part of the format
    underived: frozenset[str] = field(default=frozenset(), compare=False)
    #: where the list came from (a file path, ``db:NAME``); informational, not part of the format.
    source: str | None = field(default=None, compare=False)
    #: what loading did to lines of the file (:class:`LoadNote`); informational, not part of the format.
    notes: tuple[LoadNote, ...] = field(default=(), compare=False)

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
_HEADER_KEYS = ("name", "kind", "action", "replacement", "evasion", "inflections", "language", "derive",
                "description")
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


#: symbols that read as letters (l33t): a term made of them (``@$$``) is a real term, matched literally
_LEET_SYMBOLS = frozenset("4@83619105$7+!|")


def _symbol_term(text: str) -> bool:
    """A term with no letter that is still a term: a pictograph or emoji (``🖕``) or l33t symbols
    (``@$$``). Punctuation alone (``---``) is not."""
    if any(unicodedata.category(ch) == "So" for ch in text):
        return True
    return sum(ch in _LEET_SYMBOLS for ch in text) >= 2 and any(not ch.isdigit() for ch in text)


def _split_wildcards(body: str, masks: bool) -> tuple[bool, bool, str]:
    if not masks:
        wildcard_start = body.startswith("*")
        wildcard_end = body.endswith("*") and len(body) > 1
        return wildcard_start, wildcard_end, body.strip("*").strip()
    # in list files: one star at an end is a wildcard, two or more are masked letters ("f***")
    lead = len(body) - len(body.lstrip("*"))
    trail = len(body) - len(body.rstrip("*"))
    if lead == len(body):
        return True, False, ""
    wildcard_start = lead == 1
    wildcard_end = trail == 1
    text = body[1 if wildcard_start else 0 : len(body) - (1 if wildcard_end else 0)]
    return wildcard_start, wildcard_end, text.strip()


def _parse_term(raw: str, kind: ListKind, *, masks: bool = False) -> Term:
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
        masks = False
    wildcard_start, wildcard_end, text = _split_wildcards(body, masks)
    if not text.strip("*"):
        raise ValueError("empty term" if not body else f"term {body!r} has no letters besides wildcards")
    if "*" in text and not masks:
        raise ValueError(f"term {body!r}: '*' is only allowed at the start or end of a term")
    if len(text) > MAX_TERM_LENGTH:
        raise ValueError(f"term is {len(text)} characters long; the maximum is {MAX_TERM_LENGTH}")
    if any(ch in text for ch in "\x00\r\n"):
        raise ValueError("term contains a control character")
    if not any(ch.isalnum() for ch in text) and not (masks and _symbol_term(text)):
        raise ValueError(f"term {text!r} has no letter or digit")
    if kind is ListKind.DOMAINS:
        host = text.lower()
        if wildcard_start or wildcard_end:
            raise ValueError(f"domain {body!r}: wildcards are not used in domain lists (subdomains always match)")
        if not _HOST_RE.match(host.encode("idna").decode("ascii") if not host.isascii() else host):
            raise ValueError(f"{text!r} is not a host name such as example.com")
        text = host
    return Term(text, wildcard_start, wildcard_end, exception, replacement, note)


def _line_note(term: Term, lineno: int, source: str | None) -> LoadNote | str | None:
    """The note for a term as loaded from a file, or a reason to refuse it (a str), or None."""
    text = term.text
    if term.masked:
        letters = sum(ch.isalnum() for ch in text)
        stars = text.count("*")
        if letters < 2 or stars > letters + 1:
            return f"only {letters} letter(s) besides {stars} masked: it would hit any such short word"
        return LoadNote("masked", lineno, term.pattern, "'*' read as a masked letter: matched as written "
                        "(case aside), not through l33t or repeats", source)
    if not any(ch.isalpha() for ch in text) and (_symbol_term(text) or not any(ch.isdigit() for ch in text)):
        return LoadNote("literal", lineno, term.pattern, "no letter: matched literally, character for "
                        "character", source)
    from .normalize import fold_term  # the matcher's own folding (imported late: terms is the bottom layer)

    skeleton = fold_term(text)[0]
    if skeleton.isascii() and all(len(word) < 2 for word in skeleton.split()):
        return (f"folds to {skeleton!r}, which would hit single letters, digits, placeholders such as "
                "XXX and code")
    return None


def read_terms(lines: Iterable[tuple[int, str]], kind: ListKind, *, source: str | None,
               plain: bool = False) -> tuple[list[Term], list[LoadNote]]:
    """Terms of numbered list lines, with what was done to them. A line that cannot be a term is
    a :class:`WordlistError` naming source and line. ``plain``: a leading ``!`` is a character
    (public lists have no exceptions)."""
    terms: list[Term] = []
    notes: list[LoadNote] = []
    seen: dict[tuple[str, bool, bool, bool], tuple[int, str]] = {}
    for lineno, line in lines:
        body = "\\" + line if plain and line[:1] in "!\\" else line
        try:
            term = _parse_term(body, kind, masks=True)
        except ValueError as exc:
            raise WordlistError(str(exc), source=source, line=lineno) from None
        key = (term.text.casefold(), term.wildcard_start, term.wildcard_end, term.exception)
        if key in seen:
            first_line, first = seen[key]
            same = "repeats" if first == term.pattern else f"repeats {first!r} in other case:"
            notes.append(LoadNote("merged", lineno, term.to_line(), f"{same} line {first_line}; merged into it",
                                  source))
            continue
        seen[key] = (lineno, term.pattern)
        if kind is ListKind.TERMS:
            note = _line_note(term, lineno, source)
            if isinstance(note, str):
                notes.append(LoadNote("refused", lineno, term.to_line(), note + "; left out", source))
                continue
            if note is not None:
                notes.append(note)
        terms.append(term)
    return terms, notes


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
    derive = header_value("derive", parse_derive, ())
    if derive and kind is not ListKind.TERMS:
        raise WordlistError("header 'derive': only a list of terms derives forms", source=src,
                            line=_header_line(text, "derive"))

    terms, notes = read_terms(term_lines, kind, source=src)
    return WordList(
        name=list_name, terms=tuple(terms), action=action, kind=kind, replacement=replacement,
        evasion=evasion, inflections=inflections, description=header.get("description", ""), source=source,
        language=language, derive=derive,
        notes=tuple(notes),
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


#: the most suffixes one list derives, and the longest one (each suffix is keys for every term)
MAX_DERIVE = 12
MAX_SUFFIX = 8
_SUFFIX_RE = re.compile(rf"^[a-z]{{1,{MAX_SUFFIX}}}$")
#: the ``derive:`` token that inflects every word of a phrase
PHRASE_WORDS = "phrase-words"


def parse_derive(value: str | Iterable[str]) -> tuple[str, ...]:
    """A list's ``derive:`` option: suffixes separated by spaces or commas, each 1-8 ASCII letters,
    an optional leading ``-`` (``y o ish head``, ``-y, -ish``), and ``phrase-words``; ``off``,
    ``none`` or empty for none. ``ValueError`` says what is wrong."""
    tokens = value.replace(",", " ").split() if isinstance(value, str) else [str(v) for v in value]
    if [t.lower() for t in tokens] in (["off"], ["none"], ["no"]):
        return ()
    out: dict[str, None] = {}
    for token in tokens:
        suffix = token.strip().lower()
        suffix = suffix if suffix == PHRASE_WORDS else suffix.removeprefix("-")
        if suffix != PHRASE_WORDS and not _SUFFIX_RE.match(suffix):
            raise ValueError(f"suffix {token!r}: 1-{MAX_SUFFIX} letters a-z, as in 'derive: y o ish head', "
                             f"or {PHRASE_WORDS}")
        out[suffix] = None
    if len(out) > MAX_DERIVE:
        raise ValueError(f"{len(out)} suffixes; the most a list derives is {MAX_DERIVE}")
    return tuple(out)


_VOWELS = frozenset("aeiou")
#: words of a phrase that are not inflected (function words: "the" would give "thing")
_PHRASE_FIXED = frozenset((
    "a", "an", "the", "and", "or", "but", "nor", "of", "to", "in", "on", "at", "by", "for", "from", "with",
    "into", "onto", "off", "up", "out", "over", "down", "away", "my", "your", "yours", "yourself",
    "yourselves", "ur", "urself", "his", "her", "hers", "him", "himself", "herself", "its", "it", "itself",
    "our", "ours", "ourselves", "their", "theirs", "them", "themselves", "me", "myself", "you", "we", "they",
    "he", "she", "i", "us", "this", "that", "these", "those", "is", "are", "was", "were", "be", "been", "am",
    "do", "does", "did", "has", "have", "had", "will", "would", "shall", "should", "can", "could", "may",
    "might", "must", "not", "no", "so", "as", "if", "than", "then", "there", "here", "what", "who", "whom",
    "which", "when", "where", "why", "how", "all", "any", "some",
))


def _with_suffix(text: str, suffix: str) -> list[str]:
    """``text`` + ``suffix`` as English spells it: the final consonant doubled after one short
    vowel before a suffix that starts with a vowel or y (shitty, crappy, snobbish; never before
    -o: fucko, wacko), a final e dropped before one (whory), and the plain join besides (shity,
    whorey: how posters write them)."""
    forms = [text + suffix]
    if suffix[0] in "aeiuy":
        if (len(text) >= 3 and text[-1] not in _VOWELS and text[-1] not in "wxy" and text[-2] in _VOWELS
                and text[-3] not in _VOWELS):
            forms.insert(0, text + text[-1] + suffix)
        elif text.endswith("e") and len(text) > 2:
            forms.append(text[:-1] + suffix)
    return forms


def derived_terms(term: Term, wl: WordList) -> list[Term]:
    """The other spellings a term stands for under its list's options, matched as the term itself
    (same list, same term) and guarded like its loose forms (:mod:`forum_guard.engine.dictionary`):

    * ``derive:`` suffixes, for a one-word term of letters with no wildcard at its end
      (``shit`` + y: shitty and shity; ``fuck`` + o: fucko; ``dick`` + head: dickhead);
    * with ``derive: phrase-words``, each word of a phrase in its -s -es -ed -ing forms, one
      word at a time (``jerk off``: jerking off, jerked off; ``buy followers``: buying
      followers), function words and words of one or two letters left as written (``shut the
      f up`` never becomes "shut thing f up"); the last word only when the list's
      ``inflections`` are off (else it inflects as any word does). The guard keeps only forms
      that are words of its dictionary ("buying", not "fres" from free). An opt-in: noun
      compounds would read wrong ("blow job" is not "blowing jobs");
    * with ``evasion`` on, a phrase of 8 letters or more with its words run together
      (``crypto giveaway``: cryptogiveaway, as a hashtag or a spelled-out run writes it).

    Exceptions, literal terms and domain lists derive nothing."""
    if term.exception or term.literal or wl.kind is not ListKind.TERMS or not term.text:
        return []
    text = term.text.casefold()
    words = text.split(" ")
    out: dict[str, Term] = {}
    if len(words) == 1:
        if wl.derive and not term.wildcard_end and text.isalpha() and len(text) >= 3:
            for suffix in wl.derive:
                if suffix == PHRASE_WORDS or text.endswith(suffix):
                    continue
                for form in _with_suffix(text, suffix):
                    if form not in wl.underived:
                        out.setdefault(form, Term(form, wildcard_start=term.wildcard_start))
        return list(out.values())
    if PHRASE_WORDS in wl.derive:
        from .dictionary import exact_forms  # the guard's own spelling of an inflection

        for i, word in enumerate(words if not wl.inflections else words[:-1]):
            if len(word) < 3 or not word.isalpha() or word in _PHRASE_FIXED:
                continue
            for form in sorted(exact_forms(word, True) - {word}):
                phrase = " ".join([*words[:i], form, *words[i + 1 :]])
                if phrase not in wl.underived:
                    out.setdefault(phrase, replace(term, text=phrase, replacement=None, note=None))
    joined = "".join(words)
    if wl.evasion and len(joined) >= 8 and joined.isalpha() and joined not in wl.underived:
        out.setdefault(joined, replace(term, text=joined, replacement=None, note=None))
    return list(out.values())


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
    if wordlist.derive:
        lines.append(f"# derive: {' '.join(wordlist.derive)}")
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


def load_wordlists(directory: str | Path, *, broken: list[WordlistError] | None = None) -> list[WordList]:
    """Every ``*.txt`` list in a folder, sorted by file name.

    Without ``broken`` all load or the first error is raised. With it, a list that cannot load (a
    bad line, bad UTF-8, a name another file took) is appended to ``broken`` and skipped: one broken
    file never takes the other lists down."""
    d = Path(directory)
    if not d.is_dir():
        raise WordlistError("not a folder", source=str(d))
    lists: list[WordList] = []
    names: dict[str, str] = {}
    for p in sorted(d.glob("*.txt")):
        try:
            wl = load_wordlist(p)
            if wl.name in names:
                raise WordlistError(f"list name {wl.name!r} is also used by {names[wl.name]}", source=wl.source)
        except WordlistError as exc:
            if broken is None:
                raise
            broken.append(exc)
            continue
        names[wl.name] = wl.source or wl.name
        lists.append(wl)
    return lists


# --------------------------------------------------------------------------------------------
# literal terms

#: characters that glue a literal onto a word when they touch it (letters, digits, l33t symbols)
_GLUE = r"[\w@$!|+*]"


class LiteralTerms:
    """The literal terms of some lists (:attr:`Term.literal`), found character for character, case
    aside: ``🖕``, ``@$$``, ``f*ck``, ``mother****``. An edge that is a letter, digit or l33t symbol
    must not touch another one (``@$$`` is not inside ``a@$$b``); a pictograph matches anywhere.

    One compiled alternation of escaped literals: no user pattern reaches the regex engine."""

    def __init__(self, lists: Iterable[WordList]) -> None:
        #: casefolded literal -> (list index, term index) of each term spelled so
        self._where: dict[str, list[tuple[int, int]]] = {}
        #: list index -> its exceptions spelled with l33t, casefolded: a hit spelled so is excused
        self._excused: dict[int, set[str]] = {}
        inflected: set[str] = set()
        for li, wl in enumerate(lists):
            if wl.kind is not ListKind.TERMS:
                continue
            for ti, term in enumerate(wl.terms):
                if literal_exception(term):
                    self._excused.setdefault(li, set()).add(term.text.casefold())
                if term.literal and not term.exception:
                    key = term.text.casefold()
                    self._where.setdefault(key, []).append((li, ti))
                    if wl.inflections and key[-1].isalpha():
                        inflected.add(key)  # f*ck: f*cking, f*cks
        self._re: re.Pattern[str] | None = None
        if self._where:
            parts = []
            for lit in sorted(self._where, key=len, reverse=True):
                before = f"(?<!{_GLUE})" if re.match(_GLUE, lit[0]) else ""
                after = f"(?!{_GLUE})" if re.match(_GLUE, lit[-1]) else ""
                suffix = "(?:s|es|ed|ing|in|er|ers)?" if lit in inflected else ""
                parts.append(before + f"({re.escape(lit)})" + suffix + after)
            self._re = re.compile("|".join(parts), re.IGNORECASE)

    def __bool__(self) -> bool:
        return self._re is not None or bool(self._excused)

    def excused(self, list_index: int, matched: str) -> bool:
        """Whether a match of the list spelled ``matched`` is one of its l33t-spelled exceptions."""
        texts = self._excused.get(list_index)
        return bool(texts) and matched.casefold() in texts  # type: ignore[operator]

    def scan(self, text: str) -> list[tuple[int, int, int, int]]:
        """``(list index, term index, start, end)`` of every literal found in ``text``."""
        if self._re is None:
            return []
        out = []
        for m in self._re.finditer(text):
            lit = m.group(m.lastindex or 0)
            for li, ti in self._where.get(lit.casefold(), ()):
                out.append((li, ti, m.start(), m.end()))
        return out


#: characters that fold to a letter (l33t): an exception spelled with them is matched as written
_LEET_CHARS = frozenset("0123456789@$!|+")


def literal_exception(term: Term) -> bool:
    """``!45s``: an exception spelled with digits or symbols read as letters is excused as written
    (folded, it would be ``ass`` and switch the real term off)."""
    return term.exception and any(ch in _LEET_CHARS for ch in term.text)


def without_literals(wl: WordList) -> WordList:
    """The list as the skeleton matcher sees it: literal terms blanked (an empty text compiles to no
    key), so term indices stay those of the list."""
    if wl.kind is not ListKind.TERMS or not any(t.literal for t in wl.terms):
        return wl
    return wl.with_terms(Term("", exception=t.exception) if t.literal else t for t in wl.terms)
