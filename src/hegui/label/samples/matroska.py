"""Matroska and WebM samples from ffmpeg (noise audio, so ``size`` maps roughly to bytes), with a title tag."""

from __future__ import annotations

from pathlib import Path

from hegui.label.samples._ffmpeg import TITLE, ffmpeg, seconds_for

BYTES_PER_SECOND = 88_200  # 44.1 kHz 16-bit mono PCM in the MKV; the WebM's Opus at 256 kb/s is smaller


def make(folder: Path, *, size: int = 0) -> list[Path]:
    seconds = seconds_for(size, BYTES_PER_SECOND)
    noise = f"anoisesrc=duration={seconds}:amplitude=0.3:sample_rate=48000"
    video = f"testsrc=size=64x48:rate=5:duration={seconds}"
    mkv, webm = folder / "sample.mkv", folder / "sample.webm"
    ffmpeg("-f", "lavfi", "-i", video, "-f", "lavfi", "-i", noise, "-ac", "1", "-ar", "44100", "-c:v", "mpeg4",
        "-c:a", "pcm_s16le", *TITLE, str(mkv))  # fmt: skip
    ffmpeg("-f", "lavfi", "-i", video, "-f", "lavfi", "-i", noise, "-ac", "1", "-c:v", "libvpx", "-c:a", "libopus",
        "-b:a", "256k", *TITLE, str(webm))  # fmt: skip
    return [mkv, webm]
