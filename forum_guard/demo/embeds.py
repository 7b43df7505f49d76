"""The demo's embed resolver (``FORUM_GUARD_EMBED_RESOLVER``): a link to one of this forum's own
topics (``/t/<id>``, a ``#post-<id>`` anchor naming one of its posts) becomes a preview card with
the topic's title, the post's opening words and its author. Links elsewhere, and topics or posts a
guest could not see, get the default host-and-path card. Nothing is fetched over the network: the
card is read from the forum's own database."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from flask import request
from markupsafe import Markup

from .models import PUBLISHED, Post, Topic, db

__all__ = ["forum_card"]

_TOPIC_PATH = re.compile(r"/t/(\d{1,18})/?")
_POST_ANCHOR = re.compile(r"post-(\d{1,18})")


def forum_card(url: str) -> dict[str, Any] | None:
    parts = urlsplit(url)
    if (parts.netloc or "").lower() != request.host.lower():
        return None
    topic_match = _TOPIC_PATH.fullmatch(parts.path or "")
    if topic_match is None:
        return None
    topic = db().get(Topic, int(topic_match.group(1)))
    if topic is None or topic.status != PUBLISHED:
        return None
    visible = [p for p in topic.posts if p.status == PUBLISHED]
    if not visible:
        return None
    post: Post = visible[0]
    kind = "topic"
    anchor = _POST_ANCHOR.fullmatch(parts.fragment or "")
    if anchor is not None:
        chosen = next((p for p in visible if p.id == int(anchor.group(1))), None)
        if chosen is not None:
            post, kind = chosen, "post"
    text = Markup(post.content).striptags() if "<" in post.content else post.content
    return {"kind": kind, "title": topic.title, "excerpt": text, "author": post.author_name}
