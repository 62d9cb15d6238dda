"""FLAC: the label is the comment ``AIGC=<json>`` in the ``VORBIS_COMMENT`` metadata block (type 4; reference §2.7,
audio).

Written by hand, not through ffmpeg or mutagen: ffmpeg rewrites the whole stream and mutagen is GPL. The metadata
blocks are rebuilt and the rest of the file (the audio frames) is copied byte for byte. When the ``PADDING`` blocks
leave room, padding shrinks or grows so that the metadata keeps its exact size and the audio frames stay at the same
offset; otherwise the metadata grows by the new comment plus fresh padding for later edits. STREAMINFO, SEEKTABLE
(seek points count from the first frame, so moving the frames keeps them valid), CUESHEET, PICTURE and APPLICATION
blocks are copied unchanged, in their order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO

from hegui.errors import LimitExceededError
from hegui.label.containers import id3, vorbiscomment
from hegui.label.containers.base import Container, Found, Source, c2pa_warning
from hegui.label.record import Finding, Record

MAGIC = b"fLaC"
STREAMINFO, PADDING, APPLICATION, SEEKTABLE, VORBIS_COMMENT, CUESHEET, PICTURE = range(7)
MAX_BLOCK = (1 << 24) - 1  # a block length is a 24-bit field
MAX_BLOCKS = 10_000  # real files hold a handful; more is hostile
NEW_PADDING = 4096  # padding given to a file whose metadata has to grow, so the next edit fits in place


@dataclass(frozen=True)
class Block:
    offset: int  # of the 4-byte block header
    type: int
    length: int
    last: bool

    @property
    def end(self) -> int:
        return self.offset + 4 + self.length


def id3_prefix_length(src: Source) -> int:
    """Length of an ID3v2 tag in front of ``fLaC`` (some taggers put one there), else 0."""
    if src.size < 10 or src.read_at(0, 3, what="magic") != b"ID3":
        return 0
    header = src.read_at(0, 10, what="ID3v2 header")
    if any(b & 0x80 for b in header[6:10]):
        raise src.error("ID3v2 tag in front of the FLAC stream has a malformed (non-syncsafe) size", 6)
    size = (header[6] << 21) | (header[7] << 14) | (header[8] << 7) | header[9]
    return 10 + size + (10 if header[3] == 4 and header[5] & 0x10 else 0)


def iter_blocks(src: Source) -> tuple[int, list[Block]]:
    """(offset of ``fLaC``, metadata blocks); reads block headers only."""
    start = id3_prefix_length(src)
    if src.read_at(start, 4, what="FLAC signature") != MAGIC:
        raise src.error("not a FLAC stream (no fLaC signature)", start)
    offset = start + 4
    blocks: list[Block] = []
    while True:
        if len(blocks) >= MAX_BLOCKS:
            raise LimitExceededError(
                f"more than {MAX_BLOCKS} FLAC metadata blocks; refused", path=src.path, offset=offset
            )
        header = src.read_at(offset, 4, what="metadata block header")
        btype = header[0] & 0x7F
        last = bool(header[0] & 0x80)
        length = int.from_bytes(header[1:4], "big")
        if btype == 127:
            raise src.error("invalid FLAC metadata block type 127", offset)
        if not blocks and btype != STREAMINFO:
            raise src.error(f"FLAC stream starts with block type {btype}, not STREAMINFO", offset)
        block = Block(offset, btype, length, last)
        if block.end > src.size:
            raise src.error(f"truncated FLAC: metadata block of {length} bytes runs past the end", offset)
        blocks.append(block)
        offset = block.end
        if last:
            return start, blocks


def block_header(btype: int, length: int, last: bool) -> bytes:
    return bytes([btype | (0x80 if last else 0)]) + length.to_bytes(3, "big")


class FlacContainer(Container):
    name = "flac"
    extensions = (".flac",)
    media_type = "audio/flac"

    def sniff(self, head: bytes, name: str) -> bool:
        return head.startswith(MAGIC) or (head.startswith(b"ID3") and name.lower().endswith(".flac"))

    def _comments(self, src: Source, blocks: list[Block]) -> list[tuple[Block, vorbiscomment.VorbisComment]]:
        out = []
        for block in blocks:
            if block.type == VORBIS_COMMENT:
                data = src.read_at(block.offset + 4, block.length, what="VORBIS_COMMENT block")
                out.append((block, vorbiscomment.parse(data, block.offset + 4, src.path)))
        return out

    def scan(self, src: Source) -> list[Found]:
        _, blocks = iter_blocks(src)
        found: list[Found] = []
        for block, comments in self._comments(src, blocks):
            found.extend(vorbiscomment.find_labels(self.name, "VORBIS_COMMENT", comments, block.offset))
        return found

    def file_findings(self, src: Source, labels: list[Found]) -> list[Finding]:
        return self._c2pa(src)

    def _c2pa(self, src: Source) -> list[Finding]:
        """C2PA embeds its manifest in FLAC through a leading ID3v2 tag (GEOB frame), which a rewrite invalidates."""
        if id3_prefix_length(src) == 0:
            return []
        tag = id3.read_leading_tag(src)
        return [c2pa_warning()] if tag is not None and id3.has_c2pa(tag, src.path) else []

    def render(self, src: Source, dst: BinaryIO, record: Record) -> list[Finding]:
        start, blocks = iter_blocks(src)
        comment_blocks = dict((b.offset, c) for b, c in self._comments(src, blocks))
        # The new metadata, padding aside: every block in its order, the (first) comment block carrying the label.
        pieces: list[tuple[int, bytes | None, Block | None]] = []  # (type, new body or None = copy, block)
        labeled = False
        for block in blocks:
            if block.type == PADDING:
                continue
            if block.type == VORBIS_COMMENT:
                old = comment_blocks[block.offset]
                if not labeled:
                    body = vorbiscomment.with_label(old, record.to_json()).to_bytes()
                    labeled = True
                else:  # a second comment block: keep it, minus any old label (one label per file)
                    kept = [c for c in old.comments if not vorbiscomment.is_label(c)]
                    body = vorbiscomment.VorbisComment(old.vendor, kept, old.tail).to_bytes()
                pieces.append((VORBIS_COMMENT, body, None))
            else:
                pieces.append((block.type, None, block))
        if not labeled:
            body = vorbiscomment.with_label(
                vorbiscomment.VorbisComment(b"hegui", []), record.to_json()
            ).to_bytes()
            pieces.insert(1, (VORBIS_COMMENT, body, None))  # right after STREAMINFO
        for _, new_body, _ in pieces:
            if new_body is not None and len(new_body) > MAX_BLOCK:
                raise LimitExceededError(
                    f"the Vorbis comment block would be {len(new_body)} bytes, over FLAC's {MAX_BLOCK}-byte limit",
                    path=src.path,
                )
        old_size = blocks[-1].end - blocks[0].offset
        used = sum(
            4 + (len(body) if body is not None else block.length if block else 0) for _, body, block in pieces
        )
        room = old_size - used
        if room != 0 and room < 4:  # no room, or too little for a padding block: the frames move
            room = NEW_PADDING + 4
        paddings: list[int] = []
        while room > 0:  # one padding block, or several when the room exceeds the 24-bit length field
            length = min(room - 4, MAX_BLOCK)
            if 0 < room - 4 - length < 4:
                length -= 4  # leave enough for the next block's header
            paddings.append(length)
            room -= 4 + length
        src.copy_to(dst, 0, start + 4)  # any ID3v2 prefix, and fLaC
        total = len(pieces) + len(paddings)
        index = 0
        for btype, new_body, old_block in pieces:
            index += 1
            last = index == total
            if new_body is not None:
                dst.write(block_header(btype, len(new_body), last) + new_body)
            elif old_block is not None:
                dst.write(block_header(btype, old_block.length, last))
                src.copy_to(dst, old_block.offset + 4, old_block.length)
        for length in paddings:
            index += 1
            dst.write(block_header(PADDING, length, index == total) + bytes(length))
        frames = blocks[-1].end
        src.copy_to(dst, frames, src.size - frames)  # the audio frames, byte for byte
        return self._c2pa(src)


CONTAINERS: tuple[Container, ...] = (FlacContainer(),)
