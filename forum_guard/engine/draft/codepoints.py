"""A text's code points as a numpy array, made once per text for every stage that needs them."""

from __future__ import annotations

import numpy as np

__all__ = ["code_points"]

#: the last text asked for and its code points: one check asks for the same text several times
#: (emoji counting, the fold, the highlight) and encoding it is ~1.3 µs a 2 KB text each time
_last: tuple[str, np.ndarray] | None = None


def code_points(text: str) -> np.ndarray:
    """The code points of ``text`` (read-only ``uint32``; a lone surrogate is its own code). The
    array of the last text asked for is kept: asked again for that very object, it is not made
    again (a ``str`` never changes, and holding it keeps its ``id`` from being reused)."""
    global _last
    last = _last
    if last is not None and last[0] is text:
        return last[1]
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    _last = (text, codes)
    return codes
