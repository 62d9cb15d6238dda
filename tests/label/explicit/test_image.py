"""Image labels (GB 45438-2025 §5.2): every raster format the implicit wing writes, ink height measured from the
pixels, legible on any background, EXIF / ICC / XMP and the implicit label kept."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageCms, ImageSequence

from hegui.errors import InputError, UsageError
from hegui.label import Record, read, write
from hegui.label.explicit import render
from hegui.label.explicit.image import label_image
from hegui.label.explicit.image_check import check_image
from hegui.label.explicit.render import POSITIONS, draw, luminance

from .conftest import flat, photo

XMP = (
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">'
    "<dc:source>hegui-visible-test-source</dc:source></rdf:Description></rdf:RDF></x:xmpmeta>"
)
FORMATS = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp", "GIF": ".gif", "TIFF": ".tif", "AVIF": ".avif"}


ICC = ImageCms.ImageCmsProfile(
    ImageCms.createProfile("sRGB")
).tobytes()  # made once: it holds a creation time


def _icc() -> bytes:
    return ICC


def _exif() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "HeguiCam"  # Make
    return exif.tobytes()


def make_source(tmp_path: Path, fmt: str, record: Record, size: tuple[int, int] = (480, 320)) -> Path:
    path = tmp_path / f"src{FORMATS[fmt]}"
    image = photo(*size)
    kwargs: dict = {"exif": _exif(), "icc_profile": _icc()}
    if fmt in ("JPEG", "WEBP", "AVIF"):
        kwargs["xmp"] = XMP.encode()
    if fmt == "TIFF":  # XMP goes in the same tag set (Pillow ignores exif= when tiffinfo= is given)
        tags = Image.Exif()
        tags.load(_exif())
        tags[700] = XMP.encode()
        kwargs["exif"] = tags
    if fmt == "PNG":
        from PIL import PngImagePlugin

        info = PngImagePlugin.PngInfo()
        info.add_itxt("XML:com.adobe.xmp", XMP)
        kwargs["pnginfo"] = info
    if fmt == "GIF":
        kwargs = {}
    image.save(path, fmt, **kwargs)
    write(path, record)
    return path


def ink_rows(labelled: np.ndarray, box: tuple[int, int, int, int]) -> int:
    """Rows of the label box holding text ink at half coverage or more, measured from the pixels: the text is
    the colour cluster farther from the box's median colour; half coverage is the midpoint between the two."""
    x, y, w, h = box
    lum = luminance(labelled[y : y + h, x : x + w])
    background = float(np.median(lum))
    far = lum[np.abs(lum - background) > 60]
    text_level = float(np.median(far))
    half = (background + text_level) / 2
    ink = lum > half if text_level > background else lum < half
    rows = np.flatnonzero(ink.any(axis=1))
    return int(rows[-1] - rows[0] + 1)


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_every_format_keeps_metadata_and_implicit_label(tmp_path: Path, fmt: str, record: Record) -> None:
    src = make_source(tmp_path, fmt, record)
    dst = tmp_path / f"out{FORMATS[fmt]}"
    result = label_image(src, dst)
    out = Image.open(dst)
    assert out.format == fmt and out.size == (480, 320)
    scan = read(dst)
    assert len(scan.labels) == 1 and scan.label is not None and scan.label.record == record
    assert result.implicit_label == record.to_dict()
    if fmt != "GIF":  # GIF carries neither EXIF nor ICC
        assert out.getexif().get(0x010F) == "HeguiCam"
        assert out.info.get("icc_profile") == _icc()
        assert b"hegui-visible-test-source" in dst.read_bytes()
    check = check_image(dst)
    assert check.compliant and check.position == "bottom-right"
    assert check.ratio is not None and check.ratio >= 0.05


@pytest.mark.parametrize("size", [(1920, 1080), (600, 1000), (1600, 400), (160, 120), (1000, 1000)])
def test_ink_height_measured_from_pixels_is_at_least_5_percent(tmp_path: Path, size: tuple[int, int]) -> None:
    image = photo(*size, seed=size[0])
    labelled, geometry = draw(image, style="plate")
    pixels = np.asarray(labelled.convert("RGB"))
    measured = ink_rows(pixels, geometry.box)
    assert measured == geometry.ink_height
    assert measured / min(size) >= 0.05
    check = check_image(labelled)
    assert check.compliant and check.ratio is not None
    assert abs(check.ratio - measured / min(size)) <= 1.5 / min(size)


def _contrast(a: float, b: float) -> float:
    la, lb = (a / 255) ** 2.2, (b / 255) ** 2.2
    return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)


@pytest.mark.parametrize(
    ("background", "style"),
    [
        (flat(400, 300, (255, 255, 255)), "outline"),
        (flat(400, 300, (0, 0, 0)), "outline"),
        (flat(400, 300, (128, 128, 128)), "outline"),
        (photo(400, 300), None),
        (
            Image.fromarray(
                np.random.default_rng(3)
                .integers(0, 256, (38, 50, 3), dtype=np.uint8)
                .repeat(8, 0)
                .repeat(8, 1)
            ),
            "plate",
        ),
    ],
    ids=["white", "black", "grey", "gradient", "blocks"],
)
def test_legible_on_any_background(background: Image.Image, style: str | None) -> None:
    labelled, geometry = draw(background)
    x, y, w, h = geometry.ink_box
    lum = luminance(np.asarray(labelled.convert("RGB")))
    mask, _ = render.text_mask(geometry.text, geometry.font_size)
    core = mask >= 250
    text = float(np.median(lum[y : y + h, x : x + w][core]))
    # the ring just outside the glyphs: outline or plate
    ring = np.zeros_like(lum, dtype=bool)
    grown = np.zeros((h + 4, w + 4), dtype=bool)
    for dy in range(5):
        for dx in range(5):
            grown[dy : dy + h, dx : dx + w] |= mask > 0
    ring[y - 2 : y + h + 2, x - 2 : x + w + 2] = grown
    ring[y : y + h, x : x + w] &= mask == 0
    around = float(np.median(lum[ring]))
    assert _contrast(text, around) >= 4.5, (geometry.style, text, around)
    if style is not None:
        assert geometry.style == style


@pytest.mark.parametrize("position", POSITIONS)
def test_positions_on_a_portrait_image(position: str) -> None:
    labelled, _ = draw(photo(360, 640), position=position)
    check = check_image(labelled)
    assert check.compliant
    if "-" in position:  # corners are reported exactly
        assert check.position == position
    else:  # a centred label on a short edge of a portrait picture can also touch the long edges' bands
        assert position in (check.position or "")


def test_animated_gif_labels_every_frame(tmp_path: Path, record: Record) -> None:
    src = tmp_path / "anim.gif"
    frames = [photo(200, 150, seed=i).convert("P") for i in range(3)]
    frames[0].save(src, save_all=True, append_images=frames[1:], duration=[100, 200, 300], loop=0)
    write(src, record)
    label_image(src)
    out = Image.open(src)
    assert out.n_frames == 3
    durations = []
    for frame in ImageSequence.Iterator(out):
        durations.append(frame.info.get("duration"))
        assert check_image(frame.convert("RGB")).compliant
    assert durations == [100, 200, 300]
    assert read(src).label.record == record  # type: ignore[union-attr]


def test_refuses_under_5_percent_and_oversized_text() -> None:
    with pytest.raises(UsageError, match="5%"):
        draw(photo(200, 200), ratio=0.04)
    with pytest.raises(UsageError, match="shorter text"):
        draw(photo(60, 400), text="本内容由人工智能生成合成", ratio=0.2)


def test_missing_font_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEGUI_CJK_FONT", "/nonexistent/font.ttc")
    render.font_path.cache_clear()
    render._font.cache_clear()
    try:
        with pytest.raises(InputError, match="fonts-noto-cjk"):
            draw(photo(100, 100))
    finally:
        monkeypatch.delenv("HEGUI_CJK_FONT")
        render.font_path.cache_clear()
        render._font.cache_clear()


def test_not_an_image(tmp_path: Path) -> None:
    bad = tmp_path / "x.png"
    bad.write_bytes(b"not a png")
    with pytest.raises(InputError):
        label_image(bad)
    assert bad.read_bytes() == b"not a png"


def test_jpeg_keeps_quantisation(tmp_path: Path, record: Record) -> None:
    src = make_source(tmp_path, "JPEG", record)
    before = Image.open(src).quantization
    label_image(src)
    assert Image.open(io.BytesIO(src.read_bytes())).quantization == before
