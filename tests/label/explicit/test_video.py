"""Video labels (GB 45438-2025 §5.4): from the first frame, at least 2 s, 5% of the shortest side; audio copied
unchanged; tags and the implicit label kept. Checked at 23.976, 25, 29.97 and 60 fps, frame by frame."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from hegui.errors import UsageError
from hegui.label import Record, read, write
from hegui.label.explicit import ffmpeg as ff
from hegui.label.explicit.video import check_video, label_video

from .conftest import ffmpeg, tool

RATES = {"23.976": "24000/1001", "25": "25", "29.97": "30000/1001", "60": "60"}


def make_video(
    tmp_path: Path, rate: str, record: Record, *, size: str = "320x180", suffix: str = ".mp4"
) -> Path:
    path = tmp_path / f"src{suffix}"
    vcodec = (
        ["-c:v", "libx264", "-pix_fmt", "yuv420p"]
        if suffix != ".webm"
        else ["-c:v", "libvpx-vp9", "-deadline", "realtime"]
    )
    acodec = ["-c:a", "aac"] if suffix != ".webm" else ["-c:a", "libopus"]
    ffmpeg(
        "-f", "lavfi", "-i", f"testsrc2=s={size}:r={rate}:d=3", "-f", "lavfi", "-i", "sine=f=440:d=3",
        *vcodec, *acodec, "-shortest", "-metadata", "title=Hegui Clip", str(path),
    )  # fmt: skip
    write(path, record)
    return path


def audio_md5(path: Path) -> str:
    out = subprocess.run(
        [tool("ffmpeg"), "-v", "error", "-i", str(path), "-map", "0:a", "-c", "copy", "-f", "md5", "-"],
        capture_output=True,
        check=True,
    ).stdout
    return out.decode().strip()


@pytest.mark.parametrize("fps", list(RATES))
def test_label_in_every_frame_of_the_first_two_seconds(tmp_path: Path, fps: str, record: Record) -> None:
    src = make_video(tmp_path, RATES[fps], record)
    dst = tmp_path / "out.mp4"
    result = label_video(src, dst, duration=2.0)  # the minimum: the hardest case for the 2 s rule
    assert result.geometry.ratio >= 0.05
    check = check_video(dst)
    expected_frames = {"23.976": 48, "25": 50, "29.97": 60, "60": 120}[fps]
    assert check.frames_checked == expected_frames
    assert check.frames_labelled == check.frames_checked and check.compliant
    assert check.first_frame.ratio is not None and check.first_frame.ratio >= 0.05
    assert check.first_frame.position == "bottom-right"
    # and the checker can fail: the label ends at 2.0 s, so a 2.5 s window sees unlabelled frames after it
    longer = check_video(dst, seconds=2.5)
    assert not longer.compliant and longer.first_unlabelled_s == pytest.approx(2.0, abs=1.5 / float(fps))
    # audio copied unchanged, tags and the implicit label kept
    assert audio_md5(src) == audio_md5(dst)
    assert ff.probe(dst)["format"]["tags"].get("title") == "Hegui Clip"
    scan = read(dst)
    assert len(scan.labels) == 1 and scan.label is not None and scan.label.record == record


def test_default_duration_persistent_mark_and_portrait_webm(tmp_path: Path, record: Record) -> None:
    src = make_video(tmp_path, "25", record, size="180x320", suffix=".webm")
    result = label_video(src, persistent=True)
    assert result.label_until_s == 3.0 and result.mark is not None
    assert result.geometry.ink_height >= 0.05 * 180
    whole = check_video(src, seconds=2.9)
    assert whole.compliant and whole.frames_labelled == whole.frames_checked
    assert read(src).label.record == record  # type: ignore[union-attr]


def test_never_under_two_seconds(tmp_path: Path, record: Record) -> None:
    src = make_video(tmp_path, "25", record)
    before = src.read_bytes()
    with pytest.raises(UsageError, match="2 s"):
        label_video(src, duration=1.5)
    assert src.read_bytes() == before


def test_unlabelled_video_fails_the_check(tmp_path: Path, record: Record) -> None:
    src = make_video(tmp_path, "25", record)
    check = check_video(src)
    assert not check.compliant and check.frames_labelled == 0
