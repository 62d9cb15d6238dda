"""WAV and AVI: write, read back, interop with ffmpeg / ffprobe / mutagen, media byte-identical, OpenDML and RF64
offsets, hostile input."""

from __future__ import annotations

import struct
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hegui.errors import InputError, LimitExceededError
from hegui.label import Record, read, write
from hegui.label.containers import detect
from hegui.label.containers.riff import AviContainer, WavContainer

from .conftest import (
    PRODUCER,
    assert_reader_fails_cleanly,
    assert_writer_labels_or_fails_cleanly,
    exiftool_json,
    mutated,
)
from .media import decode_errors, ffmpeg, ffprobe_tags

GTKIT = '{"Label":"1","ContentProducer":"gtkit","ProduceID":"gt-0001"}'


def framemd5(path: Path) -> list[str]:
    out = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-f", "framemd5", "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    lines = [line for line in out.splitlines() if line and not line.startswith("#")]
    assert lines
    return lines


def packet_md5(path: Path) -> list[str]:
    """Hashes of the compressed packets (stream copy, no decoding): the media data bytes themselves."""
    out = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-map", "0", "-c", "copy", "-f", "framemd5", "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [line for line in out.splitlines() if line and not line.startswith("#")]


def chunks(data: bytes, start: int = 12, end: int | None = None) -> list[tuple[int, bytes, int]]:
    """(offset, id, size) of the chunks in data[start:end] (independent of hegui's walker)."""
    out = []
    pos, end = start, len(data) if end is None else end
    while pos + 8 <= end:
        cid, size = struct.unpack_from("<4sI", data, pos)
        out.append((pos, cid, size))
        pos += 8 + size + (size & 1)
    return out


def chunk_data(data: bytes, cid: bytes, form: bytes | None = None) -> bytes:
    for pos, c, size in chunks(data):
        if c == cid and (form is None or data[pos + 8 : pos + 12] == form):
            return data[pos + 8 : pos + 8 + size]
    raise AssertionError(f"no {cid!r} chunk")


def make_wav(path: Path, *extra: str) -> Path:
    ffmpeg(
        "-f", "lavfi", "-i", "sine=frequency=440:duration=0.3", "-metadata", "title=Song", *extra, str(path)
    )
    return path


def make_avi(path: Path, *extra: str) -> Path:
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:duration=1", "-f", "lavfi", "-i",
           "sine=duration=1", "-c:v", "mpeg4", "-c:a", "pcm_s16le", *extra, str(path))  # fmt: skip
    return path


def riff(form: bytes, body: bytes, magic: bytes = b"RIFF") -> bytes:
    return magic + struct.pack("<I", len(body) + 4) + form + body


def chunk(cid: bytes, data: bytes) -> bytes:
    return cid + struct.pack("<I", len(data)) + data + b"\x00" * (len(data) & 1)


# ---- WAV -------------------------------------------------------------------------------------------------------


def test_wav_write_keeps_audio_and_other_chunks(tmp_path: Path, record: Record) -> None:
    path = make_wav(tmp_path / "a.wav", "-write_bext", "1")
    before = path.read_bytes()
    md5 = framemd5(path)
    result = write(path, record)
    assert result.warnings == []
    data = path.read_bytes()
    assert struct.unpack_from("<I", data, 4)[0] == len(data) - 8
    assert chunk_data(data, b"data") == chunk_data(before, b"data")
    assert chunk_data(data, b"bext") == chunk_data(before, b"bext")
    assert chunk_data(data, b"LIST", b"INFO") == chunk_data(before, b"LIST", b"INFO")
    label = chunk_data(data, b"AIGC")
    assert label.rstrip(b"\x00").decode() == record.to_json()  # bare JSON, even padding
    assert all(size % 2 == 0 or data[pos + 8 + size] == 0 for pos, _, size in chunks(data))
    scan = read(path)
    assert scan.valid and [f.record for f in scan.labels] == [record]
    assert scan.labels[0].location == "RIFF AIGC chunk" and scan.labels[0].form == "bare-json"
    assert framemd5(path) == md5 and decode_errors(path) == ""
    assert ffprobe_tags(path).get("title") == "Song"  # ffprobe does not report unknown top-level chunks
    assert exiftool_json(path, "-b")["RIFF:Unknown_AIGC"] == record.to_json()  # ExifTool: as an unknown chunk


def test_wav_rewrite_replaces(tmp_path: Path, record: Record, other_record: Record) -> None:
    path = make_wav(tmp_path / "a.wav")
    write(path, record)
    result = write(path, other_record)
    assert result.replaced == record
    assert [f.record for f in read(path).labels] == [other_record]
    assert path.read_bytes().count(b"AIGC") == 1


def test_gtkit_pattern_two_copies_become_one(tmp_path: Path, record: Record) -> None:
    # Built byte by byte: a top-level AIGC chunk and a LIST/INFO/AIGC copy (gtkit writes both, reference §2.7).
    path = make_wav(tmp_path / "a.wav", "-fflags", "+bitexact")
    data = path.read_bytes()
    info = chunk(b"LIST", b"INFO" + chunk(b"INAM", b"Song\x00") + chunk(b"AIGC", GTKIT.encode() + b"\x00"))
    body = data[12:] + chunk(b"AIGC", GTKIT.encode()) + info
    path.write_bytes(riff(b"WAVE", body))
    assert ffprobe_tags(path).get("AIGC") == GTKIT  # ffprobe reports the INFO copy
    scan = read(path)
    assert [f.location for f in scan.labels] == ["RIFF AIGC chunk", "LIST/INFO AIGC"]
    assert scan.labels[0].record is not None and scan.labels[0].record.ContentProducer == "gtkit"
    write(path, record, replace_foreign=True)
    scan = read(path)
    assert [f.record for f in scan.labels] == [record] and scan.findings == []
    out = path.read_bytes()
    assert b"gtkit" not in out
    assert ffprobe_tags(path).get("title") == "Song" and "AIGC" not in ffprobe_tags(path)
    assert decode_errors(path) == ""


def test_wav_id3_chunk_written_by_mutagen_is_read_and_replaced(tmp_path: Path, record: Record) -> None:
    from mutagen.id3 import TIT2, TXXX  # GPL: test oracle only
    from mutagen.wave import WAVE

    path = make_wav(tmp_path / "a.wav")
    md5 = framemd5(path)
    audio = WAVE(path)
    audio.add_tags()
    assert audio.tags is not None
    audio.tags.add(TIT2(encoding=3, text=["Title kept"]))
    audio.tags.add(TXXX(encoding=1, desc="AIGC", text=[GTKIT]))  # UTF-16 with BOM
    audio.save()
    scan = read(path)
    assert [f.location for f in scan.labels] == ["id3 chunk TXXX:AIGC"]
    assert scan.labels[0].raw == GTKIT
    write(path, record, replace_foreign=True)
    assert [f.record for f in read(path).labels] == [record]
    tags = WAVE(path).tags
    assert tags is not None and str(tags["TIT2"]) == "Title kept" and not tags.getall("TXXX:AIGC")
    assert framemd5(path) == md5


@pytest.mark.parametrize("version", [3, 4])
def test_wav_id3_chunk_built_by_hand(tmp_path: Path, version: int) -> None:
    value = GTKIT.encode()
    body = b"\x03AIGC\x00" + value
    size = (
        struct.pack(">I", len(body))
        if version == 3
        else bytes((len(body) >> (7 * i)) & 0x7F for i in (3, 2, 1, 0))
    )
    frame = b"TXXX" + size + b"\x00\x00" + body
    tag = (
        b"ID3" + bytes([version, 0, 0]) + bytes((len(frame) >> (7 * i)) & 0x7F for i in (3, 2, 1, 0)) + frame
    )
    path = make_wav(tmp_path / "a.wav")
    data = path.read_bytes()
    path.write_bytes(riff(b"WAVE", data[12:] + chunk(b"id3 ", tag)))
    assert [f.raw for f in read(path).labels] == [GTKIT]


@pytest.mark.parametrize("last", [b"note", b"AIGC"])
def test_wav_last_chunk_without_pad_byte(tmp_path: Path, record: Record, last: bytes) -> None:
    # Built byte by byte: an odd-sized last chunk whose pad byte is missing (a common writer bug).
    path = make_wav(tmp_path / "a.wav")
    data = path.read_bytes()
    odd = last + struct.pack("<I", 3) + b"abc"
    path.write_bytes(riff(b"WAVE", data[12:] + odd))
    md5 = framemd5(path)
    write(path, record, replace_foreign=True)
    out = path.read_bytes()
    assert [f.record for f in read(path).labels] == [record]
    assert struct.unpack_from("<I", out, 4)[0] == len(out) - 8
    assert chunks(out)[-1][1] == b"AIGC" and (b"note" in out) == (last == b"note")
    assert framemd5(path) == md5 and decode_errors(path) == ""


def test_rf64_read_and_write(tmp_path: Path, record: Record) -> None:
    path = make_wav(tmp_path / "a.wav", "-rf64", "always")
    before = path.read_bytes()
    assert before[:4] == b"RF64"
    md5 = framemd5(path)
    write(path, record)
    data = path.read_bytes()
    assert data[:4] == b"RF64" and struct.unpack_from("<I", data, 4)[0] == 0xFFFFFFFF
    ds64 = chunk_data(data, b"ds64")
    assert struct.unpack_from("<Q", ds64, 0)[0] == len(data) - 8
    assert struct.unpack_from("<Q", ds64, 8)[0] == struct.unpack_from("<Q", chunk_data(before, b"ds64"), 8)[0]
    assert [f.record for f in read(path).labels] == [record]
    assert framemd5(path) == md5 and decode_errors(path) == ""


def test_rf64_over_4_gib_is_read_without_reading_the_audio(tmp_path: Path, record: Record) -> None:
    # A sparse 5 GiB RF64 file, crafted: ds64 holds the 64-bit sizes, the data chunk says 0xFFFFFFFF.
    data_size = 5 * 1024**3
    fmt = chunk(b"fmt ", struct.pack("<HHIIHH", 1, 1, 44100, 88200, 2, 16))
    label = chunk(b"AIGC", record.to_json().encode())
    head_len = 12 + 36 + len(fmt) + 8
    total = head_len + data_size + len(label)
    ds64 = chunk(b"ds64", struct.pack("<QQQI", total - 8, data_size, data_size // 2, 0))
    head = b"RF64" + b"\xff\xff\xff\xff" + b"WAVE" + ds64 + fmt + b"data\xff\xff\xff\xff"
    path = tmp_path / "big.wav"
    with path.open("wb") as handle:
        handle.write(head)
        handle.seek(head_len + data_size)
        handle.write(label)
    assert [f.record for f in read(path).labels] == [record]


def test_riff_wav_growing_past_4_gib_is_refused(tmp_path: Path, record: Record) -> None:
    data_size = 0xFFFFFFFF - 100
    fmt = chunk(b"fmt ", struct.pack("<HHIIHH", 1, 1, 44100, 88200, 2, 16))
    head = b"WAVE" + fmt + b"data" + struct.pack("<I", data_size)
    path = tmp_path / "big.wav"
    with path.open("wb") as handle:
        handle.write(b"RIFF" + struct.pack("<I", len(head) + data_size + 1) + head)
        handle.seek(8 + len(head) + data_size)
        handle.write(b"\x00")
    with pytest.raises(LimitExceededError, match="RF64"):
        write(path, record)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.wav"]


def test_c2pa_manifest_is_warned_about(tmp_path: Path, record: Record) -> None:
    path = make_wav(tmp_path / "a.wav")
    data = path.read_bytes()
    path.write_bytes(riff(b"WAVE", data[12:] + chunk(b"C2PA", b"\x00" * 32)))
    assert any(f.rule == "c2pa-binding" for f in read(path).findings)
    assert any(f.rule == "c2pa-binding" for f in write(path, record).warnings)
    assert chunk_data(path.read_bytes(), b"C2PA") == b"\x00" * 32


def test_webp_is_not_claimed(tmp_path: Path) -> None:
    head = riff(b"WEBP", chunk(b"VP8L", b"\x2f" + b"\x00" * 8))
    assert not WavContainer().sniff(head, "a.webp") and not AviContainer().sniff(head, "a.webp")


def test_hostile_wav(tmp_path: Path) -> None:
    path = tmp_path / "bad.wav"
    path.write_bytes(riff(b"WAVE", b"AIGC" + struct.pack("<I", 0x7FFFFFF0) + b"{}"))
    with pytest.raises(InputError, match="runs past the end"):
        read(path)
    path.write_bytes(riff(b"WAVE", chunk(b"id3 ", b"ID3\x03\x00\x00\x7f\x7f\x7f\x7f")))
    read(path)  # a damaged frame area ends the ID3 walk; no label, no crash
    path.write_bytes(riff(b"WAVE", chunk(b"id3 ", b"NOTID3")))
    with pytest.raises(InputError, match="ID3v2"):
        read(path)
    path.write_bytes(riff(b"WAVE", b"".join(chunk(b"JUNK", b"") for _ in range(200_001))))
    with pytest.raises(LimitExceededError):
        read(path)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzz_wav_reader(tmp_path: Path, data: st.DataObject) -> None:
    seed = tmp_path / "seed.wav"
    if not seed.exists():
        ffmpeg("-f", "lavfi", "-i", "sine=duration=0.01", "-metadata", "title=x", str(seed))
        body = seed.read_bytes()[12:] + chunk(
            b"id3 ", b"ID3\x03\x00\x00\x00\x00\x00\x11TXXX\x00\x00\x00\x07\x00\x00\x00AIGC\x00{}"
        )
        seed.write_bytes(riff(b"WAVE", body))
        write(seed, Record.new(PRODUCER, produce_id="fuzz"), replace_foreign=True)
    damaged = data.draw(mutated(seed.read_bytes()))
    assert_reader_fails_cleanly(tmp_path / "f.wav", damaged, "wav")


# ---- AVI -------------------------------------------------------------------------------------------------------


def movi_of(data: bytes) -> tuple[int, bytes]:
    for pos, cid, size in chunks(data):
        if cid == b"LIST" and data[pos + 8 : pos + 12] == b"movi":
            return pos, data[pos : pos + 8 + size]
    raise AssertionError("no movi")


def test_avi_label_goes_into_the_junk_room(tmp_path: Path, record: Record, other_record: Record) -> None:
    path = make_avi(tmp_path / "a.avi")
    before = path.read_bytes()
    md5, packets = framemd5(path), packet_md5(path)
    write(path, record)
    assert packet_md5(path) == packets
    data = path.read_bytes()
    assert len(data) == len(before)  # absorbed by the JUNK chunk ffmpeg leaves before movi
    assert movi_of(data) == movi_of(before) and chunk_data(data, b"idx1") == chunk_data(before, b"idx1")
    assert chunk_data(data, b"LIST", b"hdrl") == chunk_data(before, b"LIST", b"hdrl")
    tags = ffprobe_tags(path)
    assert tags["AIGC"] == record.to_json() and tags["software"].startswith("Lavf")  # ISFT kept
    assert exiftool_json(path, "-b")["RIFF:Unknown_AIGC"].rstrip("\x00") == record.to_json()
    assert framemd5(path) == md5 and decode_errors(path) == ""
    write(path, other_record)
    assert [f.record for f in read(path).labels] == [other_record]
    assert ffprobe_tags(path)["AIGC"] == other_record.to_json()


def test_avi_without_info_uses_the_junk_before_movi(tmp_path: Path, record: Record) -> None:
    path = make_avi(tmp_path / "a.avi", "-fflags", "+bitexact")  # no INFO list, only JUNK before movi
    before = path.read_bytes()
    assert b"INFO" not in before
    write(path, record)
    data = path.read_bytes()
    assert len(data) == len(before) and movi_of(data) == movi_of(before)
    assert ffprobe_tags(path)["AIGC"] == record.to_json() and decode_errors(path) == ""


def test_avi_junk_before_the_info_list_is_used(tmp_path: Path, record: Record) -> None:
    # Built byte by byte: [hdrl][JUNK][LIST INFO][movi], the JUNK before the INFO list (other muxers' order).
    data = make_avi(tmp_path / "src.avi").read_bytes()
    parts = [(pos, cid, data[pos : pos + 8 + size + (size & 1)]) for pos, cid, size in chunks(data)]
    info = next(p for p in parts if p[1] == b"LIST" and p[2][8:12] == b"INFO")
    junk_chunk = next(p for p in parts if p[1] == b"JUNK")
    order = [p for p in parts if p not in (info, junk_chunk)]
    order.insert(1, info)
    order.insert(1, junk_chunk)
    path = tmp_path / "a.avi"
    path.write_bytes(riff(b"AVI ", b"".join(p[2] for p in order)))
    before = path.read_bytes()
    assert movi_of(before)[0] == movi_of(data)[0]
    write(path, record)
    out = path.read_bytes()
    assert len(out) == len(before) and movi_of(out) == movi_of(before)
    assert ffprobe_tags(path)["AIGC"] == record.to_json() and decode_errors(path) == ""


def strip_room(data: bytes) -> bytes:
    """An AVI without INFO and JUNK before movi (so a label cannot be written without shifting bytes)."""
    body = b"".join(
        data[pos : pos + 8 + size + (size & 1)]
        for pos, cid, size in chunks(data)
        if cid != b"JUNK" and not (cid == b"LIST" and data[pos + 8 : pos + 12] == b"INFO")
    )
    return riff(b"AVI ", body)


@pytest.mark.parametrize("absolute_idx1", [False, True])
def test_avi_without_room_shifts_and_fixes_idx1(tmp_path: Path, record: Record, absolute_idx1: bool) -> None:
    data = strip_room(make_avi(tmp_path / "src.avi").read_bytes())
    movi_pos, _ = movi_of(data)
    if absolute_idx1:  # old muxers store file offsets in idx1
        out = bytearray(data)
        idx = next(pos for pos, cid, _ in chunks(data) if cid == b"idx1")
        for entry in range(idx + 8, idx + 8 + struct.unpack_from("<I", data, idx + 4)[0], 16):
            struct.pack_into(
                "<I", out, entry + 8, struct.unpack_from("<I", data, entry + 8)[0] + movi_pos + 8
            )
        data = bytes(out)
    path = tmp_path / "a.avi"
    path.write_bytes(data)
    md5 = framemd5(path)
    write(path, record)
    new = path.read_bytes()
    assert struct.unpack_from("<I", new, 4)[0] == len(new) - 8
    new_movi, movi = movi_of(new)
    assert new_movi > movi_pos and movi == movi_of(data)[1]
    idx1 = chunk_data(new, b"idx1")
    base = 0 if absolute_idx1 else new_movi + 8
    for entry in range(0, len(idx1), 16):
        ckid, _, offset, _size = struct.unpack_from("<4sIII", idx1, entry)
        assert new[base + offset : base + offset + 4] == ckid
    assert ffprobe_tags(path)["AIGC"] == record.to_json()
    assert framemd5(path) == md5 and decode_errors(path) == ""


def opendml(data: bytes) -> bytes:
    """Turn the video stream's reserved index JUNK (ffmpeg leaves 4120 bytes in strl) into an OpenDML super index
    pointing at an ``ix00`` standard index with absolute base offset, appended to the RIFF (built by hand)."""
    movi_pos, _ = movi_of(data)
    idx1 = chunk_data(data, b"idx1")
    entries = [struct.unpack_from("<4sIII", idx1, i) for i in range(0, len(idx1), 16)]
    video = [(off, size, flags) for ckid, flags, off, size in entries if ckid == b"00dc"]
    base = movi_pos + 8
    ix = struct.pack("<HBBI4sQI", 2, 0, 1, len(video), b"00dc", base, 0)
    ix += b"".join(
        struct.pack("<II", off + 8, size | (0 if flags & 0x10 else 0x80000000)) for off, size, flags in video
    )
    ix_chunk = chunk(b"ix00", ix)
    ix_pos = len(data)
    indx = struct.pack("<HBBI4s12s", 4, 0, 0, 1, b"00dc", b"") + struct.pack(
        "<QII", ix_pos, len(ix_chunk), len(video)
    )
    indx += b"\x00" * (4120 - len(indx))
    junk_pos = data.index(b"JUNK\x18\x10\x00\x00")
    out = data[:junk_pos] + b"indx" + data[junk_pos + 4 :] + ix_chunk
    out = out[: junk_pos + 8] + indx + out[junk_pos + 8 + 4120 :]
    return riff(b"AVI ", out[12:])


def check_opendml(data: bytes) -> None:
    pos = data.index(b"indx")
    (qw,) = struct.unpack_from("<Q", data, pos + 8 + 24)
    assert data[qw : qw + 4] == b"ix00"
    count, _, base = struct.unpack_from("<I4sQ", data, qw + 8 + 4)
    for i in range(count):
        off, size = struct.unpack_from("<II", data, qw + 8 + 24 + 8 * i)
        assert data[base + off - 8 : base + off - 4] == b"00dc"
        assert struct.unpack_from("<I", data, base + off - 4)[0] == size & 0x7FFFFFFF


@pytest.mark.parametrize("room", [True, False])
def test_avi_opendml_absolute_offsets_stay_valid(tmp_path: Path, record: Record, room: bool) -> None:
    data = make_avi(tmp_path / "src.avi").read_bytes()
    data = opendml(data if room else strip_room(data))
    check_opendml(data)
    path = tmp_path / "a.avi"
    path.write_bytes(data)
    assert decode_errors(path) == ""
    md5, packets = framemd5(path), packet_md5(path)
    write(path, record)
    assert packet_md5(path) == packets
    new = path.read_bytes()
    check_opendml(new)
    if room:
        assert movi_of(new) == movi_of(data)
    else:
        assert movi_of(new)[0] > movi_of(data)[0]
    assert ffprobe_tags(path)["AIGC"] == record.to_json()
    assert framemd5(path) == md5 and decode_errors(path) == ""


def test_avi_info_written_by_other_code_is_read(tmp_path: Path, record: Record) -> None:
    # Built byte by byte: what the TC260 video guide's patched ffmpeg writes (LIST/INFO sub-chunk AIGC, NUL-ended).
    data = strip_room(make_avi(tmp_path / "src.avi").read_bytes())
    movi_pos, _ = movi_of(data)
    info = chunk(b"LIST", b"INFO" + chunk(b"ISFT", b"x\x00") + chunk(b"AIGC", GTKIT.encode() + b"\x00"))
    path = tmp_path / "a.avi"
    path.write_bytes(riff(b"AVI ", data[12:movi_pos] + info + data[movi_pos:]))
    scan = read(path)
    assert [f.raw for f in scan.labels] == [GTKIT] and scan.labels[0].location == "LIST/INFO AIGC"
    assert detect(path).name == "avi"
    write(path, record, replace_foreign=True)
    assert [f.record for f in read(path).labels] == [record]
    assert ffprobe_tags(path)["AIGC"] == record.to_json() and decode_errors(path) == ""


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzz_avi_reader(tmp_path: Path, data: st.DataObject) -> None:
    seed = tmp_path / "seed.avi"
    if not seed.exists():
        ffmpeg("-f", "lavfi", "-i", "testsrc=size=16x16:rate=5:duration=0.4", "-c:v", "mpeg4", str(seed))
        seed.write_bytes(opendml(seed.read_bytes()))
        write(seed, Record.new(PRODUCER, produce_id="fuzz"))
    damaged = data.draw(mutated(seed.read_bytes()))
    assert_reader_fails_cleanly(tmp_path / "f.avi", damaged, "avi")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzz_avi_writer_only_raises_input_errors(tmp_path: Path, data: st.DataObject) -> None:
    seed = tmp_path / "seed.avi"
    if not seed.exists():
        ffmpeg("-f", "lavfi", "-i", "testsrc=size=16x16:rate=5:duration=0.4", "-c:v", "mpeg4", str(seed))
        seed.write_bytes(opendml(strip_room(seed.read_bytes())))
    assert_writer_labels_or_fails_cleanly(tmp_path / "f.avi", data.draw(mutated(seed.read_bytes())), "avi")
