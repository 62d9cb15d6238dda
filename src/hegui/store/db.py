"""Engines, sessions and migrations. The URL comes from the caller, else ``HEGUI_DATABASE_URL``, else
``database_url`` in hegui.toml, else ``sqlite:///./hegui.db``; the schema is brought to the newest revision with
Alembic, never ``create_all``.

Every failure to reach the database is an :class:`~hegui.errors.InputError` that names the URL (password masked)
and says what to check; a missing PostgreSQL driver names the ``postgres`` extra.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from hegui.errors import InputError, UsageError
from hegui.extras import MissingExtraError

DEFAULT_URL = "sqlite:///./hegui.db"
ENV_VAR = "HEGUI_DATABASE_URL"


def database_url(url: str | None = None) -> str:
    """The URL to use: explicit, else ``$HEGUI_DATABASE_URL`` or hegui.toml, else ``./hegui.db`` (SQLite)."""
    if url:
        return url
    from hegui.config import load_config

    return load_config().database_url or DEFAULT_URL


def masked_url(url: str | Engine) -> str:
    """The URL with its password replaced by ``***`` (for messages and logs)."""
    if isinstance(url, Engine):
        return url.url.render_as_string(hide_password=True)
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)


def _normalise(url: str) -> str:
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_engine(url: str | None = None) -> Engine:
    """An engine for the URL; ``postgresql://`` is mapped to the psycopg 3 driver; SQLite enforces foreign keys."""
    resolved = _normalise(database_url(url))
    try:
        engine = create_engine(resolved, future=True)
    except ModuleNotFoundError as exc:
        if resolved.startswith("postgresql"):
            raise MissingExtraError("postgres", exc.name or "psycopg") from None
        raise UsageError(f"cannot use database URL {masked_url(resolved)!r}: {exc}") from None
    except ArgumentError as exc:
        raise UsageError(f"cannot use database URL {masked_url(resolved)!r}: {exc}") from None
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
    except (OperationalError, InterfaceError) as exc:
        raise unreachable(engine, exc) from None
    except DatabaseError as exc:
        raise InputError(f"cannot migrate database {masked_url(engine)}: {exc.orig}") from None


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


def unreachable(engine: Engine, exc: Exception) -> InputError:
    """The error for a database that cannot be opened: the masked URL, the driver's reason, what to check."""
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
    shown = masked_url(engine)
    if engine.dialect.name == "sqlite":
        database = engine.url.database or ""
        folder = Path(database).parent if database else None
        if "not a database" in reason:
            hint = f"the file {database} exists but is not an SQLite database; point --db at another file"
        elif folder is not None and not folder.is_dir():
            hint = f"the folder {folder} does not exist; create it or point --db elsewhere"
        else:
            hint = f"check that {database or 'the file'} can be created and written by this user"
    else:
        hint = (
            f"check that the server at {engine.url.host or 'localhost'}:{engine.url.port or 5432} is running and "
            "accepts connections, and that the user, password and database name are right"
        )
    return InputError(f"cannot open database {shown}: {reason} ({hint})")


def open_store(url: str | None = None) -> Engine:
    """Engine for the store, migrated to head: what the CLI and the demo call. A new engine on every call."""
    engine = make_engine(url)
    try:
        if current_revision(engine) != head_revision():
            upgrade(engine)
    except (OperationalError, InterfaceError, DatabaseError) as exc:
        engine.dispose()
        raise unreachable(engine, exc) from None
    except BaseException:
        engine.dispose()
        raise
    return engine


_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def engine_for(url: str | None = None) -> Engine:
    """The process-wide engine for a URL, opened and migrated to head once, then reused."""
    resolved = _normalise(database_url(url))
    with _engines_lock:
        engine = _engines.get(resolved)
        if engine is None:
            engine = open_store(resolved)
            _engines[resolved] = engine
        return engine


def dispose_engines() -> None:
    """Close every cached engine (tests, and services shutting down)."""
    with _engines_lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


@contextlib.contextmanager
def session(url: str | None = None) -> Iterator[Session]:
    """One unit of work on the store: the cached engine for ``url`` (migrated to head), commit on success,
    rollback on error. ``url`` defaults to ``$HEGUI_DATABASE_URL``, hegui.toml, then ``./hegui.db``."""
    with session_scope(engine_for(url)) as s:
        yield s


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
