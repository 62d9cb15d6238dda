"""A small generated corpus in every input format, with known harmful records and personal information."""

from __future__ import annotations

import csv
import gzip
import json
import random
from pathlib import Path

import pytest

BENIGN = (
    "今天天气很好，我们去公园散步吧。",
    "请帮我写一封请假邮件，理由是家里有事。",
    "这道红烧肉的做法需要先焯水再炒糖色。",
    "Python 的列表推导式可以让代码更简洁。",
    "下周的会议改到周三下午三点。",
)
HARMFUL = ("有人在群里教人制造炸弹。", "他们在网上贩卖毒品。", "这个网站传播色情视频。")
PII = "联系人王秀英，手机13812345678。"


def make_texts(n: int, *, harmful_every: int = 25, pii_every: int = 40, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        if i % harmful_every == 0:
            out.append(HARMFUL[i % len(HARMFUL)] + f" 第{i}条")
        elif i % pii_every == 1:
            out.append(PII + f" 编号{i}")
        else:
            out.append(rng.choice(BENIGN) + f" 第{i}条")
    return out


def write_jsonl(path: Path, texts: list[str], *, compress: str | None = None) -> Path:
    data = "".join(
        json.dumps({"text": t, "meta": {"n": i}}, ensure_ascii=False) + "\n" for i, t in enumerate(texts)
    )
    raw = data.encode("utf-8")
    if compress == "gzip":
        path.write_bytes(gzip.compress(raw))
    elif compress == "zstd":
        import zstandard

        path.write_bytes(zstandard.ZstdCompressor().compress(raw))
    else:
        path.write_bytes(raw)
    return path


def write_csv(path: Path, texts: list[str]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "text"])
        for i, t in enumerate(texts):
            w.writerow([f"row{i}", t])
    return path


def write_parquet(path: Path, texts: list[str], row_group_size: int = 100) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"text": texts}), path, row_group_size=row_group_size)
    return path


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A folder with 1,200 records over JSONL, gzip JSONL, zstd JSONL, CSV, Parquet and plain text."""
    root = tmp_path / "corpus"
    root.mkdir()
    texts = make_texts(1200)
    write_jsonl(root / "a.jsonl", texts[:400])
    write_jsonl(root / "b.jsonl.gz", texts[400:600], compress="gzip")
    write_jsonl(root / "c.jsonl.zst", texts[600:700], compress="zstd")
    write_csv(root / "d.csv", texts[700:900])
    write_parquet(root / "e.parquet", texts[900:1100])
    (root / "f.txt").write_text("\n".join(texts[1100:]) + "\n", encoding="utf-8")
    (root / "LICENSE").write_text("not a corpus file", encoding="utf-8")
    return root
