"""FLAC samples from ffmpeg (noise, which does not compress, so ``size`` maps to bytes), with a title comment."""

from __future__ import annotations

from pathlib import Path

from hegui.label.samples._ffmpeg import TITLE, ffmpeg, seconds_for

BYTES_PER_SECOND = 128_000  # 44.1 kHz 16-bit mono noise at amplitude 0.3, as measured


def make(folder: Path, *, size: int = 0) -> list[Path]:
    seconds = seconds_for(size, BYTES_PER_SECOND)
    path = folder / "sample.flac"
    ffmpeg("-f", "lavfi", "-i", f"anoisesrc=duration={seconds}:amplitude=0.3", "-ac", "1", "-ar", "44100",
           "-c:a", "flac", *TITLE, str(path))  # fmt: skip
    return [path]
