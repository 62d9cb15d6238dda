"""Words for reports: facts, roles and values in Chinese and English (``data/words.yaml``), evidence items in
Chinese (``data/evidence_zh.yaml``), and instrument citations rendered in Chinese, so that a Chinese report is
entirely in Chinese and an English one entirely in English, and a trigger reads as words, not identifiers.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from importlib import resources
from typing import Any

from hegui.rules.catalogue import Duty, Instrument
from hegui.rules.yamlio import loads_yaml


@functools.cache
def _data(name: str) -> Any:
    text = resources.files("hegui.rules").joinpath(f"data/{name}").read_text(encoding="utf-8")
    return loads_yaml(text, source=f"hegui/rules/data/{name}")


def fact(name: str, lang: str) -> str:
    """A fact's name in words; an unknown name comes back as it is (a test keeps the table complete)."""
    entry = _data("words.yaml")["facts"].get(name)
    return str(entry[lang]) if entry else name


def value(v: Any, lang: str) -> str:
    """A fact's value in words: sets as lists of words, dates as ISO dates, codes through the value table."""
    if isinstance(v, frozenset | set | list | tuple):
        return (
            "、".join(value(x, lang) for x in sorted(v, key=str))
            if lang == "zh"
            else ", ".join(value(x, lang) for x in sorted(v, key=str))
        )
    if isinstance(v, bool):
        return ("是" if v else "否") if lang == "zh" else ("yes" if v else "no")
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, int):
        return f"{v:,}"
    entry = _data("words.yaml")["values"].get(str(v))
    return str(entry[lang]) if entry else str(v)


def because(facts: dict[str, Any], lang: str) -> list[str]:
    """The facts that triggered a duty, as phrases: "面向境内公众提供服务", "生成内容类型：文本、图片"."""
    out = []
    sep = "：" if lang == "zh" else ": "
    for name, v in facts.items():
        if v is True:
            out.append(fact(name, lang))
        elif v is False or v is None:
            out.append(("否：" if lang == "zh" else "not: ") + fact(name, lang))
        elif name == "cb_mechanism":
            continue
        else:
            out.append(f"{fact(name, lang)}{sep}{value(v, lang)}")
    return out


def role(name: str, lang: str) -> str:
    return value(name, lang)


def evidence(duty: Duty, lang: str) -> list[str]:
    """What proves a duty, in the report's language."""
    if lang != "zh":
        return list(duty.evidence)
    if duty.evidence_zh is not None:
        return list(duty.evidence_zh)
    table = _data("evidence_zh.yaml")
    return [str(table.get(e, e)) for e in duty.evidence]


def kind(text: str, lang: str) -> str:
    """An instrument's kind ("departmental rule (CAC)") as a category in the report's language."""
    if lang != "zh":
        return text
    for prefix, entry in _data("words.yaml")["kinds"].items():
        if text.startswith(str(prefix)):
            return str(entry["zh"])
    return "其他"


_NAMES: list[tuple[str, str]] = [
    ("Security Assessment Measures (CAC Order No. 11)", "《数据出境安全评估办法》"),
    ("Standard Contract Measures (CAC Order No. 13)", "《个人信息出境标准合同办法》"),
    (
        "PI Export Certification Measures (in force 2026-01-01)",
        "《个人信息出境认证办法》（2026年1月1日起施行）",
    ),
    ("2018 Security Assessment Provisions", "《具有舆论属性或社会动员能力的互联网信息服务安全评估规定》"),
    ("Network Data Security Management Regulations", "《网络数据安全管理条例》"),
    ("NDSM Regulations", "《网络数据安全管理条例》"),
    ("NDSM Regs", "《网络数据安全管理条例》"),
    ("Minors' Online Protection Regulations", "《未成年人网络保护条例》"),
    ("Minors Protection Law", "《未成年人保护法》"),
    ("Mobile App Provisions", "《移动互联网应用程序信息服务管理规定》"),
    ("2024 Cross-Border Provisions", "《促进和规范数据跨境流动规定》"),
    ("Cross-Border Provisions", "《促进和规范数据跨境流动规定》"),
    ("Cybersecurity Law (2016)", "《网络安全法》（2016年）"),
    ("Cybersecurity Law", "《网络安全法》"),
    ("CSL", "《网络安全法》"),
    ("Algorithm Provisions", "《互联网信息服务算法推荐管理规定》"),
    ("Deep Synthesis Provisions", "《互联网信息服务深度合成管理规定》"),
    ("GenAI Measures", "《生成式人工智能服务管理暂行办法》"),
    ("Labeling Measures", "《人工智能生成合成内容标识办法》"),
    ("Ethics Review Measures", "《科技伦理审查办法（试行）》"),
    ("Ethics Measures", "《科技伦理审查办法（试行）》"),
    ("Sci-Tech Progress Law", "《科学技术进步法》"),
    ("PIPL", "《个人信息保护法》"),
    ("Qinglang 2024 algorithm campaign,", "“清朗·网络平台算法典型问题治理”专项行动"),
    ("Qinglang 2025 AI-abuse campaign,", "“清朗·整治AI技术滥用”专项行动"),
    ("CAC filing practice", "网信部门备案实务"),
    ("CAC registration practice", "网信部门登记实务"),
    ("Guangdong CAC notice", "广东省网信办通知"),
    ("via MOST / provincial notice", "（见科技部及省级通知）"),
    ("Annex E", "附录E"),
    ("(video ✔; other modalities †)", "（视频 ✔；其他类型 †）"),
    ("(4) and propagation metadata †", "第（4）项及传播要素 †"),
    ("(official summary)", "（官方摘要）"),
    ("(not re-read)", "（未复核原文）"),
    ("and the expert re-review list", "及专家复核清单"),
    ("(the number is a † parameter)", "（数量为待核实参数 †）"),
    ("(sometimes attributed to GenAI Art. 7 ⚠)", "（有资料误作《生成式人工智能服务管理暂行办法》第7条 ⚠）"),
    ("(17 (CAC practice)", "（第17条，网信部门实务）"),
]
_ITEM = r"\d+(?:\([0-9a-z]+\))*(?:-\([0-9a-z]+\))?(?: para\. \d+)?"
_ARTS = re.compile(rf"Arts?\. ({_ITEM}(?:(?:, | and ){_ITEM})*)")
_SECTIONS = re.compile(r"§§(\d+)-(\d+)|§(\d+(?:\.\d+)*)")
_CAMPAIGN = re.compile(r"\btask (\d+)|\bphase (\d) item (\d+)")
_PHASE = {"1": "第一阶段", "2": "第二阶段"}


def _article_zh(item: str) -> str:
    m = re.fullmatch(r"(\d+)((?:\([0-9a-z]+\))*)(?:-(\([0-9a-z]+\)))?(?: para\. (\d+))?", item)
    if m is None:  # pragma: no cover - _ITEM and this pattern agree
        return item
    num, subs, upto, para = m.groups()
    out = f"第{num}条"
    if subs:
        out += "".join(f"（{s}）" for s in re.findall(r"\(([0-9a-z]+)\)", subs))
    if upto:
        out += f"至（{upto.strip('()')}）"
    if para:
        out += f"第{para}款"
    return out


def citation_zh(text: str) -> str:
    """An English citation ("PIPL Arts. 28, 29, 30; GenAI Measures Art. 17") in Chinese
    ("《个人信息保护法》第28、29、30条；《生成式人工智能服务管理暂行办法》第17条")."""
    out = text
    for en, zh in _NAMES:
        out = out.replace(en, zh)
    out = _ARTS.sub(lambda m: "、".join(_article_zh(i) for i in re.split(r", | and ", m.group(1))), out)
    out = _SECTIONS.sub(
        lambda m: f"第{m.group(1)}至{m.group(2)}条" if m.group(1) else f"第{m.group(3)}条", out
    )
    out = _CAMPAIGN.sub(
        lambda m: f"任务{m.group(1)}" if m.group(1) else f"{_PHASE[m.group(2)]}第{m.group(3)}项", out
    )
    out = out.replace("; ", "；").replace(", ", "、")
    return re.sub(r"》\s+", "》", re.sub(r"\s+(第|（|任务)", r"\1", out))


def duty_citation(duty: Duty, lang: str) -> str:
    if lang != "zh":
        return duty.citation
    return duty.citation_zh or citation_zh(duty.citation)


def instrument_citation(inst: Instrument, lang: str) -> str:
    """The instrument as a citation (title, issuer, number, dates), never a research note or file path."""
    if inst.cite is not None:
        return inst.cite.zh if lang == "zh" else inst.cite.en
    if lang == "zh":
        when = f"，{inst.in_force}起施行" if inst.in_force_date else ""
        plain = "《" in inst.title.zh or inst.title.zh.startswith(("“", "清朗", "GB", "TC260"))
        title = inst.title.zh if plain else f"《{inst.title.zh}》"
        return f"{title}（{kind(inst.kind, 'zh')}{when}）"
    when = f", in force {inst.in_force}" if inst.in_force_date else ""
    return f"{inst.title.en} ({inst.kind}{when})"
