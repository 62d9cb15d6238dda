"""Visible labels on video (GB 45438-2025 §5.4; Labeling Measures Art. 4(四)).

The label is a plated text, sized by measured ink height to at least 5% of the shortest side of the frame (the
same renderer as images), overlaid by ffmpeg from the first frame for ``duration`` seconds (default 3 s; never
under the 2 s that §5.4 requires at normal playback speed). An optional persistent corner mark stays for the whole
video. Only the video stream is re-encoded (same codec family, high quality, frame timestamps passed through);
audio, subtitles and the container's tags are copied, and the source's implicit label is written again through
:func:`hegui.label.write`.

:func:`check_video` is independent of the labeller: it decodes every frame whose timestamp is under 2.0 s, finds
the label in the first one by template matching (:mod:`hegui.label.explicit.image_check`) and follows it through
the others.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from hegui.atomic import atomic_output
from hegui.errors import InputError, UnsupportedFormatError, UsageError
from hegui.label.explicit import ffmpeg
from hegui.label.explicit.image_check import DEFAULT_TEXTS, MATCH_THRESHOLD, ImageCheck, check_gray, match_at
from hegui.label.explicit.render import DEFAULT_IMAGE_TEXT, DEFAULT_RATIO, Geometry, label_overlay
from hegui.label.explicit.text import require_compliant

MIN_DURATION_S = 2.0  # §5.4: at least 2 s at normal playback speed
DEFAULT_DURATION_S = 3.0
CHECK_SECONDS = 2.0
CHECK_SHORT_SIDE = 540  # frames are checked at most at this shortest side (the ratio does not change)
SUFFIXES = {".mp4", ".mov", ".m4v", ".mkv", ".webm", ".avi", ".flv"}

# source codec -> encoder arguments (high quality: the label must not cost visible quality elsewhere)
ENCODERS: dict[str, list[str]] = {
    "h264": ["-c:v", "libx264", "-crf", "18", "-preset", "veryfast"],
    "hevc": ["-c:v", "libx265", "-crf", "20", "-preset", "fast"],
    "vp9": ["-c:v", "libvpx-vp9", "-crf", "30", "-b:v", "0", "-deadline", "good", "-cpu-used", "4"],
    "vp8": ["-c:v", "libvpx", "-crf", "10", "-b:v", "4M"],
    "mpeg4": ["-c:v", "mpeg4", "-q:v", "2"],
    "av1": ["-c:v", "libaom-av1", "-crf", "30", "-cpu-used", "6"],
    "mjpeg": ["-c:v", "mjpeg", "-q:v", "2"],
    "flv1": ["-c:v", "flv", "-q:v", "2"],
}


@dataclass
class VideoLabelResult:
    path: str
    output: str
    codec: str
    fps: float
    duration_s: float
    label_until_s: float
    geometry: Geometry
    mark: Geometry | None = None
    implicit_label: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["medium"] = "video"
        return out


@dataclass
class VideoCheck:
    compliant: bool
    fps: float
    frames_checked: int
    frames_labelled: int
    first_unlabelled_s: float | None
    first_frame: ImageCheck
    problems: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _fps(stream: dict[str, Any]) -> float:
    for key in ("avg_frame_rate", "r_frame_rate"):
        value = str(stream.get(key) or "0/0")
        try:
            rate = Fraction(value)
        except (ValueError, ZeroDivisionError):
            continue
        if rate > 0:
            return float(rate)
    return 0.0


def _xy(geometry: Geometry) -> tuple[int, int]:
    return geometry.box[0], geometry.box[1]


def label_video(
    path: str | os.PathLike[str],
    output: str | os.PathLike[str] | None = None,
    *,
    text: str = DEFAULT_IMAGE_TEXT,
    position: str = "bottom-right",
    duration: float = DEFAULT_DURATION_S,
    ratio: float = DEFAULT_RATIO,
    persistent: bool = False,
    mark_position: str = "top-left",
) -> VideoLabelResult:
    """Overlay the visible label on ``path`` from its first frame; write to ``output`` (default: in place)."""
    from hegui.label import read, write

    require_compliant(text)
    if duration < MIN_DURATION_S:
        raise UsageError(f"label duration {duration} s is under the 2 s of GB 45438-2025 §5.4")
    src = Path(path)
    dst = Path(output) if output is not None else src
    if dst.is_dir():
        dst = dst / src.name
    info = ffmpeg.probe(src)
    stream = ffmpeg.first_stream(info, "video")
    if stream is None:
        raise InputError("no video stream", path=src)
    codec = str(stream.get("codec_name"))
    if codec not in ENCODERS:
        raise UnsupportedFormatError(f"video codec {codec} is not one hegui re-encodes", path=src)
    width, height = int(stream["width"]), int(stream["height"])
    start = float(stream.get("start_time") or info.get("format", {}).get("start_time") or 0.0)
    total = float(info.get("format", {}).get("duration") or stream.get("duration") or 0.0)
    try:
        scan = read(src)
        record = scan.label.record if scan.label is not None else None
    except Exception:  # a file the implicit wing cannot parse still gets its visible label
        record = None
    overlay, geometry = label_overlay(width, height, text=text, position=position, ratio=ratio)
    mark: Geometry | None = None
    with tempfile.TemporaryDirectory(prefix="hegui-visible-") as tmp:
        label_png = Path(tmp) / "label.png"
        overlay.save(label_png)
        inputs = ["-i", str(src), "-i", str(label_png)]
        x, y = _xy(geometry)
        until = start + duration
        graph = f"[0:v][1:v]overlay={x}:{y}:enable='lt(t,{until:.6f})':eof_action=repeat"
        if persistent:
            mark_img, mark = label_overlay(
                width, height, text=DEFAULT_IMAGE_TEXT, position=mark_position, ratio=ratio
            )
            mark_png = Path(tmp) / "mark.png"
            mark_img.save(mark_png)
            inputs += ["-i", str(mark_png)]
            mx, my = _xy(mark)
            graph += f"[v1];[v1][2:v]overlay={mx}:{my}:eof_action=repeat"
        graph += ",format=" + str(stream.get("pix_fmt") or "yuv420p") + "[v]"
        staged = Path(tmp) / ("staged" + src.suffix.lower())
        args = [ffmpeg.tool("ffmpeg"), "-v", "error", "-y", "-nostdin", *inputs, "-filter_complex", graph]
        args += ["-map", "[v]", "-map", "0:a?", "-map", "0:s?", "-c:a", "copy", "-c:s", "copy"]
        args += [*ENCODERS[codec], "-fps_mode", "passthrough", "-map_metadata", "0"]
        if src.suffix.lower() in (".mp4", ".mov", ".m4v"):
            args += ["-movflags", "use_metadata_tags"]
        args += [str(staged)]
        ffmpeg.run(args, path=src)
        if record is not None:
            write(staged, record)
        with atomic_output(dst, mode_from=src) as out, staged.open("rb") as fh:
            shutil.copyfileobj(fh, out.file)
    return VideoLabelResult(
        path=str(src),
        output=str(dst),
        codec=codec,
        fps=round(_fps(stream), 4),
        duration_s=round(total, 3),
        label_until_s=round(min(duration, total) if total else duration, 3),
        geometry=geometry,
        mark=mark,
        implicit_label=record.to_dict() if record is not None else None,
    )


def decode_frames(
    path: str | os.PathLike[str], seconds: float = CHECK_SECONDS, short_side: int = CHECK_SHORT_SIDE
) -> tuple[np.ndarray, float]:
    """Luminance of every frame whose timestamp is under ``seconds`` (from the first frame), and the frame rate."""
    info = ffmpeg.probe(path)
    stream = ffmpeg.first_stream(info, "video")
    if stream is None:
        raise InputError("no video stream", path=path)
    width, height = int(stream["width"]), int(stream["height"])
    scale = min(1.0, short_side / min(width, height))
    w, h = max(2, round(width * scale / 2) * 2), max(2, round(height * scale / 2) * 2)
    args = [
        ffmpeg.tool("ffmpeg"),
        "-v",
        "error",
        "-nostdin",
        "-i",
        str(path),
        "-map",
        "0:v:0",
        "-t",
        f"{seconds}",
    ]
    args += [
        "-fps_mode",
        "passthrough",
        "-vf",
        f"scale={w}:{h}:flags=area",
        "-pix_fmt",
        "gray",
        "-f",
        "rawvideo",
    ]
    raw = ffmpeg.run([*args, "pipe:1"], path=path)
    frames = np.frombuffer(raw, dtype=np.uint8).reshape(-1, h, w)
    return frames, _fps(stream)


def check_video(
    path: str | os.PathLike[str],
    *,
    seconds: float = CHECK_SECONDS,
    texts: tuple[str, ...] | list[str] | None = None,
) -> VideoCheck:
    """Is a compliant label in every frame of the first ``seconds`` (default 2.0 s, §5.4)?"""
    candidates = tuple(require_compliant(t) for t in texts) if texts else DEFAULT_TEXTS
    frames, fps = decode_frames(path, seconds)
    if len(frames) == 0:
        raise InputError("no frames decoded", path=path)
    first, match = check_gray(frames[0].astype(np.float32), candidates)
    labelled = 0
    first_missing: float | None = None
    if match is not None:
        for i, frame in enumerate(frames):
            if match_at(frame.astype(np.float32), match) >= MATCH_THRESHOLD:
                labelled += 1
            elif first_missing is None:
                first_missing = round(i / fps, 4) if fps else float(i)
    problems = list(first.problems)
    if match is not None and labelled < len(frames):
        problems.append(
            f"the label is missing from {len(frames) - labelled} of the {len(frames)} frames of the first "
            f"{seconds:g} s (first at {first_missing} s; GB 45438-2025 §5.4 asks for at least 2 s)"
        )
    return VideoCheck(
        compliant=not problems,
        fps=round(fps, 4),
        frames_checked=len(frames),
        frames_labelled=labelled,
        first_unlabelled_s=first_missing,
        first_frame=first,
        problems=problems,
    )
