"""The language of a request's notices: the host's locale, forum_guard's catalogues.

When the host uses Flask-Babel (``app.extensions["babel"]``), its locale selector decides and the
catalogues are read through a Flask-Babel ``Domain``; otherwise ``@guard.locale_selector``, else
``FORUM_GUARD_LOCALE``, else English, with plain :mod:`gettext`. The check, the notice templates,
the editor's wording and the edge's error messages all go through :func:`translator`.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, g, has_request_context

from ..i18n import DOMAIN, TRANSLATIONS, Translator, translations
from .config import ConfigKeys
from .state import guard_state

__all__ = ["current_locale", "translate", "translator"]

_babel_domain: Any = None


def _domain() -> Any:
    global _babel_domain
    if _babel_domain is None:
        from flask_babel import Domain  # only when the host uses Flask-Babel

        _babel_domain = Domain(translation_directories=[str(TRANSLATIONS)], domain=DOMAIN)
    return _babel_domain


def _flask_babel() -> bool:
    """Whether the host's ``app.extensions["babel"]`` is Flask-Babel's (FlaskBB's is Flask-BabelPlus,
    which forum_guard does not read: a host like that names its locale with ``@guard.locale_selector``)."""
    babel = current_app.extensions.get("babel")
    return babel is not None and type(babel).__module__.split(".")[0] == "flask_babel"


def current_locale() -> str | None:
    """The locale of this request's notices (None: English)."""
    if _flask_babel():
        from flask_babel import get_locale

        locale = get_locale()
        return None if locale is None else str(locale)
    selector = guard_state().ext._locale_selector
    chosen = selector() if selector is not None else None
    return chosen or guard_state().config[ConfigKeys.LOCALE]


def translator() -> Translator:
    """This request's translator (one per request)."""
    if has_request_context() and "_forum_guard_translator" in g:
        cached: Translator = g._forum_guard_translator
        return cached
    babel = _flask_babel() and has_request_context()
    found: Translator = _domain().get_translations() if babel else translations(current_locale())
    if has_request_context():
        g._forum_guard_translator = found
    return found


def translate(message: str) -> str:
    """``message`` (a built-in English text) in this request's language."""
    return translator().gettext(message) if message else message


def catalog_entries() -> list[str | tuple[str, str]]:
    """Every built-in text that goes through gettext: a msgid, or (singular, plural). What
    ``scripts/translations extract`` writes to ``forum_guard.pot`` and the tests hold each
    shipped catalogue to."""
    from ..engine.actions import Action
    from ..engine.limits import _DEFAULT_MESSAGES, PLURAL_MESSAGES
    from .config import EDITOR_MESSAGES
    from .errors import DraftRefused, DraftTooLargeError, TooManyChecks, TooManyPosts

    entries: list[str | tuple[str, str]] = []
    for key, text in _DEFAULT_MESSAGES.to_dict().items():
        if key in PLURAL_MESSAGES:
            entries.append(PLURAL_MESSAGES[key][:2])
        elif text:
            entries.append(text)
    entries += list(EDITOR_MESSAGES.values())
    entries += [action.done for action in Action]
    entries += [str(e.description) for e in (DraftRefused, DraftTooLargeError, TooManyChecks, TooManyPosts)]
    return list(dict.fromkeys(entries))
