"""WebP: the label lives in XMP, in the RIFF chunk ``XMP `` with the XMP flag set in ``VP8X`` (reference §2.7,
images); an ``EXIF`` chunk's UserComment and an ``AIGC`` chunk holding the JSON are read too.

A simple file (one ``VP8 `` or ``VP8L`` chunk) cannot carry metadata, so writing converts it to the extended format
by putting a ``VP8X`` chunk in front, with the canvas size read from the bitstream header (and the alpha flag from
the ``VP8L`` header). The XMP chunk goes after the image data, as the container spec orders it.

Written by hand rather than through Pillow because Pillow re-encodes on save (lossy WebP would lose quality on every
labeling); here every chunk other than the XMP chunk (and an ``AIGC`` chunk it replaces) is copied byte for byte,
and only ``VP8X``'s flags and the RIFF size change. Reading touches the chunk headers only: image data is skipped by
seeking, so read time does not grow with the image.
"""

from __future__ import annotations

import struct
from typing import BinaryIO, NamedTuple

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
from hegui.label.containers.heif import exif_user_comment, user_comment_span  # the shared EXIF walk
from hegui.label.journal import Region
from hegui.label.record import Finding, Record

# VP8X feature flags, from the WebP container spec (libwebp doc/webp-container-spec.txt: the byte reads
# |Rsv|I|L|E|X|A|R| with bit 0 the most significant). XMP is 0x04; 0x10, given as the XMP bit in one README, is the
# alpha bit. Keep these here and nowhere else.
FLAG_ICC = 0x20
FLAG_ALPHA = 0x10
FLAG_EXIF = 0x08
FLAG_XMP = 0x04
FLAG_ANIMATION = 0x02

IMAGE_CHUNKS = (b"VP8 ", b"VP8L", b"ALPH", b"ANMF", b"ANIM")
MAX_METADATA = xmp.MAX_PACKET_BYTES  # an XMP / EXIF / AIGC chunk larger than this is refused
MAX_CHUNKS = 1_000_000  # guard against a file of millions of empty chunks
EXIF_LOCATION = "EXIF chunk UserComment"
_CHUNK_HEADER = struct.Struct("<4sI")


class Chunk(NamedTuple):  # immutable; a tuple costs a fraction of a frozen dataclass to make (one per chunk)
    offset: int  # of the FourCC
    fourcc: bytes
    size: int  # payload size, without the padding byte

    @property
    def data_offset(self) -> int:
        return self.offset + 8

    @property
    def end(self) -> int:
        """End of the payload (the padding byte, if any, is not included)."""
        return self.offset + 8 + self.size


def iter_chunks(src: Source) -> list[Chunk]:
    """The chunks of the RIFF ``WEBP`` form, from their headers only; walked once per open file."""
    cached: list[Chunk] | None = src.memo.get("webp-chunks")
    if cached is None:
        cached = src.memo["webp-chunks"] = _walk_chunks(src)
    return cached


def _walk_chunks(src: Source) -> list[Chunk]:
    head = src.read_at(0, 12, what="RIFF header")
    if head[:4] != b"RIFF" or head[8:12] != b"WEBP":
        raise src.error("not a WebP file (no RIFF/WEBP header)", 0)
    (riff_size,) = struct.unpack("<I", head[4:8])
    if riff_size < 4:
        raise src.error(f"RIFF size {riff_size} is too small for a WebP file", 4)
    end = min(8 + riff_size, src.size)  # trailing bytes after the RIFF form are not WebP's
    chunks: list[Chunk] = []
    pos = 12
    read_at = src.read_at
    unpack = _CHUNK_HEADER.unpack
    while pos + 8 <= end:
        fourcc, size = unpack(read_at(pos, 8, what="chunk header"))
        if pos + 8 + size > end:
            raise src.error(
                f"truncated WebP: chunk {fourcc!r} of {size} bytes runs past the end of the RIFF form ({end} bytes)",
                pos,
            )
        chunks.append(Chunk(pos, fourcc, size))
        if len(chunks) > MAX_CHUNKS:
            raise src.error(f"more than {MAX_CHUNKS} chunks; refused", pos)
        pos += 8 + size + (size & 1)
    if not chunks:
        raise src.error("WebP file without chunks", 12)
    # Every chunk is whole, but the RIFF form runs past the end of the file: cut off at a chunk boundary. Refused
    # rather than labeled with a new RIFF size that would hide the truncation (one missing padding byte at the
    # very end is tolerated: some writers omit it).
    if 8 + riff_size > src.size + 1:
        raise src.error(
            f"truncated WebP: the RIFF header declares {8 + riff_size} bytes, the file has {src.size}", 4
        )
    return chunks


def canvas_of(src: Source, chunk: Chunk) -> tuple[int, int, bool]:
    """(width, height, has alpha) from a ``VP8 `` (RFC 6386 §9.1) or ``VP8L`` (lossless spec §3) header."""
    if chunk.fourcc == b"VP8 ":
        head = src.read_at(chunk.data_offset, 10, what="VP8 frame header")
        if head[3:6] != b"\x9d\x01\x2a":
            raise src.error("VP8 bitstream without the key-frame start code", chunk.data_offset + 3)
        width, height = struct.unpack("<HH", head[6:10])
        width, height = width & 0x3FFF, height & 0x3FFF
        if width == 0 or height == 0:
            raise src.error(
                f"VP8 key frame of {width}x{height} pixels (a dimension is 0)", chunk.data_offset + 6
            )
        return width, height, False
    head = src.read_at(chunk.data_offset, 5, what="VP8L header")
    if head[0] != 0x2F:
        raise src.error("VP8L bitstream without its 0x2F signature", chunk.data_offset)
    (bits,) = struct.unpack("<I", head[1:5])
    return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1, bool((bits >> 28) & 1)


def _blank_user_comment(exif: bytes) -> bytes:
    """The EXIF block with the label in its UserComment blanked in place (same length, every offset unchanged):
    the label moves into XMP, so the file keeps one label (GB 45438 §6.1 c)."""
    span = user_comment_span(exif)
    if span is None:
        return exif
    start, length, _ = span
    return exif[:start] + b"ASCII\x00\x00\x00" + b" " * (length - 8) + exif[start + length :]


def make_chunk(fourcc: bytes, payload: bytes) -> bytes:
    return fourcc + struct.pack("<I", len(payload)) + payload + (b"\x00" if len(payload) & 1 else b"")


def vp8x_chunk(flags: int, width: int, height: int) -> bytes:
    w, h = width - 1, height - 1
    payload = bytes([flags, 0, 0, 0]) + struct.pack("<I", w)[:3] + struct.pack("<I", h)[:3]
    return make_chunk(b"VP8X", payload)


_Labels = tuple[list[Found], list[Chunk], bytes | None, list[Chunk]]
"""Labels, the chunks that hold them, the first XMP packet, and every chunk."""


class WebpContainer(Container):
    name = "webp"
    extensions = (".webp",)
    media_type = "image/webp"

    def sniff(self, head: bytes, name: str) -> bool:
        return head[:4] == b"RIFF" and head[8:12] == b"WEBP"

    def _payload(self, src: Source, chunk: Chunk) -> bytes:
        if chunk.size > MAX_METADATA:
            raise src.error(f"{chunk.fourcc!r} chunk of {chunk.size} bytes is over the limit", chunk.offset)
        return src.read_at(chunk.data_offset, chunk.size, what=f"{chunk.fourcc!r} chunk")

    def _labels(self, src: Source) -> _Labels:
        """Labels, the chunks that hold them, the first XMP packet, and every chunk; found once per open file (a
        write's policy check and its plan share them)."""
        return src.once("webp-labels", lambda: self._find_labels(src))

    def _find_labels(self, src: Source) -> _Labels:
        labels: list[Found] = []
        holders: list[Chunk] = []
        packet: bytes | None = None
        chunks = iter_chunks(src)
        for chunk in chunks:
            if chunk.fourcc == b"XMP ":
                raw = self._payload(src, chunk)
                if packet is None:
                    packet = raw
                try:
                    hits = xmp.find_aigc(raw)
                except InputError as exc:
                    raise src.error(f"XMP chunk: {exc.detail}", chunk.offset) from exc
                for hit in hits:
                    labels.append(
                        found_from_value(
                            self.name, "XMP chunk TC260:AIGC", hit.value, offset=chunk.offset, form=hit.form
                        )
                    )
                    holders.append(chunk)
            elif chunk.fourcc == b"AIGC":
                text = self._payload(src, chunk).decode("utf-8", errors="replace")
                labels.append(found_from_value(self.name, "AIGC chunk", text, offset=chunk.offset))
                holders.append(chunk)
            elif chunk.fourcc == b"EXIF":
                comment = exif_user_comment(self._payload(src, chunk))
                if comment is not None and "AIGC" in comment:
                    labels.append(found_from_value(self.name, EXIF_LOCATION, comment, offset=chunk.offset))
        return labels, holders, packet, chunks

    def scan(self, src: Source) -> list[Found]:
        return self._labels(src)[0]

    def file_findings(self, src: Source, labels: list[Found]) -> list[Finding]:
        return [c2pa_warning()] if any(c.fourcc == b"C2PA" for c in iter_chunks(src)) else []

    def render(self, src: Source, dst: BinaryIO, record: Record) -> list[Finding]:
        labels, holders, packet, chunks = self._labels(src)
        exif_label = {item.offset for item in labels if item.location == EXIF_LOCATION}
        new_xmp = make_chunk(b"XMP ", xmp.set_aigc(packet, record.to_json(), padding=xmp.PADDING))
        drop = {c.offset for c in holders} | {c.offset for c in chunks if c.fourcc == b"XMP "}
        kept = [c for c in chunks if c.offset not in drop]
        fourccs = {c.fourcc for c in kept}
        vp8x_old = next((c for c in kept if c.fourcc == b"VP8X"), None)
        if vp8x_old is not None:
            if vp8x_old.size < 10:
                raise src.error(f"VP8X chunk of {vp8x_old.size} bytes (10 expected)", vp8x_old.offset)
            old = src.read_at(vp8x_old.data_offset, vp8x_old.size, what="VP8X chunk")
            head = make_chunk(b"VP8X", bytes([old[0] | FLAG_XMP]) + old[1:])
        else:
            image = next((c for c in kept if c.fourcc in (b"VP8 ", b"VP8L")), None)
            if image is None:
                raise src.error("WebP file without VP8X, VP8 or VP8L chunk", 12)
            width, height, alpha = canvas_of(src, image)
            flags = FLAG_XMP | (FLAG_ALPHA if alpha or b"ALPH" in fourccs else 0)
            flags |= (FLAG_ICC if b"ICCP" in fourccs else 0) | (FLAG_EXIF if b"EXIF" in fourccs else 0)
            head = vp8x_chunk(flags, width, height)
        # The XMP chunk goes where the old one was, else after the image data and EXIF (container spec order).
        old_xmp = next((c for c in chunks if c.fourcc == b"XMP "), None)
        anchor: int | None = None
        if old_xmp is None:
            after = [c.offset for c in kept if c.fourcc in IMAGE_CHUNKS or c.fourcc == b"EXIF"]
            anchor = max(after) if after else None
        body: list[tuple[Chunk | None, bytes]] = [(None, head)]
        for chunk in chunks:
            if old_xmp is not None and chunk.offset == old_xmp.offset:
                body.append((None, new_xmp))
            if chunk.offset in drop or chunk.fourcc == b"VP8X":
                continue
            body.append((chunk, b""))
            if chunk.offset == anchor:
                body.append((None, new_xmp))
        if old_xmp is None and anchor is None:
            body.append((None, new_xmp))
        total = 4 + sum(len(data) if c is None else 8 + c.size + (c.size & 1) for c, data in body)
        if total > 0xFFFFFFFF:
            raise src.error("the labeled file would exceed the 4 GiB RIFF limit")
        dst.write(b"RIFF" + struct.pack("<I", total) + b"WEBP")
        warnings: list[Finding] = []
        for item, data in body:
            if item is None:
                dst.write(data)
                continue
            chunk = item
            if chunk.fourcc == b"C2PA":
                warnings.append(c2pa_warning())
            if chunk.offset in exif_label:
                dst.write(src.read_at(chunk.offset, 8, what="EXIF chunk header"))
                dst.write(_blank_user_comment(self._payload(src, chunk)))
            else:
                src.copy_to(dst, chunk.offset, 8 + chunk.size)
            if chunk.size & 1:
                dst.write(b"\x00")  # the padding byte (written fresh: some writers omit it at the end)
        return warnings

    supports_in_place = True

    def plan_in_place(self, src: Source, record: Record) -> InPlacePlan | None:
        """The one XMP chunk rewritten at its own size (its padding absorbing the change) when the label lives
        there alone and VP8X already announces XMP: no chunk size, RIFF size or flag changes."""
        labels, holders, packet, chunks = self._labels(src)
        xmp_chunks = [c for c in chunks if c.fourcc == b"XMP "]
        vp8x = next((c for c in chunks if c.fourcc == b"VP8X"), None)
        if packet is None or len(xmp_chunks) != 1 or vp8x is None or vp8x.size < 10:
            return None
        if any(h.offset != xmp_chunks[0].offset for h in holders) or any(
            item.location == EXIF_LOCATION for item in labels
        ):
            return None
        if not src.read_at(vp8x.data_offset, 1, what="VP8X flags")[0] & FLAG_XMP:
            return None
        fitted = xmp.fit(xmp.set_aigc(packet, record.to_json()), len(packet))
        if fitted is None:
            return None
        return InPlacePlan([Region(xmp_chunks[0].data_offset, packet, fitted)], src.size)


CONTAINERS: tuple[Container, ...] = (WebpContainer(),)
