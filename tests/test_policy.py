"""Guard.check end to end: actions and precedence, limits per group, messages, rendering."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from markupsafe import Markup

from forum_guard import Action, Guard, Limits, ViolationKind, parse_wordlist
from forum_guard.engine.limits import message_problem
from forum_guard.errors import LimitsError

WORDLISTS = Path(__file__).resolve().parent.parent / "wordlists"
BLOCK = parse_wordlist("# name: bad\nfuck*\nshit\n", name="bad")
HOLD = parse_wordlist("# name: spam\n# action: require_approval\n# inflections: off\nbuy followers\n", name="spam")
FLAG = parse_wordlist("# name: watch\n# action: flag\ncrypto\n", name="watch")
CENSOR = parse_wordlist("# name: mild\n# action: censor\ndarn\nheck => h*ck\n", name="mild")
DOMAINS = parse_wordlist("# name: hosts\n# kind: domains\nhopzone.eu\n", name="hosts")
GUARD = Guard([BLOCK, HOLD, FLAG, CENSOR, DOMAINS])

TERMS_MESSAGE = ("Unfortunately, your content contains terms that we do not allow. "
                 "Please edit your content to remove the highlighted words below.")


@pytest.mark.parametrize(
    ("text", "action"),
    [
        ("hello there", Action.ALLOW),
        ("darn it", Action.CENSOR),
        ("crypto talk, darn", Action.FLAG),
        ("buy followers now, crypto", Action.REQUIRE_APPROVAL),
        ("buy followers, fucking crypto darn", Action.BLOCK),
    ],
)
def test_action_precedence(text: str, action: Action) -> None:
    verdict = GUARD.check(text)
    assert verdict.action is action
    # every rule broken is reported, not only the strongest
    assert {v.list for v in verdict.violations} == {m.list for m in verdict.matches}


def test_block_notice_and_highlight_in_plain_text() -> None:
    verdict = GUARD.check("a <b>f.u.c.k</b> & shit")
    assert verdict.action is Action.BLOCK
    assert verdict.messages == (TERMS_MESSAGE,)
    assert [(m.start, m.end, m.matched, m.term, m.list) for m in verdict.matches] == [
        (5, 12, "f.u.c.k", "fuck*", "bad"), (19, 23, "shit", "shit", "bad")]
    html = str(verdict.highlighted_html)
    assert isinstance(verdict.highlighted_html, Markup)
    assert "&lt;b&gt;" in html and "<b>" not in html  # plain text is escaped, not interpreted
    assert html.count('<mark class="fg-term fg-block" data-list="bad"') == 2
    assert ">f.u.c.k</mark>" in html


def test_html_draft_split_by_tags_is_marked_per_text_node() -> None:
    verdict = GUARD.check("<p>oh f<b>uc</b>k</p>", html=True)
    (match,) = verdict.matches
    assert match.spans == ((6, 7), (10, 12), (16, 17))
    assert verdict.sanitized[match.start : match.end] == "f<b>uc</b>k"
    html = str(verdict.highlighted_html)
    assert html.count("<mark") == 3 and "<b><mark" in html


def test_censor_replaces_terms() -> None:
    verdict = GUARD.check("well darn, what the heck")
    assert verdict.action is Action.CENSOR
    assert "d***" in verdict.censored_html and "h*ck" in verdict.censored_html
    assert "darn" not in verdict.censored_html


def test_flag_is_not_shown_to_the_poster() -> None:
    verdict = GUARD.check("crypto")
    assert verdict.action is Action.FLAG
    assert verdict.messages == ()
    assert "<mark" not in verdict.highlighted_html
    assert verdict.matches[0].list == "watch"


def test_domains_in_links_and_text() -> None:
    verdict = GUARD.check('<p>see <a href="https://www.hopzone.eu/x">this</a></p>', html=True)
    assert verdict.action is Action.BLOCK
    (v,) = verdict.violations
    assert v.kind is ViolationKind.BLOCKED_DOMAIN
    assert verdict.matches[0].matched == "this"
    text_verdict = GUARD.check("For verified travel tips and real support, visit: https://hopzone.eu/")
    assert text_verdict.matches[0].matched == "hopzone.eu"


def test_emoji_limit_per_group_and_message() -> None:
    assert GUARD.check("😀" * 75).action is Action.ALLOW
    verdict = GUARD.check("👨‍👩‍👧 " * 76)
    assert verdict.action is Action.BLOCK
    assert verdict.messages == ("Only 75 emoji are allowed.",)
    assert (verdict.emoji_count, verdict.emoji_limit) == (76, 75)


def test_pasted_images_are_refused_and_removed() -> None:
    verdict = GUARD.check('<p>hi <img src="data:image/png;base64,AAAA"></p><img src="https://x.org/a.png">', html=True)
    assert verdict.action is Action.BLOCK
    assert verdict.messages == ("You cannot paste images directly. Upload or insert images from URL.",)
    assert "data:" not in verdict.sanitized and "https://x.org/a.png" in verdict.sanitized


def test_links_per_group() -> None:
    text = "see https://a.example/ and https://b.example/"
    assert GUARD.check(text, group="member").action is Action.ALLOW
    guest = GUARD.check(text, group="guest")
    assert guest.action is Action.BLOCK
    assert guest.violations[0].kind is ViolationKind.LINKS and guest.violations[0].limit == 1


def test_moderator_is_exempt_but_told() -> None:
    verdict = GUARD.check("shit", group="moderator")
    assert verdict.action is Action.ALLOW and verdict.exempt
    assert verdict.exempt_action is Action.BLOCK
    assert verdict.to_dict()["exempt"] is True


def test_hard_cap_refuses_before_work() -> None:
    limits = Limits.from_dict({"hard_cap": 1000})
    guard = Guard([BLOCK], limits)
    verdict = guard.check("shit " * 1000)
    assert verdict.action is Action.BLOCK
    assert verdict.violations[0].kind is ViolationKind.TOO_LARGE
    assert verdict.matches == ()
    assert "5,000" in verdict.messages[0] and "1,000" in verdict.messages[0]


def test_length_limits() -> None:
    guard = Guard([], Limits.from_dict({"defaults": {"max_length": 10, "min_length": 3}}))
    assert guard.check("hello").action is Action.ALLOW
    assert guard.check("hello there world").violations[0].kind is ViolationKind.TOO_LONG
    assert guard.check("  a ").violations[0].kind is ViolationKind.TOO_SHORT


def test_unknown_group_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown member group 'admins'"):
        GUARD.check("x", group="admins")


def test_limits_file_and_errors(tmp_path: Path) -> None:
    limits = Limits.load(WORDLISTS / "limits.toml")
    assert limits.for_group("member").max_emoji == 75
    assert limits.for_group("moderator").exempt
    assert limits.for_group("guest").max_links == 1
    bad = tmp_path / "limits.toml"
    bad.write_text("[defaults]\nmax_emojis = 3\n", encoding="utf-8")
    with pytest.raises(LimitsError, match="unknown limit 'max_emojis'"):
        Limits.load(bad)
    bad.write_text("[defaults\n", encoding="utf-8")
    with pytest.raises(LimitsError, match="not valid TOML"):
        Limits.load(bad)
    assert Limits.from_dict(limits.to_dict()) == limits


def test_custom_messages_follow_the_limit() -> None:
    limits = Limits.from_dict({"defaults": {"max_emoji": 3}, "messages": {"emoji": "Max {limit} smileys!"}})
    verdict = Guard([], limits).check("😀😀😀😀")
    assert verdict.messages == ("Max 3 smileys!",)


@pytest.mark.parametrize(("template", "fragment"), [
    ("Only {limt} links.", "{limt}"),
    ("Only {limit:>200000000} links.", "thousands separator"),
    ("Only {limit!r} links.", "thousands separator"),
    ("Only {limit.__class__} links.", "{limit.__class__}"),
    ("Only {0} links.", "{0}"),
    ("Only {limit links.", "not a valid template"),
    ("x" * 1001, "longer than"),
])
def test_a_notice_that_is_not_a_safe_template_is_refused(template: str, fragment: str) -> None:
    with pytest.raises(LimitsError, match=re.escape(fragment)):
        Limits.from_dict({"messages": {"links": template}})
    assert message_problem("Only {limit} links, you sent {count:,}.") is None


def test_a_bad_notice_already_in_force_falls_back_to_the_shipped_wording() -> None:
    """A template stored before they were checked (or set in code) never fails a check nor fills
    400 MB: the forum's default wording is shown instead."""
    limits = Limits.default()
    wide = dataclasses.replace(limits, messages=dataclasses.replace(limits.messages, links="{limit:>200000000}",
                                                                    emoji="Only {limt} emoji"))
    verdict = Guard([], wide).check("😀" * 80 + " https://a.example https://b.example", group="guest")
    shipped = limits.messages
    assert set(verdict.messages) >= {shipped.render("emoji", limit=75), shipped.render("links", limit=1)}
    assert max(map(len, verdict.messages)) < 200


def test_shipped_lists_load_and_catch_the_seed_spam() -> None:
    guard = Guard.from_directory(WORDLISTS)
    verdict = guard.check("For verified travel tips and real support, visit: https://hopzone.eu/", group="guest")
    assert verdict.action is Action.BLOCK
    assert "hopzone.eu" in {m.matched for m in verdict.matches}


@pytest.mark.parametrize(
    "text",
    ["", "\x00", "\ud800 lone surrogate", "<" * 5000, "<b>" * 10000, "&#0; &#xD800; &bogus;", "\u202e" * 100],
)
def test_never_raises_on_hostile_input(text: str) -> None:
    for html in (False, True):
        verdict = GUARD.check(text, html=html)
        for m in verdict.matches:
            assert 0 <= m.start <= m.end <= len(verdict.sanitized)


def test_script_in_draft_and_term_is_escaped() -> None:
    evil = parse_wordlist('# name: x\n"><script>alert(1)</script>\n', name="x")
    guard = Guard([evil])
    verdict = guard.check('hi "><script>alert(1)</script>', html=False)
    assert verdict.matches
    assert "<script>" not in str(verdict.highlighted_html)
    html_verdict = guard.check("<p>hi</p><script>alert(1)</script>", html=True)
    assert "<script" not in html_verdict.sanitized and "<script" not in str(html_verdict.highlighted_html)


def test_mark_all_marks_flags_for_moderators() -> None:
    verdict = GUARD.check("crypto and darn", mark_all=True)
    html = str(verdict.highlighted_html)
    assert 'data-list="watch"' in html and 'data-list="mild"' in html
    assert verdict.action is GUARD.check("crypto and darn").action


def test_match_violation_and_verdict_keep_each_value_under_its_own_name() -> None:
    """Their constructors set the slots one by one in field order: every keyword must land in
    the field of that name."""
    from forum_guard.engine.verdict import Match, Verdict, Violation

    m = Match(list="l", term="t*", start=1, end=5, matched="tick", action=Action.FLAG, spans=((1, 5),),
              replacement="r")
    assert (m.list, m.term, m.start, m.end, m.matched, m.action, m.spans, m.replacement) == (
        "l", "t*", 1, 5, "tick", Action.FLAG, ((1, 5),), "r")
    v = Violation(kind=ViolationKind.EMOJI, action=Action.BLOCK, message="m", list="x", count=9, limit=3,
                  matches=(m,))
    assert (v.kind, v.action, v.message, v.list, v.count, v.limit, v.matches) == (
        ViolationKind.EMOJI, Action.BLOCK, "m", "x", 9, 3, (m,))
    d = Verdict(action=Action.BLOCK, matches=(m,), violations=(v,), group="guest", is_html=True,
                sanitized="<p>tick</p>", highlighted_html=Markup("<p>h</p>"), censored_html=lambda: Markup("c"),
                emoji_count=9, emoji_limit=3, exempt=False, exempt_action=None, timings={"a": 1.0},
                markup="markdown")
    assert (d.action, d.matches, d.violations, d.group, d.is_html, d.sanitized, d.emoji_count, d.emoji_limit,
            d.exempt, d.exempt_action, d.timings, d.markup) == (
        Action.BLOCK, (m,), (v,), "guest", True, "<p>tick</p>", 9, 3, False, None, {"a": 1.0}, "markdown")
    assert (d.highlighted_html, d.censored_html) == (Markup("<p>h</p>"), Markup("c"))
    assert d.messages == ("m",)


def test_matches_of_a_check_are_frozen_dataclasses_like_any_other() -> None:
    """A check makes its matches the fast way (``new_match``): they are Match instances that
    compare, hash, copy, pickle and refuse writes like ones made by ``Match(...)``."""
    import copy
    import dataclasses
    import pickle

    from forum_guard.engine.verdict import Match

    found = GUARD.check("what the fuck").matches
    assert found and all(type(m) is Match for m in found)
    m = found[0]
    same = Match(m.list, m.term, m.start, m.end, m.matched, m.action, m.spans, m.replacement)
    assert m == same and hash(m) == hash(same) and repr(m) == repr(same)
    assert pickle.loads(pickle.dumps(m)) == m and copy.deepcopy(m) == m
    assert dataclasses.replace(m, start=0).start == 0 and [f.name for f in dataclasses.fields(m)][:3] == [
        "list", "term", "start"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.start = 0  # type: ignore[misc]
    assert not hasattr(m, "__dict__")
