"""MP4 / MOV / M4A / 3GP (ISO BMFF): the label is an ``mdta`` key ``AIGC`` in ``moov/udta/meta`` with the JSON in
the matching ``ilst`` item (TC260-PG-20257A; the layout ``ffmpeg -metadata AIGC=... -movflags use_metadata_tags``
writes). Also read: a ``meta`` directly under ``moov`` (Apple), the XMP ``uuid`` box (top level or in ``moov``),
an iTunes freeform ``----:com.apple.iTunes:AIGC`` item (mutagen, ExifTool), keyless ``ilst`` items and ``udta``
atoms of type ``AIGC`` (reference §2.7).

Written by hand, never through ffmpeg or PyAV: a remux copies every byte of ``mdat`` and silently drops the label
without ``use_metadata_tags``. Here only ``moov`` is rebuilt; ``mdat`` is never read. The new ``moov`` takes the
place of the old one when ``free``/``skip`` boxes next to it or inside it (the padding mutagen and iTunes keep in
``udta/meta``) leave room, or when ``moov`` ends the file; otherwise
the rest of the file moves by the growth and every absolute offset that points past ``moov`` is moved with it
(``stco``/``co64`` chunk offsets, promoted to ``co64`` past 4 GiB; ``tfhd`` base data offsets; ``tfra``; ``iloc``;
a ``sidx`` in front of ``moov``). A ``free`` box of :data:`PADDING` bytes is left after a moved ``moov`` so that the
next label fits in place. With ``move_moov=True`` a ``moov`` in front of the media moves to the end instead (its
old place becomes a ``free`` box; not for fragmented files, whose ``moov`` must come first).

Writing, and why it is cheap:

* default: the shared atomic flow (temporary file, fsync, rename, read-back). When no media moves (room in place,
  ``moov`` last, or ``move_moov``), the temporary file is a reflink clone (``FICLONE``) of the source where the file
  system shares blocks (btrfs, XFS, bcachefs): constant time. Otherwise, and on ext4, every unchanged range is
  copied with ``os.copy_file_range`` (in the kernel, no user-space buffers; server-side on NFS 4.2), else with a
  streamed copy: one pass over the file. Atomic for every reader and crash-safe by construction.
* ``in_place=True``: when no media moves, the changed bytes (the new ``moov``, a 4-byte ``free`` type, at most an
  append) are written into the file itself under the undo journal of :mod:`hegui.label.journal` (bound to the
  file's identity; recovered only by the next write, under the file lock; reads never change the file). The
  read-back failing restores it at once. Constant time on every file system (about 45 ms for 1 GB here, against
  about 9 s for the remux), but not atomic for readers that open the file during those milliseconds, and other
  programs do not know the journal; a file lock keeps two hegui writers apart. Hard links see the change.
"""

from __future__ import annotations

import errno
import fcntl
import os
import struct
from dataclasses import dataclass, field
from typing import BinaryIO

from hegui.errors import InputError, LimitExceededError
from hegui.label import spec, xmp
from hegui.label.containers.base import (
    Container,
    Found,
    InPlacePlan,
    Source,
    c2pa_warning,
    found_from_value,
)
from hegui.label.containers.bmff import (
    MAX_TREE_BYTES,
    U32,
    Box,
    Header,
    parse_tree,
    walk,
)
from hegui.label.journal import Region
from hegui.label.record import Finding, Record

KEY = spec.FIELD_NAME.encode("ascii")  # b"AIGC"
XMP_UUID = spec.XMP_UUID_ISOBMFF
C2PA_UUID = bytes.fromhex("D8FEC3D61B0E483C92975828877EC481")
FREE_TYPES = (b"free", b"skip")
PADDING = 1024  # free bytes left after a moov that had to move, so the next label fits in place
TOP_TYPES = (
    b"ftyp",
    b"moov",
    b"mdat",
    b"free",
    b"skip",
    b"wide",
    b"pnot",
    b"styp",
    b"sidx",
    b"uuid",
    b"moof",
)
HEIF_BRANDS = (
    b"heic",
    b"heix",
    b"heim",
    b"heis",
    b"hevc",
    b"hevx",
    b"mif1",
    b"mif2",
    b"msf1",
    b"avif",
    b"avis",
)
MAX_META_BOX = 64 * 1024 * 1024  # top-level uuid XMP / moof / mfra / sidx read into memory
DATA_UTF8 = 1
DATA_UTF16 = 2
FICLONE = 0x40049409
# linux/fs.h _IOW(0x94, 9, int)


# ---- reading -----------------------------------------------------------------------------------------------------


def top_level(src: Source) -> list[Header]:
    """Every top-level box header (seeks past payloads, so the cost does not grow with mdat); walked once per
    opened file (scan and file_findings share it through ``src.memo``)."""
    cached = src.memo.get("isobmff.top")
    if cached is not None:
        return list(cached)
    fd = src.fd

    def pread(offset: int, length: int) -> bytes:  # no read-ahead buffer: a header costs one 16-byte read
        data = os.pread(fd, length, offset)
        if len(data) != length:
            raise src.error("short read of a box header", offset)
        return data

    boxes = list(walk(pread, 0, src.size, path=src.path))
    if not boxes:
        raise src.error("empty ISO BMFF file", 0)
    src.memo["isobmff.top"] = tuple(boxes)
    return boxes


def read_box(src: Source, head: Header, *, limit: int = MAX_TREE_BYTES) -> bytes:
    if head.size > limit:
        raise LimitExceededError(
            f"{head.name} box of {head.size} bytes is larger than the {limit}-byte limit",
            path=src.path,
            offset=head.offset,
        )
    return src.read_at(head.offset, head.size, what=f"{head.name} box")


def find_moov(src: Source, top: list[Header]) -> Header:
    moovs = [h for h in top if h.type == b"moov"]
    if not moovs:
        raise src.error(
            "no moov box: not a playable MP4/MOV file (or a fragment without its init segment)", 0
        )
    if len(moovs) > 1:
        raise src.error(f"{len(moovs)} moov boxes; a file has exactly one", moovs[1].offset)
    return moovs[0]


def parse_keys(box: Box, src: Source) -> list[bytes]:
    """Key names of a ``keys`` box (namespace dropped), in index order (index 1 first)."""
    data = box.payload
    if len(data) < 8:
        raise src.error("keys box too short", box.offset)
    (count,) = struct.unpack(">I", data[4:8])
    names: list[bytes] = []
    pos = 8
    for _ in range(count):
        if pos + 8 > len(data):
            raise src.error(f"keys box declares {count} keys but holds {len(names)}", box.offset)
        (size,) = struct.unpack(">I", data[pos : pos + 4])
        if size < 8 or pos + size > len(data):
            raise src.error(f"key entry of {size} bytes does not fit its keys box", box.offset + 8 + pos)
        names.append(data[pos + 8 : pos + size])
        pos += size
    return names


def build_keys(names: list[bytes]) -> Box:
    body = struct.pack(">II", 0, len(names))
    for name in names:
        body += struct.pack(">I4s", 8 + len(name), b"mdta") + name
    return Box(b"keys", payload=body)


def is_label_key(name: bytes) -> bool:
    """``AIGC``, or a reverse-DNS key whose last part is ``AIGC`` (Annex E a: the field name holds AIGC)."""
    return name == KEY or name.rsplit(b".", 1)[-1] == KEY


def handler(meta: Box) -> bytes:
    hdlr = meta.find(b"hdlr")
    if hdlr is None or len(hdlr.payload) < 12:
        return b""
    return hdlr.payload[8:12]


def data_values(item: Box) -> list[str]:
    """The text of every ``data`` atom of an ``ilst`` item (type 1 UTF-8, 2 UTF-16; others decoded leniently)."""
    values: list[str] = []
    for data in item.find_all(b"data"):
        if len(data.payload) < 8:
            continue
        kind = struct.unpack(">I", data.payload[:4])[0] & 0xFFFFFF
        raw = data.payload[8:]
        values.append(
            raw.decode("utf-16-be", "replace") if kind == DATA_UTF16 else raw.decode("utf-8", "replace")
        )
    return values


def freeform_name(item: Box) -> tuple[str, str]:
    """(mean, name) of an iTunes ``----`` item."""
    mean = item.find(b"mean")
    name = item.find(b"name")
    return (
        mean.payload[4:].decode("utf-8", "replace") if mean is not None else "",
        name.payload[4:].decode("utf-8", "replace") if name is not None else "",
    )


def udta_text(payload: bytes) -> str:
    """A QuickTime ``udta`` text atom: 16-bit length + 16-bit language + text, or the bare text."""
    if len(payload) >= 4 and not payload.lstrip().startswith(b"{"):
        (length,) = struct.unpack(">H", payload[:2])
        if 4 + length <= len(payload):
            return payload[4 : 4 + length].decode("utf-8", "replace")
    return payload.decode("utf-8", "replace")


def walk_tree(box: Box, where: str = "") -> list[tuple[Box, Box | None, str]]:
    """(box, parent, path) for ``box`` and every descendant."""
    path = f"{where}/{box.type.decode('latin-1')}" if where else box.type.decode("latin-1")
    out: list[tuple[Box, Box | None, str]] = [(box, None, path)]
    for child in box.children or ():
        for sub, parent, sub_path in walk_tree(child, path):
            out.append((sub, parent if parent is not None else box, sub_path))
    return out


@dataclass
class Carrier:
    """One label found in the moov tree, with what is needed to remove it on rewrite."""

    found: Found
    kind: str  # "mdta" | "freeform" | "keyless" | "udta" | "xmp"
    box: Box  # the ilst item, udta atom or XMP box
    parent: Box  # the ilst / udta / container holding it
    meta: Box | None = None  # the meta box, for mdta keys


def _xmp_hits(container: str, packet: bytes, where: str, offset: int, src: Source) -> list[Found]:
    try:
        hits = xmp.find_aigc(packet)
    except InputError as exc:
        raise src.error(f"{where}: {exc.detail}", offset) from exc
    return [
        found_from_value(container, f"{where} TC260:AIGC", h.value, offset=offset, form=h.form) for h in hits
    ]


def tree_carriers(name: str, moov: Box, src: Source) -> list[Carrier]:
    """Every label carrier inside ``moov``, in file order."""
    carriers: list[Carrier] = []
    for box, parent, path in walk_tree(moov):
        if parent is None:
            continue
        if box.type == b"meta" and box.children is not None:
            ilst = box.find(b"ilst")
            keys_box = box.find(b"keys")
            keys = parse_keys(keys_box, src) if keys_box is not None else []
            kind = handler(box).decode("latin-1") or "?"
            if ilst is None or ilst.children is None:
                continue
            for item in ilst.children:
                index = struct.unpack(">I", item.type)[0]
                if keys and 1 <= index <= len(keys) and is_label_key(keys[index - 1]):
                    key = keys[index - 1].decode("latin-1")
                    for value in data_values(item):
                        found = found_from_value(name, f"{path}[{kind}] key {key}", value, offset=item.offset)
                        carriers.append(Carrier(found, "mdta", item, ilst, box))
                elif item.type == b"----" and item.children is not None:
                    mean, item_name = freeform_name(item)
                    if item_name.upper() == "AIGC":
                        for value in data_values(item):
                            found = found_from_value(
                                name, f"{path}/ilst ----:{mean}:{item_name}", value, offset=item.offset
                            )
                            carriers.append(Carrier(found, "freeform", item, ilst))
                elif item.type == KEY and item.children is not None:
                    for value in data_values(item):
                        found = found_from_value(name, f"{path}/ilst AIGC", value, offset=item.offset)
                        carriers.append(Carrier(found, "keyless", item, ilst))
        elif box.type == KEY and parent.type == b"udta" and box.children is None:
            found = found_from_value(name, path, udta_text(box.payload), offset=box.offset)
            carriers.append(Carrier(found, "udta", box, parent))
        elif (box.type == b"uuid" and box.uuid == XMP_UUID) or (
            box.type == b"XMP_" and parent.type == b"udta"
        ):
            where = f"{path} XMP" if box.type == b"uuid" else path
            for found in _xmp_hits(name, box.payload, where, box.offset, src):
                carriers.append(Carrier(found, "xmp", box, parent))
    return carriers


# ---- writing: the moov tree ------------------------------------------------------------------------------------


def _data_atom(value: str) -> Box:
    return Box(b"data", payload=struct.pack(">II", DATA_UTF8, 0) + value.encode("utf-8"))


def new_mdta_meta() -> Box:
    """An empty ``meta`` laid out as ffmpeg's ``use_metadata_tags`` writes it: full box, hdlr mdta, keys, ilst."""
    hdlr = Box(b"hdlr", payload=b"\x00" * 8 + b"mdta" + b"\x00" * 12 + b"\x00")
    return Box(
        b"meta", prefix=b"\x00\x00\x00\x00", children=[hdlr, build_keys([]), Box(b"ilst", children=[])]
    )


def _strip_xmp(box: Box, src: Source) -> None:
    """Remove TC260:AIGC from an XMP box in moov, keeping every other property."""
    box.payload = strip_packet(box.payload, src, box.offset)


def strip_packet(packet: bytes, src: Source, offset: int, *, size: int | None = None) -> bytes:
    """The packet without any AIGC property; padded with whitespace to ``size`` bytes when given."""
    try:
        root = xmp.parse_packet(packet)
    except InputError as exc:
        raise src.error(f"XMP packet: {exc.detail}", offset) from exc
    xmp._remove_aigc(root)  # the label moves to the mdta key; everything else in the packet stays
    from lxml import etree

    body = etree.tostring(root, encoding="unicode")
    text = (xmp.XPACKET_BEGIN + "\n" + body + "\n").encode("utf-8")
    end = xmp.XPACKET_END_W.encode("ascii")
    if size is None:
        return text + end
    room = size - len(text) - len(end)
    if room < 0:
        raise src.error("XMP packet cannot be rewritten without the label in the same space", offset)
    return text + b" " * room + end


def set_label(moov: Box, carriers: list[Carrier], value: str, src: Source) -> None:
    """Make ``value`` the only label in ``moov``: one mdta key AIGC; other carriers lose their copy."""
    for carrier in carriers:
        if carrier.kind in ("freeform", "keyless", "udta") and carrier.parent.children is not None:
            carrier.parent.children = [c for c in carrier.parent.children if c is not carrier.box]
        elif carrier.kind == "xmp":
            _strip_xmp(carrier.box, src)
    udta = moov.find(b"udta")
    metas = [m for u in moov.find_all(b"udta") for m in u.find_all(b"meta") if handler(m) == b"mdta"]
    metas = [m for m in metas if m.children is not None]
    metas += [m for m in moov.find_all(b"meta") if handler(m) == b"mdta" and m.children is not None]
    keyed = [
        b for b, _, _ in walk_tree(moov) if b.type == b"meta" and b.children and b.find(b"keys") is not None
    ]
    target = metas[0] if metas else None
    for meta in keyed:  # every meta with keys, whatever its handler says: the reader finds AIGC keys in all
        _drop_label_keys(meta, src, keep_first=meta is target)
    if target is None:
        if udta is None:
            udta = Box(b"udta", children=[])
            assert moov.children is not None
            moov.children.append(udta)
        target = new_mdta_meta()
        assert udta.children is not None
        empty = [i for i, m in enumerate(udta.children) if _is_empty_mdir(m)]
        if empty:  # an empty iTunes list (ffmpeg writes one by default) gives way, as ffmpeg itself does
            udta.children[empty[0]] = target
        else:
            udta.children.append(target)
    _put_label(target, value, src)


def _is_empty_mdir(meta: Box) -> bool:
    if meta.type != b"meta" or meta.children is None or handler(meta) != b"mdir":
        return False
    ilst = meta.find(b"ilst")
    kinds = {c.type for c in meta.children}
    return kinds <= {b"hdlr", b"ilst", b"free"} and (ilst is None or not ilst.children) and not meta.trailer


def _ensure_parts(meta: Box) -> tuple[Box, Box]:
    assert meta.children is not None
    keys_box = meta.find(b"keys")
    if keys_box is None:
        keys_box = build_keys([])
        at = next((i + 1 for i, c in enumerate(meta.children) if c.type == b"hdlr"), 0)
        meta.children.insert(at, keys_box)
    ilst = meta.find(b"ilst")
    if ilst is None or ilst.children is None:
        if ilst is not None:
            meta.children.remove(ilst)
        ilst = Box(b"ilst", children=[])
        meta.children.append(ilst)
    return keys_box, ilst


def _drop_label_keys(meta: Box, src: Source, *, keep_first: bool) -> None:
    """Remove AIGC keys (all, or all but the first) and their items; renumber the items of the keys that remain."""
    keys_box = meta.find(b"keys")
    ilst = meta.find(b"ilst")
    if keys_box is None:
        return
    names = parse_keys(keys_box, src)
    label_indexes = [i + 1 for i, n in enumerate(names) if is_label_key(n)]
    if keep_first and label_indexes:
        label_indexes = label_indexes[1:]
    if not label_indexes:
        return
    drop = set(label_indexes)
    renumber: dict[int, int] = {}
    kept: list[bytes] = []
    for i, n in enumerate(names, start=1):
        if i not in drop:
            kept.append(n)
            renumber[i] = len(kept)
    idx = meta.children.index(keys_box)  # type: ignore[union-attr]
    meta.children[idx] = build_keys(kept)  # type: ignore[index]
    if ilst is None or ilst.children is None:
        return
    items: list[Box] = []
    for item in ilst.children:
        index = struct.unpack(">I", item.type)[0]
        if index in drop:
            continue
        if index in renumber:
            item.type = struct.pack(">I", renumber[index])
        items.append(item)
    ilst.children = items


def _put_label(meta: Box, value: str, src: Source) -> None:
    keys_box, ilst = _ensure_parts(meta)
    assert meta.children is not None and ilst.children is not None
    names = parse_keys(keys_box, src)
    index = next((i + 1 for i, n in enumerate(names) if is_label_key(n)), 0)
    if index == 0:
        names.append(KEY)
        index = len(names)
        meta.children[meta.children.index(keys_box)] = build_keys(names)
    tag = struct.pack(">I", index)
    item = Box(tag, children=[_data_atom(value)])
    for i, old in enumerate(ilst.children):
        if old.type == tag:
            ilst.children[i] = item
            ilst.children = [c for j, c in enumerate(ilst.children) if j == i or c.type != tag]
            return
    ilst.children.append(item)


def absorb_padding(moov: Box, excess: int) -> bool:
    """Take ``excess`` bytes out of ``free``/``skip`` boxes inside ``moov`` (mutagen and iTunes leave one in
    ``udta/meta``), so that the grown ``moov`` keeps its size and nothing after it moves. False (``moov``
    possibly changed) when the padding is too small or would leave 1 to 7 bytes, too few for a free box."""
    frees: list[tuple[Box, Box]] = []
    for box, parent, _ in walk_tree(moov):
        if (
            box.type in FREE_TYPES
            and box.children is None
            and parent is not None
            and parent.children is not None
        ):
            frees.append((box, parent))
    if excess <= 0 or not frees:
        return False
    sizes = [len(b.to_bytes()) for b, _ in frees]
    if sum(size - 8 for size in sizes) >= excess:  # shrink, keeping every free box
        remaining = excess
        for (box, _), size in zip(frees, sizes, strict=True):
            take = min(remaining, size - 8)
            box.payload = box.payload[: len(box.payload) - take]
            remaining -= take
        return True
    slack = sum(sizes) - excess  # drop them all: the rest becomes a free box after moov
    if slack < 0 or 0 < slack < 8:
        return False
    for box, parent in frees:
        assert parent.children is not None
        parent.children = [c for c in parent.children if c is not box]
    return True


def shift_chunk_offsets(moov: Box, threshold: int, delta: int) -> None:
    """Add ``delta`` to every stco/co64 chunk offset at or past ``threshold``; stco becomes co64 past 4 GiB."""
    for box, _, _ in walk_tree(moov):
        if box.type == b"iloc" and box.children is None:
            box.payload = shift_iloc(box.payload, threshold, delta)
            continue
        if box.type not in (b"stco", b"co64") or box.children is not None:
            continue
        wide = box.type == b"co64"
        if len(box.payload) < 8:
            raise InputError(f"{box.type.decode()} box too short", offset=box.offset)
        (count,) = struct.unpack(">I", box.payload[4:8])
        width = 8 if wide else 4
        if 8 + count * width > len(box.payload):
            raise InputError(
                f"{box.type.decode()} declares {count} offsets but is too short", offset=box.offset
            )
        offsets = list(struct.unpack(f">{count}{'Q' if wide else 'I'}", box.payload[8 : 8 + count * width]))
        offsets = [o + delta if o >= threshold else o for o in offsets]
        if any(o < 0 for o in offsets):
            raise InputError("a chunk offset would become negative", offset=box.offset)
        if not wide and any(o > U32 for o in offsets):
            box.type, wide = b"co64", True
        fmt = f">{count}{'Q' if wide else 'I'}"
        box.payload = box.payload[:8] + struct.pack(fmt, *offsets) + box.payload[8 + count * width :]


def shift_iloc(payload: bytes, threshold: int, delta: int) -> bytes:
    """An ``iloc`` payload whose file offsets (construction method 0, this file) at or past ``threshold`` moved by
    ``delta``; field widths are kept, so a value that no longer fits is an error."""
    if len(payload) < 8:
        raise InputError("iloc box too short")
    version = payload[0]
    if version > 2:
        raise InputError(f"iloc version {version} is not known")
    out = bytearray(payload)
    offset_size, length_size = payload[4] >> 4, payload[4] & 15
    base_size, index_size = payload[5] >> 4, (payload[5] & 15) if version else 0
    pos = 6
    count_width = 4 if version == 2 else 2
    count = int.from_bytes(payload[pos : pos + count_width], "big")
    pos += count_width

    def take(width: int) -> int:
        nonlocal pos
        if pos + width > len(payload):
            raise InputError("iloc box declares more items than it holds")
        value = int.from_bytes(payload[pos : pos + width], "big")
        pos += width
        return value

    def put(at: int, width: int, value: int) -> None:
        if value < 0 or value >= 1 << (8 * width):
            raise InputError(f"an iloc offset no longer fits its {width}-byte field")
        out[at : at + width] = value.to_bytes(width, "big")

    for _ in range(count):
        take(4 if version == 2 else 2)  # item_ID
        method = take(2) & 15 if version else 0
        reference = take(2)
        base_at = pos
        base = take(base_size) if base_size else 0
        extents = take(2)
        moves = method == 0 and reference == 0
        shifted_base = False
        if moves and base_size and base >= threshold:
            put(base_at, base_size, base + delta)
            shifted_base = True
        for _ in range(extents):
            if index_size:
                take(index_size)
            offset_at = pos
            offset = take(offset_size) if offset_size else 0
            if length_size:
                take(length_size)
            if moves and offset_size and not shifted_base and base + offset >= threshold:
                put(offset_at, offset_size, offset + delta)
    return bytes(out)


# ---- writing: the file layout ----------------------------------------------------------------------------------


@dataclass
class Plan:
    """How the labeled file is made from the source: ``edits`` replace ``[start, end)`` by new bytes; everything
    else is copied. ``in_place`` when no unchanged byte moves (each edit keeps its size, or the last one ends the
    file), so the edits can be applied to a clone or to the file itself."""

    edits: list[tuple[int, int, bytes]]
    size: int  # of the source
    warnings: list[Finding] = field(default_factory=list)
    moved: int = 0  # bytes by which data after moov moved

    @property
    def in_place(self) -> bool:
        return all(end - start == len(data) or end == self.size for start, end, data in self.edits)

    @property
    def final_size(self) -> int:
        return self.size + sum(len(data) - (end - start) for start, end, data in self.edits)


def _patch_moof(data: bytes, base: int, threshold: int, delta: int, src: Source) -> bytes:
    """tfhd base_data_offset (flag 0x1) moved by ``delta`` when it points past ``threshold``."""
    tree = parse_tree(data, base, path=src.path)
    changed = False
    for box, _, _ in walk_tree(tree):
        if box.type == b"tfhd" and len(box.payload) >= 16:
            flags = struct.unpack(">I", box.payload[:4])[0] & 0xFFFFFF
            if flags & 1:
                (value,) = struct.unpack(">Q", box.payload[8:16])
                if value >= threshold:
                    box.payload = box.payload[:8] + struct.pack(">Q", value + delta) + box.payload[16:]
                    changed = True
    return tree.to_bytes() if changed else data


def _patch_mfra(data: bytes, base: int, threshold: int, delta: int, src: Source) -> bytes:
    """tfra moof offsets moved by ``delta``; version 0 tables become version 1 when an offset passes 4 GiB."""
    tree = parse_tree(data, base, path=src.path)
    for box, _, _ in walk_tree(tree):
        if box.type != b"tfra" or len(box.payload) < 16:
            continue
        version = box.payload[0]
        track, sizes, count = struct.unpack(">III", box.payload[4:16])
        widths = ((sizes >> 4) & 3) + 1, ((sizes >> 2) & 3) + 1, (sizes & 3) + 1
        entry = (16 if version == 1 else 8) + sum(widths)
        if 16 + count * entry > len(box.payload):
            raise src.error("tfra declares more entries than it holds", box.offset)
        rows = []
        pos = 16
        for _ in range(count):
            if version == 1:
                time, moof = struct.unpack(">QQ", box.payload[pos : pos + 16])
            else:
                time, moof = struct.unpack(">II", box.payload[pos : pos + 8])
            rest = box.payload[pos + (16 if version == 1 else 8) : pos + entry]
            rows.append((time, moof + delta if moof >= threshold else moof, rest))
            pos += entry
        if version == 0 and any(m > U32 for _, m, _ in rows):
            version = 1
        body = bytes([version]) + box.payload[1:4] + struct.pack(">III", track, sizes, count)
        for time, moof, rest in rows:
            body += struct.pack(">QQ" if version == 1 else ">II", time, moof) + rest
        box.payload = body + box.payload[pos:]
    mfro = tree.find(b"mfro")
    out = tree.to_bytes()
    if mfro is not None and len(mfro.payload) >= 8:
        mfro.payload = mfro.payload[:4] + struct.pack(">I", len(out))
        out = tree.to_bytes()
    return out


def _patch_sidx(data: bytes, head: Header, threshold: int, delta: int, src: Source) -> bytes:
    """A sidx in front of moov: its first_offset (relative to its end) grows when the indexed data moves."""
    body = head.payload_offset - head.offset
    version = data[body] if len(data) > body else 0
    if len(data) < body + (24 if version == 0 else 32):
        raise src.error("sidx box too short", head.offset)
    if version == 0:
        (first,) = struct.unpack(">I", data[body + 16 : body + 20])
        if head.end + first >= threshold:
            if first + delta > U32:
                raise src.error(
                    "sidx first_offset would pass 4 GiB; rewrite the index with a tool", head.offset
                )
            return data[: body + 16] + struct.pack(">I", first + delta) + data[body + 20 :]
    else:
        (first,) = struct.unpack(">Q", data[body + 20 : body + 28])
        if head.end + first >= threshold:
            return data[: body + 20] + struct.pack(">Q", first + delta) + data[body + 28 :]
    return data


class IsobmffContainer(Container):
    name = "isobmff"
    extensions = (".mp4", ".m4v", ".m4a", ".mov", ".3gp", ".3g2", ".qt", ".f4v")
    media_type = "video/mp4"

    def sniff(self, head: bytes, name: str) -> bool:
        if len(head) < 8 or head[4:8] not in TOP_TYPES:
            return False
        return not (head[4:8] == b"ftyp" and head[8:12] in HEIF_BRANDS)

    # ---- reading
    def _load(self, src: Source) -> tuple[list[Header], Header, Box]:
        top = top_level(src)
        moov_head = find_moov(src, top)
        moov = parse_tree(read_box(src, moov_head), moov_head.offset, path=src.path)
        return top, moov_head, moov

    def _top_xmp(self, src: Source, top: list[Header]) -> list[tuple[Header, bytes, list[Found]]]:
        out = []
        for head in top:
            if head.type == b"uuid" and head.uuid == XMP_UUID:
                if head.size > MAX_META_BOX:
                    raise LimitExceededError("XMP uuid box too large", path=src.path, offset=head.offset)
                packet = src.read_at(head.payload_offset, head.payload_size, what="XMP uuid box")
                out.append((head, packet, _xmp_hits(self.name, packet, "uuid XMP", head.offset, src)))
        return out

    def scan(self, src: Source) -> list[Found]:
        top, _, moov = self._load(src)
        found = [c.found for c in tree_carriers(self.name, moov, src)]
        for _, _, hits in self._top_xmp(src, top):
            found.extend(hits)
        return found

    def file_findings(self, src: Source, labels: list[Found]) -> list[Finding]:
        return (
            [c2pa_warning()] if any(h.type == b"uuid" and h.uuid == C2PA_UUID for h in top_level(src)) else []
        )

    # ---- writing
    def plan(self, src: Source, record: Record, *, move_moov: bool = False) -> Plan:
        """The edits that turn ``src`` into its labeled copy. ``move_moov``: when moov sits before the media and
        has no room, move it to the end (its old place becomes a ``free`` box) instead of moving the media."""
        top, moov_head, moov = self._load(src)
        warnings: list[Finding] = []
        if any(h.type == b"uuid" and h.uuid == C2PA_UUID for h in top):
            warnings.append(c2pa_warning())
        set_label(moov, tree_carriers(self.name, moov, src), record.to_json(), src)
        edits: dict[int, tuple[int, bytes]] = {}
        for head, packet, hits in self._top_xmp(src, top):
            if hits:  # same-size rewrite, so nothing moves
                new_packet = strip_packet(packet, src, head.offset, size=len(packet))
                edits[head.offset] = (head.end, src.read_at(head.offset, head.header_size) + new_packet)
        index = top.index(moov_head)
        span_end = moov_head.end
        for head in top[index + 1 :]:
            if head.type not in FREE_TYPES:
                break
            span_end = head.end
        span_start = moov_head.offset  # free boxes right before moov are room too
        for head in reversed(top[:index]):
            if head.type not in FREE_TYPES:
                break
            span_start = head.offset
        span = span_end - span_start
        new_moov = moov.to_bytes()
        if len(new_moov) != span and len(new_moov) + 8 > span and span_end != src.size:
            trial = parse_tree(new_moov, moov_head.offset, path=src.path)
            if absorb_padding(trial, len(new_moov) - span):  # padding inside moov (mutagen, iTunes) pays
                new_moov = trial.to_bytes()
        if len(new_moov) == span or len(new_moov) + 8 <= span:  # room in place
            edits[span_start] = (span_end, new_moov + _free(span - len(new_moov)))
            return Plan(self._ordered(edits), src.size, warnings)
        if span_end == src.size:  # moov (and padding) ends the file: it may grow freely
            edits[span_start] = (span_end, new_moov)
            return Plan(self._ordered(edits), src.size, warnings)
        fragmented = any(h.type in (b"moof", b"mfra") for h in top) or any(
            b.type == b"mvex" for b, _, _ in walk_tree(moov)
        )
        last = top[-1]
        if move_moov and not fragmented and not (last.to_end and (last.size > U32 or last.offset in edits)):
            if last.to_end:  # a final box "to the end of the file" gets its size, so moov can follow it
                edits[last.offset] = (last.offset + 4, struct.pack(">I", last.size))
            edits[moov_head.offset + 4] = (moov_head.offset + 8, b"free")  # same size: nothing moves
            edits[src.size] = (src.size, new_moov)
            return Plan(self._ordered(edits), src.size, warnings)
        original = moov.to_bytes()
        delta = 0
        for _ in range(
            4
        ):  # promotion to co64 grows moov, which changes the shift: iterate to the fixed point
            trial = parse_tree(original, moov_head.offset, path=src.path)
            try:
                shift_chunk_offsets(trial, span_end, delta)
            except InputError as exc:
                raise src.error(f"moov: {exc.detail}", exc.offset) from exc
            new_moov = trial.to_bytes()
            new_delta = len(new_moov) + PADDING - span
            if new_delta == delta:
                break
            delta = new_delta
        else:
            raise src.error("moov size does not settle while moving chunk offsets", moov_head.offset)
        edits[span_start] = (span_end, new_moov + _free(PADDING))
        for head in top:
            if head.type == b"moof" and head.offset >= span_end:
                data = read_box(src, head, limit=MAX_META_BOX)
                patched = _patch_moof(data, head.offset, span_end, delta, src)
                if patched is not data:
                    edits[head.offset] = (head.end, patched)
            elif head.type == b"mfra" and head.offset >= span_end:
                data = read_box(src, head, limit=MAX_META_BOX)
                edits[head.offset] = (head.end, _patch_mfra(data, head.offset, span_end, delta, src))
            elif head.type == b"meta":  # item locations of a top-level meta (HEIF-style items in an MP4)
                data = read_box(src, head, limit=MAX_META_BOX)
                tree = parse_tree(data, head.offset, path=src.path)
                for found_box, _, _ in walk_tree(tree):
                    if found_box.type == b"iloc" and found_box.children is None:
                        try:
                            found_box.payload = shift_iloc(found_box.payload, span_end, delta)
                        except InputError as exc:
                            raise src.error(exc.detail, found_box.offset) from exc
                patched = tree.to_bytes()
                if patched != data:
                    edits[head.offset] = (head.end, patched)
            elif head.type == b"sidx" and head.end <= span_start:
                data = read_box(src, head, limit=MAX_META_BOX)
                edits[head.offset] = (head.end, _patch_sidx(data, head, span_end, delta, src))
        return Plan(self._ordered(edits), src.size, warnings, moved=delta)

    @staticmethod
    def _ordered(edits: dict[int, tuple[int, bytes]]) -> list[tuple[int, int, bytes]]:
        return [(start, end, data) for start, (end, data) in sorted(edits.items())]

    def render(self, src: Source, dst: BinaryIO, record: Record) -> list[Finding]:
        plan = self.plan(src, record, move_moov=self.move_moov)
        if plan.in_place and _clone(src, dst):
            for start, _, data in plan.edits:
                dst.seek(start)
                dst.write(data)
            dst.truncate(plan.final_size)
            dst.seek(plan.final_size)
            return plan.warnings
        pos = 0
        for start, end, data in plan.edits:
            _copy_range(src, dst, pos, start - pos)
            dst.write(data)
            pos = end
        _copy_range(src, dst, pos, src.size - pos)
        return plan.warnings

    supports_in_place = True

    def __init__(self, *, move_moov: bool = False) -> None:
        #: a moov in front of the media that has no room moves to the end of the file instead of the media moving
        #: (constant time, but the file is no longer "fast start" for progressive download)
        self.move_moov = move_moov

    def moving_moov(self) -> IsobmffContainer:
        """This handler with ``move_moov`` set (see the module docstring)."""
        return IsobmffContainer(move_moov=True)

    def plan_in_place(self, src: Source, record: Record) -> InPlacePlan | None:
        plan = self.plan(src, record, move_moov=self.move_moov)
        if not plan.in_place:
            return None
        regions = [
            Region(start, src.read_at(start, min(end, src.size) - start, what="region"), data)
            for start, end, data in plan.edits
        ]
        return InPlacePlan(regions, plan.final_size, plan.warnings)


def _free(size: int) -> bytes:
    if size == 0:
        return b""
    if size < 8:
        raise ValueError("a free box needs at least 8 bytes")
    if size > U32:
        return struct.pack(">I4sQ", 1, b"free", size) + b"\x00" * (size - 16)
    return struct.pack(">I4s", size, b"free") + b"\x00" * (size - 8)


def _clone(src: Source, dst: BinaryIO) -> bool:
    """Make ``dst`` a reflink clone of the source (shared blocks, constant time) where the file system can."""
    try:
        dst.flush()
        fcntl.ioctl(dst.fileno(), FICLONE, src.fd)
    except (OSError, AttributeError, ValueError):
        return False
    return True


def _copy_range(src: Source, dst: BinaryIO, offset: int, length: int) -> None:
    """Copy unchanged bytes: in the kernel with copy_file_range where possible, else through a buffer."""
    if length <= 0:
        return
    if offset + length > src.size:
        raise src.error("range runs past the end of the file", offset)
    dst.flush()
    out_pos = dst.tell()
    done = 0
    try:
        while done < length:
            n = os.copy_file_range(src.fd, dst.fileno(), length - done, offset + done, out_pos + done)
            if n == 0:
                break
            done += n
    except OSError as exc:
        if exc.errno not in _NO_COPY_FILE_RANGE:
            raise
    dst.seek(out_pos + done)
    if done < length:
        src.copy_to(dst, offset + done, length - done)


_NO_COPY_FILE_RANGE = (errno.EXDEV, errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.EPERM, errno.EBADF)


CONTAINERS: tuple[Container, ...] = (IsobmffContainer(),)
