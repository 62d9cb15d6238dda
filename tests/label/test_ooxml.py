"""OOXML: docProps/custom.xml property AIGC; raw member copy; python-docx, openpyxl and zipfile interop; hostile zips."""

from __future__ import annotations

import struct
import warnings
import zipfile
from pathlib import Path

import docx
import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from openpyxl.packaging.custom import StringProperty

from hegui.errors import InputError, LimitExceededError
from hegui.label import Record, read, write
from hegui.label.samples import ooxml as samples

from .conftest import PRODUCER, assert_reader_fails_cleanly, exiftool_json, mutated

CUSTOM_NS = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
VT_NS = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
FMTID = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"
CUSTOM_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties"
CUSTOM_CT = "application/vnd.openxmlformats-officedocument.custom-properties+xml"
TOUCHED = {"[Content_Types].xml", "_rels/.rels", "docProps/custom.xml"}


def raw_members(path: Path) -> dict[str, bytes]:
    """Each member's local header + compressed data, located with zipfile (independent of hegui)."""
    data = path.read_bytes()
    out = {}
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            name_len, extra_len = struct.unpack_from("<HH", data, info.header_offset + 26)
            start = info.header_offset + 30 + name_len + extra_len
            out[info.filename] = data[info.header_offset : start + info.compress_size]
    return out


def custom_properties(path: Path) -> list[tuple[str, str, str]]:
    """(pid, name, value) of every custom property, read with zipfile + lxml."""
    with zipfile.ZipFile(path) as archive:
        root = etree.fromstring(archive.read("docProps/custom.xml"))
    return [
        (prop.get("pid"), prop.get("name"), prop[0].text or "")
        for prop in root.iter(f"{{{CUSTOM_NS}}}property")
    ]


def custom_xml(*props: tuple[int, str, str]) -> str:
    body = "".join(
        f'<property fmtid="{FMTID}" pid="{pid}" name="{name}"><vt:lpwstr>{value}</vt:lpwstr></property>'
        for pid, name, value in props
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<Properties xmlns="{CUSTOM_NS}" xmlns:vt="{VT_NS}">{body}</Properties>'
    )


def package(
    path: Path, parts: dict[str, str | bytes], *, custom: str | None = None, rel: bool = True
) -> Path:
    """A package built part by part; ``custom`` adds docProps/custom.xml (and, with ``rel``, its relationship)."""
    types = samples.CONTENT_TYPES
    rels = samples.RELS
    if custom is not None:
        types = types.replace(
            "</Types>", f'<Override PartName="/docProps/custom.xml" ContentType="{CUSTOM_CT}"/></Types>'
        )
        if rel:
            rels = rels.replace(
                "</Relationships>",
                f'<Relationship Id="rId9" Type="{CUSTOM_REL}" Target="docProps/custom.xml"/></Relationships>',
            )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", types)
        archive.writestr("_rels/.rels", rels)
        for name, data in parts.items():
            archive.writestr(name, data)
        if custom is not None:
            archive.writestr("docProps/custom.xml", custom)
    return path


def docx_parts() -> dict[str, str | bytes]:
    return {"docProps/core.xml": samples.CORE, "word/document.xml": samples.DOCUMENT}


def test_docx_write_keeps_every_other_member_byte_for_byte(tmp_path: Path, record: Record) -> None:
    path = samples.make_docx(tmp_path / "a.docx", size=5000)
    before = raw_members(path)
    with zipfile.ZipFile(path) as archive:
        order = archive.namelist()
        decoded = {name: archive.read(name) for name in order}
    result = write(path, record)
    assert result.warnings == [] and result.replaced is None
    after = raw_members(path)
    for name in order:
        if name not in TOUCHED:
            assert after[name] == before[name], name  # compressed bytes and local header unchanged
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        assert archive.namelist() == [*order, "docProps/custom.xml"]  # member order kept, new part last
        for name in order:
            if name not in TOUCHED:
                assert archive.read(name) == decoded[name]
        types = etree.fromstring(archive.read("[Content_Types].xml"))
        rels = etree.fromstring(archive.read("_rels/.rels"))
    assert any(
        o.get("PartName") == "/docProps/custom.xml" and o.get("ContentType") == CUSTOM_CT for o in types
    )
    assert any(r.get("Type") == CUSTOM_REL and r.get("Target") == "docProps/custom.xml" for r in rels)
    assert len({r.get("Id") for r in rels}) == len(rels)
    assert custom_properties(path) == [("2", "AIGC", record.to_json())]
    scan = read(path)
    assert scan.valid and [(f.location, f.form, f.record) for f in scan.labels] == [
        ("docProps/custom.xml property AIGC", "bare-json", record)
    ]


def test_python_docx_opens_the_labeled_file(tmp_path: Path, record: Record) -> None:
    path = samples.make_docx(tmp_path / "a.docx")
    write(path, record)
    document = docx.Document(str(path))
    assert document.core_properties.title == "hegui sample"
    assert document.core_properties.author == "hegui"
    assert [p.text for p in document.paragraphs] == ["hegui sample 合规"]
    part = document.part.package.part_related_by(CUSTOM_REL)
    assert part.partname == "/docProps/custom.xml" and part.content_type == CUSTOM_CT
    assert record.to_json().encode() in part.blob


def test_exiftool_reads_the_custom_property(tmp_path: Path, record: Record) -> None:
    path = samples.make_docx(tmp_path / "a.docx")
    write(path, record)
    data = exiftool_json(path)
    assert data.get("XML:AIGC") == record.to_json()
    assert "hegui sample" in data.values()  # the core properties are still read


def test_openpyxl_reads_what_hegui_writes_and_hegui_reads_what_openpyxl_writes(
    tmp_path: Path, record: Record, other_record: Record
) -> None:
    path = next(p for p in samples.make(tmp_path) if p.suffix == ".xlsx")
    book = openpyxl.load_workbook(path)
    book.custom_doc_props.append(StringProperty(name="Department", value="legal"))
    book.custom_doc_props.append(StringProperty(name="AIGC", value=record.to_json()))
    book.save(path)
    scan = read(path)
    assert scan.valid and [f.record for f in scan.labels] == [record]
    write(path, other_record)
    book = openpyxl.load_workbook(path)
    props = {p.name: p.value for p in book.custom_doc_props}
    assert props == {"Department": "legal", "AIGC": other_record.to_json()}
    assert book.active is not None and book.active["A1"].value == "hegui sample"


def test_existing_properties_are_kept_and_the_label_replaced_in_place(
    tmp_path: Path, record: Record, other_record: Record
) -> None:
    old = record.to_json().replace('"', "&quot;")
    custom = custom_xml((2, "Client", "ACME &amp; Co"), (5, "AIGC", old), (3, "Reviewed", "yes"))
    path = package(tmp_path / "a.docx", docx_parts(), custom=custom)
    scan = read(path)
    assert [f.record for f in scan.labels] == [record]
    result = write(path, other_record)
    assert result.replaced == record and any(f.rule == "gb45438-6.1c" for f in result.warnings)
    assert custom_properties(path) == [
        ("2", "Client", "ACME & Co"),
        ("5", "AIGC", other_record.to_json()),
        ("3", "Reviewed", "yes"),
    ]
    with zipfile.ZipFile(path) as archive:
        assert archive.read("[Content_Types].xml").count(b"/docProps/custom.xml") == 1
        assert archive.read("_rels/.rels").count(CUSTOM_REL.encode()) == 1


def test_two_labels_are_reported_and_writing_keeps_one(
    tmp_path: Path, record: Record, other_record: Record
) -> None:
    custom = custom_xml((2, "AIGC", record.to_json().replace('"', "&quot;")), (2, "aigc", "{not json"))
    path = package(tmp_path / "a.pptx", {"ppt/presentation.xml": "<p/>"}, custom=custom)
    scan = read(path)
    assert scan.container == "ooxml" and len(scan.labels) == 2 and not scan.valid
    write(path, other_record, replace_foreign=True)
    props = custom_properties(path)
    assert props == [("3", "AIGC", other_record.to_json())] or props == [
        ("2", "AIGC", other_record.to_json())
    ]
    assert len(props) == 1 and read(path).valid


def test_unreferenced_custom_part_is_read_and_the_relationship_added(tmp_path: Path, record: Record) -> None:
    custom = custom_xml((2, "AIGC", record.to_json().replace('"', "&quot;")))
    path = package(tmp_path / "a.potx", {"ppt/presentation.xml": "<p/>"}, custom=custom, rel=False)
    assert [f.record for f in read(path).labels] == [record]
    write(path, record)
    with zipfile.ZipFile(path) as archive:
        assert archive.read("_rels/.rels").count(CUSTOM_REL.encode()) == 1


@pytest.mark.parametrize("suffix", [".dotx", ".xltx", ".docm", ".xlsm", ".pptm"])
def test_templates_and_macro_variants_are_detected(tmp_path: Path, record: Record, suffix: str) -> None:
    path = package(tmp_path / f"a{suffix}", docx_parts())
    write(path, record)
    assert read(path).container == "ooxml" and read(path).valid


def test_output_leaves_source_untouched(tmp_path: Path, record: Record) -> None:
    path = samples.make_docx(tmp_path / "a.docx")
    before = path.read_bytes()
    out = tmp_path / "out"
    out.mkdir()
    write(path, record, output=out)
    assert path.read_bytes() == before and read(out / "a.docx").valid


def test_signed_package_warns(tmp_path: Path, record: Record) -> None:
    path = package(tmp_path / "a.docx", {**docx_parts(), "_xmlsignatures/sig1.xml": "<Signature/>"})
    result = write(path, record)
    assert any(f.rule == "ooxml-signature" for f in result.warnings)


# ---- hostile and broken packages ------------------------------------------------------------------------------


def expect_error(path: Path, match: str, error: type[Exception] = InputError) -> None:
    with pytest.raises(error, match=match) as info:
        read(path)
    assert str(path) in str(info.value)


def test_not_an_ooxml_package(tmp_path: Path) -> None:
    path = tmp_path / "a.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/epub+zip")
    expect_error(path, "not an OOXML package")


def test_truncated_package_is_a_clear_error_and_nothing_changes(tmp_path: Path, record: Record) -> None:
    path = samples.make_docx(tmp_path / "a.docx")
    data = path.read_bytes()[:-30]
    path.write_bytes(data)
    with pytest.raises(InputError) as info:
        write(path, record)
    assert str(path) in str(info.value)
    assert path.read_bytes() == data and sorted(p.name for p in tmp_path.iterdir()) == ["a.docx"]


def test_path_traversal_name_is_refused(tmp_path: Path) -> None:
    path = package(tmp_path / "a.docx", {**docx_parts(), "../../etc/evil.xml": "<x/>"})
    expect_error(path, "unsafe member name")


def test_duplicate_names_are_refused(tmp_path: Path) -> None:
    path = package(tmp_path / "a.docx", docx_parts())
    with warnings.catch_warnings(), zipfile.ZipFile(path, "a") as archive:
        warnings.simplefilter("ignore")
        archive.writestr("word/Document.xml", "<other/>")  # part names are case-insensitive in OPC
    expect_error(path, "duplicate member")


def patch_central(path: Path, name: bytes, offset: int, fmt: str, value: int) -> None:
    """Overwrite a field of ``name``'s central-directory entry (offset from the entry's signature)."""
    data = bytearray(path.read_bytes())
    entry = data.rindex(name) - 46  # the central-directory copy of the name is the last one
    assert data[entry : entry + 4] == b"PK\x01\x02"
    struct.pack_into(fmt, data, entry + offset, value)
    path.write_bytes(bytes(data))


def test_encrypted_member_is_refused(tmp_path: Path) -> None:
    path = package(tmp_path / "a.docx", docx_parts())
    patch_central(path, b"word/document.xml", 8, "<H", 0x0001)
    expect_error(path, "encrypted")


def test_declared_size_lie_is_refused(tmp_path: Path, record: Record) -> None:
    custom = custom_xml((2, "AIGC", record.to_json().replace('"', "&quot;")), (3, "Pad", "x" * 5000))
    path = package(tmp_path / "a.docx", docx_parts(), custom=custom)
    patch_central(path, b"docProps/custom.xml", 24, "<I", 100)  # declares 100 bytes uncompressed
    expect_error(path, "inflates to more than")


def test_compression_ratio_bomb_is_refused(tmp_path: Path) -> None:
    path = package(
        tmp_path / "a.docx", {**docx_parts(), "word/media/zeros.bin": b"\x00" * (24 * 1024 * 1024)}
    )
    expect_error(path, "zip bomb", LimitExceededError)


def test_huge_member_count_is_refused(tmp_path: Path) -> None:
    path = samples.make_docx(tmp_path / "a.docx")
    data = bytearray(path.read_bytes())
    eocd = data.rindex(b"PK\x05\x06")
    struct.pack_into("<HH", data, eocd + 8, 30000, 30000)
    path.write_bytes(bytes(data))
    expect_error(path, "members", LimitExceededError)


def test_overlapping_members_are_refused(tmp_path: Path) -> None:
    path = package(tmp_path / "a.docx", docx_parts())
    with zipfile.ZipFile(path) as archive:
        first = archive.getinfo("[Content_Types].xml").header_offset
    patch_central(path, b"word/document.xml", 42, "<I", first)
    expect_error(path, "overlap|local header names")


def test_hostile_xml_in_the_custom_part_is_refused(tmp_path: Path) -> None:
    bomb = '<?xml version="1.0"?><!DOCTYPE p [<!ENTITY a "aaaa">]><Properties>&a;</Properties>'
    path = package(tmp_path / "a.docx", docx_parts(), custom=bomb)
    expect_error(path, "DTD or entities")
    deep = "<a>" * 5000 + "</a>" * 5000
    path = package(tmp_path / "b.docx", docx_parts(), custom=deep)
    expect_error(path, "not well-formed")


@pytest.fixture(scope="module")
def seed(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A labeled docx for fuzzing, built once."""
    path = samples.make_docx(tmp_path_factory.mktemp("seed") / "seed.docx")
    write(path, Record.new(PRODUCER, produce_id="fuzz"))
    return path.read_bytes()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzz_reader_only_raises_input_errors(tmp_path: Path, seed: bytes, data: st.DataObject) -> None:
    damaged = data.draw(mutated(seed))
    assert_reader_fails_cleanly(tmp_path / "f.docx", damaged, "ooxml")


NAMES = st.sampled_from(
    [
        "[Content_Types].xml",
        "_rels/.rels",
        "docProps/custom.xml",
        "../x",
        "/abs",
        "C:/x",
        "a\\..\\b",
        "DOCPROPS/CUSTOM.XML",
    ]
) | st.text(min_size=1, max_size=12)
PAYLOADS = st.sampled_from(
    [
        samples.CONTENT_TYPES.encode(),
        samples.RELS.encode(),
        custom_xml((2, "AIGC", "{}")).encode(),
        b"",
        b"\x00" * 9,
    ]
) | st.binary(max_size=64)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    members=st.lists(
        st.tuples(NAMES, PAYLOADS, st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])), max_size=6
    ),
    flags=st.integers(min_value=0, max_value=0xFFFF),
)
def test_fuzz_crafted_zips_only_raise_input_errors(
    tmp_path: Path, members: list[tuple[str, bytes, int]], flags: int
) -> None:
    path = tmp_path / "c.docx"
    with warnings.catch_warnings(), zipfile.ZipFile(path, "w") as archive:
        warnings.simplefilter("ignore")
        for name, payload, method in members:
            info = zipfile.ZipInfo(name)
            info.compress_type = method
            archive.writestr(info, payload)
    data = bytearray(path.read_bytes())
    at = data.find(b"PK\x01\x02")
    if at >= 0:
        struct.pack_into("<H", data, at + 8, flags)  # random general-purpose flags on the first entry
    assert_reader_fails_cleanly(path, bytes(data), "ooxml")


def test_strict_ooxml_namespaces_are_kept(tmp_path: Path, record: Record) -> None:
    strict_ns = "http://purl.oclc.org/ooxml/officeDocument/customProperties"
    strict_vt = "http://purl.oclc.org/ooxml/officeDocument/docPropsVTypes"
    custom = custom_xml((2, "Client", "ACME")).replace(CUSTOM_NS, strict_ns).replace(VT_NS, strict_vt)
    path = package(tmp_path / "a.docx", docx_parts(), custom=custom)
    write(path, record)
    with zipfile.ZipFile(path) as archive:
        root = etree.fromstring(archive.read("docProps/custom.xml"))
    props = list(root.iter(f"{{{strict_ns}}}property"))
    assert [(p.get("pid"), p.get("name")) for p in props] == [("2", "Client"), ("3", "AIGC")]
    assert props[1][0].tag == f"{{{strict_vt}}}lpwstr" and props[1][0].text == record.to_json()


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzz_writer_labels_or_raises_input_errors(tmp_path: Path, seed: bytes, data: st.DataObject) -> None:
    """Damaged files that still read must label cleanly (and read back) or fail with an InputError."""
    damaged = data.draw(mutated(seed))
    path = tmp_path / "w.docx"
    path.write_bytes(damaged)
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    record = Record.new(PRODUCER, produce_id="fuzz-2")
    try:
        write(path, record, output=out, container="ooxml")
    except InputError:
        return
    assert path.read_bytes() == damaged
    assert [f.record for f in read(out / path.name, container="ooxml").labels if not f.mirror] == [record]


@pytest.mark.parametrize("comment_len", [0, 100, 5000, 65535])
def test_archive_comments_of_any_length_are_read_through(
    tmp_path: Path, record: Record, comment_len: int
) -> None:
    """The end record is looked for in the last 4 KiB first and in the 64 KiB a comment can take after that: a
    comment of any length (even one holding what looks like an end record, which fools Python's zipfile) reads
    and writes the same, and the comment is kept."""
    path = package(tmp_path / "a.docx", docx_parts(), custom=custom_xml((2, "AIGC", record.to_json())))
    fake = b"PK\x05\x06" + b"\x00" * 18  # an end-record signature inside the comment, pointing nowhere
    comment = (fake + b"c" * comment_len)[:comment_len]
    data = bytearray(path.read_bytes())
    assert data[-2:] == b"\x00\x00"  # the comment length field of the end record, no comment yet
    data[-2:] = struct.pack("<H", len(comment))
    path.write_bytes(bytes(data) + comment)
    assert [found.record for found in read(path).labels] == [record]
    write(path, Record.new(PRODUCER, produce_id="again"))
    assert path.read_bytes().endswith(struct.pack("<H", len(comment)) + comment)
    assert [found.record.ProduceID for found in read(path).labels if found.record] == ["again"]
