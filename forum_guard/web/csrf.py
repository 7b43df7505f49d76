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

from flask import Flask, current_app, g, request
from flask_wtf.csrf import CSRFError, CSRFProtect, generate_csrf

__all__ = ["NO_SECRET_KEY", "csrf_token", "has_secret_key", "host_protects", "require_csrf", "setup_csrf"]

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


#: Why every state-changing request is refused on an app without a secret key.
NO_SECRET_KEY = ("This site has no SECRET_KEY, so no CSRF token can be checked and nothing can be posted here. "
                 "Set app.config['SECRET_KEY'].")


def has_secret_key() -> bool:
    """Whether the current app can sign CSRF tokens (``WTF_CSRF_SECRET_KEY`` or ``SECRET_KEY``)."""
    return bool(current_app.config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key)


def require_csrf() -> None:
    """Refuse this request (flask-wtf's ``CSRFError``, a 400) unless it carries a valid CSRF token,
    and on HTTPS a same-origin referrer. ``WTF_CSRF_ENABLED = False`` (tests) turns it off. An app
    without a secret key refuses every such request with a message saying so (flask-wtf would fail
    with a RuntimeError, a 500)."""
    if not current_app.config.get("WTF_CSRF_ENABLED", True) or g.get("csrf_valid"):
        return
    if request.method in current_app.config["WTF_CSRF_METHODS"] and not has_secret_key():
        raise CSRFError(NO_SECRET_KEY)
    csrf: CSRFProtect = current_app.extensions.get("csrf") or _FALLBACK
    csrf.protect()


def csrf_token() -> str:
    """The CSRF token of this session, for ``<meta name="csrf-token">`` and forms; "" on an app
    without a secret key (the page still renders; its posts are refused with :data:`NO_SECRET_KEY`)."""
    if not has_secret_key():
        return ""
    token: str = generate_csrf()
    return token
