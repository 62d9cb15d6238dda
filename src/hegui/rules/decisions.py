"""Decisions computed in Python, once per assessment: the GenAI filing path (备案 / 登记), whether algorithm
filing applies, and the ethics-review triggers. They read only the profile (never the catalogue), so the catalogue,
the fact namespace and the engine can all use them without an import cycle.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from importlib import resources

from hegui.rules.profile import ServiceProfile
from hegui.rules.yamlio import loads_yaml


@dataclass(frozen=True)
class FilingPath:
    """备案 filing vs 登记 registration for GenAI, and whether algorithm filing applies (reference §3.8).

    ``reasons`` are (zh, en) pairs so a report can be written entirely in one language.
    """

    genai: str  # "filing" | "registration" | "none"
    algorithm_filing: bool
    display_required: bool
    reasons: list[tuple[str, str]] = field(default_factory=list)

    def reasons_in(self, lang: str) -> list[str]:
        return [zh if lang == "zh" else en for zh, en in self.reasons]


@dataclass(frozen=True)
class EthicsReview:
    """Ethics Review Measures triggers (reference §3.5)."""

    review_required: bool
    committee_required: bool
    expert_rereview: bool
    rereview_items: list[int]
    entrust_other_committee: bool
    reasons: list[tuple[str, str]] = field(default_factory=list)

    def reasons_in(self, lang: str) -> list[str]:
        return [zh if lang == "zh" else en for zh, en in self.reasons]


@functools.cache
def rereview_list() -> dict[int, tuple[str, str]]:
    """The 7-item expert re-review list (zh, en), from ``data/ethics_rereview_list.yaml`` (†)."""
    text = (
        resources.files("hegui.rules").joinpath("data/ethics_rereview_list.yaml").read_text(encoding="utf-8")
    )
    raw = loads_yaml(text, source="hegui/rules/data/ethics_rereview_list.yaml")
    return {int(k): (str(v["zh"]), str(v["en"])) for k, v in raw["items"].items()}


def uses_own_or_tuned_model(profile: ServiceProfile) -> bool:
    """An own foundation model, or a model the provider trains or fine-tunes itself (even on a filed base)."""
    return profile.own_foundation_model or profile.trains_or_finetunes


def filing_path(profile: ServiceProfile) -> FilingPath:
    """Decide the GenAI filing path: 备案 for own or fine-tuned models served to the public with public-opinion
    attributes, 登记 for apps that only call an already-filed model without training it; algorithm filing for
    ALG / DS / GenAI services with public-opinion attributes (Algo Art. 24, DS Art. 19 para. 1, GenAI Art. 17)
    and for every technical supporter of deep synthesis (DS Art. 19 para. 2: "参照前款规定履行备案").
    """
    roles = {r.value for r in profile.roles}
    public = profile.offered_to_public_in_mainland
    gai = public and bool(profile.output_modalities)
    alg = public and bool(profile.algorithm_types)
    supporter = profile.is_deep_synthesis and "technical_supporter" in roles
    ds = profile.is_deep_synthesis and (public or supporter)
    po = profile.public_opinion_or_mobilisation
    reasons: list[tuple[str, str]] = []
    genai = "none"
    if gai and po:
        if profile.serves_model_via_api_of_filed_model and not uses_own_or_tuned_model(profile):
            genai = "registration"
            reasons.append(
                (
                    "具有舆论属性的生成式人工智能服务，仅调用已备案模型且不自行训练或微调：登记",
                    "GenAI service with public-opinion attributes that only calls an already-filed model "
                    "and does not train or fine-tune it: registration",
                )
            )
        else:
            genai = "filing"
            if profile.own_foundation_model:
                why = ("自有基础模型", "own foundation model")
            elif profile.serves_model_via_api_of_filed_model:
                why = (
                    "在已备案基础模型上微调或训练的模型",
                    "model fine-tuned or trained on a filed base model",
                )
            else:
                why = ("自有或微调模型", "own or fine-tuned model")
            reasons.append(
                (
                    f"具有舆论属性的生成式人工智能服务，使用{why[0]}：备案，并按TC260-003开展安全评估",
                    f"GenAI service with public-opinion attributes on its {why[1]}: filing and a "
                    "TC260-003 security assessment",
                )
            )
    elif gai:
        reasons.append(
            (
                "生成式人工智能服务不具有舆论属性或社会动员能力：无需依第十七条备案",
                "GenAI service without public-opinion or mobilisation capability: no filing under Art. 17",
            )
        )
    elif profile.output_modalities and not public:
        reasons.append(
            (
                "未面向境内公众提供：不适用《生成式人工智能服务管理暂行办法》（第二条）",
                "not offered to the public in the mainland: outside the GenAI Measures (Art. 2)",
            )
        )
    algorithm_filing = ((alg or ds or gai) and po) or supporter
    if (alg or ds or gai) and po:
        reasons.append(
            (
                "具有舆论属性或社会动员能力：提供服务之日起10个工作日内办理算法备案",
                "public-opinion or mobilisation capability: algorithm filing within 10 working days of launch",
            )
        )
    if supporter:
        reasons.append(
            (
                "深度合成服务技术支持者：参照第十九条第一款办理备案（第十九条第二款）",
                "technical supporter of deep synthesis: files like a provider (DS Provisions Art. 19 para. 2)",
            )
        )
    return FilingPath(
        genai=genai,
        algorithm_filing=algorithm_filing,
        display_required=genai != "none" or algorithm_filing,
        reasons=reasons,
    )


def ethics_review(profile: ServiceProfile) -> EthicsReview:
    """Ethics triggers: review for Art. 2 activities; committee only for ethics-sensitive areas (Art. 4, not
    for every AI entity as the seed says); entrusting another committee (Art. 13 †); expert re-review for items
    on the 7-item list (Art. 25)."""
    items = sorted(profile.rd_on_expert_review_list)
    review = profile.rd_activity_in_ethics_scope or profile.rd_in_ethics_sensitive_area or bool(items)
    reasons: list[tuple[str, str]] = []
    if profile.rd_activity_in_ethics_scope:
        reasons.append(
            (
                "属于第二条范围的科技活动（以人为研究参与者含使用个人信息数据，或存在伦理风险）",
                "S&T activity within Art. 2 (human participants incl. PI data, or ethical risks)",
            )
        )
    if profile.rd_in_ethics_sensitive_area:
        reasons.append(
            (
                "人工智能研究涉及科技伦理敏感领域：应设立科技伦理（审查）委员会（第四条）",
                "AI research touching ethics-sensitive areas: committee required (Art. 4)",
            )
        )
    listed = rereview_list()
    for item in items:
        reasons.append(
            (
                f"纳入专家复核清单第{item}项 †（{listed[item][0]}）：初审通过后申请专家复核",
                f"expert re-review list item {item} † ({listed[item][1]}): expert re-review after approval",
            )
        )
    entrust = review and not profile.has_ethics_committee
    if entrust:
        reasons.append(
            (
                "未设立委员会：书面委托其他单位的委员会或科技伦理审查中心（第十三条 †）",
                "no committee of its own: entrust another unit's committee or a review centre in writing "
                "(Art. 13 †)",
            )
        )
    return EthicsReview(
        review_required=review,
        committee_required=profile.rd_in_ethics_sensitive_area,
        expert_rereview=bool(items),
        rereview_items=items,
        entrust_other_committee=entrust,
        reasons=reasons,
    )
