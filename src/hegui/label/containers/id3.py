"""MP3 (and any stream with a leading ID3v2 tag): the label is an ID3v2.3 / 2.4 ``TXXX`` frame with description
``AIGC`` holding the bare JSON (reference §2.7, audio). Also read: ``TXX`` in ID3v2.2, and ``COMM`` frames described
``AIGC`` or holding the ``{"AIGC":{...}}`` wrapper.

Written by hand, not through ffmpeg or mutagen: ffmpeg rewrites the whole stream and mutagen is GPL. Only the tag at
the start of the file is rebuilt; the audio frames, and any ID3v1 ``TAG`` or APEv2 tag at the end, are copied byte
for byte. Every other frame is kept byte for byte (compressed or encrypted ones as opaque bytes). When the new frame
fits in the tag's padding the tag keeps its size, so only the tag region changes. ID3v2.3 tag-level
unsynchronisation is undone and the tag is written without it (the frames themselves are unchanged); ID3v2.4 frames
are kept as stored, frame-level unsynchronisation included. A file without a tag gets an ID3v2.4 tag. ID3v2.2 tags
are read but not rewritten (frame names and layout differ; a clear error says so).

The parsing and building functions work on bytes so that other containers (the WAV ``id3 `` chunk) can reuse them.
"""

from __future__ import annotations

import re
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from hegui.errors import InputError, LimitExceededError, UnsupportedFormatError
from hegui.label.containers.base import Container, Found, Source, c2pa_warning, found_from_value
from hegui.label.record import Finding, Record

MAGIC = b"ID3"
FOOTER_MAGIC = b"3DI"
UNSYNC, EXTENDED, EXPERIMENTAL, FOOTER = 0x80, 0x40, 0x20, 0x10
MAX_TAG = 64 * 1024 * 1024  # tags with cover art run to a few MB; more is refused
MAX_FRAME_TEXT = 16 * 1024 * 1024  # compressed text frames inflate to at most this
NEW_PADDING = 1024  # padding given to a new or grown tag, so the next edit fits in place
DESCRIPTION = "AIGC"
FRAME_ID = re.compile(rb"[A-Z0-9]{4}\Z")
FRAME_ID_22 = re.compile(rb"[A-Z0-9]{3}\Z")


def syncsafe(data: bytes) -> int:
    value = 0
    for byte in data:
        value = (value << 7) | (byte & 0x7F)
    return value


def to_syncsafe(value: int, width: int = 4) -> bytes:
    return bytes((value >> (7 * (width - 1 - i))) & 0x7F for i in range(width))


def undo_unsync(data: bytes) -> bytes:
    """Reverse unsynchronisation: every ``FF 00`` was an ``FF``."""
    return data.replace(b"\xff\x00", b"\xff")


@dataclass
class Frame:
    id: bytes
    flags: int  # the two flag bytes (0 in ID3v2.2)
    raw: bytes  # header and data as stored in the (tag-level decoded) frame area
    header_size: int
    offset: int  # in the file (approximate under ID3v2.3 tag-level unsynchronisation)

    @property
    def data(self) -> bytes:
        return self.raw[self.header_size :]


@dataclass
class Tag:
    version: int  # 2, 3 or 4
    revision: int
    flags: int
    size: int  # the header's size field: everything between header and footer
    offset: int  # of the tag in the file
    ext_flags: int = 0  # extended header flags (ID3v2.3: 16 bits, ID3v2.4: 8 bits)
    ext_restrictions: bytes = b""  # ID3v2.4 tag restrictions, kept
    has_ext: bool = False
    frames: list[Frame] = field(default_factory=list)
    junk_at: int | None = None  # offset of bytes that are neither a frame nor zero padding

    @property
    def total(self) -> int:
        """Bytes the tag occupies in the file."""
        return 10 + self.size + (10 if self.version == 4 and self.flags & FOOTER else 0)


def tag_length(header: bytes, path: Path | None = None, offset: int = 0) -> int:
    """Total length (header, body, footer) of the ID3v2 tag whose 10-byte header is given."""
    if len(header) < 10 or header[:3] != MAGIC:
        raise InputError("not an ID3v2 tag header", path=path, offset=offset)
    if header[3] not in (2, 3, 4) or header[4] == 0xFF:
        raise InputError(f"unknown ID3v2 version 2.{header[3]}.{header[4]}", path=path, offset=offset + 3)
    if any(b & 0x80 for b in header[6:10]):
        raise InputError("ID3v2 tag size is not syncsafe (corrupt header)", path=path, offset=offset + 6)
    size = syncsafe(header[6:10])
    return 10 + size + (10 if header[3] == 4 and header[5] & FOOTER else 0)


def parse_tag(data: bytes, *, path: Path | None = None, offset: int = 0) -> Tag:
    """Parse a whole tag (``data`` holds exactly :func:`tag_length` bytes). Raises InputError on broken tags."""
    total = tag_length(data[:10], path, offset)
    if len(data) < total:
        raise InputError("truncated ID3v2 tag", path=path, offset=offset)
    version, revision, flags = data[3], data[4], data[5]
    tag = Tag(version, revision, flags, syncsafe(data[6:10]), offset)
    body = data[10 : 10 + tag.size]
    if version == 2:
        if flags & 0x40:  # ID3v2.2 "compression": never defined; nothing can be read
            return tag
        if flags & UNSYNC:
            body = undo_unsync(body)
        _frames_22(tag, body, path)
        return tag
    if version == 3 and flags & UNSYNC:
        body = undo_unsync(body)
    pos = 0
    if flags & EXTENDED:
        pos = _extended_header(tag, body, path)
    _frames(tag, body, pos, path)
    return tag


def _extended_header(tag: Tag, body: bytes, path: Path | None) -> int:
    where = tag.offset + 10
    if len(body) < 6:
        raise InputError("ID3v2 extended header runs past the end of the tag", path=path, offset=where)
    tag.has_ext = True
    if tag.version == 3:
        (size,) = struct.unpack(">I", body[:4])
        if size not in (6, 10) or 4 + size > len(body):
            raise InputError(f"bad ID3v2.3 extended header size {size}", path=path, offset=where)
        tag.ext_flags = struct.unpack(">H", body[4:6])[0]
        return 4 + size
    size = syncsafe(body[:4])
    if size < 6 or size > len(body) or body[4] != 1:
        raise InputError(f"bad ID3v2.4 extended header (size {size})", path=path, offset=where)
    tag.ext_flags = body[5]
    pos = 6
    for bit in (0x40, 0x20, 0x10):  # update, CRC, restrictions: each followed by its data length and data
        if tag.ext_flags & bit:
            if pos >= size:
                raise InputError("ID3v2.4 extended header flag data missing", path=path, offset=where + pos)
            length = body[pos]
            if pos + 1 + length > size:
                raise InputError("ID3v2.4 extended header flag data too long", path=path, offset=where + pos)
            if bit == 0x10:
                tag.ext_restrictions = body[pos + 1 : pos + 1 + length]
            pos += 1 + length
    return size


def _frames(tag: Tag, body: bytes, pos: int, path: Path | None) -> None:
    base = tag.offset + 10
    # ID3v2.4 sizes are syncsafe, but iTunes and others wrote plain 32-bit sizes; use whichever walks cleanly.
    walks = [True, False] if tag.version == 4 else [False]
    best: tuple[list[Frame], int | None] | None = None
    for safe in walks:
        frames, junk = _walk(body, pos, base, safe, path)
        if junk is None:
            best = (frames, None)
            break
        if best is None:
            best = (frames, junk)
    assert best is not None
    tag.frames, tag.junk_at = best


def _walk(body: bytes, pos: int, base: int, safe: bool, path: Path | None) -> tuple[list[Frame], int | None]:
    frames: list[Frame] = []
    while pos + 10 <= len(body):
        fid = body[pos : pos + 4]
        if fid[0] == 0:
            rest = body[pos:]
            return frames, (None if not rest.strip(b"\x00") else base + pos)
        if not FRAME_ID.match(fid):
            return frames, base + pos
        size_bytes = body[pos + 4 : pos + 8]
        size = syncsafe(size_bytes) if safe else struct.unpack(">I", size_bytes)[0]
        if safe and any(b & 0x80 for b in size_bytes):
            return frames, base + pos
        if pos + 10 + size > len(body):
            return frames, base + pos
        flags = struct.unpack(">H", body[pos + 8 : pos + 10])[0]
        frames.append(Frame(fid, flags, body[pos : pos + 10 + size], 10, base + pos))
        pos += 10 + size
    if body[pos:].strip(b"\x00"):
        return frames, base + pos
    return frames, None


def _frames_22(tag: Tag, body: bytes, path: Path | None) -> None:
    pos = 0
    base = tag.offset + 10
    while pos + 6 <= len(body):
        fid = body[pos : pos + 3]
        if fid[0] == 0:
            break
        if not FRAME_ID_22.match(fid):
            tag.junk_at = base + pos
            return
        size = int.from_bytes(body[pos + 3 : pos + 6], "big")
        if pos + 6 + size > len(body):
            tag.junk_at = base + pos
            return
        tag.frames.append(Frame(fid, 0, body[pos : pos + 6 + size], 6, base + pos))
        pos += 6 + size


# ---- frame content ------------------------------------------------------------------------------------------


def frame_payload(tag: Tag, frame: Frame, path: Path | None = None) -> bytes | None:
    """The frame's content after undoing frame flags; None for encrypted frames (opaque)."""
    data = frame.data
    flags = frame.flags
    compressed = False
    if tag.version == 3:
        compressed = bool(flags & 0x0080)
        if flags & 0x0040:
            return None
        skip = (4 if compressed else 0) + (1 if flags & 0x0020 else 0)
        data = data[skip:]
    elif tag.version == 4:
        if flags & 0x0004:
            return None
        compressed = bool(flags & 0x0008)
        skip = (1 if flags & 0x0040 else 0) + (4 if flags & 0x0001 else 0)
        data = data[skip:]
        if flags & 0x0002 or tag.flags & UNSYNC:
            data = undo_unsync(data)
    if compressed:
        inflater = zlib.decompressobj()
        try:
            out = inflater.decompress(data, MAX_FRAME_TEXT)
        except zlib.error as exc:
            raise InputError(f"corrupt compressed ID3 frame: {exc}", path=path, offset=frame.offset) from exc
        if inflater.unconsumed_tail:
            raise LimitExceededError(
                f"compressed ID3 frame inflates beyond {MAX_FRAME_TEXT} bytes; refused",
                path=path,
                offset=frame.offset,
            )
        data = out
    return data


def _split(encoding: int, data: bytes) -> tuple[bytes, bytes]:
    """Split at the first string terminator of the encoding."""
    if encoding in (1, 2):
        for i in range(0, len(data) - 1, 2):
            if data[i : i + 2] == b"\x00\x00":
                return data[:i], data[i + 2 :]
        return data, b""
    head, _, rest = data.partition(b"\x00")
    return head, rest


def _decode(encoding: int, data: bytes) -> str:
    if encoding == 0:
        text = data.decode("latin-1")
    elif encoding == 1:
        codec = "utf-16" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-16-le"
        text = data.decode(codec, errors="replace")
    elif encoding == 2:
        text = data.decode("utf-16-be", errors="replace")
    else:
        text = data.decode("utf-8", errors="replace")
    return text


def _text_value(encoding: int, data: bytes) -> str:
    """The first non-empty string of a (possibly null-separated, ID3v2.4) text value."""
    values = [v for v in _decode(encoding, data).split("\x00") if v]
    return values[0] if values else ""


def label_in_frame(tag: Tag, frame: Frame, path: Path | None = None) -> tuple[str, str] | None:
    """(location, stored text) when the frame holds a label."""
    kind = frame.id.decode("ascii")
    if kind not in ("TXXX", "TXX", "COMM", "COM"):
        return None
    payload = frame_payload(tag, frame, path)
    if not payload:
        return None
    encoding = payload[0]
    if encoding > 3:
        return None
    rest = payload[1:]
    if kind in ("COMM", "COM"):
        rest = rest[3:]  # language
    desc_bytes, value_bytes = _split(encoding, rest)
    desc = _decode(encoding, desc_bytes).strip("\x00").strip()
    value = _text_value(encoding, value_bytes)
    if desc.upper() == DESCRIPTION or (kind in ("COMM", "COM") and '"AIGC"' in value):
        return f"ID3v2.{tag.version} {kind}:{desc}", value
    return None


C2PA_MIMES = (b"application/c2pa", b"application/x-c2pa-manifest-store")


def has_c2pa(tag: Tag, path: Path | None = None) -> bool:
    """A C2PA manifest store: a GEOB frame of MIME type application/c2pa (C2PA spec, ID3 embedding)."""
    for frame in tag.frames:
        if frame.id == b"GEOB":
            payload = frame_payload(tag, frame, path)
            if payload and any(payload[1:].startswith(mime + b"\x00") for mime in C2PA_MIMES):
                return True
    return False


def find_labels(tag: Tag, container: str, path: Path | None = None) -> list[Found]:
    found: list[Found] = []
    for frame in tag.frames:
        hit = label_in_frame(tag, frame, path)
        if hit is not None:
            found.append(found_from_value(container, hit[0], hit[1], offset=frame.offset))
    return found


# ---- writing ------------------------------------------------------------------------------------------------


def txxx_frame(version: int, value: str) -> bytes:
    """A TXXX frame with description AIGC: UTF-8 in ID3v2.4; Latin-1 (or UTF-16 with BOM) in ID3v2.3."""
    if version == 4:
        body = b"\x03" + DESCRIPTION.encode() + b"\x00" + value.encode("utf-8")
        return b"TXXX" + to_syncsafe(len(body)) + b"\x00\x00" + body
    try:
        body = b"\x00" + DESCRIPTION.encode() + b"\x00" + value.encode("latin-1")
    except UnicodeEncodeError:
        body = b"\x01" + DESCRIPTION.encode("utf-16") + b"\x00\x00" + value.encode("utf-16")
    return b"TXXX" + struct.pack(">I", len(body)) + b"\x00\x00" + body


def build_tag(
    tag: Tag | None, value: str, *, path: Path | None = None, new_padding: int = NEW_PADDING
) -> bytes:
    """A tag holding ``value`` as its only label and every other frame of ``tag`` (None: a new ID3v2.4 tag).

    Keeps the tag's total size when the frames fit in the old padding (and the tag has no footer).
    """
    if tag is None:
        tag = Tag(4, 0, 0, 0, 0)
    if tag.version == 2:
        raise UnsupportedFormatError(
            "ID3v2.2 tag (three-letter frame names): rewriting it is not supported; convert the tag to ID3v2.3 "
            "or 2.4 first (e.g. with a tag editor) and label again",
            path=path,
            offset=tag.offset,
        )
    if tag.junk_at is not None:
        raise InputError(
            "the ID3v2 tag holds bytes that are neither frames nor zero padding; not rewriting it, so nothing is lost",
            path=path,
            offset=tag.junk_at,
        )
    new_frame = txxx_frame(tag.version, value)
    frames: list[bytes] = []
    placed = False
    for frame in tag.frames:
        if label_in_frame(tag, frame, path) is not None:
            if not placed:
                frames.append(new_frame)  # where the old label was
                placed = True
            continue
        frames.append(frame.raw)
    if not placed:
        frames.append(new_frame)
    frame_bytes = b"".join(frames)
    footer = tag.version == 4 and bool(tag.flags & FOOTER)
    flags = tag.flags & ~UNSYNC if tag.version == 3 else tag.flags
    ext_len = _ext_length(tag)
    content = ext_len + len(frame_bytes)
    if footer:
        padding = 0  # ID3v2.4: a tag with a footer has no padding
    elif tag.size and content <= tag.size:
        padding = tag.size - content
    else:
        padding = new_padding
    size = content + padding
    if size >= 1 << 28:
        raise LimitExceededError("the ID3v2 tag would exceed its 256 MiB maximum", path=path)
    ext = _ext_header(tag, frame_bytes, padding)
    header_fields = bytes([tag.version, tag.revision, flags]) + to_syncsafe(size)
    out = MAGIC + header_fields + ext + frame_bytes + bytes(padding)
    if footer:
        out += FOOTER_MAGIC + header_fields
    return out


def _ext_length(tag: Tag) -> int:
    if not tag.has_ext:
        return 0
    if tag.version == 3:
        return 14 if tag.ext_flags & 0x8000 else 10
    length = 6
    if tag.ext_flags & 0x40:
        length += 1
    if tag.ext_flags & 0x20:
        length += 6
    if tag.ext_flags & 0x10:
        length += 1 + len(tag.ext_restrictions)
    return length


def _ext_header(tag: Tag, frames: bytes, padding: int) -> bytes:
    """The extended header again, with the padding size and CRC it now needs."""
    if not tag.has_ext:
        return b""
    if tag.version == 3:
        crc = tag.ext_flags & 0x8000
        out = struct.pack(">IHI", 10 if crc else 6, tag.ext_flags, padding)
        if crc:
            out += struct.pack(">I", zlib.crc32(frames) & 0xFFFFFFFF)  # over the frames, padding excluded
        return out
    body = bytes([1, tag.ext_flags])
    if tag.ext_flags & 0x40:
        body += b"\x00"
    if tag.ext_flags & 0x20:
        body += b"\x05" + to_syncsafe(zlib.crc32(frames + bytes(padding)) & 0xFFFFFFFF, 5)
    if tag.ext_flags & 0x10:
        body += bytes([len(tag.ext_restrictions)]) + tag.ext_restrictions
    return to_syncsafe(4 + len(body)) + body


# ---- the MP3 container --------------------------------------------------------------------------------------


def is_mpeg_audio_sync(head: bytes) -> bool:
    """An MPEG audio frame header (layer I-III), not ADTS AAC (layer bits 00) nor a UTF-16LE byte-order mark."""
    if len(head) < 4 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0 or head[1] == 0xFE:
        return False
    version, layer = (head[1] >> 3) & 3, (head[1] >> 1) & 3
    bitrate, rate = head[2] >> 4, (head[2] >> 2) & 3
    return version != 1 and layer != 0 and bitrate != 15 and rate != 3


def read_leading_tag(src: Source) -> Tag | None:
    if src.size < 10 or src.read_at(0, 3, what="magic") != MAGIC:
        return None
    total = tag_length(src.read_at(0, 10, what="ID3v2 header"), src.path, 0)
    if total > MAX_TAG:
        raise LimitExceededError(
            f"ID3v2 tag of {total} bytes is over the {MAX_TAG}-byte limit", path=src.path
        )
    return parse_tag(src.read_at(0, total, what="ID3v2 tag"), path=src.path, offset=0)


class Mp3Container(Container):
    name = "mp3"
    extensions = (".mp3", ".mp2", ".mpga")
    media_type = "audio/mpeg"

    def sniff(self, head: bytes, name: str) -> bool:
        if head.startswith(MAGIC):
            return not name.lower().endswith((".flac", ".aac", ".wav"))
        return is_mpeg_audio_sync(head)

    def scan(self, src: Source) -> list[Found]:
        tag = read_leading_tag(src)
        if tag is None:
            if not is_mpeg_audio_sync(src.read_at(0, min(4, src.size), what="first frame header")):
                raise src.error(
                    "not an MP3 file: neither an ID3v2 tag nor an MPEG audio frame at the start", 0
                )
            return []
        return find_labels(tag, self.name, src.path)

    def file_findings(self, src: Source, labels: list[Found]) -> list[Finding]:
        tag = read_leading_tag(src)
        return [c2pa_warning()] if tag is not None and has_c2pa(tag, src.path) else []

    def render(self, src: Source, dst: BinaryIO, record: Record) -> list[Finding]:
        tag = read_leading_tag(src)
        if tag is None:
            self.scan(src)  # the same "not an MP3" check as reading
        dst.write(build_tag(tag, record.to_json(), path=src.path))
        start = tag.total if tag is not None else 0
        src.copy_to(dst, start, src.size - start)  # audio frames, ID3v1 and APE tags: byte for byte
        return [c2pa_warning()] if tag is not None and has_c2pa(tag, src.path) else []


CONTAINERS: tuple[Container, ...] = (Mp3Container(),)
