"""The visible text of sanitized HTML, with the offset map back to it, its links and images.

The sanitized HTML is read once by a compiled regex tokenizer (bleach's output has no comments and
no bare ``<`` or ``&`` in text): one split on tags in C, then one step per text node and tag.
"""

from __future__ import annotations

import html as _html
import re
from dataclasses import dataclass
from itertools import accumulate

from .links import host_of
from .model import Link, OffsetMap
from .sanitize import PARSED_TAGS

__all__ = ["Extracted", "extract"]



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
for _name in PARSED_TAGS | _BREAK_TAGS:
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
class Extracted:
    text: str
    map: OffsetMap
    links: list[Link]
    #: [text_start, text_end) of each <a>'s text, to skip URLs that are already a link's text
    link_text_ranges: list[tuple[int, int]]
    image_count: int
    emoji_images: int


def extract(html: str) -> Extracted:
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
                    links.append(Link(href, host_of(href), inner_s, inner_e))
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
        links.append(Link(href, host_of(href), inner_s, inner_e))
        link_text_ranges.append((text_s, t_pos))

    return Extracted(
        text="".join(parts),
        map=OffsetMap(tuple(seg_t), tuple(seg_h), tuple(seg_tl), tuple(seg_hl)),
        links=links,
        link_text_ranges=link_text_ranges,
        image_count=image_count,
        emoji_images=emoji_images,
    )


