"""MP3 samples from ffmpeg (``sine`` through libmp3lame, with a title tag); ``size`` sets the duration."""

from __future__ import annotations

import subprocess
from pathlib import Path

BYTES_PER_SECOND = 16_000  # 128 kbit/s


def make(folder: Path, *, size: int = 0) -> list[Path]:
    seconds = max(0.2, size / BYTES_PER_SECOND) if size else 0.5
    path = folder / "sample.mp3"
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            f"sine=frequency=440:duration={seconds}",
            "-c:a",
            "libmp3lame",
            "-b:a",
            "128k",
            "-metadata",
            "title=hegui sample",
            str(path),
        ],
        check=True,
    )
    return [path]
