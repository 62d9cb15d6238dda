"""The Vorbis comment block shared by FLAC, Ogg Vorbis, Ogg Opus, Ogg FLAC, Ogg Speex and Theora.

Layout (Vorbis I spec §5): ``u32le vendor_length, vendor, u32le count, count x (u32le length, "NAME=value")``, all
little-endian, UTF-8. Field names are case-insensitive ASCII (0x20-0x7D without '='), so ``aigc=`` and ``AIGC=`` are
the same field. The label is the comment ``AIGC=<bare json>`` (reference §2.7, audio). Comments are kept as raw bytes
so that every other comment, and the vendor string, survive a rewrite byte for byte.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

from hegui.errors import InputError, LimitExceededError
from hegui.label.containers.base import Found, found_from_value

FIELD = b"AIGC"
# General-purpose fields that real files use for the wrapped {"AIGC":{...}} form.
GENERAL_FIELDS = (b"COMMENT", b"DESCRIPTION")
MAX_COMMENTS = 1_000_000  # each comment costs at least 4 bytes, so a larger count cannot be honest anyway


@dataclass
class VorbisComment:
    """A parsed comment block: the vendor string, the raw comments, and any bytes after them (framing bit)."""

    vendor: bytes
    comments: list[bytes]
    tail: bytes = b""

    def to_bytes(self) -> bytes:
        out = [struct.pack("<I", len(self.vendor)), self.vendor, struct.pack("<I", len(self.comments))]
        for comment in self.comments:
            out.append(struct.pack("<I", len(comment)))
            out.append(comment)
        out.append(self.tail)
        return b"".join(out)


def parse(data: bytes, base: int, path: Path) -> VorbisComment:
    """Parse a comment block; ``base`` is its file offset, for error messages. The tail is returned untouched."""
    pos = 0

    def error(message: str, offset: int) -> InputError:
        return InputError(message, path=path, offset=offset)

    def take_u32(what: str) -> int:
        nonlocal pos
        if pos + 4 > len(data):
            raise error(f"truncated Vorbis comment block: {what} runs past the end", base + pos)
        (value,) = struct.unpack_from("<I", data, pos)
        pos += 4
        return int(value)

    def take(length: int, what: str) -> bytes:
        nonlocal pos
        if pos + length > len(data):
            raise error(
                f"truncated Vorbis comment block: {what} of {length} bytes runs past the end", base + pos
            )
        value = data[pos : pos + length]
        pos += length
        return value

    vendor = take(take_u32("vendor length"), "vendor string")
    count_at = pos
    count = take_u32("comment count")
    if count > MAX_COMMENTS or count * 4 > len(data) - pos:
        raise LimitExceededError(
            f"Vorbis comment block declares {count} comments, more than its {len(data)} bytes can hold",
            path=path,
            offset=base + count_at,
        )
    comments = [take(take_u32("comment length"), "comment") for _ in range(count)]
    return VorbisComment(vendor, comments, data[pos:])


def field_name(comment: bytes) -> bytes:
    return comment.partition(b"=")[0].upper()


def is_label(comment: bytes) -> bool:
    """An ``AIGC=`` comment, or a general-purpose comment holding the ``{"AIGC":{...}}`` wrapper."""
    name = field_name(comment)
    return name == FIELD or (name in GENERAL_FIELDS and b'"AIGC"' in comment)


def find_labels(container: str, where: str, block: VorbisComment, offset: int | None) -> list[Found]:
    """Every label comment in the block, as :class:`Found` items (values are decoded leniently)."""
    found: list[Found] = []
    for comment in block.comments:
        if is_label(comment):
            name, _, value = comment.partition(b"=")
            text = value.decode("utf-8", errors="replace")
            found.append(
                found_from_value(container, f"{where} {name.decode('ascii', 'replace')}", text, offset=offset)
            )
    return found


def with_label(block: VorbisComment, value: str) -> VorbisComment:
    """A copy holding ``AIGC=value`` where the first label was (or at the end), and no other label comment."""
    new = b"AIGC=" + value.encode("utf-8")
    comments: list[bytes] = []
    placed = False
    for comment in block.comments:
        if is_label(comment):
            if not placed:
                comments.append(new)
                placed = True
            continue
        comments.append(comment)
    if not placed:
        comments.append(new)
    return VorbisComment(block.vendor, comments, block.tail)
