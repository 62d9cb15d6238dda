"""ISO BMFF samples made with ffmpeg (``testsrc`` + ``sine``): MP4 with ``moov`` first, MP4 with ``moov`` last,
fragmented MP4, M4A and MOV. For a ``size``, a 2-second 720p clip is encoded once and stream-copied back to back
(``-stream_loop``) until the file is about that large: real media that every remux must copy, made in seconds.
"""

from __future__ import annotations

import math
from pathlib import Path

from hegui.label.samples._ffmpeg import ffmpeg

LAYOUTS: dict[str, tuple[str, list[str]]] = {
    "moov-first": ("sample-faststart.mp4", ["-movflags", "+faststart"]),
    "moov-last": ("sample.mp4", []),
    "fragmented": ("sample-fragmented.mp4", ["-movflags", "frag_keyframe+empty_moov"]),
}


def _run(args: list[str]) -> None:
    ffmpeg(*args)


def video(path: Path, *, movflags: list[str] | None = None, seconds: float = 1.0) -> Path:
    """A tiny H.264 + AAC clip."""
    _run(
        [
            "-f", "lavfi", "-i", f"testsrc=size=64x48:rate=10:duration={seconds}",
            "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}",
            "-c:v", "libx264", "-preset", "ultrafast", "-g", "5", "-c:a", "aac", "-shortest",
            *(movflags or []), str(path),
        ]
    )  # fmt: skip
    return path


def audio(path: Path, *, seconds: float = 1.0) -> Path:
    """A tiny AAC file in an M4A container."""
    _run(["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}", "-c:a", "aac", str(path)])
    return path


def clip(path: Path) -> Path:
    """A 2-second 720p clip of about 2.6 MB (MPEG-4 part 2 at top quality: fast to encode, hard to compress)."""
    _run(
        [
            "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=25:duration=2",
            "-f", "lavfi", "-i", "sine=frequency=440:duration=2",
            "-c:v", "mpeg4", "-q:v", "1", "-g", "25", "-c:a", "aac", "-shortest", str(path),
        ]
    )  # fmt: skip
    return path


def looped(source: Path, path: Path, size: int, movflags: list[str]) -> Path:
    """``source`` played back to back until the file holds about ``size`` bytes (stream copy, no encoding)."""
    loops = max(0, math.ceil(size / source.stat().st_size) - 1)
    _run(["-stream_loop", str(loops), "-i", str(source), "-map", "0", "-c", "copy", *movflags, str(path)])
    return path


def make(folder: Path, *, size: int = 0, layouts: tuple[str, ...] | None = None) -> list[Path]:
    """MP4 in each layout (padded to about ``size`` bytes), plus an M4A and a MOV when ``size`` is 0."""
    folder.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    for layout in layouts or tuple(LAYOUTS):
        name, flags = LAYOUTS[layout]
        if size:
            source = folder / ".clip.mp4"
            if not source.exists():
                clip(source)
            paths.append(looped(source, folder / name, size, flags))
        else:
            paths.append(video(folder / name, movflags=flags))
    (folder / ".clip.mp4").unlink(missing_ok=True)
    if not size and layouts is None:
        paths.append(audio(folder / "sample.m4a"))
        paths.append(video(folder / "sample.mov"))
    return paths
