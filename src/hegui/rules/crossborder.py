"""The cross-border mechanism under the 2024 Provisions on Promoting and Regulating Cross-Border Data Flows.

Thresholds are written in the Provisions with "以上" (at least: includes the number) and "不满" (under: excludes
it), Civil Code Art. 1259; so exactly 100,000 / 1,000,000 non-sensitive or 10,000 sensitive individuals fall in
the *higher* bucket. Exemptions (Arts. 3-6, and the legal-duty necessity of NDSM Regulations Art. 35(6)) are tested
first because Arts. 7 and 8 defer to them; an FTZ negative-list exemption never covers data notified as important
data (Art. 6 frees only data *outside* the list, and notified important data goes to assessment under Art. 7(2)).
The numbers live in ``data/parameters.yaml`` with their history, so a change of the law is a data edit and an
assessment as of an earlier day uses the numbers then in force. Before 22 March 2024 there were no Art. 3-6
exemptions; the 2022 Security Assessment Measures and the 2023 Standard Contract Measures applied.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from hegui.rules.parameters import value_at
from hegui.rules.profile import CrossBorder

SECURITY_ASSESSMENT = "security_assessment"
STANDARD_CONTRACT = "scc_or_certification"
EXEMPT = "exempt"
NO_TRANSFER = "no_transfer"
PROVISIONS_2024 = dt.date(2024, 3, 22)  # 促进和规范数据跨境流动规定: 自公布之日起施行

KIND_LABEL: dict[str, tuple[str, str]] = {
    SECURITY_ASSESSMENT: ("数据出境安全评估", "CAC security assessment"),
    STANDARD_CONTRACT: ("标准合同或个人信息保护认证", "standard contract or PI protection certification"),
    EXEMPT: ("免予申报安全评估、订立标准合同、通过认证", "exempt from all three mechanisms"),
    NO_TRANSFER: ("不涉及数据出境", "no data leaves the mainland"),
}


@dataclass(frozen=True)
class Mechanism:
    """The outcome: a code such as ``security_assessment:art7_2``, its article (en, zh), and why (zh, en pairs)."""

    code: str
    article: str
    reasons: list[tuple[str, str]] = field(default_factory=list)
    article_zh: str = ""

    @property
    def kind(self) -> str:
        """``security_assessment``, ``scc_or_certification``, ``exempt`` or ``no_transfer``."""
        return self.code.split(":", 1)[0]

    @property
    def exports_pi(self) -> bool:
        return self.kind != NO_TRANSFER

    def label(self, lang: str) -> str:
        """The outcome in words, e.g. 标准合同或个人信息保护认证（第8条）."""
        zh, en = KIND_LABEL[self.kind]
        if lang == "zh":
            return f"{zh}（{self.article_zh}）" if self.article_zh else zh
        return f"{en} ({self.article})" if self.article != "-" else en

    def reasons_in(self, lang: str) -> list[str]:
        return [zh if lang == "zh" else en for zh, en in self.reasons]


def at_least(value: int, threshold: int) -> bool:
    """ "以上": the threshold itself is included (Civil Code Art. 1259)."""
    return value >= threshold


def under(value: int, threshold: int) -> bool:
    """ "不满": the threshold itself is excluded (Civil Code Art. 1259)."""
    return value < threshold


def mechanism(cb: CrossBorder, as_of: dt.date | None = None) -> Mechanism:
    """Decide the mechanism for one handler's exports this calendar year, as the law stood on ``as_of``."""
    day = as_of or dt.date.today()
    non = cb.pi_count_nonsensitive_ytd
    sens = cb.pi_count_sensitive_ytd
    any_pi = non > 0 or sens > 0
    if not any_pi and not cb.important_data_notified and not cb.trade_context_without_pi:
        return Mechanism(
            NO_TRANSFER, "-", [("未向境外提供个人信息或重要数据", "no PI or important data exported")], ""
        )
    modern = day >= PROVISIONS_2024

    if modern and not any_pi and not cb.important_data_notified and cb.trade_context_without_pi:
        return Mechanism(
            "exempt:art3",
            "Art. 3",
            [
                (
                    "国际贸易等活动中的数据，不含个人信息或重要数据",
                    "trade, transport, academic or manufacturing data with no PI",
                )
            ],
            "第3条",
        )
    if not any_pi and not cb.important_data_notified:
        return Mechanism(
            NO_TRANSFER, "-", [("未向境外提供个人信息或重要数据", "no PI or important data exported")], ""
        )
    if modern and cb.foreign_origin_only and any_pi and not cb.important_data_notified:
        return Mechanism(
            "exempt:art4",
            "Art. 4",
            [
                (
                    "境外收集的个人信息经境内处理后出境，未引入境内个人信息",
                    "PI collected abroad, re-exported with no domestic PI added",
                )
            ],
            "第4条",
        )
    if cb.necessity_exemption is not None and any_pi and not cb.important_data_notified:
        nec = cb.necessity_exemption
        if nec == "legal_duty":
            return Mechanism(
                "exempt:ndsm35_6",
                "NDSM Regulations Art. 35(6)",
                [
                    (
                        "为履行法定职责或者法定义务，确需向境外提供个人信息",
                        "necessary to perform a statutory duty or obligation",
                    )
                ],
                "《网络数据安全管理条例》第35条第（六）项",
            )
        if modern:
            sub = {"contract": "5(1)", "hr": "5(2)", "emergency": "5(3)"}[nec]
            sub_zh = {"contract": "第5条第（一）项", "hr": "第5条第（二）项", "emergency": "第5条第（三）项"}[
                nec
            ]
            words = {
                "contract": (
                    "为订立、履行个人作为一方当事人的合同所必需",
                    "necessity: a contract with the individual",
                ),
                "hr": ("跨境人力资源管理所必需", "necessity: cross-border HR management"),
                "emergency": ("紧急情况下保护自然人生命健康和财产安全所必需", "necessity: an emergency"),
            }[nec]
            return Mechanism(f"exempt:art5:{nec}", f"Art. {sub}", [words], sub_zh)
    if modern and cb.ftz_outside_negative_list and any_pi and not cb.important_data_notified:
        return Mechanism(
            "exempt:art6",
            "Art. 6",
            [("自由贸易试验区负面清单外的数据", "free-trade-zone data outside the FTZ negative list")],
            "第6条",
        )
    if cb.is_ciio:
        return Mechanism(
            "security_assessment:art7_1",
            "Art. 7(1)",
            [("关键信息基础设施运营者向境外提供个人信息或重要数据", "CIIO exporting PI or important data")],
            "第7条第（一）项",
        )
    if cb.important_data_notified:
        why = [("向境外提供经告知或公开发布的重要数据", "exports notified important data")]
        if cb.ftz_outside_negative_list:
            why.append(
                (
                    "自贸区负面清单外豁免不适用于已告知的重要数据",
                    "the FTZ negative-list exemption does not cover notified important data",
                )
            )
        return Mechanism("security_assessment:art7_2", "Arts. 2, 7(2)", why, "第2条、第7条第（二）项")
    sa_non = int(value_at("crossborder.security_assessment_nonsensitive", day))
    sa_sens = int(value_at("crossborder.security_assessment_sensitive", day))
    scc_non = int(value_at("crossborder.standard_contract_nonsensitive", day))
    since = "自当年1月1日起累计" if modern else "自上年1月1日起累计"
    since_en = (
        "since 1 January this year" if modern else "since 1 January of the previous year (2022 Measures)"
    )
    if at_least(non, sa_non) or at_least(sens, sa_sens):
        why = []
        if at_least(non, sa_non):
            why.append(
                (
                    f"{since}{non:,}人个人信息 ≥ {sa_non:,}（以上）",
                    f"{non:,} non-sensitive individuals ≥ {sa_non:,} (at least) {since_en}",
                )
            )
        if at_least(sens, sa_sens):
            why.append(
                (
                    f"{since}{sens:,}人敏感个人信息 ≥ {sa_sens:,}（以上）",
                    f"{sens:,} sensitive individuals ≥ {sa_sens:,} (at least) {since_en}",
                )
            )
        if modern:
            return Mechanism("security_assessment:art7_2", "Art. 7(2)", why, "第7条第（二）项")
        return Mechanism(
            "security_assessment:measures2022_art4",
            "Security Assessment Measures Art. 4",
            why,
            "《数据出境安全评估办法》第4条",
        )
    if at_least(non, scc_non) or (sens > 0 and under(sens, sa_sens)):
        why = []
        if at_least(non, scc_non):
            why.append(
                (
                    f"{non:,}人个人信息 ≥ {scc_non:,} 且 < {sa_non:,}",
                    f"{non:,} non-sensitive individuals ≥ {scc_non:,} and < {sa_non:,}",
                )
            )
        if sens > 0:
            why.append(
                (
                    f"{sens:,}人敏感个人信息 < {sa_sens:,}（不满）",
                    f"{sens:,} sensitive individuals < {sa_sens:,} (fewer than the threshold)",
                )
            )
        if modern:
            return Mechanism("scc_or_certification:art8", "Art. 8", why, "第8条")
        return Mechanism(
            "scc_or_certification:scc_measures_art4",
            "Standard Contract Measures Art. 4",
            why,
            "《个人信息出境标准合同办法》第4条",
        )
    return Mechanism(
        "exempt:art5_4",
        "Art. 5(4)",
        [
            (
                f"{since}{non:,}人个人信息 < {scc_non:,}（不满）",
                f"{non:,} non-sensitive individuals < {scc_non:,} (fewer than the threshold)",
            )
        ],
        "第5条第（四）项",
    )
