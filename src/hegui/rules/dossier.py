"""Filing dossiers: the algorithm-filing draft (算法安全自评估报告 + 拟公示内容, reference §3.8.1) and the
model-filing checklist of the attachments in reference/assessment.md §4, each filled from the profile and the
evidence register. Drafts mark every gap with 【待补充】 so nothing reads as finished when it is not.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from hegui.errors import InputError
from hegui.rules.catalogue import Text
from hegui.rules.engine import Assessment
from hegui.rules.evidence import DutyRecord
from hegui.rules.expr import parse
from hegui.rules.report import ALGO_ZH, environment
from hegui.rules.yamlio import loads_yaml

TODO = "【待补充】"


class Attachment(BaseModel):
    """One item of the filing or registration package."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    paths: list[Literal["filing", "registration"]]
    title: Text
    duty: str
    hegui: str | None = None
    optional: bool = False
    not_applicable_if: str | None = None


@functools.cache
def attachments() -> list[Attachment]:
    text = resources.files("hegui.rules").joinpath("data/filing_package.yaml").read_text(encoding="utf-8")
    raw = loads_yaml(text, source="hegui/rules/data/filing_package.yaml")
    return [Attachment.model_validate(a) for a in raw]


def attachment_ids() -> set[str]:
    return {a.id for a in attachments()}


@dataclass(frozen=True)
class ChecklistItem:
    attachment: Attachment
    status: str  # provided | missing | not_applicable | optional
    evidence: list[str]


def model_checklist(
    assessment: Assessment, evidence_by_id: dict[str, list[str]]
) -> tuple[str, list[ChecklistItem]]:
    """The package for this service's path (filing or registration) with each item's status.

    ``evidence_by_id`` maps attachment ids to registered evidence locations.
    """
    path = assessment.filing.genai
    facts = assessment.facts
    items: list[ChecklistItem] = []
    if path == "none":
        return path, items
    for att in attachments():
        if path not in att.paths:
            continue
        ev = evidence_by_id.get(att.id, [])
        if ev:
            status = "provided"
        elif att.not_applicable_if and parse(att.not_applicable_if).evaluate(facts):
            status = "not_applicable"
        elif att.optional:
            status = "optional"
        else:
            status = "missing"
        items.append(ChecklistItem(att, status, ev))
    return path, items


def render_model_checklist(
    assessment: Assessment, evidence_by_id: dict[str, list[str]], *, lang: str = "zh"
) -> str:
    path, items = model_checklist(assessment, evidence_by_id)
    return (
        environment()
        .get_template("model_checklist.html.j2")
        .render(a=assessment, path=path, items=items, lang=lang, today=dt.date.today().isoformat())
    )


def render_algorithm_dossier(assessment: Assessment, register: list[DutyRecord] | None = None) -> str:
    """Algorithm security self-assessment report and public-disclosure text, drafted in Chinese (the filing
    system's language), with every applicable duty as a clause and its evidence state."""
    p = assessment.profile
    if not (assessment.filing.algorithm_filing or p.algorithm_types):
        raise InputError(
            "this service uses none of the five algorithm types; there is no algorithm to file",
            path=p.name,
        )
    states = {r.duty_id: r for r in register} if register is not None else {}
    clauses: list[dict[str, Any]] = []
    for f in assessment.findings:
        if f.duty.kind in ("decision", "note"):
            continue
        rec = states.get(f.duty.id)
        if rec is None:
            verdict = "待评估"
        elif rec.state == "proven":
            verdict = "符合"
        elif rec.state == "not_applicable":
            verdict = "不适用"
        else:
            verdict = "待补充证据"
        clauses.append(
            {"f": f, "verdict": verdict, "evidence": [e.location for e in (rec.evidence if rec else [])]}
        )
    role = (
        "技术支持者"
        if "technical_supporter" in assessment.roles and "provider" not in assessment.roles
        else "服务提供者"
    )
    return (
        environment()
        .get_template("algorithm_dossier.html.j2")
        .render(
            a=assessment,
            p=p,
            todo=TODO,
            role=role,
            algo_types=[ALGO_ZH[t.value] for t in sorted(p.algorithm_types, key=lambda t: t.value)],
            clauses=clauses,
            today=dt.date.today().isoformat(),
            alg02=[c for c in clauses if c["f"].duty.id in ("ALG-02", "DS-02")],
        )
    )
