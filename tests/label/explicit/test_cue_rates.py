"""Measured cue-detector rates (Labeling Measures Art. 6 traces): detection on cued clips after real ffmpeg MP3
128 kbit/s, resampling and speech mixed in at 10 dB SNR; false alarms on uncued speech, music and noise.

Targets from the issue: detection >= 99%, false alarms <= 0.5% (at most 1 of 200). The clips are seeded and
generated here (numpy, espeak-ng, ffmpeg); the rates are printed, so a run shows the numbers it measured.
"""

from __future__ import annotations

import numpy as np
import pytest

from hegui.label.explicit.cue import DEFAULT_CUE, detect_cue

from .signals import RATE, cued_clip, mp3_roundtrip, music, noise, random_spec, resample, speech, speech_bank

CLIPS = 200
RATES = (44100, 32000, 22050, 16000)


@pytest.mark.slow
def test_detection_rate_after_mp3_resampling_and_speech() -> None:
    rng = np.random.default_rng(2026)
    bank = speech_bank(rng, 12)
    specs = [DEFAULT_CUE if i % 4 == 0 else random_spec(rng) for i in range(CLIPS)]
    clips = [cued_clip(rng, bank, spec, snr_db=10.0) for spec in specs]
    coded = mp3_roundtrip(clips, bitrate="128k")
    detected = 0
    for i, clip in enumerate(coded):
        rate = RATES[i % len(RATES)]
        hits = detect_cue(resample(clip, rate), rate)
        if hits:
            detected += 1
            assert abs(hits[0].unit_s - specs[i].unit_s) < 0.25 * specs[i].unit_s
    rate_found = detected / CLIPS
    print(
        f"\ncue detection: {detected}/{CLIPS} = {rate_found:.1%} (MP3 128k, resampled, speech at 10 dB SNR)"
    )
    assert rate_found >= 0.99


@pytest.mark.slow
def test_false_alarm_rate_on_speech_music_and_noise() -> None:
    rng = np.random.default_rng(7)
    bank = speech_bank(rng, 12)
    alarms = []
    kinds = ("speech", "music", "noise")
    clips = []
    for i in range(CLIPS):
        kind = kinds[i % 3]
        seconds = float(rng.uniform(3.0, 5.0))
        x = (
            speech(rng, bank, seconds)
            if kind == "speech"
            else music(rng, seconds)
            if kind == "music"
            else noise(rng, seconds)
        )
        clips.append((kind, x))
    # a third of the clips also go through MP3, as uploads do
    coded = mp3_roundtrip([x for _, x in clips[::3]])
    for j, x in enumerate(coded):
        clips[3 * j] = (clips[3 * j][0], x)
    for kind, x in clips:
        if detect_cue(x, RATE):
            alarms.append(kind)
    print(f"\ncue false alarms: {len(alarms)}/{CLIPS} = {len(alarms) / CLIPS:.1%} ({alarms})")
    assert len(alarms) / CLIPS <= 0.005
