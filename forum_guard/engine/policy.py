"""The check: draft analysis → matching → limits → one action, as a :class:`Verdict`."""

from __future__ import annotations

import functools
import logging
import operator
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from markupsafe import Markup, escape

from ..errors import EmptyRulesetError, WordlistError
from . import draft as draft_mod
from . import render
from .actions import Action
from .data import shipped_dir
from .dictionary import Dictionary, default_dictionary, guarded_lists
from .limits import Limits
from .matcher import Matcher
from .rules import DEFAULT_RULES, LimitRule, run_rules
from .stemming import StemIndex, StemMatch
from .terms import ListKind, LiteralTerms, WordList, load_wordlists, without_literals
from .verdict import Match, Renderer, Verdict, Violation, ViolationKind, new_match

__all__ = ["Guard"]

log = logging.getLogger("forum_guard")
#: the list a match is of (``_term_violations`` groups by it)
_LIST_OF = operator.attrgetter("list")


class Guard:
    """A compiled ruleset: word lists plus limits. Immutable; share it between threads."""

    def __init__(self, lists: Sequence[WordList] = (), limits: Limits | None = None, *,
                 rules: Sequence[LimitRule] = DEFAULT_RULES,
                 dictionary: Dictionary | Literal["default"] | None = "default") -> None:
        names: set[str] = set()
        for wl in lists:
            if wl.name in names:
                raise WordlistError(f"two lists are named {wl.name!r}", source=wl.source)
            names.add(wl.name)
        self.lists: tuple[WordList, ...] = tuple(lists)
        self._domain_lists = frozenset(wl.name for wl in self.lists if wl.kind is ListKind.DOMAINS)
        self.limits: Limits = limits or Limits.default()
        #: the limit rules run on every draft, in order (:mod:`forum_guard.engine.rules`)
        self.rules: tuple[LimitRule, ...] = tuple(rules)
        #: lists of the folder that could not load and were skipped (:meth:`from_directory`)
        self.load_errors: tuple[WordlistError, ...] = ()
        started = time.perf_counter()
        #: the Scunthorpe guard's dictionary (:mod:`forum_guard.engine.dictionary`); None: no guard
        self.dictionary = default_dictionary() if dictionary == "default" else dictionary
        # literal terms (emoji, symbols, masked spellings) are found as written, the rest by the
        # matcher, which sees each list with its implicit exceptions (dictionary words reached loosely)
        self._literals = LiteralTerms(self.lists)
        self._has_literals = bool(self._literals)
        compiled = guarded_lists(self.lists, self.dictionary)
        self.matcher = Matcher([without_literals(wl) for wl in compiled] if self._literals else compiled)
        #: inflections of the lists that name a language other than English (Snowball stems)
        self.stems = StemIndex(self.lists)
        self._has_stems = bool(self.stems)
        #: (list_index, term_index) → what a Match of that term says (``_term_facts``)
        self._facts: dict[tuple[int, int], tuple[str, str, Action, str | None]] = {}
        self.build_seconds = time.perf_counter() - started

    @classmethod
    def from_directory(cls, path: str | Path) -> Guard:
        """Every ``*.txt`` list in the folder, and its ``limits.toml`` when there is one. A folder
        with no list is :class:`~forum_guard.errors.EmptyRulesetError`: it would filter nothing."""
        directory = Path(path)
        broken: list[WordlistError] = []
        lists = load_wordlists(directory, broken=broken)
        for exc in broken:
            log.error("word list skipped: %s", exc)
        if not lists:
            raise EmptyRulesetError(f"{directory.absolute()} holds no word lists (*.txt) that load, so no rules "
                                    "would be in force" + "".join(f"; {exc}" for exc in broken))
        limits_file = directory / "limits.toml"
        limits = Limits.load(limits_file) if limits_file.is_file() else None
        guard = cls(lists, limits)
        guard.load_errors = tuple(broken)
        return guard

    @classmethod
    def shipped(cls) -> Guard:
        """The lists and limits shipped with forum_guard (``forum_guard.wordlists``)."""
        return cls.from_directory(shipped_dir())

    def __repr__(self) -> str:
        terms = sum(len(wl.terms) for wl in self.lists)
        return f"<Guard {len(self.lists)} lists, {terms} terms, {self.matcher.key_count} keys>"

    # ---------------------------------------------------------------------------------------
    def check(self, text: str, *, markup: str | draft_mod.MarkupLanguage | None = None, html: bool | None = None,
              renderer: draft_mod.MarkupRenderer | None = None, group: str = "member",
              mark_all: bool = False) -> Verdict:
        """Check one draft for the given author group. Never raises on any ``str``; an unknown
        group or markup is a ``ValueError``. ``highlighted_html`` marks what the poster is told about;
        ``mark_all=True`` marks every match, flags included (for moderators' views).

        ``markup`` is what the draft is written in: "html", "markdown", "bbcode" or "text" (the
        default; ``html=True`` is the old spelling of "html"). Markdown and BBCode are stored as
        typed: spans, highlighting and censoring are in the source. ``renderer`` reads the draft
        instead of the built-in reader (a host's own Markdown, say; see
        :mod:`forum_guard.engine.draft.markup`)."""
        if not isinstance(text, str):
            raise TypeError(f"check() needs str, not {type(text).__name__}")
        language = draft_mod.markup_language(markup, html=html)
        html = language is draft_mod.MarkupLanguage.HTML
        group_limits = self.limits.for_group(group)
        messages = self.limits.messages
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        if len(text) > self.limits.hard_cap:
            violation = Violation(
                ViolationKind.TOO_LARGE, Action.BLOCK,
                messages.render("too_large", count=len(text), limit=self.limits.hard_cap),
                count=len(text), limit=self.limits.hard_cap,
            )
            return Verdict(
                action=Action.BLOCK, matches=(), violations=(violation,), group=group, is_html=html,
                sanitized="", highlighted_html=Markup(""), censored_html=Markup(""),
                emoji_limit=group_limits.max_emoji, markup=language.value,
            )
        draft = draft_mod.analyze(text, markup=language, renderer=renderer)
        t1 = time.perf_counter()
        timings["analyze"] = t1 - t0
        # (list_index, term_index, start, end) of each match
        raw = self.matcher.find(draft.text)
        if self._has_stems:
            raw = _with_stems(raw, self.stems.scan(draft.text))
        if self._has_literals:
            raw += self._literals.scan(draft.text)
            raw = [r for r in raw if not self._literals.excused(r[0], draft.text[r[2] : r[3]])]
            raw.sort(key=lambda r: (r[2], r[3], r[0]))
        matches = self._matches(draft, raw) if raw else []
        if self._domain_lists and (draft.links or draft.image_sources):
            matches += self._link_matches(draft, matches)
        t2 = time.perf_counter()
        timings["match"] = t2 - t1
        violations = run_rules(self.rules, draft, group_limits, messages)
        if matches:
            violations = self._term_violations(matches) + violations
        action = Action.strongest([v.action for v in violations]) if violations else Action.ALLOW
        exempt = group_limits.exempt
        exempt_action = None
        if exempt:
            exempt_action, action = action, Action.ALLOW
        timings["verdict"] = time.perf_counter() - t2
        # both HTML views are rendered on first access: most checks never read them (a clean
        # draft's two views are the same plain rendering)
        if matches:
            highlighted: Renderer = functools.partial(self._highlighted, draft, matches, mark_all)
            censored: Renderer = functools.partial(self._censored, draft, matches)
        else:
            highlighted = censored = functools.partial(self._plain, draft)
        return Verdict(action, tuple(matches), tuple(violations), group, html, draft.sanitized, highlighted,
                       censored, draft.emoji_count, group_limits.max_emoji, exempt, exempt_action, timings,
                       draft.markup)

    # ---------------------------------------------------------------------------------------
    @staticmethod
    def _plain(draft: draft_mod.Draft) -> Markup:
        """The draft as it is, escaped: what both renderings are when they have nothing to change."""
        return Markup(draft.sanitized) if draft.is_html else escape(draft.sanitized)

    def _highlighted(self, draft: draft_mod.Draft, matches: list[Match], mark_all: bool) -> Markup:
        shown = [m for m in matches if (mark_all or m.action.shown) and m.spans]
        if not shown:
            return self._plain(draft)
        return render.highlight(
            draft,
            [render.Mark(m.spans, m.list, f"fg-term fg-{m.action.value}", f"{m.list}: {m.term}") for m in shown],
        )

    def _censored(self, draft: draft_mod.Draft, matches: list[Match]) -> Markup:
        censored = self._censor(draft, matches)
        return self._plain(draft) if censored is None else censored

    # ---------------------------------------------------------------------------------------
    def _term_facts(self, list_index: int, term_index: int) -> tuple[str, str, Action, str | None]:
        """(list name, term as written, action, replacement) of a term, kept once read: a
        match is then one dict look-up away from its :class:`Match`."""
        key = (list_index, term_index)
        facts = self._facts.get(key)
        if facts is None:
            wl = self.lists[list_index]
            term = wl.terms[term_index]
            facts = self._facts[key] = (wl.name, term.pattern, wl.action, term.replacement or wl.replacement)
        return facts

    def _matches(self, draft: draft_mod.Draft, raw: list[tuple[int, int, int, int]]) -> list[Match]:
        out: list[Match] = []
        keep = out.append
        source = draft.sanitized
        facts = self._facts
        if draft._map is None:
            # a draft without a map (plain text) is its own text: a span is the range, clamped
            size = len(source)
            for li, ti, start, end in raw:
                name, term, action, replacement = facts.get((li, ti)) or self._term_facts(li, ti)
                if start < 0:
                    start = 0
                if end > size:
                    end = size
                if start < end:
                    keep(new_match(name, term, start, end, source[start:end], action, ((start, end),), replacement))
            return out
        spans_of = draft.spans
        for li, ti, start, end in raw:
            fact = facts.get((li, ti)) or self._term_facts(li, ti)
            spans = spans_of(start, end)
            if spans:
                start, end = spans[0][0], spans[-1][1]
                keep(new_match(fact[0], fact[1], start, end, source[start:end], fact[2], spans, fact[3]))
        return out

    def _link_matches(self, draft: draft_mod.Draft, found: list[Match]) -> list[Match]:
        """Links whose host is on a domains list (bare mentions are found by the scan)."""
        out: list[Match] = []
        for link in draft.links + draft.image_sources:
            if not link.host:
                continue
            for li, ti in self.matcher.match_host(link.host):
                wl = self.lists[li]
                if any(m.list == wl.name and m.start < link.end and link.start < m.end for m in found + out):
                    continue
                start, end = link.start, link.end
                matched = draft.sanitized[start:end]
                # a link without visible text is reported by its tag's extent, with nothing to mark
                spans = () if "<" in matched or start == end else ((start, end),)
                out.append(
                    Match(
                        list=wl.name, term=wl.terms[ti].pattern, start=start, end=end,
                        matched=matched, action=wl.action, spans=spans,
                    )
                )
        return out

    def _term_violations(self, matches: list[Match]) -> list[Violation]:
        messages = self.limits.messages
        by_list: dict[str, list[Match]]
        names = set(map(_LIST_OF, matches))  # (in C: a dense draft's matches are mostly of one list)
        if len(names) == 1:
            by_list = {names.pop(): matches}
        else:
            by_list = {}
            for m in matches:
                ms = by_list.get(m.list)
                if ms is None:
                    by_list[m.list] = [m]
                else:
                    ms.append(m)
        out = []
        for name, ms in by_list.items():
            action = ms[0].action
            if name in self._domain_lists:
                kind, message = ViolationKind.BLOCKED_DOMAIN, messages.text("blocked_domain")
            else:
                kind, message = ViolationKind.TERMS, messages.text(action.terms_message) if action.terms_message else ""
            out.append(Violation(kind, action, message, list=name, count=len(ms), matches=tuple(ms)))
        return out

    def _censor(self, draft: draft_mod.Draft, matches: list[Match]) -> Markup | None:
        """The draft with censor-list matches replaced, or None when there are none."""
        source = draft.sanitized
        replacements = [
            (m.spans, m.replacement if m.replacement is not None
             else render.default_censor_text("".join(source[a:b] for a, b in m.spans)))
            for m in matches
            if m.action is Action.CENSOR and m.spans
        ]
        if not replacements:
            return None
        if draft._renderer is not None:  # Markdown, BBCode: censored in the markup's own terms
            return draft_mod.censor_markup(draft, replacements)
        return render.censor(draft, replacements)


def _with_stems(raw: list[tuple[int, int, int, int]], stemmed: list[StemMatch]) -> list[tuple[int, int, int, int]]:
    """The automaton's matches plus the stemmed words it did not already cover for the same term."""
    if not stemmed:
        return raw
    taken: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for li, ti, start, end in raw:
        taken.setdefault((li, ti), []).append((start, end))
    extra = [(s.list_index, s.term_index, s.start, s.end) for s in stemmed
             if not any(a < s.end and s.start < b for a, b in taken.get((s.list_index, s.term_index), ()))]
    return sorted(raw + extra, key=lambda r: (r[2], r[3])) if extra else raw
