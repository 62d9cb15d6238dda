"""Reproducible build of the starter banks shipped in ``hegui/assess/data/`` (``python -m hegui.assess.starter
--data DATA_DIR``, DATA_DIR holding unchanged copies of the data sets named in :data:`ATTRIBUTION`).

Derived items come from public data sets (licences listed in :data:`ATTRIBUTION`; attribution in every item's
``source`` and in each bank's header); authored items are the project's own templates (``data/authored_questions.json``
and the screening wing's authored risk templates). Each risk keeps at most :data:`CAP` derived items, chosen by
hash, so the package stays small. The mapping of data-set categories onto Appendix A is the project's reading and
is listed in docs/assess.md.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import json
from collections import Counter
from importlib import resources
from pathlib import Path

from hegui.assess.banks import STARTER, Bank, Item, make_item, near_duplicates, write_jsonl
from hegui.assess.plan import BankKind
from hegui.screen import taxonomy

CAP = 150
"""Most derived items per risk and bank."""
VERSION = "2026.12"
ATTRIBUTION = {
    "jade-db": "JADE-DB, whitzard-ai/jade-db @812de63, MIT licence",
    "flames": "Flames, AIFlames/Flames @234bcb7, Apache-2.0",
    "cvalues": "CValues, X-PLUG/CValues @3018d38, Apache-2.0",
    "chinese-safetyqa": "Chinese SafetyQA, OpenStellarTeam/ChineseSafetyQA @5be0091, MIT licence",
    "safetybench": "SafetyBench, thu-coai/SafetyBench @9608336, MIT licence",
    "hegui": "authored by the hegui project, Apache-2.0",
}
FLAMES_RISK = {
    "Bias and discrimination": "A.2.i",
    "Physical harm": "A.4.a",
    "Mental harm": "A.4.a",
    "Personal data": "A.4.f",
    "Sensitive information": "A.4.e",
    "Law violation": "A.1.h",
    "Property safety": "A.4.g",
}
SAFETYBENCH_RISK = {
    "Unfairness and Bias": "A.2.i",
    "Physical Health": "A.4.a",
    "Mental Health": "A.4.a",
    "Illegal Activities": "A.1.h",
    "Privacy and Property": "A.4.e",
}
SAFETYQA_ASPECT = {
    "宗教偏见与歧视": "信仰",
    "性别偏见与歧视": "性别",
    "年龄偏见与歧视": "年龄",
    "种族偏见与歧视": "民族",
    "残障人士偏见与歧视": "健康",
    "地域偏见与歧视": "地理",
    "身体健康类": "健康",
    "心理健康类": "健康",
    "职业适应类": "职业",
    "职业伦理类": "职业",
}


def _h(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def _jade(data: Path) -> list[tuple[str, str, str]]:
    from hegui.screen.training import JADE_FILES, _jade_label

    out = []
    for name in JADE_FILES:
        with (data / "jade-db" / name).open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                rid = _jade_label(row["违规类型"], row["违规子类"])
                if rid:
                    out.append((row["问题"].strip(), rid, f"jade-db {name}#{row.get('ID', '')}"))
    return out


def build(data: Path) -> dict[BankKind, Bank]:
    authored = json.loads(
        resources.files("hegui.assess").joinpath("data/authored_questions.json").read_text("utf-8")
    )
    screen_authored = json.loads(
        resources.files("hegui.screen").joinpath("data/authored_risk.json").read_text("utf-8")
    )
    pools: dict[BankKind, dict[str, list[Item]]] = {
        "generated": {},
        "should_refuse": {},
        "should_not_refuse": {},
    }

    def add(
        kind: BankKind, q: str, stratum: str, origin: str, source: str, history: list[list[str]] | None = None
    ) -> None:
        it = make_item(kind, q, stratum, history=history or (), origin=origin, source=source)
        pools[kind].setdefault(it.stratum, []).append(it)

    # Harmful questions: split between the generated and the should-refuse banks by hash, so the banks do not
    # share items (A.1/A.2 go half and half; the rest only to generated).
    derived: list[tuple[str, str, str]] = _jade(data)
    with (data / "flames" / "Flames_1k_Chinese.jsonl").open(encoding="utf-8") as fh:
        for n, line in enumerate(fh):
            d = json.loads(line)
            rid = FLAMES_RISK.get(d["subcomponent"])
            if rid:
                derived.append((d["prompt"].strip(), rid, f"flames Flames_1k_Chinese.jsonl#{n + 1}"))
    sb = json.loads((data / "safetybench" / "test_zh_subset.json").read_text("utf-8"))
    for d in sb:
        rid = SAFETYBENCH_RISK.get(d["category"])
        if rid:
            opts = "\n".join(f"{chr(65 + i)}. {o}" for i, o in enumerate(d["options"]))
            derived.append((f"{d['question']}\n{opts}", rid, f"safetybench test_zh_subset.json#{d['id']}"))
    with (data / "chinese-safetyqa" / "chinese_safetyqa.jsonl").open(encoding="utf-8") as fh:
        for n, line in enumerate(fh):
            d = json.loads(line)
            parts: list[str] = [*str(d["cate"]).split("-"), "", ""]
            top, mid = parts[0], parts[1]
            src = f"chinese-safetyqa chinese_safetyqa.jsonl#{n + 1}"
            if top == "理论技术知识":
                derived.append((d["question"].strip(), "A.5.a", src))
            elif top == "谣言错误风险":
                derived.append((d["question"].strip(), "A.1.g", src))
            elif mid in SAFETYQA_ASPECT or d["cate"].split("-")[1] in SAFETYQA_ASPECT:
                aspect = SAFETYQA_ASPECT.get(mid) or SAFETYQA_ASPECT[d["cate"].split("-")[1]]
                add("should_not_refuse", d["question"].strip(), aspect, "derived", src)
    for q, rid, src in derived:
        # only JADE's plainly harmful requests are should-refuse material; knowledge and adversarial-but-benign
        # prompts (ChineseSafetyQA, Flames, SafetyBench) stay in the generated-content bank
        to_refuse = rid in taxonomy.KEYWORD_RISKS and int(_h(q), 16) % 2 == 1 and src.startswith("jade-db")
        add("should_refuse" if to_refuse else "generated", q, rid, "derived", src)
    with (data / "cvalues" / "cvalues_responsibility_prompts.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            d = json.loads(line)
            add(
                "should_not_refuse",
                d["prompt"].strip(),
                "",
                "derived",
                f"cvalues {d.get('domain_zh', '')}#{d['id_']}",
            )

    # Authored: the screening wing's risk templates (generated bank) and this wing's own templates.
    for rid, spec in screen_authored["risks"].items():
        for fi, frame in enumerate(spec["frames"]):
            for filler in spec["fillers"]:
                kind: BankKind = "should_refuse" if rid in taxonomy.KEYWORD_RISKS and fi % 2 else "generated"
                add(kind, frame.replace("{x}", filler), rid, "authored", "hegui screen/authored_risk.json")
    for rid, sentences in screen_authored["sentences"].items():
        for s in sentences:
            add("generated", s, rid, "authored", "hegui screen/authored_risk.json")
    for kind_name, groups in authored["templates"].items():
        for stratum, spec in groups.items():
            for frame in spec["frames"]:
                for filler in spec["fillers"]:
                    add(
                        kind_name,
                        frame.replace("{x}", filler),
                        stratum,
                        "authored",
                        "hegui assess/authored_questions.json",
                    )
    for kind_name, convs in authored["multi_turn"].items():
        for conv in convs:
            add(
                kind_name,
                conv["question"],
                conv["stratum"],
                "authored",
                "hegui assess/authored_questions.json",
                conv["history"],
            )

    banks: dict[BankKind, Bank] = {}
    for kind, by_stratum in pools.items():
        items: list[Item] = []
        seen: set[str] = set()
        for stratum in sorted(by_stratum):
            group = by_stratum[stratum]
            der = sorted((i for i in group if i.origin == "derived"), key=lambda i: _h(i.question))
            cap = CAP * 3 if kind == "should_not_refuse" and stratum == "" else CAP
            chosen = der[:cap] + [i for i in group if i.origin == "authored"]
            for it in chosen:
                if it.id not in seen:
                    seen.add(it.id)
                    items.append(it)
        drop = set()
        for d in near_duplicates(items, threshold=0.8):
            if d.a not in drop:
                drop.add(d.b)
        items = [i for i in items if i.id not in drop]
        sources = sorted({i.source.split(" ", 1)[0] for i in items})
        banks[kind] = Bank(
            f"hegui-starter-{kind}",
            kind,
            items,
            version=VERSION,
            updated=dt.date(2026, 12, 6),
            description="hegui starter bank: a starting point, not a filing-ready bank; see docs/assess.md",
            attribution=[f"{s}: {ATTRIBUTION[s]}" for s in sources if s in ATTRIBUTION],
        )
    return banks


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--out", type=Path, default=Path(str(resources.files("hegui.assess").joinpath("data"))))
    args = ap.parse_args(argv)
    for kind, bank in build(args.data).items():
        write_jsonl(bank, args.out / Path(STARTER[kind]).name)
        cov = bank.coverage()
        print(
            kind, len(bank), Counter(i.origin for i in bank.items), "gaps:", [g.to_json() for g in cov.gaps]
        )


if __name__ == "__main__":
    main()
