"""PNG: the label lives in XMP (iTXt ``XML:com.adobe.xmp``); tEXt / zTXt / iTXt chunks keyed ``AIGC`` and a
``Description`` chunk holding the ``{"AIGC":{...}}`` wrapper are read too (reference §2.7, images).

Written by hand rather than through Pillow because Pillow re-encodes the image data on save; here every chunk other
than the XMP chunk (and any AIGC text chunk it replaces) is copied byte for byte, IDAT included.
"""

from __future__ import annotations

import os
import struct
import zlib
from typing import BinaryIO

from hegui.label import xmp
from hegui.label.containers.base import (
    Container,
    Found,
    InPlacePlan,
    Source,
    c2pa_warning,
    found_from_value,
    reading_completely,
)
from hegui.label.journal import Region
from hegui.label.record import Finding, Record

SIGNATURE = b"\x89PNG\r\n\x1a\n"
XMP_KEYWORD = b"XML:com.adobe.xmp"
TEXT_CHUNKS = (b"tEXt", b"zTXt", b"iTXt")
# Keywords whose text chunk holds the label JSON (bare under AIGC, wrapped in general-purpose fields).
LABEL_KEYWORDS = (b"AIGC", b"Description", b"Comment")
MAX_CHUNK = 64 * 1024 * 1024  # a metadata chunk larger than this is refused
MAX_INFLATED = 16 * 1024 * 1024  # zTXt / compressed iTXt: guard against decompression bombs
BIG_FILE = 256 * 1024
_HEADER = struct.Struct(">I4s")
_CRC = struct.Struct(">I")


class Chunk:
    __slots__ = ("crc_ok", "length", "offset", "type")

    def __init__(self, offset: int, length: int, ctype: bytes, crc_ok: bool) -> None:
        self.offset = offset  # of the length field
        self.length = length
        self.type = ctype
        self.crc_ok = crc_ok

    @property
    def data_offset(self) -> int:
        return self.offset + 8

    @property
    def end(self) -> int:
        return self.offset + 12 + self.length


def iter_chunks(src: Source, *, check_crc_of: tuple[bytes, ...] = (), complete: bool = True) -> list[Chunk]:
    """The chunk list, without reading image data; stops after IEND. Walked once per read.

    ``complete=False`` (reads): every chunk except the IDAT chunks between the first and the last, found in a
    bounded number of reads whatever the file size (see :func:`_tail_chunks`). Writers walk every chunk: they copy
    the file chunk by chunk, and a label placed where the PNG format forbids it (between two IDAT chunks) must
    never be replaced or dropped unseen. Inside :func:`hegui.label.containers.base.complete_reads` (every write
    path) reads walk every chunk too."""
    complete = complete or reading_completely()
    key = f"png-chunks-{check_crc_of}-{complete}"
    if key not in src.memo:
        full = src.memo.get(f"png-chunks-{check_crc_of}-True")
        src.memo[key] = full if full is not None else _walk_chunks(src, check_crc_of, complete)
    chunks: list[Chunk] = src.memo[key]
    return chunks


def _walk_chunks(src: Source, check_crc_of: tuple[bytes, ...], complete: bool) -> list[Chunk]:
    if src.read_at(0, 8, what="PNG signature") != SIGNATURE:
        raise src.error("not a PNG file (bad signature)", 0)
    chunks: list[Chunk] = []
    offset = 8
    # In a large file the headers sit far apart (IDAT chunks of 8-64 KiB and more): each is read alone, 8 bytes
    # with one pread, rather than through a read-ahead window that the next header would never use.
    fd = src.fd if src.size > BIG_FILE else -1
    unpack_header = _HEADER.unpack
    while True:
        if offset + 12 > src.size:
            raise src.error("truncated PNG: chunk header runs past the end of the file (no IEND)", offset)
        if fd >= 0:
            header = os.pread(fd, 8, offset)
            if len(header) != 8:
                raise src.error("short read of chunk header", offset)
            length, ctype = unpack_header(header)
        else:
            length, ctype = unpack_header(src.read_at(offset, 8, what="chunk header"))
        if length > 0x7FFFFFFF:
            raise src.error(f"chunk length {length} exceeds the PNG maximum of 2^31-1", offset)
        if not (ctype.isalpha() and ctype.isascii()):
            raise src.error(f"invalid chunk type {ctype!r}", offset + 4)
        if offset + 12 + length > src.size:
            raise src.error(
                f"truncated PNG: {ctype.decode('latin-1')} chunk of {length} bytes runs past the end", offset
            )
        crc_ok = True
        if ctype in check_crc_of:
            body = src.read_at(offset + 4, 4 + length, what="chunk")
            (crc,) = struct.unpack(">I", src.read_at(offset + 8 + length, 4, what="CRC"))
            crc_ok = zlib.crc32(body) & 0xFFFFFFFF == crc
        chunks.append(Chunk(offset, length, ctype, crc_ok))
        offset += 12 + length
        if ctype == b"IEND":
            return chunks
        if ctype == b"IDAT" and not complete and not check_crc_of:
            tail = _tail_chunks(src, offset - 12 - length, length)
            if tail is not None:
                chunks.extend(tail)
                return chunks
            complete = True  # the tail did not parse unambiguously: walk on, header by header


IEND_CHUNK = b"\x00\x00\x00\x00IEND\xaeB`\x82"
TAIL_MIN = 64 * 1024  # the tail window: at least this, and room for two IDAT chunks as long as the first
TAIL_SLACK = 4096  # room in the window for the chunks after the last IDAT (labels, tIME, ...)
TAIL_MAX = 1024 * 1024  # IDAT chunks longer than half this: few chunks, so the walk is short anyway


def _tail_chunks(src: Source, first: int, first_length: int) -> list[Chunk] | None:
    """The chunks after the last IDAT chunk (its trailing ancillary chunks and IEND), from one read of the file's
    tail; None when the tail does not parse unambiguously (the caller then walks every chunk header).

    PNG puts every IDAT chunk in one run (ISO/IEC 15948 §5.6) and lets ancillary chunks (a label's iTXt, tEXt,
    zTXt) follow it before IEND. Walking the run costs one read per IDAT chunk; instead one window at the end of
    the file (room for two IDAT chunks as long as the first) is read. Encoders write IDAT chunks of one size (libpng
    8 KiB, Pillow 64 KiB), so headers sit on the grid ``first + k * (length + 12)``: the grid points in the window
    are probed from the end back to an IDAT chunk of the first one's full length, and from each IDAT found the chunks
    are parsed forward and must reach, with valid CRCs (not the IDAT's own data), the 12-byte IEND chunk that ends
    the file; all must give the same trailing chunks. Bytes inside image data that look like chunks are never
    probed: the grid point after the last IDAT's header lies at or past its end. A file with anything after IEND,
    IDAT chunks of uneven sizes, an IDAT chunk after an ancillary chunk (not allowed), or a tail longer than the
    window gets the full walk (None).

    What this cannot exclude is a file built to fool it: a tail chunk that holds, on the grid, bytes that parse as
    an IDAT chunk followed by chunks with valid CRCs up to IEND, with no full-length IDAT in the window to contradict
    it. A read may then miss or invent a trailing chunk; writes never take this path (:func:`iter_chunks`), so a
    write never replaces or drops a chunk it did not see."""
    size = src.size
    step = first_length + 12
    after_first = first + step
    span = size - after_first
    if span <= 12:
        return None  # the next chunk (IEND, or truncation) is read by the walk
    window = max(TAIL_MIN, 2 * step + TAIL_SLACK)
    if window > TAIL_MAX:
        return None
    if span <= window:
        base = after_first
        data = src.read_at(base, span, what="file tail")
    else:
        base = size - window
        data = os.pread(src.fd, window, base)
        if len(data) != window:
            return None
    if not data.endswith(IEND_CHUNK):
        return None
    end = len(data) - 12  # IEND's offset in the window
    parsed: dict[int, tuple[int, ...] | None] = {}  # window offset after an IDAT chunk -> what follows it

    def tail_from(pos: int) -> tuple[int, ...] | None:
        """Window offsets of the chunks after the IDAT chunk that ends at ``pos``: more IDAT chunks (skipped), then
        only other chunks, each with a valid CRC, then IEND exactly where the window ends; None when not."""
        passed: list[int] = []  # ends of IDAT chunks met on the way (they lead to the same tail)
        seen: list[int] = []
        out: tuple[int, ...] | None = None
        while True:
            if not seen and pos in parsed:
                out = parsed[pos]
                break
            if pos == end:
                out = (*seen, end)
                break
            if pos + 12 > end:
                break
            length, ctype = _HEADER.unpack_from(data, pos)
            stop = pos + 12 + length
            if stop > end or not (ctype.isalpha() and ctype.isascii()) or ctype == b"IEND":
                break
            if ctype == b"IDAT":
                if seen:
                    break  # image data after an ancillary chunk: not allowed; the full walk reads it
                passed.append(stop)
            else:
                if zlib.crc32(data[pos + 4 : stop - 4]) & 0xFFFFFFFF != _CRC.unpack_from(data, stop - 4)[0]:
                    break
                seen.append(pos)
            pos = stop
        for p in passed:
            parsed[p] = out
        return out

    if span <= window:  # the window starts right after the first IDAT chunk: a walk from a known boundary
        found = tail_from(0)
    else:
        # Probe only where IDAT chunks as long as the first put headers, from the end back to the last IDAT of
        # that full length (the run goes on from there to the tail): a few probes, no search through the data.
        found = None
        k = (size - 12 - first) // step
        while k > 0:
            at = first + k * step - base
            if at < 0:
                return None  # no full-length IDAT chunk in the window
            k -= 1
            if at + 8 > end or data[at + 4 : at + 8] != b"IDAT":
                continue
            (length,) = _CRC.unpack_from(data, at)
            after = at + 12 + length
            if after > end:
                return None
            tail = tail_from(after)
            if tail is None or (found is not None and tail != found):
                return None  # an IDAT chunk that does not lead to IEND cleanly, or two readings: the walk decides
            found = tail
            if length == first_length:
                break
        else:
            return None
    if found is None:
        return None
    out: list[Chunk] = []
    for pos in found:
        length, ctype = _HEADER.unpack_from(data, pos)
        out.append(Chunk(base + pos, length, ctype, True))
    return out


def _inflate(data: bytes, src: Source, offset: int) -> bytes:
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, MAX_INFLATED)
    except zlib.error as exc:
        raise src.error(f"corrupt compressed text: {exc}", offset) from exc
    if inflater.unconsumed_tail:
        raise src.error(f"compressed text inflates beyond {MAX_INFLATED} bytes; refused", offset)
    return out


def decode_text_chunk(ctype: bytes, data: bytes, src: Source, offset: int) -> tuple[bytes, str]:
    """(keyword, text) of a tEXt / zTXt / iTXt chunk."""
    keyword, sep, rest = data.partition(b"\x00")
    if not sep:
        raise src.error(f"{ctype.decode()} chunk without a keyword terminator", offset)
    if ctype == b"tEXt":
        return keyword, rest.decode("latin-1")
    if ctype == b"zTXt":
        if not rest:
            raise src.error("zTXt chunk without a compression method", offset)
        return keyword, _inflate(rest[1:], src, offset).decode("latin-1")
    # iTXt: compression flag, method, language\0, translated keyword\0, text
    if len(rest) < 2:
        raise src.error("iTXt chunk too short", offset)
    flag = rest[0]
    parts = rest[2:].split(b"\x00", 2)
    if len(parts) != 3:
        raise src.error("iTXt chunk without language / translated-keyword terminators", offset)
    text = parts[2]
    if flag:
        text = _inflate(text, src, offset)
    return keyword, text.decode("utf-8", errors="replace")


def itxt_chunk(keyword: bytes, text: bytes) -> bytes:
    body = keyword + b"\x00\x00\x00\x00\x00" + text
    return make_chunk(b"iTXt", body)


def make_chunk(ctype: bytes, body: bytes) -> bytes:
    return (
        struct.pack(">I", len(body)) + ctype + body + struct.pack(">I", zlib.crc32(ctype + body) & 0xFFFFFFFF)
    )


class PngContainer(Container):
    name = "png"
    extensions = (".png", ".apng")
    media_type = "image/png"

    def sniff(self, head: bytes, name: str) -> bool:
        return head.startswith(SIGNATURE)

    def _text_labels(
        self, src: Source, *, complete: bool = True
    ) -> tuple[list[Found], list[Chunk], bytes | None, Chunk | None]:
        """Labels, the chunks that hold them, and the XMP packet (with its chunk) if there is one."""
        labels: list[Found] = []
        holders: list[Chunk] = []
        packet: bytes | None = None
        packet_chunk: Chunk | None = None
        for chunk in iter_chunks(src, complete=complete):
            if chunk.type not in TEXT_CHUNKS:
                continue
            if chunk.length > MAX_CHUNK:
                raise src.error(
                    f"{chunk.type.decode()} chunk of {chunk.length} bytes is over the limit", chunk.offset
                )
            data = src.read_at(chunk.data_offset, chunk.length, what="text chunk")
            keyword, text = decode_text_chunk(chunk.type, data, src, chunk.offset)
            kind = chunk.type.decode()
            if keyword == XMP_KEYWORD and chunk.type == b"iTXt":
                if packet is None:
                    packet, packet_chunk = text.encode("utf-8"), chunk
                for hit in xmp.find_aigc(text):
                    labels.append(
                        found_from_value(
                            self.name,
                            "iTXt XML:com.adobe.xmp TC260:AIGC",
                            hit.value,
                            offset=chunk.offset,
                            form=hit.form,
                        )
                    )
                    holders.append(chunk)
            elif keyword == b"AIGC" or (keyword in LABEL_KEYWORDS and '"AIGC"' in text):
                labels.append(
                    found_from_value(
                        self.name, f"{kind} {keyword.decode('latin-1')}", text, offset=chunk.offset
                    )
                )
                holders.append(chunk)
        return labels, holders, packet, packet_chunk

    def scan(self, src: Source) -> list[Found]:
        return self._text_labels(src, complete=False)[0]

    def file_findings(self, src: Source, labels: list[Found]) -> list[Finding]:
        return [c2pa_warning()] if any(c.type == b"caBX" for c in iter_chunks(src, complete=False)) else []

    def render(self, src: Source, dst: BinaryIO, record: Record) -> list[Finding]:
        _, holders, packet, packet_chunk = self._text_labels(src)
        chunks = iter_chunks(src)
        new_packet = xmp.set_aigc(packet, record.to_json(), padding=xmp.PADDING)  # room to relabel in place
        new_chunk = itxt_chunk(XMP_KEYWORD, new_packet)
        drop = {c.offset for c in holders}
        if packet_chunk is not None:
            drop.add(packet_chunk.offset)
        warnings: list[Finding] = []
        dst.write(SIGNATURE)
        written = False
        for chunk in chunks:
            if packet_chunk is not None and chunk.offset == packet_chunk.offset:
                dst.write(new_chunk)  # keep the XMP where it was
                written = True
                continue
            if chunk.offset in drop:
                continue  # an old AIGC text chunk: the label now lives in XMP only
            if not written and chunk.type in (b"IDAT", b"IEND", b"fdAT"):
                dst.write(new_chunk)  # before the image data, so streaming readers see it early
                written = True
            if chunk.type == b"caBX":
                warnings.append(c2pa_warning())
            src.copy_to(dst, chunk.offset, chunk.end - chunk.offset)
        return warnings

    supports_in_place = True

    def plan_in_place(self, src: Source, record: Record) -> InPlacePlan | None:
        """The XMP iTXt chunk (before IDAT, where hegui puts it) rewritten at its own size, its padding absorbing
        the change, with a new CRC; only when the label lives in that chunk alone and it is stored uncompressed."""
        _, holders, packet, chunk = self._text_labels(src)
        if chunk is None or packet is None or any(h.offset != chunk.offset for h in holders):
            return None
        head = XMP_KEYWORD + b"\x00\x00\x00\x00\x00"
        if src.read_at(chunk.data_offset, len(head), what="iTXt header") != head:
            return None  # compressed, or with a language tag: rewritten by the copy
        if chunk.length != len(head) + len(packet):
            return None
        fitted = xmp.fit(xmp.set_aigc(packet, record.to_json()), len(packet))
        if fitted is None:
            return None
        new = itxt_chunk(XMP_KEYWORD, fitted)
        old = src.read_at(chunk.offset, chunk.end - chunk.offset, what="iTXt chunk")
        return InPlacePlan([Region(chunk.offset, old, new)], src.size)


CONTAINERS: tuple[Container, ...] = (PngContainer(),)
