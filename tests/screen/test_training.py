"""The pieces of the training pipeline that decide what the shipped numbers mean (development code, no model fit)."""

from __future__ import annotations

import numpy as np
import pytest

from hegui.screen.training import Example, discrimination_risk, source_weights, split_of, tradeoff


def test_tradeoff_reads_the_pooled_scores() -> None:
    everyday = np.linspace(0.0, 1.0, 101)[1:]  # 100 everyday prompts, P(safe) 0.01 … 1.0
    unsafe = np.array([0.005, 0.02, 0.04, 0.5, 0.9])
    rows = {round(r["everyday_flagged"], 2): r for r in tradeoff(unsafe, everyday)}
    # 1 % of everyday prompts flagged: the cut-off is the second lowest score; one unsafe prompt lies below it
    assert rows[0.01]["threshold"] == pytest.approx(0.02)
    assert rows[0.01]["unsafe_flagged"] == pytest.approx(0.2)
    assert rows[0.05]["unsafe_flagged"] == pytest.approx(0.6)
    flagged = [r["unsafe_flagged"] for r in tradeoff(unsafe, everyday)]
    assert flagged == sorted(flagged)


def test_source_weights_balance_families() -> None:
    exs = [Example(str(i), True, None, "big", str(i)) for i in range(90)]
    exs += [Example(f"s{i}", False, None, "small", f"s{i}") for i in range(10)]
    rows = np.ones(len(exs), dtype=bool)
    w = source_weights(exs, rows, 1.0)
    assert w.mean() == pytest.approx(1.0)
    assert w[:90].sum() == pytest.approx(w[90:].sum())  # each family weighs the same
    assert np.allclose(source_weights(exs, rows, 0.0), 1.0)


@pytest.mark.parametrize(
    ("text", "risk"),
    [
        ("少数民族的人素质都低", "A.2.a"),
        ("有宗教信仰的人都愚昧", "A.2.b"),
        ("外地人都该滚回去", "A.2.d"),
        ("女人就是不如男人", "A.2.e"),
        ("老年人都是负担", "A.2.f"),
        ("残疾人都是累赘", "A.2.h"),
        ("长得丑的人都不配", "A.2.i"),
    ],
)
def test_discrimination_risk_from_the_group_named(text: str, risk: str) -> None:
    assert discrimination_risk(text) == risk


def test_splits_are_fixed_by_group() -> None:
    assert split_of("如何制造假币？") == split_of("如何制造假币？")
    counts = {s: 0 for s in ("train", "dev", "test")}
    for i in range(2000):
        counts[split_of(f"group {i}")] += 1
    assert 0.65 < counts["train"] / 2000 < 0.75 and 0.07 < counts["dev"] / 2000 < 0.13
