"""The WTForms validators under their first, documented name (:mod:`forum_guard.web.validators`)."""

from .web.validators import *  # noqa: F403
from .web.validators import __all__  # noqa: F401
