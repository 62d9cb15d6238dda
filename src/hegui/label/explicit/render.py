"""Rendering a visible label for pixels (images and video frames): the CJK font, sizing by measured ink height, and
the legibility style (plate or outline) chosen from the luminance under the label.

GB 45438-2025 §5.2 / §5.4: the text height shall not be under 5% of the shortest side of the picture. The standard
does not say whether "text height" is the em box, the cap height or the ink; hegui measures the **ink** (rows of
rendered pixels at half coverage or more), the strictest reading, and sizes the font until that ink height reaches
the target. Neither contrast, colour nor plate is specified (reference §1.2); "字型应清晰可辨" asks for legible glyphs,
so every label gets either a contrasting plate (busy background) or a contrasting outline (calm background).
"""

from __future__ import annotations

import functools
import math
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from hegui.errors import InputError, UsageError
from hegui.label.explicit.text import require_compliant

MIN_RATIO = 0.05  # §5.2 / §5.4: text height >= 5% of the shortest side
DEFAULT_RATIO = 0.055  # target ink height: a margin above the minimum for resampling and compression
DEFAULT_IMAGE_TEXT = "AI生成"

#: Where the Debian package fonts-noto-cjk (scripts/bootstrap-system.sh) puts the font; HEGUI_CJK_FONT overrides.
FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Bold.otf",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Bold.ttc",
)
SC_INDEX = 2  # face index of "Noto Sans CJK SC" (simplified Chinese glyph forms) inside the .ttc collections

Position = Literal["top-left", "top", "top-right", "left", "right", "bottom-left", "bottom", "bottom-right"]
POSITIONS: tuple[str, ...] = (
    "top-left",
    "top",
    "top-right",
    "left",
    "right",
    "bottom-left",
    "bottom",
    "bottom-right",
)
Style = Literal["auto", "plate", "outline"]


@functools.cache
def font_path() -> tuple[str, int]:
    """The CJK font file and face index to draw with, or a clear :class:`InputError` saying how to install one."""
    override = os.environ.get("HEGUI_CJK_FONT")
    candidates = [override] if override else list(FONT_CANDIDATES)
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            index = SC_INDEX if candidate.endswith(".ttc") else 0
            try:
                ImageFont.truetype(candidate, 12, index=index)
            except OSError:
                index = 0
            return candidate, index
    raise InputError(
        "no CJK font for visible labels: install the Debian package fonts-noto-cjk "
        "(`scripts/bootstrap-system.sh` or `apt-get install fonts-noto-cjk`), "
        "or point HEGUI_CJK_FONT at a font file that has Chinese glyphs"
        + (f" (HEGUI_CJK_FONT={override!r} is not a file)" if override else "")
    )


@functools.lru_cache(maxsize=256)
def _font(size: int) -> ImageFont.FreeTypeFont:
    path, index = font_path()
    return ImageFont.truetype(path, size, index=index)


def text_mask(text: str, size: int, stroke: int = 0) -> tuple[np.ndarray, tuple[int, int]]:
    """Coverage mask (uint8) of ``text`` at font ``size``, cropped to its ink, and the offset of the crop inside
    the draw origin (for placing it later)."""
    font = _font(size)
    left, top, right, bottom = (int(v) for v in font.getbbox(text, stroke_width=stroke))
    w, h = right - left + 2, bottom - top + 2
    canvas = Image.new("L", (max(w, 1), max(h, 1)), 0)
    ImageDraw.Draw(canvas).text((1 - left, 1 - top), text, font=font, fill=255, stroke_width=stroke)
    arr = np.asarray(canvas)
    rows = np.flatnonzero(arr.max(axis=1) >= 128)
    cols = np.flatnonzero(arr.max(axis=0) >= 128)
    if rows.size == 0:
        raise UsageError(f"the font draws no ink for {text!r}")
    return arr[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1], (
        int(cols[0] - 1 + left),
        int(rows[0] - 1 + top),
    )


def ink_height(text: str, size: int) -> int:
    """Measured height, in pixels, of the rows where ``text`` at font ``size`` has at least half coverage."""
    return int(text_mask(text, size)[0].shape[0])


@functools.lru_cache(maxsize=1024)
def size_for_ink(text: str, target: int) -> int:
    """The smallest font size whose measured ink height of ``text`` is at least ``target`` pixels."""
    target = max(int(target), 4)
    ref = ink_height(text, 200)
    size = max(4, math.floor(target * 200 / ref) - 1)
    while ink_height(text, size) < target:
        size += 1
    while size > 4 and ink_height(text, size - 1) >= target:
        size -= 1
    return size


@dataclass
class Geometry:
    """What was drawn where, in pixels of the labelled picture."""

    width: int
    height: int
    position: str
    text: str
    style: str
    font_size: int
    box: tuple[int, int, int, int]  # x, y, w, h of the whole label (plate included)
    ink_box: tuple[int, int, int, int]  # x, y, w, h of the glyph ink
    ink_height: int
    ratio: float  # ink_height / min(width, height)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def luminance(rgb: np.ndarray) -> np.ndarray:
    """Rec. 709 luma (0..255) of an RGB array."""
    rgb = rgb.astype(np.float32)
    return 0.2126 * rgb[..., 0] + 0.7152 * rgb[..., 1] + 0.0722 * rgb[..., 2]


def _place(position: str, w: int, h: int, bw: int, bh: int, margin: int) -> tuple[int, int]:
    if position not in POSITIONS:
        raise UsageError(f"unknown label position {position!r}; use one of {', '.join(POSITIONS)}")
    x = margin if "left" in position else w - bw - margin if "right" in position else (w - bw) // 2
    y = margin if "top" in position else h - bh - margin if "bottom" in position else (h - bh) // 2
    return x, y


def layout(
    width: int, height: int, *, text: str, position: str, ratio: float
) -> tuple[int, np.ndarray, tuple[int, int, int, int], int]:
    """Font size, ink mask, label box (x, y, w, h) and padding for a label on a ``width`` x ``height`` picture."""
    require_compliant(text)
    if ratio < MIN_RATIO:
        raise UsageError(f"text height ratio {ratio} is under the 5% of GB 45438-2025 §5.2 / §5.4")
    short = min(width, height)
    target = math.ceil(ratio * short)
    size = size_for_ink(text, target)
    mask, _ = text_mask(text, size)
    pad = max(2, round(mask.shape[0] * 0.3))
    margin = max(2, round(short * 0.02))
    bw, bh = mask.shape[1] + 2 * pad, mask.shape[0] + 2 * pad
    if bw + 2 * margin > width or bh + 2 * margin > height:
        raise UsageError(
            f"label {text!r} at {ratio:.1%} of the shortest side needs {bw}x{bh} px, more than the "
            f"{width}x{height} picture allows; use a shorter text such as 'AI生成'"
        )
    x, y = _place(position, width, height, bw, bh, margin)
    return size, mask, (x, y, bw, bh), pad


def choose_style(region: np.ndarray) -> tuple[str, tuple[int, int, int], tuple[int, int, int]]:
    """Plate on a busy background, outline on a calm one; colours contrasting with the mean luminance.

    Returns (style, text colour, plate-or-outline colour)."""
    lum = luminance(region)
    mean, spread = float(lum.mean()), float(lum.std())
    dark_text = mean >= 140
    fg = (0, 0, 0) if dark_text else (255, 255, 255)
    bg = (255, 255, 255) if dark_text else (0, 0, 0)
    return ("plate" if spread > 32 else "outline"), fg, bg


def draw(
    image: Image.Image,
    *,
    text: str = DEFAULT_IMAGE_TEXT,
    position: str = "bottom-right",
    ratio: float = DEFAULT_RATIO,
    style: Style = "auto",
) -> tuple[Image.Image, Geometry]:
    """Draw the label on an RGB or RGBA copy of ``image``; return it and the geometry."""
    base = (
        image
        if image.mode in ("RGB", "RGBA")
        else image.convert("RGBA" if "A" in image.getbands() else "RGB")
    )
    base = base.copy()
    w, h = base.size
    size, mask, (x, y, bw, bh), pad = layout(w, h, text=text, position=position, ratio=ratio)
    region = np.asarray(base.convert("RGB").crop((x, y, x + bw, y + bh)))
    chosen, fg, bg = choose_style(region)
    if style != "auto":
        chosen = style
    ink = Image.fromarray(mask, "L")
    ix, iy = x + pad, y + pad
    if chosen == "plate":
        plate = Image.new("RGBA", (bw, bh), (*bg, 200))
        base.paste(plate, (x, y), plate)
    else:
        stroke = max(1, round(mask.shape[0] * 0.09))
        grown = Image.fromarray(_dilate(mask, stroke), "L")
        base.paste(Image.new("RGB", grown.size, bg), (ix - stroke, iy - stroke), grown)
    base.paste(Image.new("RGB", ink.size, fg), (ix, iy), ink)
    short = min(w, h)
    geometry = Geometry(
        width=w,
        height=h,
        position=position,
        text=text,
        style=chosen,
        font_size=size,
        box=(x, y, bw, bh),
        ink_box=(ix, iy, mask.shape[1], mask.shape[0]),
        ink_height=int(mask.shape[0]),
        ratio=round(mask.shape[0] / short, 5),
    )
    return base, geometry


def _dilate(mask: np.ndarray, radius: int) -> np.ndarray:
    """Disc dilation of a coverage mask, padded by ``radius`` on every side (the outline)."""
    h, w = mask.shape
    out = np.zeros((h + 2 * radius, w + 2 * radius), dtype=np.uint8)
    for dy in range(-radius, radius + 1):
        for dx in range(-radius, radius + 1):
            if dx * dx + dy * dy <= radius * radius + radius:
                view = out[radius + dy : radius + dy + h, radius + dx : radius + dx + w]
                np.maximum(view, mask, out=view)
    return out


def label_overlay(
    width: int,
    height: int,
    *,
    text: str = DEFAULT_IMAGE_TEXT,
    position: str = "bottom-right",
    ratio: float = DEFAULT_RATIO,
) -> tuple[Image.Image, Geometry]:
    """A transparent RGBA overlay of the whole frame size holding a plated label (used for video, where the
    background changes from frame to frame, so the plate is always drawn)."""
    size, mask, (x, y, bw, bh), pad = layout(width, height, text=text, position=position, ratio=ratio)
    overlay = Image.new("RGBA", (bw, bh), (0, 0, 0, 200))
    ink = Image.fromarray(mask, "L")
    overlay.paste(Image.new("RGBA", ink.size, (255, 255, 255, 255)), (pad, pad), ink)
    geometry = Geometry(
        width=width,
        height=height,
        position=position,
        text=text,
        style="plate",
        font_size=size,
        box=(x, y, bw, bh),
        ink_box=(x + pad, y + pad, mask.shape[1], mask.shape[0]),
        ink_height=int(mask.shape[0]),
        ratio=round(mask.shape[0] / min(width, height), 5),
    )
    return overlay, geometry
