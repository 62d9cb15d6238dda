"""ISO BMFF samples made with ffmpeg (``testsrc`` + ``sine``): MP4 with ``moov`` first, MP4 with ``moov`` last,
fragmented MP4, M4A and MOV. ``size`` pads the last ``mdat`` with that many bytes of opaque data, so large files
are made in seconds and stay playable (the padding is data no sample table points at).
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
from pathlib import Path

LAYOUTS: dict[str, tuple[str, list[str]]] = {
    "moov-first": ("sample-faststart.mp4", ["-movflags", "+faststart"]),
    "moov-last": ("sample.mp4", []),
    "fragmented": ("sample-fragmented.mp4", ["-movflags", "frag_keyframe+empty_moov"]),
}


def ffmpeg() -> str:
    path = shutil.which("ffmpeg")
    if path is None:
        raise RuntimeError("ffmpeg is not installed (Debian package ffmpeg); run `make demo`")
    return path


def _run(args: list[str]) -> None:
    subprocess.run([ffmpeg(), "-v", "error", "-y", *args], check=True)


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


def pad_mdat(path: Path, extra: int) -> None:
    """Grow the last mdat by ``extra`` bytes of opaque data (nothing points at it, so the file still plays)."""
    if extra <= 0:
        return
    data = path.read_bytes()
    offset, last = 0, -1
    while offset + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[offset : offset + 8])
        if size == 1:
            (size,) = struct.unpack(">Q", data[offset + 8 : offset + 16])
        elif size == 0:
            size = len(data) - offset
        if kind == b"mdat":
            last = offset
        offset += size
    if last < 0:
        raise ValueError(f"{path}: no mdat box")
    (size,) = struct.unpack(">I", data[last : last + 4])
    if size + extra > 0xFFFFFFFF:
        raise ValueError("padding beyond 4 GiB is not supported by this sample maker")
    block = os.urandom(1024 * 1024)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as out:
        out.write(data[:last] + struct.pack(">I", size + extra) + data[last + 4 : last + size])
        left = extra
        while left:
            n = min(left, len(block))
            out.write(block[:n])
            left -= n
        out.write(data[last + size :])
    os.replace(tmp, path)


def make(folder: Path, *, size: int = 0, layouts: tuple[str, ...] | None = None) -> list[Path]:
    """MP4 in each layout (padded to about ``size`` bytes), plus an M4A and a MOV when ``size`` is 0."""
    folder.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    for layout in layouts or tuple(LAYOUTS):
        name, flags = LAYOUTS[layout]
        path = video(folder / name, movflags=flags)
        pad_mdat(path, size - path.stat().st_size)
        paths.append(path)
    if not size and layouts is None:
        paths.append(audio(folder / "sample.m4a"))
        paths.append(video(folder / "sample.mov"))
    return paths
