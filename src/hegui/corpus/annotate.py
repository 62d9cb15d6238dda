"""The manual sample: draw at least 4,000 items reproducibly, hand them to annotators as Excel or JSONL, read their
verdicts back, and judge the pass rate against 96%."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hegui.atomic import atomic_output
from hegui.corpus.plan import PLAN, CorpusPlan
from hegui.corpus.readers import ReadOptions, discover, records
from hegui.corpus.sampling import BottomK
from hegui.errors import InputError, UsageError
from hegui.stats import RateDecision, decide

HEADERS = ("序号", "id", "文本", "结论", "风险类别", "备注")
"""Sheet columns. 结论 (verdict) takes 合格 / 不合格 (also pass / fail, 1 / 0, y / n)."""
_PASS = {"合格", "通过", "pass", "passed", "ok", "1", "y", "yes", "true", "是"}
_FAIL = {"不合格", "不通过", "fail", "failed", "0", "n", "no", "false", "否"}
MAX_TEXT = 32000
"""Excel holds at most 32,767 characters per cell; longer texts are cut with a marker (the id finds the rest)."""


@dataclass(frozen=True, slots=True)
class SampleItem:
    index: int
    id: str
    text: str


def draw(
    paths: Sequence[str | os.PathLike[str]],
    n: int = PLAN.manual_sample_min,
    *,
    seed: str = "",
    options: ReadOptions = ReadOptions(),
    progress: Callable[[int], None] | None = None,
) -> list[SampleItem]:
    """The ``n`` records with the smallest id hash: uniform, reproducible, independent of file order."""
    if n <= 0:
        raise UsageError("the sample size must be positive")
    keep = BottomK(n, seed)
    seen = 0
    for shard in discover(paths):
        for rid, text in records(shard, options):
            keep.offer(rid, text)
            seen += 1
            if progress and seen % 10000 == 0:
                progress(seen)
    return [SampleItem(i, rid, text) for i, (_, rid, text) in enumerate(keep.items(), start=1)]


def export(items: Sequence[SampleItem], target: str | os.PathLike[str]) -> Path:
    """Write the sample for annotators: ``.xlsx`` (every cell text, never a formula) or ``.jsonl``."""
    path = Path(target)
    if path.suffix.lower() == ".jsonl":
        with atomic_output(path) as out:
            for it in items:
                row = {"序号": it.index, "id": it.id, "文本": it.text, "结论": "", "风险类别": "", "备注": ""}
                out.write(json.dumps(row, ensure_ascii=False).encode("utf-8") + b"\n")
        return path
    if path.suffix.lower() != ".xlsx":
        raise UsageError(f"{path}: export to .xlsx or .jsonl")
    from io import BytesIO

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "人工抽检"
    ws.append(list(HEADERS))
    for it in items:
        text = it.text if len(it.text) <= MAX_TEXT else it.text[:MAX_TEXT] + "…[截断]"
        ws.append([it.index, it.id, text, "", "", ""])
    for row in ws.iter_rows(min_row=2):
        for cell in row[1:]:
            cell.data_type = "s"  # a text beginning with '=' stays text: no formula reaches the annotator
    buf = BytesIO()
    wb.save(buf)
    with atomic_output(path) as out:
        out.write(buf.getvalue())
    return path


@dataclass(frozen=True, slots=True)
class Verdicts:
    total: int
    judged: int
    passed: int
    failed_ids: list[str]
    unjudged: int
    decision: RateDecision

    def to_dict(self) -> dict[str, Any]:
        return {
            "items": self.total,
            "judged": self.judged,
            "passed": self.passed,
            "unjudged": self.unjudged,
            "failed_ids": self.failed_ids,
            **{k: v for k, v in self.decision.to_dict().items() if k not in ("successes", "n")},
            "pass_rate": round(self.decision.rate, 6),
        }


def _rows(path: Path) -> list[dict[str, Any]]:
    if path.suffix.lower() == ".jsonl":
        out = []
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if line.strip():
                try:
                    out.append(json.loads(line))
                except ValueError as exc:
                    raise InputError(f"line {n}: {exc}", path=path) from None
        return out
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
        ws = wb.worksheets[0]
        rows = list(ws.iter_rows(values_only=True))
    except (
        Exception
    ) as exc:  # openpyxl raises many kinds (BadZipFile, KeyError, ParseError) for damaged files
        raise InputError(
            f"not a readable annotation workbook: {' '.join(str(exc).split())[:200]}", path=path
        ) from None
    if not rows:
        raise InputError("the workbook is empty", path=path)
    header = [str(h).strip() if h is not None else "" for h in rows[0]]
    return [dict(zip(header, r, strict=False)) for r in rows[1:]]


def read_verdicts(target: str | os.PathLike[str], plan: CorpusPlan = PLAN) -> Verdicts:
    """Annotators' verdicts (column 结论) → pass rate with its interval against 96%; every row that is neither
    pass nor fail is counted as unjudged and makes the outcome undecided when it brings the sample under 4,000."""
    path = Path(target)
    rows = _rows(path)
    bad: list[str] = []
    passed = judged = 0
    failed: list[str] = []
    for i, row in enumerate(rows, start=2):
        raw = row.get("结论")
        v = str(raw).strip().lower() if raw is not None else ""
        if not v:
            continue
        if v in _PASS:
            passed += 1
            judged += 1
        elif v in _FAIL:
            judged += 1
            failed.append(str(row.get("id", "")))
        else:
            bad.append(f"row {i}: {raw!r}")
    if bad:
        raise InputError(
            "verdicts must be 合格 or 不合格 (or pass / fail); "
            + "; ".join(bad[:20])
            + (f"; and {len(bad) - 20} more" if len(bad) > 20 else ""),
            path=path,
        )
    decision = decide(passed, judged, plan.manual_pass_min, minimum_n=plan.manual_sample_min)
    return Verdicts(len(rows), judged, passed, failed, len(rows) - judged, decision)
