"""One entry point per file for visible labels, whatever the medium: the service layer the CLI and the web app call.

The medium is chosen from the file name (text, image, audio, video); each medium module is imported only when a
file of that medium comes, so labelling a Markdown file never loads numpy or Pillow.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from hegui.atomic import atomic_output
from hegui.errors import InputError, UnsupportedFormatError, UsageError
from hegui.extras import require_installed
from hegui.label.explicit.text import DEFAULT_TEXT, TextFormat, check_text, label_text

Medium = Literal["text", "image", "audio", "video"]

TEXT_FORMATS: dict[str, TextFormat] = {
    ".txt": "plain",
    ".text": "plain",
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
}
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".gif", ".tif", ".tiff", ".avif", ".heic", ".heif"}
AUDIO_SUFFIXES = {".wav", ".mp3", ".flac", ".ogg", ".oga", ".opus", ".m4a"}
VIDEO_SUFFIXES = {".mp4", ".mov", ".m4v", ".mkv", ".webm", ".avi", ".flv"}
TEXT_POSITIONS = ("start", "end", "both")


@dataclass
class Options:
    """What the caller may choose; ``None`` means the medium's default."""

    text: str | None = None
    position: str | None = None
    duration: float | None = None
    cue: str = "rhythm"
    ratio: float | None = None
    persistent: bool = False


def medium_of(path: str | os.PathLike[str]) -> Medium:
    suffix = Path(path).suffix.lower()
    if suffix in TEXT_FORMATS:
        return "text"
    if suffix in IMAGE_SUFFIXES:
        return "image"
    if suffix in AUDIO_SUFFIXES:
        return "audio"
    if suffix in VIDEO_SUFFIXES:
        return "video"
    raise UnsupportedFormatError(
        "visible labels are added to text (.txt .md .html), images, audio and video; "
        f"the suffix {suffix or '(none)'} names none of them",
        path=path,
    )


def _media_extra() -> None:
    """Images, audio and video need numpy and SciPy (``pip install 'hegui[visible]'``); text needs neither."""
    require_installed("visible", "numpy", "scipy")


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("no such file", path=path) from None
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", path=path) from exc


def label_file(
    path: str | os.PathLike[str], output: str | os.PathLike[str] | None = None, options: Options | None = None
) -> dict[str, Any]:
    """Add the visible label to one file; return what was done as a JSON-ready dict."""
    opts = options or Options()
    src = Path(path)
    medium = medium_of(src)
    if medium == "text":
        fmt = TEXT_FORMATS[src.suffix.lower()]
        position = opts.position or "start"
        if position not in TEXT_POSITIONS and not position.isdigit():
            raise UsageError(f"text position {position!r}: use start, end, both or a character offset")
        text = _read_text(src)
        labelled = label_text(
            text,
            label=opts.text or DEFAULT_TEXT,
            position=int(position) if position.isdigit() else position,  # type: ignore[arg-type]
            fmt=fmt,
        )
        dst = Path(output) if output is not None else src
        if dst.is_dir():
            dst = dst / src.name
        with atomic_output(dst, mode_from=src) as out:
            out.write(labelled.encode("utf-8"))
        check = check_text(labelled, fmt=fmt)
        return {
            "path": str(src),
            "output": str(dst),
            "medium": "text",
            "format": fmt,
            "position": position,
            "labels": [h.__dict__ for h in check.labels],
        }
    _media_extra()
    if medium == "image":
        from hegui.label.explicit.image import label_image
        from hegui.label.explicit.render import DEFAULT_IMAGE_TEXT, DEFAULT_RATIO

        return label_image(
            src,
            output,
            text=opts.text or DEFAULT_IMAGE_TEXT,
            position=opts.position or "bottom-right",
            ratio=opts.ratio or DEFAULT_RATIO,
        ).to_dict()
    if medium == "audio":
        from hegui.label.explicit.audio import VOICE_TEXT, label_audio

        position = opts.position or "start"
        if position not in TEXT_POSITIONS:
            raise UsageError(f"audio position {position!r}: use start, end or both")
        if opts.cue not in ("rhythm", "voice"):
            raise UsageError(f"unknown cue {opts.cue!r}: use rhythm or voice")
        return label_audio(
            src,
            output,
            cue=opts.cue,  # type: ignore[arg-type]
            position=position,  # type: ignore[arg-type]
            text=opts.text or VOICE_TEXT,
        ).to_dict()
    from hegui.label.explicit.render import DEFAULT_IMAGE_TEXT, DEFAULT_RATIO
    from hegui.label.explicit.video import DEFAULT_DURATION_S, label_video

    return label_video(
        src,
        output,
        text=opts.text or DEFAULT_IMAGE_TEXT,
        position=opts.position or "bottom-right",
        duration=opts.duration if opts.duration is not None else DEFAULT_DURATION_S,
        ratio=opts.ratio or DEFAULT_RATIO,
        persistent=opts.persistent,
    ).to_dict()


def check_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Check one file for a compliant visible label; the dict has ``compliant`` and the medium's details."""
    src = Path(path)
    medium = medium_of(src)
    result: Any
    if medium == "text":
        result = check_text(_read_text(src), fmt=TEXT_FORMATS[src.suffix.lower()])
    elif medium == "image":
        _media_extra()
        from hegui.label.explicit.image_check import check_image

        result = check_image(src)
    elif medium == "audio":
        _media_extra()
        from hegui.label.explicit.audio import check_audio

        result = check_audio(src)
    else:
        _media_extra()
        from hegui.label.explicit.video import check_video

        result = check_video(src)
    return {"path": str(src), "medium": medium, **result.to_dict()}
