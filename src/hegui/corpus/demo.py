"""``make demo`` section for corpus checks: a small generated corpus (JSONL, CSV and gzip), the technical check
on a 50% sample, the 5% rule on one source, robots.txt evidence, and the report."""

from __future__ import annotations

import gzip
import html
import json
import pathlib
import random

from rich.console import Console

SAFE = (
    "今天天气很好，适合去西湖散步。",
    "请帮我写一封请假邮件。",
    "红烧肉要先焯水再炒糖色。",
    "Python 的列表推导式很简洁。",
)
HARMFUL = ("有人在群里教人制造炸弹。", "他们在网上贩卖毒品。")


def _corpus(folder: pathlib.Path) -> pathlib.Path:
    rng = random.Random(2026)
    folder.mkdir(parents=True, exist_ok=True)
    texts = []
    for i in range(3000):
        t = rng.choice(HARMFUL) if i % 80 == 0 else rng.choice(SAFE)
        if i % 97 == 3:
            t += " 联系电话13812345678"
        texts.append(f"{t} #{i}")
    (folder / "web.jsonl").write_text(
        "".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in texts[:2000]), encoding="utf-8"
    )
    (folder / "forum.jsonl.gz").write_bytes(
        gzip.compress(
            "".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in texts[2000:]).encode()
        )
    )
    return folder


def run(out: pathlib.Path, console: Console) -> str:
    from hegui.corpus import ScanConfig, scan, source_decision
    from hegui.corpus import report as report_mod
    from hegui.corpus.robots import StoredRobots, disallowed

    corpus = _corpus(out / "corpus")
    run_ = scan([corpus], ScanConfig(sample=0.5, seed="demo"), work_dir=out / "corpus-scan")
    data = report_mod.result(run_)
    report_mod.save(run_, data)
    page = report_mod.write_html(data, out / "corpus-report.html")
    console.print(
        f"technical check: {data['scanned']} of {data['records']} records scanned, {data['flagged']} flagged, "
        f"pass rate {data['pass_rate']:.2%} (95% CI {data['ci_low']:.2%}–{data['ci_high']:.2%}) → {data['outcome']}"
    )
    src = scan([corpus / "forum.jsonl.gz"], ScanConfig(pii=False), work_dir=out / "corpus-source")
    decision = source_decision(src.summary)
    console.print(f"source 'forum': harmful rate {decision.rate:.2%} → {decision.outcome} (5% rule)")
    robots = StoredRobots(
        "example.com", "2026-11-01T08:00:00Z", "hegui-bot", "User-agent: *\nDisallow: /private/\n"
    )
    urls = ["https://example.com/news/1.html", "https://example.com/private/profile.html"]
    bad = [d.url for d in disallowed(urls, [robots])]
    console.print(f"robots.txt: {len(bad)} of {len(urls)} collected URLs were disallowed: {', '.join(bad)}")
    return (
        f"<p>Technical check of a generated corpus (JSONL and gzip, 3,000 records, 50% sample): pass rate "
        f"{data['pass_rate']:.2%} (95% CI {data['ci_low']:.2%}–{data['ci_high']:.2%}) against 98% → "
        f"<b>{html.escape(data['outcome'])}</b>. Source assessment (5% rule): {html.escape(decision.outcome)}. "
        f"robots.txt: {len(bad)} disallowed URL. <a href='{page.name}'>Corpus report</a>.</p>"
    )
