"""``python -m forum_guard.cli``: the ``forum-guard`` command."""

from . import main

main(prog_name="forum-guard")
