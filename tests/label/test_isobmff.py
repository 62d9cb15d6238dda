"""ISO BMFF (MP4 / MOV / M4A): write, read back, interop with ffmpeg / ffprobe / ExifTool / mutagen, mdat
byte-identical, offsets moved correctly, files over 4 GiB, the in-place journal, hostile input."""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hegui.errors import InputError, LimitExceededError
from hegui.label import Record, ScanResult, WriteResult
from hegui.label import read as label_read
from hegui.label import write as label_write
from hegui.label.containers.base import open_source
from hegui.label.containers.bmff import Box, Header, parse_tree
from hegui.label.containers.isobmff import (
    XMP_UUID,
    IsobmffContainer,
    _patch_sidx,
    absorb_padding,
    read_box,
    shift_chunk_offsets,
    shift_iloc,
    top_level,
    walk_tree,
)
from hegui.label.journal import journal_path
from hegui.label.samples import isobmff as samples

from .conftest import (
    EXIFTOOL_CONFIG,
    PRODUCER,
    assert_reader_fails_cleanly,
    exiftool_bin,
    exiftool_json,
    exiftool_write_aigc,
    mutated,
)

HANDLER = IsobmffContainer()


def read(path: Path) -> ScanResult:
    return label_read(path, container="isobmff")


def write(
    path: Path, record: Record, *, output: Path | None = None, replace_foreign: bool = False
) -> WriteResult:
    return label_write(path, record, output=output, container="isobmff", replace_foreign=replace_foreign)


# ---- helpers ---------------------------------------------------------------------------------------------------


def box(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(body), kind) + body


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:  # CI installs ffmpeg; a missing oracle is a failure, not a skip
        pytest.fail(f"{name} is not installed (Debian package ffmpeg); run `make test`")
    return path


def ffmpeg(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [tool("ffmpeg"), "-v", "error", "-y", *args], capture_output=True, text=True, check=True
    )


def decode_errors(path: Path) -> str:
    return ffmpeg("-i", str(path), "-f", "null", "-").stderr


def frame_hashes(path: Path) -> list[str]:
    out = subprocess.run(
        [tool("ffmpeg"), "-v", "error", "-i", str(path), "-map", "0", "-f", "framemd5", "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [line for line in out.splitlines() if not line.startswith("#")]


def ffprobe_tags(path: Path) -> dict[str, str]:
    out = subprocess.run(
        [tool("ffprobe"), "-v", "error", "-show_format", "-of", "json", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    tags: dict[str, str] = json.loads(out)["format"].get("tags", {})
    return tags


def mdat_payloads(path: Path) -> bytes:
    with open_source(path) as src:
        return b"".join(
            src.read_at(h.payload_offset, h.payload_size) for h in top_level(src) if h.type == b"mdat"
        )


def layout(path: Path) -> list[str]:
    with open_source(path) as src:
        return [h.name for h in top_level(src)]


def moov_tree(path: Path) -> Box:
    with open_source(path) as src:
        head = next(h for h in top_level(src) if h.type == b"moov")
        return parse_tree(read_box(src, head), head.offset)


def first(tree: Box, kind: bytes) -> Box:
    return next(b for b, _, _ in walk_tree(tree) if b.type == kind)


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One small file per layout, generated once by ffmpeg; tests copy them."""
    folder = tmp_path_factory.mktemp("media")
    made = {
        layout: samples.video(folder / f"{layout}.mp4", movflags=flags)
        for layout, (_, flags) in samples.LAYOUTS.items()
    }
    made["sidx"] = samples.video(
        folder / "sidx.mp4", movflags=["-movflags", "frag_keyframe+empty_moov+default_base_moof+global_sidx"]
    )
    made["m4a"] = samples.audio(folder / "a.m4a")
    made["mov"] = samples.video(folder / "v.mov")
    made["3gp"] = samples.video(folder / "v.3gp")
    return made


def copy(media: dict[str, Path], kind: str, folder: Path) -> Path:
    target = folder / media[kind].name
    shutil.copyfile(media[kind], target)
    return target


# ---- write, read back, media untouched, independent readers ----------------------------------------------------


@pytest.mark.parametrize("kind", ["moov-first", "moov-last", "fragmented", "sidx", "m4a", "mov", "3gp"])
def test_write_keeps_media_and_every_reader_sees_the_label(
    media: dict[str, Path], tmp_path: Path, record: Record, kind: str
) -> None:
    path = copy(media, kind, tmp_path)
    hashes, payload = frame_hashes(path), mdat_payloads(path)
    encoder = ffprobe_tags(path).get("encoder")
    result = write(path, record)
    assert result.replaced is None and result.warnings == []
    scan = label_read(path)  # found by sniffing, not by name
    assert scan.container == "isobmff"
    assert scan.valid and [f.record for f in scan.labels] == [record]
    assert scan.labels[0].location == "moov/udta/meta[mdta] key AIGC"
    assert mdat_payloads(path) == payload  # compressed media bytes untouched
    assert decode_errors(path) == ""
    assert frame_hashes(path) == hashes  # decoded frames and samples identical
    tags = ffprobe_tags(path)
    assert tags["AIGC"] == record.to_json()
    assert tags.get("encoder") == encoder  # the iTunes-style tags ffmpeg wrote are kept
    assert exiftool_json(path, "-Keys:AIGC").get("Keys:AIGC") == record.to_json()


def test_mp4_and_mov_give_ffprobe_the_same_json(
    media: dict[str, Path], tmp_path: Path, record: Record
) -> None:
    mp4, mov = copy(media, "moov-last", tmp_path), copy(media, "mov", tmp_path)
    write(mp4, record)
    write(mov, record)
    assert ffprobe_tags(mp4)["AIGC"] == ffprobe_tags(mov)["AIGC"] == record.to_json()


def test_meta_box_is_byte_identical_to_ffmpeg_use_metadata_tags(tmp_path: Path, record: Record) -> None:
    bare = tmp_path / "bare.mp4"
    src = samples.video(tmp_path / "src.mp4")
    ffmpeg("-i", str(src), "-map_metadata", "-1", "-fflags", "+bitexact", "-c", "copy", str(bare))
    theirs = tmp_path / "ffmpeg.mp4"
    ffmpeg(
        "-i", str(bare), "-map_metadata", "-1", "-fflags", "+bitexact", "-metadata", f"AIGC={record.to_json()}",
        "-movflags", "use_metadata_tags", "-c", "copy", str(theirs),
    )  # fmt: skip
    ours = tmp_path / "ours.mp4"
    write(bare, record, output=ours)
    assert first(moov_tree(ours), b"udta").find(b"meta") is not None
    assert first(moov_tree(ours), b"meta").to_bytes() == first(moov_tree(theirs), b"meta").to_bytes()
    assert first(moov_tree(ours), b"udta").to_bytes() == first(moov_tree(theirs), b"udta").to_bytes()


def test_hegui_reads_and_merges_into_ffmpeg_labels(
    tmp_path: Path, record: Record, other_record: Record
) -> None:
    src = samples.video(tmp_path / "src.mp4")
    theirs = tmp_path / "ffmpeg.mp4"
    ffmpeg(
        "-i", str(src), "-metadata", f"AIGC={record.to_json()}", "-metadata", "title=kept",
        "-movflags", "use_metadata_tags", "-c", "copy", str(theirs),
    )  # fmt: skip
    assert [f.record for f in read(theirs).labels] == [record]
    keys_before = first(moov_tree(theirs), b"keys").payload
    result = write(theirs, other_record)
    assert result.replaced == record and any(f.rule == "gb45438-6.1c" for f in result.warnings)
    assert [f.record for f in read(theirs).labels] == [other_record]
    assert (
        first(moov_tree(theirs), b"keys").payload == keys_before
    )  # same keys, same order: replaced in place
    tags = ffprobe_tags(theirs)
    assert tags["AIGC"] == other_record.to_json() and tags["title"] == "kept"
    assert len([b for b, _, _ in walk_tree(moov_tree(theirs)) if b.type == b"meta"]) == 1


def test_mutagen_freeform_label_is_read_and_replaced(
    media: dict[str, Path], tmp_path: Path, record: Record
) -> None:
    from mutagen.mp4 import MP4, MP4FreeForm

    path = copy(media, "m4a", tmp_path)
    tags = MP4(path)
    tags["----:com.apple.iTunes:AIGC"] = [
        MP4FreeForm(b'{"Label":"1","ContentProducer":"minimax","ProduceID":"m1"}')
    ]
    tags["\xa9nam"] = ["a title"]
    tags.save()
    scan = read(path)
    assert [f.location for f in scan.labels] == ["moov/udta/meta/ilst ----:com.apple.iTunes:AIGC"]
    assert scan.labels[0].record is not None and scan.labels[0].record.ContentProducer == "minimax"
    write(path, record, replace_foreign=True)
    assert [f.record for f in read(path).labels] == [record]
    after = MP4(path)
    assert after["\xa9nam"] == ["a title"]  # other iTunes tags kept
    assert "----:com.apple.iTunes:AIGC" not in after  # one label only: the freeform copy was replaced
    assert ffprobe_tags(path)["AIGC"] == record.to_json()


def test_exiftool_xmp_label_is_read_and_moved(media: dict[str, Path], tmp_path: Path, record: Record) -> None:
    path = copy(media, "moov-first", tmp_path)
    value = '{"Label":"2","ContentProducer":"kling","ProduceID":"k-1"}'
    exiftool_write_aigc(path, value)
    subprocess.run(
        [
            exiftool_bin(),
            "-config",
            str(EXIFTOOL_CONFIG),
            "-overwrite_original",
            "-XMP-dc:Creator=someone",
            str(path),
        ],
        check=True,
        capture_output=True,
    )
    scan = read(path)
    assert [f.form for f in scan.labels] == ["xmp-element"]
    assert scan.labels[0].record is not None and scan.labels[0].record.ContentProducer == "kling"
    hashes = frame_hashes(path)
    write(path, record, replace_foreign=True)
    assert [f.record for f in read(path).labels] == [record]
    data = exiftool_json(path)
    assert "XMP-TC260:AIGC" not in data and data.get("XMP-dc:Creator") in ("someone", ["someone"])
    assert frame_hashes(path) == hashes


# ---- real-world forms built byte by byte -----------------------------------------------------------------------


def _with_moov_children(path: Path, extra: bytes, *, top_extra: bytes = b"") -> None:
    """Append boxes to moov of a moov-last file (nothing to shift) and optional top-level boxes before it."""
    data = path.read_bytes()
    with open_source(path) as src:
        head = next(h for h in top_level(src) if h.type == b"moov")
    assert head.end == len(data)
    moov = data[head.offset : head.end]
    moov = struct.pack(">I", len(moov) + len(extra)) + moov[4:] + extra
    path.write_bytes(data[: head.offset] + top_extra + moov)


def _data(value: bytes, kind: int = 1) -> bytes:
    return box(b"data", struct.pack(">II", kind, 0) + value)


VALUE = b'{"Label":"1","ContentProducer":"doubao","ProduceID":"d-1"}'


def test_doubao_bare_meta_under_moov_with_keyless_mdir_list(
    media: dict[str, Path], tmp_path: Path, record: Record
) -> None:
    path = copy(media, "moov-last", tmp_path)
    hdlr = box(b"hdlr", b"\x00" * 8 + b"mdir" + b"appl" + b"\x00" * 8 + b"\x00")
    meta = box(b"meta", b"\x00\x00\x00\x00" + hdlr + box(b"ilst", box(b"AIGC", _data(VALUE))))
    _with_moov_children(path, meta)
    scan = read(path)
    assert [f.location for f in scan.labels] == ["moov/meta/ilst AIGC"]
    assert scan.labels[0].record is not None and scan.labels[0].record.ProduceID == "d-1"
    write(path, record, replace_foreign=True)
    assert [f.record for f in read(path).labels] == [record]
    assert decode_errors(path) == ""


def test_quicktime_meta_without_version_and_reverse_dns_key(media: dict[str, Path], tmp_path: Path) -> None:
    path = copy(media, "mov", tmp_path)
    hdlr = box(b"hdlr", b"\x00" * 8 + b"mdta" + b"\x00" * 12 + b"\x00")
    keys = box(
        b"keys",
        struct.pack(">II", 0, 2)
        + box(b"mdta", b"com.apple.quicktime.title")
        + box(b"mdta", b"com.tc260.AIGC"),
    )
    ilst = box(
        b"ilst",
        box(struct.pack(">I", 1), _data(b"t"))
        + box(struct.pack(">I", 2), _data(VALUE.decode().encode("utf-16-be"), 2)),
    )
    _with_moov_children(path, box(b"meta", hdlr + keys + ilst))  # QuickTime: meta is not a full box
    scan = read(path)
    assert [f.location for f in scan.labels] == ["moov/meta[mdta] key com.tc260.AIGC"]
    assert scan.labels[0].record is not None and scan.labels[0].record.ContentProducer == "doubao"


def test_quicktime_udta_text_atom_and_zero_terminator_are_kept(
    media: dict[str, Path], tmp_path: Path, record: Record
) -> None:
    path = copy(media, "mov", tmp_path)
    text = box(b"\xa9cmt", struct.pack(">HH", 5, 0) + b"hello")
    label = box(b"AIGC", struct.pack(">HH", len(VALUE), 0) + VALUE)  # a QuickTime user-data text atom AIGC
    _with_moov_children(path, box(b"udta", text + label + b"\x00" * 4))
    scan = read(path)
    assert [f.location for f in scan.labels] == ["moov/udta/AIGC"]
    assert scan.labels[0].record is not None and scan.labels[0].record.ProduceID == "d-1"
    write(path, record, replace_foreign=True)
    assert [f.record for f in read(path).labels] == [record]
    udtas = moov_tree(path).find_all(b"udta")
    assert udtas[-1].trailer == b"\x00" * 4 and udtas[-1].find(b"\xa9cmt") is not None
    assert ffprobe_tags(path)["comment"] == "hello" and decode_errors(path) == ""


def test_xmp_uuid_box_at_top_level_and_in_udta(
    media: dict[str, Path], tmp_path: Path, record: Record
) -> None:
    path = copy(media, "moov-last", tmp_path)
    packet = (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        b'<rdf:Description rdf:about="" xmlns:TC260="http://www.tc260.org.cn/ns/AIGC/1.0/" '
        b'xmlns:dc="http://purl.org/dc/elements/1.1/" TC260:AIGC="{&quot;Label&quot;:&quot;1&quot;,'
        b'&quot;ContentProducer&quot;:&quot;picwish&quot;,&quot;ProduceID&quot;:&quot;p-1&quot;}" dc:format="video/mp4"/>'
        b"</rdf:RDF></x:xmpmeta>"
    )
    uuid_box = box(b"uuid", XMP_UUID + packet)
    _with_moov_children(path, box(b"udta", uuid_box), top_extra=uuid_box)
    scan = read(path)
    assert sorted(f.location for f in scan.labels) == ["moov/udta/uuid XMP TC260:AIGC", "uuid XMP TC260:AIGC"]
    assert {f.form for f in scan.labels} == {"xmp-attribute"}
    size = path.stat().st_size
    write(path, record, replace_foreign=True)
    assert [f.record for f in read(path).labels] == [record]
    with open_source(path) as src:
        xmp_boxes = [h for h in top_level(src) if h.type == b"uuid"]
        assert len(xmp_boxes) == 1 and b"dc:format" in src.read_at(xmp_boxes[0].offset, xmp_boxes[0].size)
    assert path.stat().st_size > size - 200


def test_duplicate_keys_are_collapsed_and_items_renumbered(
    media: dict[str, Path], tmp_path: Path, record: Record
) -> None:
    path = copy(media, "moov-last", tmp_path)
    hdlr = box(b"hdlr", b"\x00" * 8 + b"mdta" + b"\x00" * 12 + b"\x00")
    names = [b"a", b"AIGC", b"b", b"AIGC"]
    keys = box(b"keys", struct.pack(">II", 0, 4) + b"".join(box(b"mdta", n) for n in names))
    items = [_data(b"A"), _data(VALUE), _data(b"B"), _data(VALUE.replace(b"d-1", b"d-2"))]
    ilst = box(b"ilst", b"".join(box(struct.pack(">I", i + 1), item) for i, item in enumerate(items)))
    _with_moov_children(path, box(b"udta", box(b"meta", b"\x00" * 4 + hdlr + keys + ilst)))
    scan = read(path)
    assert len(scan.labels) == 2 and any(f.severity == "error" for f in scan.findings)
    write(path, record, replace_foreign=True)
    metas = [
        b for b, _, _ in walk_tree(moov_tree(path)) if b.type == b"meta" and b"mdta" in b.to_bytes()[:60]
    ]
    assert len(metas) == 1
    keys_box = metas[0].find(b"keys")
    assert keys_box is not None and keys_box.payload == struct.pack(">II", 0, 3) + b"".join(
        box(b"mdta", n) for n in [b"a", b"AIGC", b"b"]
    )
    tags = ffprobe_tags(path)
    assert tags["a"] == "A" and tags["b"] == "B" and tags["AIGC"] == record.to_json()


# ---- layout strategies and offsets -----------------------------------------------------------------------------


def test_moov_first_moves_offsets_then_relabels_in_place(
    media: dict[str, Path], tmp_path: Path, record: Record, other_record: Record
) -> None:
    path = copy(media, "moov-first", tmp_path)
    hashes, payload = frame_hashes(path), mdat_payloads(path)
    write(path, record)
    assert layout(path) == ["ftyp", "moov", "free", "mdat"]  # still fast-start, with room for the next label
    size = path.stat().st_size
    with open_source(path) as src:
        mdat_at = next(h.offset for h in top_level(src) if h.type == b"mdat")
        assert HANDLER.plan(src, other_record).in_place
    write(path, other_record)
    assert path.stat().st_size == size
    with open_source(path) as src:
        assert next(h.offset for h in top_level(src) if h.type == b"mdat") == mdat_at
    assert frame_hashes(path) == hashes and mdat_payloads(path) == payload


def test_free_box_before_moov_is_room_too(media: dict[str, Path], tmp_path: Path, record: Record) -> None:
    source = media["moov-first"]
    with open_source(source) as src:
        top = {h.type: h for h in top_level(src)}
        moov = parse_tree(read_box(src, top[b"moov"]), top[b"moov"].offset)
    assert [h for h in top] == [b"ftyp", b"moov", b"free", b"mdat"]
    room = 4096
    shift_chunk_offsets(moov, top[b"mdat"].offset, room - top[b"free"].size)
    data = source.read_bytes()
    path = tmp_path / "room.mp4"
    free = struct.pack(">I4s", room, b"free") + b"\x00" * (room - 8)
    path.write_bytes(data[: top[b"ftyp"].end] + free + moov.to_bytes() + data[top[b"mdat"].offset :])
    hashes = frame_hashes(path)
    size = path.stat().st_size
    with open_source(path) as src:
        assert HANDLER.plan(src, record).in_place
    write(path, record)
    assert path.stat().st_size == size and layout(path) == ["ftyp", "moov", "free", "mdat"]
    assert frame_hashes(path) == hashes and [f.record for f in read(path).labels] == [record]


def test_padding_inside_moov_left_by_mutagen_is_used(
    media: dict[str, Path], tmp_path: Path, record: Record
) -> None:
    from mutagen.mp4 import MP4

    path = tmp_path / "fast.m4a"
    ffmpeg("-i", str(media["m4a"]), "-c", "copy", "-movflags", "+faststart", str(path))
    tags = MP4(path)
    tags["\xa9nam"] = ["a title"]
    tags.save()  # mutagen keeps about 1 KB of padding in moov/udta/meta/free
    assert any(b.type == b"free" for b, _, _ in walk_tree(moov_tree(path)))
    hashes, size = frame_hashes(path), path.stat().st_size
    with open_source(path) as src:
        mdat_at = next(h.offset for h in top_level(src) if h.type == b"mdat")
        assert HANDLER.plan(src, record).in_place
    write(path, record)
    assert path.stat().st_size == size
    with open_source(path) as src:
        assert next(h.offset for h in top_level(src) if h.type == b"mdat") == mdat_at
    assert MP4(path)["\xa9nam"] == ["a title"] and ffprobe_tags(path)["AIGC"] == record.to_json()
    assert frame_hashes(path) == hashes and [f.record for f in read(path).labels] == [record]


def test_absorb_padding_arithmetic() -> None:
    def moov(*sizes: int) -> Box:
        return Box(
            b"moov",
            children=[Box(b"udta", children=[Box(b"free", payload=b"\x00" * (n - 8)) for n in sizes])],
        )

    one = moov(20)
    assert absorb_padding(one, 12) and len(one.to_bytes()) == len(moov(20).to_bytes()) - 12
    assert not absorb_padding(moov(20), 15)  # would leave 5 bytes: too few for a free box after moov
    two = moov(20, 20)
    assert absorb_padding(two, 30) and first(two, b"udta").children == []  # both go; 10 bytes remain as slack
    assert not absorb_padding(moov(), 1) and not absorb_padding(moov(20), 41)


def test_moov_last_grows_at_the_end(media: dict[str, Path], tmp_path: Path, record: Record) -> None:
    path = copy(media, "moov-last", tmp_path)
    with open_source(path) as src:
        plan = HANDLER.plan(src, record)
        mdat_before = next(h.offset for h in top_level(src) if h.type == b"mdat")
    assert plan.in_place and plan.moved == 0
    write(path, record)
    with open_source(path) as src:
        assert next(h.offset for h in top_level(src) if h.type == b"mdat") == mdat_before
    assert layout(path)[-1] == "moov"


def test_fragmented_file_moves_fragment_offsets(
    media: dict[str, Path], tmp_path: Path, record: Record
) -> None:
    path = copy(media, "fragmented", tmp_path)
    hashes = frame_hashes(path)
    write(path, record)
    assert frame_hashes(path) == hashes and decode_errors(path) == ""
    with open_source(path) as src:
        top = top_level(src)
        moofs = [h.offset for h in top if h.type == b"moof"]
        for head in top:
            if head.type == b"moof":  # tfhd base_data_offset points at its own moof again
                tfhd = first(parse_tree(read_box(src, head), head.offset), b"tfhd")
                assert struct.unpack(">Q", tfhd.payload[8:16])[0] == head.offset
        mfra = next(h for h in top if h.type == b"mfra")
        tfra = first(parse_tree(read_box(src, mfra), mfra.offset), b"tfra")
        version = tfra.payload[0]
        offset = struct.unpack(
            ">Q" if version else ">I", tfra.payload[24:32] if version else tfra.payload[20:24]
        )[0]
        assert offset in moofs


def test_stco_is_promoted_to_co64_past_4_gib() -> None:
    stco = Box(b"stco", payload=struct.pack(">IIII", 0, 2, 100, 0xFFFFFF00))
    moov = Box(b"moov", children=[Box(b"stbl", children=[stco])])
    shift_chunk_offsets(moov, 1000, 0x200)
    assert stco.type == b"co64"
    assert stco.payload == struct.pack(">IIQQ", 0, 2, 100, 0xFFFFFF00 + 0x200)


def test_plan_promotes_stco_when_moving_offsets_past_4_gib(
    media: dict[str, Path], tmp_path: Path, record: Record
) -> None:
    """Sparse file: ftyp, moov, a largesize mdat whose samples sit just below 4 GiB; the growing moov pushes some
    of them past 4 GiB, so stco must become co64 (only the plan is computed: no 4 GiB copy)."""
    small = media["moov-first"].read_bytes()
    with open_source(media["moov-first"]) as src:
        top = {h.type: h for h in top_level(src)}
        ftyp, moov_head, mdat = top[b"ftyp"], top[b"moov"], top[b"mdat"]
        moov = parse_tree(read_box(src, moov_head), moov_head.offset)
    last = max(
        max(struct.unpack(f">{struct.unpack('>I', b.payload[4:8])[0]}I", b.payload[8:]))
        for b, _, _ in walk_tree(moov)
        if b.type == b"stco"
    )
    shift = (1 << 32) - 100 - last  # the last chunk lands 100 bytes below 4 GiB
    payload_at = ftyp.end + moov_head.size + 16
    gap = mdat.payload_offset + shift - payload_at
    shift_chunk_offsets(moov, mdat.offset, shift)
    assert all(b.type == b"stco" for b, _, _ in walk_tree(moov) if b.type in (b"stco", b"co64"))
    big = tmp_path / "big.mp4"
    with open(big, "wb") as out:
        out.write(small[: ftyp.end] + moov.to_bytes())
        out.write(struct.pack(">I4sQ", 1, b"mdat", 16 + gap + mdat.payload_size))
        out.truncate(out.tell() + gap)
        out.seek(0, os.SEEK_END)
        out.write(small[mdat.payload_offset : mdat.end])
    with open_source(big) as src:
        plan = HANDLER.plan(src, record)
        old = [b for b, _, _ in walk_tree(moov) if b.type == b"stco"]
    assert not plan.in_place and plan.moved > 500
    start, _, data = plan.edits[0]
    new = parse_tree(data[: struct.unpack(">I", data[:4])[0]], start)
    tables = [b for b, _, _ in walk_tree(new) if b.type in (b"stco", b"co64")]
    assert {b.type for b in tables} == {b"co64"}
    for before, after in zip(old, tables, strict=True):
        count = struct.unpack(">I", before.payload[4:8])[0]
        values = struct.unpack(f">{count}I", before.payload[8:])
        assert struct.unpack(f">{count}Q", after.payload[8:]) == tuple(v + plan.moved for v in values)


def test_iloc_and_sidx_offsets_move() -> None:
    # iloc v1: offset_size 4, length_size 4, no base offset; two items: one before the moved range, one after
    iloc = bytes([1, 0, 0, 0, 0x44, 0x00]) + struct.pack(">H", 2)
    iloc += struct.pack(">HHHH", 1, 0, 0, 1) + struct.pack(">II", 100, 10)
    iloc += struct.pack(">HHHH", 2, 0, 0, 1) + struct.pack(">II", 5000, 10)
    moved = shift_iloc(iloc, 1000, 64)
    assert moved == iloc[:-8] + struct.pack(">II", 5064, 10)
    with pytest.raises(InputError, match="no longer fits"):
        shift_iloc(iloc[:-8] + struct.pack(">II", 0xFFFFFFF0, 10), 1000, 64)
    # a sidx in front of moov (version 0): first_offset is relative to its end and grows with the move
    body = struct.pack(">IIIII", 0, 1, 90000, 0, 2000) + struct.pack(">HH", 0, 0)
    data = box(b"sidx", body)
    head = Header(b"sidx", 40, 8, len(data))
    patched = _patch_sidx(data, head, 1000, 64, None)  # type: ignore[arg-type]
    assert struct.unpack(">I", patched[8 + 16 : 8 + 20])[0] == 2064


def test_file_over_4_gib_with_64_bit_mdat_in_place(
    media: dict[str, Path], tmp_path: Path, record: Record
) -> None:
    """Sparse file: ftyp, a largesize mdat past 4 GiB, moov last. Labeled in place (no copy of the 4 GiB)."""
    small = media["moov-last"].read_bytes()
    with open_source(media["moov-last"]) as src:
        top = top_level(src)
    ftyp, free, mdat, moov = top
    assert (ftyp.name, free.name, mdat.name, moov.name) == ("ftyp", "free", "mdat", "moov")
    gap = (1 << 32) + 4096
    big = tmp_path / "big.mp4"
    with open(big, "wb") as out:  # the 16-byte header replaces free + 8-byte header: chunk offsets stay valid
        out.write(small[: ftyp.end] + struct.pack(">I4sQ", 1, b"mdat", 16 + mdat.payload_size + gap))
        out.write(small[mdat.payload_offset : mdat.end])
        out.truncate(out.tell() + gap)
        out.seek(0, os.SEEK_END)
        out.write(small[moov.offset :])
    scan = read(big)
    assert scan.labels == []
    hashes = frame_hashes(media["moov-last"])
    result = HANDLER.write(big, record, in_place=True)
    assert result.output == str(big) and not journal_path(big).exists()
    assert [f.record for f in read(big).labels] == [record]
    assert frame_hashes(big) == hashes
    assert os.stat(big).st_blocks * 512 < 64 * 1024 * 1024  # still sparse: nothing was copied


def test_mdat_with_size_zero_reaching_the_end(media: dict[str, Path], tmp_path: Path, record: Record) -> None:
    path = copy(media, "moov-first", tmp_path)
    data = bytearray(path.read_bytes())
    with open_source(path) as src:
        mdat = next(h for h in top_level(src) if h.type == b"mdat")
    assert mdat.end == len(data)
    data[mdat.offset : mdat.offset + 4] = b"\x00\x00\x00\x00"
    path.write_bytes(bytes(data))
    hashes = frame_hashes(path)
    write(path, record)
    assert [f.record for f in read(path).labels] == [record] and frame_hashes(path) == hashes


# ---- atomicity, the journal, warnings --------------------------------------------------------------------------


def test_in_place_keeps_the_inode_and_falls_back_when_media_must_move(
    media: dict[str, Path], tmp_path: Path, record: Record
) -> None:
    path = copy(media, "moov-last", tmp_path)
    inode = path.stat().st_ino
    HANDLER.write(path, record, in_place=True)
    assert path.stat().st_ino == inode and [f.record for f in read(path).labels] == [record]
    first_path = copy(media, "moov-first", tmp_path)
    hashes = frame_hashes(first_path)
    HANDLER.write(first_path, record, in_place=True)  # moov must grow before mdat: atomic copy instead
    assert [f.record for f in read(first_path).labels] == [record] and frame_hashes(first_path) == hashes


@pytest.mark.parametrize("in_place", [True, False])
@pytest.mark.parametrize("size_zero_mdat", [False, True])
def test_move_moov_to_the_end_instead_of_moving_media(
    media: dict[str, Path], tmp_path: Path, record: Record, in_place: bool, size_zero_mdat: bool
) -> None:
    path = copy(media, "moov-first", tmp_path)
    if (
        size_zero_mdat
    ):  # the last box runs "to the end of the file": it must get its size before moov can follow
        data = bytearray(path.read_bytes())
        with open_source(path) as src:
            mdat = next(h for h in top_level(src) if h.type == b"mdat")
        data[mdat.offset : mdat.offset + 4] = b"\x00\x00\x00\x00"
        path.write_bytes(bytes(data))
    hashes, payload = frame_hashes(path), mdat_payloads(path)
    with open_source(path) as src:
        mdat_at = next(h.offset for h in top_level(src) if h.type == b"mdat")
        assert HANDLER.plan(src, record, move_moov=True).in_place
    inode = path.stat().st_ino
    HANDLER.moving_moov().write(path, record, in_place=in_place)
    assert (path.stat().st_ino == inode) is in_place
    assert layout(path)[0] == "ftyp" and layout(path)[1] == "free" and layout(path)[-1] == "moov"
    with open_source(path) as src:
        assert next(h.offset for h in top_level(src) if h.type == b"mdat") == mdat_at
    assert [f.record for f in read(path).labels] == [record]
    assert frame_hashes(path) == hashes and mdat_payloads(path) == payload and decode_errors(path) == ""


def test_crash_during_in_place_write_is_reported_by_reads_and_rolled_back_by_the_next_write(
    media: dict[str, Path], tmp_path: Path, record: Record
) -> None:
    from hegui.label import journal

    path = copy(media, "moov-last", tmp_path)
    original = path.read_bytes()
    with open_source(path) as src:
        plan = HANDLER.plan_in_place(src, record)
    assert plan is not None
    with open(path, "r+b") as handle:  # do what journal.apply does, then "crash" half-way through a region
        st = os.fstat(handle.fileno())
        journal_path(path).write_bytes(journal._encode(st, plan.size_after, plan.regions))
        region = plan.regions[-1]
        os.pwrite(handle.fileno(), region.new[: len(region.new) // 2], region.offset)
    torn = path.read_bytes()
    assert torn != original
    with pytest.raises(InputError, match="interrupted in-place write"):  # the read names the journal ...
        label_read(path)
    assert path.read_bytes() == torn and journal_path(path).exists()  # ... and changes nothing
    assert path.read_bytes() == torn and journal_path(path).exists()
    result = HANDLER.write(
        path, record, in_place=True, replace_foreign=True
    )  # the next write rolls back first, then labels
    assert result.recovery is not None and "rolled back" in result.recovery
    assert not journal_path(path).exists() and [f.record for f in read(path).labels] == [record]


def test_truncated_file_is_a_clear_error_and_nothing_changes(
    media: dict[str, Path], tmp_path: Path, record: Record
) -> None:
    path = copy(media, "moov-first", tmp_path)
    data = path.read_bytes()[:-100]
    path.write_bytes(data)
    with pytest.raises(InputError) as info:
        write(path, record)
    assert str(path) in str(info.value) and "byte" in str(info.value)
    assert path.read_bytes() == data
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


def test_c2pa_manifest_warns(media: dict[str, Path], tmp_path: Path, record: Record) -> None:
    path = copy(media, "moov-last", tmp_path)
    data = path.read_bytes()
    c2pa = box(b"uuid", bytes.fromhex("D8FEC3D61B0E483C92975828877EC481") + b"\x00" * 16)
    with open_source(path) as src:
        ftyp = top_level(src)[0]
    path.write_bytes(
        data[: ftyp.end] + c2pa + data[ftyp.end :]
    )  # shifts mdat: fix stco by hand is not needed,
    result = write(path, record)  # the decoder is not asked here; only the warning is
    assert any(f.rule == "c2pa-binding" for f in result.warnings)


def test_output_leaves_source_untouched(media: dict[str, Path], tmp_path: Path, record: Record) -> None:
    path = copy(media, "moov-first", tmp_path)
    before = path.read_bytes()
    out = tmp_path / "out"
    out.mkdir()
    result = write(path, record, output=out)
    assert path.read_bytes() == before and Path(result.output) == out / path.name
    assert read(out / path.name).valid


# ---- hostile input -------------------------------------------------------------------------------------------


FTYP = box(b"ftyp", b"isom\x00\x00\x02\x00isomiso2")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (FTYP + struct.pack(">I4s", 0x7FFFFFF0, b"moov"), "runs past the end"),
        (FTYP + struct.pack(">I4sQ", 1, b"mdat", 1 << 62), "runs past the end"),
        (FTYP + struct.pack(">I4s", 4, b"moov"), "less than its own"),
        (FTYP + struct.pack(">I4s", 1, b"moov") + b"\x00\x00", "truncated 64-bit"),
        (FTYP + struct.pack(">I4sQ", 1, b"moov", 8), "less than its own"),
        (FTYP + box(b"free", b""), "no moov"),
        (FTYP + box(b"moov", b"") * 2, "2 moov boxes"),
    ],
)
def test_broken_headers_are_clear_errors(tmp_path: Path, data: bytes, message: str) -> None:
    path = tmp_path / "bad.mp4"
    path.write_bytes(data)
    with pytest.raises(InputError, match=message):
        read(path)


def test_deep_nesting_is_refused(tmp_path: Path) -> None:
    inner = b""
    for _ in range(200):
        inner = box(b"udta", box(b"meta", b"\x00" * 4 + inner))
    path = tmp_path / "deep.mp4"
    path.write_bytes(FTYP + box(b"moov", inner))
    with pytest.raises(LimitExceededError, match="nested deeper"):
        read(path)


def test_huge_moov_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "huge.mp4"
    with open(path, "wb") as out:  # sparse: a moov of 300 MB is declared and present, but never read
        out.write(FTYP + struct.pack(">I4s", 300 * 1024 * 1024, b"moov"))
        out.truncate(len(FTYP) + 300 * 1024 * 1024)
    with pytest.raises(LimitExceededError, match="larger than the"):
        read(path)


def test_huge_key_count_is_refused(tmp_path: Path) -> None:
    keys = box(b"keys", struct.pack(">II", 0, 0xFFFFFFFF))
    meta = box(
        b"meta", b"\x00" * 4 + box(b"hdlr", b"\x00" * 8 + b"mdta" + b"\x00" * 13) + keys + box(b"ilst", b"")
    )
    path = tmp_path / "keys.mp4"
    path.write_bytes(FTYP + box(b"moov", box(b"udta", meta)))
    with pytest.raises(InputError, match="keys box declares"):
        read(path)


def test_size_zero_moov_reaches_the_end(tmp_path: Path) -> None:
    path = tmp_path / "zero.mp4"
    path.write_bytes(FTYP + struct.pack(">I4s", 0, b"moov") + box(b"udta", b""))
    assert read(path).labels == []


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzz_reader_only_raises_input_errors(
    media: dict[str, Path], tmp_path: Path, data: st.DataObject
) -> None:
    seed_path = tmp_path / "seed.mp4"
    if not seed_path.exists():
        shutil.copyfile(media["moov-first"], seed_path)
        write(seed_path, Record.new(PRODUCER, produce_id="fuzz"))
    damaged = data.draw(mutated(seed_path.read_bytes()))
    assert_reader_fails_cleanly(tmp_path / "f.mp4", damaged, "isobmff")


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzz_writer_labels_or_refuses(media: dict[str, Path], tmp_path: Path, data: st.DataObject) -> None:
    """A damaged file is labeled (and the read-back holds exactly one label) or refused with InputError,
    leaving it as it was. Seeds: moov last (room at the end) and fragmented (moof / mfra offsets move)."""
    kind = data.draw(st.sampled_from(["moov-last", "fragmented"]))
    damaged = data.draw(mutated(media[kind].read_bytes()))
    path = tmp_path / "w.mp4"
    path.write_bytes(damaged)
    record = Record.new(PRODUCER, produce_id="fuzz-w")
    try:
        write(path, record)
    except InputError:
        assert path.read_bytes() == damaged
    else:
        assert [f.record for f in read(path).labels] == [record]
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".w.mp4")) == []


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzz_moov_boxes(tmp_path: Path, data: st.DataObject) -> None:
    """Random box soup inside moov: size 0 / 1 / tiny / huge, nested containers, keys and ilst items."""
    kinds = st.sampled_from(
        [b"udta", b"meta", b"ilst", b"keys", b"hdlr", b"trak", b"stco", b"----", b"data", b"uuid"]
    )
    sizes = st.sampled_from([0, 1, 4, 7, 8, 9, 16, 0xFFFFFFFF])
    parts = data.draw(st.lists(st.tuples(sizes, kinds, st.binary(max_size=24)), min_size=1, max_size=12))
    body = b"".join(struct.pack(">I4s", size, kind) + tail for size, kind, tail in parts)
    assert_reader_fails_cleanly(tmp_path / "soup.mp4", FTYP + box(b"moov", body), "isobmff")
