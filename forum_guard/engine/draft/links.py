"""Links in a draft: bare URLs and ``www.`` hosts in text, and the host a browser would contact."""

from __future__ import annotations

import functools
import re
from urllib.parse import unquote, urlsplit

from .model import Link

__all__ = ["host_of", "text_links"]



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
def host_of(url: str) -> str:
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


def text_links(text: str) -> list[Link]:
    """Bare URLs and www. hosts in text; spans are offsets in ``text``."""
    found: list[Link] = []
    if "://" not in text and "ww." not in text and "WW." not in text:
        return found  # the common case, decided by two fast searches instead of the full pattern
    for m in _URL_RE.finditer(text):
        url = _trim_url(m.group())
        host = host_of(url)
        if host:
            found.append(Link(url, host, m.start(), m.start() + len(url)))
    return found


