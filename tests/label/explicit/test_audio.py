"""Audio labels (GB 45438-2025 §5.3): rhythm cue and spoken prompt, start / end / both, same sample rate, channels
and codec for WAV, MP3, FLAC, Ogg and M4A, the implicit label kept."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

from hegui.errors import UsageError
from hegui.label import Record, read, write
from hegui.label.explicit import ffmpeg as ff
from hegui.label.explicit.audio import VOICE_TEXT, check_audio, label_audio, voice_samples
from hegui.label.explicit.cue import PATTERN, CueSpec, cue_samples, detect_cue

from .conftest import ffmpeg, tool

# suffix -> (ffmpeg encoder args, expected codec, sample rate, channels)
FORMATS = {
    ".wav": (["-c:a", "pcm_s16le"], "pcm_s16le", 22050, 1),
    ".mp3": (["-c:a", "libmp3lame", "-b:a", "128k"], "mp3", 44100, 2),
    ".flac": (["-c:a", "flac"], "flac", 48000, 2),
    ".ogg": (["-c:a", "libvorbis", "-q:a", "4"], "vorbis", 32000, 1),
    ".m4a": (["-c:a", "aac", "-b:a", "128k"], "aac", 44100, 2),
}


def make_audio(tmp_path: Path, suffix: str, record: Record, seconds: float = 2.0) -> Path:
    args, _codec, rate, channels = FORMATS[suffix]
    path = tmp_path / f"src{suffix}"
    ffmpeg(
        "-f", "lavfi", "-i", f"anoisesrc=d={seconds}:c=pink:a=0.05:r={rate}", "-ac", str(channels), "-ar", str(rate),
        *args, "-metadata", "title=Hegui Test", str(path),
    )  # fmt: skip
    write(path, record)
    return path


def stream_info(path: Path) -> dict:
    info = ff.probe(path)
    stream = next(s for s in info["streams"] if s["codec_type"] == "audio")
    return stream | {"tags_": info["format"].get("tags", {}) | stream.get("tags", {})}


@pytest.mark.parametrize("suffix", list(FORMATS))
@pytest.mark.parametrize("position", ["start", "end", "both"])
def test_rhythm_cue_every_format(tmp_path: Path, suffix: str, position: str, record: Record) -> None:
    src = make_audio(tmp_path, suffix, record)
    dst = tmp_path / f"out{suffix}"
    result = label_audio(src, dst, position=position)  # type: ignore[arg-type]
    before, after = stream_info(src), stream_info(dst)
    _args, codec, rate, channels = FORMATS[suffix]
    assert (
        after["codec_name"] == codec and int(after["sample_rate"]) == rate and after["channels"] == channels
    )
    assert before["codec_name"] == after["codec_name"]
    assert {k.lower(): v for k, v in after["tags_"].items()}.get("title") == "Hegui Test"
    scan = read(dst)
    assert len(scan.labels) == 1 and scan.label is not None and scan.label.record == record
    assert result.implicit_label == record.to_dict()
    check = check_audio(dst)
    assert check.compliant
    wheres = [c.where for c in check.cues]
    assert wheres == {"start": ["start"], "end": ["end"], "both": ["start", "end"]}[position]
    assert check.duration_s == pytest.approx(
        2.0 + result.prompt_s * len(wheres) + 0.3 * len(wheres), abs=0.12
    )


@pytest.mark.parametrize("suffix", [".wav", ".mp3"])
def test_voice_prompt(tmp_path: Path, suffix: str, record: Record) -> None:
    tool("espeak-ng")
    src = make_audio(tmp_path, suffix, record)
    result = label_audio(src, cue="voice")
    assert result.prompt_s > 2.5
    assert read(src).label.record == record  # type: ignore[union-attr]
    assert not check_audio(src).compliant  # a spoken prompt is not verifiable without ASR, and says so
    # the prompt is at the start: the first second is speech, far louder than the pink noise source
    samples = ff.decode_audio(src, 16000, 1)[:, 0]
    assert np.sqrt(np.mean(samples[4000:16000] ** 2)) > 3 * np.sqrt(np.mean(samples[-16000:] ** 2))


def test_voice_rate_is_normal_speed() -> None:
    """§5.3 e) note 4: normal Mandarin speed is 120-160 characters a minute; measured on the voiced span."""
    tool("espeak-ng")
    voice = voice_samples(16000)
    envelope = np.convolve(np.abs(voice), np.ones(160) / 160, mode="same")
    voiced = np.flatnonzero(envelope > 0.02 * envelope.max())
    seconds = (voiced[-1] - voiced[0]) / 16000
    rate = len(VOICE_TEXT) / seconds * 60
    assert 120 <= rate <= 160, rate


def test_cue_shape_is_short_long_short_short() -> None:
    spec = CueSpec(tone_hz=800, unit_s=0.1, level_dbfs=-6)
    x = cue_samples(spec, 8000)
    on = np.convolve(np.abs(x) > 0.05, np.ones(40), mode="same") > 0
    edges = np.flatnonzero(np.diff(np.concatenate(([0], on.astype(int), [0]))))
    runs = [(b - a) / 8000 for a, b in zip(edges[::2], edges[1::2], strict=True)]
    assert len(runs) == 4
    assert [round(r / 0.1) for r in runs] == list(PATTERN)
    dense = cue_samples(spec, 96000)  # 120 samples a cycle: the peak sample sits on the crest
    assert 20 * np.log10(np.abs(dense).max()) == pytest.approx(-6, abs=0.05)
    assert detect_cue(x, 8000)[0].unit_s == pytest.approx(0.1, rel=0.1)


@pytest.mark.parametrize(
    "bad", [CueSpec(tone_hz=50), CueSpec(unit_s=1.0), CueSpec(level_dbfs=3), CueSpec(gap_units=5)]
)
def test_cue_settings_are_checked(bad: CueSpec) -> None:
    with pytest.raises(UsageError):
        cue_samples(bad)


def test_unknown_position_and_video_file(tmp_path: Path, record: Record) -> None:
    src = make_audio(tmp_path, ".wav", record)
    with pytest.raises(UsageError):
        label_audio(src, position="middle")  # type: ignore[arg-type]
    before = src.read_bytes()
    video = tmp_path / "v.mp4"
    ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=s=64x64:d=1", "-f", "lavfi", "-i", "sine=d=1", "-shortest", str(video)
    )
    with pytest.raises(Exception, match="video"):
        label_audio(video)
    assert src.read_bytes() == before


def test_pcm_samples_after_the_cue_are_the_source(tmp_path: Path, record: Record) -> None:
    """WAV is lossless: after the cue and the pause, the samples are the source's, unchanged."""
    src = make_audio(tmp_path, ".wav", record)
    dst = tmp_path / "out.wav"
    result = label_audio(src, dst)
    a = ff.decode_audio(src, 22050, 1)
    b = ff.decode_audio(dst, 22050, 1)
    offset = round((result.prompt_s + 0.3) * 22050)
    assert np.array_equal(a, b[offset : offset + len(a)])
    out = json.loads(subprocess.run([tool("ffprobe"), "-v", "error", "-show_format", "-of", "json", str(dst)],
                                    capture_output=True, check=True).stdout)  # fmt: skip
    assert out["format"]["format_name"] == "wav"
