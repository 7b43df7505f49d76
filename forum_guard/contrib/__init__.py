"""Integrations with real forums, built on the Flask edge (:mod:`forum_guard.web`).

- :mod:`forum_guard.contrib.flaskbb`: a FlaskBB plugin (entry point group ``flaskbb_plugins``).
"""
