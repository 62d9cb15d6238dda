"""RIFF: WAV (top-level ``AIGC`` chunk, RF64 / BW64 included) and AVI (``LIST/INFO`` sub-chunk ``AIGC``), reference §2.7.

WAV labels are written as a top-level chunk ``AIGC`` holding the bare JSON (TC260-PG-202510A); copies in
``LIST/INFO/AIGC`` (gtkit writes one "to reduce risk") and ``TXXX:AIGC`` in an ``id3 `` chunk are read too, and
removed on write so the file keeps one label. AVI labels go into ``LIST/INFO`` (TC260-PG-20257A; stock ffmpeg cannot
write that id).

Both are written by hand, as a list of byte edits over the source, because a remux would copy (and could change) the
media and ffmpeg cannot write the AVI id at all. The AVI writer keeps every absolute offset stable: the new INFO list
is grown into the ``JUNK`` padding that muxers leave before ``movi``; only when there is no room are the bytes
shifted, and then the OpenDML indexes (``indx`` super-index, ``ix##`` base offsets) and an absolute ``idx1`` are
fixed too. ``idx1`` offsets relative to ``movi`` stay valid because ``movi`` moves as a whole.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import BinaryIO

from hegui.errors import LimitExceededError
from hegui.label.containers.base import Container, Found, Source, c2pa_warning, found_from_value
from hegui.label.record import Finding, Record

LABEL_ID = b"AIGC"
MAX_CHUNKS = 100_000  # per list; a hostile file of millions of empty chunks is refused
MAX_META = 16 * 1024 * 1024  # a metadata chunk (INFO, id3, AIGC, indx) larger than this is refused
MAX_DEPTH = 8
FILLER_SLACK = (
    1024  # JUNK left after a new INFO list when bytes must shift, so the next rewrite fits in place
)


@dataclass(frozen=True)
class Chunk:
    offset: int  # of the chunk id
    cid: bytes
    size: int  # data size (real size for RF64 chunks whose header says 0xFFFFFFFF)
    declared: int  # what the 32-bit size field says
    form: bytes = b""  # list type of RIFF / LIST chunks

    @property
    def data_offset(self) -> int:
        return self.offset + 8

    @property
    def end(self) -> int:  # including the pad byte
        return self.offset + 8 + self.size + (self.size & 1)


def walk(
    src: Source, start: int, end: int, *, what: str, sizes: dict[bytes, int] | None = None
) -> list[Chunk]:
    """The chunks in ``[start, end)``, bounds-checked; a missing pad byte at the very end is tolerated."""
    chunks: list[Chunk] = []
    offset = start
    while offset + 8 <= end:
        if len(chunks) >= MAX_CHUNKS:
            raise LimitExceededError(f"more than {MAX_CHUNKS} chunks in {what}", path=src.path, offset=offset)
        cid, declared = struct.unpack("<4sI", src.read_at(offset, 8, what="chunk header"))
        size = declared
        if sizes is not None and declared == 0xFFFFFFFF and cid in sizes:
            size = sizes[cid]  # RF64: the real size lives in ds64
        elif cid == b"data" and declared in (0, 0xFFFFFFFF) and offset + 8 + declared != end:
            size = end - offset - 8  # streamed WAV: the data runs to the end
        if offset + 8 + size > end:
            raise src.error(
                f"{cid!r} chunk of {size} bytes runs past the end of {what} (ends at byte {end})", offset
            )
        form = b""
        if cid in (b"LIST", b"RIFF") and size >= 4:
            form = src.read_at(offset + 8, 4, what="list type")
        chunks.append(Chunk(offset, cid, size, declared, form))
        offset += 8 + size + (size & 1)
    if offset < end and end - offset < 8 and any(src.read_at(offset, end - offset)):
        raise src.error(f"{end - offset} stray bytes at the end of {what}", offset)
    return chunks


def info_items(src: Source, chunk: Chunk) -> list[Chunk]:
    return walk(src, chunk.data_offset + 4, chunk.data_offset + chunk.size, what="LIST INFO")


def decode_text(data: bytes) -> str:
    text = data.split(b"\x00", 1)[0] if b"\x00" in data.rstrip(b"\x00") else data.rstrip(b"\x00")
    return text.decode("utf-8", errors="replace")


def read_meta(src: Source, chunk: Chunk) -> bytes:
    if chunk.size > MAX_META:
        raise LimitExceededError(
            f"{chunk.cid!r} chunk of {chunk.size} bytes is over the {MAX_META}-byte limit",
            path=src.path,
            offset=chunk.offset,
        )
    return src.read_at(chunk.data_offset, chunk.size, what=f"{chunk.cid!r} chunk")


def make_chunk(cid: bytes, data: bytes) -> bytes:
    return cid + struct.pack("<I", len(data)) + data + (b"\x00" if len(data) & 1 else b"")


def junk(total: int) -> bytes:
    """A JUNK chunk of exactly ``total`` bytes (``total`` even and at least 8)."""
    return b"JUNK" + struct.pack("<I", total - 8) + b"\x00" * (total - 8)


# --------------------------------------------------------------------------------------------------------------
# A minimal ID3v2 TXXX reader for WAV ``id3 `` chunks (the full MP3 module lives in id3.py)


def _unsync(data: bytes) -> bytes:
    return data.replace(b"\xff\x00", b"\xff")


def _syncsafe(data: bytes) -> int:
    return (data[0] << 21) | (data[1] << 14) | (data[2] << 7) | data[3]


def _id3_text(enc: int, data: bytes) -> tuple[str, bytes]:
    """(description, rest) of a TXXX body after its encoding byte."""
    if enc in (1, 2):
        for i in range(0, len(data) - 1, 2):
            if data[i : i + 2] == b"\x00\x00":
                codec = "utf-16" if enc == 1 else "utf-16-be"
                return data[:i].decode(codec, errors="replace"), data[i + 2 :]
        return data.decode("utf-16" if enc == 1 else "utf-16-be", errors="replace"), b""
    head, _, rest = data.partition(b"\x00")
    return head.decode("latin-1" if enc == 0 else "utf-8", errors="replace"), rest


def _id3_value(enc: int, data: bytes) -> str:
    codec = {0: "latin-1", 1: "utf-16", 2: "utf-16-be"}.get(enc, "utf-8")
    if enc in (1, 2) and len(data) & 1:
        data = data[:-1]
    return data.decode(codec, errors="replace").rstrip("\x00")


@dataclass(frozen=True)
class Id3Frame:
    start: int  # offset within the (de-unsynchronised) tag body
    end: int
    label: str | None  # the AIGC value, for TXXX:AIGC frames


def parse_id3(tag: bytes, src: Source, offset: int) -> tuple[int, bytes, list[Id3Frame]]:
    """(version, frame area, frames) of an ID3v2 tag; damaged frame areas end the walk, like real players."""
    if len(tag) < 10 or tag[:3] != b"ID3":
        raise src.error("id3 chunk does not start with an ID3v2 header", offset)
    version, flags = tag[3], tag[5]
    if version not in (2, 3, 4) or any(b & 0x80 for b in tag[6:10]):
        raise src.error(f"unsupported or corrupt ID3v2 header (version 2.{version})", offset)
    size = _syncsafe(tag[6:10])
    body = tag[10 : 10 + size]
    if flags & 0x80 and version < 4:
        body = _unsync(body)
    pos = 0
    if flags & 0x40 and version > 2 and len(body) >= 4:
        ext = struct.unpack(">I", body[:4])[0] + 4 if version == 3 else _syncsafe(body[:4])
        pos = min(ext, len(body))
    id_len, head_len = (3, 6) if version == 2 else (4, 10)
    frames: list[Id3Frame] = []
    while pos + head_len <= len(body) and body[pos] != 0:
        fid = body[pos : pos + id_len]
        if version == 2:
            fsize = int.from_bytes(body[pos + 3 : pos + 6], "big")
            fflags = 0
        else:
            raw = body[pos + 4 : pos + 8]
            fsize = _syncsafe(raw) if version == 4 else struct.unpack(">I", raw)[0]
            fflags = struct.unpack(">H", body[pos + 8 : pos + 10])[0]
        end = pos + head_len + fsize
        if end > len(body):
            break
        label = None
        if fid in (b"TXXX", b"TXX") and fsize >= 1:
            data = body[pos + head_len : end]
            if version == 4 and fflags & 0x0001 and len(data) >= 4:
                data = data[4:]  # data length indicator
            if version == 4 and fflags & 0x0002:
                data = _unsync(data)
            if not fflags & 0x00CC or version != 4:  # skip compressed / encrypted frames
                desc, value = _id3_text(data[0], data[1:])
                if desc.upper() == "AIGC":
                    label = _id3_value(data[0], value)
        frames.append(Id3Frame(pos, end, label))
        pos = end
    return version, body, frames


def id3_without_label(tag: bytes, src: Source, offset: int) -> bytes:
    """The tag with its TXXX:AIGC frames removed, padded to its old length (other frames kept byte for byte)."""
    version, body, frames = parse_id3(tag, src, offset)
    kept = b"".join(body[f.start : f.end] for f in frames if f.label is None)
    total = max(len(tag) - 10, len(kept))
    header = b"ID3" + bytes(
        [version, tag[4], tag[5] & 0x20]
    )  # unsync undone; extended header, footer dropped
    size = total
    return (
        header
        + bytes([(size >> 21) & 0x7F, (size >> 14) & 0x7F, (size >> 7) & 0x7F, size & 0x7F])
        + kept
        + b"\x00" * (total - len(kept))
    )


# --------------------------------------------------------------------------------------------------------------
# Edits: a writer describes its output as byte edits over the source, applied while streaming


Edit = tuple[int, int, bytes]  # replace source bytes [start, end) with these bytes


def apply_edits(src: Source, dst: BinaryIO, edits: list[Edit]) -> None:
    edits = sorted(edits, key=lambda e: (e[0], e[1]))
    pos = 0
    for start, end, data in edits:
        end = min(end, src.size)  # a last chunk without its pad byte
        if start < pos:
            raise src.error("internal error: overlapping edits", start)
        src.copy_to(dst, pos, start - pos)
        dst.write(data)
        pos = end
    src.copy_to(dst, pos, src.size - pos)


def shift_of(edits: list[Edit]) -> int:
    return sum(len(data) - (end - start) for start, end, data in edits)


# --------------------------------------------------------------------------------------------------------------
# Containers


@dataclass
class Riff:
    """One top-level RIFF / RF64 chunk and its children."""

    offset: int
    magic: bytes  # RIFF | RF64
    form: bytes  # WAVE | AVI  | AVIX
    end: int  # end of its data (clamped to the file)
    children: list[Chunk]
    ds64: Chunk | None = None


def parse_riffs(src: Source, forms: tuple[bytes, ...]) -> list[Riff]:
    """Every top-level RIFF chunk of the file (AVI: ``AVI `` then ``AVIX`` extensions)."""
    riffs: list[Riff] = []
    offset = 0
    while offset + 12 <= src.size:
        magic, declared, form = struct.unpack("<4sI4s", src.read_at(offset, 12, what="RIFF header"))
        if magic not in (b"RIFF", b"RF64", b"BW64") or (not riffs and form not in forms):
            if riffs:
                break  # trailing bytes after the last RIFF are copied as they are
            raise src.error(f"not a {'/'.join(f.decode() for f in forms)} RIFF file", offset)
        size = declared
        ds64: Chunk | None = None
        sizes: dict[bytes, int] = {}
        if magic in (b"RF64", b"BW64"):
            cid, dsize = struct.unpack("<4sI", src.read_at(offset + 12, 8, what="ds64 header"))
            if cid != b"ds64" or dsize < 28:
                raise src.error("RF64 file without a ds64 chunk", offset + 12)
            ds64 = Chunk(offset + 12, cid, dsize, dsize)
            data = read_meta(src, ds64)
            size, data_size, _, count = struct.unpack("<QQQI", data[:28])
            sizes[b"data"] = data_size
            for i in range(min(count, (len(data) - 28) // 12)):
                cid, csize = struct.unpack("<4sQ", data[28 + 12 * i : 40 + 12 * i])
                sizes[cid] = csize
        streamed = size in (0, 0xFFFFFFFF) and ds64 is None  # written to a pipe: the size was never filled in
        end = min(offset + 8 + size, src.size) if not streamed else src.size
        children = walk(src, offset + 12, end, what=f"RIFF {form.decode('latin-1')}", sizes=sizes)
        # Every chunk whole, but the RIFF runs past the end of the file: cut off at a chunk boundary. Refused, not
        # labeled with a new RIFF size that would hide the truncation (a missing last pad byte is tolerated).
        if not streamed and offset + 8 + size > src.size + 1:
            raise src.error(
                f"truncated {form.decode('latin-1').strip()} file: the RIFF header declares {offset + 8 + size} "
                f"bytes, the file has {src.size}",
                offset + 4,
            )
        riffs.append(Riff(offset, magic, form, end, children, ds64))
        offset = end + ((end - offset) & 1)
        if form == b"WAVE":
            break
    if not riffs:
        raise src.error(f"not a {'/'.join(f.decode() for f in forms)} RIFF file (too short)", 0)
    return riffs


class RiffContainer(Container):
    forms: tuple[bytes, ...] = ()
    #: AVI keeps every absolute offset, so removed carriers become JUNK of the same length
    keep_length = False

    def sniff(self, head: bytes, name: str) -> bool:
        return head[:4] in (b"RIFF", b"RF64", b"BW64") and head[8:12] in self.forms

    def labels(self, src: Source, riffs: list[Riff]) -> list[tuple[Found, Chunk, Chunk | None]]:
        """(label, carrier chunk, sub-chunk) for every label in the file."""
        out: list[tuple[Found, Chunk, Chunk | None]] = []
        for riff in riffs:
            for chunk in riff.children:
                if chunk.cid == LABEL_ID:
                    text = decode_text(read_meta(src, chunk))
                    out.append(
                        (
                            found_from_value(self.name, "RIFF AIGC chunk", text, offset=chunk.offset),
                            chunk,
                            None,
                        )
                    )
                elif chunk.cid == b"LIST" and chunk.form == b"INFO":
                    for item in info_items(src, chunk):
                        if item.cid == LABEL_ID:
                            text = decode_text(read_meta(src, item))
                            found = found_from_value(self.name, "LIST/INFO AIGC", text, offset=item.offset)
                            out.append((found, chunk, item))
                elif chunk.cid in (b"id3 ", b"ID3 "):
                    tag = read_meta(src, chunk)
                    for frame in parse_id3(tag, src, chunk.offset)[2]:
                        if frame.label is not None:
                            where = f"{chunk.cid.decode().strip()} chunk TXXX:AIGC"
                            out.append(
                                (
                                    found_from_value(self.name, where, frame.label, offset=chunk.offset),
                                    chunk,
                                    None,
                                )
                            )
        return out

    def scan(self, src: Source) -> list[Found]:
        return [item[0] for item in self.labels(src, parse_riffs(src, self.forms))]

    def file_findings(self, src: Source, labels: list[Found]) -> list[Finding]:
        return self.c2pa(src, parse_riffs(src, self.forms))

    @staticmethod
    def c2pa(src: Source, riffs: list[Riff]) -> list[Finding]:
        """A C2PA manifest (RIFF chunk ``C2PA``) whose hard binding the new label breaks."""
        return [c2pa_warning()] if any(c.cid == b"C2PA" for r in riffs for c in r.children) else []

    def removal_edits(self, src: Source, riffs: list[Riff], keep: Chunk | None) -> list[Edit]:
        """Edits that take every existing label out (except from ``keep``, which the caller rewrites)."""
        edits: list[Edit] = []
        done: set[int] = set()
        for _, chunk, _item in self.labels(src, riffs):
            if chunk.offset in done or (keep is not None and chunk.offset == keep.offset):
                continue
            done.add(chunk.offset)
            end = min(chunk.end, src.size)  # a last chunk may lack its pad byte
            if chunk.cid == LABEL_ID:
                edits.append((chunk.offset, end, junk(end - chunk.offset) if self.keep_length else b""))
            elif chunk.cid == b"LIST":
                info = info_without_label(src, chunk, keep_length=self.keep_length)
                if not self.keep_length and len(info) == 12:
                    info = b""  # nothing left in the INFO list
                edits.append((chunk.offset, end, info))
            else:
                tag = id3_without_label(read_meta(src, chunk), src, chunk.offset)
                edits.append((chunk.offset, end, make_chunk(chunk.cid, tag)))
        return edits


def info_without_label(src: Source, chunk: Chunk, *, keep_length: bool, extra: bytes = b"") -> bytes:
    """The INFO list without AIGC items (plus ``extra``); with ``keep_length`` a JUNK chunk fills the gap."""
    body = b"INFO" + b"".join(
        src.read_at(item.offset, item.end - item.offset)
        for item in info_items(src, chunk)
        if item.cid != LABEL_ID
    )
    new = make_chunk(b"LIST", body + extra)
    if keep_length:
        gap = min(chunk.end, src.size) - chunk.offset - len(new)
        if gap:
            new += junk(gap)  # removed items are >= 8 bytes each, so the gap fits a JUNK header
    return new


def label_chunk(record: Record) -> bytes:
    return make_chunk(LABEL_ID, record.to_json().encode("utf-8"))


class WavContainer(RiffContainer):
    name = "wav"
    extensions = (".wav", ".wave", ".bwf", ".rf64")
    media_type = "audio/wav"
    forms = (b"WAVE",)

    def render(self, src: Source, dst: BinaryIO, record: Record) -> list[Finding]:
        riff = parse_riffs(src, self.forms)[0]
        if not any(c.cid == b"data" for c in riff.children):
            raise src.error("truncated WAV: no data chunk (the audio is missing); refused", riff.offset)
        edits = self.removal_edits(src, [riff], None)
        last = riff.children[-1] if riff.children else None
        insert = riff.end
        new = label_chunk(record)
        if (
            last is not None
            and last.size & 1
            and last.end > riff.end
            and all(e[0] != last.offset for e in edits)
        ):
            new = b"\x00" + new  # the last chunk lacked its pad byte
        edits.append((insert, insert, new))
        for chunk in riff.children:
            if chunk.cid == b"data" and riff.magic == b"RIFF" and chunk.declared != chunk.size:
                edits.append((chunk.offset + 4, chunk.offset + 8, struct.pack("<I", chunk.size)))
        new_size = riff.end - riff.offset - 8 + shift_of(edits)
        if riff.ds64 is not None:
            edits.append((riff.offset + 4, riff.offset + 8, b"\xff\xff\xff\xff"))
            edits.append((riff.ds64.data_offset, riff.ds64.data_offset + 8, struct.pack("<Q", new_size)))
        elif new_size > 0xFFFFFFFF:
            raise LimitExceededError(
                "the labeled WAV would exceed 4 GiB; convert it to RF64 first (e.g. ffmpeg -rf64 auto)",
                path=src.path,
            )
        else:
            edits.append((riff.offset + 4, riff.offset + 8, struct.pack("<I", new_size)))
        apply_edits(src, dst, edits)
        return self.c2pa(src, [riff])


class AviContainer(RiffContainer):
    name = "avi"
    extensions = (".avi",)
    media_type = "video/x-msvideo"
    forms = (b"AVI ",)
    keep_length = True

    def render(self, src: Source, dst: BinaryIO, record: Record) -> list[Finding]:
        riffs = parse_riffs(src, (b"AVI ", b"AVIX"))
        first = riffs[0]
        children = first.children
        if not any(c.cid == b"LIST" and c.form == b"movi" for c in children):
            raise src.error("truncated AVI: no movi list (the media data is missing); refused", first.offset)
        movi = next(
            (i for i, c in enumerate(children) if c.cid == b"LIST" and c.form == b"movi"), len(children)
        )
        target = next(
            (i for i, c in enumerate(children[:movi]) if c.cid == b"LIST" and c.form == b"INFO"), None
        )
        item = make_chunk(LABEL_ID, record.to_json().encode("utf-8") + b"\x00")
        # The region the new INFO list may occupy: the old INFO plus the JUNK right after it, or the JUNK run
        # right before movi (after hdrl), or nothing (insert before movi).
        if target is not None:
            start_i = end_i = target
            while start_i > 0 and children[start_i - 1].cid == b"JUNK":
                start_i -= 1  # JUNK right before the INFO list is room too
            info = info_without_label(src, children[target], keep_length=False, extra=item)
        else:
            start_i = end_i = movi
            while start_i > 0 and children[start_i - 1].cid == b"JUNK":
                start_i -= 1
            end_i = start_i - 1 if start_i == movi else movi - 1
            info = make_chunk(b"LIST", b"INFO" + item)
        while end_i + 1 < len(children) and end_i + 1 < movi and children[end_i + 1].cid == b"JUNK":
            end_i += 1
        region_start = children[start_i].offset if start_i < len(children) else first.end
        region_end = min(children[end_i].end, src.size) if end_i >= start_i else region_start
        space = region_end - region_start
        if space == len(info) or space - len(info) >= 8:
            region = info + (junk(space - len(info)) if space > len(info) else b"")
        else:
            region = info + junk(8 + FILLER_SLACK)
        edits: list[Edit] = [(region_start, region_end, region)]
        edits += self.removal_edits(src, riffs, children[target] if target is not None else None)
        delta = shift_of(edits)
        if delta:
            edits += self.offset_fixes(src, riffs, region_start, delta)
        new_size = first.end - first.offset - 8 + delta
        if new_size > 0xFFFFFFFF:
            raise LimitExceededError("the first RIFF of the AVI would exceed 4 GiB", path=src.path)
        edits.append((first.offset + 4, first.offset + 8, struct.pack("<I", new_size)))
        apply_edits(src, dst, edits)
        return self.c2pa(src, riffs)

    def offset_fixes(self, src: Source, riffs: list[Riff], at: int, delta: int) -> list[Edit]:
        """Patches for the absolute offsets that point past ``at``: OpenDML indexes and an absolute idx1."""
        edits: list[Edit] = []
        first = riffs[0]
        movi = next((c for c in first.children if c.cid == b"LIST" and c.form == b"movi"), None)
        for chunk in first.children:
            if chunk.cid == b"idx1" and movi is not None and chunk.size >= 16:
                data = read_meta(src, chunk)
                ckid, _, off, _ = struct.unpack("<4sIII", data[:16])
                relative = (
                    movi.data_offset + off + 4 <= src.size and src.read_at(movi.data_offset + off, 4) == ckid
                )
                if not relative and off >= at:
                    out = bytearray(data)
                    for i in range(0, len(data) - 15, 16):
                        (value,) = struct.unpack_from("<I", data, i + 8)
                        if value >= at:
                            struct.pack_into("<I", out, i + 8, value + delta)
                    edits.append((chunk.data_offset, chunk.data_offset + len(data), bytes(out)))
        hdrl = next((c for c in first.children if c.cid == b"LIST" and c.form == b"hdrl"), None)
        if hdrl is None:
            return edits
        patched: set[int] = set()
        for strl in walk(src, hdrl.data_offset + 4, hdrl.data_offset + hdrl.size, what="hdrl"):
            if strl.cid != b"LIST" or strl.form != b"strl":
                continue
            for indx in walk(src, strl.data_offset + 4, strl.data_offset + strl.size, what="strl"):
                if indx.cid != b"indx" or indx.size < 24:
                    continue
                data = read_meta(src, indx)
                longs, _sub, kind, count = struct.unpack("<HBBI", data[:8])
                if kind == 0 and longs == 4:  # super index: qwOffset, dwSize, dwDuration
                    out = bytearray(data)
                    for i in range(min(count, (len(data) - 24) // 16)):
                        (qw,) = struct.unpack_from("<Q", data, 24 + 16 * i)
                        if qw >= at:
                            struct.pack_into("<Q", out, 24 + 16 * i, qw + delta)
                        if qw and qw not in patched:
                            patched.add(qw)
                            edits += self._fix_std_index(src, qw, at, delta)
                    edits.append((indx.data_offset, indx.data_offset + len(data), bytes(out)))
                elif kind == 1:
                    edits += self._fix_std_index(src, indx.offset, at, delta)
        return edits

    def _fix_std_index(self, src: Source, offset: int, at: int, delta: int) -> list[Edit]:
        """A standard index (``ix##``) chunk: shift its absolute qwBaseOffset."""
        head = src.read_at(offset, 32, what="OpenDML standard index")
        kind = head[11]
        (base,) = struct.unpack_from("<Q", head, 20)
        if kind != 1:
            raise src.error("OpenDML super index points to something that is not a standard index", offset)
        if base < at:
            return []
        return [(offset + 20, offset + 28, struct.pack("<Q", base + delta))]


CONTAINERS: tuple[Container, ...] = (WavContainer(), AviContainer())
