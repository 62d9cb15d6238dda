"""Database fixtures shared by every wing's tests: a store on SQLite (a temporary file) and on the local
PostgreSQL server, in a database created for the test and dropped afterwards.

PostgreSQL tests fail (never skip) when the server is absent, because CI starts it. Override the admin URL with
HEGUI_TEST_POSTGRES_URL.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

ADMIN_URL = os.environ.get("HEGUI_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _throwaway_postgres() -> Iterator[str]:
    import psycopg
    from psycopg import sql

    name = f"hegui_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    base = ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"postgresql+psycopg://{base.split('://', 1)[1]}/{name}"
    finally:
        from hegui.store import dispose_engines

        dispose_engines()  # cached engines hold connections that would block the drop
        with psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The store URL, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'hegui.db'}"
        return
    yield from _throwaway_postgres()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database only (tests of several processes sharing one store)."""
    yield from _throwaway_postgres()
