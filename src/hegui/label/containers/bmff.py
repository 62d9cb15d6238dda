"""ISO BMFF boxes at the byte level: header parsing (32-bit, 64-bit ``largesize``, size 0 = to the end, ``uuid``),
a bounded walk over the top level of a file, and an in-memory box tree for ``moov`` that can be edited and written.

Kept apart from :mod:`hegui.label.containers.isobmff` so that the label logic reads as label logic. Every parser
here is bounded: box counts, nesting depth and the size of the boxes read into memory are limited, and a header
that points outside its parent raises :class:`~hegui.errors.InputError` naming the file and offset.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from hegui.errors import InputError, LimitExceededError

MAX_DEPTH = 24  # nesting depth of boxes parsed into a tree
MAX_TOP_BOXES = 4_000_000  # top-level boxes walked (fragmented files hold two per fragment)
MAX_CHILDREN = 1_000_000  # boxes inside one parsed tree
MAX_TREE_BYTES = 256 * 1024 * 1024  # moov / moof / mfra read into memory
U32 = 0xFFFFFFFF

# Boxes whose payload is a plain list of boxes (walked when a tree is parsed).
CONTAINERS = frozenset(
    {
        b"moov",
        b"trak",
        b"mdia",
        b"minf",
        b"stbl",
        b"udta",
        b"edts",
        b"dinf",
        b"mvex",
        b"moof",
        b"traf",
        b"mfra",
        b"ilst",
        b"tref",
        b"meta",
    }
)


@dataclass(frozen=True)
class Header:
    """A box header as found in the file: where it is, how long the header is, and the whole box size."""

    type: bytes
    offset: int
    header_size: int
    size: int
    large: bool = False  # stored with size == 1 and a 64-bit largesize
    to_end: bool = False  # stored with size == 0 (extends to the end of the parent / file)
    uuid: bytes | None = None

    @property
    def end(self) -> int:
        return self.offset + self.size

    @property
    def payload_offset(self) -> int:
        return self.offset + self.header_size

    @property
    def payload_size(self) -> int:
        return self.size - self.header_size

    @property
    def name(self) -> str:
        return self.type.decode("latin-1")


Reader = Callable[[int, int], bytes]


def parse_header(read: Reader, offset: int, end: int, *, path: Path | None = None) -> Header:
    """The box header at ``offset`` inside a parent ending at ``end``; sizes are checked against ``end``."""
    if offset + 8 > end:
        raise InputError(
            f"truncated box header: {end - offset} bytes left, 8 needed", path=path, offset=offset
        )
    size, btype = struct.unpack(">I4s", read(offset, 8))
    header = 8
    large = to_end = False
    if size == 1:
        if offset + 16 > end:
            raise InputError("truncated 64-bit box header", path=path, offset=offset)
        (size,) = struct.unpack(">Q", read(offset + 8, 8))
        header = 16
        large = True
    elif size == 0:
        size = end - offset
        to_end = True
    uuid = None
    if btype == b"uuid":
        if offset + header + 16 > end:
            raise InputError("truncated uuid box header", path=path, offset=offset)
        uuid = read(offset + header, 16)
        header += 16
    if size < header:
        raise InputError(
            f"box {btype!r} declares {size} bytes, less than its own {header}-byte header",
            path=path,
            offset=offset,
        )
    if offset + size > end:
        raise InputError(
            f"box {btype!r} of {size} bytes runs past the end of its parent ({end - offset} bytes left)",
            path=path,
            offset=offset,
        )
    return Header(btype, offset, header, size, large, to_end, uuid)


def walk(
    read: Reader, start: int, end: int, *, path: Path | None = None, limit: int = MAX_TOP_BOXES
) -> Iterator[Header]:
    """The headers of consecutive boxes in ``[start, end)``; seeks past payloads, never reads them."""
    offset = start
    count = 0
    while offset < end:
        count += 1
        if count > limit:
            raise LimitExceededError(
                f"more than {limit} boxes in one list; refused", path=path, offset=offset
            )
        box = parse_header(read, offset, end, path=path)
        yield box
        offset = box.end


@dataclass
class Box:
    """A box held in memory. Containers keep ``prefix`` (e.g. a full box's version/flags) and ``children``;
    leaves keep their ``payload``. ``trailer`` holds stray bytes after the last child (QuickTime ``udta`` lists may
    end with a 32-bit zero), written back unchanged.
    """

    type: bytes
    payload: bytes = b""
    children: list[Box] | None = None
    prefix: bytes = b""
    trailer: bytes = b""
    uuid: bytes | None = None
    large: bool = False
    offset: int = -1  # where the box was in the file (-1: new)

    def body(self) -> bytes:
        if self.children is None:
            return self.payload
        return self.prefix + b"".join(child.to_bytes() for child in self.children) + self.trailer

    def to_bytes(self) -> bytes:
        body = self.body()
        extra = self.uuid or b""
        size = 8 + len(extra) + len(body)
        if self.large or size > U32:
            return struct.pack(">I4sQ", 1, self.type, size + 8) + extra + body
        return struct.pack(">I4s", size, self.type) + extra + body

    def find(self, btype: bytes) -> Box | None:
        for child in self.children or ():
            if child.type == btype:
                return child
        return None

    def find_all(self, btype: bytes) -> list[Box]:
        return [child for child in self.children or () if child.type == btype]

    def iter(self, depth: int = 0) -> Iterator[tuple[Box, int]]:
        """This box and every descendant, depth first, with the depth."""
        yield self, depth
        for child in self.children or ():
            yield from child.iter(depth + 1)


def meta_prefix_size(payload: bytes) -> int:
    """4 for an ISO full-box ``meta`` (version/flags), 0 for a QuickTime ``meta`` that starts with a box."""
    if len(payload) >= 8 and payload[4:8] in (b"hdlr", b"keys", b"ilst", b"free", b"iinf", b"pitm", b"iloc"):
        return 0
    return 4


@dataclass
class TreeParser:
    """Parses bytes of one box into a :class:`Box` tree; ``base`` is the file offset of ``data[0]``."""

    data: bytes
    base: int
    path: Path | None = None
    count: int = 0

    def read(self, offset: int, length: int) -> bytes:
        start = offset - self.base
        return self.data[start : start + length]

    def parse(self, offset: int, end: int, depth: int = 0, parent: bytes = b"") -> Box:
        return self._parse(offset, end, depth, parent)[0]

    def _parse(self, offset: int, end: int, depth: int, parent: bytes) -> tuple[Box, int]:
        head = parse_header(self.read, offset, end, path=self.path)
        self.count += 1
        if self.count > MAX_CHILDREN:
            raise LimitExceededError(
                f"more than {MAX_CHILDREN} boxes in one tree", path=self.path, offset=offset
            )
        payload = self.read(head.payload_offset, head.payload_size)
        box = Box(head.type, uuid=head.uuid, large=head.large, offset=offset)
        is_container = head.type in CONTAINERS or parent == b"ilst"
        if not is_container:
            box.payload = payload
            return box, head.end
        if depth >= MAX_DEPTH:
            raise LimitExceededError(
                f"boxes nested deeper than {MAX_DEPTH} levels", path=self.path, offset=offset
            )
        prefix = meta_prefix_size(payload) if head.type == b"meta" else 0
        if parent == b"ilst" and not _looks_like_box_list(payload):
            box.payload = payload  # an ilst item that does not hold boxes: keep it as it is
            return box, head.end
        box.prefix = payload[:prefix]
        box.children = []
        child = head.payload_offset + prefix
        while child < head.end:
            left = head.end - child
            if left < 8 and self.read(child, left) == b"\x00" * left:
                box.trailer = self.read(child, left)
                break
            sub, child = self._parse(child, head.end, depth + 1, head.type)
            box.children.append(sub)
        return box, head.end


def _looks_like_box_list(payload: bytes) -> bool:
    if len(payload) < 8:
        return False
    (size,) = struct.unpack(">I", payload[:4])
    return size == 0 or size == 1 or 8 <= size <= len(payload)


def parse_tree(data: bytes, base: int, *, path: Path | None = None) -> Box:
    """The box tree of ``data`` (exactly one box, read from the file at offset ``base``)."""
    return TreeParser(data, base, path).parse(base, base + len(data))
