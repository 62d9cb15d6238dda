"""Crash safety of every in-place path: a process relabeling a file in place over and over is killed (SIGKILL) at
a random moment; the file must then hold the original or a complete label (after the next write's recovery, which
is reported), never a torn one, and the next write must succeed. Also: journals of another file, or of a file that
changed since, are left alone; a read never applies a journal."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from hegui.errors import InputError
from hegui.label import Record, read, write
from hegui.label import journal as J
from hegui.label.containers.base import open_source
from hegui.label.samples import gif, heif, isobmff, jpeg, pdf, png, tiff, webp

from .conftest import PRODUCER

# The child labels the file once, in place, and SIGKILLs itself at the Nth system call of the journaled write
# (journal write, region writes, truncation, flushes, the journal's removal); at a write, only a random prefix of
# the bytes lands first (cut inside the span where old and new differ), as a power cut or a kill between two pages
# would leave it.
CHILD = r"""
import os, random, signal, sys
from hegui.label import Record, write
from hegui.label import journal as J

path, producer, kill_at, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
rng = random.Random(seed)
calls = 0

def torn_length(fd, data, offset):
    # Where the new bytes differ from the old ones only in a short span (a ProduceID deep in an XMP packet), a
    # prefix of random length almost always leaves the region wholly old or wholly new: cut inside that span.
    old = os.pread(fd, len(data), offset)
    differ = [i for i in range(min(len(old), len(data))) if old[i] != data[i]]
    if len(differ) < 2:
        return rng.randint(0, len(data))
    return rng.randint(differ[0] + 1, differ[-1])

def die():
    os.kill(os.getpid(), signal.SIGKILL)

def tick(partial=None):
    global calls
    calls += 1
    if calls == kill_at:
        if partial is not None:
            partial()
        die()

class Os:
    def __getattr__(self, name):
        return getattr(os, name)
    def write(self, fd, data):
        tick(lambda: os.write(fd, data[: rng.randint(0, len(data))]))
        return os.write(fd, data)
    def pwrite(self, fd, data, offset):
        tick(lambda: os.pwrite(fd, data[: torn_length(fd, data, offset)], offset))
        return os.pwrite(fd, data, offset)
    def ftruncate(self, fd, size):
        tick()
        return os.ftruncate(fd, size)
    def close(self, fd):
        tick()
        return os.close(fd)
    def unlink(self, path):
        tick()
        return os.unlink(path)

J.os = Os()
result = write(path, Record.new(producer, produce_id="w0"), in_place=True)
assert result.mode == "in-place", result.mode
print("completed", calls, flush=True)
"""

KILL_POINTS = range(1, 9)


def _sample(name: str, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    if name == "jpeg":
        return jpeg.make(folder, size=200_000)[0]
    if name == "pdf":
        return pdf.make(folder, size=200_000)[0]
    if name in ("png", "tiff", "webp", "gif", "heif"):
        maker = {"png": png, "tiff": tiff, "webp": webp, "gif": gif, "heif": heif}[name]
        return maker.make(folder, size=200_000)[0]
    return isobmff.video(folder / "sample.mp4")  # moov last: room to relabel in place


@pytest.mark.parametrize("name", ["jpeg", "png", "tiff", "webp", "pdf", "gif", "heif", "isobmff"])
def test_kill_at_every_point_leaves_original_or_complete_label(tmp_path: Path, name: str) -> None:
    source = _sample(name, tmp_path / "src")
    write(source, Record.new(PRODUCER, produce_id="seed"), replace_foreign=True)
    assert write(source, Record.new(PRODUCER, produce_id="seed"), in_place=True).mode == "in-place"
    original = source.read_bytes()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    seen: dict[int, str] = {}
    for kill_at in KILL_POINTS:
        path = tmp_path / f"k{kill_at}{source.suffix}"
        shutil.copyfile(source, path)
        child = subprocess.run(
            [sys.executable, "-c", CHILD, str(path), PRODUCER, str(kill_at), str(kill_at)],
            capture_output=True,
            env=env,
            timeout=120,
        )
        killed = child.returncode == -signal.SIGKILL
        assert killed or child.returncode == 0, child.stderr.decode()
        state = "finished" if not killed else "killed"
        if J.journal_path(path).exists():
            before = path.read_bytes()
            try:  # a read reports the journal and changes nothing (a torn label may not parse at all)
                assert any(f.rule == "in-place-journal" for f in read(path).findings)
            except InputError as exc:
                assert "interrupted in-place write" in str(exc)
            assert path.read_bytes() == before and J.journal_path(path).exists()
            with open(path, "r+b") as handle:
                J.lock(handle)
                recovery = J.recover(path, handle)
            assert recovery is not None and recovery.action in (
                "rolled-back",
                "completed",
                "not-started",
                "discarded-torn",
            )
            state += "/" + recovery.action
        seen[kill_at] = state
        labels = [f.record.ProduceID for f in read(path).labels if f.record is not None and not f.mirror]
        if labels == ["seed"]:
            assert path.read_bytes() == original  # the original, byte for byte
        else:
            assert labels == ["w0"] and read(path).valid  # or the complete new label
        result = write(path, Record.new(PRODUCER, produce_id="after"), in_place=True)
        assert result.mode == "in-place" and read(path).label.record.ProduceID == "after"  # type: ignore[union-attr]
        assert not J.journal_path(path).exists()
    print(name, seen)
    assert any("rolled-back" in s for s in seen.values()), seen  # some kill landed mid-write
    assert any(s.startswith("finished") for s in seen.values()), seen  # and the last points let it finish


def _torn(path: Path, record: Record) -> tuple[bytes, list[J.Region]]:
    """Write a journal as apply() does and half of the first region, as if killed mid-write."""
    container = read(path).container
    from hegui.label.containers import by_name

    handler = by_name(container)
    with open_source(path) as src:
        plan = handler.plan_in_place(src, record)
    assert plan is not None
    with open(path, "r+b") as handle:
        J.journal_path(path).write_bytes(J._encode(os.fstat(handle.fileno()), plan.size_after, plan.regions))
        region = plan.regions[0]
        os.pwrite(handle.fileno(), region.new[: max(1, len(region.new) // 2)], region.offset)
    return path.read_bytes(), plan.regions


def test_journal_of_another_file_or_of_a_changed_file_is_left_alone(tmp_path: Path) -> None:
    path = jpeg.make(tmp_path)[0]
    write(path, Record.new(PRODUCER, produce_id="seed"))
    original = path.read_bytes()
    _torn(path, Record.new(PRODUCER, produce_id="next"))
    # A newer export of the same name (another inode): the journal must not be applied to it.
    shutil.copyfile(path, tmp_path / "tmp.jpg")
    os.replace(tmp_path / "tmp.jpg", path)
    newer = path.read_bytes()
    result = write(path, Record.new(PRODUCER, produce_id="third"), in_place=True)
    assert result.recovery is not None and "another file" in result.recovery
    assert result.mode == "copy"  # the journal in the way: the atomic copy, which needs none
    assert J.journal_path(path).exists() and read(path).label.record.ProduceID == "third"  # type: ignore[union-attr]
    assert newer != original
    # A file whose bytes changed in the journal's regions since (neither old nor new): left alone too.
    J.journal_path(path).unlink()
    torn, regions = _torn(path, Record.new(PRODUCER, produce_id="fourth"))
    data = bytearray(torn)
    first = regions[0]
    data[first.offset] = next(v for v in range(256) if v not in (first.old[0], first.new[0]))
    with open(path, "r+b") as handle:
        handle.write(bytes(data))
    with open(path, "r+b") as handle:
        J.lock(handle)
        recovery = J.recover(path, handle)
    assert recovery is not None and recovery.action == "left-alone"
    assert path.read_bytes() == bytes(data) and J.journal_path(path).exists()


def test_torn_journal_is_discarded_and_the_file_untouched(tmp_path: Path) -> None:
    path = jpeg.make(tmp_path)[0]
    write(path, Record.new(PRODUCER, produce_id="seed"))
    before = path.read_bytes()
    J.journal_path(path).write_bytes(J.MAGIC + b'{"torn')
    result = write(path, Record.new(PRODUCER, produce_id="next"), in_place=True)
    assert result.recovery is not None and "torn" in result.recovery and result.mode == "in-place"
    assert len(path.read_bytes()) == len(before)
