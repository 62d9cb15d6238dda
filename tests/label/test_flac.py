"""FLAC: VORBIS_COMMENT ``AIGC=``; padding used in place, metadata rebuilt otherwise, audio frames byte-identical.

Independent oracles: ffprobe, ExifTool and mutagen (GPL, test-only) read what hegui writes; hegui reads what mutagen
and ``ffmpeg -metadata AIGC=... -c copy`` write; ffmpeg decodes the result without errors to the same samples.
"""

from __future__ import annotations

import io
import struct
from pathlib import Path

import mutagen.flac
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from hegui.errors import InputError, LimitExceededError
from hegui.label import Record, read, write

from .conftest import (
    PRODUCER,
    assert_reader_fails_cleanly,
    assert_writer_labels_or_fails_cleanly,
    exiftool_json,
    mutated,
)
from .media import decode_errors, decoded_md5, ffmpeg, ffprobe_tags

PADDING = 1


def make_flac(path: Path, *extra: str) -> Path:
    ffmpeg(
        "-f", "lavfi", "-i", "sine=frequency=440:duration=0.3", "-ac", "1", "-ar", "8000", *extra, str(path)
    )
    return path


# A test-side block walker, independent of hegui's: [(type, body)] and the offset of the first audio frame.
def blocks(data: bytes) -> tuple[list[tuple[int, bytes]], int]:
    assert data[:4] == b"fLaC"
    pos, out = 4, []
    while True:
        head = data[pos]
        length = int.from_bytes(data[pos + 1 : pos + 4], "big")
        out.append((head & 0x7F, data[pos + 4 : pos + 4 + length]))
        pos += 4 + length
        if head & 0x80:
            return out, pos


def assemble(parts: list[tuple[int, bytes]], frames: bytes) -> bytes:
    out = b"fLaC"
    for i, (btype, body) in enumerate(parts):
        last = 0x80 if i == len(parts) - 1 else 0
        out += bytes([btype | last]) + len(body).to_bytes(3, "big") + body
    return out + frames


def vorbis_block(vendor: bytes, comments: list[bytes]) -> bytes:
    out = struct.pack("<I", len(vendor)) + vendor + struct.pack("<I", len(comments))
    for c in comments:
        out += struct.pack("<I", len(c)) + c
    return out


def test_write_in_padding_keeps_frames_in_place(tmp_path: Path, record: Record) -> None:
    path = make_flac(tmp_path / "a.flac", "-metadata", "title=tone")
    before = path.read_bytes()
    md5 = decoded_md5(path)
    old_blocks, frames_at = blocks(before)
    result = write(path, record)
    assert result.replaced is None and result.warnings == []
    after = path.read_bytes()
    new_blocks, new_frames_at = blocks(after)
    assert len(after) == len(before) and new_frames_at == frames_at  # the padding absorbed the comment
    assert after[frames_at:] == before[frames_at:]
    assert new_blocks[0] == old_blocks[0]  # STREAMINFO
    assert [t for t, _ in new_blocks] == [t for t, _ in old_blocks]
    scan = read(path)
    assert scan.valid and [f.record for f in scan.labels] == [record]
    assert decoded_md5(path) == md5 and decode_errors(path) == ""
    tags = mutagen.flac.FLAC(path)
    assert tags["TITLE"] == ["tone"] and tags["AIGC"] == [record.to_json()]
    assert isinstance(tags.tags, mutagen.flac.VCFLACDict) and tags.tags.vendor.startswith("Lavf")


def test_ffprobe_and_exiftool_read_what_hegui_writes(tmp_path: Path, record: Record) -> None:
    path = make_flac(tmp_path / "a.flac")
    write(path, record)
    assert ffprobe_tags(path)["AIGC"] == record.to_json()
    assert exiftool_json(path)["Vorbis:Aigc"] == record.to_json()


def test_hegui_reads_what_mutagen_and_ffmpeg_write(tmp_path: Path, record: Record) -> None:
    path = make_flac(tmp_path / "a.flac")
    audio = mutagen.flac.FLAC(path)
    audio["AIGC"] = record.to_json()
    audio.save()
    assert [f.record for f in read(path).labels] == [record]
    copied = tmp_path / "b.flac"
    ffmpeg(
        "-i",
        str(make_flac(tmp_path / "c.flac")),
        "-metadata",
        f"AIGC={record.to_json()}",
        "-c",
        "copy",
        str(copied),
    )
    found = read(copied).labels
    assert [f.record for f in found] == [record] and found[0].location == "VORBIS_COMMENT AIGC"


def test_without_padding_metadata_grows_and_every_block_is_kept(tmp_path: Path, record: Record) -> None:
    path = make_flac(tmp_path / "a.flac")
    audio = mutagen.flac.FLAC(path)
    picture = mutagen.flac.Picture()
    cover = io.BytesIO()
    Image.new("RGB", (2, 2), (200, 10, 10)).save(cover, "PNG")
    picture.type, picture.mime, picture.data = 3, "image/png", cover.getvalue()
    audio.add_picture(picture)
    audio.save(padding=lambda info: 0)
    parts, frames_at = blocks(path.read_bytes())
    frames = path.read_bytes()[frames_at:]
    parts = [p for p in parts if p[0] != PADDING]  # no room at all
    # Add, byte by byte, a SEEKTABLE (one placeholder point) and an APPLICATION block.
    seektable = b"\xff" * 8 + b"\x00" * 10
    application = b"test" + b"application data"
    parts = [parts[0], (3, seektable), *parts[1:], (2, application)]
    path.write_bytes(assemble(parts, frames))
    md5 = decoded_md5(path)
    write(path, record)
    new_parts, new_frames_at = blocks(path.read_bytes())
    assert path.read_bytes()[new_frames_at:] == frames
    kept = [(t, b) for t, b in new_parts if t not in (1, 4)]
    assert kept == [(t, b) for t, b in parts if t not in (1, 4)]
    assert new_parts[-1][0] == 1 and len(new_parts[-1][1]) >= 1024  # fresh padding for the next edit
    assert decoded_md5(path) == md5 and decode_errors(path) == ""
    assert mutagen.flac.FLAC(path).pictures[0].data == cover.getvalue()
    # The next write fits in that padding: the frames stay where they are.
    write(path, Record.new(PRODUCER, produce_id="again"))
    assert blocks(path.read_bytes())[1] == new_frames_at


def test_missing_comment_block_is_created(tmp_path: Path, record: Record) -> None:
    path = make_flac(tmp_path / "a.flac")
    parts, frames_at = blocks(path.read_bytes())
    frames = path.read_bytes()[frames_at:]
    path.write_bytes(assemble([p for p in parts if p[0] != 4], frames))
    assert read(path).labels == []
    write(path, record)
    new_parts, at = blocks(path.read_bytes())
    assert [t for t, _ in new_parts] == [0, 4, 1] and path.read_bytes()[at:] == frames
    assert [f.record for f in read(path).labels] == [record]


def test_existing_label_any_case_is_replaced_once(
    tmp_path: Path, record: Record, other_record: Record
) -> None:
    # Vorbis field names are case-insensitive: "aigc=" is the same field; a wrapped label in COMMENT is read too.
    path = make_flac(tmp_path / "a.flac")
    parts, frames_at = blocks(path.read_bytes())
    frames = path.read_bytes()[frames_at:]
    comments = [
        b"TITLE=x",
        b"aigc=" + record.to_json().encode(),
        b"COMMENT=" + record.to_wrapped_json().encode(),
        b"ARTIST=y",
    ]
    parts = [(t, vorbis_block(b"vendor v1", comments) if t == 4 else b) for t, b in parts]
    path.write_bytes(assemble(parts, frames))
    scan = read(path)
    assert [f.location for f in scan.labels] == ["VORBIS_COMMENT aigc", "VORBIS_COMMENT COMMENT"]
    assert scan.labels[1].form == "wrapped-json" and scan.labels[1].record == record
    result = write(path, other_record)
    assert result.replaced == record
    assert [f.record for f in read(path).labels] == [other_record]
    tags = mutagen.flac.FLAC(path)
    assert tags["TITLE"] == ["x"] and tags["ARTIST"] == ["y"] and "COMMENT" not in tags
    assert isinstance(tags.tags, mutagen.flac.VCFLACDict) and tags.tags.vendor == "vendor v1"


def test_truncated_file_is_a_clear_error_and_nothing_changes(tmp_path: Path, record: Record) -> None:
    path = make_flac(tmp_path / "a.flac")
    data = path.read_bytes()[:60]
    path.write_bytes(data)
    with pytest.raises(InputError) as info:
        write(path, record)
    assert str(path) in str(info.value) and "byte" in str(info.value)
    assert path.read_bytes() == data and [p.name for p in tmp_path.iterdir()] == ["a.flac"]


def test_hostile_counts_are_refused(tmp_path: Path) -> None:
    path = make_flac(tmp_path / "a.flac")
    parts, frames_at = blocks(path.read_bytes())
    frames = path.read_bytes()[frames_at:]
    bogus = struct.pack("<I", 3) + b"ven" + struct.pack("<I", 0xFFFFFFF0)
    path.write_bytes(assemble([(t, bogus if t == 4 else b) for t, b in parts], frames))
    with pytest.raises(LimitExceededError, match="comments"):
        read(path)
    path.write_bytes(assemble([parts[0]] + [(1, b"")] * 20_000, frames))
    with pytest.raises(LimitExceededError, match="metadata blocks"):
        read(path)
    path.write_bytes(b"fLaC" + b"\x00\x00\x00\x22" + bytes(34) + b"\x84\xff\xff\xff" + b"short")
    with pytest.raises(InputError, match="runs past the end"):
        read(path)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzz_reader_only_raises_input_errors(tmp_path: Path, data: st.DataObject) -> None:
    seed = tmp_path / "seed.flac"
    if not seed.exists():
        make_flac(seed)
        write(seed, Record.new(PRODUCER, produce_id="fuzz"))
        parts, frames_at = blocks(seed.read_bytes())  # small padding, few frames: mutations hit the metadata
        seed.write_bytes(
            assemble([*parts[:-1], (1, bytes(16))], seed.read_bytes()[frames_at : frames_at + 64])
        )
    damaged = data.draw(mutated(seed.read_bytes()))
    assert_reader_fails_cleanly(tmp_path / "f.flac", damaged, "flac")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzz_writer_labels_or_raises_input_errors(tmp_path: Path, data: st.DataObject) -> None:
    seed = tmp_path / "seed.flac"
    if not seed.exists():
        make_flac(seed)
        write(seed, Record.new(PRODUCER, produce_id="fuzz"))
        parts, frames_at = blocks(seed.read_bytes())
        seed.write_bytes(
            assemble([*parts[:-1], (1, bytes(16))], seed.read_bytes()[frames_at : frames_at + 64])
        )
    assert_writer_labels_or_fails_cleanly(tmp_path / "w.flac", data.draw(mutated(seed.read_bytes())), "flac")


def test_reading_never_touches_the_audio_frames(tmp_path: Path, record: Record) -> None:
    # The frames are replaced by a 1 GiB sparse hole of zeros: only the metadata blocks are read, so this still works.
    path = make_flac(tmp_path / "a.flac")
    write(path, record)
    _, frames_at = blocks(path.read_bytes())
    with open(path, "r+b") as handle:
        handle.truncate(frames_at)
        handle.truncate(1 << 30)
    assert [f.record for f in read(path).labels] == [record]


def test_id3v2_tag_in_front_of_flac_is_kept(tmp_path: Path, record: Record) -> None:
    # Some taggers put an ID3v2 tag before fLaC; it is skipped when reading and copied unchanged when writing.
    path = make_flac(tmp_path / "a.flac")
    body = b"TIT2" + (6).to_bytes(4, "big") + b"\x00\x00" + b"\x00title"
    prefix = b"ID3\x03\x00\x00" + bytes([0, 0, 0, len(body)]) + body
    original = path.read_bytes()
    path.write_bytes(prefix + original)
    md5 = decoded_md5(path)
    write(path, record)
    after = path.read_bytes()
    assert after.startswith(prefix + b"fLaC") and after[-1000:] == original[-1000:]
    assert [f.record for f in read(path).labels] == [record]
    assert decoded_md5(path) == md5


def test_c2pa_manifest_in_leading_id3_tag_warns(tmp_path: Path, record: Record) -> None:
    path = make_flac(tmp_path / "a.flac")
    body = b"\x00application/c2pa\x00c2pa\x00c2pa manifest store\x00" + b"jumbf bytes"
    frame = b"GEOB" + len(body).to_bytes(4, "big") + b"\x00\x00" + body
    prefix = b"ID3\x03\x00\x00" + bytes([0, 0, 0, len(frame)]) + frame
    path.write_bytes(prefix + path.read_bytes())
    assert any(f.rule == "c2pa-binding" for f in read(path).findings)
    assert any(f.rule == "c2pa-binding" for f in write(path, record).warnings)
    assert path.read_bytes().startswith(prefix)
