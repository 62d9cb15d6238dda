"""The cross-border mechanism under the 2024 Provisions on Promoting and Regulating Cross-Border Data Flows.

Thresholds are written in the Provisions with "以上" (at least: includes the number) and "不满" (under: excludes
it), Civil Code Art. 1259; so exactly 100,000 / 1,000,000 non-sensitive or 10,000 sensitive individuals fall in
the *higher* bucket. Exemptions (Arts. 3-6) are tested first because Arts. 7 and 8 defer to them. The numbers
live in ``data/parameters.yaml`` so that a change of the law is a data edit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hegui.rules.parameters import parameter
from hegui.rules.profile import CrossBorder

SECURITY_ASSESSMENT = "security_assessment"
STANDARD_CONTRACT = "scc_or_certification"
EXEMPT = "exempt"
NO_TRANSFER = "no_transfer"


@dataclass(frozen=True)
class Mechanism:
    """The outcome: a code such as ``security_assessment:art7_2``, its article, and why."""

    code: str
    article: str
    reasons: list[str] = field(default_factory=list)

    @property
    def kind(self) -> str:
        """``security_assessment``, ``scc_or_certification``, ``exempt`` or ``no_transfer``."""
        return self.code.split(":", 1)[0]

    @property
    def exports_pi(self) -> bool:
        return self.kind != NO_TRANSFER


def at_least(value: int, threshold: int) -> bool:
    """ "以上": the threshold itself is included (Civil Code Art. 1259)."""
    return value >= threshold


def under(value: int, threshold: int) -> bool:
    """ "不满": the threshold itself is excluded (Civil Code Art. 1259)."""
    return value < threshold


def mechanism(cb: CrossBorder) -> Mechanism:
    """Decide the mechanism for one handler's exports this calendar year."""
    non = cb.pi_count_nonsensitive_ytd
    sens = cb.pi_count_sensitive_ytd
    any_pi = non > 0 or sens > 0
    sa_non = int(parameter("crossborder.security_assessment_nonsensitive").value)
    sa_sens = int(parameter("crossborder.security_assessment_sensitive").value)
    scc_non = int(parameter("crossborder.standard_contract_nonsensitive").value)

    if not any_pi and not cb.important_data_notified and cb.trade_context_without_pi:
        return Mechanism(
            "exempt:art3", "Art. 3", ["trade, transport, academic or manufacturing data with no PI"]
        )
    if cb.foreign_origin_only and any_pi:
        return Mechanism(
            "exempt:art4", "Art. 4", ["PI collected abroad, re-exported with no domestic PI added"]
        )
    if cb.necessity_exemption is not None and any_pi:
        sub = {"contract": "5(1)", "hr": "5(2)", "emergency": "5(3)"}[cb.necessity_exemption]
        return Mechanism(
            f"exempt:art5:{cb.necessity_exemption}", f"Art. {sub}", [f"necessity: {cb.necessity_exemption}"]
        )
    if cb.ftz_outside_negative_list and (any_pi or cb.important_data_notified):
        return Mechanism("exempt:art6", "Art. 6", ["free-trade-zone data outside the FTZ negative list"])
    if cb.is_ciio and (any_pi or cb.important_data_notified):
        return Mechanism("security_assessment:art7_1", "Art. 7(1)", ["CIIO exporting PI or important data"])
    if cb.important_data_notified:
        return Mechanism("security_assessment:art7_2", "Arts. 2, 7(2)", ["exports notified important data"])
    if at_least(non, sa_non) or at_least(sens, sa_sens):
        why = []
        if at_least(non, sa_non):
            why.append(f"{non:,} non-sensitive individuals ≥ {sa_non:,} (以上)")
        if at_least(sens, sa_sens):
            why.append(f"{sens:,} sensitive individuals ≥ {sa_sens:,} (以上)")
        return Mechanism("security_assessment:art7_2", "Art. 7(2)", why)
    if at_least(non, scc_non) or (sens > 0 and under(sens, sa_sens)):
        why = []
        if at_least(non, scc_non):
            why.append(f"{non:,} non-sensitive individuals ≥ {scc_non:,} and < {sa_non:,}")
        if sens > 0:
            why.append(f"{sens:,} sensitive individuals < {sa_sens:,} (不满)")
        return Mechanism("scc_or_certification:art8", "Art. 8", why)
    if non > 0:
        return Mechanism(
            "exempt:art5_4", "Art. 5(4)", [f"{non:,} non-sensitive individuals < {scc_non:,} (不满)"]
        )
    return Mechanism(NO_TRANSFER, "-", ["no personal information or important data exported"])
