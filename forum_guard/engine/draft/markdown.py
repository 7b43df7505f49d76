"""Markdown drafts: CommonMark with GFM tables and strikethrough, read by pulldown-cmark (the
``pyromark`` binding) into what readers see, mapped back to the source.

pulldown-cmark gives the source range of every event, so each piece of visible text maps to
the characters the poster typed, and its parse is linear (a 100,000-character draft of nested
brackets costs milliseconds, where pure-Python parsers take seconds). Code spans and blocks read
like HTML ``<code>``/``<pre>``: inline code joins the words around it, a block stands apart.
Raw HTML is read as a browser would if the host renders it: tags are invisible (and join the
words on either side), ``<img>`` and ``<a>`` count, their ``alt``/``title`` are checked, and the
text of comments is checked too (a host that escapes raw HTML shows it).
"""

from __future__ import annotations

import html as _html
import re
from typing import Any

from .extract import BREAK_TAGS
from .markup import MarkupBuilder, RenderedMarkup
from .model import SegmentKind

__all__ = ["MarkdownRenderer", "escape_markdown", "read_markdown"]

_LONE_SURROGATE_RE = re.compile("[\ud800-\udfff]")
# a tag of raw HTML, or a comment; linear (no nested quantifier, no backtracking into quotes)
_RAW_TAG_RE = re.compile(r"<!--.*?-->|<[^<>]*>", re.S)
_RAW_TAG_NAME_RE = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)")
_RAW_ATTR_RE = re.compile(r"""([^\s=/>"']+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+)))?""")
# every ASCII punctuation character can be backslash-escaped in CommonMark
_BACKSLASHED = str.maketrans({c: "\\" + c for c in map(chr, range(0x21, 0x7F)) if not c.isalnum()})
_NOT_ALNUM_RE = re.compile(r"[^0-9A-Za-z]")
_INLINE = frozenset({"Emphasis", "Strong", "Strikethrough", "Superscript", "Subscript", "Link", "Image"})
_TEXT, _LITERAL, _WORD = int(SegmentKind.TEXT), int(SegmentKind.LITERAL), int(SegmentKind.WORD)


def _options() -> Any:
    """CommonMark plus the GFM tables and strikethrough forums use."""
    import pyromark

    return pyromark.Options.ENABLE_TABLES | pyromark.Options.ENABLE_STRIKETHROUGH


_OPTIONS: Any = None


def _char_offsets(source: str) -> list[int] | None:
    """Byte offset → character offset for ``source`` in UTF-8; None when they are the same."""
    if source.isascii():
        return None
    import numpy as np

    data = np.frombuffer(source.encode("utf-8"), dtype=np.uint8)
    starts = (data & 0xC0) != 0x80
    prefix = np.zeros(len(data) + 1, dtype=np.int64)
    np.cumsum(starts, out=prefix[1:])
    offsets: list[int] = prefix.tolist()
    return offsets


def _name(value: Any) -> str:
    return value if isinstance(value, str) else next(iter(value))


def _raw_attributes(tag: str) -> dict[str, tuple[str, int]]:
    """Attributes of a raw tag: the value as written and its offset in ``tag``."""
    attrs: dict[str, tuple[str, int]] = {}
    m = _RAW_TAG_NAME_RE.match(tag)
    if m is None:
        return attrs
    for a in _RAW_ATTR_RE.finditer(tag, m.end()):
        for group in (2, 3, 4):
            if a.group(group) is not None:
                attrs.setdefault(a.group(1).lower(), (a.group(group), a.start(group)))
                break
        else:
            attrs.setdefault(a.group(1).lower(), ("", a.end()))
    return attrs


class _Reader:
    """One pass over pulldown-cmark's events, feeding a :class:`MarkupBuilder`."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.b = MarkupBuilder()
        self.offsets = _char_offsets(source)
        # open links: (href, start, end, text_start, first text offset in source, last)
        self.links: list[list[Any]] = []
        # the outermost open image: its alt pieces; nested images only add to its alt
        self.image_depth = 0
        self.alt: list[tuple[str, int, int, int]] = []
        self.image: tuple[str, str, int, int, str] | None = None  # src, title, start, end, ref
        self.raw_link: list[Any] | None = None
        self.references: dict[str, Any] | None = None
        self.titled_references: set[str] = set()

    def char(self, byte: int) -> int:
        return byte if self.offsets is None else self.offsets[byte]

    # --- text ------------------------------------------------------------------------------
    def text(self, text: str, start: int, end: int, kind: int) -> None:
        """Visible text from ``source[start:end]`` (character offsets)."""
        if not text:
            return
        piece = self.source[start:end]
        if len(piece) != len(text):
            at = piece.find(text)
            if at >= 0:
                start, end = start + at, start + at + len(text)
        if self.image_depth:
            self.alt.append((text, start, end, kind))
            return
        if self.links:
            link = self.links[-1]
            if link[4] is None:
                link[4] = start
            link[5] = end
        self.b.text(text, start, end, kind)

    def text_kind(self, in_code_block: int) -> int:
        if self.links and self.links[-1][6]:
            return _WORD if self.links[-1][6] == "Email" else _LITERAL
        return _LITERAL if in_code_block else _TEXT

    def code(self, text: str, start: int, end: int) -> None:
        """An inline code span: its content lies between the backtick runs."""
        piece = self.source[start:end]
        ticks = len(piece) - len(piece.lstrip("`"))
        inner_s, inner_e = start + ticks, max(start + ticks, end - ticks)
        inner = self.source[inner_s:inner_e]
        at = inner.replace("\n", " ").find(text)
        if at >= 0:
            self.text(text, inner_s + at, inner_s + at + len(text), _LITERAL)
        else:
            self.text(text, inner_s, inner_e, _LITERAL)

    # --- raw HTML ---------------------------------------------------------------------------
    def raw_html(self, html: str, start: int, end: int) -> None:
        """Raw HTML (an inline tag, or a line of an HTML block): tags invisible, text visible."""
        if self.source[start:end] != html:  # not where it says: read it without a map
            at = self.source.find(html, start, end + len(html))
            if at < 0:
                return
            start = at
        pos = 0
        for m in _RAW_TAG_RE.finditer(html):
            if m.start() > pos:
                self.raw_text(html[pos:m.start()], start + pos)
            self.raw_tag(m.group(), start + m.start())
            pos = m.end()
        if pos < len(html):
            self.raw_text(html[pos:], start + pos)

    def raw_text(self, text: str, start: int) -> None:
        if self.image_depth:
            return
        for line_start, line in _lines(text, start):
            if line.strip():
                self.b.entity_text(line, line_start, _LITERAL)
            else:
                self.b.gap() if "\n" in line else None

    def raw_tag(self, tag: str, start: int) -> None:
        if tag.startswith("<!--"):
            inner = tag[4:-3]
            if inner.strip():
                self.b.gap()
                self.raw_text(inner, start + 4)
                self.b.gap()
            return
        m = _RAW_TAG_NAME_RE.match(tag)
        if m is None:
            return
        closing, name = bool(m.group(1)), m.group(2).lower()
        if name in BREAK_TAGS:
            self.b.gap()
        if closing:
            if name == "a" and self.raw_link is not None:
                href, tag_s, tag_e, text_s = self.raw_link
                self.b.link(href, tag_s, tag_e, text_s)
                self.raw_link = None
            return
        attrs = _raw_attributes(tag)
        pieces = []
        for attr in ("alt", "title"):
            value = attrs.get(attr)
            if value is not None and value[0].strip():
                pieces.append((_html.unescape(value[0]), start + value[1], start + value[1] + len(value[0])))
        for text, s, e in pieces:
            self.b.attribute([(text, s, e, _LITERAL)])
        if name == "img":
            src = attrs.get("src")
            self.b.image(_html.unescape(src[0]) if src else "", start, start + len(tag))
        elif name == "a" and "href" in attrs:
            self.raw_link = [_html.unescape(attrs["href"][0]), start, start + len(tag), self.b.position]

    # --- links and images -------------------------------------------------------------------
    def title_pieces(self, title: str, start: int, end: int, ref: str) -> list[tuple[str, int, int, int]]:
        """Where a link's or image's title is in the source: in the link, or in its reference
        definition. A title found as written maps 1:1; one written with escapes is one piece."""
        if not title.strip():
            return []
        if ref:
            if _label(ref) in self.titled_references:
                return []  # read once, however many links use it
            self.titled_references.add(_label(ref))
            if self.references is None:
                import pyromark

                self.references = {_label(k): v for k, v in
                                   pyromark.reference_definitions(self.source, options=_OPTIONS).items()}
            definition = self.references.get(_label(ref))
            if definition is None:
                return []
            start, end = self.char(definition["span"]["start"]), self.char(definition["span"]["end"])
        piece = self.source[start:end]
        at = piece.rfind(title)
        if at >= 0:
            return [(title, start + at, start + at + len(title), _TEXT)]
        inner = _delimited_title(piece)
        if inner is None:
            return []
        return [(title, start + inner[0], start + inner[1], _TEXT)]

    def relabel(self, kind: str, start: int, end: int, image: bool) -> None:
        """A link whose text is also its label (``[foo]``, ``[foo][]``) keeps its label when its
        text is censored: it becomes a full reference, ``[f**][foo]``."""
        piece = self.source[start:end]
        open_at = 2 if image else 1
        if kind == "Shortcut" and piece.endswith("]"):
            self.b.relabels.append((start, end, end, end, "[" + piece[open_at:-1] + "]"))
        elif kind == "Collapsed":  # the range ends before the "[]"
            label_end = end - 3 if piece.endswith("[]") else end - 1
            brackets = (end - 2, end) if piece.endswith("[]") else (end, end + 2)
            if self.source[brackets[0]:brackets[1]] == "[]":
                self.b.relabels.append((start, end, brackets[0], brackets[1],
                                        "[" + self.source[start + open_at:label_end] + "]"))

    def start_link(self, info: dict[str, Any], start: int, end: int) -> None:
        kind = info.get("link_type", "")
        href = info.get("dest_url", "")
        if kind == "Email":
            href = "mailto:" + href
        if self.image_depth:
            return
        self.relabel(kind, start, end, image=False)
        title = self.title_pieces(info.get("title", ""), start, end, info.get("id", ""))
        if title:
            self.b.attribute(title)
        self.links.append([href, start, end, self.b.position, None, None,
                           kind if kind in ("Autolink", "Email") else ""])

    def end_link(self) -> None:
        if self.image_depth or not self.links:
            return
        href, start, end, text_start, first, last, _ = self.links.pop()
        if first is not None:
            start, end = first, last
        self.b.link(href, start, end, text_start)

    def start_image(self, info: dict[str, Any], start: int, end: int) -> None:
        self.image_depth += 1
        if self.image_depth == 1:
            self.relabel(info.get("link_type", ""), start, end, image=True)
            self.alt = []
            self.image = (info.get("dest_url", ""), info.get("title", ""), start, end, info.get("id", ""))

    def end_image(self) -> None:
        self.image_depth -= 1
        if self.image_depth or self.image is None:
            return
        src, title, start, end, ref = self.image
        self.image = None
        self.b.image(src, start, end)
        if self.alt:
            self.b.attribute(self.alt)
        title_pieces = self.title_pieces(title, start, end, ref)
        if title_pieces:
            self.b.attribute(title_pieces)

    # --- the pass ---------------------------------------------------------------------------
    def read(self, events: Any) -> RenderedMarkup:
        in_code_block = 0
        html_block: list[tuple[str, int, int]] = []
        offsets = self.offsets
        builder_text = self.b.text
        for event, span in events:
            if offsets is None:
                start, end = span["start"], span["end"]
            else:
                start, end = offsets[span["start"]], offsets[span["end"]]
            if isinstance(event, str):  # SoftBreak, HardBreak, Rule
                if not self.image_depth:
                    self.b.gap()
                continue
            ((kind, value),) = event.items()
            if kind == "Text":
                if in_code_block or self.links or self.image_depth or end - start != len(value):
                    self.text(value, start, end, self.text_kind(in_code_block))
                else:  # plain text where it says it is: what text() would do, without its checks
                    builder_text(value, start, end, _TEXT)
            elif kind == "Code":
                self.code(value, start, end)
            elif kind == "InlineHtml":  # exactly one tag (or comment)
                self.raw_tag(value, start) if self.source[start:end] == value else None
            elif kind == "Html":  # a line of an HTML block: joined with the next when they touch
                if html_block and html_block[-1][2] == start:
                    html_block[-1] = (html_block[-1][0] + value, html_block[-1][1], end)
                else:
                    html_block.append((value, start, end))
            elif kind == "Start":
                name = _name(value)
                if name == "Link":
                    self.start_link(value["Link"], start, end)
                elif name == "Image":
                    self.start_image(value["Image"], start, end)
                elif name not in _INLINE:
                    self.b.gap()
                    if name == "CodeBlock":
                        in_code_block += 1
            elif kind == "End":
                name = _name(value)
                if name == "HtmlBlock":
                    for html, html_start, html_end in html_block:
                        self.raw_html(html, html_start, html_end)
                    html_block = []
                if name == "Link":
                    self.end_link()
                elif name == "Image":
                    self.end_image()
                elif name not in _INLINE:
                    self.b.gap()
                    if name == "CodeBlock":
                        in_code_block -= 1
            elif kind in ("FootnoteReference", "InlineMath", "DisplayMath"):
                self.text(str(value), start, end, _LITERAL)
        if self.raw_link is not None:
            href, tag_s, tag_e, text_s = self.raw_link
            self.b.link(href, tag_s, tag_e, text_s)
        return self.b.build()


def _label(label: str) -> str:
    """A link label as CommonMark matches labels: case-folded, inner whitespace collapsed."""
    return " ".join(label.split()).casefold()


def _lines(text: str, start: int) -> list[tuple[int, str]]:
    """``text`` cut at its newlines (kept with the line before), with each line's offset."""
    out = []
    pos = 0
    for line in text.splitlines(keepends=True):
        out.append((start + pos, line))
        pos += len(line)
    return out


def _delimited_title(piece: str) -> tuple[int, int] | None:
    """The span of the title's text in ``[x](url "title")`` (or a reference definition) when it
    is written with escapes or references: between its delimiters, before the closing ``)``."""
    end = len(piece.rstrip())
    if piece[end - 1 : end] == ")":
        end -= 1
    end = len(piece[:end].rstrip())
    if end <= 0:
        return None
    close = piece[end - 1]
    opener = {'"': '"', "'": "'", ")": "("}.get(close)
    if opener is None:
        return None
    i = end - 2
    while i >= 0:
        if piece[i] == opener:
            backslashes = len(piece[:i]) - len(piece[:i].rstrip("\\"))
            if backslashes % 2 == 0:
                return (i + 1, end - 1)
        i -= 1
    return None


def read_markdown(source: str) -> RenderedMarkup:
    """What readers see of a Markdown draft, mapped back to ``source``. Never raises on a ``str``
    (lone surrogates, which UTF-8 cannot hold, are read as U+FFFD; offsets do not move)."""
    global _OPTIONS
    import pyromark

    if _OPTIONS is None:
        _OPTIONS = _options()
    text = _LONE_SURROGATE_RE.sub("\ufffd", source) if _LONE_SURROGATE_RE.search(source) else source
    return _Reader(text).read(pyromark.events_with_range(text, options=_OPTIONS))


def escape_markdown(text: str, kind: int) -> str:
    """A censor replacement that reads as itself in Markdown and cannot open or close anything:
    ASCII punctuation backslash-escaped (``f***`` → ``f\\*\\*\\*``); where the markup is literal
    (code, autolinks, raw HTML), every character that is not a letter or digit becomes ``*``; in
    an e-mail address, ``x``."""
    if kind & _WORD:
        return _NOT_ALNUM_RE.sub("x", text)
    if kind & _LITERAL:
        return _NOT_ALNUM_RE.sub("*", text)
    return text.translate(_BACKSLASHED)


class MarkdownRenderer:
    """The built-in Markdown reader, as a ``markup_renderer``."""

    name = "markdown"

    def __call__(self, source: str) -> RenderedMarkup:
        return read_markdown(source)

    def escape(self, text: str, kind: int) -> str:
        return escape_markdown(text, kind)
