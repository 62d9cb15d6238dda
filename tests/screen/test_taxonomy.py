from __future__ import annotations

import pytest

from hegui.errors import UsageError
from hegui.screen import taxonomy


def test_counts_follow_appendix_a() -> None:
    assert len(taxonomy.RISKS) == 31
    sizes = [sum(1 for r in taxonomy.RISKS if r.category == c.id) for c in taxonomy.CATEGORIES]
    assert sizes == [8, 9, 5, 7, 2]
    assert len(taxonomy.KEYWORD_RISKS) == 17
    assert len(set(taxonomy.RISK_IDS)) == 31


def test_resolve_accepts_ids_texts_and_aliases() -> None:
    assert taxonomy.resolve("A.2.e") == "A.2.e"
    assert taxonomy.resolve("性别歧视内容") == "A.2.e"
    assert taxonomy.resolve("侵犯他人隐私权") == "A.4.e"  # CHiSafetyBench spelling
    assert taxonomy.resolve("内容不准确") == "A.5.a"
    assert taxonomy.resolve("Gender discrimination") == "A.2.e"
    assert taxonomy.resolve("no such risk") is None
    with pytest.raises(UsageError):
        taxonomy.get("A.9.z")


def test_minimums() -> None:
    m = taxonomy.MINIMUMS
    assert sum(m.keywords_for(r) for r in taxonomy.KEYWORD_RISKS) == 8 * 200 + 9 * 100
    assert m.keywords_for("A.3.a") == 0
    assert taxonomy.category_of("A.4.b").zh == "侵犯他人合法权益"


# Every form resolve() accepts, as banks, lexicons and data sets write them (one row per form).
ACCEPTED: list[tuple[str, str]] = [
    # ids in any spelling
    ("A.2.e", "A.2.e"),
    ("a.2.e", "A.2.e"),
    ("A2e", "A.2.e"),
    ("A-2-e", "A.2.e"),
    ("Ａ．２．ｅ", "A.2.e"),
    (" A.2.e ", "A.2.e"),
    # item texts, full and half width punctuation, any separator, trailing punctuation
    ("利用算法、数据、平台等优势，实施垄断和不正当竞争行为", "A.3.d"),
    ("利用算法,数据,平台等优势,实施垄断和不正当竞争行为", "A.3.d"),
    ("利用算法、数据、平台等优势,实施垄断和不正当竞争行为", "A.3.d"),
    ("利用算法，数据，平台等优势，实施垄断和不正当竞争行为；", "A.3.d"),
    ("煽动颠覆国家政权、推翻社会主义制度;", "A.1.a"),
    ("宣扬暴力、淫秽色情。", "A.1.f"),
    ("内容不可靠，虽然不包含严重错误的内容，但无法对使用者形成帮助", "A.5.b"),
    ("内容不可靠,虽然不包含严重错误的内容,但无法对使用者形成帮助", "A.5.b"),
    # short forms (no trailing 内容) and 侵犯 / 侵害
    ("民族歧视", "A.2.a"),
    ("信仰歧视", "A.2.b"),
    ("国别歧视", "A.2.c"),
    ("地域歧视", "A.2.d"),
    ("性别歧视", "A.2.e"),
    ("年龄歧视", "A.2.f"),
    ("职业歧视", "A.2.g"),
    ("健康歧视", "A.2.h"),
    ("其他方面歧视", "A.2.i"),
    ("侵犯他人隐私权", "A.4.e"),
    ("侵害他人知识产权", "A.3.a"),
    ("内容不准确", "A.5.a"),
    ("内容不可靠", "A.5.b"),
    # aliases
    ("宣扬民族仇恨、民族歧视", "A.1.e"),
    ("危害国家利益、损害国家形象", "A.1.b"),
    ("种族歧视", "A.2.a"),
    ("种族歧视内容", "A.2.a"),  # the 2024-05 draft's labels (JailBench)
    ("实施垄断和不正当竞争行为", "A.3.d"),
    ("性取向歧视内容", "A.2.i"),
    ("侵害他人财产权", "A.4.g"),
    ("危害公共安全", "A.1.h"),
    ("宗教歧视", "A.2.b"),
    ("淫秽色情", "A.1.f"),
    ("恐怖主义", "A.1.d"),
    ("个人信息", "A.4.f"),
    ("不正当竞争", "A.3.d"),
    # English names
    ("Gender discrimination", "A.2.e"),
    ("promoting terrorism or extremism", "A.1.d"),
    # list markers as the standard and bank sheets write them
    ("a) 煽动颠覆国家政权、推翻社会主义制度；", "A.1.a"),
    ("a）煽动颠覆国家政权、推翻社会主义制度", "A.1.a"),
    ("（d）宣扬恐怖主义、极端主义", "A.1.d"),
    ("e、性别歧视内容", "A.2.e"),
    ("1. 性别歧视", "A.2.e"),
    ("A.2.a 民族歧视内容", "A.2.a"),
    ("A.2.a民族歧视", "A.2.a"),
    # 一级/二级 in one cell
    ("歧视性内容/民族歧视", "A.2.a"),
    ("歧视性内容／民族歧视内容", "A.2.a"),
    ("商业违法违规-侵犯他人知识产权", "A.3.a"),
    ("侵犯他人合法权益：侵害他人肖像权", "A.4.b"),
    ("违反社会核心价值观/宣扬恐怖主义、极端主义", "A.1.d"),
    ("无法满足特定服务类型/内容不准确", "A.5.a"),
    ("A.2-其他", "A.2.i"),
    ("歧视性内容/其他", "A.2.i"),
    ("A.1/其它", "A.1.h"),
]
REJECTED = [
    "",
    "no such risk",
    "A.9.z",
    "A.2.j",
    "其他",
    "歧视",  # a group, not a risk
    "A.2.a|A.2.e",  # two risks: the lexicon reader splits these itself
    "民族歧视内容;性别歧视内容",
    "A.1.a 性别歧视",  # id and text disagree
    "歧视性内容/侵犯他人知识产权",  # halves disagree
]


@pytest.mark.parametrize(("form", "rid"), ACCEPTED)
def test_resolve_accepts_every_listed_form(form: str, rid: str) -> None:
    assert taxonomy.resolve(form) == rid


@pytest.mark.parametrize("form", REJECTED)
def test_resolve_rejects(form: str) -> None:
    assert taxonomy.resolve(form) is None


@pytest.mark.parametrize("risk", taxonomy.RISKS, ids=lambda r: r.id)
def test_every_risk_in_every_spelling(risk: taxonomy.Risk) -> None:
    full_width = risk.zh.replace(",", "，").replace("、", "，")
    half_width = risk.zh.replace("，", ",").replace("、", ",")
    forms = [risk.id, risk.id.replace(".", ""), risk.id.lower(), risk.zh, full_width, half_width, risk.zh + "；",
             f"a) {risk.zh}", f"{risk.id} {risk.zh}", risk.en, risk.en.upper()]  # fmt: skip
    if risk.zh.endswith("内容"):
        forms.append(risk.zh[:-2])
    group = next(c for c in taxonomy.CATEGORIES if c.id == risk.category)
    forms += [f"{group.zh}/{risk.zh}", f"{group.id}/{risk.zh}"]
    assert {f: taxonomy.resolve(f) for f in forms} == dict.fromkeys(forms, risk.id)


CATEGORY_FORMS = [
    ("A.1", "A.1"),
    ("A1", "A.1"),
    ("包含违反社会主义核心价值观的内容", "A.1"),
    ("违反社会核心价值观", "A.1"),
    ("违反社会主义核心价值观", "A.1"),
    ("歧视性内容", "A.2"),
    ("包含歧视性内容", "A.2"),
    ("商业违法违规", "A.3"),
    ("侵犯他人合法权益", "A.4"),
    ("侵害他人合法权益", "A.4"),
    ("无法满足特定服务类型的安全需求", "A.5"),
    ("无法满足特定服务类型", "A.5"),
    ("Discriminatory content", "A.2"),
]


@pytest.mark.parametrize(("form", "cid"), CATEGORY_FORMS)
def test_resolve_category(form: str, cid: str) -> None:
    assert taxonomy.resolve_category(form) == cid
    assert taxonomy.resolve_category("民族歧视内容") is None
