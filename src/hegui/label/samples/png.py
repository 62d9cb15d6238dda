"""PNG samples: an RGB image with a text chunk; ``size`` grows the image (noise does not compress)."""

from __future__ import annotations

import math
import os
from pathlib import Path

from PIL import Image, PngImagePlugin


def make(folder: Path, *, size: int = 0) -> list[Path]:
    side = max(16, int(math.sqrt(size / 3))) if size else 48
    if size:
        image = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    else:
        image = Image.linear_gradient("L").resize((side, side)).convert("RGB")
    info = PngImagePlugin.PngInfo()
    info.add_text("Software", "hegui sample")
    path = folder / "sample.png"
    image.save(path, pnginfo=info)
    return [path]
