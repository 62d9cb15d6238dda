"""PDF: incremental update, Info /AIGC + XMP mirror, interop with pypdf, pikepdf/qpdf and ExifTool, hostile input."""

from __future__ import annotations

import logging
import zlib
from pathlib import Path

import pikepdf
import pypdf
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hegui.errors import InputError, LimitExceededError
from hegui.label import ForeignLabelError, Record, read, write
from hegui.label.samples import pdf as pdf_samples

from .conftest import (
    PRODUCER,
    assert_reader_fails_cleanly,
    exiftool_aigc,
    exiftool_json,
    exiftool_write_aigc,
    mutated,
)

TC260 = "http://www.tc260.org.cn/ns/AIGC/1.0/"


def sample(tmp_path: Path, *, object_streams: bool = False) -> Path:
    path = pdf_samples.make(tmp_path)[0]
    if object_streams:  # the compressed form: xref stream + object streams (Info and Catalog compressed)
        with pikepdf.open(path) as pdf:
            out = tmp_path / "objstm.pdf"
            pdf.save(out, object_stream_mode=pikepdf.ObjectStreamMode.generate)
        return out
    return path


def media(path: Path) -> list[bytes]:
    """Decoded page content and the image's stored bytes, to compare before and after."""
    with pikepdf.open(path) as pdf:
        page = pdf.pages[0]
        image = page.Resources.XObject.Im1
        return [page.Contents.read_bytes(), image.read_raw_bytes(), image.read_bytes()]


def build_pdf(objects: list[bytes], *, trailer: bytes) -> bytes:
    """A classic PDF assembled byte by byte (object i+1 is objects[i]), with a correct xref table."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f\r\n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n\r\n" % offset
    out += b"trailer\n<< /Size %d " % (len(objects) + 1) + trailer + b" >>\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


PAGE_OBJECTS = [
    b"<< /Type /Catalog /Pages 2 0 R >>",
    b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R >>",
    b"<< /Length 8 >>\nstream\n0 0 m S\n\nendstream",
]


@pytest.mark.parametrize("style", ["xref-table", "xref-stream", "linearized"])
def test_incremental_update_keeps_original_bytes_and_media(
    tmp_path: Path, record: Record, style: str
) -> None:
    object_streams = style == "xref-stream"
    path = sample(tmp_path, object_streams=object_streams)
    if style == "linearized":  # the last startxref points at the first-page section near the start
        with pikepdf.open(path) as pdf:
            path = tmp_path / "linearized.pdf"
            pdf.save(path, linearize=True)
    original = path.read_bytes()
    before = media(path)
    with pikepdf.open(path) as pdf:
        ids = [bytes(pdf.trailer.ID[0]), bytes(pdf.trailer.ID[1])]
    result = write(path, record)
    assert result.warnings == [] and result.replaced is None
    data = path.read_bytes()
    assert data.startswith(original) and len(data) > len(original)  # an incremental update, nothing rewritten
    assert data.count(b"startxref") == original.count(b"startxref") + 1
    tail = data[len(original) :]
    assert (b"\nxref\n" in tail) != object_streams and (b"/Type /XRef" in tail) == object_streams
    assert media(path) == before
    with pikepdf.open(path) as pdf:
        assert pdf.check_pdf_syntax() == []  # qpdf --check
        assert bytes(pdf.trailer.ID[0]) == ids[0] and bytes(pdf.trailer.ID[1]) != ids[1]
        assert str(pdf.docinfo["/AIGC"]) == record.to_json()
        assert str(pdf.docinfo["/Title"]) == "hegui sample"
        assert str(pdf.docinfo["/Producer"]) == "hegui"
    scan = read(path)
    assert scan.valid and scan.findings == []
    assert [(f.location, f.mirror, f.record) for f in scan.labels] == [
        ("Info /AIGC", False, record),
        ("XMP TC260:AIGC", True, record),
    ]


@pytest.mark.parametrize("object_streams", [False, True], ids=["xref-table", "xref-stream"])
def test_pypdf_reads_what_hegui_writes(
    tmp_path: Path, record: Record, object_streams: bool, caplog: pytest.LogCaptureFixture
) -> None:
    path = sample(tmp_path, object_streams=object_streams)
    write(path, record)
    caplog.set_level(logging.WARNING, logger="pypdf")
    reader = pypdf.PdfReader(path, strict=True)
    assert caplog.records == []  # no repairs or renumbering needed
    assert reader.metadata is not None and reader.metadata["/AIGC"] == record.to_json()
    assert reader.metadata["/Title"] == "hegui sample"
    assert "hegui sample" in reader.pages[0].extract_text()


def test_exiftool_reads_what_hegui_writes(tmp_path: Path, record: Record, other_record: Record) -> None:
    path = sample(tmp_path)
    write(path, record)
    assert exiftool_aigc(path) == record.to_json()
    assert exiftool_json(path).get("PDF:AIGC") == record.to_json()  # the Info dictionary entry
    assert exiftool_json(path).get("PDF:Title") == "hegui sample"
    write(path, other_record)  # a second update: ExifTool sees only the latest revision
    assert exiftool_aigc(path) == other_record.to_json()
    assert exiftool_json(path).get("PDF:AIGC") == other_record.to_json()


def test_hegui_reads_what_exiftool_writes_and_replaces_it(
    tmp_path: Path, record: Record, other_record: Record
) -> None:
    path = sample(tmp_path)
    exiftool_write_aigc(path, record.to_json())
    scan = read(path)
    assert [(f.location, f.record) for f in scan.labels] == [("XMP TC260:AIGC", record)]
    assert scan.valid
    result = write(path, other_record)
    assert result.replaced == record
    assert exiftool_aigc(path) == other_record.to_json()
    assert [f.record for f in read(path).labels] == [other_record, other_record]
    assert read(path).valid


def test_hegui_reads_what_pypdf_add_metadata_writes(tmp_path: Path, record: Record) -> None:
    # aopstudio's method: PyPDF2/pypdf add_metadata({"/AIGC": json}), a full rewrite by pypdf.
    writer = pypdf.PdfWriter(clone_from=sample(tmp_path))
    writer.add_metadata({"/AIGC": record.to_json()})
    path = tmp_path / "pypdf.pdf"
    with path.open("wb") as handle:
        writer.write(handle)
    scan = read(path)
    assert [(f.location, f.form, f.record) for f in scan.labels] == [("Info /AIGC", "bare-json", record)]
    assert scan.valid


def test_label_inside_a_compressed_object_stream_is_found(tmp_path: Path, record: Record) -> None:
    with pikepdf.open(sample(tmp_path)) as pdf:
        pdf.docinfo["/AIGC"] = record.to_json()
        path = tmp_path / "hidden.pdf"
        pdf.save(path, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    assert b"AIGC" not in path.read_bytes()  # a head/tail byte scan cannot see it
    assert [f.record for f in read(path).labels] == [record]


def test_real_world_forms_built_by_hand(tmp_path: Path) -> None:
    # Info /AIGC as a UTF-16BE hex string; XMP with the entity-escaped JSON (Doubao form) in a metadata stream.
    value = '{"Label":"1","ContentProducer":"doubao","ProduceID":"x-1"}'
    utf16 = b"<FEFF" + value.encode("utf-16-be").hex().upper().encode() + b">"
    escaped = value.replace('"', "&quot;")
    packet = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        f'<rdf:Description rdf:about="" xmlns:TC260="{TC260}"><TC260:AIGC>{escaped}</TC260:AIGC>'
        "</rdf:Description></rdf:RDF></x:xmpmeta>"
    ).encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R /Metadata 5 0 R >>",
        *PAGE_OBJECTS[1:],
        b"<< /Type /Metadata /Subtype /XML /Length %d >>\nstream\n" % len(packet) + packet + b"\nendstream",
        b"<< /Author (someone) /AIGC " + utf16 + b" >>",
    ]
    path = tmp_path / "hand.pdf"
    path.write_bytes(build_pdf(objects, trailer=b"/Root 1 0 R /Info 6 0 R"))
    scan = read(path)
    assert [(f.location, f.form, f.mirror) for f in scan.labels] == [
        ("Info /AIGC", "bare-json", False),
        ("XMP TC260:AIGC", "xmp-element", True),
    ]
    assert scan.labels[0].record is not None and scan.labels[0].record.ContentProducer == "doubao"
    assert any(f.rule == "provider-name" for f in scan.labels[0].findings)
    assert not any(f.rule == "gb45438-6.1c" for f in scan.findings)


def test_flate_compressed_xmp_and_attribute_form_are_read(tmp_path: Path, record: Record) -> None:
    json_attr = record.to_json().replace('"', "&quot;")
    packet = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        f'<rdf:Description rdf:about="" xmlns:TC260="{TC260}" TC260:AIGC="{json_attr}"/>'
        "</rdf:RDF></x:xmpmeta>"
    ).encode()
    deflated = zlib.compress(packet)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R /Metadata 5 0 R >>",
        *PAGE_OBJECTS[1:],
        b"<< /Type /Metadata /Subtype /XML /Filter /FlateDecode /Length %d >>\nstream\n" % len(deflated)
        + deflated
        + b"\nendstream",
    ]
    path = tmp_path / "attr.pdf"
    path.write_bytes(build_pdf(objects, trailer=b"/Root 1 0 R"))
    scan = read(path)
    assert [(f.form, f.record) for f in scan.labels] == [("xmp-attribute", record)]
    write(path, record)  # no Info before: a new Info object; the Flate stream is replaced by a stored one
    assert exiftool_aigc(path) == record.to_json()
    assert [f.mirror for f in read(path).labels] == [False, True]


def test_disagreeing_carriers_are_an_error_and_writing_fixes_both(
    tmp_path: Path, record: Record, other_record: Record
) -> None:
    path = sample(tmp_path)
    exiftool_write_aigc(path, record.to_json())
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        pdf.docinfo["/AIGC"] = other_record.to_json()
        pdf.save(path)
    scan = read(path)
    assert not scan.valid and any(f.rule == "gb45438-6.1c" and f.severity == "error" for f in scan.findings)
    write(path, record)
    scan = read(path)
    assert scan.valid and [f.record for f in scan.labels] == [record, record]


def test_wrapped_label_in_a_general_field_is_read_and_moved(tmp_path: Path, record: Record) -> None:
    with pikepdf.open(sample(tmp_path)) as pdf:
        pdf.docinfo["/Subject"] = record.to_wrapped_json()
        path = tmp_path / "subject.pdf"
        pdf.save(path)
    scan = read(path)
    assert [(f.location, f.form) for f in scan.labels] == [("Info /Subject", "wrapped-json")]
    write(path, record)
    with pikepdf.open(path) as pdf:
        assert "/Subject" not in pdf.docinfo and str(pdf.docinfo["/AIGC"]) == record.to_json()


def test_rewrite_chains_a_second_update(tmp_path: Path, record: Record, other_record: Record) -> None:
    path = sample(tmp_path, object_streams=True)
    write(path, record)
    first = path.read_bytes()
    result = write(path, other_record)
    assert result.replaced == record and any(f.rule == "gb45438-6.1c" for f in result.warnings)
    assert path.read_bytes().startswith(first)
    assert [f.record for f in read(path).labels] == [other_record, other_record]
    assert pypdf.PdfReader(path, strict=True).metadata["/AIGC"] == other_record.to_json()  # type: ignore[index]


def test_c2pa_manifest_warns(tmp_path: Path, record: Record) -> None:
    with pikepdf.open(sample(tmp_path)) as pdf:
        manifest = pikepdf.Stream(pdf, b"jumbf")
        manifest.Subtype = pikepdf.Name("/application#2Fc2pa")
        filespec = pikepdf.Dictionary(
            Type=pikepdf.Name.Filespec,
            F=pikepdf.String("manifest.c2pa"),
            AFRelationship=pikepdf.Name("/C2PA_Manifest"),
            EF=pikepdf.Dictionary(F=manifest),
        )
        pdf.Root.AF = pikepdf.Array([pdf.make_indirect(filespec)])
        path = tmp_path / "c2pa.pdf"
        pdf.save(path)
    assert any(f.rule == "c2pa-binding" or "C2PA" in f.message for f in read(path).findings)
    result = write(path, record)
    assert any("C2PA" in f.message for f in result.warnings)


def test_encrypted_pdf_is_read_but_not_written(tmp_path: Path, record: Record) -> None:
    with pikepdf.open(sample(tmp_path)) as pdf:
        pdf.docinfo["/AIGC"] = record.to_json()
        path = tmp_path / "enc.pdf"
        pdf.save(path, encryption=pikepdf.Encryption(owner="owner", user="", R=6))
    assert [f.record for f in read(path).labels] == [record]
    before = path.read_bytes()
    with pytest.raises(InputError, match="encrypted") as info:
        write(path, record)
    assert str(path) in str(info.value)
    assert path.read_bytes() == before


def test_password_protected_pdf_is_an_input_error(tmp_path: Path) -> None:
    with pikepdf.open(sample(tmp_path)) as pdf:
        path = tmp_path / "locked.pdf"
        pdf.save(path, encryption=pikepdf.Encryption(owner="owner", user="secret", R=6))
    with pytest.raises(InputError, match="password") as info:
        read(path)
    assert str(path) in str(info.value)


def test_damaged_xref_is_read_but_not_written(tmp_path: Path, record: Record) -> None:
    path = sample(tmp_path)
    data = path.read_bytes()
    cut = data.rindex(b"startxref")
    path.write_bytes(data[:cut] + b"startxref\n999999999\n%%EOF\n")
    read(path)  # qpdf reconstructs the cross-reference table for reading
    with pytest.raises(InputError, match=r"damaged|startxref") as info:
        write(path, record)
    assert str(path) in str(info.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sample.pdf"]


def test_not_a_pdf_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "junk.pdf"
    path.write_bytes(b"%PDF-1.7\n" + b"\x00garbage" * 50)
    with pytest.raises(InputError) as info:
        read(path)
    assert str(path) in str(info.value)


def test_metadata_stream_bomb_is_refused(tmp_path: Path) -> None:
    bomb = zlib.compress(b" " * (64 * 1024 * 1024), 9)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R /Metadata 5 0 R >>",
        *PAGE_OBJECTS[1:],
        b"<< /Type /Metadata /Subtype /XML /Filter /FlateDecode /Length %d >>\nstream\n" % len(bomb)
        + bomb
        + b"\nendstream",
    ]
    path = tmp_path / "bomb.pdf"
    path.write_bytes(build_pdf(objects, trailer=b"/Root 1 0 R"))
    with pytest.raises(LimitExceededError, match="inflates beyond"):
        read(path)


def test_reference_loop_and_deep_nesting_are_clean_errors_or_reads(tmp_path: Path) -> None:
    deep = b"[" * 20000 + b"]" * 20000
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R /Metadata 6 0 R >>",
        *PAGE_OBJECTS[1:],
        b"<< /AIGC " + deep + b" /Loop 5 0 R >>",
        b"6 0 R",
    ]
    path = tmp_path / "loop.pdf"
    path.write_bytes(build_pdf(objects, trailer=b"/Root 1 0 R /Info 5 0 R"))
    assert_reader_fails_cleanly(path, path.read_bytes(), "pdf")


@pytest.fixture(scope="module")
def seeds(tmp_path_factory: pytest.TempPathFactory) -> dict[bool, bytes]:
    """Labeled seed files for fuzzing, classic and compressed, built once."""
    out = {}
    for object_streams in (False, True):
        path = sample(tmp_path_factory.mktemp("seed"), object_streams=object_streams)
        write(path, Record.new(PRODUCER, produce_id="fuzz"))
        out[object_streams] = path.read_bytes()
    return out


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), object_streams=st.booleans())
def test_fuzz_reader_only_raises_input_errors(
    tmp_path: Path, seeds: dict[bool, bytes], data: st.DataObject, object_streams: bool
) -> None:
    damaged = data.draw(mutated(seeds[object_streams]))
    assert_reader_fails_cleanly(tmp_path / "f.pdf", damaged, "pdf")


def test_huge_declared_stream_length_is_a_clean_error_or_read(tmp_path: Path) -> None:
    packet = b"<x:xmpmeta xmlns:x='adobe:ns:meta/'/>"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R /Metadata 5 0 R >>",
        *PAGE_OBJECTS[1:],
        b"<< /Type /Metadata /Subtype /XML /Length 99999999999 >>\nstream\n" + packet + b"\nendstream",
    ]
    path = tmp_path / "long.pdf"
    assert_reader_fails_cleanly(path, build_pdf(objects, trailer=b"/Root 1 0 R"), "pdf")


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzz_writer_labels_or_raises_input_errors(
    tmp_path: Path, seeds: dict[bool, bytes], data: st.DataObject
) -> None:
    """Damaged files that still read must label cleanly (and read back) or fail with an InputError."""
    damaged = data.draw(mutated(seeds[data.draw(st.booleans())]))
    path = tmp_path / "w.pdf"
    path.write_bytes(damaged)
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    record = Record.new(PRODUCER, produce_id="fuzz-2")
    try:
        write(path, record, output=out, container="pdf")
    except (InputError, ForeignLabelError):
        return
    assert path.read_bytes() == damaged
    assert [f.record for f in read(out / path.name, container="pdf").labels if not f.mirror] == [record]
