"""ffmpeg and ffprobe as independent oracles for the audio and video label tests."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True, capture_output=True)


def decode_errors(path: Path) -> str:
    """What ffmpeg complains about while decoding the whole file (empty when the media still plays)."""
    return subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-f", "null", "-"], capture_output=True, text=True
    ).stderr


def decoded_md5(path: Path) -> str:
    """MD5 of the decoded audio samples."""
    return subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-map", "0:a", "-f", "md5", "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def ffprobe_tags(path: Path) -> dict[str, str]:
    """The container-level tags ffprobe reports."""
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_format", "-of", "json", str(path)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    tags: dict[str, str] = json.loads(out)["format"].get("tags", {})
    return tags
