"""MP3 / ID3v2: ``TXXX:AIGC``; padding used in place, every other frame kept byte for byte, audio untouched.

The tags in the byte-level tests are built here from the ID3v2.3 / 2.4 specifications (syncsafe sizes,
unsynchronisation, extended headers with CRC, footers, compressed and encrypted frames), not with hegui's writer.
Independent oracles: ffprobe, ExifTool and mutagen (GPL, test-only) read what hegui writes; hegui reads what mutagen
and ``ffmpeg -metadata AIGC=... -c copy`` write; ffmpeg decodes the result without errors to the same samples.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import mutagen.id3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hegui.errors import InputError, LimitExceededError, UnsupportedFormatError
from hegui.label import Record, read, write

from .conftest import (
    PRODUCER,
    assert_reader_fails_cleanly,
    assert_writer_labels_or_fails_cleanly,
    exiftool_json,
    mutated,
)
from .media import decode_errors, decoded_md5, ffmpeg, ffprobe_tags


def make_mp3(path: Path, *extra: str) -> Path:
    ffmpeg(
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440:duration=0.5",
        "-ac",
        "1",
        "-c:a",
        "libmp3lame",
        *extra,
        str(path),
    )
    return path


def bare_audio(tmp_path: Path) -> bytes:
    """MPEG audio frames without any tag."""
    return make_mp3(tmp_path / "bare.mp3", "-id3v2_version", "0", "-write_xing", "0").read_bytes()


def exiftool_user_text(path: Path) -> str | None:
    data = exiftool_json(path)
    for key, value in data.items():
        if key.endswith(":UserDefinedText"):
            return str(value)
    return None


# ---- ID3v2 by the book --------------------------------------------------------------------------------------


def ss(n: int, width: int = 4) -> bytes:
    return bytes((n >> (7 * (width - 1 - i))) & 0x7F for i in range(width))


def unsync(data: bytes) -> bytes:
    out = bytearray()
    for i, b in enumerate(data):
        out.append(b)
        if b == 0xFF and (i + 1 == len(data) or data[i + 1] >= 0xE0 or data[i + 1] == 0):
            out.append(0)
    return bytes(out)


def f23(fid: bytes, body: bytes, flags: int = 0) -> bytes:
    return fid + struct.pack(">IH", len(body), flags) + body


def f24(fid: bytes, body: bytes, flags: int = 0) -> bytes:
    return fid + ss(len(body)) + struct.pack(">H", flags) + body


def tag(version: int, body: bytes, flags: int = 0, padding: int = 0) -> bytes:
    return b"ID3" + bytes([version, 0, flags]) + ss(len(body) + padding) + body + bytes(padding)


def tag_total(data: bytes) -> int:
    size = (data[6] << 21) | (data[7] << 14) | (data[8] << 7) | data[9]
    return 10 + size + (10 if data[3] == 4 and data[5] & 0x10 else 0)


def txxx_latin1(desc: str, value: str) -> bytes:
    return b"\x00" + desc.encode("latin-1") + b"\x00" + value.encode("latin-1")


# ---- tests ----------------------------------------------------------------------------------------------------


def test_ffmpeg_v24_tag_roundtrip_and_oracles(tmp_path: Path, record: Record) -> None:
    path = make_mp3(tmp_path / "a.mp3", "-metadata", "title=tone", "-metadata", "artist=Ünïcode")
    before = path.read_bytes()
    md5 = decoded_md5(path)
    result = write(path, record)
    assert result.replaced is None and result.warnings == []
    after = path.read_bytes()
    assert after[3] == 4 and after[tag_total(after) :] == before[tag_total(before) :]
    scan = read(path)
    assert scan.valid and [f.record for f in scan.labels] == [record]
    assert scan.labels[0].location == "ID3v2.4 TXXX:AIGC"
    assert decoded_md5(path) == md5 and decode_errors(path) == ""
    tags = mutagen.id3.ID3(path)
    assert tags["TIT2"].text == ["tone"] and tags["TPE1"].text == ["Ünïcode"]
    assert tags["TXXX:AIGC"].text == [record.to_json()] and tags["TXXX:AIGC"].encoding == 3
    assert ffprobe_tags(path)["AIGC"] == record.to_json()
    assert exiftool_user_text(path) == f"(AIGC) {record.to_json()}"


def test_v23_tag_gets_a_latin1_frame(tmp_path: Path, record: Record) -> None:
    path = make_mp3(tmp_path / "a.mp3", "-id3v2_version", "3", "-metadata", "title=tone")
    write(path, record)
    tags = mutagen.id3.ID3(path)
    assert tags.version == (2, 3, 0) and tags["TIT2"].text == ["tone"]
    assert tags["TXXX:AIGC"].text == [record.to_json()] and tags["TXXX:AIGC"].encoding == 0
    assert ffprobe_tags(path)["AIGC"] == record.to_json()
    assert exiftool_user_text(path) == f"(AIGC) {record.to_json()}"


def test_padding_is_used_so_only_the_tag_region_changes(tmp_path: Path, record: Record) -> None:
    path = make_mp3(tmp_path / "a.mp3")
    tags = mutagen.id3.ID3(path)
    tags.add(mutagen.id3.TIT2(encoding=3, text="padded"))
    tags.save(path, padding=lambda info: 2048)
    before = path.read_bytes()
    total = tag_total(before)
    write(path, record)
    after = path.read_bytes()
    assert len(after) == len(before) and tag_total(after) == total
    assert after[total:] == before[total:]
    assert mutagen.id3.ID3(path)["TIT2"].text == ["padded"]


def test_no_tag_gets_a_v24_tag_and_trailing_tags_are_kept(tmp_path: Path, record: Record) -> None:
    audio = bare_audio(tmp_path)
    ape_items = struct.pack("<II", 5, 0) + b"Title\x00hello"
    ape_footer = b"APETAGEX" + struct.pack("<IIII", 2000, len(ape_items) + 32, 1, 0) + bytes(8)
    id3v1 = b"TAG" + b"v1 title".ljust(30, b"\x00") + bytes(30 + 30 + 4 + 30) + b"\xff"
    tail = ape_items + ape_footer + id3v1
    path = tmp_path / "a.mp3"
    path.write_bytes(audio + tail)
    md5 = decoded_md5(path)
    assert read(path).labels == []
    write(path, record)
    after = path.read_bytes()
    assert after[:4] == b"ID3\x04" and after[tag_total(after) :] == audio + tail
    assert mutagen.id3.ID3(path)["TXXX:AIGC"].text == [record.to_json()]
    assert ffprobe_tags(path)["AIGC"] == record.to_json()
    assert decoded_md5(path) == md5


def test_hegui_reads_what_mutagen_and_ffmpeg_write(tmp_path: Path, record: Record) -> None:
    path = make_mp3(tmp_path / "a.mp3")
    tags = mutagen.id3.ID3(path)
    tags.add(mutagen.id3.TXXX(encoding=1, desc="AIGC", text=[record.to_json()]))  # UTF-16 with BOM
    tags.save(path, v2_version=3)
    found = read(path).labels
    assert [f.record for f in found] == [record] and found[0].location == "ID3v2.3 TXXX:AIGC"
    copied = tmp_path / "b.mp3"
    ffmpeg(
        "-i",
        str(make_mp3(tmp_path / "c.mp3")),
        "-metadata",
        f"AIGC={record.to_json()}",
        "-c",
        "copy",
        str(copied),
    )
    assert [f.record for f in read(copied).labels] == [record]


def test_v23_unsynchronised_tag_with_crc_and_compressed_label(tmp_path: Path, record: Record) -> None:
    audio = bare_audio(tmp_path)
    title = b"\x00" + "ÿàÿ title".encode("latin-1")  # 0xFF bytes that unsynchronisation must escape
    old = Record.new(PRODUCER, produce_id="old-compressed")
    compressed_body = txxx_latin1("AIGC", old.to_json())
    compressed = f23(
        b"TXXX", struct.pack(">I", len(compressed_body)) + zlib.compress(compressed_body), 0x0080
    )
    frames = f23(b"TIT2", title) + compressed + f23(b"TPE1", b"\x00artist")
    ext = struct.pack(">IHII", 10, 0x8000, 600, zlib.crc32(frames))
    body = unsync(ext + frames + bytes(600))
    path = tmp_path / "a.mp3"
    path.write_bytes(tag(3, body, flags=0x80 | 0x40) + audio)
    assert mutagen.id3.ID3(path)["TIT2"].text == ["ÿàÿ title"]  # the oracle agrees the input is well formed
    found = read(path).labels
    assert [f.record for f in found] == [old]
    before = path.read_bytes()
    write(path, record)
    after = path.read_bytes()
    assert len(after) == len(before) and after[tag_total(after) :] == audio
    assert after[5] == 0x40  # written without unsynchronisation; the extended header stays
    ext_size, ext_flags, padding, crc = struct.unpack(">IHII", after[10:24])
    assert (ext_size, ext_flags) == (10, 0x8000)
    frames_after = after[24 : tag_total(after) - padding]
    assert crc == zlib.crc32(frames_after) and not after[tag_total(after) - padding : tag_total(after)].strip(
        b"\x00"
    )
    assert f23(b"TIT2", title) in frames_after and f23(b"TPE1", b"\x00artist") in frames_after
    tags = mutagen.id3.ID3(path)
    assert tags["TIT2"].text == ["ÿàÿ title"] and tags["TPE1"].text == ["artist"]
    assert tags.getall("TXXX") == [tags["TXXX:AIGC"]] and tags["TXXX:AIGC"].text == [record.to_json()]


def test_v24_footer_extended_crc_frame_unsync_and_encrypted_frame(tmp_path: Path, record: Record) -> None:
    audio = bare_audio(tmp_path)
    raw_title = b"\x00" + "ÿàÿ".encode("latin-1")
    title = f24(b"TIT2", ss(len(raw_title)) + unsync(raw_title), 0x0002 | 0x0001)  # unsync + data length
    encrypted = f24(b"PRIV", b"\x80" + b"opaque encrypted bytes \xff\x00", 0x0004)
    old = Record.new(PRODUCER, produce_id="old-utf16be")
    label = f24(
        b"TXXX", b"\x02" + "AIGC".encode("utf-16-be") + b"\x00\x00" + old.to_json().encode("utf-16-be")
    )
    frames = title + encrypted + label
    ext = ss(12) + b"\x01\x20" + b"\x05" + ss(zlib.crc32(frames) & 0xFFFFFFFF, 5)
    body = ext + frames
    header = b"ID3\x04\x00\x50" + ss(len(body))
    path = tmp_path / "a.mp3"
    path.write_bytes(header + body + b"3DI\x04\x00\x50" + ss(len(body)) + audio)
    assert mutagen.id3.ID3(path)["TIT2"].text == ["ÿàÿ"]
    found = read(path).labels
    assert [f.record for f in found] == [old] and found[0].location == "ID3v2.4 TXXX:AIGC"
    write(path, record)
    after = path.read_bytes()
    total = tag_total(after)
    assert after[total:] == audio and after[5] == 0x50
    assert after[total - 10 : total - 7] == b"3DI" and after[total - 7 : total] == after[3:10]
    assert title in after[:total] and encrypted in after[:total]  # kept byte for byte
    frames_after = after[22 : total - 10]
    assert after[17:22] == ss(
        zlib.crc32(frames_after) & 0xFFFFFFFF, 5
    )  # CRC recomputed (no padding with a footer)
    tags = mutagen.id3.ID3(path)
    assert tags["TIT2"].text == ["ÿàÿ"] and tags["TXXX:AIGC"].text == [record.to_json()]
    assert decode_errors(path) == ""


def test_itunes_style_plain_frame_sizes_in_v24(tmp_path: Path, record: Record) -> None:
    # iTunes wrote ID3v2.4 frame sizes as plain 32-bit numbers; a 200-byte frame then has a non-syncsafe size.
    audio = bare_audio(tmp_path)
    value = record.to_json().ljust(196, " ")
    body = b"\x03AIGC\x00" + value.encode()
    body = body[:200]
    frame = b"TXXX" + struct.pack(">IH", len(body), 0) + body
    frames = frame + f24(b"TIT2", b"\x03after")
    path = tmp_path / "a.mp3"
    path.write_bytes(tag(4, frames, padding=64) + audio)
    assert len(body) >= 128
    found = read(path).labels
    assert len(found) == 1 and found[0].raw.rstrip() == record.to_json()


def test_comm_wrapped_label_is_read_and_replaced(
    tmp_path: Path, record: Record, other_record: Record
) -> None:
    audio = bare_audio(tmp_path)
    comm = f23(b"COMM", b"\x00eng" + b"\x00" + record.to_wrapped_json().encode())
    path = tmp_path / "a.mp3"
    path.write_bytes(tag(3, comm + f23(b"TIT2", b"\x00kept"), padding=100) + audio)
    found = read(path).labels
    assert [f.form for f in found] == ["wrapped-json"] and found[0].record == record
    result = write(path, other_record)
    assert result.replaced == record
    assert [f.record for f in read(path).labels] == [other_record]
    write(path, other_record)
    tags = mutagen.id3.ID3(path)
    assert tags.getall("COMM") == [] and len(tags.getall("TXXX")) == 1 and tags["TIT2"].text == ["kept"]


def test_id3v22_is_read_and_refused_for_writing(tmp_path: Path, record: Record) -> None:
    audio = bare_audio(tmp_path)
    txx = b"\x00AIGC\x00" + record.to_json().encode()
    frames = b"TT2" + (6).to_bytes(3, "big") + b"\x00title" + b"TXX" + len(txx).to_bytes(3, "big") + txx
    path = tmp_path / "a.mp3"
    path.write_bytes(tag(2, frames, padding=20) + audio)
    found = read(path).labels
    assert [f.record for f in found] == [record] and found[0].location == "ID3v2.2 TXX:AIGC"
    before = path.read_bytes()
    with pytest.raises(UnsupportedFormatError, match=r"ID3v2\.2"):
        write(path, record)
    assert path.read_bytes() == before


def test_junk_inside_the_tag_is_read_but_not_rewritten(tmp_path: Path, record: Record) -> None:
    audio = bare_audio(tmp_path)
    path = tmp_path / "a.mp3"
    path.write_bytes(tag(3, f23(b"TIT2", b"\x00t") + b"\x01junk that is not a frame" + bytes(20)) + audio)
    assert read(path).labels == []
    before = path.read_bytes()
    with pytest.raises(InputError, match="neither frames nor zero padding"):
        write(path, record)
    assert path.read_bytes() == before


def test_hostile_input(tmp_path: Path) -> None:
    path = tmp_path / "a.mp3"
    path.write_bytes(b"ID3\x04\x00\x00\x00\x00\x7f\x7f" + bytes(100))
    with pytest.raises(InputError, match="runs past the end"):
        read(path)
    path.write_bytes(b"ID3\x04\x00\x00\x7f\x7f\x7f\x7f" + bytes(100))
    with pytest.raises(LimitExceededError, match="over the"):
        read(path)
    path.write_bytes(b"ID3\x03\x00\x00\x00\x00\x80\x00" + bytes(200))
    with pytest.raises(InputError, match="syncsafe"):
        read(path)
    bomb_body = zlib.compress(b"\x00AIGC\x00" + b"A" * (64 * 1024 * 1024), 9)
    bomb = f23(b"TXXX", struct.pack(">I", 64 * 1024 * 1024) + bomb_body, 0x0080)
    path.write_bytes(tag(3, bomb) + bare_audio(tmp_path))
    with pytest.raises(LimitExceededError, match="inflates beyond"):
        read(path)
    path.write_bytes(b"not an mp3 at all")
    with pytest.raises(InputError, match="not an MP3"):
        read(path, container="mp3")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzz_reader_only_raises_input_errors(tmp_path: Path, data: st.DataObject) -> None:
    seed = tmp_path / "seed.mp3"
    if not seed.exists():
        frames = f24(b"TIT2", b"\x03t") + f24(
            b"TXXX", b"\x03AIGC\x00" + Record.new(PRODUCER, produce_id="fuzz").to_json().encode()
        )
        seed.write_bytes(tag(4, frames, padding=16) + bare_audio(tmp_path)[:64])
    damaged = data.draw(mutated(seed.read_bytes()))
    assert_reader_fails_cleanly(tmp_path / "f.mp3", damaged, "mp3")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzz_writer_labels_or_raises_input_errors(tmp_path: Path, data: st.DataObject) -> None:
    seed = tmp_path / "seed.mp3"
    if not seed.exists():
        frames = f23(b"TIT2", b"\x00t") + f23(b"TXXX", txxx_latin1("AIGC", "{}"))
        seed.write_bytes(tag(3, frames, padding=16) + bare_audio(tmp_path)[:64])
    assert_writer_labels_or_fails_cleanly(tmp_path / "w.mp3", data.draw(mutated(seed.read_bytes())), "mp3")


def test_reading_never_touches_the_audio_frames(tmp_path: Path, record: Record) -> None:
    # The audio becomes a 1 GiB sparse hole of zeros: only the tag at the start is read.
    path = make_mp3(tmp_path / "a.mp3")
    write(path, record)
    with open(path, "r+b") as handle:
        handle.truncate(tag_total(path.read_bytes()))
        handle.truncate(1 << 30)
    assert [f.record for f in read(path).labels] == [record]


def test_c2pa_manifest_in_geob_frame_warns(tmp_path: Path, record: Record) -> None:
    # C2PA embeds its manifest store in an ID3 GEOB frame of MIME type application/c2pa.
    geob = f23(b"GEOB", b"\x00application/c2pa\x00c2pa\x00c2pa manifest store\x00" + b"jumbf bytes")
    path = tmp_path / "a.mp3"
    path.write_bytes(tag(3, geob, padding=300) + bare_audio(tmp_path))
    assert any(f.rule == "c2pa-binding" for f in read(path).findings)
    result = write(path, record)
    assert any(f.rule == "c2pa-binding" for f in result.warnings)
    assert geob in path.read_bytes()[:400]  # kept: hegui never removes another party's provenance data


def test_v24_tag_level_unsynchronisation_flag_is_kept_consistent(tmp_path: Path, record: Record) -> None:
    # ID3v2.4: the tag-level flag says every frame is unsynchronised; frames are kept as stored, the new one needs
    # no escaping (UTF-8 JSON never holds 0xFF), so readers decode all of them right.
    raw_title = b"\x00" + "ÿàÿ".encode("latin-1")
    title = f24(b"TIT2", unsync(raw_title), 0x0002)
    path = tmp_path / "a.mp3"
    path.write_bytes(tag(4, title, flags=0x80, padding=400) + bare_audio(tmp_path))
    assert mutagen.id3.ID3(path)["TIT2"].text == ["ÿàÿ"]
    write(path, record)
    tags = mutagen.id3.ID3(path)
    assert tags["TIT2"].text == ["ÿàÿ"] and tags["TXXX:AIGC"].text == [record.to_json()]
    assert path.read_bytes()[5] == 0x80 and title in path.read_bytes()[:500]


def test_v23_frame_falls_back_to_utf16_for_text_latin1_cannot_hold(tmp_path: Path) -> None:
    from hegui.label.containers.id3 import build_tag, parse_tag

    old = parse_tag(tag(3, f23(b"TIT2", b"\x00t"), padding=200))
    path = tmp_path / "a.mp3"
    path.write_bytes(build_tag(old, '{"Label":"1","ContentProducer":"生成"}') + bare_audio(tmp_path))
    frame = mutagen.id3.ID3(path)["TXXX:AIGC"]
    assert frame.encoding == 1 and frame.text == ['{"Label":"1","ContentProducer":"生成"}']
