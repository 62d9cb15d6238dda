"""``make demo`` section for screening: evasive keywords, personal information, risk classifier, refusals."""

from __future__ import annotations

import html
import json
import pathlib

from rich.console import Console
from rich.table import Table

from hegui.screen import lexicon as L
from hegui.screen.service import screen

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
    cov = L.coverage(lex)
    screened = screen(SAMPLES, lexicon=lex)
    refusal_rows: list[tuple[str, str]] = []
    try:  # the classifier and the refusal detector need the model: the demo must not die without it
        scored = screen(SAMPLES, lexicon=lex, pii=True, classify=True)
        screened = scored
        for r in screen(ANSWERS, lexicon=lex, pii=False, refusal=True):
            d = r.by_source("refusal")[0].data
            refusal_rows.append(
                (r.text, f"{'refusal' if d['refusal'] else 'answer'} ({d['kind']}, p={d['score']:.2f})")
            )
    except Exception as exc:
        console.print(f"[yellow]classifier skipped: {exc}[/yellow]")
    results = [r.to_dict() for r in screened]
    rows: list[tuple[str, str, str]] = []
    for r in screened:
        hits = r.by_source("matcher")
        kw = (
            "; ".join(f"{h.data['matched']}→{h.data['keyword']} ({','.join(h.data['risks'])})" for h in hits)
            or "—"
        )
        rows.append((r.text, kw, r.masked() if r.by_source("pii") else "—"))
    (out / "screen.json").write_text(
        json.dumps(results, ensure_ascii=False, indent=1),
        encoding="utf-8",
    )

    table = Table(title="hegui screen (demo lexicon)")
    table.add_column("text")
    table.add_column("keyword hits (original span → keyword)")
    table.add_column("PII masked")
    table.add_column("classifier")
    for (text, kw, pii), item in zip(rows, results, strict=True):
        risk = item.get("risk")
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
