"""hegui.store.session and the errors for databases that cannot be opened, each case for real."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from hegui.errors import InputError
from hegui.store import dispose_engines, engine_for, masked_url, session
from hegui.store.models import EvidenceItem


@pytest.fixture(autouse=True)
def _fresh_engines() -> None:
    dispose_engines()


def test_session_commits_and_rolls_back(db_url: str) -> None:
    with session(db_url) as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(EvidenceItem)) == 0
        s.execute(sa.text("CREATE TABLE IF NOT EXISTS t_probe (x integer)"))
        s.execute(sa.text("INSERT INTO t_probe VALUES (1)"))
    with pytest.raises(RuntimeError), session(db_url) as s:
        s.execute(sa.text("INSERT INTO t_probe VALUES (2)"))
        raise RuntimeError("boom")
    with session(db_url) as s:
        assert s.execute(sa.text("SELECT x FROM t_probe")).scalars().all() == [1]
    assert engine_for(db_url) is engine_for(db_url)  # one engine per URL
    dispose_engines()


def test_session_uses_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEGUI_DATABASE_URL", f"sqlite:///{tmp_path / 'env.db'}")
    with session() as s:
        s.execute(sa.text("SELECT 1"))
    assert (tmp_path / "env.db").is_file()
    dispose_engines()


def test_missing_folder(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'no' / 'such' / 'hegui.db'}"
    with pytest.raises(InputError) as info, session(url):
        pass
    msg = str(info.value)
    assert url in msg and "does not exist" in msg and str(tmp_path / "no" / "such") in msg


def test_file_that_is_not_a_database(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.db"
    bogus.write_bytes(b"these are my notes, not an SQLite file\n" * 100)
    with pytest.raises(InputError, match="is not an SQLite database"):
        engine_for(f"sqlite:///{bogus}")
    assert bogus.read_bytes().startswith(b"these are my notes")


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_closed_postgres_port_masks_the_password() -> None:
    url = f"postgresql://postgres:s3cret-pw@127.0.0.1:{_closed_port()}/test?connect_timeout=3"
    with pytest.raises(InputError) as info:
        engine_for(url)
    msg = str(info.value)
    assert "s3cret-pw" not in msg and "***" in msg
    assert "is running and accepts connections" in msg
    assert masked_url(url).startswith("postgresql://postgres:***@127.0.0.1")


@pytest.mark.postgres
def test_postgres_wrong_database_names_it() -> None:
    with pytest.raises(InputError) as info:
        engine_for("postgresql://postgres:pw@127.0.0.1:5432/hegui_no_such_db_8")
    assert "hegui_no_such_db_8" in str(info.value) and "pw@" not in str(info.value)


def test_missing_psycopg_names_the_postgres_extra() -> None:
    """A real interpreter in which psycopg cannot be imported."""
    code = (
        "import sys; sys.modules['psycopg'] = None\n"
        "from hegui.store import make_engine\n"
        "try:\n    make_engine('postgresql://u@127.0.0.1/x')\nexcept Exception as e:\n"
        "    print(type(e).__name__, e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.startswith("MissingExtraError"), out
    assert "pip install 'hegui[postgres]'" in out


def test_the_cli_exits_3_with_the_reason(tmp_path: Path) -> None:
    """`--db` of the rules commands (the first CLI user of the store) on each unusable database."""
    from typer.testing import CliRunner

    from hegui.cli.main import app

    profile = tmp_path / "profile.yaml"
    profile.write_text("name: demo service\n", encoding="utf-8")
    bogus = tmp_path / "notes.db"
    bogus.write_text("not a database\n" * 50, encoding="utf-8")
    for url, expect in (
        (f"sqlite:///{tmp_path / 'missing' / 'x.db'}", "does not exist"),
        (f"sqlite:///{bogus}", "is not an SQLite database"),
        (
            f"postgresql://postgres:hunter2@127.0.0.1:{_closed_port()}/test",
            "is running and accepts connections",
        ),
    ):
        result = CliRunner().invoke(app, ["rules", "status", str(profile), "--db", url])
        assert result.exit_code == 3, (url, result.output)
        assert expect in result.output and "hunter2" not in result.output
