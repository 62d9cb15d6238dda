"""JPEG samples: a baseline JPEG with EXIF (Make, Software) and an sRGB ICC profile; ``size`` grows the image (noise
barely compresses, so the scan data is roughly ``size`` bytes)."""

from __future__ import annotations

import math
import os
from pathlib import Path

from PIL import Image, ImageCms


def make(folder: Path, *, size: int = 0) -> list[Path]:
    if size:
        side = max(16, int(math.sqrt(size / 1.5)))
        image = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    else:
        image = Image.linear_gradient("L").resize((48, 48)).convert("RGB")
    exif = Image.Exif()
    exif[0x010F] = "hegui"  # Make
    exif[0x0131] = "hegui sample"  # Software
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    path = folder / "sample.jpg"
    image.save(path, quality=90, exif=exif.tobytes(), icc_profile=icc)
    return [path]
