"""Appendix A of TC260-003 / GB/T 45654-2025 as data: the 31 risks, the 17-risk subset, the should-not-refuse aspects.

One module so that ``screen``, ``assess`` and ``corpus`` speak of the same ids (``A.1.a`` ...). The Chinese item
texts follow CHiSafetyBench's quotation of the appendix; the English renderings are the project's own
(reference/assessment.md §1, marked [S, high] there). The per-risk keyword minimums are [S, high]; the
should-not-refuse aspect list is [S, high] but its per-aspect minimum of 20 is [R] (unverified): both live in
:data:`MINIMUMS` so that a correction is a one-line change.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from hegui.errors import UsageError


@dataclass(frozen=True, slots=True)
class Category:
    """One of the five groups A.1 ... A.5."""

    id: str
    zh: str
    en: str


@dataclass(frozen=True, slots=True)
class Risk:
    """One of the 31 risks; ``id`` is ``A.<group>.<letter>``."""

    id: str
    zh: str
    en: str

    @property
    def category(self) -> str:
        return self.id.rsplit(".", 1)[0]


CATEGORIES: tuple[Category, ...] = (
    Category("A.1", "包含违反社会主义核心价值观的内容", "Content that violates the core socialist values"),
    Category("A.2", "包含歧视性内容", "Discriminatory content"),
    Category("A.3", "商业违法违规", "Commercial violations"),
    Category("A.4", "侵犯他人合法权益", "Infringing others' legitimate rights and interests"),
    Category("A.5", "无法满足特定服务类型的安全需求", "Failing the security needs of specific service types"),
)

RISKS: tuple[Risk, ...] = (
    Risk(
        "A.1.a",
        "煽动颠覆国家政权、推翻社会主义制度",
        "Inciting subversion of state power or the overthrow of the socialist system",
    ),
    Risk(
        "A.1.b",
        "危害国家安全和利益、损害国家形象",
        "Endangering national security and interests; damaging the national image",
    ),
    Risk(
        "A.1.c",
        "煽动分裂国家、破坏国家统一和社会稳定",
        "Inciting secession; undermining national unity and social stability",
    ),
    Risk("A.1.d", "宣扬恐怖主义、极端主义", "Promoting terrorism or extremism"),
    Risk("A.1.e", "宣扬民族仇恨", "Promoting ethnic hatred"),
    Risk("A.1.f", "宣扬暴力、淫秽色情", "Promoting violence, obscenity or pornography"),
    Risk("A.1.g", "传播虚假有害信息", "Spreading false and harmful information"),
    Risk(
        "A.1.h",
        "其他法律、行政法规禁止的内容",
        "Other content prohibited by laws and administrative regulations",
    ),
    Risk("A.2.a", "民族歧视内容", "Ethnic discrimination"),
    Risk("A.2.b", "信仰歧视内容", "Discrimination based on belief or religion"),
    Risk("A.2.c", "国别歧视内容", "Discrimination based on nationality or country"),
    Risk("A.2.d", "地域歧视内容", "Regional discrimination"),
    Risk("A.2.e", "性别歧视内容", "Gender discrimination"),
    Risk("A.2.f", "年龄歧视内容", "Age discrimination"),
    Risk("A.2.g", "职业歧视内容", "Occupational discrimination"),
    Risk("A.2.h", "健康歧视内容", "Health-status discrimination"),
    Risk("A.2.i", "其他方面歧视内容", "Other discrimination"),
    Risk("A.3.a", "侵犯他人知识产权", "Infringing others' intellectual property"),
    Risk("A.3.b", "违反商业道德", "Violating business ethics"),
    Risk("A.3.c", "泄露他人商业秘密", "Disclosing others' trade secrets"),
    Risk(
        "A.3.d",
        "利用算法、数据、平台等优势，实施垄断和不正当竞争行为",
        "Using advantages in algorithms, data or platforms for monopoly or unfair competition",
    ),
    Risk("A.3.e", "其他商业违法违规行为", "Other commercial violations"),
    Risk("A.4.a", "危害他人身心健康", "Endangering others' physical or mental health"),
    Risk("A.4.b", "侵害他人肖像权", "Infringing portrait (likeness) rights"),
    Risk("A.4.c", "侵害他人名誉权", "Infringing reputation rights"),
    Risk("A.4.d", "侵害他人荣誉权", "Infringing honour rights"),
    Risk("A.4.e", "侵害他人隐私权", "Infringing privacy rights"),
    Risk("A.4.f", "侵害他人个人信息权益", "Infringing personal-information rights"),
    Risk("A.4.g", "侵犯他人其他合法权益", "Infringing other legitimate rights and interests"),
    Risk(
        "A.5.a",
        "内容不准确，严重不符合科学常识或主流认知",
        "Inaccurate content, seriously against science or mainstream understanding",
    ),
    Risk(
        "A.5.b",
        "内容不可靠，虽然不包含严重错误的内容，但无法对使用者形成帮助",
        "Unreliable content that does not help the user",
    ),
)

SAFE = "safe"
"""Label the classifier uses for text that carries none of the 31 risks."""

RISK_IDS: tuple[str, ...] = tuple(r.id for r in RISKS)
BY_ID: dict[str, Risk] = {r.id: r for r in RISKS}

KEYWORD_RISKS: tuple[str, ...] = tuple(r.id for r in RISKS if r.category in ("A.1", "A.2"))
"""The 17 risks (A.1 + A.2) the keyword library and the should-refuse bank must cover."""

SHOULD_NOT_REFUSE_ASPECTS: tuple[tuple[str, str], ...] = (
    ("制度", "China's system"),
    ("信仰", "beliefs"),
    ("形象", "image"),
    ("文化", "culture"),
    ("习俗", "customs"),
    ("民族", "ethnic groups"),
    ("地理", "geography"),
    ("历史", "history"),
    ("英烈", "heroes and martyrs"),
    ("性别", "gender"),
    ("年龄", "age"),
    ("职业", "occupation"),
    ("健康", "health"),
)


@dataclass(frozen=True, slots=True)
class Minimums:
    """The standard's numeric floors for the keyword library (TC260-003 8.1, "不宜少于")."""

    keywords_total: int = 10_000  # [S, high]
    keywords_per_a1_risk: int = 200  # [S, high]
    keywords_per_a2_risk: int = 100  # [S, high]
    should_not_refuse_per_aspect: int = 20  # [R] unverified: check against the standard's text

    def keywords_for(self, risk_id: str) -> int:
        """The floor for one of the 17 keyword risks, 0 for the others (the standard sets none)."""
        if risk_id.startswith("A.1."):
            return self.keywords_per_a1_risk
        if risk_id.startswith("A.2."):
            return self.keywords_per_a2_risk
        return 0


MINIMUMS = Minimums()

# Names by which banks, lexicons, data sets and tools refer to the risks, besides the item texts themselves and
# their short forms (the text without a trailing 内容, 侵犯 for 侵害 and back), which :func:`_forms` derives.
# CHiSafetyBench shortens A.5 and writes 侵犯 for 侵害; some quotations of A.1.e add 民族歧视.
_ALIASES: dict[str, str] = {
    "内容不准确": "A.5.a",
    "内容不可靠": "A.5.b",
    "不准确": "A.5.a",
    "不可靠": "A.5.b",
    "宣扬民族仇恨、民族歧视": "A.1.e",
    "危害国家利益、损害国家形象": "A.1.b",
    "危害国家安全和利益": "A.1.b",
    "损害国家形象": "A.1.b",
    "煽动颠覆国家政权": "A.1.a",
    "颠覆国家政权": "A.1.a",
    "煽动分裂国家": "A.1.c",
    "分裂国家": "A.1.c",
    "恐怖主义、极端主义": "A.1.d",
    "恐怖主义": "A.1.d",
    "极端主义": "A.1.d",
    "暴力、淫秽色情": "A.1.f",
    "淫秽色情": "A.1.f",
    "宣扬暴力": "A.1.f",
    "宣扬淫秽色情": "A.1.f",
    "虚假有害信息": "A.1.g",
    "其他违法内容": "A.1.h",
    "种族歧视": "A.2.a",
    "宗教歧视": "A.2.b",
    "国籍歧视": "A.2.c",
    "地区歧视": "A.2.d",
    "疾病歧视": "A.2.h",
    "残障歧视": "A.2.h",
    "其他歧视": "A.2.i",
    "知识产权": "A.3.a",
    "商业秘密": "A.3.c",
    "垄断和不正当竞争": "A.3.d",
    "不正当竞争": "A.3.d",
    "垄断": "A.3.d",
    "其他商业违法违规": "A.3.e",
    "身心健康": "A.4.a",
    "肖像权": "A.4.b",
    "名誉权": "A.4.c",
    "荣誉权": "A.4.d",
    "隐私权": "A.4.e",
    "个人信息权益": "A.4.f",
    "个人信息": "A.4.f",
    "其他合法权益": "A.4.g",
    # Labels of the TC260 draft of 2024-05 (GB/T 45654's 征求意见稿), as JailBench and other draft-era banks
    # write them. UNVERIFIED mappings (the draft's items were renamed or merged in the final standard): a draft
    # item with no final counterpart goes to its group's "other" risk.
    "实施垄断和不正当竞争行为": "A.3.d",
    "性取向歧视": "A.2.i",
    "侵害他人财产权": "A.4.g",
    "财产权": "A.4.g",
    "危害公共安全": "A.1.h",
}
_CATEGORY_ALIASES: dict[str, str] = {
    "违反社会主义核心价值观": "A.1",
    "违反社会核心价值观": "A.1",
    "违背社会主义核心价值观": "A.1",
    "违背价值观": "A.1",
    "社会主义核心价值观": "A.1",
    "歧视性内容": "A.2",
    "歧视": "A.2",
    "歧视偏见": "A.2",
    "商业违法违规": "A.3",
    "侵犯他人合法权益": "A.4",
    "侵害他人合法权益": "A.4",
    "侵犯权益": "A.4",
    "无法满足特定服务类型的安全需求": "A.5",
    "无法满足特定服务类型": "A.5",
    "特定服务类型": "A.5",
}
OTHER_RISK: dict[str, str] = {"A.1": "A.1.h", "A.2": "A.2.i", "A.3": "A.3.e", "A.4": "A.4.g"}
"""The "other ..." risk of each group: what a bank's ``<group>/其他`` label means."""

_PUNCT = re.compile(r"[\W_]+")
_ID = re.compile(r"^a\W*([1-5])\W*([a-i])$")
_CAT_ID = re.compile(r"^a\W*([1-5])$")
# list markers as the standard and bank sheets write them: "a) ", "（a）", "a、", "1. ", "A.1.a " before the text
_PREFIX = re.compile(
    r"^\s*(?:(?P<id>a\s*[.．\-_]?\s*[1-5]\s*[.．\-_]?\s*[a-i])(?![a-z])|[(（]?[a-i1-9][)）.．、:：](?!\d))\s*"
)
_COMBINED = re.compile(r"\s*[/／>＞:：\-—–→·]+\s*")


def _key(text: str) -> str:
    """Comparison key: NFKC (full width → half width), lower case, no punctuation or spaces (so 、 ， , ; all
    compare equal and a trailing ； or 。 does not matter)."""
    return _PUNCT.sub("", unicodedata.normalize("NFKC", text).lower())


def _forms(text: str) -> set[str]:
    """A name and its short forms: without a trailing 内容, with 侵犯 / 侵害 swapped."""
    out = {text}
    if text.endswith("内容") and len(text) > 4:
        out.add(text[: -len("内容")])
    elif text.endswith("歧视"):  # 种族歧视 → 种族歧视内容, as the standard writes A.2's items
        out.add(text + "内容")
    for f in list(out):
        out |= {f.replace("侵犯", "侵害"), f.replace("侵害", "侵犯")}
    return out


@lru_cache(maxsize=1)
def _tables() -> tuple[dict[str, str], dict[str, str]]:
    risks: dict[str, str] = {}
    for r in RISKS:
        for f in _forms(r.zh):
            risks[_key(f)] = r.id
        risks[_key(r.en)] = r.id
    for alias, rid in _ALIASES.items():
        for f in _forms(alias):
            risks.setdefault(_key(f), rid)
    cats: dict[str, str] = {}
    for c in CATEGORIES:
        for f in _forms(c.zh):
            cats[_key(f)] = c.id
        cats[_key(c.en)] = c.id
    for alias, cid in _CATEGORY_ALIASES.items():
        cats.setdefault(_key(alias), cid)
    return risks, cats


def get(risk: str) -> Risk:
    """Look a risk up by id (``A.1.a``), by its Chinese text or a known alias; raise ``UsageError`` otherwise."""
    key = risk.strip()
    if key in BY_ID:
        return BY_ID[key]
    found = resolve(key)
    if found is None:
        raise UsageError(
            f"unknown risk {risk!r}: use an id such as A.1.a or the Chinese item text of Appendix A"
        )
    return BY_ID[found]


def resolve(name: str) -> str | None:
    """Map a risk label, as banks, lexicons and data sets write it, to its id; ``None`` if it names no risk.

    Accepted (every form is listed in tests/screen/test_taxonomy.py): the id in any spelling (``A.1.a``,
    ``A1a``, ``a.1.a``, ``Ａ．１．ａ``); the item text of Appendix A with full- or half-width punctuation, any
    separators (、 ， ,) and trailing ；。; the short form without 内容 (``民族歧视`` for ``民族歧视内容``);
    侵犯 for 侵害 and back; the aliases above; the English name; a list marker before any of these (``a)``,
    ``（a）``, ``1.``, ``A.1.a``); and a 一级/二级 pair written in one cell (``歧视性内容/民族歧视``,
    ``A.2-其他``), whose halves must agree (``其他`` names the group's "other" risk)."""
    if not name or not name.strip():
        return None
    risks = _tables()[0]
    text = unicodedata.normalize("NFKC", name).strip().lower()
    key = _key(text)
    m = _ID.match(key) if key.startswith("a") else None
    if m and f"A.{m.group(1)}.{m.group(2)}" in BY_ID:
        return f"A.{m.group(1)}.{m.group(2)}"
    if key in risks:
        return risks[key]
    prefix = _PREFIX.match(text)
    if prefix and prefix.end() < len(text):
        rest = resolve(text[prefix.end() :])
        pid = resolve(prefix.group("id")) if prefix.group("id") else None
        if rest is not None and pid in (None, rest):
            return rest
        if rest is None and pid is not None and resolve_category(text[prefix.end() :]) is None:
            return None
    parts = [p for p in _COMBINED.split(text) if p]
    if len(parts) >= 2:
        cat = resolve_category(parts[0])
        tail = "".join(parts[1:])
        if cat is not None:
            if _key(tail) in ("其他", "其它", "other", "others"):
                return OTHER_RISK.get(cat)
            rid = resolve(tail)
            if rid is not None and rid.startswith(cat + "."):
                return rid
    return None


def resolve_category(name: str) -> str | None:
    """Map a 一级分类 label (``A.2``, ``歧视性内容``, ``违反社会核心价值观``, ``无法满足特定服务类型`` ...) to
    its group id; ``None`` if unknown."""
    if not name or not name.strip():
        return None
    key = _key(name)
    m = _CAT_ID.match(key)
    if m:
        return f"A.{m.group(1)}"
    cats = _tables()[1]
    if key in cats:
        return cats[key]
    text = unicodedata.normalize("NFKC", name).strip().lower()
    prefix = _PREFIX.match(text)
    if prefix and prefix.end() < len(text) and not prefix.group("id"):
        return resolve_category(text[prefix.end() :])
    return None


def category_of(risk_id: str) -> Category:
    """The group (A.1 ... A.5) a risk belongs to."""
    prefix = get(risk_id).category
    return next(c for c in CATEGORIES if c.id == prefix)
