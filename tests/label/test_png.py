"""PNG: write, read back, interop with ExifTool, media data byte-identical, hostile input."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from hegui.errors import InputError
from hegui.label import Record, read, write
from hegui.label.containers.base import open_source
from hegui.label.containers.png import SIGNATURE, iter_chunks, make_chunk

from .conftest import (
    PRODUCER,
    assert_reader_fails_cleanly,
    exiftool_aigc,
    exiftool_json,
    exiftool_write_aigc,
    mutated,
)


def make_png(path: Path, *, with_text: bool = True) -> Path:
    image = Image.new("RGBA", (37, 21))
    image.putdata([(x * 7 % 256, x * 13 % 256, x * 29 % 256, 255) for x in range(37 * 21)])
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    if with_text:
        info.add_text("Software", "test-suite")
        info.add_itxt("Title", "标题", lang="zh", tkey="Title")
    image.save(path, pnginfo=info)
    return path


def idat_bytes(path: Path) -> bytes:
    with open_source(path) as src:
        return b"".join(src.read_at(c.data_offset, c.length) for c in iter_chunks(src) if c.type == b"IDAT")


def test_write_read_roundtrip_keeps_pixels_and_other_chunks(tmp_path: Path, record: Record) -> None:
    path = make_png(tmp_path / "a.png")
    pixels = Image.open(path).tobytes()
    idat = idat_bytes(path)
    result = write(path, record)
    assert result.replaced is None and result.warnings == []
    scan = read(path)
    assert scan.valid and [f.record for f in scan.labels] == [record]
    assert scan.labels[0].form == "xmp-element"
    assert Image.open(path).tobytes() == pixels
    assert idat_bytes(path) == idat
    text = Image.open(path).text
    assert text["Software"] == "test-suite" and text["Title"] == "标题"


def test_exiftool_reads_what_hegui_writes(tmp_path: Path, record: Record) -> None:
    path = make_png(tmp_path / "a.png")
    write(path, record)
    assert exiftool_aigc(path) == record.to_json()
    assert exiftool_json(path).get("PNG:Software") == "test-suite"


def test_hegui_reads_what_exiftool_writes(tmp_path: Path, record: Record) -> None:
    path = make_png(tmp_path / "a.png")
    exiftool_write_aigc(path, record.to_json())
    assert read(path).label is not None
    assert read(path).label.record == record  # type: ignore[union-attr]


def test_rewrite_replaces_instead_of_duplicating(
    tmp_path: Path, record: Record, other_record: Record
) -> None:
    path = make_png(tmp_path / "a.png")
    write(path, record)
    result = write(path, other_record)
    assert result.replaced == record
    assert any(f.rule == "gb45438-6.1c" for f in result.warnings)
    assert [f.record for f in read(path).labels] == [other_record]


def test_text_chunk_label_written_by_others_is_read_and_replaced(tmp_path: Path, record: Record) -> None:
    # Built byte by byte: a tEXt chunk keyed AIGC holding the bare JSON, as Doubao writes it (reference §2.7).
    path = make_png(tmp_path / "a.png", with_text=False)
    data = path.read_bytes()
    bare = b'{"Label":"1","ContentProducer":"doubao","ProduceID":"abc123"}'
    chunk = struct.pack(">I", len(b"AIGC\x00" + bare)) + b"tEXt" + b"AIGC\x00" + bare
    chunk += struct.pack(">I", zlib.crc32(b"tEXt" + b"AIGC\x00" + bare) & 0xFFFFFFFF)
    ihdr_end = 8 + 12 + 13
    path.write_bytes(data[:ihdr_end] + chunk + data[ihdr_end:])
    scan = read(path)
    assert len(scan.labels) == 1 and scan.labels[0].location == "tEXt AIGC"
    assert scan.labels[0].record is not None and scan.labels[0].record.ContentProducer == "doubao"
    assert any(f.rule == "provider-name" for f in scan.labels[0].findings)
    write(path, record, replace_foreign=True)
    assert [f.record for f in read(path).labels] == [record]


def test_output_leaves_source_untouched(tmp_path: Path, record: Record) -> None:
    path = make_png(tmp_path / "a.png")
    before = path.read_bytes()
    out = tmp_path / "out"
    out.mkdir()
    result = write(path, record, output=out)
    assert path.read_bytes() == before
    assert Path(result.output) == out / "a.png"
    assert read(out / "a.png").label is not None


def test_truncated_file_is_a_clear_error_and_nothing_changes(tmp_path: Path, record: Record) -> None:
    path = make_png(tmp_path / "a.png")
    data = path.read_bytes()
    path.write_bytes(data[:-20])
    with pytest.raises(InputError) as info:
        write(path, record)
    assert str(path) in str(info.value) and "byte" in str(info.value)
    assert path.read_bytes() == data[:-20]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png"]  # no temporary file left behind


def test_huge_declared_length_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.png"
    path.write_bytes(SIGNATURE + struct.pack(">I", 0x7FFFFFF0) + b"tEXt" + b"x" * 20)
    with pytest.raises(InputError, match="runs past the end"):
        read(path)


def test_ztxt_bomb_is_refused(tmp_path: Path) -> None:
    path = make_png(tmp_path / "a.png", with_text=False)
    data = path.read_bytes()
    bomb = b"AIGC\x00\x00" + zlib.compress(b"A" * (64 * 1024 * 1024), 9)
    ihdr_end = 8 + 12 + 13
    path.write_bytes(data[:ihdr_end] + make_chunk(b"zTXt", bomb) + data[ihdr_end:])
    with pytest.raises(InputError, match="inflates beyond"):
        read(path)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzz_reader_only_raises_input_errors(tmp_path: Path, data: st.DataObject) -> None:
    seed_path = make_png(tmp_path / "seed.png")
    write(seed_path, Record.new(PRODUCER, produce_id="fuzz"))
    damaged = data.draw(mutated(seed_path.read_bytes()))
    assert_reader_fails_cleanly(tmp_path / "f.png", damaged, "png")
