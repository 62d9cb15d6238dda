"""Filing dossiers: the algorithm-filing draft (算法安全自评估报告 + 拟公示内容, reference §3.8.1) and the
model-filing checklist of the attachments in reference/assessment.md §4, each filled from the profile and the
evidence register. Drafts mark every gap with 【待补充】 so nothing reads as finished when it is not.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from hegui.errors import InputError
from hegui.extras import require
from hegui.rules.catalogue import Text
from hegui.rules.engine import Assessment
from hegui.rules.evidence import DutyRecord, assess_with_register, attachment_evidence, store_session
from hegui.rules.expr import parse
from hegui.rules.profile import ServiceProfile
from hegui.rules.report import ALGO_ZH, environment, html_to_pdf, write_bytes
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


STATUS_ZH = {"provided": "已提供", "missing": "缺失", "not_applicable": "不涉及", "optional": "可选"}
PATH_ZH = {"filing": "备案", "registration": "登记", "none": "不需要"}


def render_model_checklist(
    assessment: Assessment,
    evidence_by_id: dict[str, list[str]],
    *,
    lang: str = "zh",
    today: dt.date | None = None,
) -> str:
    path, items = model_checklist(assessment, evidence_by_id)
    return (
        environment()
        .get_template("model_checklist.html.j2")
        .render(
            a=assessment,
            path=path,
            path_zh=PATH_ZH[path],
            items=items,
            lang=lang,
            status_zh=STATUS_ZH,
            today=(today or assessment.as_of).isoformat(),
        )
    )


def _clauses(assessment: Assessment, register: list[DutyRecord] | None) -> list[dict[str, Any]]:
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
    return clauses


def render_algorithm_dossier(
    assessment: Assessment, register: list[DutyRecord] | None = None, *, today: dt.date | None = None
) -> str:
    """Algorithm security self-assessment report and public-disclosure text, drafted in Chinese (the filing
    system's language), with every applicable duty as a clause and its evidence state."""
    p = assessment.profile
    if not (assessment.filing.algorithm_filing or p.algorithm_types):
        raise InputError(
            "this service uses none of the five algorithm types; there is no algorithm to file",
            path=p.name,
        )
    clauses = _clauses(assessment, register)
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
            today=(today or assessment.as_of).isoformat(),
            citation_zh=_citation_zh,
            alg02=[c for c in clauses if c["f"].duty.id in ("ALG-02", "DS-02")],
        )
    )


def _citation_zh(duty: Any) -> str:
    from hegui.rules.words import duty_citation

    return duty_citation(duty, "zh")


def _require_algorithm(assessment: Assessment) -> None:
    p = assessment.profile
    if not (assessment.filing.algorithm_filing or p.algorithm_types):
        raise InputError(
            "this service uses none of the five algorithm types; there is no algorithm to file", path=p.name
        )


def algorithm_dossier_docx(
    assessment: Assessment, register: list[DutyRecord] | None, target: Path, *, today: dt.date | None = None
) -> Path:
    """The algorithm-filing draft as an editable Word document (same content as the HTML draft)."""
    _require_algorithm(assessment)
    p = assessment.profile
    day = (today or assessment.as_of).isoformat()
    doc, add_table = _new_docx()
    doc.add_heading(f"算法备案材料草稿：{p.name}", 0)
    doc.add_paragraph(
        f"由 hegui 于 {day} 根据服务事实与证据登记自动生成的草稿；{TODO} 处须人工补充。"
        "依据《互联网信息服务算法推荐管理规定》第二十四条。不构成法律意见。"
    )
    doc.add_heading("一、算法安全自评估报告", 1)
    doc.add_heading("1. 主体与算法基本情况", 2)
    algo = "、".join(ALGO_ZH[t.value] for t in sorted(p.algorithm_types, key=lambda t: t.value)) or TODO
    role = (
        "技术支持者"
        if "technical_supporter" in assessment.roles and "provider" not in assessment.roles
        else "服务提供者"
    )
    add_table(
        ["项目", "内容"],
        [
            ["服务提供者名称", p.organisation or TODO],
            ["算法名称", p.name],
            ["主体角色", role],
            ["服务形式", p.service_form or TODO],
            ["应用领域", p.application_domain or TODO],
            ["算法类别", algo],
            ["上线日期", p.launch_date.isoformat() if p.launch_date else TODO],
            ["舆论属性或社会动员能力", "具有" if p.public_opinion_or_mobilisation else "不具有"],
            ["算法安全责任人", TODO],
        ],
    )
    doc.add_heading("2. 算法机制机理", 2)
    model = TODO
    if p.upstream_model_name:
        model = f"调用已备案模型 {p.upstream_model_name}"
        if p.upstream_model_filing_number:
            model += f"（备案号 {p.upstream_model_filing_number}）"
    for label, val in [
        ("基本原理", TODO),
        ("运行机制", TODO),
        ("应用场景", p.application_domain or TODO),
        ("目的意图", TODO),
        ("模型类型与技术参数", model),
    ]:
        doc.add_paragraph(f"{label}：{val}")
    clauses = _clauses(assessment, register)
    doc.add_heading("3. 逐项自评估", 2)
    add_table(
        ["条目", "要求与依据", "结论", "证据"],
        [
            [
                f"{c['f'].duty.id} {c['f'].duty.mark}",
                f"{c['f'].duty.duty.zh}\n（{_citation_zh(c['f'].duty)}）",
                c["verdict"],
                "；".join(c["evidence"]) or "—",
            ]
            for c in clauses
        ],
    )
    pending = [c["f"].duty.id for c in clauses if c["verdict"] != "符合"]
    doc.add_heading("4. 风险与整改计划", 2)
    doc.add_paragraph(
        "结论为“待补充证据”或“待评估”的条目须在提交前补齐：" + ("、".join(pending) or "无") + "。"
    )
    doc.add_heading("二、拟公示内容", 1)
    for label, val in [
        ("算法名称", p.name),
        ("算法类别", algo),
        ("算法基本原理", TODO),
        ("算法运行机制", TODO),
        ("算法应用场景", p.application_domain or TODO),
        ("算法目的意图", TODO),
    ]:
        doc.add_paragraph(f"{label}：{val}")
    _save_docx(doc, target)
    return target


def model_checklist_docx(
    assessment: Assessment,
    evidence_by_id: dict[str, list[str]],
    target: Path,
    *,
    today: dt.date | None = None,
) -> Path:
    """The model-filing checklist as an editable Word document."""
    path, items = model_checklist(assessment, evidence_by_id)
    doc, add_table = _new_docx()
    doc.add_heading(f"大模型备案材料清单：{assessment.profile.name}", 0)
    doc.add_paragraph(
        f"日期 {(today or assessment.as_of).isoformat()} · 路径：{PATH_ZH[path]}（依据实务资料 †）"
    )
    if not items:
        doc.add_paragraph("本服务无需生成式人工智能备案或登记。")
    add_table(
        ["编号", "材料", "状态", "证据"],
        [
            [it.attachment.id, it.attachment.title.zh, STATUS_ZH[it.status], "；".join(it.evidence) or "—"]
            for it in items
        ],
    )
    _save_docx(doc, target)
    return target


def _new_docx() -> tuple[Any, Any]:
    docx, ns = require("report", "docx", "docx.oxml.ns")
    qn = ns.qn
    doc = docx.Document()
    style = doc.styles["Normal"]
    style.font.name = "Noto Sans CJK SC"
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "Noto Sans CJK SC")

    def add_table(header: list[str], rows: list[list[str]]) -> None:
        table = doc.add_table(rows=1, cols=len(header))
        table.style = "Table Grid"
        for cell, text in zip(table.rows[0].cells, header, strict=True):
            cell.text = text
        for row in rows:
            cells = table.add_row().cells
            for cell, text in zip(cells, row, strict=True):
                cell.text = text

    return doc, add_table


def _save_docx(doc: Any, target: Path) -> None:
    import io

    buf = io.BytesIO()
    doc.save(buf)
    write_bytes(target, buf.getvalue())


def write_dossier(
    profile: ServiceProfile | Mapping[str, Any] | str | Path,
    kind: str,
    out: Path,
    *,
    db: str | None = None,
    pdf: bool = False,
    docx: bool = True,
    as_of: dt.date | None = None,
) -> dict[str, Any]:
    """Write the algorithm-filing draft (``kind='algorithm'``) or the model-filing checklist (``'model'``) as
    HTML, and optionally PDF and DOCX, from the profile and its evidence register; returns what was written."""
    if kind not in ("algorithm", "model"):
        raise InputError(f"dossier kind must be algorithm or model, not {kind!r}")
    assessment, records = assess_with_register(profile, db=db, as_of=as_of)
    out.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    payload: dict[str, Any] = {"kind": kind, "as_of": assessment.as_of.isoformat()}
    if kind == "algorithm":
        _require_algorithm(assessment)
        html = render_algorithm_dossier(assessment, records)
        target = out / "algorithm-filing-draft.zh.html"
        if docx:
            files.append(algorithm_dossier_docx(assessment, records, out / "algorithm-filing-draft.zh.docx"))
    else:
        with store_session(db) as s:
            by_id = attachment_evidence(s, assessment.profile.name, attachment_ids())
        html = render_model_checklist(assessment, by_id)
        target = out / "model-filing-checklist.zh.html"
        path, items = model_checklist(assessment, by_id)
        payload["path"] = path
        payload["items"] = [
            {"id": i.attachment.id, "status": i.status, "evidence": i.evidence} for i in items
        ]
        if docx:
            files.append(model_checklist_docx(assessment, by_id, out / "model-filing-checklist.zh.docx"))
    write_bytes(target, html.encode("utf-8"))
    files.insert(0, target)
    if pdf:
        files.append(html_to_pdf(html, target.with_suffix(".pdf")))
    payload["files"] = [str(f) for f in files]
    return payload
