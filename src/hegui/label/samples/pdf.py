"""PDF samples: one page with text and an RGB image XObject; ``size`` grows the image (noise, stored as is)."""

from __future__ import annotations

import math
import os
from pathlib import Path

import pikepdf


def make(folder: Path, *, size: int = 0) -> list[Path]:
    side = max(8, int(math.sqrt(size / 3))) if size else 8
    pixels = os.urandom(side * side * 3) if size else bytes(range(256)) * (side * side * 3 // 256 + 1)
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(612, 792))
    page = pdf.pages[0]
    image = pikepdf.Stream(pdf, pixels[: side * side * 3])
    image.Type = pikepdf.Name.XObject
    image.Subtype = pikepdf.Name.Image
    image.Width = side
    image.Height = side
    image.ColorSpace = pikepdf.Name.DeviceRGB
    image.BitsPerComponent = 8
    font = pikepdf.Dictionary(
        Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica
    )
    page.Resources = pikepdf.Dictionary(
        Font=pikepdf.Dictionary(F1=font), XObject=pikepdf.Dictionary(Im1=image)
    )
    page.Contents = pdf.make_stream(
        b"BT /F1 24 Tf 72 720 Td (hegui sample) Tj ET q 200 0 0 200 72 400 cm /Im1 Do Q"
    )
    pdf.docinfo["/Title"] = "hegui sample"
    pdf.docinfo["/Producer"] = "hegui"
    path = folder / "sample.pdf"
    pdf.save(path, compress_streams=False)
    return [path]
