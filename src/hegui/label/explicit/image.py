"""Visible labels on raster images (GB 45438-2025 §5.2; Labeling Measures Art. 4(三)).

The label is drawn at an edge or a corner (default bottom-right) with a measured ink height of at least 5% of the
shortest side (see :mod:`hegui.label.explicit.render`). The picture is re-encoded in its own format with the
source's settings where Pillow exposes them (JPEG quantisation tables and subsampling, WebP lossless, TIFF
compression, GIF frame timing), keeping EXIF, the ICC profile and XMP; the implicit label of the source is then
written again through :func:`hegui.label.write`, because re-encoding rebuilds the metadata. HEIC needs a HEVC encoder
that Pillow does not have, so it is refused with a clear message; AVIF is written where Pillow was built with it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image, ImageSequence, JpegImagePlugin, PngImagePlugin

from hegui.atomic import atomic_output
from hegui.errors import InputError, UnsupportedFormatError
from hegui.label.explicit.render import DEFAULT_IMAGE_TEXT, DEFAULT_RATIO, Geometry, Style, draw

#: Formats the implicit-label wing writes, by Pillow format name. HEIF is listed to give a clear refusal.
FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "TIFF", "AVIF")
SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".gif", ".tif", ".tiff", ".avif", ".heic", ".heif"}


@dataclass
class ImageLabelResult:
    path: str
    output: str
    format: str
    frames: int
    geometry: Geometry
    implicit_label: dict[str, Any] | None = None  # the record re-applied, if the source had one
    kept: list[str] = field(default_factory=list)  # metadata kept: exif, icc_profile, xmp

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "output": self.output,
            "medium": "image",
            "format": self.format,
            "frames": self.frames,
            "geometry": self.geometry.to_dict(),
            "implicit_label": self.implicit_label,
            "kept": self.kept,
        }


def _open(path: Path) -> Image.Image:
    try:
        image = Image.open(path)
        image.load()
    except FileNotFoundError:
        raise InputError("no such file", path=path) from None
    except (OSError, SyntaxError, ValueError) as exc:
        head = path.read_bytes()[:16] if path.is_file() else b""
        if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"mif1", b"hevc"):
            raise UnsupportedFormatError(
                "HEIC/HEIF images need a HEVC codec that Pillow does not ship; convert to AVIF, JPEG or PNG "
                "first, or label it with the implicit label only",
                path=path,
            ) from exc
        raise InputError(f"not an image Pillow can read: {exc}", path=path) from exc
    if image.format not in FORMATS:
        raise UnsupportedFormatError(
            f"visible labels are written for {', '.join(FORMATS)}; this file is {image.format}", path=path
        )
    return image


def _restore_mode(labelled: Image.Image, mode: str) -> Image.Image:
    if labelled.mode == mode:
        return labelled
    if mode == "P":
        return labelled.convert("RGB").quantize(
            colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
        )
    if mode in ("L", "LA", "CMYK", "RGB", "RGBA", "I;16"):
        try:
            return labelled.convert(mode)
        except ValueError:
            return labelled
    return labelled


def _save_kwargs(image: Image.Image, raw_head: bytes) -> tuple[dict[str, Any], list[str]]:
    info = image.info
    kwargs: dict[str, Any] = {}
    kept: list[str] = []
    exif = info.get("exif")
    if exif:
        kwargs["exif"] = exif
        kept.append("exif")
    icc = info.get("icc_profile")
    if icc:
        kwargs["icc_profile"] = icc
        kept.append("icc_profile")
    xmp = info.get("xmp") or info.get("XML:com.adobe.xmp")
    fmt = image.format
    if fmt == "JPEG":
        assert isinstance(image, JpegImagePlugin.JpegImageFile)
        kwargs["qtables"] = image.quantization
        sampling = JpegImagePlugin.get_sampling(image)
        if sampling >= 0:
            kwargs["subsampling"] = sampling
        if info.get("progressive") or info.get("progression"):
            kwargs["progressive"] = True
        if "dpi" in info:
            kwargs["dpi"] = info["dpi"]
        if xmp:
            kwargs["xmp"] = xmp if isinstance(xmp, bytes) else str(xmp).encode()
            kept.append("xmp")
    elif fmt == "PNG":
        png = PngImagePlugin.PngInfo()
        text = getattr(image, "text", {}) or {}
        for key, value in text.items():
            if isinstance(value, PngImagePlugin.iTXt):
                png.add_itxt(key, str(value), value.lang or "", value.tkey or "")
            else:
                png.add_text(key, str(value))
        if xmp and "XML:com.adobe.xmp" not in text:
            png.add_itxt("XML:com.adobe.xmp", xmp.decode() if isinstance(xmp, bytes) else str(xmp))
        if xmp or "XML:com.adobe.xmp" in text:
            kept.append("xmp")
        kwargs["pnginfo"] = png
        if "dpi" in info:
            kwargs["dpi"] = info["dpi"]
    elif fmt == "WEBP":
        kwargs["lossless"] = b"VP8L" in raw_head
        kwargs["quality"] = 100 if kwargs["lossless"] else 90
        if xmp:
            kwargs["xmp"] = xmp
            kept.append("xmp")
    elif fmt == "TIFF":  # Pillow keeps TIFF tags (Make, Software, ...) in the IFD, not in info["exif"]
        tags = image.getexif()
        kwargs["exif"] = tags
        if "exif" not in kept:
            kept.append("exif")
        compression = info.get("compression")
        if compression and compression != "raw":
            kwargs["compression"] = compression
        if xmp:  # into the same tag set: Pillow ignores ``exif`` when ``tiffinfo`` is given
            tags[700] = xmp if isinstance(xmp, bytes) else str(xmp).encode()
            kept.append("xmp")
        if "dpi" in info:
            kwargs["dpi"] = info["dpi"]
    elif fmt == "AVIF":
        kwargs["quality"] = 90
        if xmp:
            kwargs["xmp"] = xmp
            kept.append("xmp")
    elif fmt == "GIF":
        for key in ("loop", "background", "comment"):
            if key in info:
                kwargs[key] = info[key]
    return kwargs, kept


def label_image(
    path: str | os.PathLike[str],
    output: str | os.PathLike[str] | None = None,
    *,
    text: str = DEFAULT_IMAGE_TEXT,
    position: str = "bottom-right",
    ratio: float = DEFAULT_RATIO,
    style: Style = "auto",
) -> ImageLabelResult:
    """Draw the visible label on ``path`` and write it to ``output`` (default: in place, atomically).

    Every frame of an animated GIF / WebP / multi-page TIFF is labelled. The implicit label of the source, if any,
    is written again into the output (exactly one label, GB 45438-2025 §6.1 c)."""
    from hegui.label import read, write  # the implicit-label wing; imported here to keep this module light

    src = Path(path)
    dst = Path(output) if output is not None else src
    if dst.is_dir():
        dst = dst / src.name
    image = _open(src)
    fmt = str(image.format)
    raw_head = src.read_bytes()[:4096]
    try:
        scan = read(src)
        record = scan.label.record if scan.label is not None else None
    except Exception:  # an image the implicit wing cannot parse still gets its visible label
        record = None
    kwargs, kept = _save_kwargs(image, raw_head)
    frames: list[Image.Image] = []
    durations: list[int] = []
    geometry: Geometry | None = None
    n_frames = getattr(image, "n_frames", 1)
    for frame in ImageSequence.Iterator(image) if n_frames > 1 else [image]:
        labelled, geometry = draw(frame, text=text, position=position, ratio=ratio, style=style)
        frames.append(_restore_mode(labelled, frame.mode if fmt != "GIF" else "P"))
        durations.append(int(frame.info.get("duration", image.info.get("duration", 100)) or 100))
    assert geometry is not None
    if len(frames) > 1:
        kwargs.update(save_all=True, append_images=frames[1:])
        if fmt in ("GIF", "WEBP"):
            kwargs["duration"] = durations
    with tempfile.TemporaryDirectory(prefix="hegui-visible-") as tmp:
        staged = Path(tmp) / ("staged" + (src.suffix or ".img"))
        try:
            frames[0].save(staged, format=fmt, **kwargs)
        except (OSError, ValueError, KeyError) as exc:
            raise UnsupportedFormatError(f"Pillow cannot write {fmt} here: {exc}", path=src) from exc
        if record is not None:
            write(staged, record)
        with atomic_output(dst, mode_from=src if src.exists() else None) as out, staged.open("rb") as fh:
            shutil.copyfileobj(fh, out.file)
    return ImageLabelResult(
        path=str(src),
        output=str(dst),
        format=fmt,
        frames=len(frames),
        geometry=geometry,
        implicit_label=record.to_dict() if record is not None else None,
        kept=kept,
    )
