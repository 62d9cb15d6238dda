"""Matroska and WebM: ``Segment/Tags/Tag/SimpleTag`` with ``TagName`` AIGC and the JSON in ``TagString``
(TC260-PG-20257A, reference §2.7; what ``ffmpeg -metadata AIGC=...`` writes).

Written by hand, as byte edits, because a remux rewrites every cluster. Nothing before the clusters moves (Cues and
SeekHead positions are relative to the Segment data start): the new Tags element replaces the old one in place when
it fits together with the ``Void`` elements after it, or goes into a large enough ``Void``; otherwise the old Tags
becomes a ``Void`` of the same length and the new one is appended at the end of the Segment, with the SeekHead entry
pointed at it and the Segment size updated (an unknown size stays unknown). CRC-32 elements of rewritten masters are
recomputed. Clusters are copied byte for byte.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from typing import BinaryIO

from hegui.errors import LimitExceededError, UnsupportedFormatError
from hegui.label.containers.base import Container, Found, Source, found_from_value
from hegui.label.containers.riff import Edit, apply_edits, shift_of
from hegui.label.record import Finding, Record

EBML = 0x1A45DFA3
DOCTYPE = 0x4282
SEGMENT = 0x18538067
SEEKHEAD, SEEK, SEEK_ID, SEEK_POSITION = 0x114D9B74, 0x4DBB, 0x53AB, 0x53AC
TAGS, TAG, TARGETS, TARGET_TYPE_VALUE = 0x1254C367, 0x7373, 0x63C0, 0x68CA
TARGET_UIDS = (0x63C5, 0x63C9, 0x63C4, 0x63C6)
SIMPLE_TAG, TAG_NAME, TAG_STRING = 0x67C8, 0x45A3, 0x4487
CLUSTER, VOID, CRC32 = 0x1F43B675, 0xEC, 0xBF
LEVEL1 = {SEEKHEAD, 0x1549A966, 0x1654AE6B, TAGS, CLUSTER, 0x1C53BB6B, 0x1043A770, 0x1941A469, VOID, CRC32}
UNKNOWN = -1
MAX_CHILDREN = 200_000
MAX_DEPTH = 16
MAX_META = 16 * 1024 * 1024


@dataclass(frozen=True)
class Element:
    eid: int
    offset: int
    header: int  # bytes of id + size
    size: int  # UNKNOWN (-1) for unknown-size elements

    @property
    def data_offset(self) -> int:
        return self.offset + self.header

    @property
    def end(self) -> int:
        return self.data_offset + self.size


def read_element(src: Source, offset: int, limit: int) -> Element:
    """The element header at ``offset``; ``limit`` is where the parent ends."""
    head = src.read_at(offset, min(12, limit - offset), what="EBML element header")
    first = head[0] if head else 0
    if first == 0 or first & 0xF0 == 0:
        raise src.error(f"invalid EBML element id byte 0x{first:02x}", offset)
    id_len = 1 + (first < 0x80) + (first < 0x40) + (first < 0x20)
    if len(head) <= id_len:
        raise src.error("EBML element header runs past its parent", offset)
    eid = int.from_bytes(head[:id_len], "big")
    lead = head[id_len]
    if lead == 0:
        raise src.error("invalid EBML size (more than 8 bytes)", offset + id_len)
    size_len = 9 - lead.bit_length()
    if len(head) < id_len + size_len:
        raise src.error("EBML element header runs past its parent", offset)
    raw = head[id_len : id_len + size_len]
    value = int.from_bytes(raw, "big") & ((1 << (7 * size_len)) - 1)
    size = UNKNOWN if value == (1 << (7 * size_len)) - 1 else value
    element = Element(eid, offset, id_len + size_len, size)
    if size != UNKNOWN and element.end > limit:
        raise src.error(
            f"EBML element 0x{eid:X} of {size} bytes runs past its parent (ends at {limit})", offset
        )
    return element


def children(src: Source, start: int, end: int) -> list[Element]:
    """Child elements in ``[start, end)`` (inside metadata masters, where unknown sizes are not allowed)."""
    out: list[Element] = []
    pos = start
    while pos < end:
        if len(out) >= MAX_CHILDREN:
            raise LimitExceededError(f"more than {MAX_CHILDREN} EBML elements", path=src.path, offset=pos)
        element = read_element(src, pos, end)
        if element.size == UNKNOWN:
            raise src.error(f"unknown-size element 0x{element.eid:X} where only known sizes are allowed", pos)
        out.append(element)
        pos = element.end
    return out


def vint(value: int, length: int | None = None) -> bytes:
    """EBML size of ``value`` (smallest length, or exactly ``length`` bytes)."""
    need = 1
    while value >= (1 << (7 * need)) - 1:
        need += 1
    length = max(need, length or 0)
    if length > 8:
        raise UnsupportedFormatError(f"EBML size {value} does not fit in 8 bytes")
    return ((1 << (7 * length)) | value).to_bytes(length, "big")


def element(eid: int, payload: bytes, size_len: int | None = None) -> bytes:
    return eid.to_bytes((eid.bit_length() + 7) // 8, "big") + vint(len(payload), size_len) + payload


def void(total: int) -> bytes:
    """A Void element of exactly ``total`` bytes (``total`` 0 or at least 2)."""
    if total == 0:
        return b""
    if total - 2 <= 126:
        return b"\xec" + vint(total - 2, 1) + b"\x00" * (total - 2)
    return b"\xec" + vint(total - 9, 8) + b"\x00" * (total - 9)


def fit(eid: int, payload: bytes, space: int) -> bytes | None:
    """The element padded with a Void to exactly ``space`` bytes, or None when it does not fit."""
    for size_len in range(len(vint(len(payload))), 9):
        data = element(eid, payload, size_len)
        rest = space - len(data)
        if rest == 0 or rest >= 2:
            return data + void(rest)
        if rest < 0:
            return None
    return None


def uint(data: bytes) -> int:
    return int.from_bytes(data[:8], "big")


def with_crc(had_crc: bool, body: bytes) -> bytes:
    if not had_crc:
        return body
    return element(CRC32, struct.pack("<I", zlib.crc32(body) & 0xFFFFFFFF)) + body


@dataclass
class Layout:
    doctype: str
    segment: Element  # size = real span (to end of file for unknown size)
    segment_unknown: bool
    top: list[Element]  # level-1 elements, in file order (SeekHead targets appended when not walked)


def parse(src: Source, *, full: bool) -> Layout:
    """EBML header and Segment children: walked up to the first Cluster, then via the SeekHead (``full`` walks
    every level-1 element of known size, for writing)."""
    head = read_element(src, 0, src.size)
    if head.eid != EBML or head.size == UNKNOWN:
        raise src.error("not a Matroska / WebM file (no EBML header)", 0)
    doctype = "matroska"
    for child in children(src, head.data_offset, head.end):
        if child.eid == DOCTYPE and child.size <= 64:
            doctype = src.read_at(child.data_offset, child.size).rstrip(b"\x00").decode("ascii", "replace")
    pos = head.end
    while True:
        seg = read_element(src, pos, src.size)
        if seg.eid == SEGMENT:
            break
        if seg.eid != VOID or seg.size == UNKNOWN:
            raise src.error(f"expected a Segment element, found 0x{seg.eid:X}", pos)
        pos = seg.end
    unknown = seg.size == UNKNOWN
    if unknown:
        seg = Element(SEGMENT, seg.offset, seg.header, src.size - seg.data_offset)
    top: list[Element] = []
    pos = seg.data_offset
    seen_cluster = False
    while pos < seg.end:
        if len(top) >= MAX_CHILDREN:
            raise LimitExceededError(f"more than {MAX_CHILDREN} Segment children", path=src.path, offset=pos)
        item = read_element(src, pos, seg.end)
        if item.size == UNKNOWN:
            if item.eid != CLUSTER:
                raise src.error(f"unknown-size element 0x{item.eid:X} outside a Cluster", pos)
            top.append(item)
            break  # a live stream: what follows is only reachable through the SeekHead
        top.append(item)
        if item.eid == CLUSTER:
            if not seen_cluster and not full and any(e.eid == SEEKHEAD for e in top):
                break
            seen_cluster = True
        pos = item.end
    # Follow SeekHead entries to level-1 elements not walked yet (Tags after the clusters, further SeekHeads).
    walked = {e.offset for e in top}
    queue = [e for e in top if e.eid == SEEKHEAD]
    hops = 0
    while queue and hops < 64:
        hops += 1
        for eid, position, _ in seek_entries(src, queue.pop(0)):
            target = seg.data_offset + position
            if eid not in (TAGS, SEEKHEAD) or target in walked or target >= seg.end:
                continue
            item = read_element(src, target, seg.end)
            if item.eid != eid or item.size == UNKNOWN:
                continue  # a stale entry; players ignore it too
            walked.add(target)
            top.append(item)
            if eid == SEEKHEAD:
                queue.append(item)
    return Layout(doctype, seg, unknown, top)


def seek_entries(src: Source, seekhead: Element) -> list[tuple[int, int, Element]]:
    """(target id, position, Seek element) of each SeekHead entry."""
    out: list[tuple[int, int, Element]] = []
    for seek in children(src, seekhead.data_offset, seekhead.end):
        if seek.eid != SEEK:
            continue
        eid = position = None
        for part in children(src, seek.data_offset, seek.end):
            if part.eid == SEEK_ID and part.size <= 4:
                eid = uint(src.read_at(part.data_offset, part.size))
            elif part.eid == SEEK_POSITION and part.size <= 8:
                position = uint(src.read_at(part.data_offset, part.size))
        if eid is not None and position is not None:
            out.append((eid, position, seek))
    return out


def simple_tags(src: Source, start: int, end: int, depth: int = 0) -> list[tuple[Element, str | None, str]]:
    """(SimpleTag element, TagName, TagString) for each SimpleTag, nested ones included."""
    if depth > MAX_DEPTH:
        raise LimitExceededError("SimpleTag elements nested too deep", path=src.path, offset=start)
    out: list[tuple[Element, str | None, str]] = []
    for item in children(src, start, end):
        if item.eid != SIMPLE_TAG:
            continue
        name, value = None, ""
        for part in children(src, item.data_offset, item.end):
            if part.eid in (TAG_NAME, TAG_STRING) and part.size > MAX_META:
                raise LimitExceededError("SimpleTag value over the limit", path=src.path, offset=part.offset)
            if part.eid == TAG_NAME:
                name = src.read_at(part.data_offset, part.size).decode("utf-8", "replace").rstrip("\x00")
            elif part.eid == TAG_STRING:
                value = src.read_at(part.data_offset, part.size).decode("utf-8", "replace").rstrip("\x00")
        out.append((item, name, value))
        out.extend(simple_tags(src, item.data_offset, item.end, depth + 1))
    return out


def tag_name(src: Source, simple: Element) -> str | None:
    for part in children(src, simple.data_offset, simple.end):
        if part.eid == TAG_NAME and part.size <= 256:
            return src.read_at(part.data_offset, part.size).decode("utf-8", "replace").rstrip("\x00")
    return None


def without_nested_labels(src: Source, item: Element, depth: int = 0) -> bytes:
    """The element's bytes; a SimpleTag holding nested AIGC SimpleTags is rebuilt without them."""
    raw = src.read_at(item.offset, item.end - item.offset)
    if item.eid != SIMPLE_TAG:
        return raw
    if depth > MAX_DEPTH:
        raise LimitExceededError("SimpleTag elements nested too deep", path=src.path, offset=item.offset)
    parts = children(src, item.data_offset, item.end)
    if not any(p.eid == SIMPLE_TAG for p in parts):
        return raw
    body = b"".join(
        without_nested_labels(src, p, depth + 1)
        for p in parts
        if not (p.eid == SIMPLE_TAG and is_label(tag_name(src, p)))
    )
    return element(SIMPLE_TAG, body)


def is_label(name: str | None) -> bool:
    return name is not None and name.strip().upper() == "AIGC"


class MatroskaContainer(Container):
    name = "matroska"
    extensions = (".mkv", ".mka", ".mks", ".mk3d", ".webm")
    media_type = "video/x-matroska"

    def sniff(self, head: bytes, name: str) -> bool:
        return head.startswith(b"\x1a\x45\xdf\xa3")

    def scan(self, src: Source) -> list[Found]:
        layout = parse(src, full=False)
        found: list[Found] = []
        for tags in (e for e in layout.top if e.eid == TAGS):
            for tag in children(src, tags.data_offset, tags.end):
                if tag.eid != TAG:
                    continue
                for item, name, value in simple_tags(src, tag.data_offset, tag.end):
                    if is_label(name):
                        where = f"{layout.doctype} Tags/Tag/SimpleTag AIGC"
                        found.append(found_from_value(self.name, where, value, offset=item.offset))
        return found

    def _tags_payload(self, src: Source, tags: Element, label: bytes | None) -> bytes:
        """Tags payload without AIGC SimpleTags; ``label`` (a SimpleTag) goes into the global Tag or a new one."""
        parts = children(src, tags.data_offset, tags.end)
        had_crc = bool(parts) and parts[0].eid == CRC32
        body = b""
        for part in parts:
            if part.eid == CRC32:
                continue
            if part.eid != TAG:
                body += src.read_at(part.offset, part.end - part.offset)
                continue
            tag_parts = children(src, part.data_offset, part.end)
            kept = [p for p in tag_parts if not (p.eid == SIMPLE_TAG and is_label(tag_name(src, p)))]
            tag_crc = bool(tag_parts) and tag_parts[0].eid == CRC32
            tag_body = b"".join(without_nested_labels(src, p) for p in kept if p.eid != CRC32)
            has_simple = any(p.eid == SIMPLE_TAG for p in kept)
            if label is not None and self._is_global(src, tag_parts):
                tag_body += label
                label = None
                has_simple = True
            if len(kept) == len(tag_parts) and not has_simple:
                body += src.read_at(part.offset, part.end - part.offset)  # untouched (no SimpleTag at all)
            elif has_simple:
                body += element(TAG, with_crc(tag_crc, tag_body))
        if label is not None:
            body += element(TAG, element(TARGETS, element(TARGET_TYPE_VALUE, b"\x32")) + label)
        return with_crc(had_crc, body)

    @staticmethod
    def _is_global(src: Source, tag_parts: list[Element]) -> bool:
        targets = next((p for p in tag_parts if p.eid == TARGETS), None)
        if targets is None:
            return True
        for part in children(src, targets.data_offset, targets.end):
            if part.eid in TARGET_UIDS:
                return False
            if part.eid == TARGET_TYPE_VALUE and uint(src.read_at(part.data_offset, min(part.size, 8))) != 50:
                return False
        return True

    def render(self, src: Source, dst: BinaryIO, record: Record) -> list[Finding]:
        layout = parse(src, full=True)
        seg, top = layout.segment, layout.top
        data_start = seg.data_offset
        label = element(
            SIMPLE_TAG, element(TAG_NAME, b"AIGC") + element(TAG_STRING, record.to_json().encode("utf-8"))
        )
        all_tags = [e for e in top if e.eid == TAGS]
        main = all_tags[0] if all_tags else None
        edits: list[Edit] = []
        for other in all_tags[1:]:
            if any(is_label(n) for _, n, _ in simple_tags_of(src, other)):
                new = fit(TAGS, self._tags_payload(src, other, None), other.end - other.offset)
                if new is None:  # cannot happen: removing SimpleTags only shrinks
                    raise src.error("cannot rewrite a Tags element in place", other.offset)
                edits.append((other.offset, other.end, new))
        payload = (
            self._tags_payload(src, main, label)
            if main is not None
            else element(TAG, element(TARGETS, element(TARGET_TYPE_VALUE, b"\x32")) + label)
        )
        first_cluster = next((e.offset for e in top if e.eid == CLUSTER), seg.end)
        position: int | None = None  # new Tags offset when it moves
        slot = self._room_after(top, main) if main is not None else None
        new_tags = fit(TAGS, payload, slot[1] - slot[0]) if slot is not None else None
        if new_tags is None and slot is not None and slot[1] == seg.end:
            new_tags = element(TAGS, payload)  # the last element of the Segment grows freely
        if new_tags is not None and slot is not None:
            edits.append((slot[0], slot[1], new_tags))
        else:
            if main is None:
                for v in (e for e in top if e.eid == VOID and e.offset < first_cluster):
                    span = self._room_after(top, v)
                    new_tags = fit(TAGS, payload, span[1] - span[0])
                    if new_tags is not None:
                        edits.append((span[0], span[1], new_tags))
                        position = v.offset
                        break
            else:
                edits.append((main.offset, main.end, void(main.end - main.offset)))
            if position is None:
                new_tags = element(TAGS, payload)
                edits.append((seg.end, seg.end, new_tags))
                position = seg.end
        if position is None and main is not None and main.offset > first_cluster:
            listed = any(
                eid == TAGS and data_start + pos == main.offset
                for head in top
                if head.eid == SEEKHEAD
                for eid, pos, _ in seek_entries(src, head)
            )
            if not listed:  # a Tags element players cannot find: point the SeekHead at it
                position = main.offset
        if position is not None:
            edits += self._seekhead_edits(
                src,
                top,
                main,
                position - data_start,
                data_start,
                required=position > first_cluster,
                taken=edits,
            )
        if not layout.segment_unknown:
            grown = seg.size + shift_of([e for e in edits if seg.data_offset <= e[0] <= seg.end])
            size_len = seg.header - 4
            edits.append((seg.offset + 4, seg.data_offset, vint(grown, size_len)))
            if len(vint(grown, size_len)) != size_len:
                raise UnsupportedFormatError(
                    "the Segment size field is too short for the labeled file; remux once with mkvmerge or ffmpeg",
                    path=src.path,
                )
        apply_edits(src, dst, edits)
        return []

    @staticmethod
    def _room_after(top: list[Element], start: Element) -> tuple[int, int]:
        """The span of ``start`` and the Void elements right after it."""
        end = start.end
        index = top.index(start)
        for item in top[index + 1 :]:
            if item.eid != VOID or item.offset != end:
                break
            end = item.end
        return start.offset, end

    def _seekhead_edits(
        self,
        src: Source,
        top: list[Element],
        old: Element | None,
        position: int,
        data_start: int,
        *,
        required: bool,
        taken: list[Edit],
    ) -> list[Edit]:
        """Point the SeekHead's Tags entry at ``position`` (relative to the Segment data), in place."""
        heads = [e for e in top if e.eid == SEEKHEAD]
        if not heads:
            # No SeekHead: players stop at the first Cluster, so put one into a Void before it when one fits.
            entry = element(
                SEEK,
                element(SEEK_ID, TAGS.to_bytes(4, "big"))
                + element(SEEK_POSITION, position.to_bytes(8, "big")),
            )
            first_cluster = next((e.offset for e in top if e.eid == CLUSTER), None)
            for item in top:
                if not required or item.eid != VOID or first_cluster is None or item.offset > first_cluster:
                    continue
                start, end = self._room_after(top, item)
                if any(a < end and start < b for a, b, _ in taken):
                    continue
                new = fit(SEEKHEAD, entry, end - start)
                if new is not None:
                    return [(start, end, new)]
            return []  # hegui still finds the Tags by walking the level-1 elements
        head = heads[0]
        stale = None if old is None else old.offset - data_start
        entries = seek_entries(src, head)
        tags_entries = {e[2].offset for e in entries if e[0] == TAGS and (e[1] == stale or old is None)}
        valid = {e[2].offset for e in entries}
        parts = children(src, head.data_offset, head.end)
        had_crc = bool(parts) and parts[0].eid == CRC32
        new_entry = element(
            SEEK,
            element(SEEK_ID, TAGS.to_bytes(4, "big")) + element(SEEK_POSITION, position.to_bytes(8, "big")),
        )
        body = b""
        for part in parts:
            if part.eid == CRC32:
                continue
            if part.offset in tags_entries:
                body += new_entry
                new_entry = b""  # one entry is enough
                continue
            if part.offset in valid:  # damaged or unknown children are not carried over
                body += src.read_at(part.offset, part.end - part.offset)
        body += new_entry
        start, end = self._room_after(top, head)
        new = fit(SEEKHEAD, with_crc(had_crc, body), end - start)
        if new is None:
            if not required:
                return []
            raise UnsupportedFormatError(
                "no room to point the SeekHead at the new Tags element (no Void after the SeekHead); "
                "remux once with mkvmerge or ffmpeg, which reserve room",
                path=src.path,
                offset=head.offset,
            )
        return [(start, end, new)]


def simple_tags_of(src: Source, tags: Element) -> list[tuple[Element, str | None, str]]:
    out: list[tuple[Element, str | None, str]] = []
    for tag in children(src, tags.data_offset, tags.end):
        if tag.eid == TAG:
            out.extend(simple_tags(src, tag.data_offset, tag.end))
    return out


CONTAINERS: tuple[Container, ...] = (MatroskaContainer(),)
