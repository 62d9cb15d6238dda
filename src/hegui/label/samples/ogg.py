"""Ogg Vorbis and Ogg Opus samples from ffmpeg (``sine``, with a title comment); ``size`` sets the duration."""

from __future__ import annotations

from pathlib import Path

from hegui.label.samples._ffmpeg import TITLE, ffmpeg, seconds_for

BYTES_PER_SECOND = 8_000  # both encoders at 64 kbit/s


def make(folder: Path, *, size: int = 0) -> list[Path]:
    seconds = seconds_for(size, BYTES_PER_SECOND)
    paths = []
    for codec, name in (("libvorbis", "sample.ogg"), ("libopus", "sample.opus")):
        path = folder / name
        ffmpeg("-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}", "-c:a", codec, "-b:a", "64k",
               *TITLE, str(path))  # fmt: skip
        paths.append(path)
    return paths
