"""Visible (audible) labels on audio files (GB 45438-2025 §5.3; Labeling Measures Art. 4(二)).

Two kinds of prompt, at the start (default), the end or both:

* ``rhythm``: the "短长短短" cue of :mod:`hegui.label.explicit.cue` (Morse "AI");
* ``voice``: the spoken Mandarin sentence "本内容由人工智能生成" through espeak-ng (holds both elements, §5.3 b), at a
  normal rate: §5.3 e) note 4 puts normal Mandarin at 120-160 characters a minute, and espeak-ng's speed
  :data:`VOICE_SPEED` gives about 139 (measured: 10 characters in 4.3 s of speech).

The file is decoded with ffmpeg, the prompt joined to it at the file's own sample rate and channel count, and the
result encoded with the source's codec (and bit rate, where it has one) into the same container; tags and cover art
are copied, and the source's implicit label is written again through :func:`hegui.label.write`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from hegui.atomic import atomic_output
from hegui.errors import InputError, UnsupportedFormatError, UsageError
from hegui.label.explicit import ffmpeg
from hegui.label.explicit.cue import DEFAULT_CUE, CueHit, CueSpec, cue_samples, detect_cue
from hegui.label.explicit.text import require_compliant

VOICE_TEXT = "本内容由人工智能生成"
VOICE = "cmn"  # espeak-ng's Mandarin voice
VOICE_SPEED = 145  # espeak-ng words-per-minute setting that gives ~139 Mandarin characters a minute
PAUSE_S = 0.3  # silence between the prompt and the content
SUFFIXES = {".wav", ".mp3", ".flac", ".ogg", ".oga", ".opus", ".m4a"}

Cue = Literal["rhythm", "voice"]
Where = Literal["start", "end", "both"]


@dataclass
class AudioLabelResult:
    path: str
    output: str
    codec: str
    sample_rate: int
    channels: int
    cue: str
    position: str
    prompt_s: float
    duration_s: float
    implicit_label: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"medium": "audio", **asdict(self)}


@dataclass
class AudioCheck:
    compliant: bool
    cues: list[CueHit] = field(default_factory=list)
    duration_s: float = 0.0
    problems: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "compliant": self.compliant,
            "cues": [c.to_dict() for c in self.cues],
            "duration_s": self.duration_s,
            "problems": self.problems,
        }


def _encoder(stream: dict[str, Any], fmt: dict[str, Any]) -> list[str]:
    codec = str(stream.get("codec_name", ""))
    bit_rate = stream.get("bit_rate") or fmt.get("bit_rate")
    rate = ["-b:a", str(bit_rate)] if bit_rate and str(bit_rate).isdigit() else []
    if codec == "mp3":
        return ["-c:a", "libmp3lame", *(rate or ["-q:a", "2"])]
    if codec == "aac":
        return ["-c:a", "aac", *(rate or ["-b:a", "160k"])]
    if codec == "vorbis":
        return ["-c:a", "libvorbis", *(rate or ["-q:a", "5"])]
    if codec == "opus":
        return ["-c:a", "libopus", *(rate or ["-b:a", "96k"])]
    if codec == "flac":
        bits = int(stream.get("bits_per_raw_sample") or 16)
        return ["-c:a", "flac", "-sample_fmt", "s16" if bits <= 16 else "s32"]
    if codec == "alac":
        return ["-c:a", "alac"]
    if codec.startswith("pcm_"):
        return ["-c:a", codec]
    raise UnsupportedFormatError(f"audio codec {codec or 'unknown'} is not one hegui re-encodes")


def voice_samples(sample_rate: int, text: str = VOICE_TEXT, speed: int = VOICE_SPEED) -> np.ndarray:
    """The spoken prompt through espeak-ng, resampled to ``sample_rate`` (mono float32)."""
    require_compliant(text)
    binary = shutil.which("espeak-ng")
    if binary is None:
        raise InputError(
            "espeak-ng is not installed: install the Debian package espeak-ng (scripts/bootstrap-system.sh), "
            "or use the rhythm cue (--cue rhythm)"
        )
    proc = subprocess.run(
        [binary, "-v", VOICE, "-s", str(speed), "--stdout", text], capture_output=True, check=False
    )
    if proc.returncode != 0 or not proc.stdout:
        raise InputError(f"espeak-ng failed: {proc.stderr.decode(errors='replace').strip()}")
    return ffmpeg.decode_audio(None, sample_rate, 1, data=proc.stdout)[:, 0]


def prompt_samples(
    cue: Cue, sample_rate: int, spec: CueSpec = DEFAULT_CUE, text: str = VOICE_TEXT
) -> np.ndarray:
    if cue == "rhythm":
        return cue_samples(spec, sample_rate)
    if cue == "voice":
        return voice_samples(sample_rate, text)
    raise UsageError(f"unknown audio cue {cue!r}; use rhythm or voice")


def label_audio(
    path: str | os.PathLike[str],
    output: str | os.PathLike[str] | None = None,
    *,
    cue: Cue = "rhythm",
    position: Where = "start",
    spec: CueSpec = DEFAULT_CUE,
    text: str = VOICE_TEXT,
) -> AudioLabelResult:
    """Add the audible label to an audio file; write to ``output`` (default: in place, atomically)."""
    from hegui.label import read, write

    if position not in ("start", "end", "both"):
        raise UsageError(f"unknown audio label position {position!r}; use start, end or both")
    src = Path(path)
    dst = Path(output) if output is not None else src
    if dst.is_dir():
        dst = dst / src.name
    info = ffmpeg.probe(src)
    stream = ffmpeg.first_stream(info, "audio")
    if stream is None:
        raise InputError("no audio stream", path=src)
    if ffmpeg.first_stream(info, "video") is not None:
        raise UnsupportedFormatError("this file has video: label it as a video", path=src)
    encoder = _encoder(stream, info.get("format", {}))
    sample_rate, channels = int(stream["sample_rate"]), int(stream.get("channels") or 1)
    try:
        scan = read(src)
        record = scan.label.record if scan.label is not None else None
    except Exception:  # a file the implicit wing cannot parse still gets its audible label
        record = None
    content = ffmpeg.decode_audio(src, sample_rate, channels)
    prompt = np.repeat(prompt_samples(cue, sample_rate, spec, text)[:, None], channels, axis=1)
    pause = np.zeros((round(PAUSE_S * sample_rate), channels), dtype=np.float32)
    parts = [content]
    if position in ("start", "both"):
        parts = [prompt, pause, *parts]
    if position in ("end", "both"):
        parts = [*parts, pause, prompt]
    joined = np.clip(np.concatenate(parts), -1.0, 1.0).astype("<f4")
    with tempfile.TemporaryDirectory(prefix="hegui-visible-") as tmp:
        staged = Path(tmp) / ("staged" + src.suffix.lower())
        args = [ffmpeg.tool("ffmpeg"), "-v", "error", "-y", "-f", "f32le", "-ar", str(sample_rate)]
        args += ["-ac", str(channels), "-i", "pipe:0", "-i", str(src), "-map", "0:a", "-map", "1:v?"]
        args += ["-map_metadata", "1", "-map_metadata:s:a:0", "1:s:a:0"]  # Ogg keeps tags on the stream
        args += ["-c:v", "copy", *encoder, "-ar", str(sample_rate), str(staged)]
        ffmpeg.run(args, path=src, stdin=joined.tobytes())
        if record is not None:
            write(staged, record)
        with atomic_output(dst, mode_from=src) as out, staged.open("rb") as fh:
            shutil.copyfileobj(fh, out.file)
    return AudioLabelResult(
        path=str(src),
        output=str(dst),
        codec=str(stream.get("codec_name")),
        sample_rate=sample_rate,
        channels=channels,
        cue=cue,
        position=position,
        prompt_s=round(len(prompt) / sample_rate, 3),
        duration_s=round(len(joined) / sample_rate, 3),
        implicit_label=record.to_dict() if record is not None else None,
    )


def check_audio(path: str | os.PathLike[str]) -> AudioCheck:
    """Look for the rhythm cue. A spoken prompt cannot be verified without speech recognition, which hegui does
    not ship, so a file labelled only by voice is reported as "no rhythm cue found"."""
    samples = ffmpeg.decode_audio(path, 16000, 1)
    hits = detect_cue(samples, 16000)
    problems = (
        []
        if hits
        else [
            "no 短长短短 rhythm cue found (GB 45438-2025 §5.3 c); a spoken prompt is not checked (no speech recognition)"
        ]
    )
    return AudioCheck(bool(hits), hits, round(len(samples) / 16000, 3), problems)
