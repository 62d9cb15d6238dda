"""FLV samples from ffmpeg (noise audio, so ``size`` maps to bytes) with a keyframe index in ``onMetaData``."""

from __future__ import annotations

from pathlib import Path

from hegui.label.samples._ffmpeg import TITLE, ffmpeg, seconds_for

BYTES_PER_SECOND = 88_200  # 44.1 kHz 16-bit mono PCM


def make(folder: Path, *, size: int = 0) -> list[Path]:
    seconds = seconds_for(size, BYTES_PER_SECOND)
    path = folder / "sample.flv"
    ffmpeg(
        "-f", "lavfi", "-i", f"testsrc=size=64x48:rate=5:duration={seconds}",
         "-f", "lavfi", "-i", f"anoisesrc=duration={seconds}:amplitude=0.3:sample_rate=44100", "-ac", "1",
         "-c:v", "flv1", "-g", "5", "-c:a", "pcm_s16le", "-flvflags", "add_keyframe_index",
         *TITLE, str(path),
    )  # fmt: skip
    return [path]
