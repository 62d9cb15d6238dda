from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hegui.corpus import ScanConfig, scan, scan_batch, source_decision, technical_check
from hegui.corpus.scanner import Summary
from tests.corpus.conftest import make_texts, write_jsonl

TEXTS = make_texts(1200)
N_HARMFUL = sum(1 for i in range(1200) if i % 25 == 0)


def test_scan_batch_finds_keywords_and_pii() -> None:
    res = scan_batch([("a", "教人制造炸弹"), ("b", "手机13812345678"), ("c", "今天天气很好")], ScanConfig())
    assert res[0].flagged and res[0].risks == ("A.1.d",) and res[0].keywords == ("制造炸弹",)
    assert not res[1].flagged and res[1].pii == (("mobile", "138****5678"),)
    assert not res[2].flagged and res[2].pii == ()


def test_full_scan_counts_exactly(corpus: Path, tmp_path: Path) -> None:
    run = scan([corpus], work_dir=tmp_path / "w")
    s = run.summary
    assert (s.records, s.scanned, s.flagged) == (1200, 1200, N_HARMFUL)
    assert s.by_pii["mobile"] == sum(1 for t in TEXTS if "13812345678" in t)
    assert set(s.by_risk) == {"A.1.d", "A.1.h", "A.1.f"}
    assert all("****" in ex["masked"] for ex in s.pii_examples["mobile"])
    tech = technical_check(s)
    # 48 of 1200 flagged: pass rate 96%, under 98%
    assert tech.decision.outcome == "does not conform"


def _summary(corpus: Path, work: Path, **kw: object) -> dict[str, object]:
    engine = kw.pop("engine", "local")
    jobs = kw.pop("jobs", 1)
    split = kw.pop("split_bytes", None)
    run = scan([corpus], ScanConfig(**kw), engine=engine, jobs=jobs, work_dir=work, split_bytes=split)  # type: ignore[arg-type]
    return run.summary.to_dict()


def test_sample_is_independent_of_workers_and_partitioning(corpus: Path, tmp_path: Path) -> None:
    a = _summary(corpus, tmp_path / "a", sample=0.3, seed="s1")
    b = _summary(corpus, tmp_path / "b", sample=0.3, seed="s1", jobs=2, split_bytes=2048)
    assert a == b
    assert 250 < a["scanned"] < 470  # type: ignore[operator]
    c = _summary(corpus, tmp_path / "c", sample=0.3, seed="other")
    assert c != a


@pytest.mark.slow
def test_ray_engine_gives_identical_results(corpus: Path, tmp_path: Path) -> None:
    local = _summary(corpus, tmp_path / "l", sample=0.5, seed="r")
    ray = _summary(corpus, tmp_path / "r", sample=0.5, seed="r", engine="ray", jobs=2, split_bytes=4096)
    assert ray == local


def test_resume_skips_finished_shards(corpus: Path, tmp_path: Path) -> None:
    work = tmp_path / "w"
    first = scan([corpus], work_dir=work)
    files = sorted((work / "shards").glob("*.json"))
    assert len(files) == first.shards
    files[0].unlink()
    files[1].write_text("{damaged", encoding="utf-8")  # a damaged result is rescanned, not trusted
    again = scan([corpus], work_dir=work)
    assert again.reused == first.shards - 2
    assert again.summary.to_dict() == first.summary.to_dict()


def test_work_folder_of_another_scan_is_refused(corpus: Path, tmp_path: Path) -> None:
    from hegui.errors import UsageError

    scan([corpus], work_dir=tmp_path / "w")
    with pytest.raises(UsageError, match="other inputs or settings"):
        scan([corpus], ScanConfig(sample=0.5), work_dir=tmp_path / "w")


def test_sigkill_then_resume_scans_each_shard_once(tmp_path: Path) -> None:
    """Kill a real CLI scan mid-way; the rerun reuses what was saved and ends with the uninterrupted result."""
    src = tmp_path / "big"
    src.mkdir()
    for i in range(12):
        write_jsonl(src / f"part{i:02}.jsonl", make_texts(1500, seed=i))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    cmd = [sys.executable, "-m", "hegui", "corpus", "scan", str(src), "--work", str(tmp_path / "w"), "--json"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    shard_dir = tmp_path / "w" / "shards"
    while time.monotonic() < deadline and proc.poll() is None:
        if shard_dir.is_dir() and len(list(shard_dir.glob("*.json"))) >= 3:
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    saved = len(list(shard_dir.glob("*.json")))
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode in (0, 1), done.stderr
    resumed = json.loads(done.stdout)
    assert resumed["shards_reused"] == saved and saved >= 1
    fresh = scan([src], work_dir=tmp_path / "fresh")
    assert resumed["summary"] == fresh.summary.to_dict()


def test_technical_check_outcomes() -> None:
    def summ(records: int, scanned: int, flagged: int) -> Summary:
        return Summary(records=records, scanned=scanned, flagged=flagged)

    assert technical_check(summ(100_000, 20_000, 100)).decision.outcome == "conforms"
    assert technical_check(summ(100_000, 20_000, 600)).decision.outcome == "does not conform"
    low = technical_check(summ(100_000, 5_000, 0))
    assert low.decision.outcome == "undecided" and "10%" in low.decision.reason
    assert technical_check(summ(1000, 1000, 20)).decision.outcome == "undecided"  # 98.0%: interval straddles


def test_source_decision_against_five_percent() -> None:
    assert source_decision(Summary(scanned=2000, flagged=40)).outcome == "conforms"
    assert source_decision(Summary(scanned=2000, flagged=200)).outcome == "does not conform"
    assert source_decision(Summary(scanned=100, flagged=5)).outcome == "undecided"


def test_redacted_output_masks_personal_information(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "red"
    scan([corpus / "a.jsonl"], ScanConfig(redact_dir=str(out)), work_dir=tmp_path / "w")
    lines = [
        json.loads(line) for f in out.glob("*.jsonl") for line in f.read_text(encoding="utf-8").splitlines()
    ]
    assert len(lines) == 400
    assert not any("13812345678" in r["text"] for r in lines)
    assert any("138****5678" in r["text"] for r in lines)


def test_batched_scan_equals_record_by_record() -> None:
    """Joining a batch into one block is a speed trick only: same findings as scanning each record alone, and
    nothing is matched across a record boundary."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    pieces = st.sampled_from(
        ["制造", "炸弹", "制造炸弹", "手机1381234", "5678", "13812345678", " ", "天气", "贩卖毒品", "\n"]
    )
    record = st.lists(pieces, max_size=6).map("".join)

    @settings(max_examples=60, deadline=None)
    @given(st.lists(record, min_size=1, max_size=8))
    def check(texts: list[str]) -> None:
        batch = [(str(i), t) for i, t in enumerate(texts)]
        together = scan_batch(batch, ScanConfig())
        alone = [scan_batch([b], ScanConfig())[0] for b in batch]
        assert together == alone

    check()
    split = scan_batch([("a", "他要制造"), ("b", "炸弹")], ScanConfig())
    assert not split[0].flagged and not split[1].flagged
