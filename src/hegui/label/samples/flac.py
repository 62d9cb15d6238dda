"""FLAC samples from ffmpeg (noise, which does not compress, so ``size`` maps to bytes), with a title comment."""

from __future__ import annotations

import subprocess
from pathlib import Path

BYTES_PER_SECOND = 128_000  # 44.1 kHz 16-bit mono noise at amplitude 0.3, as measured


def make(folder: Path, *, size: int = 0) -> list[Path]:
    seconds = max(0.2, size / BYTES_PER_SECOND) if size else 0.5
    path = folder / "sample.flac"
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            f"anoisesrc=duration={seconds}:amplitude=0.3",
            "-ac",
            "1",
            "-ar",
            "44100",
            "-c:a",
            "flac",
            "-metadata",
            "title=hegui sample",
            str(path),
        ],
        check=True,
    )
    return [path]
