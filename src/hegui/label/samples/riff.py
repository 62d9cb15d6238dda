"""WAV and AVI samples from ffmpeg (noise audio, which does not compress, so ``size`` maps to bytes)."""

from __future__ import annotations

from pathlib import Path

from hegui.label.samples._ffmpeg import TITLE, ffmpeg, seconds_for

BYTES_PER_SECOND = 88_200  # 44.1 kHz 16-bit mono PCM


def make(folder: Path, *, size: int = 0) -> list[Path]:
    seconds = seconds_for(size, BYTES_PER_SECOND)
    noise = f"anoisesrc=duration={seconds}:amplitude=0.3:sample_rate=44100"
    wav, avi = folder / "sample.wav", folder / "sample.avi"
    ffmpeg(
        "-f",
        "lavfi",
        "-i",
        noise,
        "-ac",
        "1",
        "-c:a",
        "pcm_s16le",
        *TITLE,
        str(wav),
    )
    video = f"testsrc=size=64x48:rate=5:duration={seconds}"
    ffmpeg("-f", "lavfi", "-i", video, "-f", "lavfi", "-i", noise, "-ac", "1", "-c:v", "mpeg4", "-c:a", "pcm_s16le",
        *TITLE, str(avi))  # fmt: skip
    return [wav, avi]
