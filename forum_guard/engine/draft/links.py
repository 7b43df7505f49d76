"""Links in a draft: bare URLs and ``www.`` hosts in text, the host a browser would contact for a
URL, and the scheme of an image source."""

from __future__ import annotations

import functools
import html as _html
import re
from urllib.parse import unquote

from .model import Link

__all__ = ["host_of", "image_scheme", "text_links"]


# a URL in text: a scheme or "www.", then anything up to whitespace, quotes or angle brackets
_URL_RE = re.compile(r"""(?:\b(?:https?|ftp)://|\bwww\.)[^\s<>"'`\x00]+""", re.I)
_URL_TRAILING = frozenset(".,;:!?'\"*_~")
_URL_CLOSERS = {")": "(", "]": "[", "}": "{"}
# browsers drop tab/CR/LF anywhere in a URL, and C0 controls and spaces at its ends
_URL_STRIP_RE = re.compile(r"[\t\r\n]")
_URL_EDGES_RE = re.compile(r"^[\x00-\x20]+|[\x00-\x20]+$")
_HOST_DOTS_RE = re.compile("[\u3002\uff0e\uff61]")
_SCHEME_RE = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
# the schemes a browser parses with an authority however many slashes or backslashes follow
_SPECIAL_SCHEMES = frozenset({"http", "https", "ftp", "ws", "wss"})
# where a special URL's authority ends
_AUTHORITY_END_RE = re.compile(r"[/\\?#]")
# what bleach strips from a URI before reading its scheme
_URI_JUNK_RE = re.compile(r"[`\000-\040\177-\240\s]+|[^\x00-\x7f]+")
_LOWER_SCHEME_RE = re.compile(r"([a-z][a-z0-9+.\-]*):")


def _trim_url(url: str) -> str:
    """Drop trailing punctuation that belongs to the sentence, and unbalanced closers.

    One pass from the end with running counts (linear: a URL followed by 100,000 ``)`` costs
    what its length costs)."""
    counts = {c: url.count(c) for c in "()[]{}"}
    end = len(url)
    while end:
        last = url[end - 1]
        if last in _URL_TRAILING:
            end -= 1
        elif last in _URL_CLOSERS and counts[last] > counts[_URL_CLOSERS[last]]:
            counts[last] -= 1
            end -= 1
        else:
            break
    return url[:end]


def _normalize_host(host: str) -> str:
    host = _HOST_DOTS_RE.sub(".", host).strip().rstrip(".").lower()
    if not host or (host.isascii() and "xn--" not in host):
        return host
    try:
        # nameprep folds full-width and compatibility letters; "xn--" labels decode to Unicode
        return host.encode("idna").decode("idna").lower()
    except (UnicodeError, ValueError):
        return host


def _authority_host(rest: str) -> str:
    """The host of what follows a special URL's slashes: up to ``/ \\ ? #``, without the user
    information (up to the last ``@``) and the port."""
    m = _AUTHORITY_END_RE.search(rest)
    authority = rest[: m.start()] if m else rest
    authority = authority.rpartition("@")[2]
    if authority.startswith("["):  # an IPv6 literal
        return authority[1:].partition("]")[0]
    return authority.partition(":")[0]


@functools.lru_cache(maxsize=1024)
def host_of(url: str) -> str:
    """The host a browser would contact for ``url`` ("" if none). Never raises.

    Read as browsers read URLs (the WHATWG URL standard) rather than as RFC 3986 does: for http,
    https, ftp and ws(s), and for a relative URL that starts with two slashes, any run of ``/``
    and ``\\`` leads to the authority (``///host``, ``\\\\host``, ``/\\host``, ``https:host``,
    ``https:\\\\host`` all reach ``host``), tabs and newlines anywhere are dropped, the user
    information and the port are not the host, and the host is percent-decoded.
    """
    try:
        u = _URL_EDGES_RE.sub("", _URL_STRIP_RE.sub("", url))
        if u[:7].lower() == "mailto:":
            address = unquote(u[7:]).split("?", 1)[0].split(",", 1)[0]
            return _normalize_host(address.rpartition("@")[2]) if "@" in address else ""
        if u[:4].lower() == "www.":
            u = "http://" + u
        m = _SCHEME_RE.match(u)
        if m:
            scheme = m.group(1).lower()
            rest = u[m.end():]
            if scheme in _SPECIAL_SCHEMES:
                host = _authority_host(rest.lstrip("/\\"))
            elif rest.startswith("//"):
                host = _authority_host(rest[2:])
            else:
                return ""
        elif u[:1] in ("/", "\\") and u[1:2] in ("/", "\\"):
            host = _authority_host(u.lstrip("/\\"))  # scheme-relative, on an http(s) page
        else:
            return ""  # a relative path stays on the forum
        return _normalize_host(unquote(host))
    except Exception:
        return ""


def image_scheme(src: str) -> str:
    """The scheme of an image source, read the way bleach reads it; "" when there is none.
    Protocol-relative sources (``//host/x.png``) are on the web: "http"."""
    normalized = _URI_JUNK_RE.sub("", _html.unescape(src)).lower()
    if normalized[:1] in ("/", "\\") and normalized[1:2] in ("/", "\\") and len(normalized) > 2:
        return "http"
    m = _LOWER_SCHEME_RE.match(normalized)
    return m.group(1) if m else ""


def _may_hold_url(text: str) -> bool:
    """Whether ``text`` has "://" or a "www." in any case (what ``_URL_RE`` starts with). A
    single character is a memchr: most posts have no ":" at all."""
    if ":" in text and "://" in text:
        return True
    if text.isascii():
        return "ww." in text.lower()
    # what any "www." ends with; a lone "w" first, a memchr that settles text in other scripts
    return ("w" in text and "w." in text) or ("W" in text and "W." in text)


def text_links(text: str) -> list[Link]:
    """Bare URLs and www. hosts in text; spans are offsets in ``text``."""
    found: list[Link] = []
    if not _may_hold_url(text):
        return found  # the common case, decided by a few fast searches instead of the full pattern
    for m in _URL_RE.finditer(text):
        url = _trim_url(m.group())
        host = host_of(url)
        if host:
            found.append(Link(url, host, m.start(), m.start() + len(url)))
    return found
