"""Draft analysis: sanitizing, pasted images, emoji, text extraction with offsets, links."""

from __future__ import annotations

import html
import itertools
import re
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forum_guard.engine.draft import (
    LINK_REL,
    Draft,
    Link,
    PastedImage,
    analyze,
    count_emoji,
    count_shortcodes,
    sanitize,
)

REL = f' rel="{LINK_REL}"'


def clean(source: str) -> str:
    return sanitize(source)[0]


# --------------------------------------------------------------------------------------------
# sanitizing


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("<p>Hi <b>there</b> <i>you</i></p>", "<p>Hi <b>there</b> <i>you</i></p>"),
        ("<strong>a</strong><em>b</em><u>c</u><s>d</s><strike>e</strike><del>f</del><ins>g</ins>",
         "<strong>a</strong><em>b</em><u>c</u><s>d</s><strike>e</strike><del>f</del><ins>g</ins>"),
        ("x<sub>1</sub><sup>2</sup><code>c()</code>", "x<sub>1</sub><sup>2</sup><code>c()</code>"),
        ("<blockquote>q <q>inner</q></blockquote>", "<blockquote>q <q>inner</q></blockquote>"),
        ("<ul><li>a</li></ul><ol><li>b</li></ol>", "<ul><li>a</li></ul><ol><li>b</li></ol>"),
        ("<h1>t</h1><h6>s</h6><hr>", "<h1>t</h1><h6>s</h6><hr>"),
        ("<div onclick='steal()'>a</div>", "<div>a</div>"),
        ("<span style='color:red' class='x'>a</span>", "<span>a</span>"),
        ("<font color=red>a</font><section>b</section>", "a\nb"),
        ("<mark>m</mark>", "m"),  # the highlighter's own tag is not for authors
        ("<form action=x><input name=y>z</form>", "z"),
        ('<a href="http://x.com" target="_blank" onclick="x()">x</a>', f'<a href="http://x.com"{REL}>x</a>'),
        ('<a href="http://x.com" rel="dofollow">x</a>', f'<a href="http://x.com"{REL}>x</a>'),
        ('<a href="mailto:me@example.com">m</a>', f'<a href="mailto:me@example.com"{REL}>m</a>'),
        ('<a href="javascript:alert(1)">j</a>', f"<a{REL}>j</a>"),
        ('<a href="JaVaScRiPt&#58;alert(1)">j</a>', f"<a{REL}>j</a>"),
        ('<a href="vbscript:x">v</a>', f"<a{REL}>v</a>"),
        ('<a href="data:text/html,<script>x</script>">d</a>', f"<a{REL}>d</a>"),
        ('<img src="https://x.com/a.png" onerror="alert(1)" alt="a" width="10" class="big">',
         '<img src="https://x.com/a.png" alt="a" width="10">'),
        ('<img src="https://x.com/e.png" class="emoji" alt=":smile:">',
         '<img src="https://x.com/e.png" class="emoji" alt=":smile:">'),
        ('<img src="https://x.com/e.png" class=" Emoji  only-emoji">', '<img src="https://x.com/e.png" class="emoji">'),
        ("<table><tr><td colspan=2 style=x>c</td></tr></table>",
         '<table><tbody><tr><td colspan="2">c</td></tr></tbody></table>'),
        ("<!-- secret --><p>x</p>", "<p>x</p>"),
        ("a < b & c > d", "a &lt; b &amp; c &gt; d"),
        ("&amp; &nbsp; &lt;&#39;&#x1F600;", "&amp; &nbsp; &lt;&#39;&#x1F600;"),
        ("<iframe src='http://evil'>inner</iframe>after", "after"),
        ("<textarea><b>q</b></textarea>t", "t"),
        ("<noscript><p>x</p></noscript>y", "y"),
        ("<template><b>t</b></template>z", "z"),
        ("<object data=x>fallback</object>o", "o"),
    ],
)
def test_allowlist(source: str, expected: str) -> None:
    assert clean(source) == expected


SCRIPT_ELEMENTS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.js>alert(1)</SCRIPT>",
    "<script>document.write('<b>alert(1)</b>')</script>",
    '<script type="text/javascript">var a = "</b>"; alert(1)</script>',
    "<script>alert(1)",  # never closed
    "<svg><script>alert(1)</script></svg>",
    "<math><style>alert(1)</style></math>",
    "<style>body { background: url(alert(1)) }</style>",
    "<div><script>alert(1)</script></div>",
    "<p>a<script>alert(1)</script>b</p>",
    "<noscript>alert(1)</noscript>",
    "<template><script>alert(1)</script></template>",
]
SCRIPT_TRICKS = [
    "<scr<script>ipt>alert(1)</script>",
    "<<script>script>alert(1)<</script>/script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    "<svg onload=alert(1)>",
    "<body onload=alert(1)>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
]


@pytest.mark.parametrize("source", SCRIPT_ELEMENTS + SCRIPT_TRICKS)
def test_script_never_survives(source: str) -> None:
    lowered = analyze(source, html=True).sanitized.lower()
    assert "<script" not in lowered
    assert "<style" not in lowered
    assert "onerror" not in lowered and "onload" not in lowered
    assert "javascript:" not in lowered


@pytest.mark.parametrize("source", SCRIPT_ELEMENTS)
def test_script_content_is_not_text(source: str) -> None:
    draft = analyze(source, html=True)
    assert "alert" not in draft.text
    assert "alert" not in draft.sanitized


def test_script_content_dropped_but_surrounding_text_kept() -> None:
    draft = analyze("<p>before<script>alert('x')</script>after</p>", html=True)
    assert draft.sanitized == "<p>beforeafter</p>"
    assert draft.text == "beforeafter"


TRICKY = [
    "<p>plain</p>",
    "unclosed <b>bold <i>both",
    "<b>mis<i>nested</b>tags</i>",
    "</p></div>stray ends",
    "<p>a<p>b<p>c",
    "<li>no list<li>two",
    "<a href='http://a.com'>outer <a href='http://b.com'>inner</a> tail</a>",
    "<a href='http://a.com'><div><a href='http://b.com'>x</a></div></a>",
    "<a href='http://a.com'><table><tr><td><a href='http://b.com'>c</a></td></tr></table></a>",
    "<table>stray text<tr><td>cell</td></tr>more</table>",
    "<table><td>no tr</td></table>",
    "<pre>\n\nleading newlines</pre>",
    "<pre>\nx</pre>",
    "<table><td><pre>\n\ncell pre</pre></table>",
    "<div><pre>\n\n\nx</pre></div>",
    "&amp;&lt;&gt;&quot;&#39;&nbsp;&copy;&acE;&#128512;&#x1F600;",
    "&unknown; & &amp &#; &#x; &#99999999;",
    "a &lt;script&gt;alert(1)&lt;/script&gt;",
    "<a href='http://x.com/?a=1&b=2&amp;c=3'>q</a>",
    "<a href=\"http://x.com/'quote'\" title='a \"b\" c'>t</a>",
    "<img src='http://x/a.png' alt='a<b>&c'>",
    "<img src='data:image/png;base64,AAAA'>after",
    "<p>x</p><!-- comment --><!-- unclosed",
    "<p title=unquoted>x</p>",
    "<<>><<<",
    "< p>not a tag</ p>",
    "<b\n>newline in tag</b\n>",
    "\r\nwindows\rlines\r\n",
    "tab\tand\x0bcontrol\x01chars\x7f",
    "<svg><desc><b>x</b></desc></svg>",
    "<math><mi>x</mi></math>",
    "<select><option>a</option></select>",
    "<frameset><frame src=x></frameset>text",
    "<html><head><title>t</title></head><body>b</body></html>",
    "<h1><h2>nested headings</h2></h1>",
    "<ul><li><ul><li>deep</li></ul></li></ul>",
    "<blockquote><blockquote>q</blockquote></blockquote>",
    "a\u202ebidi\u200bzero width",
    "emoji 👍🏽 and <img class='emoji' src='https://e/x.png'>",
    "<a href='//cdn.example.com/x'>protocol-relative</a>",
    "<a href='http://[::1'>broken ipv6</a>",
    "\ud800 lone surrogate <b>\udfff</b>",
    "nul\x00in <b>the\x00middle</b>",
    "<b>" * 300 + "deep" + "</b>" * 300,
    "<div>" * 300 + "deep",
]


@pytest.mark.parametrize("source", TRICKY)
def test_sanitize_is_idempotent(source: str) -> None:
    once, _ = sanitize(source)
    twice, pasted_again = sanitize(once)
    assert twice == once
    assert pasted_again == ()


def test_sanitize_empty() -> None:
    assert sanitize("") == ("", ())


def test_cleaner_is_per_thread() -> None:
    sources = [f"<p>thread {i} <b>bold</b> <img src='data:x'> <a href='http://h{i}.com'>l</a></p>" for i in range(8)]
    expected = [sanitize(s) for s in sources]
    results: dict[int, list[tuple[str, tuple[PastedImage, ...]]]] = {}

    def work(n: int) -> None:
        results[n] = [sanitize(s) for s in sources * 25]

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for got in results.values():
        assert got == expected * 25


# --------------------------------------------------------------------------------------------
# pasted images


@pytest.mark.parametrize(
    ("img", "scheme"),
    [
        ('<img src="data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk">', "data"),
        ('<img src="blob:https://forum.example/1f2e3d">', "blob"),
        ('<img src="file:///C:/Users/me/Pictures/x.png">', "file"),
        ('<img src="cid:image001.png@01D9">', "cid"),
        ('<img src="javascript:alert(1)">', "javascript"),
        ('<img src="  DATA:image/gif;base64,R0lGOD">', "data"),
        ('<img src="data&colon;image/png,xx">', "data"),
        ('<img src="jav&#x09;ascript:alert(1)">', "javascript"),
        ('<img src="ftp://x/y.png">', "ftp"),
        ('<img src="image001.png">', ""),  # relative: a local file from the clipboard
        ('<img src="/uploads/a.png">', ""),
        ('<img src="">', ""),
        ("<img>", ""),
        ("<img alt='no source'>", ""),
        ('<image src="blob:abc">', "blob"),  # <image> is read as <img>
    ],
)
def test_pasted_image_removed_and_recorded(img: str, scheme: str) -> None:
    draft = analyze(f"<p>before{img}after</p>", html=True)
    assert draft.sanitized == "<p>beforeafter</p>"
    assert len(draft.pasted_images) == 1
    pasted = draft.pasted_images[0]
    assert pasted.scheme == scheme
    assert len(pasted.src_preview) <= 40
    assert draft.image_count == 0


def test_pasted_image_preview_is_first_40_chars() -> None:
    src = "data:image/png;base64," + "A" * 500
    (pasted,) = analyze(f'<img src="{src}">', html=True).pasted_images
    assert pasted == PastedImage("data", src[:40])


@pytest.mark.parametrize(
    "src",
    ["https://example.com/a.png", "http://example.com/a.png", "HTTPS://EXAMPLE.COM/A.PNG", "//cdn.example.com/a.png"],
)
def test_web_image_kept(src: str) -> None:
    draft = analyze(f'<p><img src="{src}" alt="pic"></p>', html=True)
    assert draft.sanitized == f'<p><img src="{src}" alt="pic"></p>'
    assert draft.pasted_images == ()
    assert draft.image_count == 1
    assert draft.emoji_count == 0


def test_several_pasted_images_in_order() -> None:
    draft = analyze(
        '<img src="data:a"><img src="https://x/1.png"><img src="cid:b"><img src="blob:c"><img src="http://x/2.png">',
        html=True,
    )
    assert [p.scheme for p in draft.pasted_images] == ["data", "cid", "blob"]
    assert draft.image_count == 2
    assert draft.sanitized == '<img src="https://x/1.png"><img src="http://x/2.png">'


def test_plain_text_has_no_images() -> None:
    draft = analyze('<img src="data:x">', html=False)
    assert draft.pasted_images == () and draft.image_count == 0
    assert draft.sanitized == draft.text == '<img src="data:x">'


# --------------------------------------------------------------------------------------------
# emoji


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("", 0),
        ("plain ascii :) <3", 0),
        ("😀", 1),
        ("👨‍👩‍👧", 1),  # ZWJ family
        ("👨‍👩‍👧‍👦", 1),
        ("👩🏽‍💻", 1),  # skin tone inside a ZWJ sequence
        ("👍🏽", 1),  # skin tone
        ("👍🏻👍🏼👍🏽👍🏾👍🏿", 5),
        ("☝🏽", 1),  # text-default base with a skin tone
        ("🇫🇷", 1),  # flag
        ("🇫🇷🇩🇪🇯🇵", 3),
        ("🏴󠁧󠁢󠁥󠁮󠁧󠁿", 1),  # England: tag sequence
        ("1️⃣", 1),  # keycap
        ("#️⃣*️⃣", 2),
        ("1⃣", 1),  # keycap without FE0F
        ("1", 0),
        ("❤️", 1),
        ("❤", 0),  # text presentation without FE0F
        ("©", 0),
        ("®", 0),
        ("™", 0),
        ("↔", 0),
        ("© ® ™ ↔ ‼ ℹ", 0),
        ("©️", 1),
        ("↔️", 1),
        ("⌚", 1),  # emoji presentation by default
        ("⌚︎", 0),  # ... unless text presentation is asked for
        ("🏳️‍🌈", 1),
        ("🏳️‍⚧️", 1),
        ("👁️‍🗨️", 1),
        ("🧑‍🤝‍🧑", 1),
        ("😀" * 80, 80),
        ("👍🏽" * 80, 80),
        ("👨‍👩‍👧" * 80, 80),
        ("🇫🇷" * 80, 80),
        ("Great job 👍🏽 love it ❤️ 🇫🇷 party 🎉🎉 family 👨‍👩‍👧 © 2024", 6),
        ("Café déjà vu — naïve “quotes” ½ €", 0),
    ],
)
def test_count_emoji(text: str, count: int) -> None:
    assert count_emoji(text) == count


def test_eighty_emoji_pasted_in_html() -> None:
    source = "<p>" + " ".join(["😀", "👍🏽", "🇫🇷", "👨‍👩‍👧", "1️⃣", "❤️", "🎉", "🏳️‍🌈"] * 10) + "</p>"
    assert analyze(source, html=True).emoji_count == 80
    assert analyze(source, html=False).emoji_count == 80


@pytest.mark.parametrize(
    ("text", "emoticons", "count"),
    [
        (":smile:", None, 1),
        (":thumbs_up: :+1: :heart:", None, 3),
        (":Thumbs_Up:", None, 1),  # any case
        (":smile::smile:", None, 2),
        (":smile:smile:", None, 1),  # two codes share no colon
        ("at 10:30:00", None, 0),
        (":not_an_emoji_name:", None, 0),
        ("::", None, 0),
        (": smile :", None, 0),
        (":party_parrot: :smile:", frozenset({"party_parrot"}), 1),
        (":party_parrot: :smile:", frozenset({":party_parrot:", ":smile:"}), 2),
        (":smile:", frozenset(), 0),
    ],
)
def test_count_shortcodes(text: str, emoticons: frozenset[str] | None, count: int) -> None:
    assert count_shortcodes(text, emoticons) == count


def test_shortcodes_and_emoji_add_up() -> None:
    draft = analyze("hi :smile: and 😀 and :party_parrot:", html=False, emoticons=frozenset({"smile", "party_parrot"}))
    assert draft.emoji_count == 3


def test_emoji_images_count_as_emoji_not_images() -> None:
    draft = analyze(
        '<p>hi <img class="emoji" src="https://f.example/e/smile.png" alt=":smile:">'
        '<img class="emoji" src="https://f.example/e/wink.png" alt=":wink:"> 😀 '
        '<img src="https://f.example/photo.jpg"></p>',
        html=True,
    )
    assert draft.emoji_count == 3
    assert draft.image_count == 1


def test_emoji_image_must_be_on_the_web() -> None:
    draft = analyze('<img class="emoji" src="data:image/png;base64,AA">', html=True)
    assert draft.emoji_count == 0
    assert [p.scheme for p in draft.pasted_images] == ["data"]


def test_emoji_in_attributes_not_counted() -> None:
    draft = analyze('<a href="http://x.com/😀" title="😀😀">link</a><img src="https://x/a.png" alt="😀">', html=True)
    assert draft.emoji_count == 0


# --------------------------------------------------------------------------------------------
# text extraction


@pytest.mark.parametrize(
    ("source", "text"),
    [
        ("f<b>uc</b>k", "fuck"),
        ("f<strong>u</strong><i>c</i><em>k</em>", "fuck"),
        ("f<span>u</span><a href='http://x'>c</a><code>k</code>", "fuck"),
        ("f<u>u</u><s>c</s><del>k</del><ins>s</ins><sub>x</sub><sup>y</sup><small>z</small><abbr>w</abbr>", "fucksxyzw"),
        ("<p>one</p><p>two</p>", "one\ntwo"),
        ("<ul><li>one</li><li>two</li></ul>", "one\ntwo"),
        ("<div>one</div>two", "one\ntwo"),
        ("one<br>two", "one\ntwo"),
        ("one<br><br><br>two", "one\ntwo"),
        ("one<hr>two", "one\ntwo"),
        ("one<img src='http://x/a.png'>two", "onetwo"),  # an image is inline: it joins (issue 12)
        ("<h1>title</h1>body", "title\nbody"),
        ("<blockquote>quoted</blockquote>reply", "quoted\nreply"),
        ("<table><tr><td>a</td><td>b</td></tr></table>", "a\nb"),
        ("fish &amp; chips", "fish & chips"),
        ("a&nbsp;b", "a\xa0b"),
        ("&lt;b&gt;", "<b>"),
        ("&#102;&#x75;ck", "fuck"),
        ("&copy;&eacute;&mdash;", "©é—"),
        ("&acE;", "\u223e\u0333"),  # one entity, two characters
        ("&bogus;", "&bogus;"),
        ("<p></p><p>only</p><p></p>", "only"),
        ("<script>x</script>kept", "kept"),
    ],
)
def test_text_extraction(source: str, text: str) -> None:
    assert analyze(source, html=True).text == text


def test_plain_text_is_its_own_text() -> None:
    source = "a <b>not html</b> &amp;\r\n 😀\ud800"
    draft = analyze(source, html=False)
    assert draft.text == draft.sanitized == draft.source == source
    assert not draft.is_html
    assert draft.spans(2, 5) == ((2, 5),)


SPAN_DRAFTS = [
    "f<b>uc</b>k you",
    "<p>fish &amp; chips&nbsp;&lt;3</p><ul><li>one</li><li>t<i>w</i>o</li></ul>",
    "&acE;&#128512;&#x1F44D;x&eacute;",
    "<a href='http://x.com/?a=1&b=2'>li<b>n</b>k</a> after<br>line",
    "<pre>\n\ncode &amp; more</pre><table><tr><td>c&lt;1</td></tr></table>",
    "👨‍👩‍👧 <b>emoji</b> &#x2764;&#xFE0F;",
    "plain text with no tags at all",
    "&bogus; &amp &#; lone & and < and >",
]


@pytest.mark.parametrize("source", SPAN_DRAFTS)
def test_spans_map_every_character(source: str) -> None:
    draft = analyze(source, html=True)
    assert draft.text
    for i, ch in enumerate(draft.text):
        spans = draft.spans(i, i + 1)
        if not spans:
            assert ch == "\n", (i, ch)  # an inserted separator maps to nothing
            continue
        assert len(spans) == 1
        s, e = spans[0]
        piece = draft.sanitized[s:e]
        assert "<" not in piece and ">" not in piece  # never inside or across a tag
        decoded = html.unescape(piece)
        if len(piece) == 1:
            assert piece == ch
        else:  # an entity, whole
            assert piece.startswith("&") and piece.endswith(";")
            assert ch in decoded


@pytest.mark.parametrize("source", SPAN_DRAFTS)
def test_spans_of_whole_text_cover_all_text_nodes(source: str) -> None:
    draft = analyze(source, html=True)
    spans = draft.spans(0, len(draft.text))
    decoded = "".join(html.unescape(draft.sanitized[s:e]) for s, e in spans)
    assert decoded.replace("\n", "") == draft.text.replace("\n", "")
    assert all(a[1] < b[0] for a, b in itertools.pairwise(spans))  # sorted, disjoint


def test_spans_cut_by_tags() -> None:
    draft = analyze("f<b>uc</b>k", html=True)
    assert draft.text == "fuck"
    assert draft.spans(0, 4) == ((0, 1), (4, 6), (10, 11))
    assert draft.spans(1, 3) == ((4, 6),)
    assert draft.spans(2, 4) == ((5, 6), (10, 11))


def test_spans_entity_is_indivisible() -> None:
    draft = analyze("a&amp;b", html=True)
    assert draft.text == "a&b"
    assert draft.spans(1, 2) == ((1, 6),)
    assert draft.spans(0, 2) == ((0, 6),)
    assert draft.spans(0, 3) == ((0, 7),)
    assert draft.spans(2, 3) == ((6, 7),)
    two = analyze("x&acE;y", html=True)  # an entity that decodes to two characters
    assert two.spans(1, 2) == two.spans(2, 3) == two.spans(1, 3) == ((1, 6),)


def test_spans_separators_map_to_nothing() -> None:
    draft = analyze("<p>one</p><p>two</p>", html=True)
    assert draft.text == "one\ntwo"
    assert draft.spans(3, 4) == ()
    assert draft.spans(2, 5) == ((5, 6), (13, 14))


@pytest.mark.parametrize(("start", "end"), [(0, 0), (3, 2), (-5, 0), (100, 200)])
def test_spans_empty_or_out_of_range(start: int, end: int) -> None:
    assert analyze("<b>word</b>", html=True).spans(start, end) == ()
    assert analyze("word", html=False).spans(start, end) == ()


def test_spans_are_clamped() -> None:
    draft = analyze("<b>word</b>", html=True)
    assert draft.spans(-3, 100) == ((3, 7),)


def test_clip_keeps_ranges_out_of_tags_and_entities() -> None:
    draft = analyze("<p>a &amp; <b>bold</b></p>", html=True)
    san = draft.sanitized
    assert draft.clip(0, len(san)) == ((3, 11), (14, 18))
    amp = san.index("&amp;")
    assert draft.clip(amp + 2, amp + 3) == ((amp, amp + 5),)
    assert draft.clip(0, 3) == ()  # all inside <p>


# --------------------------------------------------------------------------------------------
# links


@pytest.mark.parametrize(
    ("href", "host"),
    [
        ("http://example.com/", "example.com"),
        ("https://Sub.Example.COM:8443/path?q=1", "sub.example.com"),
        ("HTTPS://WWW.EXAMPLE.COM", "www.example.com"),
        ("https://a.b.c.example.co.uk./x", "a.b.c.example.co.uk"),
        ("http://user:pass@evil.example:80@ignored", "ignored"),
        ("http://good.example@evil.example/", "evil.example"),
        ("//cdn.example.net/x", "cdn.example.net"),
        ("http://%65vil.example/", "evil.example"),
        ("http://[::1]:8080/", "::1"),
        ("http://127.0.0.1/", "127.0.0.1"),
        ("https://xn--bcher-kva.example/", "bücher.example"),
        ("https://BÜCHER.example/", "bücher.example"),
        ("https://ｅｖｉｌ．example/", "evil.example"),
        ("mailto:Someone@Spam.Example?subject=hi", "spam.example"),
        ("mailto:nobody", ""),
        ("/relative/path", ""),
        ("#anchor", ""),
        ("http://", ""),
        ("https://" + "a" * 100 + ".example/", "a" * 100 + ".example"),
    ],
)
def test_anchor_hosts(href: str, host: str) -> None:
    draft = analyze(f'<p>see <a href="{html.escape(href)}">the link</a></p>', html=True)
    (link,) = draft.links
    assert link.host == host
    assert link.href == href
    assert draft.sanitized[link.start : link.end] == "the link"


def test_anchor_span_is_inner_html_or_tag_when_empty() -> None:
    draft = analyze('<a href="http://a.example">x<b>y</b></a> <a href="http://b.example"></a>', html=True)
    first, second = draft.links
    assert draft.sanitized[first.start : first.end] == "x<b>y</b>"
    assert draft.sanitized[second.start : second.end] == f'<a href="http://b.example"{REL}>'


def test_anchor_without_href_is_not_a_link() -> None:
    assert analyze('<a href="javascript:x()">j</a><a>plain</a>', html=True).links == ()


def test_garbage_hrefs_never_raise() -> None:
    hrefs = ["http://[", "http://]", "http://[::1/broken", "https://:80", "http://a:b:c", "http://\ud800.example", "http://" + "." * 300,
             "http://a..b", "http://x\x00y", "\\\\evil.example\\x", "http:\\\\evil.example", "http:evil.example"]
    source = "".join(f'<a href="{html.escape(h)}">{i}</a>' for i, h in enumerate(hrefs))
    draft = analyze(source, html=True)
    assert all(isinstance(link.host, str) for link in draft.links)
    hosts = {link.host for link in draft.links}
    assert "evil.example" in hosts  # backslashes and a missing "//" are read as browsers do


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("visit http://example.com now", [("http://example.com", "example.com")]),
        ("visit https://Sub.Example.com:8080/a?b=c#d.", [("https://Sub.Example.com:8080/a?b=c#d", "sub.example.com")]),
        ("go to www.spam.example, then", [("www.spam.example", "www.spam.example")]),
        ("WWW.SHOUT.EXAMPLE!", [("WWW.SHOUT.EXAMPLE", "www.shout.example")]),
        ("(see http://x.example/a_(b))", [("http://x.example/a_(b)", "x.example")]),
        ("(see http://x.example/a)", [("http://x.example/a", "x.example")]),
        ("two: http://a.example and https://b.example/x", [("http://a.example", "a.example"), ("https://b.example/x", "b.example")]),
        ("<http://angle.example>", [("http://angle.example", "angle.example")]),
        ("ftp://files.example/x", [("ftp://files.example/x", "files.example")]),
        ("no links here, just www and http", []),
        ("http:// nothing", []),
        ("awww.example is not a www host", []),
    ],
)
def test_plain_text_urls(text: str, expected: list[tuple[str, str]]) -> None:
    draft = analyze(text, html=False)
    assert [(link.href, link.host) for link in draft.links] == expected
    for link in draft.links:
        assert text[link.start : link.end] == link.href


def test_bare_urls_in_html_text() -> None:
    draft = analyze(
        '<p>see www.spam.example and <a href="http://a.example">http://a.example</a> '
        "or http://x.example/?a=1&amp;b=2</p>",
        html=True,
    )
    assert [(link.href, link.host) for link in draft.links] == [
        ("www.spam.example", "www.spam.example"),
        ("http://a.example", "a.example"),  # the <a>, not its text a second time
        ("http://x.example/?a=1&b=2", "x.example"),
    ]
    last = draft.links[-1]
    assert draft.sanitized[last.start : last.end] == "http://x.example/?a=1&amp;b=2"
    assert isinstance(last, Link)


# --------------------------------------------------------------------------------------------
# hostile input


@pytest.mark.parametrize(
    "source",
    [
        "\ud800",
        "a\udfffb<b>\ud800</b>",
        "\x00",
        "a\x00b<p>\x00</p>",
        "<b>" * 10_000 + "deep",
        "<div>" * 10_000 + "deep",
        "<a href='http://x'>" * 2_000,
        "<table>" * 2_000,
        "<li>" * 5_000,
        "<p>" * 5_000,
        "<" * 10_000,
        "&" * 10_000,
        "&#" + "9" * 1000 + ";",
        "<a " + "x" * 10_000,
        "<img src='" + "data:" * 2_000,
        '<a href="' + "http://x.example/" * 500 + '">x</a>',
        "\ufeff\u202e\u2066\u200d",
        "😀" * 5_000,
        ":" * 10_000,
        "www." * 2_000,
    ],
)
@pytest.mark.parametrize("as_html", [True, False])
def test_never_raises(source: str, as_html: bool) -> None:
    draft = analyze(source, html=as_html)
    assert isinstance(draft, Draft)
    if as_html:
        assert "<script" not in draft.sanitized
        for i in range(0, len(draft.text), max(1, len(draft.text) // 50)):
            draft.spans(i, i + 3)


def test_deep_nesting_keeps_the_text() -> None:
    draft = analyze("<b>" * 10_000 + "deep" + "</b>" * 10_000, html=True)
    assert draft.text == "deep"
    draft = analyze("<div>" * 10_000 + "deeper", html=True)
    assert draft.text == "deeper"


def test_legit_nesting_is_kept() -> None:
    source = "<blockquote>" * 40 + "<ul><li><ol><li><b><i><a href='http://x.example'>deep</a></i></b></li></ol></li></ul>"
    source += "</blockquote>" * 40 + "<p>x <b>y</b></p>" * 200  # many tags, nothing pathological
    out = clean(source)
    assert out.count("<blockquote>") == 40
    assert out.count("<p>") == 200
    assert analyze(source, html=True).text.startswith("deep\nx y\nx y")


@pytest.mark.parametrize(
    "source",
    [
        "<div>" * 5_000,
        "<div/>" * 5_000,
        "".join(f"<div><b id={i}></div>" for i in range(2_000)),  # formatting elements reopened
        "<span><div></span>" * 3_000,  # end tags the parser ignores
        "<a href='http://x.example'><div>" * 3_000,
        "<b><i></b></i>" * 3_000,
    ],
)
def test_pathological_nesting_is_bounded(source: str) -> None:
    out = clean(source)
    assert len(out) < 10 * len(source)  # unbounded, these grew quadratically (megabytes)
    assert max_depth(out) <= 2 * 100


def max_depth(sanitized: str) -> int:
    depth = deepest = 0
    for m in re.finditer(r"<(/?)(\w+)[^>]*>", sanitized):
        if m.group(2) in ("br", "hr", "img"):
            continue
        depth += -1 if m.group(1) else 1
        deepest = max(deepest, depth)
    return deepest


html_pieces = st.sampled_from([
    "<p>", "</p>", "<b>", "</b>", "<a href='http://x.example/?a=1&b=2'>", "</a>", "<img src='data:x'>",
    "<img src='http://i.example/x.png' class='emoji'>", "<pre>", "\n", "&amp;", "&", "&nbsp;", "&lt;", "<", ">",
    "<script>", "</script>", "<style>", "word ", "www.x.example ", "<br>", "<table>", "<td>", "<li>", "<!--", "-->",
    '"', "'", "<div>", "</div>", "\ud800", "\x00", "😀", "👍🏽", "🇫", ":smile:", "<svg>", "<textarea>", "<h1>", "&acE;",
])


@settings(max_examples=300, deadline=None)
@given(st.lists(html_pieces, max_size=30).map("".join))
def test_analyze_properties(source: str) -> None:
    draft = analyze(source, html=True)
    assert "<script" not in draft.sanitized
    for i, ch in enumerate(draft.text):
        spans = draft.spans(i, i + 1)
        assert spans or ch == "\n"
        for s, e in spans:
            assert ch in html.unescape(draft.sanitized[s:e])
    for link in draft.links:
        assert 0 <= link.start <= link.end <= len(draft.sanitized)


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_analyze_any_text(source: str) -> None:
    for as_html in (True, False):
        draft = analyze(source, html=as_html)
        assert draft.emoji_count >= 0
        for link in draft.links:
            assert 0 <= link.start <= link.end <= len(draft.sanitized)


def test_emoji_start_class_covers_every_emoji_start() -> None:
    """count_emoji only looks where EMOJI_START_RE finds a character: it must cover every code point
    an emoji can begin with, by the Unicode data the `regex` module carries."""
    import regex

    from forum_guard.engine.draft import EMOJI_START_RE

    starts = regex.compile(r"[\p{Extended_Pictographic}\p{Emoji_Presentation}\p{Regional_Indicator}]")
    missing = [hex(c) for c in range(0x80, 0x110000)
               if not 0xD800 <= c <= 0xDFFF and starts.match(chr(c)) and not EMOJI_START_RE.match(chr(c))]
    assert missing == []


_EMOJI_PIECES = ["😀", "👨\u200d👩\u200d👧", "👍🏽", "🇫🇷", "1\ufe0f\u20e3", "#\u20e3", "❤\ufe0f", "❤", "©", "™\ufe0f",
                 "\U0001F3F4\U000E0067\U000E0062\U000E0065\U000E006E\U000E0067\U000E007F", "é", " ", "a", "\u200d",
                 "\ufe0f", "\ufe0e", "🏽", "🇫", "7", "—"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_EMOJI_PIECES), max_size=40).map("".join))
def test_count_emoji_equals_the_whole_text_pattern(text: str) -> None:
    from forum_guard.engine.draft.emoji import _EMOJI_RE

    expected = 0 if text.isascii() else len(_EMOJI_RE.findall(text))
    assert count_emoji(text) == expected


@pytest.mark.parametrize("text", ["WWw.spam.eu", "wWw.spam.eu now", "caf\u00e9 WwW.spam.eu", "x http://spam.eu",
                                  "caf\u00e9 HTTPS://spam.eu"])
def test_bare_links_in_any_case_are_found(text: str) -> None:
    """A "www." or a scheme in mixed case is a link to a browser and to a forum's autolinker; the
    fast test for "no link here" must not skip it (it read only "ww." and "WW." once)."""
    assert [link.host for link in analyze(text).links] == ["www.spam.eu" if "w." in text.lower() else "spam.eu"]


def test_plain_text_draft_is_the_draft_the_constructor_makes() -> None:
    # a plain-text check builds its Draft by storing the slots (fast): it must be the very Draft
    # the dataclass's own constructor makes, every field included, so a field added to Draft
    # without the fast path knowing it fails here
    source = "see http://example.com/a :) 😀 and www.example.org"
    draft = analyze(source)
    expected = Draft(source=source, is_html=False, sanitized=source, text=source, links=draft.links,
                     emoji_count=draft.emoji_count, markup="text")
    assert [link.host for link in draft.links] == ["example.com", "www.example.org"]
    assert draft.emoji_count == 1
    assert draft == expected
    assert all(getattr(draft, name) == getattr(expected, name) for name in Draft.__slots__)
    assert draft.body == source and draft.spans(4, 8) == ((4, 8),)
