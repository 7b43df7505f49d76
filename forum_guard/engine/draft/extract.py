"""The visible text of sanitized HTML, with the offset map back to it, its links and images.

The sanitized HTML is read once by a compiled regex tokenizer (bleach's output has no comments and
no bare ``<`` or ``&`` in text): one split on tags in C, then one step per text node and tag.
Images are inline: ``fu<img>ck`` reads "fuck" (a 0×0 image must not split a word). The ``alt`` and
``title`` texts a reader sees are read after the body, each mapped to its place inside its tag.
"""

from __future__ import annotations

import html as _html
import re
from dataclasses import dataclass
from itertools import accumulate

from .links import host_of
from .model import Link, OffsetMap, SegmentKind
from .sanitize import PARSED_TAGS

__all__ = ["Extracted", "extract"]



# A tag (quotes may hold ">"); splitting sanitized HTML on it alternates text and tags.
# bleach's output has no comments and no bare "<" or "&" in text.
_TAG_SPLIT_RE = re.compile(r"""(<(?:[^>"']|"[^"]*"|'[^']*')*+>)""")
_TAG_NAME_RE = re.compile(r"</?([A-Za-z][A-Za-z0-9]*)")
ENTITY_SPLIT_RE = re.compile(r"(&(?:#[0-9]{1,8}|#[xX][0-9a-fA-F]{1,7}|[A-Za-z][A-Za-z0-9]{0,31});)")
_ATTR_RE = re.compile(r"""([^\s=/>"']+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?""")

#: Tags that separate the text before them from the text after them.
BREAK_TAGS = frozenset({
    "address", "article", "aside", "blockquote", "br", "caption", "dd", "details", "div", "dl",
    "dt", "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr",
    "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody", "td",
    "tfoot", "th", "thead", "tr", "ul",
})
_BREAK, _LINK, _IMAGE, _TITLED = 1, 2, 4, 8
_ROLE: dict[str, int] = dict.fromkeys(BREAK_TAGS, _BREAK)
_ROLE["a"] = _LINK
_ROLE["img"] = _IMAGE
_ROLE["abbr"] = _TITLED
# the attributes whose text a reader sees (as a tooltip, or instead of a missing image)
_TEXT_ATTRIBUTES = ("alt", "title")
# the role of the common attribute-free tags, looked up by the whole tag
_SIMPLE_TAG_ROLE: dict[str, int] = {}
for _name in PARSED_TAGS | BREAK_TAGS:
    if _name not in ("a", "img", "abbr"):
        _SIMPLE_TAG_ROLE[f"<{_name}>"] = _SIMPLE_TAG_ROLE[f"</{_name}>"] = _ROLE.get(_name, 0)
del _name


def _attributes(raw: str) -> dict[str, tuple[str, int]]:
    """Each attribute's value as written (entities not decoded) and its offset in ``raw``."""
    attrs: dict[str, tuple[str, int]] = {}
    for m in _ATTR_RE.finditer(raw):
        for group in (2, 3, 4):
            if m.group(group) is not None:
                value, at = m.group(group), m.start(group)
                break
        else:
            value, at = "", m.end()
        attrs.setdefault(m.group(1).lower(), (value, at))
    return attrs


@dataclass(slots=True)
class Extracted:
    text: str
    map: OffsetMap
    links: list[Link]
    #: [text_start, text_end) of each <a>'s text, to skip URLs that are already a link's text
    link_text_ranges: list[tuple[int, int]]
    image_count: int
    emoji_images: int
    #: where the body ends in ``text`` (the attribute texts follow)
    body_end: int
    #: the source of every image, its span the ``<img>`` tag
    image_sources: list[Link]


def extract(html: str) -> Extracted:
    """Visible text of sanitized HTML, the offset map, <a> links and image counts.

    One split on tags (C), then one step per text node and tag; entities are split out of the
    (few) text nodes holding an "&". Attribute texts are read after the body.
    """
    pieces = _TAG_SPLIT_RE.split(html)
    offsets = list(accumulate(map(len, pieces), initial=0))
    parts: list[str] = []
    seg_t: list[int] = []
    seg_h: list[int] = []
    seg_tl: list[int] = []
    seg_hl: list[int] = []
    seg_kind: list[int] = []
    t_pos = 0
    pending_break = False
    links: list[Link] = []
    link_text_ranges: list[tuple[int, int]] = []
    image_sources: list[Link] = []
    attribute_texts: list[tuple[str, int]] = []  # (value as written, offset in html)
    open_link: tuple[str, int, int, int] | None = None  # href, tag start, tag end, text start
    image_count = emoji_images = 0
    unescape = _html.unescape
    simple_role = _SIMPLE_TAG_ROLE.get
    n_pieces = len(pieces)

    def add_text(text: str, h_pos: int, kind: int) -> None:
        nonlocal t_pos
        if "&" not in text:
            n = len(text)
            parts.append(text)
            seg_t.append(t_pos)
            seg_h.append(h_pos)
            seg_tl.append(n)
            seg_hl.append(n)
            seg_kind.append(kind)
            t_pos += n
            return
        for j, chunk in enumerate(ENTITY_SPLIT_RE.split(text)):
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
            seg_kind.append(kind)
            t_pos += tl
            h_pos += hl

    def note_attributes(attrs: dict[str, tuple[str, int]], tag_start: int) -> None:
        for name in _TEXT_ATTRIBUTES:
            value = attrs.get(name)
            if value is not None and value[0].strip():
                attribute_texts.append((value[0], tag_start + value[1]))

    for i in range(0, n_pieces, 2):
        text = pieces[i]
        if text:
            if pending_break:
                pending_break = False
                if t_pos:
                    parts.append("\n")
                    t_pos += 1
            add_text(text, offsets[i], 0)
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
        tag_start = offsets[i + 1]
        if role & _LINK:
            if closing:
                if open_link is not None:
                    href, tag_s, tag_e, text_s = open_link
                    inner_s, inner_e = tag_e, offsets[i + 1]
                    if inner_s >= inner_e:
                        inner_s, inner_e = tag_s, tag_e
                    links.append(Link(href, host_of(href), inner_s, inner_e))
                    link_text_ranges.append((text_s, t_pos))
                    open_link = None
            else:
                attrs = _attributes(tag[2:-1])
                note_attributes(attrs, tag_start + 2)
                href_value = attrs.get("href")
                if href_value is not None:
                    open_link = (unescape(href_value[0]), tag_start, offsets[i + 2], t_pos)
        elif role & _IMAGE and not closing:
            attrs = _attributes(tag[4:-1])
            note_attributes(attrs, tag_start + 4)
            src = attrs.get("src")
            if src is not None:
                url = unescape(src[0])
                image_sources.append(Link(url, host_of(url), tag_start, offsets[i + 2]))
            css = attrs.get("class")
            if css is not None and css[0] == "emoji":
                emoji_images += 1
            else:
                image_count += 1
        elif role & _TITLED and not closing:
            note_attributes(_attributes(tag[5:-1]), tag_start + 5)

    if open_link is not None:  # unclosed <a> (not produced by bleach): runs to the end
        href, tag_s, tag_e, text_s = open_link
        inner_s, inner_e = (tag_e, len(html)) if tag_e < len(html) else (tag_s, tag_e)
        links.append(Link(href, host_of(href), inner_s, inner_e))
        link_text_ranges.append((text_s, t_pos))

    body_end = t_pos
    for value, at in attribute_texts:
        parts.append("\n")
        t_pos += 1
        add_text(value, at, int(SegmentKind.ATTRIBUTE))

    return Extracted(
        text="".join(parts),
        map=OffsetMap.build(seg_t, seg_h, seg_tl, seg_hl, seg_kind),
        links=links,
        link_text_ranges=link_text_ranges,
        image_count=image_count,
        emoji_images=emoji_images,
        body_end=body_end,
        image_sources=image_sources,
    )
