"""A path read takes the shared lock that hegui's in-place writers hold exclusively: it never sees a half-written
label (docs/labels.md, "in place")."""

from __future__ import annotations

import fcntl
import threading
from pathlib import Path

from hegui.label import Record, read, write
from hegui.label.samples import jpeg

from .conftest import PRODUCER


def test_read_waits_for_an_in_place_writer(tmp_path: Path) -> None:
    path = jpeg.make(tmp_path)[0]
    write(path, Record.new(PRODUCER, produce_id="lock-1"))
    done = threading.Event()
    result: list[object] = []

    def reader() -> None:
        result.append(read(path))
        done.set()

    with path.open("rb+") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)  # what journal.lock() holds during an in-place write
        thread = threading.Thread(target=reader, daemon=True)
        thread.start()
        assert not done.wait(0.5)  # blocked behind the writer's lock
        fcntl.flock(held.fileno(), fcntl.LOCK_UN)
    assert done.wait(10)
    thread.join()
    assert result and result[0].labels  # type: ignore[attr-defined]
