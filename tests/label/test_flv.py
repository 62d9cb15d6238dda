"""FLV: write, read back, ffprobe and ExifTool interop, media tags byte-identical, keyframe file positions shifted,
hostile input."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hegui.errors import InputError, UnsupportedFormatError
from hegui.label import Record, read, write

from .conftest import (
    PRODUCER,
    assert_reader_fails_cleanly,
    assert_writer_labels_or_fails_cleanly,
    exiftool_json,
    mutated,
)
from .test_riff import GTKIT, decode_errors, ffmpeg, ffprobe_tags, framemd5, packet_md5


def make_flv(path: Path, *extra: str) -> Path:
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:duration=1.5", "-f", "lavfi", "-i", "sine=duration=1.5",
           "-c:v", "flv1", "-g", "4", "-c:a", "pcm_s16le", "-flvflags", "add_keyframe_index",
           "-metadata", "title=Clip", *extra, str(path))  # fmt: skip
    return path


# An independent walk of the FLV tag list (not hegui's parser).
def tags(data: bytes) -> list[tuple[int, int, bytes]]:
    """(offset, type, data) of every tag; checks every PreviousTagSize on the way."""
    pos = struct.unpack_from(">I", data, 5)[0]
    assert struct.unpack_from(">I", data, pos)[0] == 0
    pos += 4
    out = []
    while pos < len(data):
        kind = data[pos]
        size = int.from_bytes(data[pos + 1 : pos + 4], "big")
        out.append((pos, kind, data[pos + 11 : pos + 11 + size]))
        assert struct.unpack_from(">I", data, pos + 11 + size)[0] == 11 + size
        pos += 11 + size + 4
    assert pos == len(data)
    return out


def numbers_after(blob: bytes, key: bytes) -> list[float]:
    """The AMF0 numbers of the strict array that follows ``key`` (e.g. filepositions)."""
    at = blob.index(struct.pack(">H", len(key)) + key) + 2 + len(key)
    assert blob[at] == 10
    count = struct.unpack_from(">I", blob, at + 1)[0]
    return [struct.unpack_from(">d", blob, at + 5 + 9 * i + 1)[0] for i in range(count)]


def check_keyframes(data: bytes) -> int:
    meta = tags(data)[0][2]
    positions = numbers_after(meta, b"filepositions")
    assert len(positions) >= 3
    for value in positions:
        pos = int(value)
        assert data[pos] == 9 and data[pos + 11] >> 4 == 1  # a video tag holding a keyframe
    return len(positions)


def test_write_shifts_keyframe_positions(tmp_path: Path, record: Record, other_record: Record) -> None:
    path = make_flv(tmp_path / "a.flv")
    before = path.read_bytes()
    check_keyframes(before)
    md5, packets = framemd5(path), packet_md5(path)
    assert write(path, record).warnings == []
    data = path.read_bytes()
    assert [t[1:] for t in tags(data)[1:]] == [t[1:] for t in tags(before)[1:]]  # media tags byte-identical
    check_keyframes(data)
    at = data.index(b"\x00\x08filesize") + 10
    assert data[at] == 0 and struct.unpack_from(">d", data, at + 1)[0] == len(
        data
    )  # ffmpeg's filesize, updated
    meta = ffprobe_tags(path)
    assert meta["AIGC"] == record.to_json() and meta["title"] == "Clip" and meta["hasKeyframes"] == "true"
    assert exiftool_json(path).get("Flash:AIGC") == record.to_json()
    assert framemd5(path) == md5 and packet_md5(path) == packets and decode_errors(path) == ""
    assert [f.record for f in read(path).labels] == [record]
    write(path, other_record)
    assert [f.record for f in read(path).labels] == [other_record]
    check_keyframes(path.read_bytes())
    assert ffprobe_tags(path)["AIGC"] == other_record.to_json() and decode_errors(path) == ""


def test_reads_what_ffmpeg_writes(tmp_path: Path, record: Record) -> None:
    path = make_flv(tmp_path / "a.flv", "-metadata", f"AIGC={GTKIT}")
    assert [f.raw for f in read(path).labels] == [GTKIT]
    write(path, record, replace_foreign=True)
    assert [f.record for f in read(path).labels] == [record] and b"gtkit" not in path.read_bytes()
    check_keyframes(path.read_bytes())
    assert decode_errors(path) == ""


def amf_string(text: bytes) -> bytes:
    return b"\x02" + struct.pack(">H", len(text)) + text


def script_tag(body: bytes) -> bytes:
    return b"\x12" + len(body).to_bytes(3, "big") + b"\x00" * 7 + body + struct.pack(">I", 11 + len(body))


def without_script(data: bytes) -> bytes:
    start = struct.unpack_from(">I", data, 5)[0] + 4
    first = tags(data)[0]
    assert first[1] == 18
    return data[:start] + data[start + 11 + len(first[2]) + 4 :]


def test_file_without_metadata_gets_a_script_tag(tmp_path: Path, record: Record) -> None:
    path = tmp_path / "a.flv"
    path.write_bytes(without_script(make_flv(tmp_path / "src.flv").read_bytes()))
    assert read(path).labels == []
    md5 = framemd5(path)
    write(path, record)
    assert tags(path.read_bytes())[0][1] == 18
    assert ffprobe_tags(path)["AIGC"] == record.to_json()
    assert framemd5(path) == md5 and decode_errors(path) == ""


def test_long_string_and_object_forms_built_by_hand(tmp_path: Path) -> None:
    # Built byte by byte: onMetaData as an AMF0 object (marker 3) holding AIGC as a long string (marker 12).
    value = GTKIT.encode()
    body = amf_string(b"onMetaData") + b"\x03" + struct.pack(">H", 4) + b"AIGC"
    body += b"\x0c" + struct.pack(">I", len(value)) + value + b"\x00\x00\x09"
    data = make_flv(tmp_path / "src.flv").read_bytes()
    start = struct.unpack_from(">I", data, 5)[0] + 4
    path = tmp_path / "a.flv"
    path.write_bytes(without_script(data)[:start] + script_tag(body) + without_script(data)[start:])
    assert [f.raw for f in read(path).labels] == [GTKIT]
    # ffmpeg cannot parse AMF0 long strings ("unsupported amf type 12"); hegui rewrites the label as a string.
    write(path, Record.new(PRODUCER, produce_id="p1"), replace_foreign=True)
    assert ffprobe_tags(path)["AIGC"] == Record.new(PRODUCER, produce_id="p1").to_json()
    assert decode_errors(path) == ""


def test_unknown_keyframe_index_shape_is_refused(tmp_path: Path, record: Record) -> None:
    body = amf_string(b"onMetaData") + b"\x08" + struct.pack(">I", 1)
    body += struct.pack(">H", 9) + b"keyframes" + amf_string(b"elsewhere") + b"\x00\x00\x09"
    data = make_flv(tmp_path / "src.flv").read_bytes()
    start = struct.unpack_from(">I", data, 5)[0] + 4
    path = tmp_path / "a.flv"
    path.write_bytes(without_script(data)[:start] + script_tag(body) + without_script(data)[start:])
    before = path.read_bytes()
    with pytest.raises(UnsupportedFormatError, match="keyframes") as info:
        write(path, record)
    assert str(path) in str(info.value)
    assert path.read_bytes() == before


def test_hostile_flv(tmp_path: Path) -> None:
    header = b"FLV\x01\x05\x00\x00\x00\x09" + b"\x00" * 4
    path = tmp_path / "bad.flv"
    deep = amf_string(b"onMetaData") + b"\x08\x00\x00\x00\x01" + (b"\x00\x01k\x03" * 100) + b"\x00\x00\x09"
    path.write_bytes(header + script_tag(deep))
    with pytest.raises(InputError, match="nested too deep"):
        read(path)
    huge = amf_string(b"onMetaData") + b"\x08\x00\x00\x00\x01\x00\x01k\x0a\xff\xff\xff\xff"
    path.write_bytes(header + script_tag(huge))
    with pytest.raises(InputError, match="strict array"):
        read(path)
    path.write_bytes(header + b"\x12\xff\xff\xff" + b"\x00" * 20)
    with pytest.raises(InputError, match="runs past the end"):
        read(path)


def seed_file(tmp_path: Path) -> bytes:
    seed = tmp_path / "seed.flv"
    if not seed.exists():
        ffmpeg("-f", "lavfi", "-i", "testsrc=size=16x16:rate=5:duration=0.6", "-c:v", "flv1", "-g", "1",
               "-flvflags", "add_keyframe_index", str(seed))  # fmt: skip
        write(seed, Record.new(PRODUCER, produce_id="fuzz"))
    return seed.read_bytes()


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzz_reader(tmp_path: Path, data: st.DataObject) -> None:
    damaged = data.draw(mutated(seed_file(tmp_path)))
    assert_reader_fails_cleanly(tmp_path / "f.flv", damaged, "flv")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzz_writer_only_raises_input_errors(tmp_path: Path, data: st.DataObject) -> None:
    assert_writer_labels_or_fails_cleanly(tmp_path / "f.flv", data.draw(mutated(seed_file(tmp_path))), "flv")
