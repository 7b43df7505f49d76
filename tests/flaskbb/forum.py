"""A real FlaskBB 2.2.0 forum for the plugin's suite: its config, its database, its server.

FlaskBB builds one app per process (its blueprints and plugin manager are module globals), so a
"restart" is a new process: ``python forum.py populate DIR`` creates a forum in DIR, ``python
forum.py serve DIR PORT`` serves it on 127.0.0.1 (a werkzeug server, threaded).

The forum: admin "admin", member "ann" (10 posts, so a member, not new), "newbie" (no posts),
moderator "mo" who moderates forum "Welcome" only (his group may hide and unhide posts), forum "Elsewhere" in the same category; every
password is "password1".
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

PASSWORD = "password1"


def config_class(instance: Path, **extra: Any) -> type:
    from flaskbb.configs.testing import TestingConfig

    attrs: dict[str, Any] = {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance}/flaskbb.sqlite",
        "SERVER_NAME": None,
        "WTF_CSRF_ENABLED": True,
        "SECRET_KEY": "flaskbb-suite-secret",
        "FORUM_GUARD_WORDLISTS": str(instance / "wordlists"),
        "FORUM_GUARD_RELOAD_SECONDS": 0.2,
        "RATELIMIT_ENABLED": False,
        "REDIS_ENABLED": False,
    }
    attrs.update(extra)
    return type("SuiteConfig", (TestingConfig,), attrs)


def make_app(instance: Path, **extra: Any) -> Any:
    from flaskbb import create_app

    return create_app(config_class(instance, **extra), instance_path=str(instance))


WORDLISTS = {
    "rude.txt": "# name: rude\n# action: block\nzorblax\n",
    "spam.txt": "# name: spam\n# action: require_approval\ncheap pills\n",
}


def populate(instance: Path) -> None:
    """Create the forum's database and users (in this process, before any app that serves it)."""
    instance.mkdir(parents=True, exist_ok=True)
    lists = instance / "wordlists"
    lists.mkdir(exist_ok=True)
    for name, text in WORDLISTS.items():
        (lists / name).write_text(text, encoding="utf-8")
    app = make_app(instance)
    from flaskbb.extensions import db
    from flaskbb.forum.models import Category, Forum
    from flaskbb.utils.populate import (
        create_default_groups,
        create_default_settings,
        create_user,
        create_welcome_forum,
    )

    with app.app_context():
        db.create_all()
        create_default_groups()
        create_default_settings()
        create_user("admin", PASSWORD, "admin@example.org", "admin")
        ann = create_user("ann", PASSWORD, "ann@example.org", "member")
        ann.post_count = 10
        create_user("newbie", PASSWORD, "newbie@example.org", "member")
        mo = create_user("mo", PASSWORD, "mo@example.org", "mod")
        mo.primary_group.makehidden = True  # FlaskBB's moderators may not unhide by default; here they may
        create_welcome_forum()
        category = db.session.execute(db.select(Category)).unique().scalars().first()
        welcome = db.session.execute(db.select(Forum).filter_by(title="Welcome")).unique().scalar_one()
        welcome.moderators.append(mo)
        elsewhere = Forum(title="Elsewhere", description="Nobody moderates here", category_id=category.id)
        elsewhere.save()
        from flaskbb.forum.models import Post, Topic

        topic = Topic(title="Talk elsewhere")
        topic.save(user=ann, forum=elsewhere, post=Post(content="First post elsewhere."))
        db.session.add_all([ann, welcome])
        db.session.commit()


def copy_instance(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    return target


def serve(instance: Path, port: int) -> None:
    from werkzeug.serving import run_simple

    app = make_app(instance)
    run_simple("127.0.0.1", port, app, threaded=True, use_reloader=False, use_debugger=False)


if __name__ == "__main__":
    command, directory = sys.argv[1], Path(sys.argv[2])
    if command == "populate":
        populate(directory)
    elif command == "serve":
        serve(directory, int(sys.argv[3]))
    else:
        raise SystemExit(f"unknown command {command!r}: populate DIR | serve DIR PORT")
