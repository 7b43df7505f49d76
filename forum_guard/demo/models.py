"""The demo forum's data: members, topics and posts, in SQLite through SQLAlchemy 2.x."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask, current_app, g
from sqlalchemy import ForeignKey, String, Text, create_engine, event, func, inspect, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship, sessionmaker
from sqlalchemy.sql.schema import ScalarElementColumnDefault

__all__ = ["Base", "Draft", "Post", "Topic", "User", "db", "init_db"]

#: Post and topic states: visible to all, waiting for a moderator, or turned down.
PUBLISHED, PENDING, REJECTED = "published", "pending", "rejected"


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    #: guest is never stored: new, member or moderator
    group: Mapped[str] = mapped_column(String(20), default="new")
    created_at: Mapped[datetime] = mapped_column(default=_now)
    #: shown under the member's posts; plain text, checked by the guard like a post
    signature: Mapped[str | None] = mapped_column(String(200))

    posts: Mapped[list[Post]] = relationship(back_populates="author")

    @property
    def is_moderator(self) -> bool:
        return self.group == "moderator"


class Topic(Base):
    __tablename__ = "topics"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default=PUBLISHED)
    created_at: Mapped[datetime] = mapped_column(default=_now)

    posts: Mapped[list[Post]] = relationship(back_populates="topic", order_by="Post.id")


class Post(Base):
    __tablename__ = "posts"

    id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: the name a guest gave (author_id is None)
    guest_name: Mapped[str | None] = mapped_column(String(40))
    #: sanitized (or censored) HTML from forum_guard: safe to render as it is
    content: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default=PUBLISHED)
    flagged: Mapped[bool] = mapped_column(default=False)
    #: the filter's action when it was posted (allow, censor, flag, require_approval)
    action: Mapped[str] = mapped_column(String(20), default="allow")
    #: the filter's notices when it was posted, for the moderators' view
    reason: Mapped[str | None] = mapped_column(Text)
    queue_id: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=_now)
    #: when the author last edited it
    edited_at: Mapped[datetime | None] = mapped_column()

    topic: Mapped[Topic] = relationship(back_populates="posts")
    author: Mapped[User | None] = relationship(back_populates="posts")

    @property
    def author_name(self) -> str:
        return self.author.name if self.author else (self.guest_name or "Guest")

    @property
    def is_first(self) -> bool:
        return bool(self.topic.posts) and self.topic.posts[0].id == self.id


class Draft(Base):
    """A signed-in member's unsent draft, per editor (forum_guard's server-side autosave)."""

    __tablename__ = "drafts"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    content: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=_now, onupdate=_now)


def _sqlite_pragmas(dbapi_connection, connection_record) -> None:  # type: ignore[no-untyped-def]
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def init_db(app: Flask, url: str) -> Engine:
    """Create the engine and tables; sessions are opened per request by :func:`db`."""
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    for attempt in range(5):
        try:
            Base.metadata.create_all(engine)
            break
        except OperationalError as exc:
            # workers booting together on an empty SQLite file: another one created a table
            # between this one's look and its CREATE; looking again finds it
            if "already exists" not in str(exc) or attempt == 4:
                raise
    _add_missing_columns(engine)
    app.extensions["demo_db"] = sessionmaker(engine, expire_on_commit=False)
    app.extensions["demo_engine"] = engine

    @app.teardown_appcontext
    def _close_session(exc: BaseException | None) -> None:
        session: Session | None = g.pop("demo_session", None)
        if session is not None:
            if exc is not None:
                session.rollback()
            session.close()

    return engine


def _add_missing_columns(engine: Engine) -> None:
    """A database made by an older demo lacks the newer columns (all nullable or with a default):
    add them, so an existing instance folder keeps its topics and members."""
    inspector = inspect(engine)
    with engine.begin() as conn:
        for table in Base.metadata.sorted_tables:
            present = {c["name"] for c in inspector.get_columns(table.name)}
            for column in table.columns:
                if column.name in present:
                    continue
                kind = column.type.compile(dialect=engine.dialect)
                default = ""
                if isinstance(column.default, ScalarElementColumnDefault):
                    value = column.default.arg
                    default = f" DEFAULT {int(value) if isinstance(value, bool | int) else repr(str(value))}"
                try:
                    conn.execute(text(f'ALTER TABLE {table.name} ADD COLUMN "{column.name}" {kind}{default}'))
                except (OperationalError, ProgrammingError) as exc:  # another worker added it first
                    if "duplicate" not in str(exc).lower() and "already exists" not in str(exc).lower():
                        raise


def db() -> Session:
    """The session of this request (or app context)."""
    session: Session | None = g.get("demo_session")
    if session is None:
        session = g.demo_session = current_app.extensions["demo_db"]()
    return session


def count_published(session: Session, user: User) -> int:
    return int(session.scalar(select(func.count(Post.id)).where(Post.author_id == user.id,
                                                               Post.status == PUBLISHED)) or 0)
