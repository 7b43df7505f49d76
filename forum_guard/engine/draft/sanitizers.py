"""The HTML sanitizer behind :func:`~forum_guard.engine.draft.sanitize`: a small interface with two
implementations that keep the same contract.

* ``"bleach"`` (the default): bleach with html5lib and our filters (:mod:`.sanitize`).
* ``"nh3"``: nh3, the Python binding of the Rust sanitizer ammonia (html5ever parser); 20-40x
  faster on forum drafts. An optional extra: ``pip install "forum-guard[nh3]"``.

Choose one with the environment variable ``FORUM_GUARD_SANITIZER`` (read on first use) or
:func:`use_sanitizer`. Both keep the allowlist of :mod:`.sanitize` (tags, attributes, link
protocols), drop script-like elements with their content, remove and record pasted images
(non-http(s) sources), keep ``class`` on an image only as ``"emoji"``, give every link
``rel="nofollow ugc noopener"``, and are idempotent. Their output is HTML the extractor reads with
exact offsets; the two differ only in how they spell characters (nh3 writes ``'`` where bleach
keeps ``&#39;`` as typed), never in what a browser shows.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable
from typing import Any, Protocol

from markupsafe import escape

from .model import PastedImage

__all__ = ["ENV_VAR", "SANITIZERS", "Sanitizer", "current_sanitizer", "get_sanitizer", "use_sanitizer"]

#: the environment variable that picks the sanitizer
ENV_VAR = "FORUM_GUARD_SANITIZER"


class Sanitizer(Protocol):
    """Cleans one HTML draft: the sanitized HTML and the pasted images removed from it. Never
    raises on a ``str``; idempotent; thread-safe."""

    name: str

    def __call__(self, html: str) -> tuple[str, tuple[PastedImage, ...]]: ...


class BleachSanitizer:
    """bleach + html5lib with our filters (the implementation in :mod:`.sanitize`)."""

    name = "bleach"

    def __call__(self, html: str) -> tuple[str, tuple[PastedImage, ...]]:
        from .sanitize import bleach_sanitize

        return bleach_sanitize(html)


# --------------------------------------------------------------------------------------------
# nh3

# an <img> tag in ammonia's output: lowercase names, every value double-quoted with '"' escaped
_OUT_IMG_RE = re.compile(r'<img((?:\s+[^\s=>]+(?:="[^"]*")?)*)\s*/?>')
_OUT_SRC_RE = re.compile(r'\ssrc="')
# block-level start tags outside the allowlist: bleach turns each into a newline (what a browser
# shows), so words on both sides stay apart; the same here, before nh3 strips the tag
_BLOCK_STRIPPED = ("address", "article", "aside", "details", "dialog", "fieldset", "figcaption", "figure", "footer",
                   "form", "header", "hgroup", "main", "nav", "section")
_IN_BLOCK_RE = re.compile("<(?:" + "|".join(_BLOCK_STRIPPED) + r")(?=[\s/>])(?:[^>\"']|\"[^\"]*\"|'[^']*')*>", re.I)
_SURROGATE_RE = re.compile("[\ud800-\udfff]")
# html5ever eats one newline after <pre> when it reads the output again: write none
_OUT_PRE_NEWLINES_RE = re.compile(r"(<pre(?:\s[^>]*)?>)\n+")
#: schemes let through ammonia's own URL check so that our filter sees (and records) a pasted
#: image's scheme; our filter then allows only ALLOWED_PROTOCOLS on links and http(s) on images
_SEEN_SCHEMES = frozenset({
    "http", "https", "mailto", "data", "blob", "file", "cid", "javascript", "vbscript", "ftp", "about",
    "chrome", "content", "filesystem", "ms-appx", "ms-appx-web", "res", "resource", "tel", "sms", "ws", "wss",
    "webcal", "x-apple-data-detectors", "moz-extension", "chrome-extension", "safari-extension", "android-app",
    "intent", "facetime", "skype", "callto", "ssh", "sftp", "smb", "nntp", "news", "irc", "magnet", "jar",
})


class Nh3Sanitizer:
    """nh3 (ammonia) with the same allowlist and the same pasted-image, emoji-class and link
    rules as the bleach sanitizer."""

    name = "nh3"

    def __init__(self) -> None:
        try:
            import nh3
        except ImportError as exc:  # a clear message instead of a bare ModuleNotFoundError
            raise ImportError(f'{ENV_VAR}="nh3" needs the nh3 package: pip install "forum-guard[nh3]"') from exc
        from .sanitize import _DROP_WITH_CONTENT, ALLOWED_PROTOCOLS, ALLOWED_TAGS, LINK_REL, _image_scheme

        self._nh3 = nh3
        self._image_scheme = _image_scheme
        self._protocols = ALLOWED_PROTOCOLS
        self._local = threading.local()
        attributes: dict[str, set[str]] = {
            "a": {"href", "title"},
            "abbr": {"title"},
            "img": {"src", "alt", "title", "width", "height", "class"},
            "td": {"colspan", "rowspan"},
            "th": {"colspan", "rowspan"},
            "*": set(),  # no attribute on every tag (ammonia's default allows lang and title)
        }
        self._kwargs: dict[str, Any] = {
            # <image> is read as <img> by the parser; ammonia never sees the old name
            "tags": set(ALLOWED_TAGS),
            "clean_content_tags": set(_DROP_WITH_CONTENT) - set(ALLOWED_TAGS),
            "attributes": attributes,
            "url_schemes": set(_SEEN_SCHEMES),
            "strip_comments": True,
            "link_rel": LINK_REL,
            "attribute_filter": self._attribute,
        }
        # nh3 >= 0.3 builds the ammonia cleaner once; older versions take the options per call
        cleaner_class = getattr(nh3, "Cleaner", None)
        self._clean: Callable[[str], str] = (cleaner_class(**self._kwargs).clean if cleaner_class is not None
                                             else lambda text: nh3.clean(text, **self._kwargs))

    def _attribute(self, element: str, attribute: str, value: str) -> str | None:
        if element == "img":
            if attribute == "src":
                scheme = self._image_scheme(value)
                if scheme not in ("http", "https"):
                    self._local.pasted.append(PastedImage(scheme, value[:40]))
                    self._local.recorded += 1
                    return None
            elif attribute == "class":
                return "emoji" if "emoji" in value.lower().split() else None
        elif element == "a" and attribute == "href":
            m = _HREF_SCHEME_RE.match(_URI_JUNK_RE.sub("", value).lower())
            if m and m.group(1) not in self._protocols:
                return None
        return value

    def _drop_sourceless_images(self, html: str) -> str:
        """Images whose source went (pasted, or never there) are removed; those our filter did not
        record (no ``src`` at all, or one ammonia dropped) are recorded without a scheme."""
        recorded = self._local.recorded
        pasted = self._local.pasted
        kept: list[PastedImage] = []

        def one(m: re.Match[str]) -> str:
            nonlocal recorded
            if _OUT_SRC_RE.search(m.group(1)):
                return m.group(0)
            if recorded:
                recorded -= 1
            else:
                kept.append(PastedImage("", ""))
            return ""

        out = _OUT_IMG_RE.sub(one, html)
        pasted.extend(kept)
        return out

    def __call__(self, html: str) -> tuple[str, tuple[PastedImage, ...]]:
        if not html:
            return "", ()
        from .sanitize import _limit_depth

        local = self._local
        local.pasted = []
        local.recorded = 0
        try:
            source = _limit_depth(html)
            if "<" in source:
                source = _IN_BLOCK_RE.sub(_newline_unless_first, source)
            if not source.isascii() and _SURROGATE_RE.search(source):
                source = _SURROGATE_RE.sub("\ufffd", source)  # UTF-8 (and Rust) cannot hold them
            cleaned = self._clean(source)
            if "<img" in cleaned:
                cleaned = self._drop_sourceless_images(cleaned)
            if "<pre" in cleaned:
                cleaned = _OUT_PRE_NEWLINES_RE.sub(r"\1", cleaned)
            return cleaned, tuple(local.pasted)
        except Exception:
            # never raise on a str: show the input as text
            return str(escape(html)), ()
        finally:
            local.pasted = []
            local.recorded = 0


def _newline_unless_first(m: re.Match[str]) -> str:
    return "\n" if m.start() else ""


# what bleach strips from a URI before reading its scheme (as in .links and .sanitize)
_URI_JUNK_RE = re.compile(r"[`\000-\040\177-\240\s]+|[^\x00-\x7f]+")
_HREF_SCHEME_RE = re.compile(r"([a-z][a-z0-9+.\-]*):")

#: name -> factory of every sanitizer
SANITIZERS: dict[str, Callable[[], Sanitizer]] = {"bleach": BleachSanitizer, "nh3": Nh3Sanitizer}

_lock = threading.Lock()
_built: dict[str, Sanitizer] = {}
_current: Sanitizer | None = None


def get_sanitizer(name: str) -> Sanitizer:
    """The sanitizer called ``name`` ("bleach" or "nh3"), built once. An unknown name is a
    ``ValueError``; nh3 not installed is an ``ImportError`` saying what to install."""
    key = name.strip().lower()
    if key not in SANITIZERS:
        raise ValueError(f"unknown HTML sanitizer {name!r}: choose one of {', '.join(sorted(SANITIZERS))}")
    with _lock:
        sanitizer = _built.get(key)
        if sanitizer is None:
            sanitizer = _built[key] = SANITIZERS[key]()
        return sanitizer


def current_sanitizer() -> Sanitizer:
    """The sanitizer in use: :func:`use_sanitizer`'s, else ``FORUM_GUARD_SANITIZER``'s, else bleach."""
    global _current
    sanitizer = _current
    if sanitizer is None:
        sanitizer = get_sanitizer(os.environ.get(ENV_VAR, "").strip() or "bleach")
        _current = sanitizer
    return sanitizer


def use_sanitizer(name: str | None) -> Sanitizer:
    """Switch the process to the sanitizer ``name`` (None: back to the environment's choice)."""
    global _current
    _current = None if name is None else get_sanitizer(name)
    return current_sanitizer()
