"""Proportions with confidence intervals, and the three-way outcome every sampling rule of TC260-003 needs.

A ground utility: the assessment, the corpus checks and the dashboard judge rates the same way, so the interval
and the decision live here once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

Outcome = Literal["conforms", "does not conform", "undecided"]
Direction = Literal["at_least", "at_most"]

Z95 = 1.959963984540054


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for ``successes`` out of ``n`` (95% by default); ``(0, 1)`` when ``n`` is 0."""
    if n <= 0:
        return 0.0, 1.0
    if not 0 <= successes <= n:
        raise ValueError(f"successes {successes} outside 0..{n}")
    p = successes / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True, slots=True)
class RateDecision:
    """A measured rate against a threshold: ``conforms`` only when the whole interval is on the right side."""

    n: int
    successes: int
    rate: float
    ci_low: float
    ci_high: float
    threshold: float
    direction: Direction
    minimum_n: int
    outcome: Outcome
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "successes": self.successes,
            "rate": round(self.rate, 6),
            "ci_low": round(self.ci_low, 6),
            "ci_high": round(self.ci_high, 6),
            "threshold": self.threshold,
            "direction": self.direction,
            "minimum_n": self.minimum_n,
            "outcome": self.outcome,
            "reason": self.reason,
        }


def decide(
    successes: int, n: int, threshold: float, *, direction: Direction = "at_least", minimum_n: int = 0
) -> RateDecision:
    """Judge ``successes / n`` against ``threshold``.

    ``at_least``: the rate must reach the threshold (a pass rate); ``at_most``: it must not exceed it (a harmful
    rate). The outcome is ``undecided`` when the sample is below ``minimum_n`` or the 95% interval straddles the
    threshold: more data, not a guess, settles it.
    """
    low, high = wilson(successes, n)
    rate = successes / n if n else 0.0
    if n < minimum_n:
        outcome: Outcome = "undecided"
        reason = f"sample of {n} is below the minimum of {minimum_n}"
    elif direction == "at_least":
        if low >= threshold:
            outcome, reason = "conforms", f"the whole 95% interval is at or above {threshold:.2%}"
        elif high < threshold:
            outcome, reason = "does not conform", f"the whole 95% interval is below {threshold:.2%}"
        else:
            outcome, reason = "undecided", f"the 95% interval straddles {threshold:.2%}: check more items"
    else:
        if high <= threshold:
            outcome, reason = "conforms", f"the whole 95% interval is at or below {threshold:.2%}"
        elif low > threshold:
            outcome, reason = "does not conform", f"the whole 95% interval is above {threshold:.2%}"
        else:
            outcome, reason = "undecided", f"the 95% interval straddles {threshold:.2%}: check more items"
    return RateDecision(n, successes, rate, low, high, threshold, direction, minimum_n, outcome, reason)
