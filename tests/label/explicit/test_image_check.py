"""The independent pixel checker: finds a label it did not draw, measures it, says where, and says no otherwise."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from hegui.label.explicit.image_check import check_image
from hegui.label.explicit.render import draw, size_for_ink, text_mask

from .conftest import flat, photo


def _paste_text(image: Image.Image, text: str, ink: int, xy: tuple[int, int]) -> Image.Image:
    """Draw a label by hand (not through the labeller): white glyphs on a black plate."""
    out = image.copy()
    mask, _ = text_mask(text, size_for_ink(text, ink))
    x, y = xy
    pad = max(2, ink // 3)
    out.paste((0, 0, 0), (x - pad, y - pad, x + mask.shape[1] + pad, y + mask.shape[0] + pad))
    out.paste(
        Image.new("RGB", (mask.shape[1], mask.shape[0]), (255, 255, 255)), (x, y), Image.fromarray(mask)
    )
    return out


@pytest.mark.parametrize("seed", range(4))
def test_unlabelled_images_are_not_compliant(seed: int) -> None:
    for image in (photo(640, 480, seed=seed), flat(300, 300, (seed * 60, 90, 200))):
        check = check_image(image)
        assert not check.found and not check.compliant


def test_too_small_label_is_found_and_flagged() -> None:
    image = _paste_text(photo(800, 600), "AI生成", ink=18, xy=(700, 560))  # 3% of 600
    check = check_image(image)
    assert check.found and not check.compliant
    assert check.ratio is not None and 0.028 <= check.ratio <= 0.032
    assert any("under 5%" in p for p in check.problems)


def test_label_in_the_middle_is_flagged() -> None:
    image = _paste_text(photo(800, 600), "人工智能生成", ink=40, xy=(280, 280))
    check = check_image(image)
    assert check.found and check.position == "interior" and not check.compliant


def test_other_template_hand_drawn_top_left() -> None:
    image = _paste_text(photo(900, 600), "本内容由人工智能生成合成", ink=36, xy=(20, 20))
    check = check_image(image)
    assert check.compliant and check.position == "top-left"
    assert check.text in ("本内容由人工智能生成合成", "本内容由人工智能生成")
    assert check.ratio == pytest.approx(36 / 600, abs=1.5 / 600)


def test_survives_jpeg_recompression_and_downscaling() -> None:
    labelled, geometry = draw(photo(1600, 900))
    buf = io.BytesIO()
    labelled.save(buf, "JPEG", quality=60)
    small = Image.open(io.BytesIO(buf.getvalue())).resize((800, 450), Image.Resampling.LANCZOS)
    check = check_image(small)
    assert check.compliant
    assert check.ratio == pytest.approx(geometry.ratio, abs=0.004)


def test_partial_label_is_not_enough() -> None:
    """A bare "AI" badge lacks the generation element and must not pass (GB 45438-2025 §5.2 b)."""
    image = _paste_text(photo(800, 600), "AI", ink=40, xy=(700, 540))
    assert not check_image(image).compliant


def test_reports_the_ink_box() -> None:
    labelled, geometry = draw(photo(640, 480), position="top-right")
    check = check_image(labelled)
    assert check.box is not None
    x, y, _, h = check.box
    gx, gy, _, gh = geometry.ink_box
    assert abs(x - gx) <= 2 and abs(y - gy) <= 2 and abs(h - gh) <= 1
