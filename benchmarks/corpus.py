"""Corpus-scan throughput: the screening engine on its own, the local runner with 1 and 2 processes, and Ray Data,
in one run, with memory per worker and the projection to core-hours per terabyte beside dolma's published figure.

    python benchmarks/corpus.py [--mb 1024] [--keywords 10000] [--no-ray]

Generates a JSONL corpus of mixed Chinese / English records (about 300 characters each, 2% with a planted keyword,
1% with a phone number) of ``--mb`` megabytes, split in 16 files, and a 10,000-keyword lexicon. Checks: keywords +
personal information (structured kinds; person names off, as ``hegui corpus scan`` defaults). The anchor is
hegui's own screening engine (``scan_batch`` on records already in memory, one core): the runners should lose at
most 20% to reading, sampling and bookkeeping. dolma's tagging figure (about 4.7 MB/s per core, 122 CPU-hours per
TB, from its paper) is a published number, not re-measured here.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from screen import make_lexicon, make_text

DOLMA_MB_S_PER_CORE = 4.7
DOLMA_CPU_HOURS_PER_TB = 122


def build(folder: Path, mb: float, lexicon_size: int) -> tuple[Path, Path, list[str]]:
    """16 JSONL files of ~300-character records cut from the screen benchmark's mixed text (8 MB of it, reused at
    shifted offsets so a 1 GB corpus is generated in seconds), and the lexicon as a CSV file."""
    rng = random.Random(1)
    kws = make_lexicon(lexicon_size, rng)
    risks = ("A.1.a", "A.1.d", "A.1.h", "A.2.a", "A.3.b")
    lex = folder / "lexicon.csv"
    with lex.open("w", encoding="utf-8") as fh:
        fh.write("关键词,二级分类\n")
        for i, k in enumerate(kws):
            fh.write(f"{k},{risks[i % len(risks)]}\n")
    base = make_text(kws, min(8.0, mb), rng)
    corpus = folder / "corpus"
    corpus.mkdir()
    per_file = int(mb * 1_000_000) // 16
    sample_texts: list[str] = []
    for i in range(16):
        lines: list[str] = []
        size = 0
        while size < per_file:
            start = rng.randrange(0, len(base) - 400)
            text = base[start : start + rng.randint(200, 400)]
            if rng.random() < 0.01:
                text += " 联系电话13812345678"
            line = json.dumps({"text": text}, ensure_ascii=False) + "\n"
            lines.append(line)
            size += len(line.encode())
            if len(sample_texts) < 20000:
                sample_texts.append(text)
        (corpus / f"part-{i:02}.jsonl").write_text("".join(lines), encoding="utf-8")
    return corpus, lex, sample_texts


def engine_alone(texts: list[str], config: object) -> float:
    """MB/s of scan_batch on records in memory (one core): the anchor."""
    from hegui.corpus.scanner import scan_batch

    batch = [(str(i), t) for i, t in enumerate(texts)]
    scan_batch(batch[:256], config)  # type: ignore[arg-type]  # warm: build the automaton
    mb = sum(len(t.encode()) for t in texts) / 1e6
    t0 = time.perf_counter()
    for i in range(0, len(batch), 256):
        scan_batch(batch[i : i + 256], config)  # type: ignore[arg-type]
    return mb / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mb", type=float, default=1024)
    ap.add_argument("--keywords", type=int, default=10000)
    ap.add_argument("--no-ray", action="store_true")
    args = ap.parse_args()

    from hegui.corpus import ScanConfig, scan

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        corpus, lex, texts = build(folder, args.mb, args.keywords)
        total_mb = sum(p.stat().st_size for p in corpus.iterdir()) / 1e6
        print(
            f"generated {total_mb:.0f} MB in {time.perf_counter() - t0:.0f} s; lexicon {args.keywords} keywords"
        )
        config = ScanConfig(lexicon=str(lex))
        anchor = engine_alone(texts, config)
        rows: list[tuple[str, int, float, float]] = []  # name, workers, MB/s, max RSS MB
        for name, engine, jobs in (("local", "local", 1), ("local", "local", 2), ("ray", "ray", 2)):
            if engine == "ray" and args.no_ray:
                continue
            before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            t = time.perf_counter()
            run = scan([corpus], config, engine=engine, jobs=jobs, work_dir=folder / f"w-{name}-{jobs}")  # type: ignore[arg-type]
            secs = time.perf_counter() - t
            rss = max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before) / 1024
            if jobs == 1 and engine == "local":
                rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            rows.append((name, jobs, total_mb / secs, rss))
            print(
                f"  {name} x{jobs}: {secs:.1f} s, {run.summary.scanned} records, {run.summary.flagged} flagged"
            )

    print(f"\ncorpus {total_mb:.0f} MB, {os.cpu_count()} CPUs; anchor = hegui scan_batch in memory, one core")
    print(
        f"{'runner':<10}{'workers':>8}{'MB/s':>9}{'MB/s/core':>11}{'vs anchor':>11}{'vs dolma':>10}{'max RSS MB':>12}{'core-h/TB':>11}"
    )
    print(
        f"{'engine':<10}{1:>8}{anchor:>9.1f}{anchor:>11.1f}{1.0:>11.2f}{anchor / DOLMA_MB_S_PER_CORE:>10.1f}{'':>12}{1e6 / anchor / 3600:>11.1f}"
    )
    one = None
    for name, jobs, rate, rss in rows:
        per_core = rate / jobs
        if name == "local" and jobs == 1:
            one = rate
        print(
            f"{name:<10}{jobs:>8}{rate:>9.1f}{per_core:>11.1f}{per_core / anchor:>11.2f}"
            f"{per_core / DOLMA_MB_S_PER_CORE:>10.1f}{rss:>12.0f}{1e6 / per_core / 3600:>11.1f}"
        )
    if one:
        for name, jobs, rate, _ in rows:
            if jobs == 2:
                print(f"speed-up 1 -> 2 workers ({name}): {rate / one:.2f}x")
    print(
        f"dolma (published): {DOLMA_MB_S_PER_CORE} MB/s per core, {DOLMA_CPU_HOURS_PER_TB} CPU-hours per TB"
    )


if __name__ == "__main__":
    main()
