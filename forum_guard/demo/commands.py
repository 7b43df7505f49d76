"""``forum-guard demo``: the click command the CLI attaches (``main.add_command(demo)``)."""

from __future__ import annotations

import click

__all__ = ["demo"]


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
@click.option("--instance", "instance_path", type=click.Path(file_okay=False), default=None,
              help="Folder for the SQLite files and the secret key (default: the project's instance/).")
@click.option("--debug", is_flag=True, help="Show the interactive debugger on errors (never on a public host).")
def demo(host: str, port: int, instance_path: str | None, debug: bool) -> None:
    """Run the demo forum on http://127.0.0.1:5000 (topics, replies, the live-checking editor)."""
    from ..errors import ForumGuardError
    from . import run

    try:
        run(host, port, debug=debug, instance_path=instance_path)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    except ForumGuardError as exc:  # e.g. an empty store or wordlists folder: the filter would not start
        raise click.ClickException(str(exc)) from None
