"""Shared fixtures of the label tests: the independent oracle (ExifTool with a TC260 config) and sample records."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from hegui.label import Record

EXIFTOOL_CONFIG = Path(__file__).with_name("tc260.exiftool.config")
PRODUCER = "001191440300708461136T1XGW3"  # Tencent's USCC 91440300708461136T, a real code seen in the wild
PROPAGATOR = "001191110102MACQD9K64020001"


def exiftool_bin() -> str:
    path = shutil.which("exiftool")
    if path is None:  # CI installs libimage-exiftool-perl; a missing oracle is a failure, not a skip
        pytest.fail("exiftool is not installed (Debian package libimage-exiftool-perl); run `make test`")
    return path


def exiftool_json(path: Path, *tags: str) -> dict[str, Any]:
    """Everything ExifTool reads from ``path`` (groups in keys), with the TC260 namespace defined."""
    args = [
        exiftool_bin(),
        "-config",
        str(EXIFTOOL_CONFIG),
        "-j",
        "-G1",
        "-a",
        "-u",
        "-struct",
        *tags,
        str(path),
    ]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    result: dict[str, Any] = json.loads(out)[0]
    return result


def exiftool_aigc(path: Path) -> str | None:
    """The XMP-TC260:AIGC value ExifTool reads, or None."""
    data = exiftool_json(path, "-XMP-TC260:AIGC")
    value = data.get("XMP-TC260:AIGC")
    return None if value is None else str(value)


def exiftool_write_aigc(path: Path, value: str) -> None:
    """Let ExifTool (not hegui) write XMP-TC260:AIGC, for the read-what-others-write direction."""
    subprocess.run(
        [
            exiftool_bin(),
            "-config",
            str(EXIFTOOL_CONFIG),
            "-overwrite_original",
            f"-XMP-TC260:AIGC={value}",
            str(path),
        ],
        check=True,
        capture_output=True,
        text=True,
    )


@pytest.fixture
def record() -> Record:
    return Record.new(PRODUCER, produce_id="d2c7a0d4-52d5-4b8e-9f7e-2f0c1f6a3b11")


@pytest.fixture
def other_record() -> Record:
    return Record.new(PRODUCER, produce_id="second-id-0001", label="2")


def assert_reader_fails_cleanly(path: Path, data: bytes, container: str) -> None:
    """Write ``data`` to ``path`` and read it: it must parse, or raise InputError (never anything else)."""
    from hegui.errors import InputError
    from hegui.label import read

    path.write_bytes(data)
    try:
        read(path, container=container)
    except InputError:
        pass


def assert_writer_labels_or_fails_cleanly(path: Path, data: bytes, container: str) -> None:
    """Write ``data`` to ``path`` and label it: afterwards the file holds exactly the new label, or the writer
    raised InputError and the file is byte for byte what it was (never another exception, never a half-write)."""
    from hegui.errors import InputError
    from hegui.label import ForeignLabelError, read, write

    path.write_bytes(data)
    new = Record.new(PRODUCER, produce_id="fuzz-write")
    try:
        write(path, new, container=container)
    except InputError:
        assert path.read_bytes() == data
        return
    except ForeignLabelError:  # a mutated label names another producer: refused, the file and its label kept
        assert path.read_bytes() == data
        return
    assert [f.record for f in read(path, container=container).labels] == [new]


def assert_writer_keeps_one_label_and_foreign_ones(path: Path, container: str, *, in_place: bool) -> None:
    """Every writer, on a file ``path`` that holds a label: a write of another producer is refused and changes
    nothing (the foreign label is never dropped); a write of the same producer leaves exactly that one label;
    ``replace_foreign`` leaves exactly the new label, never none."""
    from hegui.label import ForeignLabelError, read, write

    before = path.read_bytes()
    existing = [f.record for f in read(path, container=container).labels if not f.mirror]
    assert len(existing) == 1 and existing[0] is not None
    foreign = Record.new("001191110108MA01ABCD1E1XYZ1", produce_id="foreign-1")
    try:
        write(path, foreign, container=container, in_place=in_place)
    except ForeignLabelError as exc:
        assert existing[0].ProduceID in str(exc)
    else:
        raise AssertionError("another producer's label was overwritten without replace_foreign")
    assert path.read_bytes() == before
    own = Record.new(existing[0].ContentProducer, produce_id="own-2")
    write(path, own, container=container, in_place=in_place)
    assert [f.record for f in read(path, container=container).labels if not f.mirror] == [own]
    result = write(path, foreign, container=container, in_place=in_place, replace_foreign=True)
    assert result.replaced_foreign == [own]
    assert [f.record for f in read(path, container=container).labels if not f.mirror] == [foreign]


def mutated(seed: bytes) -> Any:
    """A hypothesis strategy of damaged copies of ``seed``: truncated, bytes overwritten, bytes inserted."""
    from hypothesis import strategies as st

    size = max(len(seed), 1)

    def truncate(cut: int) -> bytes:
        return seed[: cut % size]

    def overwrite(args: tuple[int, bytes]) -> bytes:
        pos, junk = args
        pos %= size
        return seed[:pos] + junk + seed[pos + len(junk) :]

    def insert(args: tuple[int, bytes]) -> bytes:
        pos, junk = args
        pos %= size
        return seed[:pos] + junk + seed[pos:]

    junk = st.binary(min_size=1, max_size=16) | st.sampled_from(
        [b"\xff\xff\xff\xff", b"\x7f\xff\xff\xff", b"\x00\x00\x00\x00", b"\x80\x00\x00\x00"]
    )
    return st.one_of(
        st.integers(min_value=0, max_value=size).map(truncate),
        st.tuples(st.integers(min_value=0, max_value=size), junk).map(overwrite),
        st.tuples(st.integers(min_value=0, max_value=size), junk).map(insert),
    )
