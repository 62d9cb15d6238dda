"""hegui.store on SQLite and PostgreSQL: URL resolution, migrations up and down, round trips, constraints."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from hegui.errors import UsageError
from hegui.store import (
    DEFAULT_URL,
    current_revision,
    database_url,
    head_revision,
    make_engine,
    open_store,
    session_scope,
)
from hegui.store.db import downgrade
from hegui.store.models import DutyState, EvidenceItem


def test_database_url_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HEGUI_DATABASE_URL", raising=False)
    assert database_url() == DEFAULT_URL == "sqlite:///./hegui.db"
    monkeypatch.setenv("HEGUI_DATABASE_URL", "postgresql://u@h/db")
    assert database_url() == "postgresql://u@h/db"
    assert database_url("sqlite:///x.db") == "sqlite:///x.db"


def test_plain_postgresql_url_uses_psycopg3() -> None:
    engine = make_engine("postgresql://postgres@127.0.0.1:5432/test")
    assert engine.dialect.driver == "psycopg"
    engine.dispose()


def test_bad_url_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="cannot use database URL"):
        make_engine("nosuchdb://x")


def test_migrate_to_head_creates_the_tables(db_url: str) -> None:
    engine = open_store(db_url)
    try:
        assert current_revision(engine) == head_revision()
        tables = set(sa.inspect(engine).get_table_names())
        assert {"rules_evidence", "rules_duty_state", "alembic_version"} <= tables
        # idempotent: opening again does not fail or change the revision
        open_store(db_url).dispose()
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_every_migration_is_reversible(db_url: str) -> None:
    engine = open_store(db_url)
    try:
        downgrade(engine, "base")
        assert "rules_evidence" not in sa.inspect(engine).get_table_names()
        assert current_revision(engine) is None
        open_store(db_url).dispose()
        assert "rules_evidence" in sa.inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_round_trip_and_unique_state(db_url: str) -> None:
    engine = open_store(db_url)
    try:
        with session_scope(engine) as s:
            s.add(
                EvidenceItem(
                    service="svc",
                    duty_id="ALG-20",
                    kind="url",
                    location="https://beian.cac.gov.cn/",
                    title="filing receipt",
                    owner="counsel",
                    evidence_date=dt.date(2025, 10, 10),
                )
            )
            s.add(DutyState(service="svc", duty_id="ALG-20", status="met", note=""))
        with session_scope(engine) as s:
            item = s.scalars(sa.select(EvidenceItem)).one()
            assert (item.duty_id, item.evidence_date, item.created_at is not None) == (
                "ALG-20",
                dt.date(2025, 10, 10),
                True,
            )
        with pytest.raises(IntegrityError), session_scope(engine) as s:
            s.add(DutyState(service="svc", duty_id="ALG-20", status="open", note=""))
        with session_scope(engine) as s:
            assert s.scalar(sa.select(sa.func.count()).select_from(DutyState)) == 1
    finally:
        engine.dispose()


def test_sqlite_default_file_is_created_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HEGUI_DATABASE_URL", raising=False)
    engine = open_store()
    engine.dispose()
    assert (tmp_path / "hegui.db").is_file()


def test_migrations_match_the_models(db_url: str) -> None:
    """Autogenerate finds nothing to do: the shipped migrations create exactly what the models declare."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from hegui.store import Base

    engine = open_store(db_url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(
                MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata
            )
        assert diff == []
    finally:
        engine.dispose()
