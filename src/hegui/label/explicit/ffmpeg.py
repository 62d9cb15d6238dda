"""Thin wrappers over the ffmpeg / ffprobe programs (Debian package ffmpeg), used by the audio and video labels.

They run as separate processes (no GPL code is linked), and every failure becomes a hegui exception that names
the file and quotes ffmpeg's last lines.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np

from hegui.errors import InputError


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise InputError(
            f"{name} is not installed: install the Debian package ffmpeg (scripts/bootstrap-system.sh)"
        )
    return path


def run(args: list[str], *, path: str | os.PathLike[str] | None = None, stdin: bytes | None = None) -> bytes:
    """Run ffmpeg-family ``args``; return stdout; raise :class:`InputError` with the tail of stderr on failure."""
    proc = subprocess.run(args, input=stdin, capture_output=True, check=False)
    if proc.returncode != 0:
        tail = proc.stderr.decode(errors="replace").strip().splitlines()[-4:]
        raise InputError(f"{Path(args[0]).name} failed: {' | '.join(tail)}", path=path)
    return proc.stdout


def probe(path: str | os.PathLike[str]) -> dict[str, Any]:
    """ffprobe's streams and format of ``path`` as a dict."""
    if not Path(path).is_file():
        raise InputError("no such file", path=path)
    out = run(
        [tool("ffprobe"), "-v", "error", "-show_streams", "-show_format", "-of", "json", str(path)], path=path
    )
    data: dict[str, Any] = json.loads(out or b"{}")
    if not data.get("streams"):
        raise InputError("ffprobe finds no audio or video stream", path=path)
    return data


def first_stream(info: dict[str, Any], kind: str) -> dict[str, Any] | None:
    return next(
        (s for s in info.get("streams", []) if s.get("codec_type") == kind and not _is_cover(s)), None
    )


def _is_cover(stream: dict[str, Any]) -> bool:
    return bool((stream.get("disposition") or {}).get("attached_pic"))


def decode_audio(
    path: str | os.PathLike[str] | None, sample_rate: int, channels: int, *, data: bytes | None = None
) -> np.ndarray:
    """Decode the first audio stream (of a file, or of ``data`` piped in) to float32 frames x channels."""
    args = [tool("ffmpeg"), "-v", "error", "-nostdin" if data is None else "-hide_banner"]
    args += ["-i", "pipe:0" if data is not None else str(path), "-map", "0:a:0", "-vn"]
    args += ["-f", "f32le", "-acodec", "pcm_f32le", "-ar", str(sample_rate), "-ac", str(channels), "pipe:1"]
    raw = run(args, path=path, stdin=data)
    return np.frombuffer(raw, dtype="<f4").reshape(-1, channels).copy()
