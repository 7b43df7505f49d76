"""Translations of forum_guard's built-in messages, with plural forms, in plain :mod:`gettext`.

The catalogues ship in ``forum_guard/translations/<locale>/LC_MESSAGES/forum_guard.mo`` (de, es,
fr, ru; the ``.po`` sources next to them, ``scripts/translations compile`` rebuilds the ``.mo``).
The core never asks who the reader is: the edge (:mod:`forum_guard.web.i18n`) picks the translator
for a request (Flask-Babel's locale when the host uses it) and runs the check inside
:func:`using`; everything outside it reads English. A notice an admin reworded (``limits.toml``,
the store) is the forum's own text and is never translated.
"""

from __future__ import annotations

import gettext as _gettext
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path
from typing import Protocol

__all__ = [
    "DOMAIN",
    "LOCALES",
    "N_",
    "TRANSLATIONS",
    "Translator",
    "gettext",
    "ngettext",
    "translations",
    "using",
]

#: The gettext domain of forum_guard's catalogues.
DOMAIN = "forum_guard"
#: The folder of the catalogues, inside the package (the wheel carries it).
TRANSLATIONS = Path(__file__).resolve().parent / "translations"
#: The locales shipped with forum_guard (English is the source language).
LOCALES = ("de", "es", "fr", "ru")


class Translator(Protocol):
    """What forum_guard needs of a translator: :class:`gettext.NullTranslations` and Babel's
    ``Translations`` (what Flask-Babel hands out) both are one."""

    def gettext(self, message: str, /) -> str: ...

    def ngettext(self, singular: str, plural: str, n: int, /) -> str: ...


_current: ContextVar[Translator | None] = ContextVar("forum_guard_translator", default=None)


def N_(message: str) -> str:
    """Mark ``message`` for translation where it is defined; it is translated where it is shown."""
    return message


@lru_cache(maxsize=64)
def translations(locale: str | None) -> _gettext.NullTranslations:
    """The shipped catalogue for ``locale`` ("de", "de_AT", "pt-BR"…; a region falls back to its
    language), or English (:class:`gettext.NullTranslations`) for None and locales not shipped."""
    if not locale:
        return _gettext.NullTranslations()
    return _gettext.translation(DOMAIN, str(TRANSLATIONS), languages=[str(locale).replace("-", "_")], fallback=True)


@contextmanager
def using(translator: Translator | None) -> Iterator[None]:
    """Run a block with ``translator`` (None: English) for :func:`gettext` and :func:`ngettext`."""
    token = _current.set(translator)
    try:
        yield
    finally:
        _current.reset(token)


def gettext(message: str) -> str:
    """``message`` in the current translator's language."""
    translator = _current.get()
    return message if translator is None else translator.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of ``singular``/``plural`` for the number ``n`` in the current language."""
    translator = _current.get()
    if translator is None:
        return singular if n == 1 else plural
    return translator.ngettext(singular, plural, n)
