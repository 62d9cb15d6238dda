"""Decisions the standard asks for, from a scan summary: the technical check (>= 10% scanned, >= 98% pass) and the
source assessment (a source over 5% illegal or harmful content is not used)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hegui.corpus.plan import PLAN, CorpusPlan
from hegui.corpus.scanner import Summary
from hegui.stats import RateDecision, decide


@dataclass(frozen=True, slots=True)
class TechnicalCheck:
    records: int
    scanned: int
    flagged: int
    fraction: float
    decision: RateDecision

    def to_dict(self) -> dict[str, Any]:
        d = self.decision
        return {
            "records": self.records,
            "scanned": self.scanned,
            "flagged": self.flagged,
            "fraction_scanned": round(self.fraction, 6),
            "pass_rate": round(d.rate, 6),
            "ci_low": round(d.ci_low, 6),
            "ci_high": round(d.ci_high, 6),
            "threshold": d.threshold,
            "outcome": d.outcome,
            "reason": d.reason,
        }


def technical_check(summary: Summary, plan: CorpusPlan = PLAN) -> TechnicalCheck:
    """Pass rate (records with no illegal or harmful finding) against the plan; ``undecided`` below 10% scanned."""
    passed = summary.scanned - summary.flagged
    fraction = summary.scanned / summary.records if summary.records else 0.0
    decision = decide(passed, summary.scanned, plan.technical_pass_min, direction="at_least")
    if fraction + 1e-12 < plan.technical_fraction_min:
        decision = RateDecision(
            decision.n,
            decision.successes,
            decision.rate,
            decision.ci_low,
            decision.ci_high,
            decision.threshold,
            decision.direction,
            decision.minimum_n,
            "undecided",
            f"only {fraction:.1%} of the corpus was scanned; the standard asks for at least "
            f"{plan.technical_fraction_min:.0%}",
        )
    return TechnicalCheck(summary.records, summary.scanned, summary.flagged, fraction, decision)


def source_decision(summary: Summary, plan: CorpusPlan = PLAN) -> RateDecision:
    """Harmful rate of a source sample against the 5% rule: ``conforms`` = usable, ``does not conform`` = do not
    use (blacklist), ``undecided`` = sample more."""
    return decide(summary.flagged, summary.scanned, plan.source_harmful_max, direction="at_most")
