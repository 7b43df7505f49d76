"""``forum-guard demo``: the click command the CLI attaches (``main.add_command(demo)``)."""

from __future__ import annotations

import os

import click

__all__ = ["demo"]


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
@click.option("--instance", "instance_path", type=click.Path(file_okay=False), default=None,
              help="Folder for the SQLite files and the secret key (default: the project's instance/).")
@click.option("--debug", is_flag=True, help="Show the interactive debugger on errors (never on a public host).")
@click.option("--reset-moderator", is_flag=True,
              help="Give the moderator account a new password (printed once; $DEMO_MODERATOR_PASSWORD sets "
                   "it), then exit. Creates the account when there is none.")
def demo(host: str, port: int, instance_path: str | None, debug: bool, reset_moderator: bool) -> None:
    """Run the demo forum on http://127.0.0.1:5000 (topics, replies, the live-checking editor)."""
    from ..errors import ForumGuardError
    from . import reset_moderator_password, run

    if reset_moderator:
        try:
            name, password = reset_moderator_password(instance_path, os.environ.get("DEMO_MODERATOR_PASSWORD"))
        except ForumGuardError as exc:
            raise click.ClickException(str(exc)) from None
        click.secho("forum_guard demo: the moderator's new password (shown only this once)", fg="yellow", err=True)
        click.secho(f"    name: {name}\n    password: {password}", bold=True, err=True)
        return
    try:
        run(host, port, debug=debug, instance_path=instance_path)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    except ForumGuardError as exc:  # e.g. an empty store or wordlists folder: the filter would not start
        raise click.ClickException(str(exc)) from None
