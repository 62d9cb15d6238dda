"""WAV and AVI samples from ffmpeg (noise audio, which does not compress, so ``size`` maps to bytes)."""

from __future__ import annotations

import subprocess
from pathlib import Path

BYTES_PER_SECOND = 88_200  # 44.1 kHz 16-bit mono PCM


def run(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True)


def make(folder: Path, *, size: int = 0) -> list[Path]:
    seconds = max(0.2, size / BYTES_PER_SECOND) if size else 0.5
    noise = f"anoisesrc=duration={seconds}:amplitude=0.3:sample_rate=44100"
    wav, avi = folder / "sample.wav", folder / "sample.avi"
    run(
        "-f",
        "lavfi",
        "-i",
        noise,
        "-ac",
        "1",
        "-c:a",
        "pcm_s16le",
        "-metadata",
        "title=hegui sample",
        str(wav),
    )
    video = f"testsrc=size=64x48:rate=5:duration={seconds}"
    run("-f", "lavfi", "-i", video, "-f", "lavfi", "-i", noise, "-ac", "1", "-c:v", "mpeg4", "-c:a", "pcm_s16le",
        "-metadata", "title=hegui sample", str(avi))  # fmt: skip
    return [wav, avi]
