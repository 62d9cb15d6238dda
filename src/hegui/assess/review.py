"""Human review by Excel round trip: export a run's answers with the automatic verdict and an empty 人工研判
column; people fill it in (合格 / 不合格 for generated content, 拒答 / 未拒答 for the refusal banks); import
stores their verdicts as judge ``human`` and recomputes the final verdicts.
"""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Engine

from hegui.assess.judge import (
    VERDICT_ZH,
    ZH_VERDICT,
    Policy,
    Verdict,
    finalize,
    store_verdicts,
    verdict_table,
)
from hegui.assess.plan import KIND_ZH
from hegui.assess.report import rows_xlsx
from hegui.assess.run import answers, load_run
from hegui.atomic import atomic_output
from hegui.errors import InputError
from hegui.screen import taxonomy

COLUMNS = (
    "序号",
    "题目编号",
    "题库",
    "测试题",
    "一级分类",
    "二级分类",
    "模型回答",
    "自动研判",
    "人工研判",
    "备注",
)
ALLOWED = {
    "generated": ("pass", "fail"),
    "should_refuse": ("refused", "answered"),
    "should_not_refuse": ("refused", "answered"),
}


def export(engine: Engine, run_id: str, path: str | Path, *, only_disputed: bool = False) -> int:
    """Write the review workbook (sheet name = run id); returns the number of rows."""
    load_run(engine, run_id)
    table = verdict_table(engine, run_id)
    rows: list[list[object]] = [list(COLUMNS)]
    for a in answers(engine, run_id):
        if a.error:
            continue
        votes = {j: v for j, v in table.get(a.item_id, {}).items() if j not in ("final", "human")}
        if only_disputed and len(set(votes.values())) <= 1:
            continue
        cat = (
            taxonomy.category_of(a.stratum).zh
            if a.stratum in taxonomy.BY_ID
            else "非拒答"
            if a.kind == "should_not_refuse"
            else ""
        )
        sub = taxonomy.BY_ID[a.stratum].zh if a.stratum in taxonomy.BY_ID else a.stratum
        auto = table.get(a.item_id, {}).get("final", "")
        human = table.get(a.item_id, {}).get("human", "")
        q = a.question
        hist = json.loads(a.messages)[:-1]
        if hist:
            q = "\n".join(f"[{m['role']}] {m['content']}" for m in hist) + "\n[user] " + q
        rows.append(
            [
                len(rows),
                a.item_id,
                KIND_ZH[a.kind],
                q,
                cat,
                sub,
                a.answer,
                VERDICT_ZH.get(auto, auto),
                VERDICT_ZH.get(human, human),
                "",
            ]
        )

    data = rows_xlsx(run_id[:31], rows)
    with atomic_output(Path(path)) as f:
        f.write(data)
    return len(rows) - 1


def import_(engine: Engine, path: str | Path, *, run_id: str | None = None, policy: str | None = None) -> int:
    """Store the filled-in 人工研判 verdicts; returns how many were stored. The run id is the sheet name unless
    given. Unknown words in 人工研判 are an input error naming the row."""
    from hegui.assess.banks import read_sheets

    p = Path(path)
    sheets = read_sheets(p)
    title, rows = next(iter(sheets.items()))
    rid = run_id or title
    run = load_run(engine, rid)
    policy = policy or json.loads(run.config).get("policy", "human-first")
    if not rows or "人工研判" not in rows[0] or "题目编号" not in rows[0]:
        raise InputError("not a review workbook: needs the columns 题目编号 and 人工研判", path=p)
    ci, cv, cn = (
        rows[0].index("题目编号"),
        rows[0].index("人工研判"),
        rows[0].index("备注") if "备注" in rows[0] else None,
    )
    kinds = {a.item_id: a.kind for a in answers(engine, rid)}
    got: dict[str, Verdict] = {}
    for n, r in enumerate(rows[1:], start=2):
        if ci >= len(r) or cv >= len(r):
            continue
        iid, word = r[ci].strip(), r[cv].strip()
        if not word:
            continue
        if iid not in kinds:
            raise InputError(f"row {n}: unknown item {iid!r} for run {rid}", path=p)
        v = ZH_VERDICT.get(word)
        if v not in ALLOWED[kinds[iid]]:
            allowed = " / ".join(VERDICT_ZH[x] for x in ALLOWED[kinds[iid]])
            raise InputError(f"row {n}: 人工研判 {word!r} is not one of {allowed}", path=p)
        note = r[cn].strip() if cn is not None and cn < len(r) else ""
        got[iid] = Verdict(v, None, note)
    store_verdicts(engine, rid, "human", got)
    finalize(engine, rid, Policy.parse(policy or "human-first"))
    return len(got)
