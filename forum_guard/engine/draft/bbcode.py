"""BBCode drafts, tokenized by the ``bbcode`` package (its rules decide what is a tag) and read
into what readers see, mapped back to the source.

The package's own formatter finds each tag's closing tag by scanning ahead (quadratic on a flood
of unclosed tags) and gives no offsets; the token stream does, so this reads it once with a stack
of open tags, following the formatter's rules: unknown and unmatched tags are text or vanish as
it does, ``[code]`` and ``[noparse]`` take their content literally, ``[*]`` ends at a newline or
the next ``[*]``, and the cosmetic replacements (``--`` → –, ``(c)`` → ©) are what readers see.
Besides the package's tags, those every forum has: ``[img]``, ``[email]``, ``[size]``, ``[font]``,
``[spoiler]``, ``[left]``, ``[right]``, ``[justify]``, ``[noparse]``.
"""

from __future__ import annotations

import re
from typing import Any

from .markup import MarkupBuilder, RenderedMarkup
from .model import SegmentKind

__all__ = ["BBCodeRenderer", "escape_bbcode", "read_bbcode"]

_TEXT, _LITERAL = int(SegmentKind.TEXT), int(SegmentKind.LITERAL)
_COSMETIC_RE = re.compile(r"---|--|\.\.\.|\(c\)|\(reg\)|\(tm\)")
_COSMETIC = {"---": "\u2014", "--": "\u2013", "...": "\u2026", "(c)": "\u00a9", "(reg)": "\u00ae", "(tm)": "\u2122"}
#: tags whose content is taken literally
_LITERAL_TAGS = frozenset({"code", "noparse"})
#: tags that stand apart from the text around them
_BLOCK_TAGS = frozenset({"quote", "list", "*", "center", "left", "right", "justify", "spoiler", "code", "hr"})
#: tags whose content is not visible text
_SOURCE_TAGS = frozenset({"img"})
#: tags whose (first) option a reader sees: the author of a quote, a spoiler's title
_VISIBLE_OPTIONS = frozenset({"quote", "spoiler"})


class _OptionText(str):
    """A tag's text for ``bbcode.Parser._parse_opts``, whose ``find("=", i)`` (asked once per
    space in the tag) answers from the last ``=`` instead of scanning: linear, same answers."""

    last_equals: int

    def find(self, sub: str, start: Any = None, end: Any = None) -> int:
        if sub == "=" and end is None and isinstance(start, int) and start >= 0:
            return self.last_equals if self.last_equals >= start else -1
        return super().find(sub, start, end)


_PARSER: Any = None


def _parser() -> Any:
    """The shared tokenizer (tokenizing keeps no state between calls)."""
    global _PARSER
    if _PARSER is None:
        import bbcode

        class _Parser(bbcode.Parser):
            def _parse_opts(self, data: str) -> Any:
                text = _OptionText(data)
                text.last_equals = data.rfind("=")
                return super()._parse_opts(text)

        parser = _Parser(replace_cosmetic=True)
        for name in ("img", "email", "size", "font", "spoiler", "left", "right", "justify", "noparse"):
            if name not in parser.recognized_tags:
                parser.add_simple_formatter(name, "%(value)s", render_embedded=name not in _LITERAL_TAGS)
        _PARSER = parser
    return _PARSER


class _Reader:
    def __init__(self, source: str) -> None:
        self.source = source
        self.b = MarkupBuilder()
        # open tags: [name, options, tag start, tag end, text start, first and last text offset]
        self.stack: list[list[Any]] = []

    def visible(self, text: str, start: int, kind: int) -> None:
        if kind == _TEXT and ("-" in text or "." in text or "(" in text):
            pos = 0
            for m in _COSMETIC_RE.finditer(text):
                if m.start() > pos:
                    self.add(text[pos:m.start()], start + pos, start + m.start(), kind)
                self.add(_COSMETIC[m.group()], start + m.start(), start + m.end(), kind)
                pos = m.end()
            if pos < len(text):
                self.add(text[pos:], start + pos, start + len(text), kind)
            return
        self.add(text, start, start + len(text), kind)

    def add(self, text: str, start: int, end: int, kind: int) -> None:
        if self.stack:  # the innermost tag's text extent; a closing tag passes it to its parent
            top = self.stack[-1]
            if top[5] is None:
                top[5] = start
            top[6] = end
        self.b.text(text, start, end, kind)

    def open(self, name: str, options: Any, start: int, end: int, text: str) -> None:
        if name in _BLOCK_TAGS:
            self.b.gap()
        if name in _VISIBLE_OPTIONS and options:
            self.option_texts(options, text, start, (name, *list(options)[:1]))
        if name == "hr":
            return
        self.stack.append([name, options, start, end, self.b.position, None, None])

    def option_texts(self, options: Any, tag: str, start: int, names: tuple[str, ...]) -> None:
        """Options a reader sees (a quote's author, an image's ``alt``), read as attribute texts."""
        for name in dict.fromkeys(names):
            value = str(options.get(name) or "") if options else ""
            at = tag.find(value) if value.strip() else -1
            if at >= 0:
                self.b.attribute([(value, start + at, start + at + len(value), _LITERAL)])

    def close(self, index: int, end: int) -> None:
        """Close the open tag at ``index`` of the stack, and every tag opened inside it."""
        while len(self.stack) > index:
            name, options, tag_s, _, text_s, first, last = self.stack.pop()
            if first is not None and self.stack:
                parent = self.stack[-1]
                if parent[5] is None:
                    parent[5] = first
                parent[6] = last
            if name in _BLOCK_TAGS:
                self.b.gap()
            if name in ("url", "email"):
                href = str(options.get(name) or "") if options else ""
                if not href:
                    href = self.source[first:last] if first is not None else ""
                if name == "email" and href:
                    href = "mailto:" + href
                elif href and "://" not in href and not href.startswith(("/", "\\")):
                    href = "http://" + href
                if first is None:
                    first, last = tag_s, end
                self.b.link(href, first, last, text_s)

    def read(self, tokens: list[tuple[int, Any, Any, str]], parser: Any) -> RenderedMarkup:
        start_tag, end_tag, newline = parser.TOKEN_TAG_START, parser.TOKEN_TAG_END, parser.TOKEN_NEWLINE
        pos = 0
        literal: str | None = None  # inside [code]/[noparse]: the name that ends it
        image: tuple[int, int] | None = None  # inside [img]: its start, and where its URL starts
        for token_type, name, options, text in tokens:
            start, pos = pos, pos + len(text)
            if literal is not None:
                if token_type == end_tag and name == literal:
                    literal = None
                    self.close(len(self.stack) - 1, pos)
                elif token_type == newline:
                    self.b.gap()
                else:
                    self.add(text, start, pos, _LITERAL)
                continue
            if image is not None:
                if token_type == end_tag and name == "img":
                    url = self.source[image[1]:start].strip()
                    self.b.image(url, image[0], pos)
                    image = None
                continue
            if token_type == start_tag:
                if name == "*" and self.stack and self.stack[-1][0] == "*":
                    self.close(len(self.stack) - 1, start)
                if name == "img":
                    image = (start, pos)
                    self.option_texts(options, text, start, ("alt", "title"))
                    continue
                self.open(name, options, start, pos, text)
                if name in _LITERAL_TAGS:
                    literal = name
            elif token_type == end_tag:
                for i in range(len(self.stack) - 1, -1, -1):
                    if self.stack[i][0] == name:
                        self.close(i, pos)
                        break
            elif token_type == newline:
                if self.stack and self.stack[-1][0] == "*":
                    self.close(len(self.stack) - 1, start)
                self.b.gap()
            else:
                self.visible(text, start, _TEXT)
        if image is not None:  # an [img] never closed is text, as the package renders it
            self.visible(self.source[image[0]:], image[0], _TEXT)
        self.close(0, pos)
        return self.b.build()


def read_bbcode(source: str) -> RenderedMarkup:
    """What readers see of a BBCode draft, mapped back to ``source``. Never raises on a ``str``."""
    parser = _parser()
    # the tokenizer reads "\r\n" and "\r" as "\n"; this keeps every offset where it was
    text = source.replace("\r\n", " \n").replace("\r", "\n") if "\r" in source else source
    return _Reader(text).read(parser.tokenize(text), parser)


_BRACKETS = str.maketrans({"[": "(", "]": ")"})


def escape_bbcode(text: str, kind: int) -> str:
    """A censor replacement that cannot open or close a tag: square brackets become round ones."""
    return text.translate(_BRACKETS)


class BBCodeRenderer:
    """The built-in BBCode reader, as a ``markup_renderer``."""

    name = "bbcode"

    def __call__(self, source: str) -> RenderedMarkup:
        return read_bbcode(source)

    def escape(self, text: str, kind: int) -> str:
        return escape_bbcode(text, kind)
