"""Engines, sessions and migrations. The URL comes from the caller, else ``HEGUI_DATABASE_URL``, else
``sqlite:///./hegui.db``; the schema is brought to the newest revision with Alembic, never ``create_all``.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from hegui.errors import InputError, UsageError

DEFAULT_URL = "sqlite:///./hegui.db"
ENV_VAR = "HEGUI_DATABASE_URL"


def database_url(url: str | None = None) -> str:
    """The URL to use: explicit, else the environment, else the SQLite file in the working directory."""
    return url or os.environ.get(ENV_VAR) or DEFAULT_URL


def make_engine(url: str | None = None) -> Engine:
    """An engine for the URL; ``postgresql://`` is mapped to the psycopg 3 driver; SQLite enforces foreign keys."""
    resolved = database_url(url)
    if resolved.startswith("postgresql://") or resolved.startswith("postgres://"):
        resolved = "postgresql+psycopg://" + resolved.split("://", 1)[1]
    try:
        engine = create_engine(resolved, future=True)
    except (ArgumentError, ModuleNotFoundError) as exc:
        raise UsageError(f"cannot use database URL {resolved!r}: {exc}") from None
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _fk_on(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

    return engine


def _migrations_dir() -> Path:
    return Path(str(resources.files("hegui.store").joinpath("migrations")))


def alembic_config(url: str | None = None) -> Config:
    """An Alembic config pointing at the migrations shipped in the package (no alembic.ini needed)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(_migrations_dir()))
    cfg.set_main_option("sqlalchemy.url", database_url(url).replace("%", "%%"))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (default: newest)."""
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
    except OperationalError as exc:
        raise InputError(f"cannot migrate database {engine.url!r}: {exc.orig}") from None


def downgrade(engine: Engine, revision: str) -> None:
    """Step the schema back (used by tests to prove every migration is reversible)."""
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def open_store(url: str | None = None) -> Engine:
    """Engine for the store, migrated to head: what the CLI and the demo call."""
    engine = make_engine(url)
    if current_revision(engine) != head_revision():
        upgrade(engine)
    return engine


@contextlib.contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
