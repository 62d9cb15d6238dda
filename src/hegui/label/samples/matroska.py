"""Matroska and WebM samples from ffmpeg (noise audio, so ``size`` maps roughly to bytes), with a title tag."""

from __future__ import annotations

import subprocess
from pathlib import Path

BYTES_PER_SECOND = 88_200  # 44.1 kHz 16-bit mono PCM in the MKV; the WebM's Opus at 256 kb/s is smaller


def run(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True)


def make(folder: Path, *, size: int = 0) -> list[Path]:
    seconds = max(0.2, size / BYTES_PER_SECOND) if size else 0.5
    noise = f"anoisesrc=duration={seconds}:amplitude=0.3:sample_rate=48000"
    video = f"testsrc=size=64x48:rate=5:duration={seconds}"
    mkv, webm = folder / "sample.mkv", folder / "sample.webm"
    run("-f", "lavfi", "-i", video, "-f", "lavfi", "-i", noise, "-ac", "1", "-ar", "44100", "-c:v", "mpeg4",
        "-c:a", "pcm_s16le", "-metadata", "title=hegui sample", str(mkv))  # fmt: skip
    run("-f", "lavfi", "-i", video, "-f", "lavfi", "-i", noise, "-ac", "1", "-c:v", "libvpx", "-c:a", "libopus",
        "-b:a", "256k", "-metadata", "title=hegui sample", str(webm))  # fmt: skip
    return [mkv, webm]
