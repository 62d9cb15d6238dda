"""FLV samples from ffmpeg (noise audio, so ``size`` maps to bytes) with a keyframe index in ``onMetaData``."""

from __future__ import annotations

import subprocess
from pathlib import Path

BYTES_PER_SECOND = 88_200  # 44.1 kHz 16-bit mono PCM


def make(folder: Path, *, size: int = 0) -> list[Path]:
    seconds = max(0.2, size / BYTES_PER_SECOND) if size else 0.5
    path = folder / "sample.flv"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc=size=64x48:rate=5:duration={seconds}",
         "-f", "lavfi", "-i", f"anoisesrc=duration={seconds}:amplitude=0.3:sample_rate=44100", "-ac", "1",
         "-c:v", "flv1", "-g", "5", "-c:a", "pcm_s16le", "-flvflags", "add_keyframe_index",
         "-metadata", "title=hegui sample", str(path)],
        check=True,
    )  # fmt: skip
    return [path]
