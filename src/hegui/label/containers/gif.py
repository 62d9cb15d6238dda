"""GIF: the label lives in XMP, in the Application Extension ``XMP DataXMP`` (XMP spec part 3, §1.1.2); a Comment
Extension holding an AIGC object is read too (reference §2.7, images).

The XMP application extension stores the packet as raw bytes (not split into sub-blocks) followed by a 258-byte
"magic trailer" (``01 FF FE ... 01 00 00``): a reader that walks the data as sub-blocks lands in the ramp wherever the
packet ends and is led to the block terminator, so GIF decoders that know nothing of XMP skip it.

GIF image data carries no lengths, only 255-byte sub-blocks, so a reader has to walk the sub-block length bytes to
find the next block; it does so through a buffered window and never decodes LZW. Written by hand rather than through
Pillow because Pillow re-encodes (and re-quantises) frames on save; here every block other than the XMP extension
(and a comment it replaces) is copied byte for byte: image descriptors, colour tables, LZW data, the NETSCAPE loop
extension, graphic control extensions and other comments.
"""

from __future__ import annotations

import mmap
from dataclasses import dataclass
from typing import BinaryIO

from hegui.errors import InputError
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

SIGNATURES = (b"GIF87a", b"GIF89a")
XMP_APP_ID = b"XMP DataXMP"  # 8-byte application identifier + 3-byte authentication code
# 0x01, then 0xFF down to 0x00, then the block terminator 0x00: 258 bytes.
MAGIC_TRAILER = b"\x01" + bytes(range(255, -1, -1)) + b"\x00"
C2PA_APP_PREFIX = b"C2PA"  # C2PA's GIF embedding uses an application extension named C2PA_GIF
EXTENSION = 0x21
IMAGE = 0x2C
TRAILER = 0x3B
APPLICATION = 0xFF
COMMENT = 0xFE
GRAPHIC_CONTROL = 0xF9
WINDOW = 1 << 16
MAX_METADATA = xmp.MAX_PACKET_BYTES  # an extension larger than this is not read into memory


@dataclass(frozen=True)
class Block:
    """One top-level block: ``kind`` is 0x21 (extension), 0x2C (image) or 0x3B (trailer)."""

    offset: int
    end: int
    kind: int
    label: int = 0  # extension label (0xFF application, 0xFE comment, 0xF9 graphic control, ...)
    app_id: bytes = b""  # application identifier + authentication code (11 bytes), for 0xFF


class _Window:
    """Buffered byte access for walking thousands of small sub-blocks without one read call each."""

    def __init__(self, src: Source) -> None:
        self.src = src
        self.start = 0
        self.data: bytes | mmap.mmap = b""
        if src.size > WINDOW:  # a large file is walked through a memory map: no reads, no copies
            self.data = src.view()

    def byte(self, pos: int, what: str) -> int:
        if not self.start <= pos < self.start + len(self.data):
            if pos >= self.src.size:
                raise self.src.error(f"truncated GIF: {what} runs past the end ({self.src.size} bytes)", pos)
            self.start = pos
            self.data = self.src.read_at(pos, min(WINDOW, self.src.size - pos), what=what)
        return self.data[pos - self.start]

    def skip_sub_blocks(self, pos: int) -> int:
        """Offset just after the block terminator of the sub-block chain starting at ``pos``."""
        while True:
            if not self.start <= pos < self.start + len(self.data):
                self.byte(pos, "sub-block length")
            rel = pos - self.start
            data = self.data
            limit = len(data)
            while rel < limit:  # hot loop over the in-memory window
                n = data[rel]
                if n == 255:
                    # A run of full 255-byte sub-blocks (most of any image's data): their length bytes sit every
                    # 256 bytes, so one strided slice finds where the run ends without a step per sub-block.
                    run = data[rel:limit:256]
                    rel += 256 * (len(run) - len(run.lstrip(b"\xff")))
                    continue
                if n == 0:
                    return self.start + rel + 1
                rel += n + 1
            pos = self.start + rel


def iter_blocks(src: Source) -> tuple[bytes, int, list[Block]]:
    """(signature, offset of the first block, blocks up to and including the trailer); walked once per open file."""
    cached: tuple[bytes, int, list[Block]] | None = src.memo.get("gif-blocks")
    if cached is None:
        cached = src.memo["gif-blocks"] = _walk_blocks(src)
    return cached


def _walk_blocks(src: Source) -> tuple[bytes, int, list[Block]]:
    head = src.read_at(0, 13, what="GIF header and logical screen descriptor")
    signature = head[:6]
    if signature not in SIGNATURES:
        raise src.error("not a GIF file (bad signature)", 0)
    packed = head[10]
    pos = 13 + (3 << ((packed & 7) + 1) if packed & 0x80 else 0)
    win = _Window(src)
    blocks: list[Block] = []
    while True:
        if pos == src.size and blocks:  # no trailer: tolerated, as decoders do
            return signature, _first(blocks, pos), blocks
        kind = win.byte(pos, "block introducer")
        if kind == TRAILER:
            blocks.append(Block(pos, pos + 1, kind))
            return signature, _first(blocks, pos), blocks
        if kind == EXTENSION:
            label = win.byte(pos + 1, "extension label")
            app_id = b""
            if label == APPLICATION and win.byte(pos + 2, "application block size") == 11:
                app_id = src.read_at(pos + 3, 11, what="application identifier")
            end = win.skip_sub_blocks(pos + 2)
            blocks.append(Block(pos, end, kind, label, app_id))
        elif kind == IMAGE:
            packed = win.byte(pos + 9, "image descriptor")
            data = pos + 10 + (3 << ((packed & 7) + 1) if packed & 0x80 else 0)
            win.byte(data, "LZW minimum code size")
            end = win.skip_sub_blocks(data + 1)
            blocks.append(Block(pos, end, kind))
        else:
            raise src.error(f"invalid GIF block introducer 0x{kind:02X}", pos)
        if end > src.size:
            raise src.error("truncated GIF: block runs past the end of the file", pos)
        pos = end


def _first(blocks: list[Block], end: int) -> int:
    return blocks[0].offset if blocks else end


def xmp_packet(src: Source, block: Block) -> bytes:
    """The raw XMP packet of an ``XMP DataXMP`` extension (the bytes before the magic trailer)."""
    start = block.offset + 14
    size = block.end - start
    if size > MAX_METADATA + len(MAGIC_TRAILER):
        raise src.error(f"XMP extension of {size} bytes is over the limit", block.offset)
    data = src.read_at(start, size, what="XMP extension")
    if data.endswith(MAGIC_TRAILER):
        return data[: -len(MAGIC_TRAILER)]
    return _join_sub_blocks(data)  # a writer that split the packet into ordinary sub-blocks


def _join_sub_blocks(data: bytes) -> bytes:
    out = bytearray()
    pos = 0
    while pos < len(data) and data[pos]:
        out += data[pos + 1 : pos + 1 + data[pos]]
        pos += data[pos] + 1
    return bytes(out)


def comment_text(src: Source, block: Block) -> str:
    size = block.end - block.offset - 2
    if size > MAX_METADATA:
        raise src.error(f"comment extension of {size} bytes is over the limit", block.offset)
    data = _join_sub_blocks(src.read_at(block.offset + 2, size, what="comment extension"))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def xmp_extension(packet: bytes) -> bytes:
    """The full application extension for ``packet`` (which must hold no NUL byte)."""
    if b"\x00" in packet:
        raise ValueError("an XMP packet in GIF cannot hold NUL bytes")
    return b"\x21\xff\x0b" + XMP_APP_ID + packet + MAGIC_TRAILER


def _is_xmp(block: Block) -> bool:
    return block.kind == EXTENSION and block.label == APPLICATION and block.app_id == XMP_APP_ID


def _is_c2pa(block: Block) -> bool:
    return block.kind == EXTENSION and block.label == APPLICATION and block.app_id.startswith(C2PA_APP_PREFIX)


_Labels = tuple[list[Found], list[Block], bytes | None, list[Block]]
"""Labels, the blocks that hold them, the first XMP packet and every block."""


class GifContainer(Container):
    name = "gif"
    extensions = (".gif",)
    media_type = "image/gif"

    def sniff(self, head: bytes, name: str) -> bool:
        return head[:6] in SIGNATURES

    def _labels(self, src: Source) -> _Labels:
        """Labels, the blocks that hold them, the first XMP packet and every block; found once per open file (a
        write's policy check and its plan share them)."""
        return src.once("gif-labels", lambda: self._find_labels(src))

    def _find_labels(self, src: Source) -> _Labels:
        labels: list[Found] = []
        holders: list[Block] = []
        packet: bytes | None = None
        _, _, blocks = iter_blocks(src)
        for block in blocks:
            if _is_xmp(block):
                raw = xmp_packet(src, block)
                if packet is None:
                    packet = raw
                try:
                    hits = xmp.find_aigc(raw)
                except InputError as exc:
                    raise src.error(f"XMP application extension: {exc.detail}", block.offset) from exc
                for hit in hits:
                    labels.append(
                        found_from_value(
                            self.name,
                            "Application Extension XMP DataXMP TC260:AIGC",
                            hit.value,
                            offset=block.offset,
                            form=hit.form,
                        )
                    )
                    holders.append(block)
            elif block.kind == EXTENSION and block.label == COMMENT:
                text = comment_text(src, block)
                if "AIGC" in text and "{" in text:
                    labels.append(found_from_value(self.name, "Comment Extension", text, offset=block.offset))
                    holders.append(block)
        return labels, holders, packet, blocks

    def scan(self, src: Source) -> list[Found]:
        return self._labels(src)[0]

    def file_findings(self, src: Source, labels: list[Found]) -> list[Finding]:
        return [c2pa_warning()] if any(_is_c2pa(b) for b in iter_blocks(src)[2]) else []

    def render(self, src: Source, dst: BinaryIO, record: Record) -> list[Finding]:
        _, holders, packet, blocks = self._labels(src)
        first = iter_blocks(src)[1]
        # Padded, so that the next label (a platform's propagation fields, a rerun) fits where this one lies.
        new_packet = xmp.set_aigc(packet, record.to_json(), padding=xmp.PADDING)
        if (
            b"\x00" in new_packet
        ):  # the raw-bytes embedding cannot carry NUL (it would end the sub-block walk)
            raise src.error("the merged XMP packet holds a NUL byte; it cannot be stored in a GIF")
        new_block = xmp_extension(new_packet)
        drop = {b.offset for b in holders} | {b.offset for b in blocks if _is_xmp(b)}
        # Extensions need GIF89a; the version is header metadata, the screen descriptor and palette stay as they are.
        dst.write(b"GIF89a")
        src.copy_to(dst, 6, first - 6)
        warnings: list[Finding] = []
        written = False
        for block in blocks:
            if block.offset in drop:
                continue
            starts_image = block.kind in (IMAGE, TRAILER) or (
                block.kind == EXTENSION and block.label == GRAPHIC_CONTROL
            )
            if not written and starts_image:
                dst.write(new_block)  # before the first image (and its graphic control extension)
                written = True
            if _is_c2pa(block):
                warnings.append(c2pa_warning())
            src.copy_to(dst, block.offset, block.end - block.offset)
        if not written:
            dst.write(new_block)
            dst.write(b"\x3b")
        return warnings

    supports_in_place = True

    def plan_in_place(self, src: Source, record: Record) -> InPlacePlan | None:
        """The new packet over the old one, padded to its size, when the file's only XMP extension has room (the
        padding hegui leaves), holds the packet raw before the magic trailer, and no comment holds a label (that
        one the copy drops). A GIF87a header would have to change to GIF89a: the copy does that."""
        _, holders, packet, blocks = self._labels(src)
        xmp_blocks = [b for b in blocks if _is_xmp(b)]
        if packet is None or len(xmp_blocks) != 1 or any(not _is_xmp(b) for b in holders):
            return None
        if src.read_at(0, 6, what="GIF signature") != b"GIF89a":
            return None
        block = xmp_blocks[0]
        start = block.offset + 14
        if src.read_at(start + len(packet), len(MAGIC_TRAILER), what="XMP magic trailer") != MAGIC_TRAILER:
            return None  # a packet split into ordinary sub-blocks: no room to overwrite
        fitted = xmp.fit(xmp.set_aigc(packet, record.to_json()), len(packet))
        if fitted is None or b"\x00" in fitted:
            return None
        warnings = [c2pa_warning()] if any(_is_c2pa(b) for b in blocks) else []
        return InPlacePlan([Region(start, packet, fitted)], src.size, warnings)


CONTAINERS: tuple[Container, ...] = (GifContainer(),)
