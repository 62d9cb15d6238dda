"""JPEG: write, read back, interop with ExifTool, scan data byte-identical, hand-built real-world forms, hostile input."""

from __future__ import annotations

import io
import struct
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageCms

from hegui.errors import InputError, LimitExceededError, UnsupportedFormatError
from hegui.label import ForeignLabelError, Record, read, write
from hegui.label.containers.base import Source
from hegui.label.containers.jpeg import CONTAINERS

from .conftest import (
    PRODUCER,
    assert_reader_fails_cleanly,
    exiftool_aigc,
    exiftool_json,
    exiftool_write_aigc,
    mutated,
)

NS = b"http://www.tc260.org.cn/ns/AIGC/1.0/"
XMP_ID = b"http://ns.adobe.com/xap/1.0/\0"
BARE = '{"Label":"1","ContentProducer":"001191440300708461136T1308L","ProduceID":"vec-001"}'
WRAPPED = '{"AIGC":' + BARE + "}"


def segment(marker: int, body: bytes) -> bytes:
    return bytes((0xFF, marker)) + struct.pack(">H", len(body) + 2) + body


def plain_jpeg(*, side: int = 24, exif: bool = False, icc: bool = False, comment: bytes = b"") -> bytes:
    image = Image.new("RGB", (side, side + 5))
    image.putdata([(x * 7 % 256, x * 13 % 256, x * 29 % 256) for x in range(side * (side + 5))])
    options: dict[str, object] = {"quality": 85}
    if exif:
        data = Image.Exif()
        data[0x010F] = "TestMake"
        options["exif"] = data.tobytes()
    if icc:
        options["icc_profile"] = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    if comment:
        options["comment"] = comment
    out = io.BytesIO()
    image.save(out, "JPEG", **options)
    return out.getvalue()


def with_segments(jpeg: bytes, *segments: bytes) -> bytes:
    """Insert hand-built segments right after SOI + APP0 (JFIF)."""
    assert jpeg[2:4] == b"\xff\xe0"
    at = 4 + struct.unpack(">H", jpeg[4:6])[0]
    return jpeg[:at] + b"".join(segments) + jpeg[at:]


def walk(data: bytes) -> tuple[list[tuple[int, bytes]], bytes]:
    """(marker, payload) of every segment before SOS, and everything from SOS on: an independent walker."""
    pos, out = 2, []
    while data[pos + 1] != 0xDA:
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        out.append((data[pos + 1], data[pos + 4 : pos + 2 + length]))
        pos += 2 + length
    return out, data[pos:]


def exif_segment(order: str, user_comment: bytes) -> bytes:
    """EXIF APP1 built byte by byte: IFD0 (Make, ExifIFD pointer) -> Exif IFD (UserComment, type 7)."""
    e = "<" if order == "II" else ">"
    make = b"HandMade\0"
    ifd0_at, exif_at = 8, 8 + 2 + 2 * 12 + 4
    make_at = exif_at + 2 + 12 + 4
    uc_at = make_at + len(make) + len(make) % 2
    blob = (b"II*\0" if order == "II" else b"MM\0*") + struct.pack(e + "I", ifd0_at)
    blob += struct.pack(e + "H", 2)
    blob += struct.pack(e + "HHII", 0x010F, 2, len(make), make_at)
    blob += struct.pack(e + "HHII", 0x8769, 4, 1, exif_at) + b"\0\0\0\0"
    blob += (
        struct.pack(e + "H", 1) + struct.pack(e + "HHII", 0x9286, 7, len(user_comment), uc_at) + b"\0\0\0\0"
    )
    blob += make + b"\0" * (len(make) % 2) + user_comment
    return segment(0xE1, b"Exif\0\0" + blob)


def xmp_segment(inner: bytes) -> bytes:
    packet = (
        b'<?xpacket begin="\xef\xbb\xbf" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        + inner
        + b'</rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
    )
    return segment(0xE1, XMP_ID + packet)


def element_form(value: str) -> bytes:
    escaped = value.replace('"', "&quot;").encode()
    return xmp_segment(
        b'<rdf:Description rdf:about="" xmlns:TC260="' + NS + b'"><TC260:AIGC>' + escaped + b"</TC260:AIGC>"
        b'</rdf:Description><rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        b"<dc:format>image/jpeg</dc:format></rdf:Description>"
    )


def attribute_form(value: str) -> bytes:
    escaped = value.replace('"', "&quot;").encode()
    return xmp_segment(
        b'<rdf:Description rdf:about="" xmlns:TC260="' + NS + b'" TC260:AIGC="' + escaped + b'"/>'
    )


def pixels(path: Path, frame: int = 0) -> bytes:
    with Image.open(path) as image:
        image.seek(frame)
        return image.tobytes()


def put(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_roundtrip_keeps_scan_data_and_every_other_segment(tmp_path: Path, record: Record) -> None:
    path = put(tmp_path / "a.jpg", plain_jpeg(exif=True, icc=True, comment=b"a comment"))
    before_segments, before_scan = walk(path.read_bytes())
    before_pixels = pixels(path)
    result = write(path, record)
    assert result.replaced is None and result.warnings == []
    scan = read(path)
    assert scan.valid and [(f.location, f.form, f.record) for f in scan.labels] == [
        ("APP1 XMP TC260:AIGC", "xmp-element", record)
    ]
    after_segments, after_scan = walk(path.read_bytes())
    assert after_scan == before_scan and pixels(path) == before_pixels
    assert [s for s in after_segments if not s[1].startswith(XMP_ID)] == before_segments
    assert [m for m, _ in after_segments][:3] == [0xE0, 0xE1, 0xE1]  # JFIF, EXIF, then XMP
    assert exiftool_aigc(path) == record.to_json()
    info = exiftool_json(path)
    assert info.get("IFD0:Make") == "TestMake" and info.get("File:Comment") == "a comment"
    assert "ICC-header:ProfileVersion" in info


def test_hegui_reads_what_exiftool_writes_and_keeps_its_other_xmp(tmp_path: Path, record: Record) -> None:
    path = put(tmp_path / "a.jpg", plain_jpeg(exif=True))
    exiftool_write_aigc(path, record.to_json())
    assert [f.record for f in read(path).labels] == [record]
    import subprocess

    from .conftest import exiftool_bin

    subprocess.run([exiftool_bin(), "-overwrite_original", "-XMP-dc:Title=kept", str(path)], check=True)
    other = Record.new(PRODUCER, produce_id="after-exiftool")
    write(path, other)
    assert exiftool_aigc(path) == other.to_json()
    assert exiftool_json(path).get("XMP-dc:Title") == "kept"
    assert [f.record for f in read(path).labels] == [other]


def test_rewrite_replaces_instead_of_duplicating(
    tmp_path: Path, record: Record, other_record: Record
) -> None:
    path = put(tmp_path / "a.jpg", plain_jpeg())
    write(path, record)
    result = write(path, other_record)
    assert result.replaced == record and any(f.rule == "gb45438-6.1c" for f in result.warnings)
    assert [f.record for f in read(path).labels] == [other_record]
    assert record.ProduceID.encode() not in path.read_bytes()
    assert sum(1 for _, p in walk(path.read_bytes())[0] if p.startswith(XMP_ID)) == 1


@pytest.mark.parametrize(
    ("form", "builder"), [("xmp-element", element_form), ("xmp-attribute", attribute_form)]
)
def test_xmp_forms_written_by_others(tmp_path: Path, record: Record, form: str, builder: object) -> None:
    assert callable(builder)
    path = put(tmp_path / "a.jpg", with_segments(plain_jpeg(), builder(BARE)))
    scan = read(path)
    assert [f.form for f in scan.labels] == [form]
    assert scan.labels[0].record is not None and scan.labels[0].record.ProduceID == "vec-001"
    write(path, record, replace_foreign=True)
    assert [(f.form, f.record) for f in read(path).labels] == [("xmp-element", record)]
    assert exiftool_aigc(path) == record.to_json()
    if form == "xmp-element":
        assert exiftool_json(path).get("XMP-dc:Format") == "image/jpeg"


@pytest.mark.parametrize(
    ("order", "prefix", "encoding", "pad"),
    [
        ("II", b"ASCII\0\0\0", "ascii", 0),  # HarmonyOS form; the new value is longer: appended
        ("MM", b"UNICODE\0", "utf-16-be", 0),
        ("II", b"\0" * 8, "ascii", 0),
        ("MM", b"ASCII\0\0\0", "ascii", 200),  # room enough: rewritten where it was
    ],
)
def test_exif_user_comment_updated_in_place(
    tmp_path: Path, record: Record, order: str, prefix: bytes, encoding: str, pad: int
) -> None:
    value = prefix + WRAPPED.encode(encoding) + b" " * pad
    path = put(tmp_path / "a.jpg", with_segments(plain_jpeg(), exif_segment(order, value)))
    assert exiftool_json(path).get("ExifIFD:UserComment") == WRAPPED  # the vector is what ExifTool reads too
    scan = read(path)
    assert [(f.location, f.form) for f in scan.labels] == [("EXIF UserComment", "wrapped-json")]
    assert scan.labels[0].record is not None and scan.labels[0].record.ProduceID == "vec-001"
    before_scan, before_pixels, size = walk(path.read_bytes())[1], pixels(path), path.stat().st_size
    write(path, record, replace_foreign=True)
    assert [(f.location, f.record) for f in read(path).labels] == [("EXIF UserComment", record)]
    info = exiftool_json(path)
    assert info.get("ExifIFD:UserComment") == record.to_wrapped_json()
    assert info.get("IFD0:Make") == "HandMade"
    assert exiftool_aigc(path) is None  # one label: no second copy in XMP
    assert walk(path.read_bytes())[1] == before_scan and pixels(path) == before_pixels
    assert "vec-001".encode(encoding) not in path.read_bytes()  # the old value is not left behind
    if pad:
        assert path.stat().st_size == size


def test_user_comment_copy_is_emptied_when_xmp_holds_the_label(tmp_path: Path, record: Record) -> None:
    uc = exif_segment("II", b"ASCII\0\0\0" + WRAPPED.encode())
    path = put(tmp_path / "a.jpg", with_segments(plain_jpeg(), uc, element_form(BARE)))
    assert len(read(path).labels) == 2
    write(path, record, replace_foreign=True)
    assert [f.location for f in read(path).labels] == ["APP1 XMP TC260:AIGC"]
    info = exiftool_json(path)
    assert not info.get("ExifIFD:UserComment") and info.get("IFD0:Make") == "HandMade"
    assert exiftool_aigc(path) == record.to_json()


@pytest.mark.parametrize(
    ("seg", "location", "form"),
    [
        (segment(0xEA, b"AIGC" + BARE.encode()), "APP10", "bare-json"),  # the bare AIGC{...} blob
        (segment(0xEA, b"AIGC\0" + WRAPPED.encode()), "APP10", "wrapped-json"),
        (segment(0xFE, WRAPPED.encode()), "COM", "wrapped-json"),
    ],
)
def test_label_blobs_in_other_segments(
    tmp_path: Path, record: Record, seg: bytes, location: str, form: str
) -> None:
    path = put(tmp_path / "a.jpg", with_segments(plain_jpeg(comment=b"keep me"), seg))
    scan = read(path)
    assert [(f.location, f.form) for f in scan.labels] == [(location, form)]
    assert scan.labels[0].record is not None and scan.labels[0].record.ProduceID == "vec-001"
    before_scan = walk(path.read_bytes())[1]
    write(path, record, replace_foreign=True)
    assert [(f.location, f.record) for f in read(path).labels] == [("APP1 XMP TC260:AIGC", record)]
    assert b"vec-001" not in path.read_bytes() and walk(path.read_bytes())[1] == before_scan
    assert exiftool_json(path).get("File:Comment") == "keep me"


def test_comment_without_a_label_is_not_one(tmp_path: Path) -> None:
    path = put(tmp_path / "a.jpg", with_segments(plain_jpeg(), segment(0xFE, b"made with AIGC tools {fun}")))
    assert read(path).labels == []


def test_xmp_too_large_for_one_segment_is_a_clear_error(tmp_path: Path, record: Record) -> None:
    filler = b"x" * 65000
    big = xmp_segment(
        b'<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:source>'
        + filler
        + b"</dc:source></rdf:Description>"
    )
    data = with_segments(plain_jpeg(), big)
    path = put(tmp_path / "a.jpg", data)
    with pytest.raises(UnsupportedFormatError, match="65502"):
        write(path, record)
    assert path.read_bytes() == data


def test_c2pa_manifest_warns(tmp_path: Path, record: Record) -> None:
    jumbf = (
        b"JP\0\x01\0\0\0\x01"
        + b"\0\0\0\x30jumb\0\0\0\x28jumd"
        + b"c2pa\0\x11\0\x10\x80\0\0\xaa\0\x38\x9b\x71"
        + b"c2pa\0"
    )
    path = put(tmp_path / "a.jpg", with_segments(plain_jpeg(), segment(0xEB, jumbf)))
    assert any(f.rule == "c2pa-binding" for f in read(path).findings)
    assert any(f.rule == "c2pa-binding" for f in write(path, record).warnings)
    assert any(m == 0xEB and p == jumbf for m, p in walk(path.read_bytes())[0])


def test_multi_picture_file_keeps_its_second_image(tmp_path: Path, record: Record) -> None:
    first = Image.new("RGB", (20, 16), (200, 10, 10))
    second = Image.new("RGB", (20, 16), (10, 10, 200))
    path = tmp_path / "a.jpg"
    first.save(path, "MPO", save_all=True, append_images=[second])
    before = [pixels(path, 0), pixels(path, 1)]
    write(path, record)
    assert [pixels(path, 0), pixels(path, 1)] == before
    assert [f.record for f in read(path).labels] == [record]


def test_reading_stops_at_start_of_scan(tmp_path: Path) -> None:
    data = plain_jpeg(side=400)
    _, scan = walk(data)
    fake = element_form(BARE)  # a label-like segment inside the scan data is not metadata
    path = put(tmp_path / "a.jpg", data[: len(data) - len(scan)] + scan[:-2] + fake + b"\xff\xd9")
    assert read(path).labels == []

    class Counting(Source):
        total = 0

        def read_at(self, offset: int, length: int, *, what: str = "data") -> bytes:
            Counting.total += length
            return super().read_at(offset, length, what=what)

    with path.open("rb") as handle:
        CONTAINERS[0].scan(Counting(handle, path, path.stat().st_size))
    assert Counting.total < len(data) - len(scan) + 64 < len(data) // 2


def test_segment_length_past_the_end_is_refused(tmp_path: Path, record: Record) -> None:
    data = plain_jpeg()
    path = put(tmp_path / "a.jpg", data[:2] + b"\xff\xe1\xff\xf0Exif\0\0" + b"\0" * 40)
    with pytest.raises(InputError, match="runs past the end") as info:
        read(path)
    assert str(path) in str(info.value) and "byte 2" in str(info.value)
    truncated = put(tmp_path / "b.jpg", data[:200])
    with pytest.raises(InputError):
        write(truncated, record)
    assert truncated.read_bytes() == data[:200]


def test_exif_loop_and_huge_counts_are_refused(tmp_path: Path) -> None:
    loop = bytearray(exif_segment("II", b"ASCII\0\0\0" + WRAPPED.encode()))
    # Exif IFD pointer (entry 2 of IFD0) back to IFD0 itself.
    pointer_at = 4 + 6 + 8 + 2 + 12 + 8
    assert struct.unpack("<H", loop[pointer_at - 8 : pointer_at - 6])[0] == 0x8769
    loop[pointer_at : pointer_at + 4] = struct.pack("<I", 8)
    with pytest.raises(InputError, match="loop"):
        read(put(tmp_path / "a.jpg", with_segments(plain_jpeg(), bytes(loop))))
    huge = bytearray(exif_segment("MM", b"ASCII\0\0\0" + WRAPPED.encode()))
    huge[4 + 6 + 8 : 4 + 6 + 10] = b"\xff\xff"  # IFD0 entry count
    with pytest.raises(LimitExceededError, match="entries"):
        read(put(tmp_path / "b.jpg", with_segments(plain_jpeg(), bytes(huge))))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzz_reader_only_raises_input_errors(tmp_path: Path, data: st.DataObject) -> None:
    seed = with_segments(
        plain_jpeg(side=8),
        exif_segment("MM", b"ASCII\0\0\0" + WRAPPED.encode()),
        element_form(BARE),
        segment(0xFE, WRAPPED.encode()),
    )
    damaged = data.draw(mutated(seed))
    assert_reader_fails_cleanly(tmp_path / "f.jpg", damaged, "jpeg")


def test_empty_xmp_segment_is_replaced_and_fill_bytes_are_bounded(tmp_path: Path, record: Record) -> None:
    path = put(tmp_path / "a.jpg", with_segments(plain_jpeg(), segment(0xE1, XMP_ID)))
    assert read(path).labels == []
    write(path, record)
    assert [f.record for f in read(path).labels] == [record] and exiftool_aigc(path) == record.to_json()
    flood = put(tmp_path / "b.jpg", b"\xff\xd8" + b"\xff" * 70000)
    with pytest.raises(LimitExceededError, match="fill bytes"):
        read(flood)


def test_user_comment_and_blob_end_as_one_xmp_label(tmp_path: Path, record: Record) -> None:
    uc = exif_segment("MM", b"ASCII\0\0\0" + WRAPPED.encode())
    path = put(tmp_path / "a.jpg", with_segments(plain_jpeg(), uc, segment(0xFE, WRAPPED.encode())))
    assert len(read(path).labels) == 2
    write(path, record, replace_foreign=True)
    assert [f.location for f in read(path).labels] == ["APP1 XMP TC260:AIGC"]
    assert b"vec-001" not in path.read_bytes()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzz_writer_labels_or_refuses_cleanly(tmp_path: Path, data: st.DataObject) -> None:
    seed = with_segments(
        plain_jpeg(side=8),
        exif_segment("II", b"ASCII\0\0\0" + WRAPPED.encode()),
        segment(0xFE, WRAPPED.encode()),
    )
    path = put(tmp_path / "w.jpg", data.draw(mutated(seed)))
    record = Record.new(PRODUCER, produce_id="fuzz")
    try:
        write(path, record, container="jpeg")
    except (InputError, ForeignLabelError):
        return
    assert [f.record for f in read(path, container="jpeg").labels] == [record]


def test_change_after_the_mpf_segment_is_refused(tmp_path: Path, record: Record) -> None:
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, "MPO", save_all=True, append_images=[Image.new("RGB", (8, 8))])
    data = out.getvalue()
    segments, _ = walk(data)
    pos = 2
    for marker, body in segments:
        pos += 4 + len(body)
        if marker == 0xE2 and body.startswith(b"MPF\0"):
            break
    else:
        pytest.fail("Pillow wrote no MPF segment")
    path = put(tmp_path / "a.jpg", data[:pos] + element_form(BARE) + data[pos:])
    assert [f.form for f in read(path).labels] == ["xmp-element"]
    with pytest.raises(UnsupportedFormatError, match="MPF"):
        write(path, record, replace_foreign=True)
