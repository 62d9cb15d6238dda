"""Fixtures of the visible-label tests: sample media made by the tests (Pillow, numpy, real ffmpeg)."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image

from hegui.label import Record

PRODUCER = "001191440300708461136T1XGW3"


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:  # installed by scripts/bootstrap-system.sh; a missing tool is a failure, not a skip
        pytest.fail(f"{name} is not installed; run `make test` (scripts/bootstrap-system.sh)")
    return path


def ffmpeg(*args: str) -> None:
    subprocess.run([tool("ffmpeg"), "-v", "error", "-y", *args], check=True)


@pytest.fixture
def record() -> Record:
    return Record.new(PRODUCER)


def photo(width: int, height: int, seed: int = 0) -> Image.Image:
    """A busy picture: gradients, blocks and noise (a worst case for legibility)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    base = np.stack(
        [(x * 255 // max(1, width - 1)), (y * 255 // max(1, height - 1)), ((x + y) % 256)], axis=-1
    )
    noise = rng.integers(-40, 40, size=(height, width, 3))
    return Image.fromarray(np.clip(base + noise, 0, 255).astype(np.uint8), "RGB")


def flat(width: int, height: int, colour: tuple[int, int, int]) -> Image.Image:
    return Image.new("RGB", (width, height), colour)
