"""A bound on the attributes of one tag, applied to HTML drafts before they are sanitized.

html5lib (inside bleach) compares each new attribute of a tag with all the earlier ones to drop
duplicates, so one tag with tens of thousands of attributes costs seconds (100 kB: 5.5 s). No
allowed tag keeps more than five attributes, and only the first of a repeated name counts, so a
tag is cut down to its first :data:`MAX_ATTRIBUTES` distinct attributes before the parser sees
it; ordinary tags are never touched (only a tag longer than :data:`_LONG_TAG` is looked at).
"""

from __future__ import annotations

import re

__all__ = ["MAX_ATTRIBUTES", "bound_attributes"]

#: The most attributes one tag keeps (distinct names, first occurrence wins, as in HTML).
MAX_ATTRIBUTES = 32
# a tag no ordinary draft writes: only these are looked at
_LONG_TAG = 1_000
_TAG_RE = re.compile(r"<([A-Za-z][^\s/<>]*)([^<>]*)>")
_ATTR_RE = re.compile(r"""([^\s=/>"']+)(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>"']+))?""")


def _cut(m: re.Match[str]) -> str:
    attrs = m.group(2)
    kept: dict[str, str] = {}
    for a in _ATTR_RE.finditer(attrs):
        name = a.group(1).lower()
        if name not in kept:
            kept[name] = a.group()
            if len(kept) == MAX_ATTRIBUTES:
                break
    return "<" + m.group(1) + "".join(" " + a for a in kept.values()) + ">"


def bound_attributes(html: str) -> str:
    """``html`` with every tag cut to its first :data:`MAX_ATTRIBUTES` distinct attributes."""
    if len(html) <= _LONG_TAG:
        return html
    return _TAG_RE.sub(lambda m: _cut(m) if len(m.group()) > _LONG_TAG else m.group(), html)
