from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from hegui.assess import run, standin


@pytest.fixture()
def engine(tmp_path: Path) -> Engine:
    return run.engine_for(f"sqlite:///{tmp_path / 'assess.db'}")


@pytest.fixture()
def server() -> Iterator[standin.ThreadedStandin]:
    with standin.serve_in_thread(standin.Script()) as s:
        yield s
