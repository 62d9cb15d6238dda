"""WebP: simple-to-extended conversion, chunk order, RIFF sizes and padding, interop with ExifTool, pixels and
compressed data unchanged (lossy, lossless, animated), hostile input."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageCms, ImageSequence

from hegui.errors import InputError
from hegui.label import Record, read, write
from hegui.label.containers.base import open_source
from hegui.label.containers.webp import FLAG_ALPHA, FLAG_ANIMATION, FLAG_EXIF, FLAG_ICC, FLAG_XMP, iter_chunks
from hegui.label.samples import webp as webp_samples

from .conftest import (
    PRODUCER,
    assert_reader_fails_cleanly,
    exiftool_aigc,
    exiftool_json,
    exiftool_write_aigc,
    mutated,
)

TC260 = "http://www.tc260.org.cn/ns/AIGC/1.0/"


def samples(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    lossy, lossless, animated = webp_samples.make(folder)
    return {"lossy": lossy, "lossless": lossless, "animated": animated}


def frames(path: Path) -> list[bytes]:
    with Image.open(path) as image:
        return [frame.convert("RGBA").tobytes() for frame in ImageSequence.Iterator(image)]


def chunk_list(path: Path) -> list[tuple[bytes, bytes]]:
    """(FourCC, payload) of every chunk, parsed here independently of hegui's walker."""
    data = path.read_bytes()
    assert data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    assert struct.unpack("<I", data[4:8])[0] == len(data) - 8  # the RIFF size matches the file
    out = []
    pos = 12
    while pos < len(data):
        fourcc, size = struct.unpack("<4sI", data[pos : pos + 8])
        out.append((fourcc, data[pos + 8 : pos + 8 + size]))
        pos += 8 + size + (size & 1)
    assert pos == len(data)  # every odd-sized chunk was padded
    return out


def media_chunks(path: Path) -> list[tuple[bytes, bytes]]:
    return [(f, p) for f, p in chunk_list(path) if f not in (b"VP8X", b"XMP ")]


def riff(chunks: list[tuple[bytes, bytes]]) -> bytes:
    body = b"WEBP" + b"".join(
        f + struct.pack("<I", len(p)) + p + (b"\0" if len(p) & 1 else b"") for f, p in chunks
    )
    return b"RIFF" + struct.pack("<I", len(body)) + body


def xmp_packet(inner: str) -> bytes:
    return (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        f"{inner}</rdf:RDF></x:xmpmeta>"
    ).encode()


def vp8x(flags: int, width: int, height: int) -> bytes:
    return bytes([flags, 0, 0, 0]) + struct.pack("<I", width - 1)[:3] + struct.pack("<I", height - 1)[:3]


@pytest.mark.parametrize("kind", ["lossy", "lossless", "animated"])
def test_write_read_roundtrip_keeps_pixels_and_compressed_data(
    tmp_path: Path, record: Record, kind: str
) -> None:
    path = samples(tmp_path)[kind]
    before_frames, before_media = frames(path), media_chunks(path)
    with Image.open(path) as image:
        duration = image.info.get("duration")
    result = write(path, record)
    assert result.replaced is None and result.warnings == []
    scan = read(path)
    assert scan.valid and [f.record for f in scan.labels] == [record] and scan.labels[0].form == "xmp-element"
    assert frames(path) == before_frames and len(before_frames) == (2 if kind == "animated" else 1)
    assert media_chunks(path) == before_media  # VP8 / VP8L / ANIM / ANMF payloads byte for byte
    with Image.open(path) as image:
        assert image.info.get("duration") == duration


def test_simple_lossy_file_gets_a_vp8x_with_canvas_and_xmp_flag(tmp_path: Path, record: Record) -> None:
    path = samples(tmp_path)["lossy"]
    assert [f for f, _ in chunk_list(path)] == [b"VP8 "]
    write(path, record)
    chunks = chunk_list(path)
    assert [f for f, _ in chunks] == [b"VP8X", b"VP8 ", b"XMP "]  # VP8X first, XMP after the image data
    assert chunks[0][1] == vp8x(FLAG_XMP, 40, 40)


def test_simple_lossless_file_with_alpha_sets_the_alpha_flag(tmp_path: Path, record: Record) -> None:
    path = samples(tmp_path)["lossless"]
    with Image.open(path) as image:
        assert image.mode == "RGBA"
    write(path, record)
    chunks = chunk_list(path)
    assert [f for f, _ in chunks] == [b"VP8X", b"VP8L", b"XMP "]
    assert chunks[0][1] == vp8x(FLAG_XMP | FLAG_ALPHA, 40, 40)
    assert FLAG_XMP == 0x04 and FLAG_ALPHA == 0x10  # the container spec's bits, not the README's 0x10 for XMP


def test_animation_keeps_its_flags(tmp_path: Path, record: Record) -> None:
    path = samples(tmp_path)["animated"]
    old_flags = chunk_list(path)[0][1][0]
    write(path, record)
    chunks = chunk_list(path)
    assert chunks[0][1][0] == old_flags | FLAG_XMP and old_flags & FLAG_ANIMATION
    assert chunks[0][1][1:] == vp8x(0, 40, 40)[1:]
    assert [f for f, _ in chunks][-1] == b"XMP "


def test_exif_and_icc_chunks_are_kept_in_order(tmp_path: Path, record: Record) -> None:
    image = Image.linear_gradient("L").resize((30, 20)).convert("RGB")
    exif = Image.Exif()
    exif[0x010E] = "exif description"  # ImageDescription
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    path = tmp_path / "meta.webp"
    image.save(path, exif=exif.tobytes(), icc_profile=profile, quality=70)
    before = chunk_list(path)
    assert [f for f, _ in before] == [b"VP8X", b"ICCP", b"VP8 ", b"EXIF"]
    before_frames = frames(path)
    write(path, record)
    after = chunk_list(path)
    assert [f for f, _ in after] == [b"VP8X", b"ICCP", b"VP8 ", b"EXIF", b"XMP "]
    assert after[1:4] == before[1:4]
    assert after[0][1][0] == before[0][1][0] | FLAG_XMP and after[0][1][0] & (FLAG_ICC | FLAG_EXIF)
    assert frames(path) == before_frames
    data = exiftool_json(path)
    assert data.get("IFD0:ImageDescription") == "exif description"
    assert data.get("XMP-TC260:AIGC") == record.to_json()


@pytest.mark.parametrize("kind", ["lossy", "lossless", "animated"])
def test_exiftool_reads_what_hegui_writes(tmp_path: Path, record: Record, kind: str) -> None:
    path = samples(tmp_path)[kind]
    write(path, record)
    assert exiftool_aigc(path) == record.to_json()
    assert not any("Warning" in key for key in exiftool_json(path))


@pytest.mark.parametrize("kind", ["lossy", "lossless"])
def test_hegui_reads_what_exiftool_writes_and_replaces_it(
    tmp_path: Path, record: Record, other_record: Record, kind: str
) -> None:
    path = samples(tmp_path)[kind]
    before_frames = frames(path)
    exiftool_write_aigc(path, record.to_json())
    assert [f.record for f in read(path).labels] == [record]
    result = write(path, other_record)
    assert result.replaced == record
    assert [f for f, _ in chunk_list(path)].count(b"XMP ") == 1
    assert [f.record for f in read(path).labels] == [other_record]
    assert exiftool_aigc(path) == other_record.to_json()
    assert frames(path) == before_frames


def test_hand_built_extended_file_with_escaped_and_attribute_forms(tmp_path: Path, record: Record) -> None:
    lossless = samples(tmp_path)["lossless"]
    vp8l = chunk_list(lossless)[0][1]
    escaped = xmp_packet(
        f'<rdf:Description rdf:about="" xmlns:TC260="{TC260}" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        "<TC260:AIGC>{&quot;Label&quot;:&quot;1&quot;,&quot;ContentProducer&quot;:&quot;doubao&quot;,"
        "&quot;ProduceID&quot;:&quot;d-1&quot;}</TC260:AIGC><dc:format>image/webp</dc:format></rdf:Description>"
    )
    attribute = xmp_packet(
        f'<rdf:Description rdf:about="" xmlns:TC260="{TC260}" '
        'TC260:AIGC=\'{"Label":"3","ContentProducer":"picwish","ProduceID":"p-1"}\'/>'
    )
    odd = (b"ZZZZ", b"odd")  # an unknown, odd-sized chunk: kept, in its place, padded
    for name, packet, form, producer in (
        ("e.webp", escaped, "xmp-element", "doubao"),
        ("a.webp", attribute, "xmp-attribute", "picwish"),
    ):
        path = tmp_path / name
        path.write_bytes(
            riff([(b"VP8X", vp8x(FLAG_XMP | FLAG_ALPHA, 40, 40)), odd, (b"VP8L", vp8l), (b"XMP ", packet)])
        )
        scan = read(path)
        assert len(scan.labels) == 1 and scan.labels[0].form == form
        assert scan.labels[0].record is not None and scan.labels[0].record.ContentProducer == producer
        write(path, record, replace_foreign=True)
        assert [f.record for f in read(path).labels] == [record]
        assert [c for c in chunk_list(path) if c[0] != b"XMP "] == [
            (b"VP8X", vp8x(FLAG_XMP | FLAG_ALPHA, 40, 40)),
            odd,
            (b"VP8L", vp8l),
        ]
    assert exiftool_json(tmp_path / "e.webp").get("XMP-dc:Format") == "image/webp"


def test_exif_user_comment_label_is_read_and_moved_into_xmp(tmp_path: Path, record: Record) -> None:
    # EXIF built byte by byte: TIFF header (II), IFD0 with the ExifIFD pointer, ExifIFD with UserComment
    # (type 7 UNDEFINED, "ASCII\0\0\0" + the {"AIGC":{...}} wrapper), as HarmonyOS writes it (reference §2.7).
    comment = (
        b'ASCII\0\0\0{"AIGC":{"Label":"1","ContentProducer":"001191440300708461136T1308L","ProduceID":"t"}}'
    )
    ifd0 = struct.pack("<H", 1) + struct.pack("<HHII", 0x8769, 4, 1, 26) + struct.pack("<I", 0)
    exif_ifd = struct.pack("<H", 1) + struct.pack("<HHII", 0x9286, 7, len(comment), 44) + struct.pack("<I", 0)
    tiff = b"II*\0" + struct.pack("<I", 8) + ifd0 + exif_ifd + comment
    assert len(b"II*\0") + 4 + len(ifd0) == 26 and 26 + len(exif_ifd) == 44
    lossy = samples(tmp_path)["lossy"]
    vp8 = chunk_list(lossy)[0][1]
    path = tmp_path / "exif.webp"
    path.write_bytes(riff([(b"VP8X", vp8x(FLAG_EXIF, 40, 40)), (b"VP8 ", vp8), (b"EXIF", tiff)]))
    scan = read(path)
    assert len(scan.labels) == 1 and scan.labels[0].location == "EXIF chunk UserComment"
    assert scan.labels[0].form == "wrapped-json" and scan.labels[0].valid
    assert exiftool_json(path).get("ExifIFD:UserComment", "").startswith('{"AIGC"')
    write(path, record, replace_foreign=True)
    assert [f.record for f in read(path).labels] == [record]
    chunks = dict(chunk_list(path))
    assert len(chunks[b"EXIF"]) == len(tiff) and b"1308L" not in path.read_bytes()  # blanked in place
    assert exiftool_aigc(path) == record.to_json()


def test_aigc_chunk_is_read_and_replaced(tmp_path: Path, record: Record) -> None:
    lossy = samples(tmp_path)["lossy"]
    vp8 = chunk_list(lossy)[0][1]
    path = tmp_path / "aigc.webp"
    bare = b'{"Label":"1","ContentProducer":"kling","ProduceID":"k"}'
    path.write_bytes(riff([(b"VP8X", vp8x(0, 40, 40)), (b"VP8 ", vp8), (b"AIGC", bare)]))
    assert read(path).labels[0].location == "AIGC chunk"
    write(path, record, replace_foreign=True)
    assert [f for f, _ in chunk_list(path)] == [b"VP8X", b"VP8 ", b"XMP "]
    assert [f.record for f in read(path).labels] == [record]


def test_c2pa_chunk_warns_and_is_kept(tmp_path: Path, record: Record) -> None:
    lossy = samples(tmp_path)["lossy"]
    vp8 = chunk_list(lossy)[0][1]
    path = tmp_path / "c2pa.webp"
    path.write_bytes(riff([(b"VP8X", vp8x(0, 40, 40)), (b"VP8 ", vp8), (b"C2PA", b"jumbf!")]))
    assert any("C2PA" in f.message for f in read(path).findings)
    result = write(path, record)
    assert any("C2PA" in f.message for f in result.warnings)
    assert (b"C2PA", b"jumbf!") in chunk_list(path)


def test_reading_never_touches_the_image_bitstream(tmp_path: Path, record: Record) -> None:
    # The VP8L payload is garbage no decoder accepts; the label is still read: only chunk headers are parsed.
    path = tmp_path / "g.webp"
    packet = xmp_packet(
        f'<rdf:Description rdf:about="" xmlns:TC260="{TC260}" TC260:AIGC=\'{record.to_json()}\'/>'
    )
    path.write_bytes(riff([(b"VP8X", vp8x(FLAG_XMP, 8, 8)), (b"VP8L", b"\xaa" * 5000), (b"XMP ", packet)]))
    assert [f.record for f in read(path).labels] == [record]


def test_output_leaves_source_untouched(tmp_path: Path, record: Record) -> None:
    path = samples(tmp_path)["lossy"]
    before = path.read_bytes()
    out = tmp_path / "out"
    out.mkdir()
    result = write(path, record, output=out)
    assert path.read_bytes() == before and read(Path(result.output)).valid


def test_truncated_file_is_a_clear_error_and_nothing_changes(tmp_path: Path, record: Record) -> None:
    path = samples(tmp_path)["animated"]
    data = path.read_bytes()[:-30]
    path.write_bytes(data)
    with pytest.raises(InputError) as info:
        write(path, record)
    assert str(path) in str(info.value) and "runs past the end" in str(info.value)
    assert path.read_bytes() == data and len(list(path.parent.iterdir())) == 3


def test_huge_declared_chunk_size_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.webp"
    path.write_bytes(
        b"RIFF" + struct.pack("<I", 0xFFFFFFF0) + b"WEBP" + b"XMP " + struct.pack("<I", 0xFFFFFF00) + b"x"
    )
    with pytest.raises(InputError, match="at byte 12: truncated WebP"):
        read(path)


def test_oversized_xmp_chunk_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.webp"
    path.write_bytes(riff([(b"VP8X", vp8x(FLAG_XMP, 8, 8)), (b"XMP ", b" " * (17 * 1024 * 1024))]))
    with pytest.raises(InputError, match="over the limit"):
        read(path)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), kind=st.sampled_from(["lossy", "animated"]))
def test_fuzz_reader_only_raises_input_errors(tmp_path: Path, data: st.DataObject, kind: str) -> None:
    seed = tmp_path / "seed"
    if not seed.exists():
        for path in samples(seed).values():
            write(path, Record.new(PRODUCER, produce_id="fuzz"))
    seed_path = {"lossy": seed / "sample-lossy.webp", "animated": seed / "sample-anim.webp"}[kind]
    damaged = data.draw(mutated(seed_path.read_bytes()))
    assert_reader_fails_cleanly(tmp_path / "f.webp", damaged, "webp")


def test_chunk_walker_agrees_with_an_independent_walk(tmp_path: Path, record: Record) -> None:
    for path in samples(tmp_path).values():
        write(path, record)
        with open_source(path) as src:
            ours = [c.fourcc for c in iter_chunks(src)]
        assert ours == [f for f, _ in chunk_list(path)]
