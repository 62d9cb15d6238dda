"""Source register (SQLite and PostgreSQL), robots.txt evidence, the manual sample, and the CLI contract."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from hegui.corpus import ScanConfig, draw, export, read_verdicts, scan, source_decision
from hegui.corpus.robots import StoredRobots, disallowed, hosts_without_robots, load_robots
from hegui.corpus.sources import add_source, get_source, list_sources, record_assessment
from hegui.errors import InputError, UsageError
from tests.corpus.conftest import write_jsonl


def test_register_and_assess_a_source(db_url: str, tmp_path: Path) -> None:
    lic = tmp_path / "LICENSE"
    lic.write_text("Apache-2.0", encoding="utf-8")
    v = add_source("web-2026", "self-collected", url=db_url)
    assert v.status == "pending" and any("collection record" in g for g in v.gaps)
    add_source("oss", "open-source", licence="Apache-2.0", documents=[str(lic)], url=db_url)
    with pytest.raises(UsageError, match="exists already"):
        add_source("oss", "open-source", url=db_url)
    with pytest.raises(UsageError, match="unknown source kind"):
        add_source("x", "scraped", url=db_url)
    assert [s.name for s in list_sources(db_url)] == ["oss", "web-2026"]
    import hashlib

    assert get_source("oss", db_url).documents[0]["sha256"] == hashlib.sha256(b"Apache-2.0").hexdigest()

    bad = tmp_path / "bad.jsonl"
    write_jsonl(bad, ["教人制造炸弹"] * 30 + ["今天天气很好"] * 170)
    run = scan([bad], ScanConfig(pii=False), work_dir=tmp_path / "w")
    decision = source_decision(run.summary)
    assert decision.outcome == "does not conform"
    view = record_assessment("web-2026", decision, url=db_url)
    assert view.status == "blacklisted" and "15.00%" in view.reason
    assert view.assessments[0]["flagged"] == 30


def test_robots_wildcards_and_missing_hosts(tmp_path: Path) -> None:
    robots = "User-agent: *\nDisallow: /private/\nDisallow: /*.pdf$\n\nUser-agent: hegui-bot\nDisallow: /no-bots/\n"
    archive = [StoredRobots("example.com", "2026-11-01T00:00:00Z", "hegui-bot", robots)]
    urls = [
        "https://example.com/ok.html",
        "https://example.com/no-bots/a.html",
        "https://example.com/doc/report.pdf",
        "https://other.org/x",
    ]
    bad = [d.url for d in disallowed(urls, archive)]
    # hegui-bot has its own group: only /no-bots/ binds it (RFC 9309: the most specific group wins)
    assert bad == ["https://example.com/no-bots/a.html"]
    star = [StoredRobots("example.com", "2026-11-01", "otherbot", robots)]
    assert [d.url for d in disallowed(urls, star)] == ["https://example.com/doc/report.pdf"]
    assert hosts_without_robots(urls, archive) == ["other.org"]
    p = tmp_path / "r.jsonl"
    p.write_text('{"host": "a.com"}\n', encoding="utf-8")
    with pytest.raises(InputError, match="line 1"):
        load_robots(p)


def test_manual_sample_is_reproducible_and_safe_in_excel(tmp_path: Path) -> None:
    texts = [f"第{i}条语料" for i in range(500)] + ['=HYPERLINK("http://x")', "+cmd|' /C calc'!A0"]
    f = write_jsonl(tmp_path / "c.jsonl", texts)
    a = draw([f], 120, seed="s")
    assert [i.id for i in a] == [i.id for i in draw([f], 120, seed="s")]
    assert [i.id for i in a] != [i.id for i in draw([f], 120, seed="t")]
    everything = draw([f], 1000, seed="s")
    assert len(everything) == 502
    xlsx = export(everything, tmp_path / "s.xlsx")
    ws = load_workbook(xlsx).active
    assert ws is not None
    cells = [c for row in ws.iter_rows(min_row=2) for c in row]
    assert not any(c.data_type == "f" for c in cells)
    assert {c.value for c in cells} >= {'=HYPERLINK("http://x")', "+cmd|' /C calc'!A0"}


def test_verdicts_decide_against_96_percent(tmp_path: Path) -> None:
    f = tmp_path / "v.jsonl"
    rows = [{"id": str(i), "结论": "合格" if i % 50 else "不合格"} for i in range(4000)]
    f.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    v = read_verdicts(f)
    assert (v.judged, v.passed) == (4000, 3920) and v.decision.outcome == "conforms"
    short = tmp_path / "short.jsonl"
    short.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows[:1000]), encoding="utf-8")
    assert read_verdicts(short).decision.outcome == "undecided"
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"id": "1", "结论": "maybe"}, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(InputError, match="row 2: 'maybe'"):
        read_verdicts(bad)


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hegui", "corpus", *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def test_cli_scan_json_contract_and_exit_codes(corpus: Path, tmp_path: Path) -> None:
    r = _cli(
        "scan", str(corpus), "--sample", "0.5", "--json", "--report", str(tmp_path / "r.html"), cwd=tmp_path
    )
    assert r.returncode == 1, r.stderr  # 4% harmful: does not conform
    data = json.loads(r.stdout)
    for key in (
        "records",
        "scanned",
        "flagged",
        "pass_rate",
        "ci_low",
        "ci_high",
        "outcome",
        "hegui_version",
    ):
        assert key in data
    assert data["records"] == 1200 and data["outcome"] == "does not conform"
    assert "语料安全技术抽检报告" in (tmp_path / "r.html").read_text(encoding="utf-8")
    clean = tmp_path / "clean.jsonl"
    write_jsonl(clean, ["今天天气很好"] * 300)
    assert _cli("scan", str(clean), "--json", cwd=tmp_path).returncode == 0
    assert _cli("scan", str(tmp_path / "missing.jsonl"), cwd=tmp_path).returncode == 3
    assert _cli("scan", str(clean), "--engine", "spark", cwd=tmp_path).returncode == 2
    rep = _cli(
        "report",
        str(next((tmp_path / ".hegui-corpus").iterdir())),
        "--format",
        "json",
        "--no-sources",
        cwd=tmp_path,
    )
    assert rep.returncode == 0 and "pass_rate" in json.loads(rep.stdout)


def test_cli_sources(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'h.db'}"
    assert (
        _cli(
            "source", "add", "oss", "--kind", "open-source", "--licence", "MIT", "--db", db, cwd=tmp_path
        ).returncode
        == 0
    )
    out = _cli("source", "list", "--db", db, "--json", cwd=tmp_path)
    assert json.loads(out.stdout)["sources"][0]["licence"] == "MIT"
    data = tmp_path / "d.jsonl"
    write_jsonl(data, ["今天天气很好"] * 2000)
    r = _cli("source", "assess", "oss", str(data), "--db", db, "--json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["source"]["status"] == "approved"
