"""PNG reads that skip the IDAT run: the chunks after the last IDAT are found from the file's tail.

A label may legally follow the image data (PNG lets ancillary chunks sit between the last IDAT and IEND), so a read
cannot stop at IDAT; walking every IDAT header costs one read each. ``png._tail_chunks`` reads a bounded window at
the end instead. These tests hold it to the full walk: labels before and after IDAT, look-alike chunks inside image
data (plain and with a forged CRC that ends exactly where IEND begins), truncation, bytes after IEND, and a
hypothesis search over chunk layouts. Writes always walk every chunk.
"""

from __future__ import annotations

import os
import random
import struct
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hegui.errors import InputError
from hegui.label import Record, read, write
from hegui.label import xmp as xmp_module
from hegui.label.containers import png
from hegui.label.containers.base import open_source

from .conftest import PRODUCER, exiftool_aigc

RECORD = Record.new(PRODUCER, produce_id="tail-test")


def chunk(ctype: bytes, body: bytes) -> bytes:
    return png.make_chunk(ctype, body)


def xmp_chunk(record: Record) -> bytes:
    packet = xmp_module.set_aigc(None, record.to_json())
    return png.itxt_chunk(png.XMP_KEYWORD, packet)


def layout(
    *,
    idat_sizes: list[int],
    before: list[bytes] = (),  # type: ignore[assignment]
    after: list[bytes] = (),  # type: ignore[assignment]
    side: int = 600,
    seed: int = 1,
) -> tuple[bytes, list[bytes]]:
    """A decodable PNG (noise, so the data does not compress) whose IDAT stream is cut into chunks of the given
    sizes (the last takes the rest), with chunks ``before`` the image data and ``after`` it; and its IDAT bodies."""
    rng = random.Random(seed)
    raw = b"".join(b"\x00" + rng.randbytes(side * 3) for _ in range(side))
    stream = zlib.compress(raw, 1)
    bodies: list[bytes] = []
    pos = 0
    for size in idat_sizes:
        if pos >= len(stream):
            break
        bodies.append(stream[pos : pos + size])
        pos += size
    if pos < len(stream):
        bodies.append(stream[pos:])
    ihdr = chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0))
    data = png.SIGNATURE + ihdr + b"".join(before) + b"".join(chunk(b"IDAT", b) for b in bodies)
    return data + b"".join(after) + png.IEND_CHUNK, bodies


def walks(path: Path) -> tuple[list[tuple[int, int, bytes]], list[tuple[int, int, bytes]]]:
    """(non-IDAT chunks by the tail read, non-IDAT chunks by the full walk), as (offset, length, type)."""
    with open_source(path) as src:
        fast = [(c.offset, c.length, c.type) for c in png._walk_chunks(src, (), False) if c.type != b"IDAT"]
    with open_source(path) as src:
        full = [(c.offset, c.length, c.type) for c in png._walk_chunks(src, (), True) if c.type != b"IDAT"]
    return fast, full


def tail_was_used(path: Path) -> bool:
    with open_source(path) as src:
        chunks = png._walk_chunks(src, (), False)
    with open_source(path) as src:
        return len(chunks) < len(png._walk_chunks(src, (), True))


def test_label_after_idat_is_found_from_the_tail(tmp_path: Path) -> None:
    for idat in (8192, 65536):  # libpng's and Pillow's chunk sizes
        data, _ = layout(idat_sizes=[idat] * 200, after=[chunk(b"tIME", b"\x07\xe9\x01\x02\x03\x04\x05")])
        path = tmp_path / f"after-{idat}.png"
        path.write_bytes(data[:-12] + xmp_chunk(RECORD) + data[-12:])
        assert path.stat().st_size > 1_000_000
        fast, full = walks(path)
        assert fast == full and [t for _, _, t in fast][-3:] == [b"tIME", b"iTXt", b"IEND"]
        assert tail_was_used(path)
        assert [f.record for f in read(path).labels] == [RECORD]
        assert exiftool_aigc(path) == RECORD.to_json()  # ExifTool reads the same chunk there


def test_text_label_after_idat_and_hegui_label_before_idat(tmp_path: Path) -> None:
    bare = b'{"Label":"1","ContentProducer":"doubao","ProduceID":"abc123"}'
    data, _ = layout(idat_sizes=[65536] * 40, after=[chunk(b"tEXt", b"AIGC\x00" + bare)])
    path = tmp_path / "a.png"
    path.write_bytes(data)
    assert [f.location for f in read(path).labels] == ["tEXt AIGC"]
    write(path, RECORD, replace_foreign=True)  # the write walks every chunk and drops the tEXt label
    assert tail_was_used(path)
    scan = read(path)
    assert [f.record for f in scan.labels] == [RECORD] and scan.labels[0].location.startswith("iTXt")


def test_decoy_chunks_inside_image_data_are_not_read(tmp_path: Path) -> None:
    """A complete iTXt chunk (valid CRC) and an IDAT look-alike inside the last IDAT's data are image bytes."""
    decoy = chunk(b"IDAT", b"x" * 40) + xmp_chunk(Record.new(PRODUCER, produce_id="decoy"))
    data, bodies = layout(idat_sizes=[8192] * 200, after=[])
    last = bodies[-1]
    forged = last[:100] + decoy + last[100 + len(decoy) :]
    assert len(forged) == len(last)
    start = len(data) - 12 - 12 - len(last)
    assert data[start + 4 : start + 8] == b"IDAT"
    path = tmp_path / "decoy.png"
    path.write_bytes(data[:start] + chunk(b"IDAT", forged) + data[-12:])
    fast, full = walks(path)
    assert fast == full and [t for _, _, t in fast] == [b"IHDR", b"IEND"]
    assert read(path).labels == []


def _forge_crc(prefix: bytes, patch_at: int, target: int) -> bytes:
    """``prefix`` with 4 bytes at ``patch_at`` changed so that crc32(result) == target (CRC-32 is affine over
    GF(2): solve the 32 x 32 system of what each flipped bit does to the checksum)."""
    base = zlib.crc32(prefix)
    columns = []
    for bit in range(32):
        flipped = bytearray(prefix)
        flipped[patch_at + bit // 8] ^= 1 << (bit % 8)
        columns.append(zlib.crc32(bytes(flipped)) ^ base)
    want = base ^ target
    # Gaussian elimination: rows are (column vector, bit index).
    rows = [(columns[i], 1 << i) for i in range(32)]
    basis: list[tuple[int, int]] = []
    for vec, mask in rows:
        for bvec, bmask in basis:
            if vec ^ bvec < vec:
                vec, mask = vec ^ bvec, mask ^ bmask
        if vec:
            basis.append((vec, mask))
            basis.sort(reverse=True)
    chosen = 0
    for bvec, bmask in basis:
        if want ^ bvec < want:
            want, chosen = want ^ bvec, chosen ^ bmask
    assert want == 0, "not solvable"
    out = bytearray(prefix)
    for bit in range(32):
        if chosen >> bit & 1:
            out[patch_at + bit // 8] ^= 1 << (bit % 8)
    assert zlib.crc32(bytes(out)) == target
    return bytes(out)


def test_forged_decoy_ending_at_iend_is_caught_by_the_real_header(tmp_path: Path) -> None:
    """The last IDAT's data ends with an IDAT look-alike and an iTXt label whose CRC field is the real IDAT's CRC
    (forged through 4 bytes of image data): parsed backwards alone, it reaches IEND with valid CRCs. The real IDAT
    header in the window gives another reading of the tail, so the full walk decides, and no label is read."""
    label = xmp_chunk(Record.new(PRODUCER, produce_id="phantom"))
    decoy_idat = chunk(b"IDAT", b"y" * 64)
    data, bodies = layout(idat_sizes=[8192] * 200, after=[])
    last = bodies[-1]
    keep = len(last) - len(decoy_idat) - (len(label) - 4)
    assert keep > 16
    body = last[:keep] + decoy_idat + label[:-4]  # the label's CRC will be the IDAT chunk's CRC
    body = _forge_crc(b"IDAT" + body, 4 + 8, struct.unpack(">I", label[-4:])[0])[4:]
    real = struct.pack(">I", len(body)) + b"IDAT" + body + label[-4:]
    assert real[-4:] == struct.pack(">I", zlib.crc32(b"IDAT" + body))  # a valid IDAT chunk
    start = len(data) - 12 - 12 - len(last)
    path = tmp_path / "forged.png"
    path.write_bytes(data[:start] + real + data[-12:])
    fast, full = walks(path)
    assert fast == full and [t for _, _, t in fast] == [b"IHDR", b"IEND"]
    assert read(path).labels == []


def test_truncated_and_trailing_bytes(tmp_path: Path) -> None:
    data, _ = layout(idat_sizes=[8192] * 200, after=[xmp_chunk(RECORD)])
    path = tmp_path / "t.png"
    for cut in (len(data) - 1, len(data) - 12, len(data) - 20, len(data) // 2, 40):
        path.write_bytes(data[:cut])
        with pytest.raises(InputError, match="truncated"):
            read(path)
    path.write_bytes(data + b"trailing bytes after IEND")  # ignored, as by the full walk
    fast, full = walks(path)
    assert fast == full
    assert [f.record for f in read(path).labels] == [RECORD]


def test_uneven_idat_sizes_and_interleaved_chunks_take_the_full_walk(tmp_path: Path) -> None:
    data, _ = layout(idat_sizes=[5000, 70000, 3000] * 30, after=[xmp_chunk(RECORD)])
    path = tmp_path / "uneven.png"
    path.write_bytes(data)
    fast, full = walks(path)
    assert fast == full and not tail_was_used(path)
    # A label between two IDAT chunks (PNG forbids it; libpng refuses the file): in the window, it is seen.
    bare = b'{"Label":"1","ContentProducer":"other","ProduceID":"x"}'
    data, bodies = layout(idat_sizes=[8192] * 200, after=[])
    cut = len(data) - 12 - 12 - len(bodies[-1])
    path.write_bytes(data[:cut] + chunk(b"tEXt", b"AIGC\x00" + bare) + data[cut:])
    fast, full = walks(path)
    assert fast == full and len([t for _, _, t in fast if t == b"tEXt"]) == 1


@contextmanager
def small_window(size: int) -> Iterator[None]:
    saved = png.TAIL_MIN, png.TAIL_SLACK
    png.TAIL_MIN, png.TAIL_SLACK = size, min(size, 64)
    try:
        yield
    finally:
        png.TAIL_MIN, png.TAIL_SLACK = saved


_ANCILLARY = st.sampled_from([b"tEXt", b"iTXt", b"zTXt", b"tIME", b"eXIf", b"caBX", b"prVt"])


@st.composite
def png_layouts(draw: st.DrawFn) -> bytes:
    """A chunk layout: ancillary chunks, a run of IDAT chunks (even or uneven sizes, data that may hold chunk
    look-alikes), ancillary chunks after it, IEND, maybe trailing bytes; sometimes an interleaved chunk."""

    def anc() -> bytes:
        return chunk(draw(_ANCILLARY), draw(st.binary(max_size=60)))

    pieces = [png.SIGNATURE, chunk(b"IHDR", b"\x00\x00\x00\x10" * 2 + b"\x08\x02\x00\x00\x00")]
    pieces += [anc() for _ in range(draw(st.integers(0, 3)))]
    even = draw(st.integers(0, 3)) > 0
    size = draw(st.integers(1, 300))
    count = draw(st.integers(1, 40))
    interleave_at = draw(st.integers(0, 5 * count))  # beyond count: none
    for i in range(count):
        length = size if even or i == 0 else draw(st.integers(0, 600))
        if even and i == count - 1:
            length = draw(st.integers(0, size))
        body = bytearray(os.urandom(length))
        if length > 30 and draw(st.booleans()):  # a look-alike inside the image data
            fake = chunk(draw(st.sampled_from([b"IDAT", b"iTXt", b"IEND"])), draw(st.binary(max_size=20)))
            at = draw(st.integers(0, max(0, length - len(fake))))
            body[at : at + len(fake)] = fake[: length - at]
        pieces.append(chunk(b"IDAT", bytes(body)))
        if i == interleave_at and i < count - 1:
            pieces.append(anc())  # between two IDAT chunks (forbidden)
    pieces += [anc() for _ in range(draw(st.integers(0, 4)))]
    pieces.append(png.IEND_CHUNK)
    if draw(st.integers(0, 8)) == 0:
        pieces.append(draw(st.binary(min_size=1, max_size=30)))
    data = b"".join(pieces)
    if draw(st.integers(0, 6)) == 0:  # truncated somewhere
        data = data[: draw(st.integers(8, len(data)))]
    return data


def _interleaved(full: list[tuple[int, int, bytes]], everything: list[tuple[int, int, bytes]]) -> bool:
    types = [t for _, _, t in everything]
    if b"IDAT" not in types:
        return False
    first, last = types.index(b"IDAT"), len(types) - 1 - types[::-1].index(b"IDAT")
    return any(t != b"IDAT" for t in types[first:last])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=png_layouts(), window=st.sampled_from([64, 256, 1024, 64 * 1024]))
def test_tail_read_matches_full_walk(tmp_path: Path, data: bytes, window: int) -> None:
    path = tmp_path / "fuzz.png"
    path.write_bytes(data)
    with small_window(window):
        try:
            with open_source(path) as src:
                everything = [(c.offset, c.length, c.type) for c in png._walk_chunks(src, (), True)]
        except InputError:
            with pytest.raises(InputError), open_source(path) as src:
                png._walk_chunks(src, (), False)
            return
        fast, full = walks(path)
    if _interleaved(full, everything):
        assert set(fast) <= set(full)  # never a chunk the full walk does not see
    else:
        assert fast == full
