"""TIFF: write, read back, interop with ExifTool, strips byte-identical, hand-built real-world forms, hostile input."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageCms

from hegui.errors import InputError, LimitExceededError
from hegui.label import ForeignLabelError, Record, read, write
from hegui.label.containers.base import Source, open_source
from hegui.label.containers.tiff import CONTAINERS, Tiff

from .conftest import (
    PRODUCER,
    assert_reader_fails_cleanly,
    exiftool_aigc,
    exiftool_json,
    exiftool_write_aigc,
    mutated,
)

NS = b"http://www.tc260.org.cn/ns/AIGC/1.0/"
BARE = '{"Label":"1","ContentProducer":"001191440300708461136T1XGW3","ProduceID":"vec-001"}'
SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 7: 1}


def build_tiff(
    order: str,
    extra: dict[int, tuple[int, bytes]] | None = None,
    exif: dict[int, tuple[int, bytes]] | None = None,
    *,
    width: int = 12,
    height: int = 7,
) -> bytes:
    """A classic TIFF built byte by byte (8-bit gray, one uncompressed strip), with optional tags and Exif IFD.

    Values are given as (field type, raw bytes already in ``order``); layout: header, IFD0, Exif IFD, values, strip.
    """
    e = "<" if order == "II" else ">"
    pixels = bytes((x * 37 + x // width * 11) % 256 for x in range(width * height))
    ifd0: dict[int, tuple[int, bytes]] = {
        256: (4, struct.pack(e + "I", width)),
        257: (4, struct.pack(e + "I", height)),
        258: (3, struct.pack(e + "H", 8)),
        259: (3, struct.pack(e + "H", 1)),
        262: (3, struct.pack(e + "H", 1)),
        273: (4, b"\0\0\0\0"),
        277: (3, struct.pack(e + "H", 1)),
        278: (4, struct.pack(e + "I", height)),
        279: (4, struct.pack(e + "I", len(pixels))),
        **(extra or {}),
    }
    if exif is not None:
        ifd0[0x8769] = (4, b"\0\0\0\0")
    ifd0_at = 8
    exif_at = ifd0_at + 2 + 12 * len(ifd0) + 4
    data_at = exif_at + (2 + 12 * len(exif) + 4 if exif is not None else 0)
    values = bytearray()

    def table(entries: dict[int, tuple[int, bytes]], fixups: dict[int, int]) -> bytes:
        out = struct.pack(e + "H", len(entries))
        for tag in sorted(entries):
            ftype, raw = entries[tag]
            if tag in fixups:
                raw = struct.pack(e + "I", fixups[tag])
            if len(raw) <= 4:
                field = raw.ljust(4, b"\0")
            else:
                if (data_at + len(values)) % 2:
                    values.append(0)
                field = struct.pack(e + "I", data_at + len(values))
                values.extend(raw)
            out += struct.pack(e + "HHI", tag, ftype, len(raw) // SIZES[ftype]) + field
        return out + b"\0\0\0\0"

    exif_table = table(exif, {}) if exif is not None else b""
    first = table(ifd0, {273: 0, 0x8769: exif_at})  # first pass: how much room the values take
    strip_at = data_at + len(values) + (data_at + len(values)) % 2
    values.clear()
    exif_table = table(exif, {}) if exif is not None else b""
    first = table(ifd0, {273: strip_at, 0x8769: exif_at})
    body = (b"II*\0" if order == "II" else b"MM\0*") + struct.pack(e + "I", ifd0_at) + first + exif_table
    body += bytes(values)
    body += b"\0" * (strip_at - len(body))
    return body + pixels


def packet(inner: bytes) -> bytes:
    return (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        + inner
        + b"</rdf:RDF></x:xmpmeta>"
    )


def element_packet(value: str) -> bytes:
    escaped = value.replace('"', "&quot;").encode()
    return packet(
        b'<rdf:Description rdf:about="" xmlns:TC260="' + NS + b'"><TC260:AIGC>' + escaped + b"</TC260:AIGC>"
        b'</rdf:Description><rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        b"<dc:format>image/tiff</dc:format></rdf:Description>"
    )


def attribute_packet(value: str) -> bytes:
    escaped = value.replace('"', "&quot;").encode()
    return packet(b'<rdf:Description rdf:about="" xmlns:TC260="' + NS + b'" TC260:AIGC="' + escaped + b'"/>')


def strips(path: Path) -> list[bytes]:
    """Every strip of every page, located by Pillow (independent of hegui's IFD parser)."""
    out: list[bytes] = []
    data = path.read_bytes()
    with Image.open(path) as image:
        for page in range(getattr(image, "n_frames", 1)):
            image.seek(page)
            offsets, counts = image.tag_v2[273], image.tag_v2[279]
            out.extend(data[o : o + c] for o, c in zip(offsets, counts, strict=True))
    return out


def pages(path: Path) -> list[bytes]:
    with Image.open(path) as image:
        result = []
        for page in range(getattr(image, "n_frames", 1)):
            image.seek(page)
            result.append(image.tobytes())
        return result


def make_pillow_tiff(path: Path, *, pages: bool = True, **options: object) -> Path:
    image = Image.new("RGB", (40, 30))
    image.putdata([(x * 7 % 256, x * 13 % 256, x * 29 % 256) for x in range(40 * 30)])
    second = image.rotate(90, expand=True)
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    if not pages:  # Pillow writes BigTIFF only through its own (uncompressed, single-page) writer
        image.save(path, tiffinfo={270: "test description"}, icc_profile=icc, **options)
        return path
    image.save(
        path,
        compression="tiff_lzw",
        tiffinfo={270: "test description"},
        icc_profile=icc,
        save_all=True,
        append_images=[second],
        **options,
    )
    return path


def test_roundtrip_keeps_pixels_strips_pages_and_tags(tmp_path: Path, record: Record) -> None:
    path = make_pillow_tiff(tmp_path / "a.tif")
    before_pages, before_strips = pages(path), strips(path)
    icc = Image.open(path).info["icc_profile"]
    result = write(path, record)
    assert result.replaced is None and result.warnings == []
    scan = read(path)
    assert scan.valid and [f.record for f in scan.labels] == [record]
    assert scan.labels[0].form == "xmp-element" and scan.labels[0].location.startswith("IFD0 XMLPacket")
    assert pages(path) == before_pages
    assert strips(path) == before_strips
    with Image.open(path) as image:
        assert image.info["icc_profile"] == icc and image.tag_v2[270] == "test description"
    assert exiftool_aigc(path) == record.to_json()
    assert exiftool_json(path).get("IFD0:ImageDescription") == "test description"


@pytest.mark.parametrize("order", ["II", "MM"])
def test_both_byte_orders_exiftool_reads_exact_json(tmp_path: Path, record: Record, order: str) -> None:
    path = tmp_path / "a.tif"
    path.write_bytes(build_tiff(order))
    before_pixels, before_strips = pages(path), strips(path)
    write(path, record)
    assert exiftool_aigc(path) == record.to_json()
    assert pages(path) == before_pixels and strips(path) == before_strips
    assert path.read_bytes()[:2] == order.encode()


def test_hegui_reads_what_exiftool_writes(tmp_path: Path, record: Record) -> None:
    path = make_pillow_tiff(tmp_path / "a.tif")
    exiftool_write_aigc(path, record.to_json())
    scan = read(path)
    assert [f.record for f in scan.labels] == [record] and scan.valid


def test_rewrite_replaces_in_place_instead_of_duplicating(
    tmp_path: Path, record: Record, other_record: Record
) -> None:
    path = make_pillow_tiff(tmp_path / "a.tif")
    write(path, record)
    size = path.stat().st_size
    result = write(path, Record.new(PRODUCER, produce_id="d2c7a0d4-52d5-4b8e-9f7e-2f0c1f6a3b12"))
    assert path.stat().st_size == size  # same-length packet: rewritten where it was
    result = write(path, other_record)
    assert result.replaced is not None and any(f.rule == "gb45438-6.1c" for f in result.warnings)
    assert [f.record for f in read(path).labels] == [other_record]
    assert record.ProduceID.encode() not in path.read_bytes()  # no stale copy of an old label left behind
    assert exiftool_aigc(path) == other_record.to_json()


@pytest.mark.parametrize(("order", "ftype"), [("MM", 1), ("II", 7)])
def test_entity_escaped_element_written_by_others(
    tmp_path: Path, record: Record, order: str, ftype: int
) -> None:
    path = tmp_path / "a.tif"
    path.write_bytes(build_tiff(order, {700: (ftype, element_packet(BARE))}))
    scan = read(path)
    assert len(scan.labels) == 1 and scan.labels[0].form == "xmp-element"
    assert scan.labels[0].record is not None and scan.labels[0].record.ProduceID == "vec-001"
    write(path, record)
    assert [f.record for f in read(path).labels] == [record]
    assert exiftool_aigc(path) == record.to_json()
    assert exiftool_json(path).get("XMP-dc:Format") == "image/tiff"  # other namespaces kept


def test_attribute_form_written_by_others(tmp_path: Path, record: Record) -> None:
    path = tmp_path / "a.tif"
    path.write_bytes(build_tiff("II", {700: (7, attribute_packet(BARE))}))
    scan = read(path)
    assert [f.form for f in scan.labels] == ["xmp-attribute"]
    assert scan.labels[0].record is not None and scan.labels[0].record.ProduceID == "vec-001"
    write(path, record)
    assert [(f.form, f.record) for f in read(path).labels] == [("xmp-element", record)]


@pytest.mark.parametrize(
    ("order", "prefix", "encoding"),
    [("II", b"ASCII\0\0\0", "ascii"), ("MM", b"UNICODE\0", "utf-16-be"), ("II", b"\0" * 8, "ascii")],
)
def test_exif_user_comment_updated_in_place(
    tmp_path: Path, record: Record, order: str, prefix: bytes, encoding: str
) -> None:
    wrapped = '{"AIGC":' + BARE + "}"
    path = tmp_path / "a.tif"
    path.write_bytes(build_tiff(order, exif={0x9286: (7, prefix + wrapped.encode(encoding))}))
    scan = read(path)
    assert [(f.location, f.form) for f in scan.labels] == [("EXIF UserComment", "wrapped-json")]
    assert scan.labels[0].record is not None and scan.labels[0].record.ProduceID == "vec-001"
    before = strips(path)
    write(path, record)
    scan = read(path)
    assert [(f.location, f.record) for f in scan.labels] == [("EXIF UserComment", record)]
    assert exiftool_json(path).get("ExifIFD:UserComment") == record.to_wrapped_json()
    assert exiftool_aigc(path) is None  # one label only: no second copy in XMP
    assert strips(path) == before


def test_user_comment_copy_is_emptied_when_xmp_holds_the_label(tmp_path: Path, record: Record) -> None:
    wrapped = b'ASCII\0\0\0{"AIGC":' + BARE.encode() + b"}"
    path = tmp_path / "a.tif"
    path.write_bytes(build_tiff("MM", {700: (1, element_packet(BARE))}, exif={0x9286: (7, wrapped)}))
    assert len(read(path).labels) == 2
    write(path, record)
    assert [f.location for f in read(path).labels] == ["IFD0 XMLPacket TC260:AIGC"]
    assert not exiftool_json(path).get("ExifIFD:UserComment")
    assert exiftool_aigc(path) == record.to_json()


def test_bigtiff_read_and_write(tmp_path: Path, record: Record) -> None:
    path = make_pillow_tiff(tmp_path / "a.tif", pages=False, big_tiff=True)
    assert path.read_bytes()[2:4] == b"+\0"
    before_pages, before_strips = pages(path), strips(path)
    write(path, record)
    assert [f.record for f in read(path).labels] == [record]
    assert pages(path) == before_pages and strips(path) == before_strips
    assert exiftool_aigc(path) == record.to_json()


def test_c2pa_tag_warns(tmp_path: Path, record: Record) -> None:
    path = tmp_path / "a.tif"
    path.write_bytes(build_tiff("II", {0xCD41: (7, b"\0\0\0\x10jumb" + b"c2pa" * 2)}))
    assert any(f.rule == "c2pa-binding" for f in read(path).findings)
    assert any(f.rule == "c2pa-binding" for f in write(path, record).warnings)


def test_reading_touches_only_the_ifds(tmp_path: Path) -> None:
    path = tmp_path / "a.tif"
    path.write_bytes(build_tiff("II", {700: (7, element_packet(BARE))}, width=1000, height=1000))

    class Counting(Source):
        total = 0

        def read_at(self, offset: int, length: int, *, what: str = "data") -> bytes:
            Counting.total += length
            return super().read_at(offset, length, what=what)

    with path.open("rb") as handle:
        labels = CONTAINERS[0].scan(Counting(handle, path, path.stat().st_size))
    assert len(labels) == 1 and Counting.total < 4000  # the 1,000,000-byte strip is never read


def test_ifd_loop_is_refused(tmp_path: Path) -> None:
    data = bytearray(build_tiff("II", exif={0x9000: (7, b"0230")}))
    # Point the Exif IFD pointer back at IFD0.
    with open_source(_write(tmp_path / "a.tif", bytes(data))) as src:
        tiff = Tiff(src, src.path)
        entry = tiff.read_ifd(8).get(0x8769)
        assert entry is not None and entry.value_offset is not None
    data[entry.value_offset : entry.value_offset + 4] = struct.pack("<I", 8)
    path = _write(tmp_path / "a.tif", bytes(data))
    with pytest.raises(InputError, match="loop"):
        read(path)


def test_next_ifd_loop_ends_the_walk(tmp_path: Path) -> None:
    data = bytearray(build_tiff("MM"))
    (count,) = struct.unpack(">H", data[8:10])
    data[10 + 12 * count : 14 + 12 * count] = struct.pack(">I", 8)  # IFD0's next pointer: IFD0 again
    path = _write(tmp_path / "a.tif", bytes(data))
    with open_source(path) as src, pytest.raises(InputError, match="loop"):
        list(Tiff(src, path).walk())


def test_huge_entry_count_and_value_are_refused(tmp_path: Path, record: Record) -> None:
    path = _write(tmp_path / "a.tif", b"II*\0\x08\0\0\0\xff\xff" + b"\0" * 64)
    with pytest.raises(LimitExceededError, match="entries"):
        read(path)
    data = bytearray(build_tiff("II", {700: (7, element_packet(BARE))}))
    with open_source(_write(tmp_path / "b.tif", bytes(data))) as src:
        entry = Tiff(src, src.path).read_ifd(8).get(700)
        assert entry is not None
    data[entry.offset + 4 : entry.offset + 8] = struct.pack("<I", 0x7FFFFFF0)
    path = _write(tmp_path / "b.tif", bytes(data))
    with pytest.raises(LimitExceededError, match="700"):
        read(path)
    with pytest.raises(InputError):
        write(path, record)
    assert path.read_bytes() == bytes(data)


def test_truncated_file_is_a_clear_error_and_nothing_changes(tmp_path: Path, record: Record) -> None:
    path = tmp_path / "a.tif"
    data = build_tiff("II", {700: (7, element_packet(BARE))})
    path.write_bytes(data[:60])
    with pytest.raises(InputError) as info:
        write(path, record)
    assert str(path) in str(info.value) and "byte" in str(info.value)
    assert path.read_bytes() == data[:60]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.tif"]


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzz_reader_only_raises_input_errors(tmp_path: Path, data: st.DataObject) -> None:
    seed = build_tiff(
        "MM",
        {700: (1, element_packet(BARE))},
        exif={0x9286: (7, b'ASCII\0\0\0{"AIGC":' + BARE.encode() + b"}")},
        width=4,
        height=3,
    )
    damaged = data.draw(mutated(seed))
    assert_reader_fails_cleanly(tmp_path / "f.tif", damaged, "tiff")
    path = tmp_path / "f.tif"
    try:
        with open_source(path) as src:
            list(Tiff(src, path).walk())
    except InputError:
        pass


def test_empty_xml_packet_tag_is_filled(tmp_path: Path, record: Record) -> None:
    path = _write(tmp_path / "a.tif", build_tiff("MM", {700: (7, b"\0" * 6)}))
    assert read(path).labels == []
    write(path, record)
    assert [f.record for f in read(path).labels] == [record] and exiftool_aigc(path) == record.to_json()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzz_writer_labels_or_refuses_cleanly(tmp_path: Path, data: st.DataObject) -> None:
    seed = build_tiff(
        "II",
        {700: (7, element_packet(BARE))},
        exif={0x9286: (7, b'ASCII\0\0\0{"AIGC":' + BARE.encode() + b"}")},
        width=4,
        height=3,
    )
    path = _write(tmp_path / "w.tif", data.draw(mutated(seed)))
    record = Record.new(PRODUCER, produce_id="fuzz")
    try:
        write(path, record, container="tiff")
    except (InputError, ForeignLabelError):
        return
    assert [f.record for f in read(path, container="tiff").labels] == [record]
