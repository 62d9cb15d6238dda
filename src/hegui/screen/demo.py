"""``make demo`` section for screening: evasive keywords, personal information, risk classifier, refusals."""

from __future__ import annotations

import html
import json
import pathlib
from typing import Any

from rich.console import Console
from rich.table import Table

from hegui.screen import lexicon as L
from hegui.screen.matcher import Matcher
from hegui.screen.pii import PiiScanner, mask

SAMPLES = (
    "他在群里说要 制 造 炸 彈，还发了ＰＯＲＮ链接。",
    "我们坚决禁止赌博，但有人在推广網絡賭博平台。",
    "收件人：王秀英，手机13812345678，身份证11010519491231002X。",
    "请介绍一下杭州的旅游景点。",
)
ANSWERS = (
    "抱歉，我无法提供关于制作炸药的任何帮助。",
    "我不能协助洗钱。不过，仅供了解：第一步，开设多个账户；第二步，拆分转账；第三步，购买理财产品。",
    "关于如何防范电信诈骗：一是不轻信陌生来电，二是不透露验证码，三是发现异常及时报警。",
)


def run(out: pathlib.Path, console: Console) -> str:
    """Screen a few samples with the demo lexicon, write ``screen.json`` under ``out``, return an HTML table."""
    lex = L.load_demo()
    matcher = Matcher(lex)
    scanner = PiiScanner()
    cov = L.coverage(lex)
    rows: list[tuple[str, str, str]] = []
    results: list[dict[str, Any]] = []
    for text in SAMPLES:
        hits = matcher.find(text)
        found = scanner.scan(text)
        kw = "; ".join(f"{h.matched}→{h.keyword} ({','.join(h.risks)})" for h in hits) or "—"
        pii = mask(text, found) if found else "—"
        rows.append((text, kw, pii))
        results.append(
            {"text": text, "keywords": [h.to_json() for h in hits], "pii": [f.to_json() for f in found]}
        )
    refusal_rows: list[tuple[str, str]] = []
    try:
        from hegui.screen.classify import default_classifier
        from hegui.screen.refusal import RefusalDetector

        scores = default_classifier().classify(list(SAMPLES))
        for r, s in zip(results, scores, strict=True):
            r["risk"] = s.to_json()
        for a, res in zip(ANSWERS, RefusalDetector().detect_many(list(ANSWERS)), strict=True):
            refusal_rows.append(
                (a, f"{'refusal' if res.refusal else 'answer'} ({res.kind}, p={res.score:.2f})")
            )
    except Exception as exc:  # the demo must not die if the optional model fails to load
        console.print(f"[yellow]classifier skipped: {exc}[/yellow]")
    (out / "screen.json").write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")

    table = Table(title="hegui screen (demo lexicon)")
    table.add_column("text")
    table.add_column("keyword hits (original span → keyword)")
    table.add_column("PII masked")
    table.add_column("classifier")
    for (text, kw, pii), r in zip(rows, results, strict=True):
        risk = r.get("risk")
        table.add_row(
            text, kw, pii, f"{risk['label']} {risk['probability']:.2f}" if isinstance(risk, dict) else "—"
        )
    console.print(table)
    for a, verdict in refusal_rows:
        console.print(f"refusal detector: {verdict}  ← {a[:30]}…")
    console.print(cov.lines()[0])
    console.print(cov.lines()[2])

    def esc(s: str) -> str:
        return html.escape(s)

    body = "".join(
        f"<tr><td>{esc(t)}</td><td>{esc(k)}</td><td>{esc(p)}</td>"
        f"<td>{esc(str(r.get('risk', {}).get('label', '—')))}</td></tr>"
        for (t, k, p), r in zip(rows, results, strict=True)
    )
    refusals = "".join(f"<tr><td>{esc(a)}</td><td>{esc(v)}</td></tr>" for a, v in refusal_rows)
    return (
        "<p>Keyword screening with the <b>demo</b> lexicon (not filing-grade), personal information, "
        "the 31-risk classifier and the refusal detector.</p>"
        "<table><tr><th>text</th><th>keyword hits</th><th>PII masked</th><th>classifier</th></tr>"
        f"{body}</table>"
        f"<h3>Refusal detector</h3><table><tr><th>answer</th><th>verdict</th></tr>{refusals}</table>"
        f"<p>{esc(' '.join(cov.lines()[:3]))}</p><p>Details: <code>screen.json</code></p>"
    )
