"""CSRF at the edge, through flask-wtf: the host's ``CSRFProtect`` when it has one, else our own.

The live check, the drafts endpoint and the admin pages always need a valid token; a guarded post
needs one whenever the host protects its app with ``CSRFProtect``. Either way the check is
flask-wtf's own :meth:`CSRFProtect.protect`: the token (form field or ``X-CSRFToken`` header) and,
on HTTPS, the same-origin ``Referer``. It does not depend on the order of set-up: the check runs
when a request first needs it, and flask-wtf marks the request (``g.csrf_valid``) so it runs once.

A guarded endpoint needs the token even if the host marked its view ``@csrf.exempt``: the filter
checks form posts, and flask-wtf has no public way to ask whether a view is exempt. A host that
guards a token-authenticated API calls :func:`~forum_guard.web.check` in the view instead.
"""

from __future__ import annotations

from flask import Flask, current_app, g
from flask_wtf.csrf import CSRFProtect, generate_csrf

__all__ = ["csrf_token", "host_protects", "require_csrf", "setup_csrf"]

#: Checks the requests of apps without a CSRFProtect of their own. It is never ``init_app``-ed on an
#: app (that would protect every view of the host); :func:`setup_csrf` gives the app the settings
#: :meth:`CSRFProtect.protect` reads.
_FALLBACK = CSRFProtect()

#: flask-wtf's defaults for the settings ``protect()`` reads (``CSRFProtect.init_app`` sets the same).
_SETTINGS = {
    "WTF_CSRF_METHODS": ["POST", "PUT", "PATCH", "DELETE"],
    "WTF_CSRF_FIELD_NAME": "csrf_token",
    "WTF_CSRF_HEADERS": ["X-CSRFToken", "X-CSRF-Token"],
    "WTF_CSRF_TIME_LIMIT": 3600,
    "WTF_CSRF_SSL_STRICT": True,
}


def setup_csrf(app: Flask) -> None:
    """Give ``app`` the flask-wtf settings the check reads (a host's own values stay)."""
    for key, value in _SETTINGS.items():
        app.config.setdefault(key, value)


def host_protects() -> bool:
    """Whether the host checks CSRF on every view by default (``CSRFProtect(app)``, enabled)."""
    config = current_app.config
    return ("csrf" in current_app.extensions and config.get("WTF_CSRF_ENABLED", True)
            and config.get("WTF_CSRF_CHECK_DEFAULT", True))


def require_csrf() -> None:
    """Refuse this request (flask-wtf's ``CSRFError``, a 400) unless it carries a valid CSRF token,
    and on HTTPS a same-origin referrer. ``WTF_CSRF_ENABLED = False`` (tests) turns it off."""
    if not current_app.config.get("WTF_CSRF_ENABLED", True) or g.get("csrf_valid"):
        return
    csrf: CSRFProtect = current_app.extensions.get("csrf") or _FALLBACK
    csrf.protect()


def csrf_token() -> str:
    """The CSRF token of this session, for ``<meta name="csrf-token">`` and forms."""
    token: str = generate_csrf()
    return token
