"""The corpus check report: one JSON object (what scripts read) and one HTML page (what an officer reads)."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from hegui import __version__
from hegui.atomic import atomic_output
from hegui.corpus.checks import technical_check
from hegui.corpus.runners import ScanRun
from hegui.corpus.scanner import lexicon_identity
from hegui.errors import InputError

RESULT_FILE = "result.json"


def result(run: ScanRun, sources: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Everything the scan found, with the decision against the technical-check rule."""
    tech = technical_check(run.summary)
    return {
        "hegui_version": __version__,
        "scan_id": run.scan_id,
        "work_dir": str(run.work_dir),
        "config": run.config.to_dict(),
        "lexicon": lexicon_identity(run.config),
        "shards": run.shards,
        "shards_reused": run.reused,
        **tech.to_dict(),
        "summary": run.summary.to_dict(),
        "sources": sources or [],
    }


def save(run: ScanRun, data: dict[str, Any]) -> Path:
    path = run.work_dir / RESULT_FILE
    with atomic_output(path) as out:
        out.write(json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8"))
    return path


def load(work_dir: str | Path) -> dict[str, Any]:
    path = Path(work_dir) / RESULT_FILE if Path(work_dir).is_dir() else Path(work_dir)
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("no scan result here; run 'hegui corpus scan' first", path=path) from None
    except (OSError, ValueError) as exc:
        raise InputError(f"unreadable scan result: {exc}", path=path) from None
    return data


_OUTCOME_ZH = {"conforms": "符合", "does not conform": "不符合", "undecided": "待定"}


def to_html(data: dict[str, Any]) -> str:
    """A self-contained page: the decision, the per-risk and per-PII tables with masked examples, the sources."""
    e = html.escape
    s = data["summary"]
    risk_rows = (
        "".join(
            f"<tr><td>{e(r)}</td><td class=n>{c}</td><td>{e('; '.join(x['id'] for x in s['risk_examples'].get(r, [])))}</td></tr>"
            for r, c in s["by_risk"].items()
        )
        or "<tr><td colspan=3>none</td></tr>"
    )
    pii_rows = (
        "".join(
            f"<tr><td>{e(k)}</td><td class=n>{c}</td><td>{e('; '.join(x['masked'] for x in s['pii_examples'].get(k, [])))}</td></tr>"
            for k, c in s["by_pii"].items()
        )
        or "<tr><td colspan=3>none</td></tr>"
    )
    src_rows = (
        "".join(
            f"<tr><td>{e(x['name'])}</td><td>{e(x['kind'])}</td><td>{e(x['licence'])}</td><td>{e(x['status'])}</td>"
            f"<td>{e(x['reason'])}</td><td>{e('; '.join(x.get('gaps', [])))}</td></tr>"
            for x in data.get("sources", [])
        )
        or "<tr><td colspan=6>no sources registered</td></tr>"
    )
    lex = data["lexicon"]
    outcome = data["outcome"]
    return f"""<!doctype html><html lang="zh"><head><meta charset="utf-8">
<title>语料安全检查报告 / corpus check {e(data["scan_id"])}</title>
<style>body{{font-family:"Noto Sans CJK SC",sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#111}}
table{{border-collapse:collapse;width:100%;margin:1rem 0}}td,th{{border:1px solid #bbb;padding:.3rem .5rem;text-align:left}}
.n{{text-align:right}}.outcome{{font-size:1.3rem;font-weight:bold}}.conforms{{color:#14632f}}
.does-not-conform{{color:#a00}}.undecided{{color:#8a5a00}}</style></head><body>
<h1>语料安全技术抽检报告 <small>Corpus technical check</small></h1>
<p>hegui {e(data["hegui_version"])} · scan {e(data["scan_id"])} · lexicon {e(lex["name"])} ({lex["entries"]} entries,
digest {e(lex["digest"][:16])})</p>
<p class="outcome {e(outcome.replace(" ", "-"))}">{e(_OUTCOME_ZH.get(outcome, outcome))} / {e(outcome)}</p>
<p>{e(data["reason"])}</p>
<table><tr><th>records 语料条数</th><th>scanned 抽检</th><th>share 占比</th><th>flagged 不合格</th>
<th>pass rate 合格率</th><th>95% CI</th><th>threshold 阈值</th></tr>
<tr><td class=n>{data["records"]}</td><td class=n>{data["scanned"]}</td><td class=n>{data["fraction_scanned"]:.1%}</td>
<td class=n>{data["flagged"]}</td><td class=n>{data["pass_rate"]:.2%}</td>
<td class=n>{data["ci_low"]:.2%} – {data["ci_high"]:.2%}</td><td class=n>≥ {data["threshold"]:.0%}</td></tr></table>
<h2>By risk 按风险</h2><table><tr><th>risk</th><th>records</th><th>example ids</th></tr>{risk_rows}</table>
<h2>Personal information 个人信息</h2><p>{s["with_pii"]} records hold personal information.</p>
<table><tr><th>kind</th><th>count</th><th>masked examples</th></tr>{pii_rows}</table>
<h2>Sources 来源</h2><table><tr><th>name</th><th>kind</th><th>licence</th><th>status</th><th>reason</th><th>gaps</th></tr>
{src_rows}</table></body></html>"""


def write_html(data: dict[str, Any], target: str | Path) -> Path:
    path = Path(target)
    with atomic_output(path) as out:
        out.write(to_html(data).encode("utf-8"))
    return path
