"""HEIF / HEIC / AVIF (ISO/IEC 23008-12 image files in ISO BMFF): the label lives in an XMP item, an item of type
``mime`` with content type ``application/rdf+xml`` listed in ``meta/iinf`` and located by ``meta/iloc`` (reference
§2.7, images). The ``UserComment`` of an ``Exif`` item and a top-level XMP ``uuid`` box are read too.

Reading parses the ``meta`` box only and then reads the few bytes the metadata items point at (file offsets,
construction method 0, or offsets into ``idat``, construction method 1); coded image data in ``mdat`` is never read,
so read time does not grow with the image.

Writing is not supported; see :attr:`HeifContainer.write_unsupported_reason`.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from hegui.errors import InputError
from hegui.label import spec, xmp
from hegui.label.containers.base import Container, Found, Source, c2pa_warning, found_from_value
from hegui.label.record import Finding

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


@dataclass
class Meta:
    """What the top-level ``meta`` box says, plus where ``idat`` and top-level ``uuid`` boxes are."""

    items: dict[int, Item] = field(default_factory=dict)
    idat: tuple[int, int] | None = None  # (file offset of the payload, size)
    uuids: list[tuple[bytes, int, int]] = field(default_factory=list)  # (uuid, payload offset, payload size)


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
        return int.from_bytes(self.take(n), "big") if n else 0

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
        pos += size


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
    for _ in range(count):
        item_id = r.uint(2 if version < 2 else 4)
        method = r.uint(2) & 15 if version else 0
        r.uint(2)  # data reference index
        base_offset = r.uint(base_offset_size)
        extent_count = r.uint(2)
        if extent_count > MAX_EXTENTS:
            raise src.error(f"item {item_id} has {extent_count} extents; refused", base + r.pos)
        extents = []
        for _ in range(extent_count):
            r.uint(index_size)
            extents.append((r.uint(offset_size), r.uint(length_size)))
        item = meta.items.setdefault(item_id, Item(item_id))
        item.construction_method, item.base_offset, item.extents = method, base_offset, extents
        item.located = True


def parse_meta(src: Source) -> Meta:
    """The items of the top-level ``meta`` box, without reading ``mdat``."""
    head = src.read_at(0, 8, what="ftyp header")
    if head[4:8] != b"ftyp":
        raise src.error("not an ISO BMFF file (no ftyp box first)", 4)
    meta = Meta()
    found_meta = False
    for btype, offset, payload, end in iter_boxes(src, 0, src.size, limit=MAX_TOP_BOXES):
        if btype == b"uuid" and end - payload >= 16:
            meta.uuids.append((src.read_at(payload, 16, what="uuid"), payload + 16, end - payload - 16))
        if btype != b"meta" or found_meta:
            continue
        found_meta = True
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


class HeifContainer(Container):
    name = "heif"
    extensions = (".heic", ".heif", ".avif", ".hif")
    media_type = "image/heif"
    can_write = False
    write_unsupported_reason = (
        "adding an XMP item to a HEIF/AVIF file means rewriting meta/iinf and meta/iloc and shifting every "
        "file offset that points past meta (iloc extents, and stco/co64 chunk offsets of image sequences); "
        "hegui only reads HEIF/AVIF labels for now. Label the image before encoding it to HEIF/AVIF, or use "
        "ExifTool (-XMP-TC260:AIGC=...) with the TC260 config"
    )

    def sniff(self, head: bytes, name: str) -> bool:
        return _is_heif(head)

    def scan(self, src: Source) -> list[Found]:
        meta = parse_meta(src)
        labels: list[Found] = []
        for item in meta.items.values():
            is_xmp = item.item_type == b"mime" and item.content_type.lower() == XMP_CONTENT_TYPE
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
        return [c2pa_warning()] if any(u == C2PA_UUID for u, _, _ in parse_meta(src).uuids) else []


CONTAINERS: tuple[Container, ...] = (HeifContainer(),)
