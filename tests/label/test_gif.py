"""GIF: write, read back, interop with ExifTool, every frame and every data block unchanged, hostile input."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageSequence

from hegui.errors import InputError
from hegui.label import Record, read, write
from hegui.label.containers.base import open_source
from hegui.label.containers.gif import EXTENSION, IMAGE, MAGIC_TRAILER, XMP_APP_ID, Block, iter_blocks
from hegui.label.samples import gif as gif_samples

from .conftest import (
    EXIFTOOL_CONFIG,
    PRODUCER,
    assert_reader_fails_cleanly,
    exiftool_aigc,
    exiftool_bin,
    exiftool_json,
    exiftool_write_aigc,
    mutated,
)


def make_gif(folder: Path) -> Path:
    """A three-frame animation with a NETSCAPE loop extension and a comment (Pillow, not hegui)."""
    folder.mkdir(parents=True, exist_ok=True)
    return gif_samples.make(folder)[0]


def frames(path: Path) -> list[bytes]:
    with Image.open(path) as image:
        return [frame.convert("RGBA").tobytes() for frame in ImageSequence.Iterator(image)]


def blocks_of(path: Path) -> tuple[list[Block], bytes]:
    with open_source(path) as src:
        return iter_blocks(src)[2], path.read_bytes()


def non_xmp_blocks(path: Path) -> list[bytes]:
    """The bytes of every block except XMP application extensions: images, LZW data, loop, comments, controls."""
    blocks, data = blocks_of(path)
    return [data[b.offset : b.end] for b in blocks if b.app_id != XMP_APP_ID]


def gif_with_block(path: Path, block: bytes) -> None:
    """Insert ``block`` as the first block after the global colour table."""
    data = path.read_bytes()
    with open_source(path) as src:
        first = iter_blocks(src)[1]
    path.write_bytes(data[:first] + block + data[first:])


def sub_blocks(data: bytes) -> bytes:
    return (
        b"".join(bytes([len(data[i : i + 255])]) + data[i : i + 255] for i in range(0, len(data), 255))
        + b"\0"
    )


def test_write_read_roundtrip_keeps_every_frame_and_block(tmp_path: Path, record: Record) -> None:
    path = make_gif(tmp_path)
    before_frames, before_blocks = frames(path), non_xmp_blocks(path)
    with Image.open(path) as image:
        loop, comment = image.info.get("loop"), image.info.get("comment")
    result = write(path, record)
    assert result.replaced is None and result.warnings == []
    scan = read(path)
    assert scan.valid and [f.record for f in scan.labels] == [record]
    assert scan.labels[0].form == "xmp-element"
    assert len(before_frames) == 3 and frames(path) == before_frames
    assert non_xmp_blocks(path) == before_blocks
    with Image.open(path) as image:
        assert image.info.get("loop") == loop == 0 and image.info.get("comment") == comment


def test_xmp_goes_before_the_first_image_with_the_magic_trailer(tmp_path: Path, record: Record) -> None:
    path = make_gif(tmp_path)
    write(path, record)
    blocks, data = blocks_of(path)
    kinds = [(b.kind, b.label, b.app_id) for b in blocks]
    xmp_index = next(i for i, b in enumerate(blocks) if b.app_id == XMP_APP_ID)
    first_image = next(i for i, (kind, _, _) in enumerate(kinds) if kind == IMAGE)
    assert xmp_index < first_image
    xmp_block = blocks[xmp_index]
    assert data[xmp_block.end - len(MAGIC_TRAILER) : xmp_block.end] == MAGIC_TRAILER
    assert len(MAGIC_TRAILER) == 258
    assert sum(1 for b in blocks if b.app_id == XMP_APP_ID) == 1


def test_exiftool_reads_what_hegui_writes(tmp_path: Path, record: Record) -> None:
    path = make_gif(tmp_path)
    write(path, record)
    assert exiftool_aigc(path) == record.to_json()
    data = exiftool_json(path)
    assert data.get("GIF:FrameCount") == 3 and data.get("File:Comment") == "hegui sample"
    assert not any("Warning" in key for key in data)


def test_hegui_reads_what_exiftool_writes_and_replaces_it(
    tmp_path: Path, record: Record, other_record: Record
) -> None:
    path = make_gif(tmp_path)
    before_frames = frames(path)
    exiftool_write_aigc(path, record.to_json())
    scan = read(path)
    assert [f.record for f in scan.labels] == [record]
    result = write(path, other_record)
    assert result.replaced == record and any(f.rule == "gb45438-6.1c" for f in result.warnings)
    assert [f.record for f in read(path).labels] == [other_record]
    assert exiftool_aigc(path) == other_record.to_json()
    assert frames(path) == before_frames


def test_other_xmp_properties_are_kept(tmp_path: Path, record: Record) -> None:
    path = make_gif(tmp_path)
    subprocess.run(
        [
            exiftool_bin(),
            "-config",
            str(EXIFTOOL_CONFIG),
            "-overwrite_original",
            "-XMP-dc:Title=keep me",
            str(path),
        ],
        check=True,
        capture_output=True,
    )
    write(path, record)
    data = exiftool_json(path)
    assert data.get("XMP-dc:Title") == "keep me"
    assert data.get("XMP-TC260:AIGC") == record.to_json()


def test_entity_escaped_and_attribute_forms_built_by_hand(tmp_path: Path) -> None:
    # The Doubao form (entity-escaped JSON as element text) and the PicWish attribute form (reference §2.3),
    # each in an XMP application extension built byte by byte: raw packet + magic trailer.
    escaped = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:TC260="http://www.tc260.org.cn/ns/AIGC/1.0/">'
        "<TC260:AIGC>{&quot;Label&quot;:&quot;1&quot;,&quot;ContentProducer&quot;:&quot;doubao&quot;,"
        "&quot;ProduceID&quot;:&quot;abc&quot;}</TC260:AIGC></rdf:Description></rdf:RDF></x:xmpmeta>"
    )
    attribute = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:TC260="http://www.tc260.org.cn/ns/AIGC/1.0/" '
        'TC260:AIGC=\'{"Label":"2","ContentProducer":"picwish","ProduceID":"p1"}\'/>'
        "</rdf:RDF></x:xmpmeta>"
    )
    for name, packet, form, producer in (
        ("e", escaped, "xmp-element", "doubao"),
        ("a", attribute, "xmp-attribute", "picwish"),
    ):
        path = make_gif(tmp_path / name)
        gif_with_block(
            path, b"\x21\xff\x0bXMP DataXMP" + packet.encode() + b"\x01" + bytes(range(255, -1, -1)) + b"\0"
        )
        scan = read(path)
        assert len(scan.labels) == 1 and scan.labels[0].form == form
        assert scan.labels[0].record is not None and scan.labels[0].record.ContentProducer == producer
        assert exiftool_aigc(path) is not None  # the hand-built block is valid for ExifTool too


def test_xmp_split_into_ordinary_sub_blocks_is_read(tmp_path: Path, record: Record) -> None:
    escaped = record.to_json().replace('"', "&quot;")
    packet = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:TC260="http://www.tc260.org.cn/ns/AIGC/1.0/">'
        f"<TC260:AIGC>{escaped}</TC260:AIGC>"
        "</rdf:Description></rdf:RDF></x:xmpmeta>"
    ).encode()
    path = make_gif(tmp_path)
    gif_with_block(path, b"\x21\xff\x0bXMP DataXMP" + sub_blocks(packet))
    assert [f.record for f in read(path).labels] == [record]


def test_comment_extension_label_is_read_and_moved_into_xmp(tmp_path: Path, record: Record) -> None:
    path = make_gif(tmp_path)
    before_frames = frames(path)
    wrapped = b'{"AIGC":{"Label":"1","ContentProducer":"kling","ProduceID":"k-1"}}'
    gif_with_block(path, b"\x21\xfe" + sub_blocks(wrapped))
    scan = read(path)
    assert len(scan.labels) == 1 and scan.labels[0].location == "Comment Extension"
    assert scan.labels[0].form == "wrapped-json"
    assert scan.labels[0].record is not None and scan.labels[0].record.ContentProducer == "kling"
    write(path, record, replace_foreign=True)
    scan = read(path)
    assert [f.record for f in scan.labels] == [record] and scan.labels[0].form == "xmp-element"
    assert b"kling" not in path.read_bytes()
    with Image.open(path) as image:
        assert image.info.get("comment") == b"hegui sample"  # the unrelated comment stays
    assert frames(path) == before_frames


def test_gif87a_is_labeled_as_gif89a_with_identical_pixels(tmp_path: Path, record: Record) -> None:
    image = Image.linear_gradient("L").resize((20, 10)).convert("P")
    path = tmp_path / "old.gif"
    image.save(path)
    data = path.read_bytes()
    path.write_bytes(b"GIF87a" + data[6:])  # Pillow writes 89a only when it needs to; force the old version
    before_frames, before_blocks = frames(path), non_xmp_blocks(path)
    write(path, record)
    assert path.read_bytes()[:6] == b"GIF89a"
    assert frames(path) == before_frames and non_xmp_blocks(path) == before_blocks
    assert exiftool_aigc(path) == record.to_json()


def test_c2pa_extension_warns(tmp_path: Path, record: Record) -> None:
    path = make_gif(tmp_path)
    gif_with_block(path, b"\x21\xff\x0bC2PA_GIF\x01\x00\x00" + sub_blocks(b"jumbf manifest bytes"))
    assert any("C2PA" in f.message for f in read(path).findings)
    result = write(path, record)
    assert any("C2PA" in f.message for f in result.warnings)
    assert b"jumbf manifest bytes" in path.read_bytes()


def test_output_leaves_source_untouched(tmp_path: Path, record: Record) -> None:
    path = make_gif(tmp_path)
    before = path.read_bytes()
    out = tmp_path / "out"
    out.mkdir()
    result = write(path, record, output=out)
    assert path.read_bytes() == before and Path(result.output) == out / path.name
    assert read(out / path.name).valid


def test_truncated_file_is_a_clear_error_and_nothing_changes(tmp_path: Path, record: Record) -> None:
    path = make_gif(tmp_path)
    data = path.read_bytes()[:-40]
    path.write_bytes(data)
    with pytest.raises(InputError) as info:
        write(path, record)
    assert str(path) in str(info.value) and "byte" in str(info.value)
    assert path.read_bytes() == data
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]


def test_bad_block_introducer_names_the_offset(tmp_path: Path) -> None:
    path = make_gif(tmp_path)
    with open_source(path) as src:
        first = iter_blocks(src)[1]
    data = bytearray(path.read_bytes())
    data[first] = 0x99
    path.write_bytes(bytes(data))
    with pytest.raises(InputError, match=f"at byte {first}: invalid GIF block introducer 0x99"):
        read(path)


def test_unterminated_sub_blocks_are_refused(tmp_path: Path) -> None:
    path = make_gif(tmp_path)
    with open_source(path) as src:
        first = iter_blocks(src)[1]
    # a comment whose sub-block declares 255 bytes but the file ends after 100
    path.write_bytes(path.read_bytes()[:first] + b"\x21\xfe\xff" + b"A" * 100)
    with pytest.raises(InputError, match="truncated GIF"):
        read(path)


def test_oversized_comment_is_refused(tmp_path: Path) -> None:
    path = make_gif(tmp_path)
    huge = b"AIGC{" * 4_000_000  # 20 MB comment: over the metadata limit, refused before it is read whole
    gif_with_block(path, b"\x21\xfe" + sub_blocks(huge))
    with pytest.raises(InputError, match="over the limit"):
        read(path)


def test_extension_block_kinds_are_walked(tmp_path: Path) -> None:
    path = make_gif(tmp_path)
    blocks, _ = blocks_of(path)
    assert [b.kind for b in blocks].count(IMAGE) == 3
    assert any(b.kind == EXTENSION and b.app_id == b"NETSCAPE2.0" for b in blocks)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzz_reader_only_raises_input_errors(tmp_path: Path, data: st.DataObject) -> None:
    seed_path = tmp_path / "seed" / "sample.gif"
    if not seed_path.exists():
        make_gif(seed_path.parent)
        write(seed_path, Record.new(PRODUCER, produce_id="fuzz"))
    damaged = data.draw(mutated(seed_path.read_bytes()))
    assert_reader_fails_cleanly(tmp_path / "f.gif", damaged, "gif")
