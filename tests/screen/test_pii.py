"""PII recognisers: checksum properties (hypothesis), and precision / recall on faker zh_CN fixtures with hard
negatives (numbers that fail the checksum, dates that do not exist, wrong prefixes).

The fixtures are generated once and stored in ``data/pii_fixtures.json``, so the test does not depend on the Faker
version the package index serves (a new Faker release changed them and broke the bank-card floor). Regenerate
with ``PYTHONPATH=src python -m tests.screen.test_pii`` after changing the generators below."""

from __future__ import annotations

import itertools
import json
import random
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hegui.errors import UsageError
from hegui.screen import pii
from hegui.screen.pii import PiiScanner, mask

if TYPE_CHECKING:
    from faker import Faker

FIXTURES = Path(__file__).with_name("data") / "pii_fixtures.json"

# ------------------------------------------------------------------------------------------ checksum properties


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_id_check_digit_is_the_only_valid_one(first17: str) -> None:
    good = first17 + pii.id_check_digit(first17)
    others = [first17 + c for c in "0123456789X" if c != good[-1]]
    plausible = int(first17[:2]) in pii.ID_PROVINCES and pii.valid_date(
        int(first17[6:10]), int(first17[10:12]), int(first17[12:14])
    )
    assert pii.valid_resident_id(good) == plausible
    assert not any(pii.valid_resident_id(o) for o in others)


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet="0123456789", min_size=12, max_size=18),
    st.integers(min_value=0, max_value=17),
    st.integers(1, 9),
)
def test_luhn_catches_every_single_digit_error(partial: str, pos: int, delta: int) -> None:
    number = partial + pii.luhn_check_digit(partial)
    assert pii.luhn_ok(number)
    i = pos % len(number)
    wrong = number[:i] + str((int(number[i]) + delta) % 10) + number[i + 1 :]
    assert not pii.luhn_ok(wrong)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from("123456789ANY"),
    st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=16, max_size=16),
    st.sampled_from("0123456789"),
)
def test_uscc_check_character(authority: str, rest: str, d: str) -> None:
    code = authority + rest[0] + "".join(c if c.isdigit() else d for c in rest[1:7]) + rest[7:]
    good = code + pii.uscc_check_char(code)
    assert pii.valid_uscc(good)
    assert not pii.valid_uscc(code + next(c for c in "0123456789" if c != good[-1]))


def test_known_values() -> None:
    assert pii.valid_resident_id("11010519491231002X")  # GB 11643 example
    assert not pii.valid_resident_id("110105194912310021")
    assert not pii.valid_resident_id("110105194902300021")  # 30 February
    assert pii.valid_uscc("91350100M000100Y43")
    assert pii.luhn_ok("4111111111111111") and not pii.luhn_ok("4111111111111112")
    assert pii.valid_mobile("13812345678") and not pii.valid_mobile("12812345678")


# ------------------------------------------------------------------------------------------ faker fixtures


def _bad_id(fake: Faker, rng: random.Random) -> str:
    while True:
        bad = _bad_id_once(fake, rng)
        # An 18-digit number with a card prefix that passes Luhn is a possible bank card: not a true negative.
        if not pii.valid_bank_card(bad):
            return bad


def _bad_id_once(fake: Faker, rng: random.Random) -> str:
    good = fake.ssn()
    if rng.random() < 0.5:  # wrong check digit
        return good[:17] + next(c for c in "0123456789X" if c != good[17])
    # a date that does not exist, with a check digit that matches it (only the date is wrong)
    first = good[:6] + rng.choice(["19990230", "20010431", "19870229", "19951301"]) + good[14:17]
    return first + pii.id_check_digit(first)


def _bad_card(card: str) -> str:
    return card[:-1] + str((int(card[-1]) + 1) % 10)


POSITIVE_TEMPLATES = [
    ("resident_id", "用户的身份证号码是{v}，请核实。"),
    ("mobile", "有事请打我手机{v}。"),
    ("bank_card", "退款请打到卡号{v}上。"),
    ("email", "简历发到{v}就行。"),
    ("ip_address", "登录IP为{v}，时间是昨天。"),
    ("licence_plate", "肇事车辆车牌{v}已经逃逸。"),
    ("person_name", "联系人：{v}，负责后续对接。"),
    ("address", "收货地址：{v}，工作日送达。"),
    ("uscc", "公司统一社会信用代码{v}。"),
]
NEGATIVE_TEMPLATES = [
    "订单号{v}已发货。",
    "身份证号码{v}格式有误。",
    "流水号：{v}",
    "版本号 {v} 已发布。",
]


def _uscc(rng: random.Random) -> str:
    chars = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    first = (
        "91"
        + "".join(rng.choice("0123456789") for _ in range(6))
        + "".join(rng.choice(chars) for _ in range(9))
    )
    return first + pii.uscc_check_char(first)


def _generate(n: int = 40) -> tuple[list[tuple[str, str, str]], list[str]]:
    from faker import Faker

    fake = Faker("zh_CN")
    fake.seed_instance(20261128)
    rng = random.Random(11)
    values = {
        "resident_id": fake.ssn,
        "mobile": fake.phone_number,
        "bank_card": fake.credit_card_number,
        "email": fake.email,
        "ip_address": fake.ipv4_public,
        "licence_plate": fake.license_plate,
        "person_name": fake.name,
        "address": lambda: fake.address().rsplit(" ", 1)[0],
        "uscc": lambda: _uscc(rng),
    }
    positives = []
    for kind, tpl in POSITIVE_TEMPLATES:
        for _ in range(n):
            v = str(values[kind]())
            positives.append((kind, v, tpl.format(v=v)))
    negatives = []
    for _ in range(n * 3):
        bad = rng.choice(
            [
                _bad_id(fake, rng),
                _bad_card(fake.credit_card_number()),
                "12" + "".join(rng.choice("0123456789") for _ in range(9)),  # no such mobile prefix
                "".join(rng.choice("0123456789") for _ in range(rng.choice([8, 10, 13]))),
                f"{rng.randint(1, 3)}.{rng.randint(0, 9)}.{rng.randint(0, 9)}",
            ]
        )
        negatives.append(rng.choice(NEGATIVE_TEMPLATES).format(v=bad))
    return positives, negatives


def _fixtures() -> tuple[list[tuple[str, str, str]], list[str]]:
    data = json.loads(FIXTURES.read_text(encoding="utf-8"))
    return [(k, v, t) for k, v, t in data["positives"]], list(data["negatives"])


@pytest.fixture(scope="module")
def scored() -> dict[str, dict[str, float]]:
    scanner = PiiScanner()
    positives, negatives = _fixtures()
    tp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    for kind, value, text in positives:
        found = scanner.scan(text)
        if any(f.kind == kind and f.text == value for f in found):
            tp[kind] += 1
        else:
            fn[kind] += 1
        fp.update(f.kind for f in found if f.text != value and f.kind != "person_name")
    for text in negatives:
        fp.update(f.kind for f in scanner.scan(text))
    out = {}
    for kind, _ in POSITIVE_TEMPLATES:
        p = tp[kind] / (tp[kind] + fp[kind]) if tp[kind] + fp[kind] else 0.0
        r = tp[kind] / (tp[kind] + fn[kind])
        out[kind] = {"precision": p, "recall": r}
    return out


# Floors: checksum-backed kinds must be near perfect; segmenter-backed kinds (names, addresses) are weaker.
FLOORS = {
    "resident_id": (0.99, 0.99),
    "bank_card": (0.99, 0.99),
    "uscc": (0.99, 0.99),
    "mobile": (0.97, 0.97),
    "email": (0.97, 0.97),
    "ip_address": (0.97, 0.97),
    "licence_plate": (0.95, 0.95),
    "address": (0.9, 0.85),
    "person_name": (0.9, 0.75),
}


@pytest.mark.parametrize("kind", list(FLOORS))
def test_precision_recall_on_faker_fixtures(kind: str, scored: dict[str, dict[str, float]]) -> None:
    p_min, r_min = FLOORS[kind]
    got = scored[kind]
    assert got["precision"] >= p_min and got["recall"] >= r_min, (kind, got)


def test_hard_negatives_are_not_reported() -> None:
    scanner = PiiScanner()
    assert scanner.scan("身份证110105194902300021无效") == []  # 30 February
    assert scanner.scan("卡号4111111111111112") == []  # fails Luhn
    assert [f.kind for f in scanner.scan("电话12812345678")] == []  # 128 is not a mobile prefix


def test_context_raises_weak_patterns_and_explains() -> None:
    scanner = PiiScanner()
    assert scanner.scan("型号E12345678") == []  # a bare passport-like code is below the threshold
    [f] = scanner.scan("护照号码E12345678")
    assert f.kind == "passport" and f.explanation["context"] == "护照"
    assert f.explanation["base_score"] < f.score


def test_masking_styles() -> None:
    scanner = PiiScanner()
    text = "手机13812345678，身份证11010519491231002X"
    found = scanner.scan(text)
    assert mask(text, found) == "手机138****5678，身份证110105********002X"
    assert mask(text, found, "tag") == "手机<MOBILE>，身份证<RESIDENT_ID>"
    assert "1381" not in mask(text, found, "redact")


def test_unknown_kind_is_a_usage_error() -> None:
    with pytest.raises(UsageError):
        PiiScanner(["ssn"])


def test_kinds_filter() -> None:
    assert [f.kind for f in PiiScanner(["email"]).scan("a@b.cn 13812345678")] == ["email"]


@settings(max_examples=200, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(
            [*list("0123456789 -.@:XxE京A（）()abc张王先生姓名地址路号"), "\u200b", "𝟙"]
        ),
        max_size=120,
    )
)
def test_any_text_gives_well_formed_findings(text: str) -> None:
    found = PiiScanner().scan(text)
    for a, b in itertools.pairwise(found):
        assert a.end <= b.start  # sorted, no overlaps
    for f in found:
        assert 0 <= f.start < f.end <= len(text) and text[f.start : f.end] == f.text
        assert f.kind in pii.KINDS and 0 < f.score <= 1
    assert len(mask(text, found)) >= len(text) - sum(len(f.text) for f in found)


if __name__ == "__main__":  # regenerate the stored fixtures
    import faker

    positives, negatives = _generate()
    FIXTURES.parent.mkdir(exist_ok=True)
    FIXTURES.write_text(
        json.dumps(
            {
                "generator": f"faker {faker.VERSION}, seeds 20261128 / 11",
                "positives": positives,
                "negatives": negatives,
            },
            ensure_ascii=False,
            indent=0,
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"wrote {len(positives)} positives and {len(negatives)} negatives to {FIXTURES}")
