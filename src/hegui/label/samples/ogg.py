"""Ogg Vorbis and Ogg Opus samples from ffmpeg (``sine``, with a title comment); ``size`` sets the duration."""

from __future__ import annotations

import subprocess
from pathlib import Path

BYTES_PER_SECOND = 8_000  # both encoders at 64 kbit/s


def make(folder: Path, *, size: int = 0) -> list[Path]:
    seconds = max(0.2, size / BYTES_PER_SECOND) if size else 0.5
    paths = []
    for codec, name in (("libvorbis", "sample.ogg"), ("libopus", "sample.opus")):
        path = folder / name
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
                codec,
                "-b:a",
                "64k",
                "-metadata",
                "title=hegui sample",
                str(path),
            ],
            check=True,
        )
        paths.append(path)
    return paths
