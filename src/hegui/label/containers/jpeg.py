"""JPEG: the label lives in XMP (APP1 ``http://ns.adobe.com/xap/1.0/``); also read are an EXIF UserComment holding
``{"AIGC":{...}}`` (HarmonyOS, TC260-PG-20259A Annex B) and any APPn / COM segment holding an AIGC object, including
the bare ``AIGC{...}`` blob seen in the wild (reference §2.3, §2.7).

Written by hand rather than through Pillow because Pillow decodes and re-encodes the image on save (quality loss,
EXIF and APP segments dropped). Here only the segments before SOS are walked; every segment other than the label's
carriers is copied byte for byte, and everything from SOS to the end of the file (scan data, trailers, MPF images)
is copied without being read. Reading stops at SOS, so its cost does not grow with the image.

Where the label goes: XMP, merged into the existing packet. When the only existing label sits in the EXIF
UserComment, that UserComment is updated in place instead (the EXIF segment is rewritten with the TIFF edit helpers:
nothing in it moves), so the file keeps its one label where it was. When XMP also held one, the UserComment copy
is emptied. Old label blobs in other APPn / COM segments are dropped (the label moves to XMP). A new XMP segment
goes after the leading APP0/APP1 run, before any MPF (multi-picture) segment, whose image offsets count from
itself; a change after MPF that would shift those offsets is refused.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import BinaryIO, NamedTuple

from hegui.errors import LimitExceededError, UnsupportedFormatError
from hegui.label import xmp
from hegui.label.containers.base import (
    Container,
    Found,
    InPlacePlan,
    Source,
    c2pa_warning,
    found_from_value,
)
from hegui.label.containers.tiff import (
    UC_UNDEFINED,
    BytesView,
    Edit,
    Tiff,
    UserComment,
    encode_user_comment,
    find_user_comment,
    set_value,
    xmp_hits,
)
from hegui.label.journal import Region
from hegui.label.record import Finding, Record, parse_value

SOI = b"\xff\xd8"
SOS = 0xDA
EOI = 0xD9
APP0, APP1, APP2, APP11, APP15, COM = 0xE0, 0xE1, 0xE2, 0xEB, 0xEF, 0xFE
STANDALONE = {0x01, *range(0xD0, 0xD8)}  # TEM, RST0-7: markers without a length

XMP_ID = b"http://ns.adobe.com/xap/1.0/\x00"
XMP_EXT_ID = b"http://ns.adobe.com/xmp/extension/\x00"
EXIF_ID = b"Exif\x00"  # then a pad byte (normally \0)
ICC_ID = b"ICC_PROFILE\x00"
MPF_ID = b"MPF\x00"
JUMBF_ID = b"JP"

MAX_SEGMENT_PAYLOAD = 65533  # a segment length field counts itself: 65535 - 2
MAX_XMP_PACKET = 65502  # Adobe XMP spec part 3: the standard packet in one APP1 segment
MAX_SEGMENTS = 8192
MAX_FILL = 65536
WINDOW = 64 * 1024
HEAD = 96  # payload bytes read to tell segments apart (ICC and MPF payloads are never read whole)


class Segment(NamedTuple):  # immutable; one per marker segment of every read, so a tuple, not a dataclass
    marker: int
    offset: int  # of the 0xFF
    length: int  # the length field (counts itself); 0 for standalone markers

    @property
    def payload_offset(self) -> int:
        return self.offset + 4

    @property
    def payload_size(self) -> int:
        return max(self.length - 2, 0)

    @property
    def end(self) -> int:
        return self.offset + 2 + self.length


class Window(Source):
    """The file seen through a 64 KiB read-ahead block: one system call serves many small header reads."""

    def __init__(self, src: Source) -> None:
        super().__init__(src._handle, src._path or src.name, src.size, fd=src.fd, name=src.name)
        self._start = 0
        self._block = b""
        if src._window_start == 0 and len(src._window) == min(WINDOW, src.size):
            self._block = src._window  # detection's read-ahead already holds the whole block: no second read

    def read_at(self, offset: int, length: int, *, what: str = "data") -> bytes:
        skip = offset - self._start
        if skip >= 0 and length >= 0 and skip + length <= len(self._block):
            return self._block[skip : skip + length]
        if length > WINDOW or offset < 0 or length < 0 or offset + length > self.size:
            return super().read_at(offset, length, what=what)
        self._start = offset
        self._block = super().read_at(offset, min(WINDOW, self.size - offset), what=what)
        return self._block[:length]


def iter_segments(src: Source) -> tuple[list[Segment], int]:
    """The marker segments before the first SOS (or EOI), and the offset where SOS starts.

    Nothing after SOS is read: the entropy-coded data is copied blind when writing.
    """
    if src.read_at(0, 2, what="JPEG signature") != SOI:
        raise src.error("not a JPEG file (no SOI marker)", 0)
    segments: list[Segment] = []
    pos = 2
    fill = 0
    read_at = src.read_at
    size = src.size
    block = src._block if isinstance(src, Window) and src._start == 0 else b""  # the file's first bytes
    while True:
        if pos + 4 <= len(block):
            head = block[pos : pos + 4]  # what read_at returns, without the call
        else:
            head = read_at(pos, 4 if pos + 4 <= size else 2, what="marker")
        if head[0] != 0xFF:
            raise src.error(f"expected a JPEG marker, found byte 0x{head[0]:02X}", pos)
        marker = head[1]
        if marker == 0xFF:  # fill byte
            fill += 1
            if fill > MAX_FILL:
                raise LimitExceededError(f"more than {MAX_FILL} fill bytes in the JPEG header", path=src.path)
            pos += 1
            continue
        if marker in (SOS, EOI):
            return segments, pos
        if len(segments) >= MAX_SEGMENTS:
            raise LimitExceededError(
                f"more than {MAX_SEGMENTS} JPEG segments before the image data", path=src.path
            )
        if marker in STANDALONE:
            segments.append(Segment(marker, pos, 0))
            pos += 2
            continue
        if marker in (0x00, SOI):
            raise src.error(f"unexpected marker 0xFF{marker:02X} in the JPEG header", pos)
        if len(head) < 4:
            raise src.error(f"truncated JPEG: segment 0xFF{marker:02X} has no length", pos)
        length = head[2] << 8 | head[3]
        if length < 2:
            raise src.error(f"segment 0xFF{marker:02X} declares length {length}", pos)
        end = pos + 2 + length  # Segment.end
        if end > size:
            raise src.error(
                f"truncated JPEG: segment 0xFF{marker:02X} of {length} bytes runs past the end", pos
            )
        segments.append(Segment(marker, pos, length))
        pos = end


def payload(src: Source, seg: Segment) -> bytes:
    return src.read_at(seg.payload_offset, seg.payload_size, what="segment")


def blob_label(data: bytes) -> str | None:
    """The AIGC object in a general APPn / COM payload (``AIGC{...}``, ``{"AIGC":{...}}``, ...), or None."""
    at = data.find(b"AIGC")
    if at < 0:
        return None
    start, end = data.find(b"{"), data.rfind(b"}")
    named = data[:16].lstrip(b"\x00 ").startswith(b"AIGC") or b'"AIGC"' in data
    if start < 0 or end < start:
        return data.decode("utf-8", errors="replace").strip("\x00 ") if named else None
    text = data[start : end + 1].decode("utf-8", errors="replace")
    if parse_value(text).record is None and not named:
        return None
    return text


def is_c2pa(head: bytes) -> bool:
    """APP11 JPEG-XT box (``JP``) carrying a JUMBF superbox whose description is labelled c2pa."""
    return head.startswith(JUMBF_ID) and b"jumb" in head and b"c2pa" in head


def segment_name(seg: Segment) -> str:
    return "COM" if seg.marker == COM else f"APP{seg.marker - APP0}"


@dataclass
class _State:
    segments: list[Segment]
    sos: int
    xmp_seg: Segment | None = None
    packet: bytes | None = None
    xmp_labels: list[Found] = field(default_factory=list)
    exif_seg: Segment | None = None
    exif: Tiff | None = None
    comment: UserComment | None = None
    blobs: list[tuple[Segment, Found]] = field(default_factory=list)
    c2pa: bool = False
    mpf_seg: Segment | None = None

    @property
    def labels(self) -> list[Found]:
        out = list(self.xmp_labels)
        if self.comment is not None:
            out.append(self.comment.found)
        out.extend(found for _, found in self.blobs)
        return out


class JpegContainer(Container):
    name = "jpeg"
    extensions = (".jpg", ".jpeg", ".jpe", ".jfif")
    media_type = "image/jpeg"

    def sniff(self, head: bytes, name: str) -> bool:
        return head.startswith(b"\xff\xd8\xff")

    def _state(self, src: Source) -> _State:
        """The segments and what they hold, parsed once per open file (scan and file_findings share it)."""
        return src.once("jpeg", lambda: self._parse_state(src))

    def _parse_state(self, src: Source) -> _State:
        src = Window(src)
        segments, sos = iter_segments(src)
        state = _State(segments, sos)
        for seg in segments:
            if not (APP0 <= seg.marker <= APP15 or seg.marker == COM):
                continue
            head = src.read_at(seg.payload_offset, min(seg.payload_size, HEAD), what="segment")
            if seg.marker == APP1 and head.startswith(XMP_ID):
                packet = payload(src, seg)[len(XMP_ID) :]
                if not packet.strip(b"\x00 \t\r\n"):
                    continue  # an empty XMP segment holds nothing; a new packet goes in its own segment
                hits = xmp_hits(packet, self.name, "APP1 XMP TC260:AIGC", src.name, seg.offset)
                if state.xmp_seg is None:
                    state.xmp_seg, state.packet, state.xmp_labels = seg, packet, hits
                elif hits:
                    raise UnsupportedFormatError(
                        "a second standard XMP segment holds a label; a JPEG has one standard XMP packet",
                        path=src.path,
                        offset=seg.offset,
                    )
            elif seg.marker == APP1 and head.startswith(EXIF_ID) and state.exif_seg is None:
                base = seg.payload_offset + 6
                tiff = Tiff(BytesView(payload(src, seg)[6:], src.name, base), src.name, base=base)
                state.exif_seg, state.exif = seg, tiff
                state.comment = find_user_comment(tiff, tiff.read_ifd(tiff.first_ifd), self.name)
            elif seg.marker == APP1 and head.startswith(XMP_EXT_ID):
                continue  # Extended XMP continues the standard packet; the label is never written there
            elif seg.marker == APP2 and head.startswith((ICC_ID, MPF_ID)):
                if head.startswith(MPF_ID) and state.mpf_seg is None:
                    state.mpf_seg = seg
            elif seg.marker == APP11 and head.startswith(JUMBF_ID):
                state.c2pa = state.c2pa or is_c2pa(head)
            else:
                text = blob_label(payload(src, seg))
                if text is not None:
                    found = found_from_value(self.name, segment_name(seg), text, offset=seg.offset)
                    state.blobs.append((seg, found))
        return state

    def scan(self, src: Source) -> list[Found]:
        return self._state(src).labels

    def file_findings(self, src: Source, labels: list[Found]) -> list[Finding]:
        # _state looked at the head of every APP11 segment that starts like JUMBF (is_c2pa needs that start).
        return [c2pa_warning()] if self._state(src).c2pa else []

    def render(self, src: Source, dst: BinaryIO, record: Record) -> list[Finding]:
        state = self._state(src)
        replace: dict[int, bytes] = {}  # segment offset -> new segment bytes (b"" drops it)
        insert: bytes = b""
        comment = state.comment
        if comment is not None and not state.xmp_labels and not state.blobs:
            # The only label is in the EXIF UserComment: update it there (no second copy in XMP).
            replace[_offset(state.exif_seg)] = self._exif_segment(
                src, state, encode_user_comment(record.to_wrapped_json())
            )
        else:
            if comment is not None:
                replace[_offset(state.exif_seg)] = self._exif_segment(src, state, UC_UNDEFINED)
            for seg, _ in state.blobs:
                replace[seg.offset] = b""
            packet = xmp.set_aigc(state.packet, record.to_json(), padding=xmp.PADDING)
            if len(packet) > MAX_XMP_PACKET:  # no room for the padding that lets the next label go in place
                packet = xmp.set_aigc(state.packet, record.to_json())
            if len(packet) > MAX_XMP_PACKET:
                raise UnsupportedFormatError(
                    f"the XMP packet with the label would be {len(packet)} bytes; a JPEG XMP segment holds at "
                    f"most {MAX_XMP_PACKET} (Extended XMP is not written for the label). Shrink the existing XMP.",
                    path=src.path,
                    offset=state.xmp_seg.offset if state.xmp_seg is not None else None,
                )
            new_xmp = _segment(APP1, XMP_ID + packet)
            if state.xmp_seg is not None:
                replace[state.xmp_seg.offset] = new_xmp
            else:
                insert = new_xmp
        # Where a new XMP segment goes: after the leading APP0 / APP1 run (JFIF, EXIF), as the XMP spec orders them.
        at = next(
            (i for i, s in enumerate(state.segments) if s.marker not in (APP0, APP1)), len(state.segments)
        )
        self._check_mpf(src, state, replace, at if insert else None)
        dst.write(SOI)
        for i, seg in enumerate(state.segments):
            if i == at and insert:
                dst.write(insert)
            if seg.offset in replace:
                dst.write(replace[seg.offset])
            else:
                src.copy_to(dst, seg.offset, seg.end - seg.offset)
        if at == len(state.segments) and insert:
            dst.write(insert)
        src.copy_to(dst, state.sos, src.size - state.sos)
        return [c2pa_warning()] if state.c2pa else []

    supports_in_place = True

    def plan_in_place(self, src: Source, record: Record) -> InPlacePlan | None:
        """The new XMP packet over the old one, padded to its size, when the segment has room (the padding hegui,
        Adobe and ExifTool leave) and the label lives nowhere else."""
        state = self._state(src)
        seg = state.xmp_seg
        if seg is None or state.packet is None or state.comment is not None or state.blobs:
            return None
        fitted = xmp.fit(xmp.set_aigc(state.packet, record.to_json()), len(state.packet))
        if fitted is None:
            return None
        region = Region(seg.payload_offset + len(XMP_ID), state.packet, fitted)
        return InPlacePlan([region], src.size, [c2pa_warning()] if state.c2pa else [])

    def _exif_segment(self, src: Source, state: _State, value: bytes) -> bytes:
        """The EXIF APP1 segment with the UserComment set to ``value`` (every other byte of it kept in place)."""
        assert state.exif_seg is not None and state.exif is not None and state.comment is not None
        data = payload(src, state.exif_seg)
        tiff = state.exif
        edit = Edit(len(data) - 6, [], bytearray())
        set_value(tiff, edit, state.comment.entry, value)
        body = data[:6] + edit.apply(tiff, data[6:])
        if len(body) > MAX_SEGMENT_PAYLOAD:
            raise UnsupportedFormatError(
                f"the EXIF segment with the updated UserComment would be {len(body)} bytes, over the "
                f"{MAX_SEGMENT_PAYLOAD}-byte segment limit",
                path=src.path,
                offset=state.exif_seg.offset,
            )
        return _segment(APP1, body)

    @staticmethod
    def _check_mpf(src: Source, state: _State, replace: dict[int, bytes], insert_at: int | None) -> None:
        """MPF (multi-picture) offsets count from the MPF segment: nothing after it may change size."""
        mpf = state.mpf_seg
        if mpf is None:
            return
        index = state.segments.index(mpf)
        moved = insert_at is not None and insert_at > index
        for seg in state.segments[index + 1 :]:
            if seg.offset in replace and len(replace[seg.offset]) != seg.end - seg.offset:
                moved = True
        if moved:
            raise UnsupportedFormatError(
                "a label segment after the MPF (multi-picture) segment would change size and break its image "
                "offsets; not supported",
                path=src.path,
                offset=mpf.offset,
            )


def _offset(seg: Segment | None) -> int:
    assert seg is not None
    return seg.offset


def _segment(marker: int, body: bytes) -> bytes:
    return bytes((0xFF, marker)) + struct.pack(">H", len(body) + 2) + body


CONTAINERS: tuple[Container, ...] = (JpegContainer(),)
