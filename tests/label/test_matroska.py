"""Matroska / WebM: write, read back, ffprobe and ExifTool interop, clusters byte-identical, SeekHead and Void
handling, live (unknown-size) files, hostile input."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hegui.errors import InputError, LimitExceededError
from hegui.label import Record, read, write

from .conftest import (
    PRODUCER,
    assert_reader_fails_cleanly,
    assert_writer_labels_or_fails_cleanly,
    exiftool_json,
    mutated,
)
from .test_riff import GTKIT, decode_errors, ffmpeg, ffprobe_tags, framemd5, packet_md5

VIDEO = ("-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:duration=1")
AUDIO = ("-f", "lavfi", "-i", "sine=duration=1")


def make_mkv(path: Path, *extra: str) -> Path:
    ffmpeg(*VIDEO, *AUDIO, "-c:v", "mpeg4", "-c:a", "pcm_s16le", "-metadata", "title=Film", *extra, str(path))
    return path


def make_webm(path: Path, *extra: str) -> Path:
    ffmpeg(*VIDEO, "-c:v", "libvpx", "-metadata", "title=Film", *extra, str(path))
    return path


# An independent minimal EBML reader for the structural checks (not hegui's parser).
def ebml(data: bytes, pos: int) -> tuple[int, int, int]:
    """(id, data offset, size or -1) of the element at ``pos``."""
    length = 1
    while not data[pos] & (0x80 >> (length - 1)):
        length += 1
    eid = int.from_bytes(data[pos : pos + length], "big")
    pos += length
    slen = 1
    while not data[pos] & (0x80 >> (slen - 1)):
        slen += 1
    raw = int.from_bytes(data[pos : pos + slen], "big") & ((1 << (7 * slen)) - 1)
    size = -1 if raw == (1 << (7 * slen)) - 1 else raw
    return eid, pos + slen, size


def level1(data: bytes) -> tuple[int, list[tuple[int, int, int]], int]:
    """(segment data start, [(id, offset, end)], segment size) of a known-size Segment."""
    _, start, size = ebml(data, 0)
    pos = start + size
    _, seg_data, seg_size = ebml(data, pos)
    out = []
    pos = seg_data
    end = len(data) if seg_size == -1 else seg_data + seg_size
    while pos < end:
        eid, dpos, size = ebml(data, pos)
        if size == -1:
            out.append((eid, pos, end))
            break
        out.append((eid, pos, dpos + size))
        pos = dpos + size
    return seg_data, out, seg_size


def clusters(data: bytes) -> list[bytes]:
    return [data[a:b] for eid, a, b in level1(data)[1] if eid == 0x1F43B675]


def check_crcs(data: bytes) -> int:
    """Every CRC-32 element that opens a level-1 master matches the bytes after it; returns how many."""
    count = 0
    for eid, start, end in level1(data)[1]:
        if eid == 0x1F43B675:
            continue
        _, pos, _ = ebml(data, start)
        if pos < end and data[pos] == 0xBF:
            _, cpos, csize = ebml(data, pos)
            assert struct.unpack("<I", data[cpos : cpos + csize])[0] == zlib.crc32(data[cpos + csize : end])
            count += 1
    return count


def seek_tags_position(data: bytes) -> int:
    seg, items, _ = level1(data)
    head = next((a, b) for eid, a, b in items if eid == 0x114D9B74)
    _, pos, size = ebml(data, head[0])
    end = pos + size
    while pos < end:
        eid, dpos, size = ebml(data, pos)
        if eid == 0x4DBB:
            inner, found = dpos, {}
            while inner < dpos + size:
                cid, cpos, csize = ebml(data, inner)
                found[cid] = data[cpos : cpos + csize]
                inner = cpos + csize
            if found.get(0x53AB) == b"\x12\x54\xc3\x67":
                return seg + int.from_bytes(found[0x53AC], "big")
        pos = dpos + size
    raise AssertionError("no Tags entry in the SeekHead")


@pytest.mark.parametrize("maker", [make_mkv, make_webm])
def test_write_keeps_clusters_and_tags(
    tmp_path: Path, record: Record, other_record: Record, maker: object
) -> None:
    path = maker(tmp_path / "a.mkv")  # type: ignore[operator]
    before = path.read_bytes()
    md5, packets = framemd5(path), packet_md5(path)
    assert write(path, record).warnings == []
    data = path.read_bytes()
    assert clusters(data) == clusters(before)
    assert [b for e, a, b in level1(data)[1] if e == 0x1F43B675] == [
        b for e, a, b in level1(before)[1] if e == 0x1F43B675
    ]
    seg, _, seg_size = level1(data)
    assert seg + seg_size == len(data)
    assert check_crcs(data) == check_crcs(before)  # ffmpeg writes CRC-32 into Matroska masters, not WebM
    assert data[seek_tags_position(data) : seek_tags_position(data) + 4] == b"\x12\x54\xc3\x67"
    tags = ffprobe_tags(path)
    assert tags["AIGC"] == record.to_json() and tags["title"] == "Film" and "ENCODER" in tags
    assert exiftool_json(path, "-ee").get("Matroska:Aigc") == record.to_json()
    assert framemd5(path) == md5 and packet_md5(path) == packets and decode_errors(path) == ""
    scan = read(path)
    assert scan.valid and [f.record for f in scan.labels] == [record]
    write(path, other_record)
    assert [f.record for f in read(path).labels] == [other_record]
    assert ffprobe_tags(path)["AIGC"] == other_record.to_json()
    assert clusters(path.read_bytes()) == clusters(before) and decode_errors(path) == ""


@pytest.mark.parametrize("maker", [make_mkv, make_webm])
def test_reads_what_ffmpeg_writes(tmp_path: Path, record: Record, maker: object) -> None:
    path = maker(tmp_path / "a.mkv", "-metadata", f"AIGC={GTKIT}")  # type: ignore[operator]
    scan = read(path)
    assert [f.raw for f in scan.labels] == [GTKIT]
    write(path, record, replace_foreign=True)
    assert [f.record for f in read(path).labels] == [record]
    assert ffprobe_tags(path)["AIGC"] == record.to_json() and decode_errors(path) == ""


def test_short_label_is_rewritten_in_place(tmp_path: Path) -> None:
    path = make_mkv(tmp_path / "a.mkv", "-metadata", "AIGC=" + "x" * 400)
    before = path.read_bytes()
    small = Record.new(PRODUCER, produce_id="p1")
    write(path, small, replace_foreign=True)
    data = path.read_bytes()
    assert len(data) == len(before)  # the Tags element shrank and a Void took the rest
    assert [f.record for f in read(path).labels] == [small] and ffprobe_tags(path)["AIGC"] == small.to_json()
    assert exiftool_json(path).get("Matroska:Aigc") == small.to_json()  # before the clusters: no -ee needed


def test_live_stream_unknown_sizes(tmp_path: Path, record: Record) -> None:
    path = make_mkv(tmp_path / "live.mkv", "-live", "1")
    before = path.read_bytes()
    assert level1(before)[2] == -1  # unknown-size Segment
    md5 = framemd5(path)
    write(path, record)
    data = path.read_bytes()
    assert level1(data)[2] == -1  # still unknown
    first_cluster = next(a for e, a, b in level1(before)[1] if e == 0x1F43B675)
    assert data[first_cluster : len(before)] == before[first_cluster:]  # clusters untouched, Tags appended
    assert ffprobe_tags(path)["AIGC"] == record.to_json()
    assert framemd5(path) == md5 and decode_errors(path) == ""


def simple_tag(name: bytes, value: bytes) -> bytes:
    return el(0x67C8, el(0x45A3, name) + el(0x4487, value))


def el(eid: int, payload: bytes) -> bytes:
    return (
        eid.to_bytes((eid.bit_length() + 7) // 8, "big")
        + (0x01 << 56 | len(payload)).to_bytes(8, "big")
        + payload
    )


def test_second_tags_element_without_seekhead_is_read_and_cleaned(tmp_path: Path, record: Record) -> None:
    # Built byte by byte: the SeekHead voided (same length, so no offset moves) and a second Tags element with a
    # global AIGC SimpleTag appended to the Segment: readers must walk the level-1 elements to find it.
    path = make_mkv(tmp_path / "a.mkv", "-metadata", f"AIGC={GTKIT}")
    data = bytearray(path.read_bytes())
    seg, items, seg_size = level1(bytes(data))
    start, end = next((a, b) for e, a, b in items if e == 0x114D9B74)
    data[start:end] = (
        b"\xec" + (0x01 << 56 | (end - start - 9)).to_bytes(8, "big") + b"\x00" * (end - start - 9)
    )
    extra = el(
        0x1254C367,
        el(0x7373, el(0x63C0, b"") + simple_tag(b"AIGC", GTKIT.encode()) + simple_tag(b"KEEP", b"me")),
    )
    data[seg - 8 : seg] = (0x01 << 56 | (seg_size + len(extra))).to_bytes(8, "big")
    path.write_bytes(bytes(data) + extra)
    assert decode_errors(path) == ""
    scan = read(path)
    assert [f.raw for f in scan.labels] == [GTKIT, GTKIT]
    assert any(f.rule == "gb45438-6.1c" for f in scan.findings)
    write(path, record, replace_foreign=True)
    assert [f.record for f in read(path).labels] == [record]
    out = path.read_bytes()
    assert b"gtkit" not in out and b"KEEP" in out
    assert ffprobe_tags(path)["AIGC"] == record.to_json() and decode_errors(path) == ""


def test_hostile_matroska(tmp_path: Path) -> None:
    header = el(0x1A45DFA3, el(0x4282, b"matroska"))
    path = tmp_path / "bad.mkv"
    path.write_bytes(
        header + b"\x18\x53\x80\x67" + (0x01 << 56 | 0xFFFFFFFF).to_bytes(8, "big") + b"\xec\x80"
    )
    with pytest.raises(InputError, match="runs past"):
        read(path)
    nested = simple_tag(b"AIGC", b"{}")
    for _ in range(40):
        nested = el(0x67C8, el(0x45A3, b"N") + nested)
    segment = el(0x1254C367, el(0x7373, nested))
    path.write_bytes(header + el(0x18538067, segment))
    with pytest.raises(LimitExceededError, match="too deep"):
        read(path)
    path.write_bytes(header + el(0x18538067, b"\x00\x81\x00"))
    with pytest.raises(InputError, match="invalid EBML"):
        read(path)


def seed_file(tmp_path: Path) -> bytes:
    seed = tmp_path / "seed.mkv"
    if not seed.exists():
        ffmpeg("-f", "lavfi", "-i", "testsrc=size=16x16:rate=5:duration=0.4", "-c:v", "mpeg4", str(seed))
        write(seed, Record.new(PRODUCER, produce_id="fuzz"))
    return seed.read_bytes()


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzz_reader(tmp_path: Path, data: st.DataObject) -> None:
    damaged = data.draw(mutated(seed_file(tmp_path)))
    assert_reader_fails_cleanly(tmp_path / "f.mkv", damaged, "matroska")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzz_writer_only_raises_input_errors(tmp_path: Path, data: st.DataObject) -> None:
    assert_writer_labels_or_fails_cleanly(
        tmp_path / "f.mkv", data.draw(mutated(seed_file(tmp_path))), "matroska"
    )


def test_file_without_tags_gets_a_global_tag(tmp_path: Path, record: Record) -> None:
    # Built byte by byte: ffmpeg's Tags element voided (same length), so the file has no Tags at all.
    path = make_webm(tmp_path / "a.webm")
    data = bytearray(path.read_bytes())
    _, items, _ = level1(bytes(data))
    start, end = next((a, b) for e, a, b in items if e == 0x1254C367)
    data[start:end] = (
        b"\xec" + (0x01 << 56 | (end - start - 9)).to_bytes(8, "big") + b"\x00" * (end - start - 9)
    )
    path.write_bytes(bytes(data))
    assert read(path).labels == []
    md5 = framemd5(path)
    write(path, record)
    out = path.read_bytes()
    assert b"\x68\xca\x81\x32" in out  # Targets/TargetTypeValue 50 in the new Tag
    assert ffprobe_tags(path)["AIGC"] == record.to_json()
    assert framemd5(path) == md5 and decode_errors(path) == ""


def test_nested_simple_tag_label_is_read_and_removed(tmp_path: Path, record: Record) -> None:
    # Built byte by byte: an AIGC SimpleTag nested inside another SimpleTag, in a Tags element before the clusters.
    path = make_mkv(tmp_path / "a.mkv")
    data = bytearray(path.read_bytes())
    _, items, _ = level1(bytes(data))
    start, end = next((a, b) for e, a, b in items if e == 0x1254C367)
    nested = el(0x67C8, el(0x45A3, b"PARENT") + el(0x4487, b"p") + simple_tag(b"AIGC", GTKIT.encode()))
    tags = el(0x1254C367, el(0x7373, el(0x63C0, b"") + nested))
    assert len(tags) + 2 <= end - start
    filler = end - start - len(tags)
    data[start:end] = tags + b"\xec" + (0x01 << 56 | (filler - 9)).to_bytes(8, "big") + b"\x00" * (filler - 9)
    path.write_bytes(bytes(data))
    assert [f.raw for f in read(path).labels] == [GTKIT]
    write(path, record, replace_foreign=True)
    out = path.read_bytes()
    assert [f.record for f in read(path).labels] == [record] and b"gtkit" not in out and b"PARENT" in out
    assert decode_errors(path) == ""
