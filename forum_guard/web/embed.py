"""Link previews for the editor: ``POST <prefix>/embed`` with ``{"url": "https://…"}`` answers the
card the editor shows in place of a pasted link (issue 11: "Display as a link instead" turns it back
into a plain, clickable link).

The card is built on the server: the host's resolver (``FORUM_GUARD_EMBED_RESOLVER``) gives the
title, excerpt and author of the forum's own topics and posts; any other link, or a resolver that
returns ``None``, gets a card with the link's host and path. Nothing is ever fetched from the
link's site.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any
from urllib.parse import unquote, urlsplit

from flask import current_app, jsonify
from flask.typing import ResponseReturnValue

from .body import json_object
from .config import ConfigKeys
from .errors import DraftRefused
from .state import guard_state

__all__ = ["MAX_URL", "EmbedCard", "EmbedResolver", "embed_view", "link_card", "resolve_card"]

log = logging.getLogger(__name__)

#: The longest URL the endpoint takes.
MAX_URL = 2048
#: The longest texts a card shows (longer ones are cut, with an ellipsis).
_LIMITS = {"title": 200, "excerpt": 300, "author": 100, "path": 200}


@dataclass(frozen=True)
class EmbedCard:
    """What the editor shows for a link: always its ``url``, ``host`` and ``path``; the title,
    excerpt and author when the host knows them (``kind`` ``"topic"`` or ``"post"``)."""

    url: str
    host: str
    path: str
    kind: str = "link"
    title: str | None = None
    excerpt: str | None = None
    author: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


#: ``resolver(url) -> EmbedCard | Mapping | None``
EmbedResolver = Callable[[str], "EmbedCard | Mapping[str, Any] | None"]


def _cut(text: str | None, limit: int) -> str | None:
    if text is None:
        return None
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _checked_url(url: object) -> str:
    if not isinstance(url, str) or not url.strip():
        raise DraftRefused("url must be a link that starts with http:// or https://.")
    url = url.strip()
    if len(url) > MAX_URL:
        raise DraftRefused(f"url must be at most {MAX_URL} characters.")
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise DraftRefused("url must be a link that starts with http:// or https://.")
    return url


def link_card(url: str) -> EmbedCard:
    """The card of any link: its host and path (with the query), nothing fetched."""
    parts = urlsplit(url)
    path = unquote(parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return EmbedCard(url=url, host=parts.hostname or "", path=path)


def resolve_card(url: str, resolver: EmbedResolver | None) -> EmbedCard:
    """The card of ``url``: the resolver's (its fields cut to size; url, host and path always the
    link's own), else :func:`link_card`. A resolver that fails is logged and treated as ``None``."""
    base = link_card(url)
    if resolver is None:
        return base
    try:
        found = resolver(url)
    except Exception:  # the host's code: a broken resolver must not break the editor
        log.exception("FORUM_GUARD_EMBED_RESOLVER failed for %r", url)
        return base
    if found is None:
        return base
    fields = found.to_dict() if isinstance(found, EmbedCard) else dict(found)
    kind = str(fields.get("kind") or "link")
    return replace(
        base,
        kind=kind if kind in ("link", "topic", "post") else "link",
        title=_cut(fields.get("title"), _LIMITS["title"]),
        excerpt=_cut(fields.get("excerpt"), _LIMITS["excerpt"]),
        author=_cut(fields.get("author"), _LIMITS["author"]),
    )


def embed_view() -> ResponseReturnValue:
    """``POST <prefix>/embed`` with ``{"url": str}``: the link's :class:`EmbedCard` as JSON."""
    body = json_object("The request")
    url = _checked_url(body.get("url"))
    resolver = guard_state().config.get(ConfigKeys.EMBED_RESOLVER) or current_app.config.get(ConfigKeys.EMBED_RESOLVER)
    card = resolve_card(url, resolver)
    return jsonify(replace(card, path=_cut(card.path, _LIMITS["path"]) or "/").to_dict())
