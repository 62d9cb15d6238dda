"""GIF samples: a three-frame animation with a loop extension and a comment; ``size`` grows the frames (noise)."""

from __future__ import annotations

import math
import os
from pathlib import Path

from PIL import Image


def make(folder: Path, *, size: int = 0) -> list[Path]:
    frames = 3
    side = max(16, int(math.sqrt(size / frames))) if size else 32
    images: list[Image.Image] = []
    for index in range(frames):
        if size:
            image = Image.frombytes("L", (side, side), os.urandom(side * side)).convert("P")
        else:
            image = Image.linear_gradient("L").resize((side, side)).rotate(90 * index).convert("P")
        images.append(image)
    path = folder / "sample.gif"
    images[0].save(
        path, save_all=True, append_images=images[1:], duration=100, loop=0, comment=b"hegui sample"
    )
    return [path]
