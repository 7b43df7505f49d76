"""Coverage-guided fuzz target (atheris) for the HTML check path and the wordlist parser.

    python tests/fuzz/fuzz_guard.py -max_total_time=60 tests/fuzz/corpus

Any exception other than a WordlistError from the parser is a crash; so is a span outside the
sanitized draft or a highlight that is more than the sanitized draft plus marks.
"""

from __future__ import annotations

import re
import sys

import atheris

with atheris.instrument_imports():
    from forum_guard import Guard, WordlistError, parse_wordlist

GUARD = Guard([
    parse_wordlist("# name: bad\nfuck*\nshit\nass\n*fucker\n!cum laude\ncum\n", name="bad"),
    parse_wordlist("# name: mild\n# action: censor\ndarn\n", name="mild"),
    parse_wordlist("# name: hosts\n# kind: domains\nhopzone.eu\n", name="hosts"),
])
MARK_RE = re.compile(r'<mark class="[^"]*" data-list="[^"]*"(?: title="[^"]*")?>|</mark>')


def one_input(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    mode = fdp.ConsumeIntInRange(0, 2)
    text = fdp.ConsumeUnicodeNoSurrogates(fdp.remaining_bytes())
    if mode == 2:
        try:
            wl = parse_wordlist(text, name="fuzz")
        except WordlistError:
            return
        Guard([wl]).check(text[:500], html=True)
        return
    html = mode == 1
    verdict = GUARD.check(text, html=html)
    for m in verdict.matches:
        if not (0 <= m.start < m.end <= len(verdict.sanitized)):
            raise AssertionError(f"span {m.start}-{m.end} outside the draft")
    if html and MARK_RE.sub("", str(verdict.highlighted_html)) != verdict.sanitized:
        raise AssertionError("highlight changed the draft")


def main() -> None:
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
