"""Sanitizing HTML drafts: one bleach pass with the forum's allowlist and two html5lib filters of
ours inside it (script-like elements dropped with their content, pasted images removed and
recorded, ``rel`` on links), after a cheap bound on the nesting depth the parser will see."""

from __future__ import annotations

import html as _html
import re
import threading
from collections.abc import Iterator
from typing import Any

from bleach import html5lib_shim
from bleach.sanitizer import Cleaner
from markupsafe import escape

from .model import PastedImage

__all__ = ["ALLOWED_ATTRIBUTES", "ALLOWED_PROTOCOLS", "ALLOWED_TAGS", "LINK_REL", "MAX_DEPTH", "PARSED_TAGS",
           "bleach_sanitize", "sanitize"]



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
PARSED_TAGS = ALLOWED_TAGS | _DROP_WITH_CONTENT | {"image"}
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
            tags=PARSED_TAGS,
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
_SPECIAL = PARSED_TAGS - _FORMATTING - {"abbr", "del", "ins", "kbd", "q", "span", "sub", "sup"}
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
        if name not in PARSED_TAGS or name in _NO_DEPTH:
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

    The work is done by the sanitizer in use (:mod:`.sanitizers`: bleach by default, nh3 with
    ``FORUM_GUARD_SANITIZER="nh3"``); both keep the contract below."""
    from .sanitizers import current_sanitizer

    return current_sanitizer()(html)


def bleach_sanitize(html: str) -> tuple[str, tuple[PastedImage, ...]]:
    """:func:`sanitize` done by bleach (the ``"bleach"`` sanitizer).

    Disallowed tags are stripped with their text kept, except script-like elements, which go
    with their content. Links get ``rel="nofollow ugc noopener"``. Images whose ``src`` is not
    an http(s) (or protocol-relative) URL are removed and recorded; ``class`` on an image
    survives only as ``"emoji"``.
    """
    if not html:
        return "", ()
    cleaner = _cleaner()
    # a form feed is whitespace inside a tag and a "?" in text for bleach, except right before a
    # bogus comment, where it survives once and becomes "?" on the next pass (not idempotent):
    # as a space it reads the same in tags and is stable in text
    html = html.replace("\x0c", " ")
    try:
        return cleaner.clean_draft(_limit_depth(html))
    except Exception:
        # never raise on a str: forget a cleaner that may be in a broken state and fall back to
        # showing the input as text
        _local.cleaner = None
        return str(escape(html)), ()


