"""Ogg Vorbis / Opus (and Ogg FLAC, Speex): comment header ``AIGC=``, header pages re-paginated, later pages
renumbered, CRCs recomputed, audio packets and granule positions byte-identical.

The page parser, CRC and pager below are the tests' own (table-driven CRC from the Ogg spec), independent of hegui's.
Independent oracles: ffprobe, ExifTool and mutagen (GPL, test-only) read what hegui writes; hegui reads what mutagen
and ``ffmpeg -metadata AIGC=... -c copy`` write; ffmpeg decodes the result without errors to the same samples.
"""

from __future__ import annotations

import json
import struct
import subprocess
from pathlib import Path
from typing import Any

import mutagen.oggopus
import mutagen.oggvorbis
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hegui.errors import InputError, LimitExceededError, UnsupportedFormatError
from hegui.label import Record, read, write
from hegui.label.containers.ogg import ogg_crc

from .conftest import (
    PRODUCER,
    assert_reader_fails_cleanly,
    assert_writer_labels_or_fails_cleanly,
    exiftool_json,
    mutated,
)
from .media import decode_errors, decoded_md5, ffmpeg

ENCODERS = {"vorbis": ("libvorbis", ".ogg", 3), "opus": ("libopus", ".opus", 2)}


def make_ogg(path: Path, codec: str, *extra: str) -> Path:
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-ac", "1", "-c:a", codec, *extra, str(path))
    return path


def ffprobe_aigc(path: Path) -> str | None:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "stream_tags:format_tags", "-of", "json", str(path)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    data = json.loads(out)
    for holder in [data.get("format", {}), *data.get("streams", [])]:
        tags = holder.get("tags", {})
        if "AIGC" in tags:
            return str(tags["AIGC"])
    return None


# ---- the tests' own Ogg code --------------------------------------------------------------------------------

CRC_TABLE = []
for _i in range(256):
    _r = _i << 24
    for _ in range(8):
        _r = ((_r << 1) ^ 0x04C11DB7) if _r & 0x80000000 else (_r << 1)
    CRC_TABLE.append(_r & 0xFFFFFFFF)


def table_crc(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc = ((crc << 8) & 0xFFFFFFFF) ^ CRC_TABLE[((crc >> 24) ^ byte) & 0xFF]
    return crc


def pages(data: bytes) -> list[dict[str, Any]]:
    out, pos = [], 0
    while pos < len(data):
        assert data[pos : pos + 4] == b"OggS", pos
        flags = data[pos + 5]
        granule, serial, seqno, crc = struct.unpack_from("<QIII", data, pos + 6)
        nseg = data[pos + 26]
        lacing = data[pos + 27 : pos + 27 + nseg]
        end = pos + 27 + nseg + sum(lacing)
        raw = data[pos:end]
        zeroed = raw[:22] + b"\x00\x00\x00\x00" + raw[26:]
        out.append(
            {
                "flags": flags,
                "granule": granule,
                "serial": serial,
                "seqno": seqno,
                "crc_ok": table_crc(zeroed) == crc,
                "lacing": lacing,
                "body": raw[27 + nseg :],
            }
        )
        pos = end
    return out


def packets(page_list: list[dict[str, Any]]) -> list[bytes]:
    out: list[bytes] = []
    partial = b""
    for page in page_list:
        pos = 0
        for value in page["lacing"]:
            partial += page["body"][pos : pos + value]
            pos += value
            if value < 255:
                out.append(partial)
                partial = b""
    return out


def build_page(flags: int, granule: int, serial: int, seqno: int, lacing: bytes, body: bytes) -> bytes:
    head = struct.pack("<4sBBQIIIB", b"OggS", 0, flags, granule, serial, seqno, 0, len(lacing)) + lacing
    crc = table_crc(head + body)
    return head[:22] + struct.pack("<I", crc) + head[26:] + body


def repage(data: bytes, headers: int, max_segments: int) -> bytes:
    """Lay the header packets after the first page out again with at most ``max_segments`` per page."""
    plist = pages(data)
    serial = plist[0]["serial"]
    pkts = packets(plist)
    header_pkts = pkts[1:headers]
    # find how many pages the headers use
    used, count = 0, 0
    total = sum(len(p) for p in header_pkts)
    while used < total:
        count += 1
        used += len(plist[count]["body"])
    out = [build_page(*[plist[0][k] for k in ("flags", "granule", "serial", "seqno", "lacing", "body")])]
    lacing: list[int] = []
    body = b""
    cont, done = False, False
    new_pages: list[tuple[int, int, bytes, bytes]] = []
    for pkt in header_pkts:
        values = [255] * (len(pkt) // 255) + [len(pkt) % 255]
        pos = 0
        for i, v in enumerate(values):
            if len(lacing) == max_segments:
                new_pages.append((1 if cont else 0, 0 if done else 2**64 - 1, bytes(lacing), body))
                lacing, body, cont, done = [], b"", i > 0, False
            lacing.append(v)
            body += pkt[pos : pos + v]
            pos += v
            done = done or v < 255
    new_pages.append((1 if cont else 0, 0, bytes(lacing), body))
    for n, (flags, granule, lac, b) in enumerate(new_pages):
        out.append(build_page(flags, granule, serial, n + 1, lac, b))
    for n, page in enumerate(plist[count + 1 :]):
        fields = (page["flags"], page["granule"], page["serial"], len(new_pages) + 1 + n)
        out.append(build_page(*fields, page["lacing"], page["body"]))
    return b"".join(out)


def audio_view(data: bytes, headers: int) -> tuple[list[bytes], list[tuple[int, int]]]:
    """Audio packets, and (granule, flags) of the audio pages."""
    plist = pages(data)
    pkts = packets(plist)
    total = sum(len(p) for p in pkts[:headers])
    used, first_audio = 0, 0
    while used < total:
        used += len(plist[first_audio]["body"])
        first_audio += 1
    return pkts[headers:], [(p["granule"], p["flags"]) for p in plist[first_audio:]]


def assert_well_formed(data: bytes) -> None:
    plist = pages(data)
    assert all(p["crc_ok"] for p in plist)
    assert [p["seqno"] for p in plist] == list(range(len(plist)))
    assert all(len(p["lacing"]) <= 255 for p in plist)


# ---- tests ----------------------------------------------------------------------------------------------------


def test_crc_matches_the_spec_table_and_real_pages(tmp_path: Path) -> None:
    for sample in (b"", b"OggS", bytes(range(256)) * 3):
        assert ogg_crc(sample) == table_crc(sample)
    assert all(p["crc_ok"] for p in pages(make_ogg(tmp_path / "a.ogg", "libvorbis").read_bytes()))


@pytest.mark.parametrize("kind", ["vorbis", "opus"])
def test_write_keeps_audio_packets_granules_and_other_comments(
    tmp_path: Path, record: Record, kind: str
) -> None:
    codec, ext, headers = ENCODERS[kind]
    path = make_ogg(tmp_path / f"a{ext}", codec, "-metadata", "title=tone")
    before = path.read_bytes()
    md5 = decoded_md5(path)
    result = write(path, record)
    assert result.warnings == []
    after = path.read_bytes()
    assert audio_view(after, headers) == audio_view(before, headers)
    assert packets(pages(after))[0] == packets(pages(before))[0]  # identification header
    assert_well_formed(after)
    scan = read(path)
    assert scan.valid and [f.record for f in scan.labels] == [record]
    assert decoded_md5(path) == md5 and decode_errors(path) == ""
    tags = (mutagen.oggvorbis.OggVorbis if kind == "vorbis" else mutagen.oggopus.OggOpus)(path)
    assert tags["title"] == ["tone"] and tags["AIGC"] == [record.to_json()]
    assert ffprobe_aigc(path) == record.to_json()
    assert exiftool_json(path)["Vorbis:Aigc"] == record.to_json()


@pytest.mark.parametrize("kind", ["vorbis", "opus"])
def test_hegui_reads_what_mutagen_and_ffmpeg_write(tmp_path: Path, record: Record, kind: str) -> None:
    codec, ext, _ = ENCODERS[kind]
    path = make_ogg(tmp_path / f"a{ext}", codec)
    tags = (mutagen.oggvorbis.OggVorbis if kind == "vorbis" else mutagen.oggopus.OggOpus)(path)
    tags["AIGC"] = record.to_json()
    tags.save()
    assert [f.record for f in read(path).labels] == [record]
    copied = tmp_path / f"b{ext}"
    ffmpeg(
        "-i",
        str(make_ogg(tmp_path / f"c{ext}", codec)),
        "-metadata",
        f"AIGC={record.to_json()}",
        "-c",
        "copy",
        str(copied),
    )
    assert [f.record for f in read(copied).labels] == [record]


@pytest.mark.parametrize("kind", ["vorbis", "opus"])
def test_fewer_header_pages_renumber_every_later_page(tmp_path: Path, record: Record, kind: str) -> None:
    # Headers spread over many 3-segment pages (continued-packet flags, granule -1) are packed into fewer pages.
    codec, ext, headers = ENCODERS[kind]
    path = tmp_path / f"a{ext}"
    source = make_ogg(tmp_path / f"src{ext}", codec, "-metadata", "comment=" + "c" * 2000)
    path.write_bytes(repage(source.read_bytes(), headers, 3))
    before = path.read_bytes()
    assert_well_formed(before)
    md5 = decoded_md5(path)
    write(path, record)
    after = path.read_bytes()
    assert len(pages(after)) < len(pages(before))
    assert_well_formed(after)
    assert audio_view(after, headers) == audio_view(before, headers)
    assert decoded_md5(path) == md5 and decode_errors(path) == ""
    assert ffprobe_aigc(path) == record.to_json()


def test_more_header_pages_renumber_every_later_page(tmp_path: Path, record: Record) -> None:
    # An OpusTags packet that just fits one 255-segment page spills onto a second page once AIGC is added.
    path = make_ogg(tmp_path / "a.opus", "libopus")
    tags = mutagen.oggopus.OggOpus(path)
    size = len(packets(pages(path.read_bytes()))[1])
    tags["filler"] = "x" * (254 * 255 + 100 - size - 11)
    tags.save(padding=lambda info: 0)
    path.write_bytes(repage(path.read_bytes(), 2, 255))
    before = path.read_bytes()
    header_pages = [p for p in pages(before) if p["granule"] in (0, 2**64 - 1)]
    md5 = decoded_md5(path)
    write(path, record)
    after = path.read_bytes()
    assert len(pages(after)) == len(pages(before)) + 1
    assert len(header_pages) == 2
    assert_well_formed(after)
    assert pages(after)[2]["flags"] & 1  # the tags packet continues on the next page
    assert audio_view(after, 2) == audio_view(before, 2)
    assert decoded_md5(path) == md5 and decode_errors(path) == ""
    assert mutagen.oggopus.OggOpus(path)["AIGC"] == [record.to_json()]


@pytest.mark.parametrize(("codec", "ext"), [("flac", ".oga"), ("libspeex", ".spx")])
def test_ogg_flac_and_speex(tmp_path: Path, record: Record, codec: str, ext: str) -> None:
    path = make_ogg(tmp_path / f"a{ext}", codec, "-ar", "16000")
    md5 = decoded_md5(path)
    write(path, record)
    assert [f.record for f in read(path).labels] == [record]
    assert_well_formed(path.read_bytes())
    assert decoded_md5(path) == md5 and decode_errors(path) == ""
    assert ffprobe_aigc(path) == record.to_json()


def test_rewrite_replaces_instead_of_duplicating(
    tmp_path: Path, record: Record, other_record: Record
) -> None:
    path = make_ogg(tmp_path / "a.ogg", "libvorbis")
    write(path, record)
    result = write(path, other_record)
    assert result.replaced == record and any(f.rule == "gb45438-6.1c" for f in result.warnings)
    assert [f.record for f in read(path).labels] == [other_record]
    assert mutagen.oggvorbis.OggVorbis(path)["AIGC"] == [other_record.to_json()]


def test_multiplexed_file_is_read_and_refused_for_writing(tmp_path: Path, record: Record) -> None:
    a = make_ogg(tmp_path / "a.ogg", "libvorbis")
    b = make_ogg(tmp_path / "b.opus", "libopus")
    mux = tmp_path / "mux.ogg"
    ffmpeg(
        "-i",
        str(a),
        "-i",
        str(b),
        "-map",
        "0",
        "-map",
        "1",
        "-c",
        "copy",
        "-metadata:s:1",
        f"AIGC={record.to_json()}",
        str(mux),
    )
    serials = {p["serial"] for p in pages(mux.read_bytes())}
    assert len(serials) == 2
    labels = read(mux).labels
    assert [f.record for f in labels] == [record] and labels[0].location == "Opus comment header AIGC"
    before = mux.read_bytes()
    with pytest.raises(UnsupportedFormatError, match="multiplexed"):
        write(mux, record)
    assert mux.read_bytes() == before


def test_hostile_input(tmp_path: Path) -> None:
    path = make_ogg(tmp_path / "a.ogg", "libvorbis")
    data = path.read_bytes()
    plist = pages(data)
    first_len = 27 + len(plist[0]["lacing"]) + len(plist[0]["body"])
    comment = b"\x03vorbis" + struct.pack("<I", 3) + b"ven" + struct.pack("<I", 0xFFFFFFF0) + b"\x01"
    hostile = build_page(2, 0, plist[0]["serial"], 0, plist[0]["lacing"], plist[0]["body"])
    hostile += build_page(0, 0, plist[0]["serial"], 1, bytes([len(comment)]), comment)
    path.write_bytes(hostile)
    with pytest.raises(LimitExceededError, match="comments"):
        read(path)
    path.write_bytes(data[: first_len + 40])
    with pytest.raises(InputError, match=r"runs past the end|truncated"):
        read(path)
    path.write_bytes(b"OggS\x01" + bytes(40))
    with pytest.raises(InputError, match="version"):
        read(path)
    # An identification page, then endless empty pages that never bring the comment header.
    empty = struct.pack("<4sBBQIIIB", b"OggS", 0, 0, 0, plist[0]["serial"], 1, 0, 0)
    path.write_bytes(data[:first_len] + empty * 100_001)
    with pytest.raises(LimitExceededError, match="pages"):
        read(path)


@pytest.mark.parametrize("kind", ["vorbis", "opus"])
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzz_reader_only_raises_input_errors(tmp_path: Path, kind: str, data: st.DataObject) -> None:
    codec, ext, _ = ENCODERS[kind]
    seed = tmp_path / f"seed{ext}"
    if not seed.exists():
        make_ogg(seed, codec)
        write(seed, Record.new(PRODUCER, produce_id="fuzz"))
        plist = pages(seed.read_bytes())
        keep = 4  # header pages and a little audio: mutations hit what the reader parses
        seed.write_bytes(
            b"".join(
                build_page(p["flags"], p["granule"], p["serial"], p["seqno"], p["lacing"], p["body"])
                for p in plist[:keep]
            )
        )
    damaged = data.draw(mutated(seed.read_bytes()))
    assert_reader_fails_cleanly(tmp_path / f"f{ext}", damaged, "ogg")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzz_writer_labels_or_raises_input_errors(tmp_path: Path, data: st.DataObject) -> None:
    seed = tmp_path / "seed.opus"
    if not seed.exists():
        make_ogg(seed, "libopus")
        write(seed, Record.new(PRODUCER, produce_id="fuzz"))
        plist = pages(seed.read_bytes())
        fields = ("flags", "granule", "serial", "seqno", "lacing", "body")
        seed.write_bytes(b"".join(build_page(*[p[k] for k in fields]) for p in plist[:4]))
    assert_writer_labels_or_fails_cleanly(tmp_path / "w.opus", data.draw(mutated(seed.read_bytes())), "ogg")


def test_reading_never_touches_the_audio_pages(tmp_path: Path, record: Record) -> None:
    # Everything after the header pages becomes a 1 GiB sparse hole of zeros (no Ogg page at all): reading stops at
    # the comment header, so it still finds the label.
    path = make_ogg(tmp_path / "a.ogg", "libvorbis")
    write(path, record)
    plist = pages(path.read_bytes())
    header_end = sum(27 + len(p["lacing"]) + len(p["body"]) for p in plist[:2])
    with open(path, "r+b") as handle:
        handle.truncate(header_end)
        handle.truncate(1 << 30)
    assert [f.record for f in read(path).labels] == [record]


def test_audio_sharing_the_last_header_page_moves_to_its_own_page(tmp_path: Path, record: Record) -> None:
    # Non-conforming but seen: the first audio packets share the page that ends the header packets.
    path = make_ogg(tmp_path / "a.ogg", "libvorbis")
    plist = pages(path.read_bytes())
    assert len(plist[1]["lacing"]) + len(plist[2]["lacing"]) <= 255
    merged = dict(
        plist[1], lacing=plist[1]["lacing"] + plist[2]["lacing"], body=plist[1]["body"] + plist[2]["body"]
    )
    merged["granule"] = plist[2]["granule"]
    rebuilt = [plist[0], merged, *plist[3:]]
    path.write_bytes(
        b"".join(
            build_page(p["flags"], p["granule"], p["serial"], n, p["lacing"], p["body"])
            for n, p in enumerate(rebuilt)
        )
    )
    before = path.read_bytes()
    md5 = decoded_md5(path)
    write(path, record)
    after = path.read_bytes()
    assert_well_formed(after)
    assert packets(pages(after))[3:] == packets(pages(before))[3:]
    moved = pages(after)[2]
    assert moved["lacing"] == plist[2]["lacing"] and moved["granule"] == plist[2]["granule"]
    assert decoded_md5(path) == md5 and decode_errors(path) == ""
    assert ffprobe_aigc(path) == record.to_json()
