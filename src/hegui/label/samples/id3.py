"""MP3 samples from ffmpeg (``sine`` through libmp3lame, with a title tag); ``size`` sets the duration."""

from __future__ import annotations

from pathlib import Path

from hegui.label.samples._ffmpeg import TITLE, ffmpeg, seconds_for

BYTES_PER_SECOND = 16_000  # 128 kbit/s


def make(folder: Path, *, size: int = 0) -> list[Path]:
    seconds = seconds_for(size, BYTES_PER_SECOND)
    path = folder / "sample.mp3"
    ffmpeg("-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}", "-c:a", "libmp3lame", "-b:a", "128k",
           *TITLE, str(path))  # fmt: skip
    return [path]
