"""HEIF samples: an AVIF still image from Pillow (libavif); ``size`` grows the image (noise).

Only AVIF: no HEVC encoder for HEIC ships with Pillow or Debian's Python stack, and hegui reads both the same way
(the metadata items of ``meta`` do not depend on the codec).
"""

from __future__ import annotations

import math
import os
from pathlib import Path

from PIL import Image, features


def make(folder: Path, *, size: int = 0) -> list[Path]:
    if not features.check("avif"):  # Pillow built without libavif: no sample, rather than a broken one
        return []
    side = max(16, int(math.sqrt(size / 3))) if size else 48
    if size:
        image = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    else:
        image = Image.linear_gradient("L").resize((side, side)).convert("RGB")
    path = folder / "sample.avif"
    image.save(path, quality=70)
    return [path]
