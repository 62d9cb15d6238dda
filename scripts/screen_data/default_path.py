"""Cross-source trade-off of the default screening path: keywords OR the classifier (dev only).

The starter lexicon drops every keyword that fires on the project's benign texts, so on those texts its false
alarms are zero by construction, and a trade-off measured with the shipped lexicon would flatter it. Here each
held-out source family gets the lexicon it would have had without it: the raw public lists
(``scripts/build_starter_lexicon.py``) filtered on the benign texts of the *other* families only, run on the held-out
family's items. The classifier's ``P(safe)`` comes from ``python -m hegui.screen.training --dump-scores DUMP``,
where each item was scored by a model trained without its family. A text counts as flagged when a keyword fires
or ``P(safe)`` is below the cut-off; for each rate of everyday prompts flagged (keywords included), the cut-off
that gives it and the share of should-refuse prompts flagged.

Usage: ``python scripts/screen_data/default_path.py DUMP SENSITIVE_LEXICON_DIR --data DATA_DIR [--json]``
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))

from build_starter_lexicon import fired, source_entries  # noqa: E402

from hegui.screen import lexicon as L  # noqa: E402
from hegui.screen import training  # noqa: E402
from hegui.screen.matcher import Matcher  # noqa: E402


def keyword_flags(rows: list[dict[str, Any]], source: Path, data: Path) -> NDArray[np.bool_]:
    """For each dumped item: does a keyword of the lexicon built without the item's family fire on it?"""
    lex = L.Lexicon(source_entries(source)[0], name="starter-raw", version="1")
    matcher = Matcher(lex)
    authored = {e.keyword for e in lex if e.notes.startswith("authored")}
    noisy_by_family: dict[str, set[str]] = defaultdict(set)
    benign: dict[str, list[str]] = defaultdict(list)
    for e in training.examples(data):
        if e.unsafe is False:
            benign[e.family].append(e.text)
    for fam, texts in benign.items():
        noisy_by_family[fam] = fired(matcher, texts) - authored
    noisy_without: dict[str, set[str]] = {}
    for fam in {r["family"] for r in rows}:
        noisy_without[fam] = set().union(*(v for f, v in noisy_by_family.items() if f != fam))
    return np.array(
        [bool({h.keyword for h in matcher.find(r["text"])} - noisy_without[r["family"]]) for r in rows]
    )


def tradeoff(
    p_safe: NDArray[np.float64], kw: NDArray[np.bool_], unsafe: NDArray[np.bool_], everyday: NDArray[np.bool_]
) -> list[dict[str, float]]:
    """The keyword-or-classifier trade-off, with the classifier's own beside it."""
    both = training.tradeoff_with(p_safe[unsafe], kw[unsafe], p_safe[everyday], kw[everyday])
    alone = training.tradeoff(p_safe[unsafe], p_safe[everyday])
    return [{**b, "classifier_alone": a["unsafe_flagged"]} for b, a in zip(both, alone, strict=True)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dump", type=Path, help="JSON lines written by hegui.screen.training --dump-scores")
    ap.add_argument("source", type=Path, help="checkout of konsheng/Sensitive-lexicon")
    ap.add_argument("--data", type=Path, required=True, help="folder holding the data sets")
    ap.add_argument("--model", default=None, help="the dump's model to use (default: its first)")
    ap.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = ap.parse_args()
    rows = [json.loads(line) for line in args.dump.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not rows or "text" not in rows[0]:
        raise SystemExit(f"{args.dump}: no items with their text (rerun the training with --dump-scores)")
    model = args.model or rows[0]["model"]
    rows = [r for r in rows if r["model"] == model]
    kw = keyword_flags(rows, args.source, args.data)
    p = np.array([r["p_safe"] for r in rows])
    unsafe = np.array([r["unsafe"] is True for r in rows])
    everyday = np.array([r["unsafe"] is False and bool(r["everyday"]) for r in rows])
    natural = everyday & np.array([r["family"] in training.NATURAL_EVERYDAY for r in rows])
    report = {
        "model": model,
        "keywords_alone": {
            "unsafe_flagged": float(kw[unsafe].mean()),
            "everyday_flagged": float(kw[everyday].mean()),
            "natural_flagged": float(kw[natural].mean()),
        },
        "tradeoff": tradeoff(p, kw, unsafe, everyday),
        "tradeoff_natural": tradeoff(p, kw, unsafe, natural),
    }
    if args.json:
        print(json.dumps(report, indent=1))
        return
    k = report["keywords_alone"]
    print(
        f"model {model}; keywords alone: should-refuse {k['unsafe_flagged']:.1%}, everyday "
        f"{k['everyday_flagged']:.1%}, application prompts {k['natural_flagged']:.1%}"
    )
    for name in ("tradeoff", "tradeoff_natural"):
        print(f"{name}: everyday flagged | P(safe) cut-off | should-refuse flagged | classifier alone")
        for r in report[name]:
            print(
                f"{r['everyday_flagged']:6.1%} | {r['threshold']:.3f} | {r['unsafe_flagged']:6.1%} | "
                f"{r['classifier_alone']:6.1%}"
            )


if __name__ == "__main__":
    main()
