"""hegui.checkdigits: published examples, the label wing's independent copy as an oracle, and error cases."""

from __future__ import annotations

import random

import pytest

from hegui import checkdigits as cd
from hegui.label import record


@pytest.mark.parametrize(
    "code",
    [
        "91350100M000100Y43",  # the example printed in GB 32100-2015 annex
        "91110000600037341L",
        "11100000000013127D",
    ],
)
def test_published_usccs_pass(code: str) -> None:
    assert cd.uscc_is_valid(code)
    assert cd.uscc_is_valid(code, strict=True)
    assert cd.uscc_check_char(code[:17]) == code[17]


def test_uscc_one_changed_character_fails() -> None:
    code = "91350100M000100Y43"
    for i in range(18):
        for c in cd.USCC_ALPHABET:
            if c != code[i]:
                assert not cd.uscc_is_valid(code[:i] + c + code[i + 1 :])


def test_uscc_strict_asks_for_structure() -> None:
    # a right check character but an unknown authority (B) and letters where the region digits go
    body = "B1ABCDEF000000000"
    code = body + cd.uscc_check_char(body)
    assert cd.uscc_is_valid(code)
    assert not cd.uscc_is_valid(code, strict=True)


def test_uscc_rejects_foreign_characters_and_lengths() -> None:
    assert not cd.uscc_is_valid("91350100M000100Y4")
    assert not cd.uscc_is_valid("91350100M000100I43")  # I is not in the alphabet
    assert not cd.uscc_is_valid("91350100m000100y43")  # lower case: callers upper-case first
    with pytest.raises(ValueError, match="not a USCC character"):
        cd.uscc_check_char("9135010OM000100Y4")
    with pytest.raises(ValueError, match="17 characters"):
        cd.uscc_check_char("913501")


def test_uscc_agrees_with_the_label_wing() -> None:
    rng = random.Random(8)
    for _ in range(2000):
        body = "".join(rng.choice(cd.USCC_ALPHABET) for _ in range(17))
        assert cd.uscc_check_char(body) == record.uscc_check_character(body)


@pytest.mark.parametrize("value", ["11010519491231002X", "11010519491231002x", "440524188001010014"])
def test_resident_ids(value: str) -> None:
    assert cd.resident_id_check_ok(value)
    assert cd.resident_id_check_char(value[:17]) == value[17].upper()


def test_resident_id_wrong_check_and_shape() -> None:
    assert not cd.resident_id_check_ok("110105194912310021")
    assert not cd.resident_id_check_ok("11010519491231002")
    assert not cd.resident_id_check_ok("1101051949123100AX")
    with pytest.raises(ValueError):
        cd.resident_id_check_char("1101051949123100A")


@pytest.mark.parametrize(
    "number",
    ["4111111111111111", "79927398713", "6250941006528599", "6205500000000000004", "378282246310005"],
)
def test_luhn_valid(number: str) -> None:
    assert cd.luhn_is_valid(number)
    assert cd.luhn_check_digit(number[:-1]) == number[-1]


def test_luhn_catches_every_single_digit_error() -> None:
    number = "6205500000000000004"
    for i in range(len(number)):
        for d in "0123456789":
            if d != number[i]:
                assert not cd.luhn_is_valid(number[:i] + d + number[i + 1 :])
    assert not cd.luhn_is_valid("0")
    assert not cd.luhn_is_valid("4111 1111 1111 1111")
    with pytest.raises(ValueError):
        cd.luhn_check_digit("41x")


def test_luhn_check_digit_agrees_with_brute_force() -> None:
    rng = random.Random(18)
    for _ in range(500):
        partial = "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 20)))
        (brute,) = [d for d in "0123456789" if cd.luhn_is_valid(partial + d)]
        assert cd.luhn_check_digit(partial) == brute
