"""Ogg Vorbis, Opus, FLAC, Speex (and Theora): the label is the comment ``AIGC=<json>`` in the stream's comment
header (``\\x03vorbis`` + comments + framing bit; ``OpusTags`` + comments; reference §2.7, audio).

Written by hand, not through ffmpeg or mutagen: ffmpeg re-muxes the whole file and mutagen is GPL. Only the header
pages are rebuilt. The comment packet is replaced and the header packets after the first page are laid out again
into pages (lacing values, the 255-segment limit, continued-packet flags, granule 0 on pages that end a header packet,
-1 on pages that end none, each packet that began a page in the original begins one again; audio segments that
shared the last header page move, unchanged, to a page of their own with the same granule position). When the
number of header pages changes, every later page of the stream gets its sequence number shifted and its CRC
recomputed; when it does not, the rest of the file is copied as is. Audio pages keep their packets, lacing and granule positions byte
for byte. Reading covers every logical stream of a multiplexed file (first link of a chain); writing handles one
logical stream and refuses multiplexed files with a clear error.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field
from typing import BinaryIO

from hegui.errors import InputError, LimitExceededError, UnsupportedFormatError
from hegui.label.containers import vorbiscomment
from hegui.label.containers.base import Container, Found, Source
from hegui.label.record import Finding, Record

CAPTURE = b"OggS"
CONTINUED, BOS, EOS = 0x01, 0x02, 0x04
NO_GRANULE = 0xFFFFFFFFFFFFFFFF
MAX_HEADER_BYTES = 64 * 1024 * 1024  # comment headers with embedded cover art are big, but not this big
MAX_HEADER_PAGES = 100_000

# Ogg's CRC-32: polynomial 0x04C11DB7, initial value 0, not reflected, no final xor. Computed with zlib's reflected
# CRC on bit-reversed bytes (C speed, so renumbering the pages of a long file stays fast).
_REVERSED = bytes(int(f"{i:08b}"[::-1], 2) for i in range(256))


def ogg_crc(data: bytes) -> int:
    raw = zlib.crc32(data.translate(_REVERSED), 0xFFFFFFFF) ^ 0xFFFFFFFF
    return int(f"{raw:032b}"[::-1], 2)


@dataclass(frozen=True)
class Page:
    offset: int
    flags: int
    granule: int
    serial: int
    seqno: int
    lacing: bytes

    @property
    def body_offset(self) -> int:
        return self.offset + 27 + len(self.lacing)

    @property
    def body_length(self) -> int:
        return sum(self.lacing)

    @property
    def end(self) -> int:
        return self.body_offset + self.body_length


def read_page(src: Source, offset: int) -> Page:
    header = src.read_at(offset, 27, what="Ogg page header")
    if header[:4] != CAPTURE:
        raise src.error("no Ogg page here (capture pattern OggS missing)", offset)
    if header[4] != 0:
        raise src.error(f"unknown Ogg stream structure version {header[4]}", offset + 4)
    flags = header[5]
    granule, serial, seqno = struct.unpack_from("<QII", header, 6)
    lacing = src.read_at(offset + 27, header[26], what="Ogg segment table")
    page = Page(offset, flags, granule, serial, seqno, lacing)
    if page.end > src.size:
        raise src.error(f"truncated Ogg page: {page.body_length} bytes of data run past the end", offset)
    return page


def page_bytes(flags: int, granule: int, serial: int, seqno: int, lacing: bytes, body: bytes) -> bytes:
    """A complete page with its CRC."""
    header = struct.pack("<4sBBQIIIB", CAPTURE, 0, flags, granule, serial, seqno, 0, len(lacing)) + lacing
    crc = ogg_crc(header + body)
    return header[:22] + struct.pack("<I", crc) + header[26:] + body


# ---- codecs ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Codec:
    name: str
    ident: bytes  # first packet starts with this
    comment_prefix: bytes  # comment packet starts with this (FLAC: special)


CODECS = (
    Codec("Vorbis", b"\x01vorbis", b"\x03vorbis"),
    Codec("Opus", b"OpusHead", b"OpusTags"),
    Codec("FLAC", b"\x7fFLAC", b""),
    Codec("Speex", b"Speex   ", b""),
    Codec("Theora", b"\x80theora", b"\x81theora"),
)


def identify(first_packet: bytes) -> Codec | None:
    for codec in CODECS:
        if first_packet.startswith(codec.ident):
            return codec
    return None


def header_count(codec: Codec, first: bytes) -> int | None:
    """How many header packets the stream has (None: Ogg FLAC that does not say; read up to the last block)."""
    if codec.name in ("Vorbis", "Theora"):
        return 3
    if codec.name == "Opus":
        return 2
    if codec.name == "Speex":
        extra = struct.unpack_from("<I", first, 68)[0] if len(first) >= 72 else 0
        return 2 + min(extra, 64)
    count = int.from_bytes(first[7:9], "big") if len(first) >= 9 else 0
    return 1 + count if count else None


def is_comment_packet(codec: Codec, index: int, packet: bytes) -> bool:
    if codec.name == "FLAC":
        return index >= 1 and bool(packet) and packet[0] & 0x7F == 4
    return index == 1


def comment_body(codec: Codec, packet: bytes, base: int, src: Source) -> vorbiscomment.VorbisComment:
    """The Vorbis comment block inside a comment packet."""
    if codec.name == "FLAC":
        skip = 4
    else:
        if not packet.startswith(codec.comment_prefix):
            raise src.error(f"{codec.name} comment header does not start with {codec.comment_prefix!r}", base)
        skip = len(codec.comment_prefix)
    return vorbiscomment.parse(packet[skip:], base, src.path)


def comment_packet(codec: Codec, old: bytes, block: vorbiscomment.VorbisComment) -> bytes:
    body = block.to_bytes()
    if codec.name == "FLAC":
        if len(body) >= 1 << 24:
            raise LimitExceededError("the Vorbis comment block is over FLAC's 16 MiB block limit")
        return bytes([old[0]]) + len(body).to_bytes(3, "big") + body
    return codec.comment_prefix + body


# ---- reading ----------------------------------------------------------------------------------------------------


@dataclass
class Stream:
    serial: int
    codec: Codec | None = None
    needed: int | None = None  # header packets (None: until the FLAC last-metadata flag)
    packets: list[bytes] = field(default_factory=list)
    packet_pages: list[int] = field(default_factory=list)  # offset of the page each packet starts on
    starts_page: list[bool] = field(default_factory=list)  # did the packet begin a page?
    partial: bytearray | None = None
    partial_page: int = 0
    partial_starts: bool = False
    done: bool = False

    def headers_complete(self) -> bool:
        if self.codec is None:
            return bool(self.packets)
        if self.needed is not None:
            return len(self.packets) >= self.needed
        return (
            bool(self.packets)
            and len(self.packets) > 1
            and bool(self.packets[-1][:1])
            and (self.packets[-1][0] & 0x80 != 0)
        )


def _feed(stream: Stream, page: Page, body: bytes, full: bool) -> None:
    """Split a page body into packets by its lacing values; stop at the comment packet unless ``full``."""
    pos = 0
    first = True
    for value in page.lacing:
        if stream.partial is None:
            stream.partial = bytearray()
            stream.partial_page = page.offset
            stream.partial_starts = first and not page.flags & CONTINUED
        stream.partial += body[pos : pos + value]
        pos += value
        first = False
        if value < 255:
            stream.packets.append(bytes(stream.partial))
            stream.packet_pages.append(stream.partial_page)
            stream.starts_page.append(stream.partial_starts)
            stream.partial = None
            if len(stream.packets) == 1:
                stream.codec = identify(stream.packets[0])
                if stream.codec is not None:
                    stream.needed = header_count(stream.codec, stream.packets[0])
            index = len(stream.packets) - 1
            found_comment = stream.codec is not None and is_comment_packet(
                stream.codec, index, stream.packets[-1]
            )
            if stream.headers_complete() or (found_comment and not full):
                stream.done = True
                return


def read_headers(src: Source, *, single: bool = False) -> tuple[list[Stream], list[Page]]:
    """The header packets of every logical stream of the first link (up to the comment packet), and the pages read.

    With ``single`` (the writer) every header packet is read and a second logical stream is an error.
    """
    streams: dict[int, Stream] = {}
    pages: list[Page] = []
    offset = 0
    total = 0
    seen_data = False
    visited = 0
    while True:
        visited += 1
        if visited > MAX_HEADER_PAGES:
            raise LimitExceededError(
                f"Ogg headers span more than {MAX_HEADER_PAGES} pages; refused", path=src.path, offset=offset
            )
        page = read_page(src, offset)
        if page.flags & BOS:
            if seen_data:
                break  # the first page of a later link of a chained file: the first link is what we read
            if page.serial in streams:
                raise src.error(f"a second beginning-of-stream page for serial {page.serial:#x}", offset)
            if single and streams:
                raise UnsupportedFormatError(
                    "multiplexed Ogg file (several logical streams); writing labels into it is not supported, "
                    "only single-stream Ogg Vorbis / Opus / FLAC / Speex files",
                    path=src.path,
                    offset=offset,
                )
            streams[page.serial] = Stream(page.serial)
        else:
            seen_data = True
        if page.serial not in streams:
            if not streams:
                raise src.error("Ogg file does not begin with a beginning-of-stream page", offset)
            if single:
                raise UnsupportedFormatError(
                    "Ogg page of a second logical stream; writing labels into multiplexed files is not supported",
                    path=src.path,
                    offset=offset,
                )
            offset = page.end  # a stream that began before us (not a valid file start); skip it
            continue
        stream = streams[page.serial]
        pages.append(page)
        if not stream.done:
            total += page.body_length
            if total > MAX_HEADER_BYTES:
                raise LimitExceededError(
                    f"Ogg header packets exceed {MAX_HEADER_BYTES} bytes; refused",
                    path=src.path,
                    offset=offset,
                )
            _feed(stream, page, src.read_at(page.body_offset, page.body_length, what="Ogg page data"), single)
            if stream.codec is None and stream.packets:
                stream.done = True  # unknown codec: nothing to read
        offset = page.end
        if all(s.done for s in streams.values()):
            break
        if offset >= src.size:
            raise src.error("truncated Ogg file: it ends inside the header packets", offset)
    return list(streams.values()), pages


class OggContainer(Container):
    name = "ogg"
    extensions = (".ogg", ".oga", ".opus", ".spx", ".ogv")
    media_type = "audio/ogg"

    def sniff(self, head: bytes, name: str) -> bool:
        return head.startswith(CAPTURE)

    def scan(self, src: Source) -> list[Found]:
        streams, _ = read_headers(src)
        found: list[Found] = []
        for stream in streams:
            if stream.codec is None:
                continue
            for index, packet in enumerate(stream.packets):
                if is_comment_packet(stream.codec, index, packet):
                    where = stream.packet_pages[index]
                    block = comment_body(stream.codec, packet, where, src)
                    found.extend(
                        vorbiscomment.find_labels(
                            self.name, f"{stream.codec.name} comment header", block, where
                        )
                    )
                    break
        return found

    def render(self, src: Source, dst: BinaryIO, record: Record) -> list[Finding]:
        streams, pages = read_headers(src, single=True)
        stream = streams[0]
        codec = stream.codec
        if codec is None:
            raise UnsupportedFormatError(
                "Ogg stream of an unknown codec; labels can be written into Vorbis, Opus, FLAC and Speex streams",
                path=src.path,
            )
        index = next(
            (i for i, p in enumerate(stream.packets) if is_comment_packet(codec, i, p)),
            None,
        )
        if index is None:
            raise UnsupportedFormatError(f"Ogg {codec.name} stream without a comment header", path=src.path)
        first_page = pages[0]
        if (
            not first_page.lacing
            or first_page.lacing[-1] == 255
            or sum(v < 255 for v in first_page.lacing) != 1
        ):
            raise UnsupportedFormatError(
                "the first Ogg page does not hold exactly the identification header; not supported",
                path=src.path,
                offset=0,
            )
        last_page = pages[-1]
        # Audio data may share the last header page (non-conforming for Vorbis and Opus, seen in the wild): those
        # segments move, unchanged, onto a page of their own that keeps the original granule position.
        ends_before = sum(v < 255 for page in pages[1:-1] for v in page.lacing)
        ends_needed = len(stream.packets) - 1 - ends_before
        split = 0
        while ends_needed > 0:
            ends_needed -= last_page.lacing[split] < 255
            split += 1
        rest_lacing = last_page.lacing[split:]
        old = stream.packets[index]
        block = comment_body(codec, old, stream.packet_pages[index], src)
        packets = list(stream.packets)
        packets[index] = comment_packet(codec, old, vorbiscomment.with_label(block, record.to_json()))
        eos = bool(last_page.flags & EOS)
        new_pages = paginate(
            [(packets[i], stream.starts_page[i]) for i in range(1, len(packets))],
            serial=stream.serial,
            first_seqno=first_page.seqno + 1,
            eos=eos and not rest_lacing,
        )
        if rest_lacing:
            skip = sum(last_page.lacing[:split])
            body = src.read_at(
                last_page.body_offset + skip, last_page.body_length - skip, what="Ogg page data"
            )
            seqno = first_page.seqno + 1 + len(new_pages)
            flags = EOS if eos else 0
            new_pages.append(page_bytes(flags, last_page.granule, stream.serial, seqno, rest_lacing, body))
        src.copy_to(dst, 0, first_page.end)
        for page in new_pages:
            dst.write(page)
        delta = len(new_pages) - (len(pages) - 1)
        copy_rest(src, dst, last_page.end, stream.serial, delta)
        return []


def paginate(packets: list[tuple[bytes, bool]], *, serial: int, first_seqno: int, eos: bool) -> list[bytes]:
    """Lay header packets out into pages; a packet flagged True begins a new page."""
    pages: list[bytes] = []
    lacing = bytearray()
    body = bytearray()
    continued = False
    completed = False

    def flush(mid_packet: bool) -> None:
        nonlocal lacing, body, continued, completed
        flags = CONTINUED if continued else 0
        granule = 0 if completed else NO_GRANULE
        pages.append(page_bytes(flags, granule, serial, first_seqno + len(pages), bytes(lacing), bytes(body)))
        lacing, body, continued, completed = bytearray(), bytearray(), mid_packet, False

    for packet, new_page in packets:
        if new_page and lacing:
            flush(False)
        values = [255] * (len(packet) // 255) + [len(packet) % 255]
        pos = 0
        for i, value in enumerate(values):
            if len(lacing) == 255:
                flush(i > 0)
            lacing.append(value)
            body += packet[pos : pos + value]
            pos += value
            if value < 255:
                completed = True
    if lacing:
        flush(False)
    if eos:
        last = bytearray(pages[-1])
        last[5] |= EOS
        last[22:26] = b"\x00\x00\x00\x00"
        last[22:26] = struct.pack("<I", ogg_crc(bytes(last)))
        pages[-1] = bytes(last)
    return pages


def copy_rest(src: Source, dst: BinaryIO, offset: int, serial: int, delta: int) -> None:
    """Copy the pages after the headers: as is when the page count kept, else renumbered with fresh CRCs."""
    if delta == 0:
        src.copy_to(dst, offset, src.size - offset)
        return
    while offset < src.size:
        try:
            page = read_page(src, offset)
        except InputError:  # trailing bytes that are not a whole page: keep them as they are
            src.copy_to(dst, offset, src.size - offset)
            return
        raw = src.read_at(offset, page.end - offset, what="Ogg page")
        if page.serial != serial:
            dst.write(raw)
        else:
            fixed = bytearray(raw)
            fixed[18:22] = struct.pack("<I", (page.seqno + delta) & 0xFFFFFFFF)
            fixed[22:26] = b"\x00\x00\x00\x00"
            fixed[22:26] = struct.pack("<I", ogg_crc(bytes(fixed)))
            dst.write(fixed)
            if page.flags & EOS:  # a later chain link may reuse the serial; it has its own numbering
                src.copy_to(dst, page.end, src.size - page.end)
                return
        offset = page.end


CONTAINERS: tuple[Container, ...] = (OggContainer(),)
