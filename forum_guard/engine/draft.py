"""Draft analysis, the stage before matching: sanitize, extract text with offsets, links,
pasted images and emoji.

HTML input goes through one bleach pass (an allowlist suited to a forum, with two html5lib
filters of ours inside the same pass); the sanitized HTML is then read once by a compiled regex
tokenizer that builds the visible text and a compact map from text offsets back to offsets in
the sanitized HTML. Plain text input is its own text and needs no map.

Nothing here raises on a ``str`` input; hard size caps are the caller's job.
"""

from __future__ import annotations

import functools
import html as _html
import re
import threading
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any
from urllib.parse import unquote, urlsplit

import regex
from bleach import html5lib_shim
from bleach.sanitizer import Cleaner
from markupsafe import escape

__all__ = [
    "ALLOWED_ATTRIBUTES",
    "ALLOWED_PROTOCOLS",
    "ALLOWED_TAGS",
    "LINK_REL",
    "Draft",
    "Link",
    "PastedImage",
    "analyze",
    "count_emoji",
    "count_shortcodes",
    "sanitize",
]


# --------------------------------------------------------------------------------------------
# value objects


@dataclass(frozen=True, slots=True)
class Link:
    """A link in a draft: an ``<a href>`` or a bare URL in the text."""

    #: the URL: the ``href`` value of the sanitized HTML (attribute entities decoded), or the URL
    #: as written in the text
    href: str
    #: lowercase host without port or trailing dot, IDNA-decoded to Unicode; for ``mailto:`` the
    #: domain of the address; ``""`` if there is none (relative links, garbage)
    host: str
    #: span in ``Draft.sanitized``: for ``<a>`` its inner HTML (the tag itself when it is empty);
    #: for a URL in the text, the URL
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class PastedImage:
    """An ``<img>`` whose source is not on the web (a clipboard paste, a local file, a mail
    attachment); removed from the sanitized HTML."""

    #: "data", "blob", "file", "cid", "javascript", any other non-http(s) scheme, or "" for a
    #: missing or relative source
    scheme: str
    #: the first 40 characters of the source, for logs
    src_preview: str


@dataclass(frozen=True, slots=True)
class _OffsetMap:
    """Segments of the text, in order: ``text[t:t+tl]`` comes from ``sanitized[h:h+hl]``.

    A run of plain characters has ``tl == hl``; a decoded entity has ``hl > tl`` and is
    indivisible. The separators inserted for block tags lie between segments and belong to none.
    """

    seg_t: tuple[int, ...]
    seg_h: tuple[int, ...]
    seg_tl: tuple[int, ...]
    seg_hl: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Draft:
    """A draft read for checking. Build it with :func:`analyze`."""

    #: the input exactly as given
    source: str
    is_html: bool
    #: HTML input: the sanitized HTML (pasted images removed); plain text: ``source``
    sanitized: str
    #: what the matcher scans: plain text as given, or the visible text of the sanitized HTML
    #: (entities decoded, inline tags joining, block tags and ``<br>``/``<img>``/``<hr>`` giving
    #: one ``"\n"`` between the texts they separate)
    text: str
    links: tuple[Link, ...] = ()
    pasted_images: tuple[PastedImage, ...] = ()
    #: http(s) images kept (emoji images not included)
    image_count: int = 0
    #: Unicode emoji (one per grapheme), forum ``:shortcodes:`` and ``<img class="emoji">``
    emoji_count: int = 0
    _map: _OffsetMap | None = field(default=None, repr=False, compare=False)

    def spans(self, start: int, end: int) -> tuple[tuple[int, int], ...]:
        """Map a ``[start, end)`` range of :attr:`text` to spans in :attr:`sanitized`.

        One ``(s, e)`` per text node the range touches, never inside a tag; an entity is
        indivisible (touching its character covers the whole ``&...;``); the inserted ``"\\n"``
        separators map to nothing. Plain text: ``((start, end),)``. An empty range gives ``()``.
        """
        if self._map is None:
            return _clamp(start, end, len(self.sanitized))
        return _text_to_html(self._map, start, end)

    def clip(self, start: int, end: int) -> tuple[tuple[int, int], ...]:
        """Cut a ``[start, end)`` range of :attr:`sanitized` down to the parts that lie in text
        (outside tags), widened to whole entities; contiguous parts are joined. Renderers use it
        so that nothing is ever inserted inside a tag or an entity, whatever spans they get."""
        if self._map is None:
            return _clamp(start, end, len(self.sanitized))
        return _clip_html(self._map, start, end)


def _clamp(start: int, end: int, n: int) -> tuple[tuple[int, int], ...]:
    start, end = max(start, 0), min(end, n)
    return ((start, end),) if start < end else ()


def _text_to_html(m: _OffsetMap, start: int, end: int) -> tuple[tuple[int, int], ...]:
    seg_t, seg_h, seg_tl, seg_hl = m.seg_t, m.seg_h, m.seg_tl, m.seg_hl
    if start >= end or not seg_t:
        return ()
    out: list[tuple[int, int]] = []
    i = max(bisect_right(seg_t, start) - 1, 0)
    n_seg = len(seg_t)
    while i < n_seg and seg_t[i] < end:
        t = seg_t[i]
        tl = seg_tl[i]
        if t + tl > start:
            h = seg_h[i]
            hl = seg_hl[i]
            if hl == tl:
                s = h + (start - t if start > t else 0)
                e = h + (min(end, t + tl) - t)
            else:  # an entity: all of it
                s, e = h, h + hl
            if out and out[-1][1] == s:
                out[-1] = (out[-1][0], e)
            else:
                out.append((s, e))
        i += 1
    return tuple(out)


def _clip_html(m: _OffsetMap, start: int, end: int) -> tuple[tuple[int, int], ...]:
    seg_h, seg_hl, seg_tl = m.seg_h, m.seg_hl, m.seg_tl
    if start >= end or not seg_h:
        return ()
    out: list[tuple[int, int]] = []
    i = max(bisect_right(seg_h, start) - 1, 0)
    n_seg = len(seg_h)
    while i < n_seg and seg_h[i] < end:
        h = seg_h[i]
        hl = seg_hl[i]
        if h + hl > start:
            if hl == seg_tl[i]:
                s, e = max(start, h), min(end, h + hl)
            else:
                s, e = h, h + hl
            if out and out[-1][1] == s:
                out[-1] = (out[-1][0], e)
            else:
                out.append((s, e))
        i += 1
    return tuple(out)


# --------------------------------------------------------------------------------------------
# sanitizing

#: Tags a post may keep.
ALLOWED_TAGS: frozenset[str] = frozenset({
    "a", "abbr", "b", "big", "blockquote", "br", "caption", "code", "dd", "del", "div", "dl",
    "dt", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "ol",
    "p", "pre", "q", "s", "small", "span", "strike", "strong", "sub", "sup", "table", "tbody",
    "td", "tfoot", "th", "thead", "tr", "u", "ul",
})
#: Protocols allowed in ``href`` (and, through the pasted-image filter, only http(s) in ``src``).
ALLOWED_PROTOCOLS: frozenset[str] = frozenset({"http", "https", "mailto"})
#: ``rel`` given to every link (any ``rel`` the author wrote is replaced).
LINK_REL = "nofollow ugc noopener"

#: Elements removed together with everything in them (their text must never show up as text).
_DROP_WITH_CONTENT = frozenset({
    "script", "style", "template", "noscript", "iframe", "noembed", "noframes", "xmp",
    "textarea", "title", "object", "applet", "embed",
})
# the tags the parser sees (bleach's tokenizer strips the others before tree building);
# <image> is read as <img>
_PARSED_TAGS = ALLOWED_TAGS | _DROP_WITH_CONTENT | {"image"}
_IMG_ATTRIBUTES = frozenset({"src", "alt", "title", "width", "height"})


def _img_attribute(tag: str, name: str, value: str) -> bool:
    # class survives only as exactly "emoji" (the pasted-image filter normalises it)
    return name in _IMG_ATTRIBUTES or (name == "class" and value == "emoji")


#: Attributes a post may keep, by tag (bleach's format; ``img`` is a callable).
ALLOWED_ATTRIBUTES: dict[str, Any] = {
    "a": ["href", "title", "rel"],
    "abbr": ["title"],
    "img": _img_attribute,
    "td": ["colspan", "rowspan"],
    "th": ["colspan", "rowspan"],
}

# what bleach strips from a URI before reading its scheme (sanitizer.sanitize_uri_value)
_URI_JUNK_RE = re.compile(r"[`\000-\040\177-\240\s]+|[^\x00-\x7f]+")
_SCHEME_RE = re.compile(r"([a-z][a-z0-9+.\-]*):")
_SRC = (None, "src")
_CLASS = (None, "class")
_REL = (None, "rel")


def _image_scheme(src: str) -> str:
    """The scheme of an image source, read the way bleach reads it; "" when there is none."""
    normalized = _URI_JUNK_RE.sub("", _html.unescape(src)).lower()
    if normalized.startswith("//") and len(normalized) > 2:
        return "http"  # protocol-relative: on the web
    m = _SCHEME_RE.match(normalized)
    return m.group(1) if m else ""


class _PreSanitizeFilter(html5lib_shim.Filter):
    """Runs before bleach's sanitizer: drops script-like elements with their content, and
    removes (and records) images whose source is not an http(s) URL."""

    def __init__(self, source: Any, pasted: list[PastedImage]) -> None:
        super().__init__(source)
        self.pasted = pasted

    def __iter__(self) -> Iterator[dict[str, Any]]:
        skip = 0
        for token in super().__iter__():
            ttype = token["type"]
            if skip:
                if ttype == "StartTag":
                    skip += 1
                elif ttype == "EndTag":
                    skip -= 1
                continue
            if ttype in ("StartTag", "EmptyTag", "EndTag"):
                name = token["name"]
                if name in _DROP_WITH_CONTENT:
                    if ttype == "StartTag":
                        skip = 1
                    continue
                if name == "img" and ttype != "EndTag":
                    attrs = token["data"]
                    src = attrs.get(_SRC)
                    scheme = _image_scheme(src) if src else ""
                    if scheme not in ("http", "https"):
                        self.pasted.append(PastedImage(scheme, (src or "")[:40]))
                        continue
                    css = attrs.get(_CLASS)
                    if css is not None:
                        if "emoji" in css.lower().split():
                            attrs[_CLASS] = "emoji"
                        else:
                            del attrs[_CLASS]
            yield token


class _PostSanitizeFilter(html5lib_shim.Filter):
    """Runs after bleach's sanitizer: sets ``rel`` on links, unwraps links nested in links, drops
    images that lost their source to the sanitizer, and removes leading newlines in ``<pre>``
    (the parser eats one, in some contexts only, so a second clean would change the text)."""

    def __init__(self, source: Any, pasted: list[PastedImage]) -> None:
        super().__init__(source)
        self.pasted = pasted

    def __iter__(self) -> Iterator[dict[str, Any]]:
        after_pre = False
        # one entry per open <a>: True if it is nested in another <a> and dropped
        links: list[bool] = []
        for token in super().__iter__():
            ttype = token["type"]
            if after_pre:
                # html5lib drops the newline right after <pre> in some contexts and not in others
                # (table cells); without leading newlines the content reads back the same in both
                after_pre = False
                if ttype in ("Characters", "SpaceCharacters"):
                    token["data"] = token["data"].lstrip("\n")
                    if not token["data"]:
                        after_pre = True
                        continue
            if ttype == "EndTag" and token["name"] == "a":
                if links and links.pop():
                    continue
            elif ttype in ("StartTag", "EmptyTag"):
                name = token["name"]
                if name == "a":
                    # the parser can build <a> inside <a> (foster parenting), but it never reads
                    # one back that way: keep the outer link only, so that cleaning is idempotent
                    links.append(bool(links))
                    if links[-1]:
                        continue
                    token["data"][_REL] = LINK_REL
                elif name == "img" and not token["data"].get(_SRC):
                    self.pasted.append(PastedImage("", ""))
                    continue
                elif name == "pre":
                    after_pre = True
            yield token


_EtreeWalker: Any = html5lib_shim.getTreeWalker("etree")


class _TreeWalker(_EtreeWalker):
    """html5lib's etree walker, linear in the width of the tree.

    The stock ``getParentNode`` finds an element's position among its parent's children with
    ``list.index`` (and asserts with ``list.count``), which makes a flat draft with thousands of
    elements quadratic. This keeps one position table per parent instead.
    """

    def __init__(self, tree: Any) -> None:
        super().__init__(tree)
        self._positions: dict[int, dict[int, int]] = {}

    def getParentNode(self, node: Any) -> Any:
        if not isinstance(node, tuple):
            return None
        element, key, parents, flag = node
        if flag == "text":
            return (element, key, parents, None) if parents else element
        parent = parents.pop()
        if not parents:
            return parent
        grandparent = parents[-1]
        positions = self._positions.get(id(grandparent))
        if positions is None:
            positions = {id(child): i for i, child in enumerate(grandparent)}
            self._positions[id(grandparent)] = positions
        return parent, positions[id(parent)], parents, None


class _ForumCleaner(Cleaner):
    """bleach's Cleaner with our allowlist and filters. Not thread-safe: one per thread."""

    def __init__(self) -> None:
        super().__init__(
            tags=ALLOWED_TAGS,
            attributes=ALLOWED_ATTRIBUTES,
            protocols=ALLOWED_PROTOCOLS,
            strip=True,
            strip_comments=True,
            filters=[self._post_filter],
        )
        # The parser must know the script-like elements (so their content is parsed as their
        # content, not as text) while the sanitizer never allows them: the pre-filter drops them.
        self.parser = html5lib_shim.BleachHTMLParser(
            tags=_PARSED_TAGS,
            strip=True,
            consume_entities=False,
            namespaceHTMLElements=False,
        )
        self.pasted: list[PastedImage] = []
        self.walker = lambda tree: _PreSanitizeFilter(_TreeWalker(tree), self.pasted)

    def _post_filter(self, source: Any) -> _PostSanitizeFilter:
        return _PostSanitizeFilter(source, self.pasted)

    def clean_draft(self, text: str) -> tuple[str, tuple[PastedImage, ...]]:
        self.pasted = []
        try:
            cleaned: str = self.clean(text)
            return cleaned, tuple(self.pasted)
        finally:
            self.pasted = []


_local = threading.local()


def _cleaner() -> _ForumCleaner:
    cleaner: _ForumCleaner | None = getattr(_local, "cleaner", None)
    if cleaner is None:
        cleaner = _local.cleaner = _ForumCleaner()
    return cleaner


#: Deepest element nesting passed to the parser; html5lib's tree building is quadratic in depth.
MAX_DEPTH = 100
_RAW_TAG_RE = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*)[^<>]*>")
# of those: void elements, and elements the parser closes when a sibling starts
_NO_DEPTH = frozenset({
    "br", "embed", "hr", "img", "image", "p", "li", "dt", "dd", "tr", "td", "th", "thead", "tbody", "tfoot",
})
# formatting elements: when something else closes them, the parser opens them again at the
# next content (the "list of active formatting elements")
_FORMATTING = frozenset({"a", "b", "big", "code", "em", "i", "s", "small", "strike", "strong", "u"})
# "special" elements: an end tag of another element does not close them
_SPECIAL = _PARSED_TAGS - _FORMATTING - {"abbr", "del", "ins", "kbd", "q", "span", "sub", "sup"}
# where the search of an end tag of a special element stops
_SCOPE = frozenset({"applet", "caption", "object", "table", "td", "template", "th"})


def _limit_depth(html: str) -> str:
    """Remove the start tags that would nest deeper than MAX_DEPTH (the text stays).

    html5lib's tree construction costs time in the depth of the open elements, and it reopens
    formatting elements that something else closed, so a few kilobytes of crafted tags can take
    seconds and blow up to megabytes. This follows the parser's open elements (plus the
    formatting elements waiting to be reopened) over the raw input, closely enough to keep the
    depth bounded; ordinary drafts never come near the limit. The result still goes through
    bleach, so the estimate needs no exactness for safety.
    """
    if html.count("<") <= MAX_DEPTH:
        return html
    stack: list[str] = []
    reopen: list[str] = []
    drop: list[tuple[int, int]] = []

    def close(name: str) -> None:
        formatting = name in _FORMATTING
        boundary = _SCOPE if name in _SPECIAL else _SPECIAL
        for i in range(len(stack) - 1, -1, -1):
            if stack[i] == name:
                above = stack[i + 1 :]
                if formatting and any(t in _SPECIAL for t in above):
                    del stack[i]  # the adoption agency: the block elements above stay open
                else:
                    reopen.extend(t for t in above if t in _FORMATTING)
                    del stack[i:]
                return
            if stack[i] in boundary and not formatting:
                return  # the parser ignores this end tag
        if name in reopen:
            del reopen[len(reopen) - 1 - reopen[::-1].index(name)]

    for m in _RAW_TAG_RE.finditer(html):
        name = m.group(2).lower()
        if name not in _PARSED_TAGS or name in _NO_DEPTH:
            continue
        if m.group(1):
            close(name)
            continue
        if name == "a":  # a new link closes the open one
            close(name)
        if len(stack) + len(reopen) >= MAX_DEPTH:
            drop.append(m.span())
        else:
            stack.append(name)
    if not drop:
        return html
    pieces: list[str] = []
    pos = 0
    for s, e in drop:
        pieces.append(html[pos:s])
        pos = e
    pieces.append(html[pos:])
    return "".join(pieces)


def sanitize(html: str) -> tuple[str, tuple[PastedImage, ...]]:
    """Clean HTML with the forum allowlist; returns the sanitized HTML and the pasted images
    removed from it. Idempotent: ``sanitize(sanitize(x)[0])[0] == sanitize(x)[0]``.

    Disallowed tags are stripped with their text kept, except script-like elements, which go
    with their content. Links get ``rel="nofollow ugc noopener"``. Images whose ``src`` is not
    an http(s) (or protocol-relative) URL are removed and recorded; ``class`` on an image
    survives only as ``"emoji"``.
    """
    if not html:
        return "", ()
    cleaner = _cleaner()
    try:
        return cleaner.clean_draft(_limit_depth(html))
    except Exception:
        # never raise on a str: forget a cleaner that may be in a broken state and fall back to
        # showing the input as text
        _local.cleaner = None
        return str(escape(html)), ()


# --------------------------------------------------------------------------------------------
# text extraction with offsets

# A tag (quotes may hold ">"); splitting sanitized HTML on it alternates text and tags.
# bleach's output has no comments and no bare "<" or "&" in text.
_TAG_SPLIT_RE = re.compile(r"""(<(?:[^>"']|"[^"]*"|'[^']*')*+>)""")
_TAG_NAME_RE = re.compile(r"</?([A-Za-z][A-Za-z0-9]*)")
_ENTITY_SPLIT_RE = re.compile(r"(&(?:#[0-9]{1,8}|#[xX][0-9a-fA-F]{1,7}|[A-Za-z][A-Za-z0-9]{0,31});)")
_ATTR_RE = re.compile(r"""([^\s=/>"']+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?""")

#: Tags that separate the text before them from the text after them.
_BREAK_TAGS = frozenset({
    "address", "article", "aside", "blockquote", "br", "caption", "dd", "details", "div", "dl",
    "dt", "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr",
    "img", "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody", "td",
    "tfoot", "th", "thead", "tr", "ul",
})
_BREAK, _LINK, _IMAGE = 1, 2, 4
_ROLE: dict[str, int] = dict.fromkeys(_BREAK_TAGS, _BREAK)
_ROLE["a"] = _LINK
_ROLE["img"] = _BREAK | _IMAGE
# the role of the common attribute-free tags, looked up by the whole tag
_SIMPLE_TAG_ROLE: dict[str, int] = {}
for _name in _PARSED_TAGS | _BREAK_TAGS:
    if _name not in ("a", "img"):
        _SIMPLE_TAG_ROLE[f"<{_name}>"] = _SIMPLE_TAG_ROLE[f"</{_name}>"] = _ROLE.get(_name, 0)
del _name


def _attributes(raw: str) -> dict[str, str]:
    attrs: dict[str, str] = {}
    for m in _ATTR_RE.finditer(raw):
        value = m.group(2)
        if value is None:
            value = m.group(3) if m.group(3) is not None else (m.group(4) or "")
        attrs.setdefault(m.group(1).lower(), _html.unescape(value))
    return attrs


@dataclass(slots=True)
class _Extracted:
    text: str
    map: _OffsetMap
    links: list[Link]
    #: [text_start, text_end) of each <a>'s text, to skip URLs that are already a link's text
    link_text_ranges: list[tuple[int, int]]
    image_count: int
    emoji_images: int


def _extract(html: str) -> _Extracted:
    """Visible text of sanitized HTML, the offset map, <a> links and image counts.

    One split on tags (C), then one step per text node and tag; entities are split out of the
    (few) text nodes holding an "&".
    """
    pieces = _TAG_SPLIT_RE.split(html)
    offsets = list(accumulate(map(len, pieces), initial=0))
    parts: list[str] = []
    seg_t: list[int] = []
    seg_h: list[int] = []
    seg_tl: list[int] = []
    seg_hl: list[int] = []
    t_pos = 0
    pending_break = False
    links: list[Link] = []
    link_text_ranges: list[tuple[int, int]] = []
    open_link: tuple[str, int, int, int] | None = None  # href, tag start, tag end, text start
    image_count = emoji_images = 0
    unescape = _html.unescape
    simple_role = _SIMPLE_TAG_ROLE.get
    n_pieces = len(pieces)

    for i in range(0, n_pieces, 2):
        text = pieces[i]
        if text:
            if pending_break:
                pending_break = False
                if t_pos:
                    parts.append("\n")
                    t_pos += 1
            h_pos = offsets[i]
            if "&" not in text:
                n = len(text)
                parts.append(text)
                seg_t.append(t_pos)
                seg_h.append(h_pos)
                seg_tl.append(n)
                seg_hl.append(n)
                t_pos += n
            else:
                for j, chunk in enumerate(_ENTITY_SPLIT_RE.split(text)):
                    if not chunk:
                        continue
                    hl = len(chunk)
                    if j & 1:
                        chunk = unescape(chunk)  # an unknown entity stays as it is: literal text
                    tl = len(chunk)
                    parts.append(chunk)
                    seg_t.append(t_pos)
                    seg_h.append(h_pos)
                    seg_tl.append(tl)
                    seg_hl.append(hl)
                    t_pos += tl
                    h_pos += hl
        if i + 1 == n_pieces:
            break
        tag = pieces[i + 1]
        role = simple_role(tag)
        if role is None:
            m = _TAG_NAME_RE.match(tag)
            role = _ROLE.get(m.group(1).lower(), 0) if m else 0
        if not role:
            continue
        if role & _BREAK:
            pending_break = True
        closing = tag[1] == "/"
        if role & _LINK:
            if closing:
                if open_link is not None:
                    href, tag_s, tag_e, text_s = open_link
                    inner_s, inner_e = tag_e, offsets[i + 1]
                    if inner_s >= inner_e:
                        inner_s, inner_e = tag_s, tag_e
                    links.append(Link(href, _host_of(href), inner_s, inner_e))
                    link_text_ranges.append((text_s, t_pos))
                    open_link = None
            else:
                href_value = _attributes(tag[2:-1]).get("href")
                if href_value is not None:
                    open_link = (href_value, offsets[i + 1], offsets[i + 2], t_pos)
        elif role & _IMAGE and not closing:
            if _attributes(tag[4:-1]).get("class") == "emoji":
                emoji_images += 1
            else:
                image_count += 1

    if open_link is not None:  # unclosed <a> (not produced by bleach): runs to the end
        href, tag_s, tag_e, text_s = open_link
        inner_s, inner_e = (tag_e, len(html)) if tag_e < len(html) else (tag_s, tag_e)
        links.append(Link(href, _host_of(href), inner_s, inner_e))
        link_text_ranges.append((text_s, t_pos))

    return _Extracted(
        text="".join(parts),
        map=_OffsetMap(tuple(seg_t), tuple(seg_h), tuple(seg_tl), tuple(seg_hl)),
        links=links,
        link_text_ranges=link_text_ranges,
        image_count=image_count,
        emoji_images=emoji_images,
    )


# --------------------------------------------------------------------------------------------
# links

# a URL in text: a scheme or "www.", then anything up to whitespace, quotes or angle brackets
_URL_RE = re.compile(r"""(?:\b(?:https?|ftp)://|\bwww\.)[^\s<>"'`\x00]+""", re.I)
_URL_TRAILING = ".,;:!?'\"*_~"
_URL_CLOSERS = {")": "(", "]": "[", "}": "{"}
# browsers drop tab/CR/LF anywhere in a URL, and C0 controls and spaces at its ends
_URL_STRIP_RE = re.compile(r"[\t\r\n]")
_URL_EDGES_RE = re.compile(r"^[\x00-\x20]+|[\x00-\x20]+$")
_HOST_DOTS_RE = re.compile("[\u3002\uff0e\uff61]")


def _trim_url(url: str) -> str:
    """Drop trailing punctuation that belongs to the sentence, and unbalanced closers."""
    while url:
        last = url[-1]
        if last in _URL_TRAILING or (
            last in _URL_CLOSERS and url.count(last) > url.count(_URL_CLOSERS[last])
        ):
            url = url[:-1]
        else:
            break
    return url


def _normalize_host(host: str) -> str:
    host = _HOST_DOTS_RE.sub(".", host).strip().rstrip(".").lower()
    if not host or (host.isascii() and "xn--" not in host):
        return host
    try:
        # nameprep folds full-width and compatibility letters; "xn--" labels decode to Unicode
        return host.encode("idna").decode("idna").lower()
    except (UnicodeError, ValueError):
        return host


@functools.lru_cache(maxsize=1024)
def _host_of(url: str) -> str:
    """The host a browser would contact for ``url`` ("" if none). Never raises."""
    try:
        u = _URL_EDGES_RE.sub("", _URL_STRIP_RE.sub("", url))
        if u[:7].lower() == "mailto:":
            address = unquote(u[7:]).split("?", 1)[0].split(",", 1)[0]
            return _normalize_host(address.rpartition("@")[2]) if "@" in address else ""
        u = u.replace("\\", "/")
        if u[:4].lower() == "www.":
            u = "http://" + u
        parts = urlsplit(u)
        host = parts.hostname or ""
        if not host and not parts.netloc and parts.scheme.lower() in ("http", "https"):
            # "http:evil.com" and "http:/evil.com" reach evil.com in browsers
            host = urlsplit("http://" + parts.path.lstrip("/")).hostname or ""
        return _normalize_host(unquote(host))
    except Exception:
        return ""


def _text_links(text: str) -> list[Link]:
    """Bare URLs and www. hosts in text; spans are offsets in ``text``."""
    found: list[Link] = []
    if "://" not in text and "ww." not in text and "WW." not in text:
        return found  # the common case, decided by two fast searches instead of the full pattern
    for m in _URL_RE.finditer(text):
        url = _trim_url(m.group())
        host = _host_of(url)
        if host:
            found.append(Link(url, host, m.start(), m.start() + len(url)))
    return found


# --------------------------------------------------------------------------------------------
# emoji

# one match per emoji as users see it (a grapheme): flags, keycaps, tag sequences (🏴 + tags),
# and ZWJ sequences of pictographs with optional skin tones and variation selectors.
# Text-default pictographs (© ® ™ ↔ ❤ ...) count only with U+FE0F or a skin tone; an
# emoji-default one followed by U+FE0E (text presentation) does not count.
_EMOJI_ELEMENT = (
    r"(?:\p{Emoji_Presentation}(?!\uFE0E)|\p{Extended_Pictographic}(?=\uFE0F|\p{Emoji_Modifier}))"
    r"\uFE0F?\p{Emoji_Modifier}?\uFE0F?"
)
_EMOJI_AFTER_ZWJ = r"\p{Extended_Pictographic}\uFE0F?\p{Emoji_Modifier}?\uFE0F?"
_EMOJI_RE = regex.compile(
    r"\p{Regional_Indicator}\p{Regional_Indicator}"
    r"|[0-9#*]\uFE0F?\u20E3"
    r"|\U0001F3F4[\U000E0020-\U000E007E]+\U000E007F"
    rf"|{_EMOJI_ELEMENT}(?:\u200D{_EMOJI_AFTER_ZWJ})*"
)
# a ":name:" candidate; matched as a lookahead so that "a:b:smile:" still finds ":smile:"
_SHORTCODE_RE = re.compile(r":(?=([^\s:]{1,80}):)")


#: Every character an emoji above can start with (a superset, checked against the Unicode data by
#: the tests), plus U+20E3 for keycaps, whose digit comes one or two characters earlier. A stdlib
#: character class finds these fast; the ``\p{…}`` pattern then runs only where one is.
EMOJI_START_RE = re.compile(
    "[\u00a9\u00ae\u203c\u2049\u20e3\u2122\u2139\u2194-\u21aa\u231a-\u23ff\u24c2\u25aa-\u27bf"
    "\u2934\u2935\u2b05-\u2b55\u3030\u303d\u3297\u3299\U0001F000-\U0001FFFF]"
)


def count_emoji(text: str) -> int:
    """Unicode emoji in ``text``, one per grapheme cluster: 👨‍👩‍👧, 👍🏽, 🇫🇷, 1️⃣ and ❤️ are one
    each; text-presentation symbols (© ® ™ ↔ without U+FE0F) are none."""
    if text.isascii():
        return 0
    count = 0
    end = 0
    for candidate in EMOJI_START_RE.finditer(text):
        pos = candidate.start()
        if pos < end:
            continue  # inside the emoji just counted (a ZWJ sequence, a flag)
        if text[pos] == "\u20e3":
            pos -= 2 if pos >= 2 and text[pos - 1] == "\ufe0f" else 1
            pos = max(pos, end)
        found = _EMOJI_RE.match(text, pos)
        if found:
            count += 1
            end = found.end()
    return count


@functools.cache
def _default_emoticons() -> frozenset[str]:
    import emoji

    names: set[str] = set()
    for data in emoji.EMOJI_DATA.values():
        names.add(data["en"])
        names.update(data.get("alias", ()))
    return _normalize_emoticons(frozenset(names))


@functools.lru_cache(maxsize=16)
def _normalize_emoticons(names: frozenset[str]) -> frozenset[str]:
    return frozenset(n.strip().strip(":").lower() for n in names if n.strip(": "))


def count_shortcodes(text: str, emoticons: frozenset[str] | None = None) -> int:
    """Forum emoticons written as ``:name:`` whose name is in ``emoticons`` (with or without
    the colons, any case; default: every shortcode of the ``emoji`` package). Two codes may
    share no colon: ``:smile:smile:`` is one."""
    if text.count(":") < 2:
        return 0
    names = _default_emoticons() if emoticons is None else _normalize_emoticons(emoticons)
    count = 0
    last_end = -1
    for m in _SHORTCODE_RE.finditer(text):
        if m.start() < last_end:
            continue
        if m.group(1).lower() in names:
            count += 1
            last_end = m.end(1) + 1
    return count


# --------------------------------------------------------------------------------------------
# the whole analysis


def analyze(source: str, *, html: bool, emoticons: frozenset[str] | None = None) -> Draft:
    """Read a draft: sanitize (HTML), extract the visible text with its offset map, find links,
    pasted images and emoji. Never raises on a ``str``."""
    if not html:
        return Draft(
            source=source,
            is_html=False,
            sanitized=source,
            text=source,
            links=tuple(_text_links(source)),
            emoji_count=count_emoji(source) + count_shortcodes(source, emoticons),
        )

    sanitized, pasted = sanitize(source)
    return _read_sanitized(source, sanitized, pasted, emoticons)


def _read_sanitized(
    source: str, sanitized: str, pasted: tuple[PastedImage, ...], emoticons: frozenset[str] | None
) -> Draft:
    """Everything after bleach: text, offset map, links, counts."""
    ex = _extract(sanitized)
    links = ex.links
    for link in _text_links(ex.text):
        if any(rs <= link.start < re_ for rs, re_ in ex.link_text_ranges):
            continue  # the text of an <a>, which is recorded already
        spans = _text_to_html(ex.map, link.start, link.end)
        if spans:
            links.append(Link(link.href, link.host, spans[0][0], spans[-1][1]))
    links.sort(key=lambda link: (link.start, link.end))
    return Draft(
        source=source,
        is_html=True,
        sanitized=sanitized,
        text=ex.text,
        links=tuple(links),
        pasted_images=pasted,
        image_count=ex.image_count,
        emoji_count=count_emoji(ex.text) + count_shortcodes(ex.text, emoticons) + ex.emoji_images,
        _map=ex.map,
    )
