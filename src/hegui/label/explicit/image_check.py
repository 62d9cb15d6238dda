"""Independent check of a visible label in pixels (GB 45438-2025 §5.2), for images hegui did not label itself.

No OCR and no metadata: the checker renders each candidate label text (the templates, which all hold both text
elements, plus any text the caller names) in the CJK font at a ladder of heights and finds it by normalised
cross-correlation on the luminance, polarity-blind (light on dark or dark on light). The best match is refined at
full resolution in one-pixel steps of ink height, so the reported height ratio is the ink height of the matching
template over the shortest side. A label found away from every edge, or under 5%, is reported as not compliant.
"""

from __future__ import annotations

import functools
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from scipy.signal import fftconvolve

from hegui.errors import InputError
from hegui.label.explicit.render import MIN_RATIO, luminance, size_for_ink, text_mask
from hegui.label.explicit.text import TEMPLATES, require_compliant

#: Label texts looked for when the caller names none: the templates, shortest first.
DEFAULT_TEXTS: tuple[str, ...] = tuple(sorted(set(TEMPLATES.values()) - {TEMPLATES["bilingual"]}, key=len))
COARSE_SHORT_SIDE = 360  # the search runs on a copy whose shortest side is this many pixels
HEIGHTS = (0.03, 0.16, 1.1)  # ink-height ladder: from 3% to 16% of the shortest side, 10% apart
MATCH_THRESHOLD = 0.62  # normalised correlation accepted as "the label is there"
EDGE_BAND = 0.12  # a label is "at" an edge when its ink lies within this fraction of the shortest side of it


@dataclass
class Match:
    text: str
    score: float
    box: tuple[int, int, int, int]  # x, y, w, h of the ink, full-resolution pixels
    ink_height: int


@dataclass
class ImageCheck:
    """Outcome of :func:`check_image`."""

    compliant: bool
    found: bool
    width: int
    height: int
    text: str | None = None
    position: str | None = None  # "bottom-right", "top", ... or "interior"
    box: tuple[int, int, int, int] | None = None
    ink_height: int | None = None
    ratio: float | None = None
    score: float | None = None
    problems: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@functools.lru_cache(maxsize=512)
def _template(text: str, height: int) -> np.ndarray:
    mask, _ = text_mask(text, size_for_ink(text, height))
    return mask.astype(np.float32) / 255.0


class _Correlator:
    """Normalised cross-correlation of many templates against one picture (integral images computed once)."""

    def __init__(self, image: np.ndarray) -> None:
        self.image = image.astype(np.float64)
        pad = np.pad(self.image, ((1, 0), (1, 0)))
        self.s1 = pad.cumsum(0).cumsum(1)
        self.s2 = (pad * pad).cumsum(0).cumsum(1)

    def _box(self, s: np.ndarray, h: int, w: int) -> np.ndarray:
        return s[h:, w:] - s[:-h, w:] - s[h:, :-w] + s[:-h, :-w]

    def ncc(self, template: np.ndarray) -> np.ndarray:
        H, W = self.image.shape
        h, w = template.shape
        if h > H or w > W:
            return np.zeros((0, 0), dtype=np.float32)
        t = template.astype(np.float64) - template.mean()
        tnorm = float(np.sqrt((t * t).sum()))
        if tnorm == 0:
            return np.zeros((0, 0), dtype=np.float32)
        num = fftconvolve(self.image, t[::-1, ::-1], mode="valid")
        s1, s2 = self._box(self.s1, h, w), self._box(self.s2, h, w)
        n = h * w
        var = np.maximum(s2 - s1 * s1 / n, 0.0)
        floor = n * 6.0**2  # windows flatter than 6 grey levels hold no text
        return (np.abs(num) / (np.sqrt(np.maximum(var, floor)) * tnorm)).astype(np.float32)


def ncc(image: np.ndarray, template: np.ndarray) -> np.ndarray:
    """Absolute normalised cross-correlation of ``template`` at every valid position of ``image``."""
    return _Correlator(image).ncc(template)


def _ladder(lo: int, hi: int, step: float) -> list[int]:
    """Ink heights to try: every pixel while a pixel is more than ``step`` apart, then geometric."""
    out, h = [], max(6, lo)
    while h <= max(hi, 6):
        out.append(h)
        h = max(h + 1, round(h * step))
    return out


def find_label(gray: np.ndarray, texts: tuple[str, ...] = DEFAULT_TEXTS) -> Match | None:
    """Best match of any of ``texts`` in a luminance array, or None."""
    H, W = gray.shape
    short = min(H, W)
    scale = max(1.0, short / COARSE_SHORT_SIDE)
    small = gray
    if scale > 1.0:
        small = np.asarray(
            Image.fromarray(gray.astype(np.float32), "F").resize(
                (max(1, round(W / scale)), max(1, round(H / scale))), Image.Resampling.BOX
            )
        )
    small_short = min(small.shape)
    best: tuple[float, str, float, int, int] | None = None  # score, text, full-res height, y, x
    lo, hi, step = HEIGHTS
    correlator = _Correlator(small)
    for h_small in _ladder(round(lo * small_short), round(hi * small_short), step):
        for text in texts:
            score = correlator.ncc(_template(text, h_small))
            if score.size == 0:
                continue
            idx = int(score.argmax())
            y, x = divmod(idx, score.shape[1])
            value = float(score[y, x])
            if best is None or value > best[0]:
                best = (value, text, h_small * scale, round(y * scale), round(x * scale))
    if best is None or best[0] < MATCH_THRESHOLD * 0.85:
        return None
    return _refine(gray, best[1], best[2], best[3], best[4], scale)


def _refine(gray: np.ndarray, text: str, height: float, y0: int, x0: int, scale: float) -> Match | None:
    """Full-resolution search around a coarse hit: ink heights within ±12%, positions within a few pixels."""
    H, W = gray.shape
    reach = int(3 * scale) + 3
    best: Match | None = None
    for h in range(max(6, int(height * 0.88)), int(height * 1.12) + 2):
        template = _template(text, h)
        th, tw = template.shape
        ya, xa = max(0, y0 - reach), max(0, x0 - reach)
        yb, xb = min(H, y0 + reach + th), min(W, x0 + reach + tw)
        score = ncc(gray[ya:yb, xa:xb], template)
        if score.size == 0:
            continue
        idx = int(score.argmax())
        y, x = divmod(idx, score.shape[1])
        value = float(score[y, x])
        if best is None or value > best.score:
            best = Match(text, value, (xa + x, ya + y, tw, th), th)
    if best is None or best.score < MATCH_THRESHOLD:
        return None
    return best


def match_at(gray: np.ndarray, match: Match, reach: int = 2) -> float:
    """Correlation of a known label (text, size, place) in another picture (a later video frame)."""
    x, y, w, h = match.box
    template = _template(match.text, match.ink_height)
    H, W = gray.shape
    crop = gray[max(0, y - reach) : min(H, y + h + reach), max(0, x - reach) : min(W, x + w + reach)]
    score = ncc(crop, template)
    return float(score.max()) if score.size else 0.0


def position_of(box: tuple[int, int, int, int], width: int, height: int) -> str:
    """Which edge or corner a box sits at, or "interior"."""
    x, y, w, h = box
    band = EDGE_BAND * min(width, height)
    vertical = "top" if y <= band else "bottom" if height - (y + h) <= band else ""
    horizontal = "left" if x <= band else "right" if width - (x + w) <= band else ""
    if vertical and horizontal:
        return f"{vertical}-{horizontal}"
    return vertical or horizontal or "interior"


def check_gray(gray: np.ndarray, texts: tuple[str, ...] = DEFAULT_TEXTS) -> tuple[ImageCheck, Match | None]:
    """Check a luminance array; also return the match (for following it through video frames)."""
    H, W = gray.shape
    match = find_label(gray, texts)
    if match is None:
        return (
            ImageCheck(
                compliant=False,
                found=False,
                width=W,
                height=H,
                problems=["no visible label holding both text elements found (GB 45438-2025 §5.2)"],
            ),
            None,
        )
    ratio = match.ink_height / min(W, H)
    position = position_of(match.box, W, H)
    problems = []
    if ratio < MIN_RATIO:
        problems.append(f"text height {ratio:.2%} of the shortest side is under 5% (GB 45438-2025 §5.2)")
    if position == "interior":
        problems.append("the label is not at an edge or corner of the picture (GB 45438-2025 §5.2)")
    return (
        ImageCheck(
            compliant=not problems,
            found=True,
            width=W,
            height=H,
            text=match.text,
            position=position,
            box=match.box,
            ink_height=match.ink_height,
            ratio=round(ratio, 5),
            score=round(match.score, 3),
            problems=problems,
        ),
        match,
    )


def check_image(
    source: str | os.PathLike[str] | Image.Image, *, texts: tuple[str, ...] | list[str] | None = None
) -> ImageCheck:
    """Find a visible label in an image file or a Pillow image (the first frame of an animation)."""
    candidates = tuple(require_compliant(t) for t in texts) if texts else DEFAULT_TEXTS
    if isinstance(source, Image.Image):
        image = source
    else:
        try:
            image = Image.open(Path(source))
            image.load()
        except FileNotFoundError:
            raise InputError("no such file", path=source) from None
        except (OSError, SyntaxError, ValueError) as exc:
            raise InputError(f"not an image Pillow can read: {exc}", path=source) from exc
    rgb = np.asarray(image.convert("RGB"))
    return check_gray(luminance(rgb), candidates)[0]
