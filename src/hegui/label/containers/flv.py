"""FLV: the ``onMetaData`` script tag (an AMF0 ECMA array) holds the key ``AIGC`` with the JSON as an AMF0 string
(TC260-PG-20257A, reference §2.7; what ``ffmpeg -metadata AIGC=...`` writes).

Written by hand: the script tag is rebuilt with every other key kept byte for byte, and all audio / video tags are
copied unchanged. Rewriting the tag moves every later tag; ``PreviousTagSize`` fields are relative and stay right,
while the absolute byte positions in ``onMetaData`` (``keyframes.filepositions``, ``lastkeyframelocation``) are
shifted and ``filesize`` is updated. A keyframe index in a shape this module does not know is refused rather than
left wrong.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

from hegui.errors import LimitExceededError, UnsupportedFormatError
from hegui.label.containers.base import Container, Found, Source, found_from_value
from hegui.label.containers.riff import Edit, apply_edits
from hegui.label.record import Finding, Record

SCRIPT = 18
SCAN_TAGS = 64  # script tags live at the head of the file; never walk the whole media
MAX_DEPTH = 32
MAX_SCRIPT = 16 * 1024 * 1024
POSITION_KEYS = ("lastkeyframelocation",)


class AmfError(Exception):
    def __init__(self, message: str, pos: int) -> None:
        super().__init__(message)
        self.pos = pos


@dataclass(frozen=True)
class Pair:
    key: str
    start: int  # of the key length field
    value: int  # of the value marker
    end: int


def _need(buf: bytes, pos: int, n: int) -> None:
    if pos + n > len(buf):
        raise AmfError("AMF0 value runs past the end of the script tag", pos)


def skip_value(buf: bytes, pos: int, depth: int = 0) -> int:
    """End of the AMF0 value at ``pos``."""
    if depth > MAX_DEPTH:
        raise AmfError("AMF0 values nested too deep", pos)
    _need(buf, pos, 1)
    marker = buf[pos]
    pos += 1
    if marker == 0:
        _need(buf, pos, 8)
        return pos + 8
    if marker == 1:
        _need(buf, pos, 1)
        return pos + 1
    if marker in (2,):
        _need(buf, pos, 2)
        n = struct.unpack_from(">H", buf, pos)[0]
        _need(buf, pos + 2, n)
        return pos + 2 + n
    if marker in (12, 15):
        _need(buf, pos, 4)
        n = struct.unpack_from(">I", buf, pos)[0]
        _need(buf, pos + 4, n)
        return pos + 4 + n
    if marker in (5, 6, 13):
        return pos
    if marker == 7:
        _need(buf, pos, 2)
        return pos + 2
    if marker == 11:
        _need(buf, pos, 10)
        return pos + 10
    if marker in (3, 8, 16):
        if marker == 8:
            _need(buf, pos, 4)
            pos += 4
        if marker == 16:
            _need(buf, pos, 2)
            pos += 2 + struct.unpack_from(">H", buf, pos)[0]
        return pairs(buf, pos, depth)[1]
    if marker == 10:
        _need(buf, pos, 4)
        count = struct.unpack_from(">I", buf, pos)[0]
        pos += 4
        if count > len(buf) - pos:
            raise AmfError(f"AMF0 strict array declares {count} items, more than the tag holds", pos - 4)
        for _ in range(count):
            pos = skip_value(buf, pos, depth + 1)
        return pos
    raise AmfError(f"unknown AMF0 type marker {marker}", pos - 1)


def pairs(buf: bytes, pos: int, depth: int = 0) -> tuple[list[Pair], int]:
    """Key/value pairs of an object or ECMA array body, and the end (after the 00 00 09 marker)."""
    out: list[Pair] = []
    while True:
        _need(buf, pos, 2)
        n = struct.unpack_from(">H", buf, pos)[0]
        if n == 0:
            _need(buf, pos, 3)
            if buf[pos + 2] == 9:
                return out, pos + 3
        _need(buf, pos + 2, n)
        key = buf[pos + 2 : pos + 2 + n].decode("utf-8", "replace")
        end = skip_value(buf, pos + 2 + n, depth + 1)
        out.append(Pair(key, pos, pos + 2 + n, end))
        pos = end


def string_value(buf: bytes, pos: int) -> str | None:
    if buf[pos] == 2:
        n = struct.unpack_from(">H", buf, pos + 1)[0]
        return buf[pos + 3 : pos + 3 + n].decode("utf-8", "replace")
    if buf[pos] == 12:
        n = struct.unpack_from(">I", buf, pos + 1)[0]
        return buf[pos + 5 : pos + 5 + n].decode("utf-8", "replace")
    return None


def amf_string(text: str) -> bytes:
    data = text.encode("utf-8")
    if len(data) <= 0xFFFF:
        return b"\x02" + struct.pack(">H", len(data)) + data
    return b"\x0c" + struct.pack(">I", len(data)) + data


def amf_key(key: str) -> bytes:
    data = key.encode("utf-8")
    return struct.pack(">H", len(data)) + data


@dataclass(frozen=True)
class Tag:
    offset: int
    kind: int
    size: int

    @property
    def end(self) -> int:  # including the PreviousTagSize that follows
        return self.offset + 11 + self.size + 4


@dataclass(frozen=True)
class Meta:
    """An ``onMetaData`` script tag, parsed."""

    tag: Tag
    header: bytes  # the 11-byte tag header
    body: bytes
    name_end: int  # end of the "onMetaData" string
    marker: int  # 8 (ECMA array) or 3 (object)
    pairs: list[Pair]
    value_end: int


def head_tags(src: Source) -> tuple[int, list[Tag]]:
    """(offset of the first tag, the first tags of the file)."""
    head = src.read_at(0, 9, what="FLV header")
    if head[:3] != b"FLV":
        raise src.error("not an FLV file", 0)
    start = struct.unpack(">I", head[5:9])[0]
    if start < 9 or start > src.size:
        raise src.error(f"FLV header size {start} is out of range", 5)
    pos = start + 4  # PreviousTagSize0
    tags: list[Tag] = []
    while pos + 11 <= src.size and len(tags) < SCAN_TAGS:
        kind, s_hi, s_lo = struct.unpack(">BBH", src.read_at(pos, 4, what="FLV tag header"))
        size = (s_hi << 16) | s_lo
        if pos + 11 + size > src.size:
            if kind & 0x1F == SCRIPT:
                raise src.error(f"FLV script tag of {size} bytes runs past the end of the file", pos)
            break  # a truncated media tag: the label area is intact
        tags.append(Tag(pos, kind & 0x1F, size))
        pos += 11 + size + 4
    return start + 4, tags


def parse_meta(src: Source, tag: Tag) -> Meta | None:
    if tag.size > MAX_SCRIPT:
        raise LimitExceededError(
            f"script tag of {tag.size} bytes is over the limit", path=src.path, offset=tag.offset
        )
    body = src.read_at(tag.offset + 11, tag.size, what="script tag")
    try:
        if not body or body[0] != 2:
            return None
        name_end = skip_value(body, 0)
        if string_value(body, 0) != "onMetaData" or name_end >= len(body):
            return None
        marker = body[name_end]
        if marker not in (3, 8):
            return None
        start = name_end + (5 if marker == 8 else 1)
        _need(body, start, 0)
        items, value_end = pairs(body, start)
    except AmfError as exc:
        raise src.error(f"corrupt AMF0 in script tag: {exc}", tag.offset + 11 + exc.pos) from exc
    return Meta(tag, src.read_at(tag.offset, 11), body, name_end, marker, items, value_end)


Move = Callable[[float], float]


def _keyframes(meta: Meta, pair: Pair, move: Move) -> bytes:
    """The keyframes value with its ``filepositions`` numbers moved."""
    body = meta.body
    marker = body[pair.value]
    if marker not in (3, 8):
        raise UnsupportedFormatError("onMetaData keyframes is not an object; cannot shift its file positions")
    start = pair.value + (5 if marker == 8 else 1)
    out = bytearray(body[pair.value : pair.end])
    for item in pairs(body, start)[0]:
        if item.key.lower() != "filepositions":
            continue
        if body[item.value] != 10:
            raise UnsupportedFormatError("keyframes.filepositions is not an array; cannot shift it")
        count = struct.unpack_from(">I", body, item.value + 1)[0]
        pos = item.value + 5
        for _ in range(count):
            if body[pos] != 0:
                raise UnsupportedFormatError("keyframes.filepositions holds a non-number; cannot shift it")
            (value,) = struct.unpack_from(">d", body, pos + 1)
            struct.pack_into(">d", out, pos + 1 - pair.value, move(value))
            pos += 9
    return bytes(out)


def rebuild(meta: Meta, label: str | None, move: Move | None = None, grow: int = 0) -> bytes:
    """The tag data without AIGC keys, plus ``label``; absolute positions moved, ``filesize`` grown."""
    body = meta.body
    parts: list[bytes] = []
    for pair in meta.pairs:
        if pair.key.upper() == "AIGC":
            continue
        key = body[pair.start : pair.value]
        name = pair.key.lower()
        if name == "keyframes" and move is not None:
            parts.append(key + _keyframes(meta, pair, move))
        elif name in POSITION_KEYS and body[pair.value] == 0 and move is not None:
            (value,) = struct.unpack_from(">d", body, pair.value + 1)
            parts.append(key + b"\x00" + struct.pack(">d", move(value)))
        elif name == "filesize" and body[pair.value] == 0 and grow:
            (value,) = struct.unpack_from(">d", body, pair.value + 1)
            parts.append(key + b"\x00" + struct.pack(">d", value + grow))
        else:
            parts.append(body[pair.start : pair.end])
    if label is not None:
        parts.append(amf_key("AIGC") + amf_string(label))
    head = body[: meta.name_end] + bytes([meta.marker])
    if meta.marker == 8:
        head += struct.pack(">I", len(parts))
    return head + b"".join(parts) + b"\x00\x00\x09" + body[meta.value_end :]


def tag_bytes(header: bytes, data: bytes) -> bytes:
    """A whole tag: the old header (type, timestamp, stream id) with the new size, data, PreviousTagSize."""
    if len(data) > 0xFFFFFF:
        raise UnsupportedFormatError("the onMetaData tag would exceed the FLV tag size limit of 16 MiB")
    return header[:1] + len(data).to_bytes(3, "big") + header[4:11] + data + struct.pack(">I", 11 + len(data))


class FlvContainer(Container):
    name = "flv"
    extensions = (".flv",)
    media_type = "video/x-flv"

    def sniff(self, head: bytes, name: str) -> bool:
        return head[:3] == b"FLV" and len(head) > 3 and head[3] == 1

    def metas(self, src: Source) -> tuple[int, list[Meta]]:
        first, tags = head_tags(src)
        found = [parse_meta(src, tag) for tag in tags if tag.kind == SCRIPT]
        return first, [m for m in found if m is not None]

    def scan(self, src: Source) -> list[Found]:
        out: list[Found] = []
        for meta in self.metas(src)[1]:
            for pair in meta.pairs:
                if pair.key.upper() == "AIGC":
                    value = string_value(meta.body, pair.value)
                    raw = value if value is not None else meta.body[pair.value : pair.end].hex()
                    out.append(found_from_value(self.name, "onMetaData AIGC", raw, offset=meta.tag.offset))
        return out

    def render(self, src: Source, dst: BinaryIO, record: Record) -> list[Finding]:
        first, metas = self.metas(src)
        label = record.to_json()
        if not metas:  # no onMetaData yet: a new script tag first; no absolute position can exist then
            data = amf_string("onMetaData") + b"\x08" + struct.pack(">I", 1) + amf_key("AIGC")
            data += amf_string(label) + b"\x00\x00\x09"
            new = tag_bytes(bytes([SCRIPT]) + b"\x00" * 10, data)
            apply_edits(src, dst, [(first, first, new)])
            return []
        targets = [(m, label if i == 0 else None) for i, m in enumerate(metas)]
        targets = [
            (m, v) for m, v in targets if v is not None or any(p.key.upper() == "AIGC" for p in m.pairs)
        ]
        # Sizes first (moving positions never changes a length), then the bytes with positions moved.
        deltas = [(m.tag.end, len(rebuild(m, v)) + 15 - (m.tag.end - m.tag.offset)) for m, v in targets]
        grow = sum(d for _, d in deltas)

        def move(value: float) -> float:
            return value + sum(d for end, d in deltas if end <= value)

        edits: list[Edit] = []
        for meta, value in targets:
            try:
                edits.append(
                    (meta.tag.offset, meta.tag.end, tag_bytes(meta.header, rebuild(meta, value, move, grow)))
                )
            except UnsupportedFormatError as exc:  # name the file and the tag
                raise UnsupportedFormatError(exc.detail, path=src.path, offset=meta.tag.offset) from exc
        apply_edits(src, dst, edits)
        return []


CONTAINERS: tuple[Container, ...] = (FlvContainer(),)
