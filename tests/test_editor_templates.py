"""The editor's templates rendered on the server: what a page holds before any JavaScript runs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import close_app
from flask import Flask, render_template_string
from test_embed import make_app

from forum_guard.web import check


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    app = make_app(tmp_path)
    yield app
    close_app(app)


def test_the_notice_names_the_words_as_text_for_a_screen_reader(app: Flask) -> None:
    """The server-rendered notice (also without JavaScript) names the words, without the tags
    that cut through them."""
    with app.test_request_context():
        verdict = check("<p>a <b>fu</b>cking day, shit</p>", markup="html")
        html = render_template_string('{% from "forum_guard/_notice.html" import notice %}{{ notice(v, for_id="c") }}',
                                      v=verdict)
    assert "Words to change: fucking, shit." in html
    assert "data-fg-blocked" in html


def test_two_editor_macros_and_the_head_include_load_the_assets_once(app: Flask) -> None:
    page = """{% from "forum_guard/_editor.html" import editor, attach_editor %}
    {% include "forum_guard/_head.html" %}{{ editor("content") }}<textarea id="m"></textarea>
    {{ attach_editor("m", markup="markdown") }}{{ attach_editor("m", markup="markdown") }}"""
    with app.test_request_context():
        html = render_template_string(page)
    assert html.count("editor.js") == 1 and html.count("editor.css") == 1
    assert html.count('name="csrf-token"') == 1
    assert html.count('data-fg-attach="m"') == 1 and html.count('data-fg-notice-for="m"') == 1
    assert 'data-fg-markup="html"' in html and "&#34;markup&#34;: &#34;markdown&#34;" in html
