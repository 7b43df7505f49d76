"""A text's code points, kept for the last text asked for (forum_guard.engine.draft.codepoints)."""

import numpy as np
import pytest

from forum_guard.engine.draft.codepoints import code_points


def test_code_points_follow_the_text_asked_for_not_the_last_one_kept():
    first = "fu\u0441k \u2764\ufe0f"
    second = "".join(["fu", "\u0441", "k \u2764\ufe0f"])  # equal, another object
    other = "\U0001F44D\U0001F3FD \ud800"  # astral, and a lone surrogate kept as its own code
    for text in (first, other, second, first, first, other):
        codes = code_points(text)
        assert codes.dtype == np.uint32
        assert codes.tolist() == [ord(ch) for ch in text]


def test_code_points_are_read_only():
    codes = code_points("привет")
    with pytest.raises(ValueError):
        codes[0] = 0
