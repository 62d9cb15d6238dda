"""TIFF samples: an LZW-compressed little-endian TIFF with a text tag, and an uncompressed big-endian one built by
hand (Pillow writes only little-endian); ``size`` grows the image (noise does not compress)."""

from __future__ import annotations

import math
import os
import struct
from pathlib import Path

from PIL import Image


def big_endian_tiff(width: int, height: int, pixels: bytes) -> bytes:
    """A minimal uncompressed 8-bit grayscale TIFF in Motorola (MM) byte order, one strip."""
    entries = [
        (256, 4, 1, width),  # ImageWidth
        (257, 4, 1, height),  # ImageLength
        (258, 3, 1, 8 << 16),  # BitsPerSample (SHORT, left-justified in the field)
        (259, 3, 1, 1 << 16),  # Compression: none
        (262, 3, 1, 1 << 16),  # PhotometricInterpretation: BlackIsZero
        (273, 4, 1, 0),  # StripOffsets, patched below
        (277, 3, 1, 1 << 16),  # SamplesPerPixel
        (278, 4, 1, height),  # RowsPerStrip
        (279, 4, 1, len(pixels)),  # StripByteCounts
    ]
    ifd_size = 2 + 12 * len(entries) + 4
    data_at = 8 + ifd_size
    body = struct.pack(">H", len(entries))
    for tag, ftype, count, value in entries:
        body += struct.pack(">HHII", tag, ftype, count, data_at if tag == 273 else value)
    return b"MM\x00*" + struct.pack(">I", 8) + body + b"\x00\x00\x00\x00" + pixels


def make(folder: Path, *, size: int = 0) -> list[Path]:
    side = max(16, int(math.sqrt(size / 3))) if size else 48
    if size:
        image = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    else:
        image = Image.linear_gradient("L").resize((side, side)).convert("RGB")
    little = folder / "sample.tif"
    image.save(little, compression="tiff_lzw", tiffinfo={270: "hegui sample"})
    big = folder / "sample-mm.tif"
    gray = image.convert("L")
    big.write_bytes(big_endian_tiff(gray.width, gray.height, gray.tobytes()))
    return [little, big]
