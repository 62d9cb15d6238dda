"""OOXML (docx / xlsx / pptx, their templates and macro-enabled variants): the label is the custom document property
``AIGC`` in ``docProps/custom.xml`` holding the bare JSON (TC260-PG-20258A, reference §2.7):
``<property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="N" name="AIGC"><vt:lpwstr>{json}</vt:lpwstr>``.

The zip is read and written by a small hand-written parser of the central directory and local headers rather than
with :mod:`zipfile`, for two reasons. Writing: zipfile cannot copy a member's compressed bytes without inflating and
deflating them again, and recompression changes the bytes of every part (images, embedded fonts, the document body);
here every member other than the three package parts we touch (``docProps/custom.xml``, ``[Content_Types].xml``,
``_rels/.rels``) is copied byte for byte, local header and data descriptor included, in its original order.
Reading: zipfile accepts duplicate names, overlapping members, local headers that disagree with the central
directory and absurd compression ratios; each of those is a known way to smuggle content past a checker, so they
are refused here with an :class:`InputError` that names the file, the offset and the member. Only the central
directory and the few small XML parts are read, so read time does not grow with the media inside the package.
"""

from __future__ import annotations

import itertools
import re
import struct
import threading
import zlib
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import BinaryIO

from lxml import etree

from hegui.errors import LimitExceededError, UnsupportedFormatError
from hegui.label import spec
from hegui.label.containers.base import Container, Found, Source, found_from_value
from hegui.label.record import Finding, Record

LOCAL_SIG = b"PK\x03\x04"
CENTRAL_SIG = b"PK\x01\x02"
EOCD_SIG = b"PK\x05\x06"
ZIP64_LOCATOR_SIG = b"PK\x06\x07"
DESCRIPTOR_SIG = b"PK\x07\x08"
LOCAL = struct.Struct("<4sHHHHHIIIHH")  # 30 bytes
CENTRAL = struct.Struct("<4sHHHHHHIIIHHHHHII")  # 46 bytes
EOCD = struct.Struct("<4sHHHHIIH")  # 22 bytes

MAX_MEMBERS = 20_000
MAX_CENTRAL_DIRECTORY = 64 * 1024 * 1024
MAX_PART = 16 * 1024 * 1024  # an XML part we inflate (content types, relationships, custom properties)
MAX_RATIO = 400  # declared uncompressed / compressed size; deflate itself cannot exceed about 1032
RATIO_FLOOR = 1024 * 1024  # small members may have any ratio
MAX_TOTAL_UNCOMPRESSED = 4 * 1024**3

CONTENT_TYPES = "[Content_Types].xml"
ROOT_RELS = "_rels/.rels"
DEFAULT_PART = "docProps/custom.xml"
CUSTOM_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.custom-properties+xml"
CUSTOM_REL_TYPES = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties",
    "http://purl.oclc.org/ooxml/officeDocument/relationships/customProperties",  # ISO 29500 Strict
)
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
CUSTOM_NS = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
VT_NS = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
_DRIVE = re.compile(r"^[A-Za-z]:")


@dataclass
class Member:
    """One entry of the central directory, with where its bytes are."""

    name: str
    raw_name: bytes
    flags: int
    method: int
    time: int
    date: int
    crc: int
    csize: int
    usize: int
    local_offset: int
    central: bytes  # the raw central-directory record, copied into the new archive with the offset patched


@dataclass
class Archive:
    members: list[Member]  # central-directory order
    comment: bytes
    cd_offset: int

    def find(self, name: str) -> Member | None:
        key = name.casefold()
        for member in self.members:
            if member.name.casefold() == key:
                return member
        return None


def _check_name(name: str, src: Source, offset: int) -> None:
    parts = name.replace("\\", "/").split("/")
    if (
        not name
        or "\x00" in name
        or name.startswith(("/", "\\"))
        or _DRIVE.match(name)
        or any(part == ".." for part in parts)
    ):
        raise src.error(f"unsafe member name {name!r} in the zip (path traversal); refused", offset)


def archive_of(src: Source) -> Archive:
    """:func:`parse_archive`, once per open file (scan and file findings share it)."""
    return src.once("zip", lambda: parse_archive(src))


def parse_archive(src: Source) -> Archive:
    """The central directory, checked against hostile archives (see the module docstring)."""
    if src.size < EOCD.size:
        raise src.error("too short for a zip archive")
    # The end record is the last 22 bytes unless the archive has a comment (up to 64 KiB): look in the last
    # 4 KiB first (a 64 KiB read and search cost a large file's read a fifth of its time), then in the whole window.
    eocd_at = -1
    for window in sorted({min(src.size, EOCD.size + 4096), min(src.size, EOCD.size + 0xFFFF)}):
        tail = src.read_at(src.size - window, window, what="end of central directory")
        pos = tail.rfind(EOCD_SIG)
        while pos >= 0:
            if pos + EOCD.size <= len(tail):
                (comment_len,) = struct.unpack_from("<H", tail, pos + 20)
                if pos + EOCD.size + comment_len == len(tail):
                    eocd_at = pos
                    break
            pos = tail.rfind(EOCD_SIG, 0, pos)
        if eocd_at >= 0:
            break
    if eocd_at < 0:
        raise src.error("no end-of-central-directory record: not a zip archive, or truncated", src.size)
    eocd_offset = src.size - window + eocd_at
    _, disk, cd_disk, n_disk, n_total, cd_size, cd_offset, comment_len = EOCD.unpack_from(tail, eocd_at)
    comment = tail[eocd_at + EOCD.size : eocd_at + EOCD.size + comment_len]
    if disk or cd_disk or n_disk != n_total:
        raise UnsupportedFormatError("multi-volume zip archives are not supported", path=src.path)
    if (
        n_total == 0xFFFF
        or 0xFFFFFFFF in (cd_size, cd_offset)
        or (eocd_offset >= 20 and src.read_at(eocd_offset - 20, 4) == ZIP64_LOCATOR_SIG)
    ):
        raise UnsupportedFormatError(
            "ZIP64 packages (over 4 GiB or 65,535 parts) are not supported", path=src.path, offset=eocd_offset
        )
    if n_total > MAX_MEMBERS:
        raise LimitExceededError(
            f"zip declares {n_total} members, more than the {MAX_MEMBERS} allowed", path=src.path
        )
    if cd_size > MAX_CENTRAL_DIRECTORY:
        raise LimitExceededError(f"central directory of {cd_size} bytes is over the limit", path=src.path)
    if cd_offset + cd_size != eocd_offset:
        raise src.error(
            "central directory does not end where the end record starts (prefixed or damaged archive)",
            eocd_offset,
        )
    data = src.read_at(cd_offset, cd_size, what="central directory")
    members: list[Member] = []
    seen: set[str] = set()
    pos = 0
    total = 0
    for _ in range(n_total):
        at = cd_offset + pos
        if pos + CENTRAL.size > len(data):
            raise src.error("central directory is shorter than its entry count says", at)
        fields = CENTRAL.unpack_from(data, pos)
        sig, _made, _need, flags, method, mtime, mdate, crc, csize, usize = fields[:10]
        name_len, extra_len, cmt_len, _disk, _iattr, _eattr, local_offset = fields[10:]
        if sig != CENTRAL_SIG:
            raise src.error("bad central directory entry signature", at)
        end = pos + CENTRAL.size + name_len + extra_len + cmt_len
        if end > len(data):
            raise src.error("central directory entry runs past the directory", at)
        raw_name = data[pos + CENTRAL.size : pos + CENTRAL.size + name_len]
        try:
            name = raw_name.decode("utf-8") if flags & 0x800 else raw_name.decode("cp437")
        except UnicodeDecodeError as exc:
            raise src.error(f"member name is not valid UTF-8: {raw_name!r}", at) from exc
        _check_name(name, src, at)
        if name.casefold() in seen:
            raise src.error(f"duplicate member {name!r} in the zip; refused (ambiguous package)", at)
        seen.add(name.casefold())
        if flags & 0x41:
            raise src.error(f"member {name!r} is encrypted; encrypted packages are not supported", at)
        if 0xFFFFFFFF in (csize, usize, local_offset):
            raise UnsupportedFormatError(f"ZIP64 member {name!r} is not supported", path=src.path, offset=at)
        if usize > RATIO_FLOOR and usize > MAX_RATIO * max(csize, 1):
            raise LimitExceededError(
                f"member {name!r} declares {usize} bytes from {csize} compressed (ratio over {MAX_RATIO}): "
                "a zip bomb; refused",
                path=src.path,
                offset=at,
            )
        total += usize
        if total > MAX_TOTAL_UNCOMPRESSED:
            raise LimitExceededError(
                f"members declare more than {MAX_TOTAL_UNCOMPRESSED} bytes uncompressed in all; refused",
                path=src.path,
            )
        if local_offset + LOCAL.size + name_len + csize > cd_offset:
            raise src.error(f"member {name!r} runs into the central directory", at)
        members.append(
            Member(
                name, raw_name, flags, method, mtime, mdate, crc, csize, usize, local_offset, data[pos:end]
            )
        )
        pos = end
    if pos != len(data):
        raise src.error("central directory holds more bytes than its entries", cd_offset + pos)
    ordered = sorted(members, key=lambda m: m.local_offset)
    for first, second in itertools.pairwise(ordered):
        if first.local_offset + LOCAL.size + len(first.raw_name) + first.csize > second.local_offset:
            raise src.error(
                f"members {first.name!r} and {second.name!r} overlap (a zip bomb technique); refused",
                second.local_offset,
            )
    return Archive(members, comment, cd_offset)


def member_span(src: Source, member: Member) -> tuple[int, int]:
    """(data offset, end of the member's bytes including any data descriptor), checked against the central entry."""
    header = src.read_at(member.local_offset, LOCAL.size, what=f"local header of {member.name!r}")
    sig, _need, _flags, _method, _t, _d, _crc, _cs, _us, name_len, extra_len = LOCAL.unpack(header)
    if sig != LOCAL_SIG:
        raise src.error(f"bad local header signature for {member.name!r}", member.local_offset)
    raw_name = src.read_at(member.local_offset + LOCAL.size, name_len, what="local member name")
    if raw_name != member.raw_name:
        raise src.error(
            f"local header names {raw_name!r} but the central directory says {member.name!r}; refused",
            member.local_offset,
        )
    data_offset = member.local_offset + LOCAL.size + name_len + extra_len
    end = data_offset + member.csize
    if member.flags & 0x08:
        probe = src.read_at(end, 4, what="data descriptor")
        end += 16 if probe == DESCRIPTOR_SIG else 12
    return data_offset, end


def read_member(src: Source, archive: Archive, member: Member) -> bytes:
    """Inflate one small part, with the declared size and CRC checked (no bomb gets past MAX_PART)."""
    if member.usize > MAX_PART or member.csize > MAX_PART:
        raise LimitExceededError(
            f"part {member.name!r} of {member.usize} bytes is over the {MAX_PART}-byte limit",
            path=src.path,
            offset=member.local_offset,
        )
    data_offset, end = member_span(src, member)
    if end > archive.cd_offset:
        raise src.error(f"member {member.name!r} runs into the central directory", member.local_offset)
    raw = src.read_at(data_offset, member.csize, what=f"data of {member.name!r}")
    if member.method == 0:
        out = raw
    elif member.method == 8:
        inflater = zlib.decompressobj(-15)
        try:
            out = inflater.decompress(raw, member.usize + 1)
        except zlib.error as exc:
            raise src.error(f"corrupt deflate data in {member.name!r}: {exc}", data_offset) from exc
    else:
        raise UnsupportedFormatError(
            f"part {member.name!r} uses compression method {member.method}; only stored and deflate are read",
            path=src.path,
            offset=member.local_offset,
        )
    if len(out) != member.usize:
        raise src.error(
            f"part {member.name!r} inflates to {'more than ' if len(out) > member.usize else ''}"
            f"{len(out)} bytes but declares {member.usize}; refused",
            data_offset,
        )
    if zlib.crc32(out) & 0xFFFFFFFF != member.crc:
        raise src.error(f"CRC mismatch in {member.name!r}", data_offset)
    return out


# What data[:4096].upper() / data.upper() found before: the same tests, without copying the part.
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_ENTITY = re.compile(rb"<!ENTITY", re.IGNORECASE)
_local_parsers = threading.local()


def parse_xml(data: bytes, src: Source, name: str) -> etree._Element:
    """Parse a package part; DTDs and entity declarations are refused (no XXE, no billion laughs)."""
    if _DOCTYPE.search(data, 0, 4096) or _ENTITY.search(data):
        raise src.error(f"{name} declares a DTD or entities; refused")
    parser: etree.XMLParser | None = getattr(_local_parsers, "parser", None)
    if parser is None:  # one parser per thread, reused (lxml parsers are not shared between threads)
        parser = _local_parsers.parser = etree.XMLParser(
            resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
        )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise src.error(f"{name} is not well-formed XML: {exc}") from exc
    if root is None:
        raise src.error(f"{name} is empty")
    return root


def _local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _target(rel: etree._Element) -> str:
    """A root relationship's target as a part name (package-relative, no leading slash)."""
    target = (rel.get("Target") or "").strip().lstrip("/")
    return str(PurePosixPath(target)) if target else ""


def _is_label_name(name: str) -> bool:
    return spec.FIELD_NAME in name.upper()


@dataclass
class _Package:
    archive: Archive
    content_types: etree._Element | None  # parsed for writing only (a read needs the part to exist, no more)
    rels: etree._Element | None
    part: str  # the custom-properties part name (existing, or where it will go)
    custom: etree._Element | None
    labels: list[Found]


class OoxmlContainer(Container):
    name = "ooxml"
    extensions = (
        ".docx",
        ".docm",
        ".dotx",
        ".dotm",
        ".xlsx",
        ".xlsm",
        ".xltx",
        ".xltm",
        ".pptx",
        ".pptm",
        ".potx",
        ".potm",
    )
    media_type = "application/vnd.openxmlformats-officedocument"

    def sniff(self, head: bytes, name: str) -> bool:
        if not head.startswith(LOCAL_SIG):
            return False
        if name.lower().endswith(self.extensions):
            return True
        name_len = struct.unpack_from("<H", head, 26)[0] if len(head) >= 30 else 0
        return head[30 : 30 + name_len] == CONTENT_TYPES.encode()

    def _package(self, src: Source, *, for_write: bool = False) -> _Package:
        """The parts a label lives in; ``[Content_Types].xml`` is parsed only ``for_write`` (a read does not
        need it, and skipping it saves a third of a small package's read)."""
        archive = archive_of(src)
        types_member = archive.find(CONTENT_TYPES)
        if types_member is None:
            raise src.error(f"not an OOXML package: no {CONTENT_TYPES}")
        content_types = (
            parse_xml(read_member(src, archive, types_member), src, CONTENT_TYPES) if for_write else None
        )
        rels_member = archive.find(ROOT_RELS)
        rels = parse_xml(read_member(src, archive, rels_member), src, ROOT_RELS) if rels_member else None
        part = DEFAULT_PART
        if rels is not None:
            for rel in rels:
                if _local(rel.tag) == "Relationship" and rel.get("Type") in CUSTOM_REL_TYPES:
                    target = _target(rel)
                    if target and rel.get("TargetMode") != "External":
                        part = target
                        break
        labels: list[Found] = []
        custom: etree._Element | None = None
        member = archive.find(part)
        if member is not None:
            part = member.name
            custom = parse_xml(read_member(src, archive, member), src, part)
            for prop in custom:
                if _local(prop.tag) != "property" or not _is_label_name(prop.get("name") or ""):
                    continue
                value = next((child.text or "" for child in prop if isinstance(child.tag, str)), "")
                labels.append(
                    found_from_value(
                        self.name, f"{part} property {prop.get('name')}", value, offset=member.local_offset
                    )
                )
        return _Package(archive, content_types, rels, part, custom, labels)

    def scan(self, src: Source) -> list[Found]:
        return self._package(src).labels

    def file_findings(self, src: Source, labels: list[Found]) -> list[Finding]:
        archive = archive_of(src)
        if any(m.name.casefold().startswith("_xmlsignatures/") for m in archive.members):
            return [_signature_warning()]
        return []

    def render(self, src: Source, dst: BinaryIO, record: Record) -> list[Finding]:
        package = self._package(src, for_write=True)
        archive = package.archive
        warnings: list[Finding] = []
        if any(m.name.casefold().startswith("_xmlsignatures/") for m in archive.members):
            warnings.append(_signature_warning())
        # casefolded member name -> (member name, new uncompressed bytes)
        replaced: dict[str, tuple[str, bytes]] = {}
        replaced[package.part.casefold()] = (package.part, _custom_xml(package.custom, record.to_json()))
        assert package.content_types is not None
        types = _content_types(package.content_types, package.part)
        if types is not None:
            replaced[CONTENT_TYPES.casefold()] = (CONTENT_TYPES, types)
        rels = _root_rels(package.rels, package.part)
        if rels is not None:
            replaced[ROOT_RELS.casefold()] = (ROOT_RELS, rels)
        stamp = archive.find(CONTENT_TYPES)
        assert stamp is not None
        writer = _Writer(dst)
        central: dict[int, bytes] = {}  # id(member) -> new central record
        ordered = sorted(archive.members, key=lambda m: m.local_offset)
        if ordered and ordered[0].local_offset:
            src.copy_to(dst, 0, ordered[0].local_offset)  # anything before the first member, kept as is
            writer.position = ordered[0].local_offset
        limits = [m.local_offset for m in ordered[1:]] + [archive.cd_offset]
        for member, limit in zip(ordered, limits, strict=True):
            new = replaced.pop(member.name.casefold(), None)
            if new is None:
                _, end = member_span(src, member)
                if end > limit:
                    raise src.error(f"member {member.name!r} runs into the next member", member.local_offset)
                offset = writer.position
                src.copy_to(dst, member.local_offset, end - member.local_offset)
                writer.position += end - member.local_offset
                central[id(member)] = member.central[:42] + struct.pack("<I", offset) + member.central[46:]
            else:
                central[id(member)] = writer.member(member.raw_name, new[1], member.time, member.date)
        # Parts the package did not have (custom.xml, rarely _rels/.rels) go after the existing members.
        added = [
            writer.member(name.encode(), data, stamp.time, stamp.date) for name, data in replaced.values()
        ]
        cd_offset = writer.position
        for member in archive.members:
            writer.write(central[id(member)])
        for record_bytes in added:
            writer.write(record_bytes)
        count = len(archive.members) + len(added)
        writer.write(
            EOCD.pack(
                EOCD_SIG, 0, 0, count, count, writer.position - cd_offset, cd_offset, len(archive.comment)
            )
            + archive.comment
        )
        return warnings


class _Writer:
    """Counts what goes into ``dst`` and writes freshly deflated members."""

    def __init__(self, dst: BinaryIO) -> None:
        self.dst = dst
        self.position = 0

    def write(self, data: bytes) -> None:
        self.dst.write(data)
        self.position += len(data)

    def member(self, raw_name: bytes, data: bytes, time: int, date: int) -> bytes:
        """Write a local header and deflated data; return the central-directory record for it."""
        compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
        packed = compressor.compress(data) + compressor.flush()
        crc = zlib.crc32(data) & 0xFFFFFFFF
        flags = 0 if raw_name.isascii() else 0x800
        offset = self.position
        self.write(
            LOCAL.pack(LOCAL_SIG, 20, flags, 8, time, date, crc, len(packed), len(data), len(raw_name), 0)
            + raw_name
        )
        self.write(packed)
        return (
            CENTRAL.pack(
                CENTRAL_SIG,
                20,
                20,
                flags,
                8,
                time,
                date,
                crc,
                len(packed),
                len(data),
                len(raw_name),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            + raw_name
        )


def _serialise(root: etree._Element) -> bytes:
    """The part as Office writes it: double-quoted declaration with standalone="yes", UTF-8."""
    body: bytes = etree.tostring(root, encoding="UTF-8", xml_declaration=False)
    return b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n' + body


def _custom_xml(custom: etree._Element | None, value: str) -> bytes:
    """custom.xml with exactly one AIGC property holding ``value``; every other property kept."""
    if custom is None:
        custom = etree.Element(f"{{{CUSTOM_NS}}}Properties", nsmap={None: CUSTOM_NS, "vt": VT_NS})
    # Keep the package's own namespaces (transitional or ISO 29500 Strict).
    namespace = etree.QName(custom).namespace or CUSTOM_NS
    vt_namespace = custom.nsmap.get("vt") or VT_NS
    holder: etree._Element | None = None
    pids: list[int] = []
    for prop in list(custom):
        if _local(prop.tag) != "property":
            continue
        if _is_label_name(prop.get("name") or ""):
            if holder is None:
                holder = prop
            else:
                custom.remove(prop)
            continue
        pid = prop.get("pid") or ""
        if pid.isdigit():
            pids.append(int(pid))
    if holder is None:
        holder = etree.SubElement(custom, f"{{{namespace}}}property")
        holder.set("fmtid", spec.OOXML_CUSTOM_FMTID)
        holder.set("pid", str(max([1, *pids]) + 1))
    else:
        for child in list(holder):
            holder.remove(child)
        pid = holder.get("pid") or ""
        if not pid.isdigit() or int(pid) < 2 or int(pid) in pids:
            holder.set("pid", str(max([1, *pids]) + 1))
        holder.set("fmtid", spec.OOXML_CUSTOM_FMTID)
    holder.set("name", spec.FIELD_NAME)
    text = etree.SubElement(holder, f"{{{vt_namespace}}}lpwstr")
    text.text = value
    return _serialise(custom)


def _content_types(root: etree._Element, part: str) -> bytes | None:
    """[Content_Types].xml with an Override for the custom part, or None when it already has a correct one."""
    part_name = "/" + part
    for item in root:
        if _local(item.tag) == "Override" and (item.get("PartName") or "").casefold() == part_name.casefold():
            if item.get("ContentType") == CUSTOM_CONTENT_TYPE:
                return None
            item.set("ContentType", CUSTOM_CONTENT_TYPE)
            return _serialise(root)
    namespace = etree.QName(root).namespace or CT_NS
    override = etree.SubElement(root, f"{{{namespace}}}Override")
    override.set("PartName", part_name)
    override.set("ContentType", CUSTOM_CONTENT_TYPE)
    return _serialise(root)


def _root_rels(root: etree._Element | None, part: str) -> bytes | None:
    """_rels/.rels with a custom-properties relationship to ``part``, or None when it already has one."""
    if root is None:
        root = etree.Element(f"{{{REL_NS}}}Relationships", nsmap={None: REL_NS})
    ids = set()
    for rel in root:
        if _local(rel.tag) != "Relationship":
            continue
        ids.add(rel.get("Id"))
        if rel.get("Type") in CUSTOM_REL_TYPES and _target(rel).casefold() == part.casefold():
            return None
    number = 1
    while f"rId{number}" in ids:
        number += 1
    namespace = etree.QName(root).namespace or REL_NS
    rel = etree.SubElement(root, f"{{{namespace}}}Relationship")
    rel.set("Id", f"rId{number}")
    rel.set("Type", CUSTOM_REL_TYPES[0])
    rel.set("Target", part)
    return _serialise(root)


def _signature_warning() -> Finding:
    return Finding(
        "warning",
        "ooxml-signature",
        "the package carries a digital signature (_xmlsignatures/); adding the label changes signed parts "
        "(relationships, content types), so Office will report the signature as invalid",
    )


CONTAINERS: tuple[Container, ...] = (OoxmlContainer(),)
