"""The one way sample makers call ffmpeg: quiet, overwrite, and a clear error when ffmpeg is missing."""

from __future__ import annotations

import shutil
import subprocess

TITLE = ["-metadata", "title=hegui sample"]  # another tag, so tests can prove writers keep it


def ffmpeg_path() -> str:
    path = shutil.which("ffmpeg")
    if path is None:
        raise FileNotFoundError(
            "ffmpeg is not installed (Debian package ffmpeg); run `make demo` or `make test`"
        )
    return path


def ffmpeg(*args: str) -> None:
    subprocess.run([ffmpeg_path(), "-v", "error", "-y", *args], check=True)


def seconds_for(size: int, bytes_per_second: int) -> float:
    """Duration that gives about ``size`` bytes of media (0: a short default clip)."""
    return max(0.2, size / bytes_per_second) if size else 0.5
