"""The audio rhythm label "短长短短" (short-long-short-short, Morse "AI": ·- ··) of GB 45438-2025 §5.3 c), and a
detector for platforms that must look for such traces (Labeling Measures Art. 6).

The standard fixes the rhythm only: no tone, unit length or level (reference §1.2, "No timing (ms), frequency or
loudness is specified"). The defaults below are hegui's choice, kept in :data:`DEFAULT_CUE`: a 1 kHz sine, 120 ms
unit (dash = 3 units, the Morse ratio), one unit between the four marks (the standard's string shows no letter
gap), -12 dBFS peak, 5 ms raised-cosine ramps.

The detector does not need to know the tone or the unit: it looks in every frequency bin for a narrow-band tone
that switches on and off as mark / gap / mark / gap / mark / gap / mark with durations 1 : 3 : 1 : 1 (gaps 1 to 3
units), silent in that bin for two units before and after. It works on a 16 kHz mono copy, so sample rate and
channel layout do not matter.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy.ndimage import maximum_filter1d, minimum_filter1d

from hegui.errors import UsageError

PATTERN = (1, 3, 1, 1)  # mark lengths in units: · −  · ·


@dataclass(frozen=True)
class CueSpec:
    """Tone, unit length and level of the rhythm cue (hegui's defaults; the standard fixes none of them)."""

    tone_hz: float = 1000.0
    unit_s: float = 0.12
    level_dbfs: float = -12.0
    gap_units: int = 1
    ramp_s: float = 0.005

    def validate(self) -> CueSpec:
        if not 200.0 <= self.tone_hz <= 4000.0:
            raise UsageError(f"cue tone {self.tone_hz} Hz is outside 200..4000 Hz")
        if not 0.05 <= self.unit_s <= 0.4:
            raise UsageError(f"cue unit {self.unit_s} s is outside 0.05..0.4 s")
        if not -40.0 <= self.level_dbfs <= 0.0:
            raise UsageError(f"cue level {self.level_dbfs} dBFS is outside -40..0 dBFS")
        if self.gap_units not in (1, 2, 3):
            raise UsageError(f"cue gap {self.gap_units} units is not 1, 2 or 3")
        return self

    @property
    def duration_s(self) -> float:
        return self.unit_s * (sum(PATTERN) + self.gap_units * (len(PATTERN) - 1))


DEFAULT_CUE = CueSpec()


def cue_samples(spec: CueSpec = DEFAULT_CUE, sample_rate: int = 48000) -> np.ndarray:
    """The rhythm cue as mono float32 samples in [-1, 1]."""
    spec.validate()
    amp = 10 ** (spec.level_dbfs / 20)
    unit = spec.unit_s * sample_rate
    out: list[np.ndarray] = []
    ramp = max(1, round(spec.ramp_s * sample_rate))
    phase = 0.0
    for i, units in enumerate(PATTERN):
        n = round(units * unit)
        t = np.arange(n) / sample_rate
        tone = np.sin(2 * np.pi * spec.tone_hz * t + phase)
        phase += 2 * np.pi * spec.tone_hz * n / sample_rate
        env = np.ones(n)
        r = min(ramp, n // 2)
        edge = 0.5 - 0.5 * np.cos(np.linspace(0, np.pi, r))
        env[:r], env[n - r :] = edge, edge[::-1]
        out.append(amp * tone * env)
        if i < len(PATTERN) - 1:
            out.append(np.zeros(round(spec.gap_units * unit)))
    return np.concatenate(out).astype(np.float32)


# --------------------------------------------------------------------------------------------------------------
# Detection
# --------------------------------------------------------------------------------------------------------------

ANALYSIS_RATE = 16000
N_FFT = 512  # 32 ms window
HOP = 80  # 5 ms
BAND_HZ = (200.0, 4200.0)
PROMINENCE_DB = (6.0, 18.0)  # tone-likeness ramps from 0 to 1 as a bin rises this far above its neighbours
LEVEL_DB = 12.0  # loudness-likeness ramps from 1 at the bin's strong level down to 0 this many dB below it
REFERENCE_S = 8.0  # the strong level is the loudest steady level within this span around a frame
UNITS_S = (0.05, 0.4, 1.05)  # unit lengths searched: geometric ladder from 50 ms to 400 ms, 5% apart
GAPS = (1, 2, 3)  # gaps between marks searched, in units
MARK_MIN = 0.6  # every mark must be at least this tone-like on average
GAP_MAX = 0.45  # every gap (and the two units before and after the cue) at most this tone-like
SCORE_MIN = 0.55  # mean of the marks minus mean of the gaps
FLAT_MIN = 0.7  # the first and last thirds of every mark within 3.6 dB of the bin's strong level
FLAT_DRIFT = 0.2  # and within 2.4 dB of each other


@dataclass
class CueHit:
    """One rhythm cue found: when, at which tone, with which unit length, and how clearly."""

    start_s: float
    end_s: float
    tone_hz: float
    unit_s: float
    score: float
    where: str = "middle"  # "start" | "end" | "middle" of the clip

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _resample(samples: np.ndarray, rate: int) -> np.ndarray:
    if rate == ANALYSIS_RATE:
        return samples
    from scipy.signal import resample_poly

    g = np.gcd(rate, ANALYSIS_RATE)
    return resample_poly(samples, ANALYSIS_RATE // g, rate // g).astype(np.float32)


def _spectrogram(x: np.ndarray) -> np.ndarray:
    if len(x) < N_FFT:
        x = np.pad(x, (0, N_FFT - len(x)))
    frames = np.lib.stride_tricks.sliding_window_view(x, N_FFT)[::HOP]
    window = np.hanning(N_FFT).astype(np.float32)
    spec = np.fft.rfft(frames * window, axis=1)
    return (spec.real**2 + spec.imag**2).astype(np.float32)


def tonality(power: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per frame and bin, how much the bin holds a steady pure tone at its own strong level (0..1), and how
    loud the bin is against that level whatever the sound (0..1; a gap must be quiet, not merely noisy).

    Product of two ramps: prominence over the mean log power of the bins 3 to 8 away (a tone is narrow; speech,
    music partials with vibrato and noise are wider or weaker), and closeness to the loudest steady level of the
    same bin within :data:`REFERENCE_S` (so speech leaking into the tone's bin between marks counts as off)."""
    logs = 10 * np.log10(power + 1e-12)
    width = logs.shape[1]
    csum = np.pad(logs.cumsum(axis=1), ((0, 0), (1, 0)))
    idx = np.arange(width)

    def window(r: int) -> tuple[np.ndarray, np.ndarray]:
        lo_, hi_ = np.clip(idx - r, 0, width), np.clip(idx + r + 1, 0, width)
        return csum[:, hi_] - csum[:, lo_], (hi_ - lo_).astype(np.float32)

    outer, n_outer = window(8)
    inner, n_inner = window(2)
    prominence = logs - (outer - inner) / np.maximum(n_outer - n_inner, 1)
    lo, hi = PROMINENCE_DB
    tone = np.clip((prominence - lo) / (hi - lo), 0.0, 1.0)
    steady = minimum_filter1d(logs, size=7, axis=0)
    reference = maximum_filter1d(steady, size=int(REFERENCE_S * ANALYSIS_RATE / HOP) | 1, axis=0)
    level = np.clip(1.0 + (logs - reference) / LEVEL_DB, 0.0, 1.0)
    audible = logs > logs.max() - 50.0
    return (tone * level * audible).astype(np.float32), (level * audible).astype(np.float32)


def _layout(unit: float, gap: int) -> list[tuple[float, float, bool]]:
    """(offset, length, is_mark) of the pre-quiet, 4 marks, 3 gaps and post-quiet, in frames from the cue start."""
    out: list[tuple[float, float, bool]] = [(-2 * unit, 2 * unit, False)]
    t = 0.0
    for k, units in enumerate(PATTERN):
        out.append((t, units * unit, True))
        t += units * unit
        if k < len(PATTERN) - 1:
            out.append((t, gap * unit, False))
            t += gap * unit
    out.append((t, 2 * unit, False))
    return out


def detect_cue(samples: np.ndarray, sample_rate: int) -> list[CueHit]:
    """Every rhythm cue in ``samples`` (mono, or frames x channels, any rate), earliest first.

    Matched filter over a ladder of unit lengths and gaps: each element of the pattern (the four marks, the three
    gaps, two quiet units before and after) is averaged over its core (the window smear trimmed off) from a
    cumulative sum of the tone-likeness of every frequency bin, so the whole search is array arithmetic."""
    x = np.asarray(samples, dtype=np.float32)
    if x.ndim == 2:
        x = x.mean(axis=1)
    x = _resample(x, int(sample_rate))
    if not np.any(x):
        return []
    power = _spectrogram(x)
    freqs = np.fft.rfftfreq(N_FFT, 1 / ANALYSIS_RATE)
    lo, hi = (int(v) for v in np.searchsorted(freqs, BAND_HZ))
    a, b = max(0, lo - 12), min(power.shape[1], hi + 12)
    tone, loud = tonality(power[:, a:b])
    tone = maximum_filter1d(tone[:, lo - a : hi - a], size=3, axis=1)  # a tone between two bins
    loud = maximum_filter1d(loud[:, lo - a : hi - a], size=3, axis=1)
    frames = tone.shape[0]
    shortest = int(UNITS_S[0] * ANALYSIS_RATE / HOP)
    steady_tone = minimum_filter1d(tone, size=shortest - int(N_FFT / HOP) + 1, axis=0)  # a whole short mark
    active = np.flatnonzero(
        (steady_tone.max(axis=0) >= MARK_MIN) & (tone.sum(axis=0) >= MARK_MIN * 6 * shortest)
    )
    if active.size == 0:
        return []
    tone, loud = tone[:, active], loud[:, active]
    smear = N_FFT / HOP / 2  # frames by which a mark spreads on each side through the window
    pad = int(2 * UNITS_S[1] * ANALYSIS_RATE / HOP) + 12
    zero = np.zeros((1, tone.shape[1]), np.float64)
    csum_tone = np.vstack([zero, np.pad(tone, ((pad, pad), (0, 0))).cumsum(axis=0, dtype=np.float64)])
    csum_loud = np.vstack([zero, np.pad(loud, ((pad, pad), (0, 0))).cumsum(axis=0, dtype=np.float64)])
    candidates: list[tuple[float, int, int, float, int]] = []  # score, frame, bin column, unit (frames), gap
    unit_s = UNITS_S[0]
    while unit_s <= UNITS_S[1] * 1.0001:
        unit = unit_s * ANALYSIS_RATE / HOP
        for gap in GAPS:
            layout = _layout(unit, gap)
            span = int(np.ceil(layout[-1][0]))
            if span > frames + smear:
                continue  # longer than the clip
            starts = np.arange(0, frames - span + int(smear) + 1)
            marks_sum = 0.0
            gaps_sum = 0.0
            mark_min = np.full((starts.size, tone.shape[1]), np.inf, np.float32)
            gap_max = np.zeros((starts.size, tone.shape[1]), np.float32)
            for offset, length, is_mark in layout:
                trim = smear if is_mark else smear + 1
                s0 = round(offset + trim) + pad
                s1 = round(offset + length - trim) + pad
                if s1 <= s0:
                    s1 = s0 + 1
                csum = csum_tone if is_mark else csum_loud  # outside the clip counts as quiet
                mean = ((csum[starts + s1] - csum[starts + s0]) / (s1 - s0)).astype(np.float32)
                if is_mark:
                    marks_sum = marks_sum + mean
                    np.minimum(mark_min, mean, out=mark_min)
                else:
                    gaps_sum = gaps_sum + mean
                    np.maximum(gap_max, mean, out=gap_max)
            score = np.asarray(marks_sum) / 4 - np.asarray(gaps_sum) / 5
            ok = (mark_min >= MARK_MIN) & (gap_max <= GAP_MAX) & (score >= SCORE_MIN)
            if not ok.any():
                continue
            # a generated cue is flat: each mark near the bin's strong level, the dash not fading (struck or
            # plucked notes of music decay)
            for offset, length, is_mark in layout:
                if not is_mark:
                    continue
                thirds = []
                for k in (0, 2):
                    s0 = round(offset + smear + k * (length - 2 * smear) / 3) + pad
                    s1 = max(s0 + 1, round(offset + smear + (k + 1) * (length - 2 * smear) / 3) + pad)
                    thirds.append((csum_loud[starts + s1] - csum_loud[starts + s0]) / (s1 - s0))
                ok &= (np.minimum(thirds[0], thirds[1]) >= FLAT_MIN) & (
                    np.abs(thirds[0] - thirds[1]) <= FLAT_DRIFT
                )
            for t, c in zip(*np.nonzero(ok), strict=True):
                candidates.append((float(score[t, c]), int(t), int(c), unit, gap))
        unit_s *= UNITS_S[2]
    hits: list[CueHit] = []
    for value, t, c, unit, gap in sorted(candidates, reverse=True):
        start = t * HOP / ANALYSIS_RATE
        if any(h.start_s - 0.5 < start < h.end_s + 0.2 for h in hits):
            continue  # the same cue seen at a neighbouring bin, unit or offset
        length = (sum(PATTERN) + gap * (len(PATTERN) - 1)) * unit
        hits.append(
            CueHit(
                start_s=round(start, 3),
                end_s=round(start + length * HOP / ANALYSIS_RATE, 3),
                tone_hz=float(freqs[lo + int(active[c])]),
                unit_s=round(unit * HOP / ANALYSIS_RATE, 4),
                score=round(value, 3),
            )
        )
    hits.sort(key=lambda h: h.start_s)
    total = len(x) / ANALYSIS_RATE
    for h in hits:
        h.where = "start" if h.start_s < 1.0 else "end" if total - h.end_s < 1.0 else "middle"
    return hits
