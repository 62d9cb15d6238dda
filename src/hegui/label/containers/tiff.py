"""TIFF: the label lives in XMP (IFD0 tag 700, XMLPacket); an EXIF UserComment in the Exif sub-IFD holding the
``{"AIGC":{...}}`` wrapper (HarmonyOS form, TC260-PG-20259A Annex B) is read too (reference §2.7, images).

This module is also the home of a small bounds-checked TIFF/EXIF IFD parser (:class:`Tiff`) that the JPEG container
reuses for its EXIF APP1 segment: every read is checked against the buffer, IFD loops are detected, entry counts and
value sizes are limited, so hostile files end in :class:`InputError` / :class:`LimitExceededError`.

Written by hand rather than through Pillow or libtiff because those rewrite (and may re-encode) the strips on save.
Here the file is copied byte for byte and the change goes to the end: the new XMP (or UserComment) data, and a new
copy of IFD0 when a tag has to be added, with the header repointed to it. Every strip, tile and other tag keeps its
offset, so the image data stays byte-identical. Classic TIFF and BigTIFF, both byte orders. A replaced value is
rewritten where it was when it fits (else appended) and its old bytes are zeroed, so no stale label stays behind.

A new XMLPacket entry gets field type 7 (UNDEFINED) as TC260-PG-20259A says; an existing one keeps its type (1 BYTE
or 7; ``exiftool -validate`` prefers BYTE, the XMP spec allows both).
"""

from __future__ import annotations

import itertools
import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO, NamedTuple, Protocol

from hegui.errors import InputError, LimitExceededError
from hegui.label import xmp
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

TAG_XMP = 700  # XMLPacket
TAG_EXIF_IFD = 0x8769
TAG_GPS_IFD = 0x8825
TAG_INTEROP_IFD = 0xA005
TAG_SUB_IFDS = 0x014A
TAG_USER_COMMENT = 0x9286
TAG_C2PA = 0xCD41  # C2PA manifest store in TIFF (C2PA spec, embedding in TIFF)
POINTER_TAGS = (TAG_EXIF_IFD, TAG_GPS_IFD, TAG_INTEROP_IFD, TAG_SUB_IFDS)

TYPE_SIZES = {
    1: 1,
    2: 1,
    3: 2,
    4: 4,
    5: 8,
    6: 1,
    7: 1,
    8: 2,
    9: 4,
    10: 8,
    11: 4,
    12: 8,
    13: 4,
    16: 8,
    17: 8,
    18: 8,
}
BYTE_TYPES = (1, 2, 6, 7)  # one byte per value: where an XMP packet or a UserComment may sit
TYPE_UNDEFINED = 7

MAX_ENTRIES = 4096  # entries in one IFD (real files hold a few dozen)
MAX_IFDS = 1024  # IFDs visited in one walk
MAX_DEPTH = 8  # nesting of sub-IFDs
MAX_USER_COMMENT = 1024 * 1024

# EXIF 2.3 §4.6.5 UserComment: an 8-byte character-code prefix, then the text.
UC_ASCII = b"ASCII\x00\x00\x00"
UC_UNICODE = b"UNICODE\x00"
UC_JIS = b"JIS\x00\x00\x00\x00\x00"
UC_UNDEFINED = b"\x00" * 8


class ByteSource(Protocol):
    """What the IFD parser reads from: a :class:`Source` (a file) or a :class:`BytesView` (an EXIF segment)."""

    size: int

    def read_at(self, offset: int, length: int, *, what: str = "data") -> bytes: ...


class BytesView:
    """A buffer with the bounds-checked ``read_at`` of :class:`Source`; errors give file offsets (``base`` added)."""

    def __init__(self, data: bytes, path: str | os.PathLike[str], base: int = 0) -> None:
        self.data = data
        self.size = len(data)
        self.path = path
        self.base = base

    def read_at(self, offset: int, length: int, *, what: str = "data") -> bytes:
        if offset < 0 or length < 0 or offset + length > self.size:
            raise InputError(
                f"truncated or corrupt TIFF/EXIF data: {what} of {length} bytes runs past the end of the "
                f"{self.size}-byte block",
                path=self.path,
                offset=self.base + max(offset, 0),
            )
        return self.data[offset : offset + length]


class Entry(NamedTuple):
    """One IFD entry. ``value_offset`` is where the value bytes are (inline or not); None for unknown types.
    Immutable; one is made per entry of every IFD read, so a tuple rather than a (slower to make) dataclass."""

    tag: int
    type: int
    count: int  # type: ignore[assignment]  # shadows tuple.count, as the field of an IFD entry is named
    offset: int  # of the entry itself
    value_offset: int | None
    inline: bool

    @property
    def size(self) -> int:
        return self.count * TYPE_SIZES.get(self.type, 0)


class Ifd(NamedTuple):
    offset: int
    entries: tuple[Entry, ...]
    next_offset: int

    def get(self, tag: int) -> Entry | None:
        for entry in self.entries:
            if entry.tag == tag:
                return entry
        return None


class Tiff:
    """A TIFF structure (file or EXIF block): header facts and IFD reading with limits and loop detection."""

    def __init__(self, view: ByteSource, path: str | os.PathLike[str], *, base: int = 0) -> None:
        self.view = view
        self.path = path
        self.base = base  # file offset of the TIFF header, for messages
        head = view.read_at(0, 8, what="TIFF header")
        if head[:2] == b"II":
            self.order = "<"
        elif head[:2] == b"MM":
            self.order = ">"
        else:
            raise self.error("not a TIFF structure (byte order mark is neither II nor MM)", 0)
        (magic,) = struct.unpack(self.order + "H", head[2:4])
        if magic == 42:
            self.big = False
            (self.first_ifd,) = struct.unpack(self.order + "I", head[4:8])
        elif magic == 43:
            self.big = True
            extra = view.read_at(8, 8, what="BigTIFF header")
            bytesize, zero = struct.unpack(self.order + "HH", head[4:8])
            if bytesize != 8 or zero != 0:
                raise self.error("BigTIFF header with an offset size other than 8", 4)
            (self.first_ifd,) = struct.unpack(self.order + "Q", extra)
        else:
            raise self.error(f"not a TIFF structure (magic number {magic}, expected 42 or 43)", 2)
        self.visited: set[int] = set()

    # ---- layout --------------------------------------------------------------------------------------------
    @property
    def header_pointer(self) -> tuple[int, int]:
        """(offset, width) of the header field that points at IFD0."""
        return (8, 8) if self.big else (4, 4)

    @property
    def count_size(self) -> int:
        return 8 if self.big else 2

    @property
    def entry_size(self) -> int:
        return 20 if self.big else 12

    @property
    def inline_size(self) -> int:
        return 8 if self.big else 4

    def error(self, message: str, offset: int) -> InputError:
        return InputError(message, path=self.path, offset=self.base + offset)

    def unpack(self, fmt: str, data: bytes) -> tuple[int, ...]:
        return struct.unpack(self.order + fmt, data)

    def pack(self, fmt: str, *values: int) -> bytes:
        return struct.pack(self.order + fmt, *values)

    # ---- reading -------------------------------------------------------------------------------------------
    def read_ifd(self, offset: int) -> Ifd:
        """Read the IFD at ``offset``; an IFD reached twice is a loop and raises :class:`InputError`."""
        if offset in self.visited:
            raise self.error("IFD loop: this IFD is referenced more than once", offset)
        if len(self.visited) >= MAX_IFDS:
            raise LimitExceededError(
                f"more than {MAX_IFDS} IFDs; refused", path=self.path, offset=self.base + offset
            )
        if offset < 8:
            raise self.error(f"IFD offset {offset} points into the header", offset)
        self.visited.add(offset)
        cs, es = self.count_size, self.entry_size
        (count,) = self.unpack(
            "Q" if self.big else "H", self.view.read_at(offset, cs, what="IFD entry count")
        )
        if count > MAX_ENTRIES:
            raise LimitExceededError(
                f"IFD declares {count} entries, more than the {MAX_ENTRIES} accepted",
                path=self.path,
                offset=self.base + offset,
            )
        table = self.view.read_at(offset + cs, count * es + self.inline_size, what="IFD entries")
        entries: list[Entry] = []
        inline_size = self.inline_size
        field_at = 12 if self.big else 8  # offset of the value field within an entry
        layout = struct.Struct(self.order + ("HHQQ" if self.big else "HHII"))
        at = offset + cs
        for tag, ftype, n, pointer in layout.iter_unpack(table[: count * es]):  # one C loop over the table
            unit = TYPE_SIZES.get(ftype)
            if unit is None:
                entries.append(Entry(tag, ftype, n, at, None, False))
            else:
                inline = n * unit <= inline_size
                entries.append(Entry(tag, ftype, n, at, at + field_at if inline else pointer, inline))
            at += es
        (next_offset,) = self.unpack("Q" if self.big else "I", table[count * es :])
        return Ifd(offset, tuple(entries), next_offset)

    def value(self, entry: Entry, *, limit: int) -> bytes:
        """The raw value bytes of ``entry`` (at most ``limit`` bytes, else :class:`LimitExceededError`)."""
        if entry.value_offset is None:
            raise self.error(f"tag {entry.tag} has unknown field type {entry.type}", entry.offset)
        if entry.size > limit:
            raise LimitExceededError(
                f"tag {entry.tag} declares {entry.size} bytes, more than the {limit} accepted",
                path=self.path,
                offset=self.base + entry.offset,
            )
        return self.view.read_at(entry.value_offset, entry.size, what=f"value of tag {entry.tag}")

    def pointers(self, entry: Entry) -> list[int]:
        """The IFD offsets a pointer tag (Exif, GPS, Interop, SubIFDs) holds."""
        if entry.type not in (4, 13, 16, 18) or entry.count == 0:
            raise self.error(f"pointer tag {entry.tag} has type {entry.type}, not an offset", entry.offset)
        data = self.value(entry, limit=8 * MAX_IFDS)
        fmt = "Q" if entry.type in (16, 18) else "I"
        return list(self.unpack(f"{entry.count}{fmt}", data))

    def sub_ifd(self, ifd: Ifd, tag: int) -> Ifd | None:
        """The first IFD a pointer tag of ``ifd`` leads to, or None."""
        entry = ifd.get(tag)
        if entry is None:
            return None
        return self.read_ifd(self.pointers(entry)[0])

    def walk(self) -> Iterator[Ifd]:
        """Every IFD: the main chain and, depth first, the Exif / GPS / Interop / SubIFDs below each one."""
        yield from self._walk(self.first_ifd, 0)

    def _walk(self, offset: int, depth: int) -> Iterator[Ifd]:
        if depth > MAX_DEPTH:
            raise LimitExceededError(
                f"sub-IFDs nested deeper than {MAX_DEPTH}", path=self.path, offset=self.base + offset
            )
        while offset:
            ifd = self.read_ifd(offset)
            yield ifd
            for entry in ifd.entries:
                if entry.tag in POINTER_TAGS:
                    for child in self.pointers(entry):
                        if child:
                            yield from self._walk(child, depth + 1)
            offset = ifd.next_offset

    # ---- writing helpers -----------------------------------------------------------------------------------
    def entry_bytes(self, tag: int, ftype: int, count: int, field: bytes) -> bytes:
        return self.pack("HHQ" if self.big else "HHI", tag, ftype, count) + field.ljust(
            self.inline_size, b"\0"
        )

    def offset_bytes(self, value: int) -> bytes:
        return self.pack("Q" if self.big else "I", value)


# --------------------------------------------------------------------------------------------------------------
# Edits: same-length patches of existing bytes plus data appended at the end (nothing moves).


@dataclass
class Edit:
    """Changes to a TIFF structure that keep every existing offset valid."""

    end: int  # size of the structure; appended data starts here (after word alignment)
    patches: list[tuple[int, bytes]]
    appended: bytearray

    def append(self, data: bytes) -> int:
        """Append ``data`` word-aligned (TIFF 6.0 asks for even offsets); return its offset."""
        if (self.end + len(self.appended)) % 2:
            self.appended += b"\0"
        at = self.end + len(self.appended)
        self.appended += data
        return at

    def checked(self, tiff: Tiff) -> list[tuple[int, bytes]]:
        ordered = sorted(self.patches)
        for (a, da), (b, _) in itertools.pairwise(ordered):
            if a + len(da) > b:
                raise tiff.error("overlapping TIFF structures (an IFD entry and a value share bytes)", b)
        return ordered

    def apply(self, tiff: Tiff, data: bytes) -> bytes:
        out = bytearray(data)
        for at, patch in self.checked(tiff):
            out[at : at + len(patch)] = patch
        return bytes(out + self.appended)

    def stream(self, tiff: Tiff, src: Source, dst: BinaryIO) -> None:
        pos = 0
        for at, patch in self.checked(tiff):
            src.copy_to(dst, pos, at - pos)
            dst.write(patch)
            pos = at + len(patch)
        src.copy_to(dst, pos, src.size - pos)
        dst.write(self.appended)


def set_value(tiff: Tiff, edit: Edit, entry: Entry, data: bytes, *, ftype: int = TYPE_UNDEFINED) -> None:
    """Give ``entry`` the byte value ``data``: in place when it fits in the old slot, else appended.

    The bytes of the old value that are no longer used are zeroed, so no stale copy of a label stays behind.
    """
    old_at = None if entry.inline or entry.value_offset is None else entry.value_offset
    old_size = entry.size if old_at is not None else 0
    if len(data) <= tiff.inline_size:
        field = data
    elif old_at is not None and len(data) <= old_size:
        edit.patches.append((old_at, data + b"\0" * (old_size - len(data))))
        old_at = None
        field = tiff.offset_bytes(entry.value_offset or 0)
    else:
        field = tiff.offset_bytes(edit.append(data))
    if old_at is not None:
        edit.patches.append((old_at, b"\0" * old_size))
    edit.patches.append((entry.offset, tiff.entry_bytes(entry.tag, ftype, len(data), field)))


def add_entry(tiff: Tiff, edit: Edit, ifd: Ifd, tag: int, data: bytes, *, ftype: int = TYPE_UNDEFINED) -> int:
    """Append a copy of ``ifd`` with one more entry (tags stay sorted); return the new IFD's offset.

    The old IFD stays where it was, unreferenced once the caller repoints to the copy. Entries are copied
    verbatim: their inline values and offsets stay valid because nothing else moves.
    """
    field = data if len(data) <= tiff.inline_size else tiff.offset_bytes(edit.append(data))
    rows: list[tuple[int, bytes]] = []
    table = tiff.view.read_at(ifd.offset + tiff.count_size, len(ifd.entries) * tiff.entry_size, what="IFD")
    for i, entry in enumerate(ifd.entries):
        rows.append((entry.tag, table[i * tiff.entry_size : (i + 1) * tiff.entry_size]))
    rows.append((tag, tiff.entry_bytes(tag, ftype, len(data), field)))
    rows.sort(key=lambda row: row[0])
    body = tiff.pack("Q" if tiff.big else "H", len(rows)) + b"".join(r for _, r in rows)
    return edit.append(body + tiff.offset_bytes(ifd.next_offset))


# --------------------------------------------------------------------------------------------------------------
# EXIF UserComment


def decode_user_comment(data: bytes, order: str) -> str:
    """The text of a UserComment: ``ASCII``, ``UNICODE`` (UCS-2, EXIF byte order or BOM), ``JIS`` or undefined."""
    prefix, body = data[:8], data[8:]
    if prefix == UC_UNICODE:
        if body[:2] in (b"\xff\xfe", b"\xfe\xff"):
            text = body.decode("utf-16", errors="replace")
        else:
            first = "utf-16-le" if order == "<" else "utf-16-be"
            second = "utf-16-be" if order == "<" else "utf-16-le"
            text = body[: len(body) // 2 * 2].decode(first, errors="replace")
            if "{" not in text:  # some writers ignore the EXIF byte order
                other = body[: len(body) // 2 * 2].decode(second, errors="replace")
                text = other if "{" in other else text
    elif prefix == UC_JIS:
        text = body.decode("iso2022_jp", errors="replace")
    elif prefix in (UC_ASCII, UC_UNDEFINED):
        text = body.decode("utf-8", errors="replace")
    else:  # no prefix at all (seen in the wild): the whole value is the text
        text = data.decode("utf-8", errors="replace")
    return text.rstrip("\x00 ")


def encode_user_comment(text: str) -> bytes:
    """An ``ASCII``-prefixed UserComment (label values are ASCII by Annex E j)."""
    return UC_ASCII + text.encode("ascii", errors="backslashreplace")


def holds_label(text: str) -> bool:
    """A general-purpose text field holds a label when it names AIGC or carries the Annex E keys."""
    return "AIGC" in text or ('"Label"' in text and '"ContentProducer"' in text)


@dataclass(frozen=True)
class UserComment:
    """A UserComment that holds a label, with the entry that stores it."""

    entry: Entry
    text: str
    found: Found


def find_user_comment(tiff: Tiff, ifd0: Ifd, container: str) -> UserComment | None:
    """The label in the Exif sub-IFD's UserComment, if there is one."""
    exif = tiff.sub_ifd(ifd0, TAG_EXIF_IFD)
    if exif is None:
        return None
    entry = exif.get(TAG_USER_COMMENT)
    if entry is None or entry.type not in BYTE_TYPES:
        return None
    text = decode_user_comment(tiff.value(entry, limit=MAX_USER_COMMENT), tiff.order)
    if not holds_label(text):
        return None
    found = found_from_value(
        container, "EXIF UserComment", text, offset=tiff.base + (entry.value_offset or entry.offset)
    )
    return UserComment(entry, text, found)


def xmp_hits(
    packet: bytes, container: str, location: str, path: str | os.PathLike[str], offset: int
) -> list[Found]:
    """Labels in an XMP packet; a malformed packet is an :class:`InputError` naming the file and offset."""
    try:
        hits = xmp.find_aigc(packet)
    except InputError as exc:
        raise InputError(exc.detail, path=path, offset=offset) from exc
    return [found_from_value(container, location, h.value, offset=offset, form=h.form) for h in hits]


# --------------------------------------------------------------------------------------------------------------
# The container


@dataclass
class _State:
    tiff: Tiff
    ifd0: Ifd
    packet: bytes | None
    xmp_labels: list[Found]
    comment: UserComment | None

    @property
    def labels(self) -> list[Found]:
        return self.xmp_labels + ([self.comment.found] if self.comment is not None else [])


class TiffContainer(Container):
    name = "tiff"
    extensions = (".tif", ".tiff")
    media_type = "image/tiff"

    def sniff(self, head: bytes, name: str) -> bool:
        return head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")

    def _state(self, src: Source) -> _State:
        """IFD0 and what it holds, read once per open file (scan and file_findings share it)."""
        cached: _State | None = src.memo.get("tiff")
        if cached is None:
            cached = src.memo["tiff"] = self._read_state(src)
        return cached

    def _read_state(self, src: Source) -> _State:
        tiff = Tiff(src, src.name)
        ifd0 = tiff.read_ifd(tiff.first_ifd)
        packet: bytes | None = None
        labels: list[Found] = []
        entry = ifd0.get(TAG_XMP)
        if entry is not None and entry.type in BYTE_TYPES:
            packet = tiff.value(entry, limit=xmp.MAX_PACKET_BYTES)
            if not packet.strip(b"\x00 \t\r\n"):
                packet = None  # an empty XMLPacket: the new packet replaces it
            else:
                labels = xmp_hits(
                    packet, self.name, "IFD0 XMLPacket TC260:AIGC", src.name, entry.value_offset or 0
                )
        comment = find_user_comment(tiff, ifd0, self.name)
        return _State(tiff, ifd0, packet, labels, comment)

    def scan(self, src: Source) -> list[Found]:
        return self._state(src).labels

    def file_findings(self, src: Source, labels: list[Found]) -> list[Finding]:
        return [c2pa_warning()] if self._state(src).ifd0.get(TAG_C2PA) is not None else []

    def render(self, src: Source, dst: BinaryIO, record: Record) -> list[Finding]:
        state = self._state(src)
        tiff, ifd0 = state.tiff, state.ifd0
        edit = Edit(src.size, [], bytearray())
        comment = state.comment
        if comment is not None and not state.xmp_labels:
            # The label was only in the UserComment: update it there, so the file keeps its one label in place.
            set_value(tiff, edit, comment.entry, encode_user_comment(record.to_wrapped_json()))
        else:
            if comment is not None:  # the new label goes to XMP; the old copy in the UserComment is emptied
                set_value(tiff, edit, comment.entry, UC_UNDEFINED)
            packet = xmp.set_aigc(
                state.packet, record.to_json(), padding=xmp.PADDING
            )  # room for the next one
            entry = ifd0.get(TAG_XMP)
            if entry is not None and entry.type in BYTE_TYPES:
                set_value(tiff, edit, entry, packet, ftype=entry.type if entry.type != 2 else TYPE_UNDEFINED)
            else:
                if entry is not None:
                    raise src.error(f"XMLPacket tag has field type {entry.type}, not bytes", entry.offset)
                at = add_entry(tiff, edit, ifd0, TAG_XMP, packet)
                edit.patches.append((tiff.header_pointer[0], tiff.offset_bytes(at)))
        edit.stream(tiff, src, dst)
        return [c2pa_warning()] if ifd0.get(TAG_C2PA) is not None else []

    supports_in_place = True

    def plan_in_place(self, src: Source, record: Record) -> InPlacePlan | None:
        """The XMLPacket value rewritten where it lies, at its own size (its padding absorbing the change), when
        the label lives in XMP alone: no IFD entry, count or offset changes."""
        state = self._state(src)
        entry = state.ifd0.get(TAG_XMP)
        packet = state.packet
        if state.comment is not None or packet is None or entry is None or entry.type not in BYTE_TYPES:
            return None
        if entry.inline or entry.value_offset is None or entry.size != len(packet):
            return None
        fitted = xmp.fit(xmp.set_aigc(packet, record.to_json()), len(packet))
        if fitted is None:
            return None
        warnings = [c2pa_warning()] if state.ifd0.get(TAG_C2PA) is not None else []
        return InPlacePlan([Region(entry.value_offset, packet, fitted)], src.size, warnings)


CONTAINERS: tuple[Container, ...] = (TiffContainer(),)
