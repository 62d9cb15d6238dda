"""Atomic replacement: the original is untouched until a complete new file takes its place."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from hegui.atomic import CommitBatch, atomic_output


def test_success_replaces_and_keeps_mode(tmp_path: Path) -> None:
    target = tmp_path / "f.bin"
    target.write_bytes(b"old")
    os.chmod(target, 0o640)
    with atomic_output(target, mode_from=target) as pending:
        pending.write(b"new")
        assert target.read_bytes() == b"old"  # not yet
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["f.bin"]


def test_error_leaves_original_and_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "f.bin"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_output(target) as pending:
        pending.write(b"half")
        raise RuntimeError("boom")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["f.bin"]


def test_batch_commits_all_at_once(tmp_path: Path) -> None:
    targets = [tmp_path / f"{i}.bin" for i in range(5)]
    for t in targets:
        t.write_bytes(b"old")
    with CommitBatch() as batch:
        for i, t in enumerate(targets):
            with atomic_output(t, batch=batch) as pending:
                pending.write(f"new{i}".encode())
        assert all(t.read_bytes() == b"old" for t in targets)  # nothing replaced before the commit
        assert len(batch.pending) == 5
    assert [t.read_bytes() for t in targets] == [f"new{i}".encode() for i in range(5)]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(t.name for t in targets)


def test_batch_discard_on_error(tmp_path: Path) -> None:
    target = tmp_path / "a.bin"
    target.write_bytes(b"old")
    with pytest.raises(ValueError), CommitBatch() as batch:
        with atomic_output(target, batch=batch) as pending:
            pending.write(b"new")
        raise ValueError("later failure")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.bin"]


def test_new_file_in_other_folder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    with atomic_output(out / "x.bin") as pending:
        pending.write(b"data")
    assert (out / "x.bin").read_bytes() == b"data"
