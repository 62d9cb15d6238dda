"""Clips generated for the cue-detector tests: speech (espeak-ng), synthetic music, noise, and cued clips passed
through real ffmpeg MP3 128 kbit/s, resampling and speech mixed in at 10 dB SNR.

Everything is seeded, so the measured rates are reproducible; clips are made with numpy, and the MP3 pass encodes
all clips of a set in one ffmpeg call (clips separated by silence), then cuts them apart again.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass

import numpy as np
import pytest
from scipy.signal import resample_poly

from hegui.label.explicit.cue import CueSpec, cue_samples

RATE = 48000
SENTENCES = (
    "今天天气很好，我们去公园散步吧。",
    "请在明天上午十点之前提交报告。",
    "这家餐厅的面条非常好吃，价格也不贵。",
    "火车将在五分钟后到达北京南站。",
    "人工智能正在改变我们的生活方式。",
    "The quick brown fox jumps over the lazy dog.",
    "Please call me back when you get this message.",
    "Our quarterly results exceeded every forecast.",
    "我想预订一张去上海的机票，谢谢。",
    "图书馆周末开放到晚上九点。",
)


def espeak_bin() -> str:
    path = shutil.which("espeak-ng")
    if path is None:  # installed by scripts/bootstrap-system.sh; a missing tool is a failure, not a skip
        pytest.fail("espeak-ng is not installed (Debian package espeak-ng); run `make test`")
    return path


def ffmpeg_bin() -> str:
    path = shutil.which("ffmpeg")
    if path is None:
        pytest.fail("ffmpeg is not installed (Debian package ffmpeg); run `make test`")
    return path


def speech_bank(rng: np.random.Generator, count: int = 24) -> list[np.ndarray]:
    """Utterances from espeak-ng in Mandarin and English at varied pitch and speed, at :data:`RATE`."""
    out = []
    for i in range(count):
        text = SENTENCES[i % len(SENTENCES)]
        voice = "cmn" if any("\u4e00" <= c <= "\u9fff" for c in text) else ("en-us" if i % 2 else "en")
        pitch, speed = int(rng.integers(20, 80)), int(rng.integers(120, 200))
        wav = subprocess.run(
            [espeak_bin(), "-v", voice, "-p", str(pitch), "-s", str(speed), "--stdout", text],
            capture_output=True,
            check=True,
        ).stdout
        out.append(_decode(wav, RATE))
    return out


def _decode(data: bytes, rate: int) -> np.ndarray:
    raw = subprocess.run(
        [ffmpeg_bin(), "-v", "error", "-i", "pipe:0", "-f", "f32le", "-ac", "1", "-ar", str(rate), "pipe:1"],
        input=data,
        capture_output=True,
        check=True,
    ).stdout
    return np.frombuffer(raw, dtype="<f4").copy()


def speech(rng: np.random.Generator, bank: list[np.ndarray], seconds: float) -> np.ndarray:
    """Utterances from the bank, back to back with short pauses, cut to ``seconds``."""
    n = int(seconds * RATE)
    parts: list[np.ndarray] = []
    while sum(len(p) for p in parts) < n:
        parts.append(bank[int(rng.integers(len(bank)))])
        parts.append(np.zeros(int(rng.uniform(0.05, 0.4) * RATE), dtype=np.float32))
    x = np.concatenate(parts)
    start = int(rng.integers(0, max(1, len(x) - n)))
    return x[start : start + n]


def music(rng: np.random.Generator, seconds: float) -> np.ndarray:
    """A random melody (pentatonic, harmonics, ADSR envelopes) over a bass line, with an occasional chord."""
    n = int(seconds * RATE)
    out = np.zeros(n, dtype=np.float64)
    beat = rng.uniform(0.12, 0.5)
    scale = np.array([0, 2, 4, 7, 9])
    for voice, (octave, level) in enumerate(((60, 0.3), (43, 0.2), (67, 0.12))):
        if voice == 2 and rng.random() < 0.5:
            continue
        t = 0.0
        while t < seconds:
            length = beat * float(rng.choice([0.5, 1, 1, 2, 3]))
            note = octave + int(rng.choice(scale)) + 12 * int(rng.integers(0, 2))
            f0 = 440.0 * 2 ** ((note - 69) / 12)
            s, e = int(t * RATE), min(n, int((t + length) * RATE))
            tt = np.arange(e - s) / RATE
            tone = sum(
                (0.6**k) * np.sin(2 * np.pi * f0 * (k + 1) * tt + rng.uniform(0, 6.28))
                for k in range(int(rng.integers(1, 6)))
            )
            env = np.minimum(1.0, tt / 0.01) * np.exp(-tt * rng.uniform(0.5, 4.0))
            staccato = rng.random() < 0.3
            if staccato:
                env[int(len(env) * 0.6) :] = 0
            out[s:e] += level * tone * env
            t += length
    return (out / max(1.0, np.abs(out).max() * 1.2)).astype(np.float32)


def noise(rng: np.random.Generator, seconds: float) -> np.ndarray:
    """White, pink or brown noise, sometimes with bursts or a hum."""
    n = int(seconds * RATE)
    white = rng.normal(0, 1, n)
    kind = int(rng.integers(0, 4))
    if kind == 1:  # pink: 1/f spectrum
        spec = np.fft.rfft(white)
        spec[1:] /= np.sqrt(np.arange(1, len(spec)))
        x = np.fft.irfft(spec, n)
    elif kind == 2:  # brown
        x = np.cumsum(white)
        x -= np.convolve(x, np.ones(4801) / 4801, mode="same")
    elif kind == 3:  # bursts
        x = white * (rng.random(n // 4800 + 1).repeat(4800)[:n] > 0.6)
    else:
        x = white
    if rng.random() < 0.3:  # mains hum with harmonics, a steady tone but no rhythm
        t = np.arange(n) / RATE
        x = x / (np.abs(x).max() + 1e-9) + 0.5 * sum(np.sin(2 * np.pi * 50 * k * t) / k for k in range(1, 6))
    return (0.3 * x / (np.abs(x).max() + 1e-9)).astype(np.float32)


@dataclass
class Clip:
    samples: np.ndarray
    rate: int
    cued: bool
    kind: str
    spec: CueSpec | None = None


def random_spec(rng: np.random.Generator) -> CueSpec:
    return CueSpec(
        tone_hz=float(rng.uniform(500, 2500)),
        unit_s=float(rng.uniform(0.08, 0.2)),
        level_dbfs=float(rng.uniform(-20, -6)),
    )


def cued_clip(
    rng: np.random.Generator, bank: list[np.ndarray], spec: CueSpec, snr_db: float = 10.0
) -> np.ndarray:
    """The cue at a random place in a 3-4 s clip, with speech mixed in ``snr_db`` below the cue (RMS over the cue)."""
    cue = cue_samples(spec, RATE).astype(np.float64)
    seconds = float(rng.uniform(3.0, 4.0))
    n = int(seconds * RATE)
    at = int(rng.integers(int(0.2 * RATE), n - len(cue) - int(0.2 * RATE)))
    x = np.zeros(n)
    x[at : at + len(cue)] += cue
    voice = speech(rng, bank, seconds).astype(np.float64)
    cue_rms = float(np.sqrt(np.mean(cue**2)))
    voice_rms = float(np.sqrt(np.mean(voice**2))) + 1e-12
    x += voice * (cue_rms / voice_rms) * 10 ** (-snr_db / 20)
    return (x / max(1.0, np.abs(x).max() / 0.95)).astype(np.float32)


def mp3_roundtrip(clips: list[np.ndarray], rate: int = RATE, bitrate: str = "128k") -> list[np.ndarray]:
    """Encode every clip through real ffmpeg MP3 at ``bitrate`` in one pass and cut them apart again."""
    gap = RATE  # one second of silence between clips absorbs the encoder delay
    joined = np.concatenate([np.concatenate([c, np.zeros(gap, dtype=np.float32)]) for c in clips])
    mp3 = subprocess.run(
        [
            ffmpeg_bin(),
            "-v",
            "error",
            "-f",
            "f32le",
            "-ar",
            str(rate),
            "-ac",
            "1",
            "-i",
            "pipe:0",
            "-c:a",
            "libmp3lame",
            "-b:a",
            bitrate,
            "-f",
            "mp3",
            "pipe:1",
        ],
        input=joined.astype("<f4").tobytes(),
        capture_output=True,
        check=True,
    ).stdout
    decoded = _decode(mp3, rate)
    out, pos = [], 0
    for c in clips:
        out.append(decoded[pos : pos + len(c) + gap // 2])
        pos += len(c) + gap
    return out


def resample(x: np.ndarray, rate: int) -> np.ndarray:
    g = np.gcd(RATE, rate)
    return resample_poly(x, rate // g, RATE // g).astype(np.float32)
