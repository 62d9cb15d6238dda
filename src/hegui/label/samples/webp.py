"""WebP samples: lossy (simple ``VP8 ``), lossless with alpha (simple ``VP8L``) and a two-frame animation
(extended, ``ANIM``/``ANMF``); ``size`` grows the images (noise does not compress)."""

from __future__ import annotations

import math
import os
from pathlib import Path

from PIL import Image


def _image(side: int, size: int, mode: str, turn: int = 0) -> Image.Image:
    if size:
        return Image.frombytes(mode, (side, side), os.urandom(side * side * len(mode)))
    gray = Image.linear_gradient("L").resize((side, side)).rotate(90 * turn)
    return Image.merge(mode, [gray] * len(mode)) if mode != "L" else gray


def make(folder: Path, *, size: int = 0) -> list[Path]:
    side = max(16, int(math.sqrt(size / 3))) if size else 40
    lossy, lossless, animated = (
        folder / "sample-lossy.webp",
        folder / "sample-lossless.webp",
        folder / "sample-anim.webp",
    )
    _image(side, size, "RGB").save(lossy, quality=95 if size else 80)
    _image(side, size, "RGBA").save(lossless, lossless=True)
    frames = [_image(side, size, "RGB", turn) for turn in range(2)]
    frames[0].save(animated, save_all=True, append_images=frames[1:], duration=100, loop=0, lossless=True)
    return [lossy, lossless, animated]
