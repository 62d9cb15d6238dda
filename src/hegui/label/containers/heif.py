"""HEIF / HEIC / AVIF (ISO/IEC 23008-12 image files in ISO BMFF): the label lives in an XMP item, an item of type
``mime`` with content type ``application/rdf+xml`` listed in ``meta/iinf`` and located by ``meta/iloc`` (reference
§2.7, images). The ``UserComment`` of an ``Exif`` item and a top-level XMP ``uuid`` box are read too.

Reading parses the ``meta`` box only and then reads the few bytes the metadata items point at (file offsets,
construction method 0, or offsets into ``idat``, construction method 1); coded image data in ``mdat`` is never read,
so read time does not grow with the image.

Writing is by hand, not through Pillow / libheif, because those re-encode the image. When the existing XMP item's
extent has room, the new packet overwrites it in place (XMP padding) and no byte moves. Otherwise meta is rebuilt:
an ``infe`` (type ``mime``) for a new XMP item, an ``iref`` ``cdsc`` link to the primary image, and an ``iloc`` whose
file offsets past meta are shifted by the growth; the packet goes into a new ``mdat`` right after meta, with 1 KiB
of padding so that the next label fits in place. Coded image data is copied byte for byte. Image sequences (a
``moov`` track with its own chunk offsets) are refused rather than half-rewritten.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO

from hegui.errors import InputError, UnsupportedFormatError
from hegui.label import spec, xmp
from hegui.label.containers.base import (
    Container,
    Found,
    InPlacePlan,
    Source,
    c2pa_warning,
    found_from_value,
)
from hegui.label.journal import Region
from hegui.label.record import Finding, Record

# Major / compatible brands of HEIF image files (ISO/IEC 23008-12 Annex B, AV1 Image File Format §7).
HEIF_BRANDS = frozenset(
    {
        b"heic",
        b"heix",
        b"heim",
        b"heis",
        b"hevc",
        b"hevx",
        b"mif1",
        b"msf1",
        b"mif2",
        b"avif",
        b"avis",
        b"miaf",
    }
)
XMP_CONTENT_TYPE = "application/rdf+xml"
C2PA_UUID = bytes.fromhex("D8FEC3D61B0E483C92975828877EC481")
MAX_META = 16 * 1024 * 1024  # a meta box larger than this is refused (real ones are a few KB)
MAX_TOP_BOXES = 100_000
MAX_ITEMS = 65_536
MAX_EXTENTS = 4096
MAX_ITEM_DATA = xmp.MAX_PACKET_BYTES
MAX_IFD_ENTRIES = 1024
XMP_PADDING = 1024  # whitespace after a new XMP packet, so that the next label fits in place


@dataclass
class Item:
    """One entry of ``iinf`` joined with its ``iloc`` location."""

    item_id: int
    item_type: bytes = b""
    content_type: str = ""
    construction_method: int = 0
    base_offset: int = 0
    extents: list[tuple[int, int]] = field(default_factory=list)
    located: bool = False
    data_reference: int = 0
    indexes: list[int] = field(default_factory=list)  # extent_index values (iloc v1/v2 with index_size > 0)


@dataclass
class Meta:
    """What the top-level ``meta`` box says, plus where ``idat`` and top-level ``uuid`` boxes are."""

    items: dict[int, Item] = field(default_factory=dict)
    idat: tuple[int, int] | None = None  # (file offset of the payload, size)
    uuids: list[tuple[bytes, int, int]] = field(default_factory=list)  # (uuid, payload offset, payload size)
    # What a writer needs: the meta box, its children as raw boxes, the iloc layout, the top-level boxes.
    box: tuple[int, int, int] = (0, 0, 0)  # (offset, payload offset, end) of the top-level meta
    children: list[tuple[bytes, bytes]] = field(default_factory=list)  # (type, the whole child box)
    iloc: tuple[int, int, int, int, int] = (1, 4, 4, 0, 0)  # version, offset/length/base offset/index sizes
    iloc_order: list[int] = field(default_factory=list)
    iinf_version: int = 0
    infe_boxes: list[bytes] = field(default_factory=list)
    primary: int | None = None
    top: list[tuple[bytes, int, int, int]] = field(default_factory=list)  # (type, offset, payload, end)


class _Reader:
    """Big-endian fields over an in-memory box payload; running off the end is an InputError naming the offset."""

    def __init__(self, src: Source, data: bytes, base: int, what: str) -> None:
        self.src, self.data, self.base, self.what, self.pos = src, data, base, what, 0

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise self.src.error(f"{self.what} box is too short", self.base + self.pos)
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def uint(self, n: int) -> int:
        if not n:
            return 0
        pos = self.pos
        end = pos + n
        if end > len(self.data):
            raise self.src.error(f"{self.what} box is too short", self.base + pos)
        self.pos = end
        return int.from_bytes(self.data[pos:end], "big")

    def cstring(self) -> str:
        end = self.data.find(b"\x00", self.pos)
        if end < 0:  # a missing terminator at the end of the box is tolerated
            end = len(self.data)
        text = self.data[self.pos : end].decode("utf-8", errors="replace")
        self.pos = min(end + 1, len(self.data))
        return text

    def at_end(self) -> bool:
        return self.pos >= len(self.data)


def iter_boxes(src: Source, start: int, end: int, *, limit: int) -> list[tuple[bytes, int, int, int]]:
    """(type, box offset, payload offset, box end) of the boxes in ``[start, end)``, from headers only."""
    boxes: list[tuple[bytes, int, int, int]] = []
    pos = start
    while pos + 8 <= end:
        size, btype = struct.unpack(">I4s", src.read_at(pos, 8, what="box header"))
        header = 8
        if size == 1:
            (size,) = struct.unpack(">Q", src.read_at(pos + 8, 8, what="64-bit box size"))
            header = 16
        elif size == 0:
            size = end - pos
        if size < header or pos + size > end:
            raise src.error(f"box {btype!r} of {size} bytes does not fit in its parent (ends at {end})", pos)
        boxes.append((btype, pos, pos + header, pos + size))
        if len(boxes) > limit:
            raise src.error(f"more than {limit} boxes; refused", pos)
        pos += size
    return boxes


def _parse_iinf(src: Source, data: bytes, base: int, meta: Meta) -> None:
    r = _Reader(src, data, base, "iinf")
    version = r.uint(1)
    r.take(3)
    count = r.uint(2 if version == 0 else 4)
    if count > MAX_ITEMS:
        raise src.error(f"iinf declares {count} items; refused", base)
    pos = r.pos
    for _ in range(count):
        if pos + 8 > len(data):
            raise src.error("iinf ends before its declared item count", base + pos)
        size, btype = struct.unpack(">I4s", data[pos : pos + 8])
        if size < 12 or pos + size > len(data):
            raise src.error(f"infe box of {size} bytes does not fit in iinf", base + pos)
        if btype == b"infe":
            _parse_infe(src, data[pos + 8 : pos + size], base + pos + 8, meta)
            meta.infe_boxes.append(data[pos : pos + size])
        pos += size
    meta.iinf_version = version


def _parse_infe(src: Source, data: bytes, base: int, meta: Meta) -> None:
    r = _Reader(src, data, base, "infe")
    version = r.uint(1)
    r.take(3)
    if version >= 2:
        item_id = r.uint(2 if version == 2 else 4)
        r.uint(2)  # protection index
        item_type = r.take(4)
        r.cstring()  # item name
        content_type = r.cstring() if item_type == b"mime" and not r.at_end() else ""
    else:  # versions 0 and 1: no item type, a content type for every item
        item_id = r.uint(2)
        r.uint(2)
        r.cstring()
        content_type = r.cstring() if not r.at_end() else ""
        item_type = b"mime" if content_type else b""
    item = meta.items.setdefault(item_id, Item(item_id))
    item.item_type, item.content_type = item_type, content_type.strip()


def _parse_iloc(src: Source, data: bytes, base: int, meta: Meta) -> None:
    r = _Reader(src, data, base, "iloc")
    version = r.uint(1)
    r.take(3)
    if version > 2:
        raise src.error(f"iloc version {version} is unknown", base)
    sizes = r.uint(2)
    offset_size, length_size = sizes >> 12, (sizes >> 8) & 15
    base_offset_size, index_size = (sizes >> 4) & 15, sizes & 15 if version else 0
    for name, value in (("offset", offset_size), ("length", length_size), ("base offset", base_offset_size)):
        if value not in (0, 4, 8):
            raise src.error(f"iloc {name} size {value} (0, 4 or 8 expected)", base + 4)
    count = r.uint(2 if version < 2 else 4)
    if count > MAX_ITEMS:
        raise src.error(f"iloc declares {count} items; refused", base)
    meta.iloc = (version, offset_size, length_size, base_offset_size, index_size)
    for _ in range(count):
        item_id = r.uint(2 if version < 2 else 4)
        method = r.uint(2) & 15 if version else 0
        data_reference = r.uint(2)
        base_offset = r.uint(base_offset_size)
        extent_count = r.uint(2)
        if extent_count > MAX_EXTENTS:
            raise src.error(f"item {item_id} has {extent_count} extents; refused", base + r.pos)
        extents = []
        indexes = []
        for _ in range(extent_count):
            indexes.append(r.uint(index_size))
            extents.append((r.uint(offset_size), r.uint(length_size)))
        item = meta.items.setdefault(item_id, Item(item_id))
        item.construction_method, item.base_offset, item.extents = method, base_offset, extents
        item.located, item.data_reference, item.indexes = True, data_reference, indexes
        meta.iloc_order.append(item_id)


def parse_meta(src: Source) -> Meta:
    """The items of the top-level ``meta`` box, without reading ``mdat``."""
    head = src.read_at(0, 8, what="ftyp header")
    if head[4:8] != b"ftyp":
        raise src.error("not an ISO BMFF file (no ftyp box first)", 4)
    meta = Meta()
    found_meta = False
    for btype, offset, payload, end in iter_boxes(src, 0, src.size, limit=MAX_TOP_BOXES):
        meta.top.append((btype, offset, payload, end))
        if btype == b"uuid" and end - payload >= 16:
            meta.uuids.append((src.read_at(payload, 16, what="uuid"), payload + 16, end - payload - 16))
        if btype != b"meta" or found_meta:
            continue
        found_meta = True
        meta.box = (offset, payload, end)
        if end - payload > MAX_META:
            raise src.error(f"meta box of {end - payload} bytes is over the {MAX_META}-byte limit", offset)
        data = src.read_at(payload, end - payload, what="meta box")
        if len(data) < 4:
            raise src.error("meta box is too short", offset)
        pos = 4  # FullBox version and flags
        while pos + 8 <= len(data):
            size, child = struct.unpack(">I4s", data[pos : pos + 8])
            header = 8
            if size == 1 and pos + 16 <= len(data):
                (size,) = struct.unpack(">Q", data[pos + 8 : pos + 16])
                header = 16
            elif size == 0:
                size = len(data) - pos
            if size < header or pos + size > len(data):
                raise src.error(f"box {child!r} of {size} bytes does not fit in meta", payload + pos)
            body = data[pos + header : pos + size]
            at = payload + pos + header
            if child == b"iinf":
                _parse_iinf(src, body, at, meta)
            elif child == b"iloc":
                _parse_iloc(src, body, at, meta)
            elif child == b"idat":
                meta.idat = (at, len(body))
            elif child == b"pitm" and len(body) >= 6:
                meta.primary = int.from_bytes(body[4:6] if body[0] == 0 else body[4:8], "big")
            meta.children.append((child, data[pos : pos + size]))
            pos += size
    return meta


def item_data(src: Source, meta: Meta, item: Item) -> tuple[bytes, int]:
    """The bytes of an item and the file offset of its first byte (construction methods 0 and 1)."""
    if not item.located:
        raise src.error(f"item {item.item_id} is listed in iinf but not located in iloc")
    if item.construction_method == 0:
        origin, limit = 0, src.size
    elif item.construction_method == 1:
        if meta.idat is None:
            raise src.error(f"item {item.item_id} is stored in idat, but meta has no idat box")
        origin, limit = meta.idat[0], meta.idat[1]
    else:
        raise src.error(
            f"item {item.item_id} uses construction method {item.construction_method} (item offsets)"
        )
    parts: list[bytes] = []
    total = 0
    first = origin + item.base_offset + (item.extents[0][0] if item.extents else 0)
    for offset, length in item.extents:
        start = item.base_offset + offset
        if length == 0:  # the rest of the file / idat
            length = limit - start
        total += length
        if total > MAX_ITEM_DATA:
            raise src.error(
                f"item {item.item_id} holds more than {MAX_ITEM_DATA} bytes; refused", origin + start
            )
        if start < 0 or start + length > limit:
            raise src.error(f"item {item.item_id} extent runs past the end of its data", origin + start)
        parts.append(src.read_at(origin + start, length, what=f"item {item.item_id}"))
    return b"".join(parts), first


def exif_user_comment(data: bytes) -> str | None:
    """The text of EXIF tag 0x9286 (UserComment) in a TIFF-structured EXIF block, or None."""
    found = user_comment_span(data)
    if found is None:
        return None
    start, length, utf16 = found
    value = data[start + 8 : start + length]
    if utf16 is not None:
        return value.decode(utf16, errors="replace").strip("\x00 ")
    return value.decode("utf-8", errors="replace").strip("\x00 ")


def user_comment_span(data: bytes) -> tuple[int, int, str | None] | None:
    """(offset of the UserComment value in ``data``, its length, UTF-16 codec for UNICODE or None), or None.

    Lenient: a damaged EXIF block yields None, since the EXIF is nested metadata, not the container.
    """
    start = data.find(b"Exif\x00\x00", 0, 16)
    origin = start + 6 if start >= 0 else 0
    tiff = data[origin:]
    if tiff[:4] == b"II*\x00":
        order = "<"
    elif tiff[:4] == b"MM\x00*":
        order = ">"
    else:
        return None

    def entries(offset: int) -> dict[int, tuple[int, int, int]]:
        if offset < 8 or offset + 2 > len(tiff):
            return {}
        (count,) = struct.unpack(order + "H", tiff[offset : offset + 2])
        found: dict[int, tuple[int, int, int]] = {}
        for index in range(min(count, MAX_IFD_ENTRIES)):
            at = offset + 2 + 12 * index
            if at + 12 > len(tiff):
                break
            tag, kind, n = struct.unpack(order + "HHI", tiff[at : at + 8])
            found[tag] = (kind, n, at + 8)
        return found

    if len(tiff) < 8:
        return None
    (ifd0,) = struct.unpack(order + "I", tiff[4:8])
    tags = entries(ifd0)
    if 0x9286 not in tags and 0x8769 in tags:
        (exif_ifd,) = struct.unpack(order + "I", tiff[tags[0x8769][2] : tags[0x8769][2] + 4])
        tags = entries(exif_ifd)
    if 0x9286 not in tags:
        return None
    _, n, field_at = tags[0x9286]
    if n <= 4:
        at = field_at
    else:
        (at,) = struct.unpack(order + "I", tiff[field_at : field_at + 4])
    if n < 8 or at + n > len(tiff):
        return None
    utf16 = ("utf-16-le" if order == "<" else "utf-16-be") if tiff[at : at + 7] == b"UNICODE" else None
    return origin + at, n, utf16


def _is_heif(head: bytes) -> bool:
    if head[4:8] != b"ftyp":
        return False
    size = int.from_bytes(head[:4], "big")
    brands = [head[8:12]] + [head[i : i + 4] for i in range(16, min(size, len(head)) - 3, 4)]
    return head[8:12] in HEIF_BRANDS or (b"mif1" in brands and not {b"isom", b"mp41", b"mp42"} & set(brands))


def _is_xmp_item(item: Item) -> bool:
    return item.item_type == b"mime" and item.content_type.lower() == XMP_CONTENT_TYPE


def _fit(packet: bytes, size: int) -> bytes:
    """``packet`` grown to ``size`` bytes with XMP padding (whitespace before the closing xpacket)."""
    room = size - len(packet)
    at = packet.rfind(b"<?xpacket end")
    if at < 0:
        return packet + b" " * room
    return packet[:at] + b" " * room + packet[at:]


def _box(btype: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(payload), btype) + payload


def _iloc_box(meta: Meta, items: list[Item], sizes: tuple[int, int, int, int, int]) -> bytes:
    version, offset_size, length_size, base_size, index_size = sizes
    wide = version == 2
    out = bytearray([version, 0, 0, 0, (offset_size << 4) | length_size, (base_size << 4) | index_size])
    out += struct.pack(">I" if wide else ">H", len(items))
    for item in items:
        out += struct.pack(">I" if wide else ">H", item.item_id)
        if version:
            out += struct.pack(">H", item.construction_method)
        out += struct.pack(">H", item.data_reference)
        out += item.base_offset.to_bytes(base_size, "big")
        out += struct.pack(">H", len(item.extents))
        for index, (offset, length) in zip(
            item.indexes or [0] * len(item.extents), item.extents, strict=True
        ):
            out += index.to_bytes(index_size, "big") if version else b""
            out += offset.to_bytes(offset_size, "big") + length.to_bytes(length_size, "big")
    return _box(b"iloc", bytes(out))


def _c2pa_warnings(meta: Meta) -> list[Finding]:
    """The C2PA warning when the file carries a manifest (a label change breaks its hash binding)."""
    return [c2pa_warning()] if any(u == C2PA_UUID for u, _, _ in meta.uuids) else []


def _xmp_target(meta: Meta) -> Item | None:
    """The XMP item a label is written to: the first located one."""
    return next((i for i in meta.items.values() if _is_xmp_item(i) and i.located), None)


def _patcher(meta: Meta, patches: list[tuple[int, bytes]]) -> Callable[[Item, int, bytes], None]:
    """A function recording a patch of an item's bytes at ``at`` (item-relative for idat items) as a file offset."""

    def patch(item: Item, at: int, data: bytes) -> None:
        origin = meta.idat[0] if item.construction_method == 1 and meta.idat is not None else 0
        patches.append((origin + at, data))

    return patch


def _copy_patched(src: Source, dst: BinaryIO, start: int, end: int, patches: list[tuple[int, bytes]]) -> None:
    """Copy ``[start, end)`` of the source, replacing the patched ranges (metadata bytes only)."""
    pos = start
    for at, data in sorted(patches):
        if at < start or at >= end:
            continue
        src.copy_to(dst, pos, at - pos)
        dst.write(data)
        pos = at + len(data)
    src.copy_to(dst, pos, end - pos)


class HeifContainer(Container):
    name = "heif"
    extensions = (".heic", ".heif", ".avif", ".hif")
    media_type = "image/heif"

    def sniff(self, head: bytes, name: str) -> bool:
        return _is_heif(head)

    @staticmethod
    def _meta(src: Source) -> Meta:
        """:func:`parse_meta`, once per open file when reading (scan and file findings share it)."""
        cached: Meta | None = src.memo.get("heif")
        if cached is None:
            cached = src.memo["heif"] = parse_meta(src)
        return cached

    def scan(self, src: Source) -> list[Found]:
        meta = self._meta(src)
        labels: list[Found] = []
        for item in meta.items.values():
            is_xmp = _is_xmp_item(item)
            if not is_xmp and item.item_type != b"Exif":
                continue
            if not item.located or item.construction_method > 1:
                continue  # nothing to read (item offsets, construction method 2, are not resolved)
            data, offset = item_data(src, meta, item)
            if is_xmp:
                try:
                    hits = xmp.find_aigc(data)
                except InputError as exc:
                    raise src.error(f"XMP item {item.item_id}: {exc.detail}", offset) from exc
                for hit in hits:
                    where = f"meta item {item.item_id} (mime {XMP_CONTENT_TYPE}) TC260:AIGC"
                    labels.append(found_from_value(self.name, where, hit.value, offset=offset, form=hit.form))
            else:
                comment = exif_user_comment(data[4:] if len(data) >= 4 else b"")
                if comment is not None and "AIGC" in comment:
                    where = f"meta item {item.item_id} (Exif) UserComment"
                    labels.append(found_from_value(self.name, where, comment, offset=offset))
        for uuid, payload, size in meta.uuids:
            if uuid != spec.XMP_UUID_ISOBMFF:
                continue
            if size > MAX_ITEM_DATA:
                raise src.error(f"XMP uuid box of {size} bytes is over the limit", payload)
            try:
                hits = xmp.find_aigc(src.read_at(payload, size, what="XMP uuid box"))
            except InputError as exc:
                raise src.error(f"XMP uuid box: {exc.detail}", payload) from exc
            for hit in hits:
                labels.append(
                    found_from_value(self.name, "uuid XMP box TC260:AIGC", hit.value, offset=payload)
                )
        return labels

    def file_findings(self, src: Source, labels: list[Found]) -> list[Finding]:
        return _c2pa_warnings(self._meta(src))

    def render(self, src: Source, dst: BinaryIO, record: Record) -> list[Finding]:
        meta = parse_meta(src)
        self._check_writable(src, meta)
        warnings = _c2pa_warnings(meta)
        fitting = self._fitting_patches(src, meta, record)
        if fitting is not None:  # fits in place: no box moves, no offset changes
            _copy_patched(src, dst, 0, src.size, fitting)
            return warnings
        patches: list[tuple[int, bytes]] = []  # (file offset, bytes) of metadata bytes to overwrite
        patch = _patcher(meta, patches)
        self._blank_exif_labels(src, meta, patch)
        target = _xmp_target(meta)
        old_packet = item_data(src, meta, target)[0] if target is not None else None
        packet = xmp.set_aigc(old_packet, record.to_json())
        data = _fit(packet, len(packet) + XMP_PADDING)  # room for the next label to fit in place
        if target is not None:  # relocated: blank the old bytes unless another item shares them
            self._blank_item(src, meta, target, patch)
        self._relocate(src, dst, meta, patches, target, data)
        return warnings

    def _fitting_patches(self, src: Source, meta: Meta, record: Record) -> list[tuple[int, bytes]] | None:
        """The metadata bytes that label the file without moving any other byte (the new packet over the XMP
        item's extent, padded to its size; an Exif UserComment label blanked), or None when the item has no room.
        Only for file-offset items: ExifTool (12.57) does not extract XMP stored in idat, so an idat item is moved
        into a new mdat for interoperability."""
        target = _xmp_target(meta)
        if target is None or target.construction_method != 0 or target.data_reference != 0:
            return None
        if len(target.extents) != 1 or target.extents[0][1] <= 0:
            return None
        offset, length = target.extents[0]
        packet = xmp.set_aigc(item_data(src, meta, target)[0], record.to_json())
        if len(packet) > length:
            return None
        patches: list[tuple[int, bytes]] = []
        patch = _patcher(meta, patches)
        self._blank_exif_labels(src, meta, patch)
        patch(target, target.base_offset + offset, _fit(packet, length))
        return patches

    supports_in_place = True

    def plan_in_place(self, src: Source, record: Record) -> InPlacePlan | None:
        """The same bytes as the copy's fitting case, written where they lie under the undo journal."""
        meta = self._meta(src)
        try:
            self._check_writable(src, meta)
        except UnsupportedFormatError:
            return None  # the copy path raises it with its full message
        patches = self._fitting_patches(src, meta, record)
        if patches is None:
            return None
        regions = [
            Region(at, src.read_at(at, len(data), what="HEIF metadata"), data) for at, data in sorted(patches)
        ]
        return InPlacePlan(regions, src.size, _c2pa_warnings(meta))

    def _check_writable(self, src: Source, meta: Meta) -> None:
        if meta.box == (0, 0, 0):
            raise UnsupportedFormatError("HEIF file without a top-level meta box", path=src.path)
        tracks = {t for t, _, _, _ in meta.top} & {b"moov", b"moof", b"mfra"}
        if tracks:
            raise UnsupportedFormatError(
                "writing image sequences (HEIF/AVIF with a moov track) is not supported: their stco/co64 chunk "
                "offsets would have to be shifted too",
                path=src.path,
            )
        if any(t == b"meta" for t, _, _, _ in meta.top[meta.top.index((b"meta", *meta.box)) + 1 :]):
            raise UnsupportedFormatError("HEIF file with more than one top-level meta box", path=src.path)
        labelled_xmp = 0
        for item in meta.items.values():
            readable = _is_xmp_item(item) and item.located and item.construction_method <= 1
            if readable and xmp.find_aigc(item_data(src, meta, item)[0]):
                labelled_xmp += 1
        if labelled_xmp > 1:
            raise UnsupportedFormatError("HEIF file with labels in more than one XMP item", path=src.path)
        if any(u == spec.XMP_UUID_ISOBMFF for u, _, _ in meta.uuids):
            raise UnsupportedFormatError(
                "HEIF file with a top-level XMP uuid box: hegui writes the XMP item and would leave two labels",
                path=src.path,
            )

    def _blank_exif_labels(self, src: Source, meta: Meta, patch: Callable[[Item, int, bytes], None]) -> None:
        """Blank the label in an Exif item's UserComment in place (same length): the label moves into XMP."""
        for item in meta.items.values():
            if item.item_type != b"Exif" or not item.located or item.construction_method > 1:
                continue
            data, _ = item_data(src, meta, item)
            comment = exif_user_comment(data[4:])
            if comment is None or "AIGC" not in comment:
                continue
            span = user_comment_span(data[4:])
            if span is None or len(item.extents) != 1:
                raise UnsupportedFormatError(
                    "the Exif item's UserComment label spans several extents; hegui cannot blank it",
                    path=src.path,
                )
            at, length, _ = span
            start = item.base_offset + item.extents[0][0] + 4 + at
            patch(item, start, b"ASCII\x00\x00\x00" + b" " * (length - 8))

    def _blank_item(
        self, src: Source, meta: Meta, item: Item, patch: Callable[[Item, int, bytes], None]
    ) -> None:
        ranges = [(item.base_offset + o, item.base_offset + o + n) for o, n in item.extents if n > 0]
        for other in meta.items.values():
            if other is item or other.construction_method != item.construction_method:
                continue
            for o, n in other.extents:
                a = other.base_offset + o
                if any(a < end and a + max(n, 1) > start for start, end in ranges):
                    return  # shared bytes: leave them
        for start, end in ranges:
            patch(item, start, b" " * (end - start))

    def _relocate(
        self,
        src: Source,
        dst: BinaryIO,
        meta: Meta,
        patches: list[tuple[int, bytes]],
        target: Item | None,
        data: bytes,
    ) -> None:
        """Rewrite meta (iinf, iloc, iref) with the XMP item in a new mdat right after it; shift file offsets."""
        items = [meta.items[i] for i in meta.iloc_order]
        if target is None:
            item_id = max(meta.items, default=0) + 1
            if item_id > 0xFFFF:
                raise UnsupportedFormatError("no free 16-bit item ID for the XMP item", path=src.path)
            target = Item(item_id, b"mime", XMP_CONTENT_TYPE, located=True)
            items.append(target)
        version, offset_size, length_size, base_size, index_size = meta.iloc
        sizes = (version, max(offset_size, 4), max(length_size, 4), base_size, index_size)
        for _ in range(2):
            shifted, new_meta, mdat = self._layout(src, meta, items, target, data, sizes, patches)
            if any(i.base_offset >= 1 << (8 * base_size) for i in shifted if i.base_offset):
                raise UnsupportedFormatError(
                    "a shifted iloc base offset does not fit its field", path=src.path
                )
            if not any(o >> (8 * sizes[1]) or n >> (8 * sizes[2]) for i in shifted for o, n in i.extents):
                break
            sizes = (version, 8, 8, base_size, index_size)  # offsets past 4 GiB: widen the fields
        else:
            raise UnsupportedFormatError("item offsets do not fit in 64 bits", path=src.path)
        self._emit(src, dst, meta, patches, new_meta, mdat)

    def _layout(
        self,
        src: Source,
        meta: Meta,
        items: list[Item],
        target: Item,
        data: bytes,
        sizes: tuple[int, int, int, int, int],
        patches: list[tuple[int, bytes]],
    ) -> tuple[list[Item], bytes, bytes]:
        """The items with shifted offsets, the new meta box and the new mdat box holding the XMP packet."""
        meta_offset, meta_payload, meta_end = meta.box
        new_id = target.item_id not in meta.items
        mdat = _box(b"mdat", data)

        def build(shifted: list[Item]) -> bytes:
            children: list[bytes] = []
            for btype, raw in meta.children:
                if btype == b"iloc":
                    children.append(_iloc_box(meta, shifted, sizes))
                elif btype == b"iinf" and new_id:
                    children.append(self._iinf(meta, target))
                elif btype == b"iref" and new_id and meta.primary is not None:
                    children.append(self._iref(raw, target.item_id, meta.primary))
                else:
                    children.append(self._patched_idat(btype, raw, meta, patches))
            if new_id and meta.primary is not None and not any(b == b"iref" for b, _ in meta.children):
                children.append(self._iref(None, target.item_id, meta.primary))
            header = src.read_at(meta_payload, 4, what="meta version")
            return _box(b"meta", header + b"".join(children))

        # The meta size does not depend on the offset values (field widths are fixed), so build twice.
        placeholder = [self._located(i, target, 0, len(data)) for i in items]
        delta = len(build(placeholder)) + len(mdat) - (meta_end - meta_offset)
        xmp_at = meta_offset + len(build(placeholder)) + 8
        shifted = []
        for item in items:
            if item is target:
                shifted.append(self._located(item, target, xmp_at, len(data)))
                continue
            shifted.append(self._shifted(src, item, meta_offset, meta_end, delta))
        return shifted, build(shifted), mdat

    @staticmethod
    def _located(item: Item, target: Item, offset: int, length: int) -> Item:
        if item is not target:
            return item
        return Item(item.item_id, item.item_type, item.content_type, 0, 0, [(offset, length)], True, 0, [0])

    @staticmethod
    def _shifted(src: Source, item: Item, meta_offset: int, meta_end: int, delta: int) -> Item:
        """``item`` with its file offsets past the meta box moved by ``delta`` (construction method 0 only)."""
        if item.construction_method != 0 or item.data_reference != 0 or not item.extents:
            return item
        starts = [item.base_offset + o for o, _ in item.extents]
        if any(meta_offset <= a < meta_end for a in starts):
            raise UnsupportedFormatError(
                f"item {item.item_id} points into the meta box by file offset; not rewritten", path=src.path
            )
        if item.base_offset >= meta_end:
            base, extents = item.base_offset + delta, item.extents
        else:
            base = item.base_offset
            extents = [(o + delta if base + o >= meta_end else o, n) for o, n in item.extents]
        return Item(
            item.item_id, item.item_type, item.content_type, 0, base, extents, True, 0, list(item.indexes)
        )

    @staticmethod
    def _iinf(meta: Meta, target: Item) -> bytes:
        infe = _box(
            b"infe",
            bytes([2, 0, 0, 0])
            + struct.pack(">HH", target.item_id, 0)
            + b"mime"
            + b"\x00"
            + XMP_CONTENT_TYPE.encode()
            + b"\x00",
        )
        boxes = [*meta.infe_boxes, infe]
        version = meta.iinf_version if len(boxes) <= 0xFFFF else 1
        count = struct.pack(">H" if version == 0 else ">I", len(boxes))
        return _box(b"iinf", bytes([version, 0, 0, 0]) + count + b"".join(boxes))

    @staticmethod
    def _iref(raw: bytes | None, from_id: int, to_id: int) -> bytes:
        """``iref`` with a ``cdsc`` reference: the XMP item describes the primary image (ISO/IEC 23008-12 §6.4.2)."""
        version = raw[8] if raw is not None and len(raw) > 8 else (0 if max(from_id, to_id) <= 0xFFFF else 1)
        fmt = ">HHH" if version == 0 else ">IHI"
        reference = _box(b"cdsc", struct.pack(fmt, from_id, 1, to_id))
        body = raw[12:] if raw is not None else b""
        return _box(b"iref", bytes([version, 0, 0, 0]) + body + reference)

    @staticmethod
    def _patched_idat(btype: bytes, raw: bytes, meta: Meta, patches: list[tuple[int, bytes]]) -> bytes:
        """The raw idat box with the patches that fall in its payload applied."""
        if btype != b"idat" or meta.idat is None:
            return raw
        start, size = meta.idat
        header = len(raw) - size
        body = bytearray(raw[header:])
        for at, data in patches:
            if start <= at < start + size:
                body[at - start : at - start + len(data)] = data
        return raw[:header] + bytes(body)

    def _emit(
        self,
        src: Source,
        dst: BinaryIO,
        meta: Meta,
        patches: list[tuple[int, bytes]],
        new_meta: bytes,
        mdat: bytes,
    ) -> None:
        meta_offset, _, meta_end = meta.box
        _copy_patched(src, dst, 0, meta_offset, patches)
        dst.write(new_meta)
        dst.write(mdat)  # the XMP packet, right after meta so that readers find it early
        _copy_patched(src, dst, meta_end, src.size, patches)


CONTAINERS: tuple[Container, ...] = (HeifContainer(),)
