"""The Annex E record: validation rules, provider codes, lenient parsing of real-world JSON forms."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hegui.errors import UsageError
from hegui.label import Record, parse_provider_code, parse_value, spec
from hegui.label.record import uscc_check_character, uscc_is_valid

from .conftest import PRODUCER

# Real codes from reference §2.4 (seen in the wild). Their USCC check digits must verify.
REAL_CODES = [
    "001191440300708461136T1XGW3",
    "001191440300708461136T1308L",
    "001191110102MACQD9K64010000",
    "001191330106MA2CFLDG4R10001",
    "001191440300MA5G49LC9K1YO01",
]


def rules(record: Record) -> set[tuple[str, str | None, str]]:
    return {(f.severity, f.field, f.rule) for f in record.validate().findings}


def test_fields_in_annex_e_order() -> None:
    rec = Record.new(PRODUCER, produce_id="abc")
    assert list(json.loads(rec.to_json())) == list(spec.FIELDS)
    assert rec.to_json().startswith('{"Label":"1","ContentProducer":')
    assert json.loads(rec.to_wrapped_json()) == {"AIGC": rec.to_dict()}


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_provider_codes_validate(code: str) -> None:
    assert Record.new(code, produce_id="x").validate().ok
    assert parse_provider_code(code).uscc == code[4:22]


def test_uscc_check_digit_detects_every_single_character_change() -> None:
    uscc = "91440300708461136T"
    assert uscc_is_valid(uscc)
    for pos in range(17):
        for char in spec.USCC_ALPHABET:
            if char != uscc[pos]:
                changed = uscc[:pos] + char + uscc[pos + 1 :]
                assert not uscc_is_valid(changed), changed


@given(st.text(alphabet=spec.USCC_ALPHABET, min_size=17, max_size=17))
def test_generated_uscc_roundtrip(first17: str) -> None:
    assert uscc_is_valid(first17 + uscc_check_character(first17))


def test_bad_check_digit_is_an_error_naming_field_and_rule() -> None:
    bad = "001191440300708461136X1XGW3"
    found = {(f.field, f.rule) for f in Record.new(bad, produce_id="x").validate().errors}
    assert ("ContentProducer", "uscc-check-digit") in found
    with pytest.raises(UsageError, match="check digit"):
        parse_provider_code(bad)


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        (Record(Label="4", ContentProducer=PRODUCER, ProduceID="x"), ("error", "Label", "annex-e-c")),
        (
            Record(Label="1", ContentProducer=PRODUCER, ProduceID=""),
            ("error", "ProduceID", "annex-e-required"),
        ),
        (
            Record(Label="1", ContentProducer="", ProduceID="x"),
            ("error", "ContentProducer", "annex-e-required"),
        ),
        (Record(Label="1", ContentProducer=PRODUCER, ProduceID="编号"), ("error", "ProduceID", "annex-e-j")),
        (Record(Label="1", ContentProducer=PRODUCER, ProduceID="a\\b"), ("error", "ProduceID", "annex-e-j")),
        (Record(Label="1", ContentProducer=PRODUCER, ProduceID="a b"), ("warning", "ProduceID", "annex-e-j")),
        (
            Record(Label="1", ContentProducer="kling", ProduceID="x"),
            ("warning", "ContentProducer", "provider-name"),
        ),
        (Record(Label="1", ContentProducer="腾讯", ProduceID="x"), ("error", "ContentProducer", "annex-e-j")),
        (
            Record(Label="1", ContentProducer="00119144030070846113", ProduceID="x"),
            ("error", "ContentProducer", "provider-code"),
        ),
        (
            Record(Label="1", ContentProducer=PRODUCER[:-5] + "30000", ProduceID="x"),
            ("error", "ContentProducer", "provider-code"),
        ),
        (
            Record(Label="1", ContentProducer=PRODUCER, ProduceID="x", ContentPropagator=PRODUCER),
            ("warning", "PropagateID", "propagation-pair"),
        ),
        (
            Record(Label="1", ContentProducer=PRODUCER, ProduceID="x", ReservedCode1="a" * 3000),
            ("warning", "ReservedCode1", "vendor-length-limit"),
        ),
    ],
)
def test_validation_rules(record: Record, expected: tuple[str, str, str]) -> None:
    assert expected in rules(record)


def test_quote_is_allowed_as_escape() -> None:
    assert Record(Label="1", ContentProducer=PRODUCER, ProduceID='id"1').validate().ok


def test_writer_refuses_invalid_record() -> None:
    with pytest.raises(UsageError, match="Label"):
        Record(Label="yes", ContentProducer=PRODUCER, ProduceID="x").require_valid()


def test_parse_bare_and_wrapped_forms() -> None:
    rec = Record.new(PRODUCER, produce_id="abc")
    bare = parse_value(rec.to_json())
    wrapped = parse_value(rec.to_wrapped_json())
    assert (bare.form, bare.record) == ("bare-json", rec)
    assert (wrapped.form, wrapped.record) == ("wrapped-json", rec)
    assert not bare.findings and not wrapped.findings


def test_parse_entity_escaped_and_blob_forms() -> None:
    escaped = "{&quot;Label&quot;:&quot;1&quot;,&quot;ContentProducer&quot;:&quot;doubao&quot;,&quot;ProduceID&quot;:&quot;q1&quot;}"
    parsed = parse_value(escaped)
    assert parsed.record is not None and parsed.record.ContentProducer == "doubao"
    blob = parse_value('AIGC{"Label":"1","ContentProducer":"MiniMax","ProduceID":"z"}')
    assert blob.record is not None and blob.record.ProduceID == "z"


def test_missing_keys_and_odd_values_are_findings_not_failures() -> None:
    parsed = parse_value('{"Label":1,"ContentProducer":"Minimax Agent AI","Extra":"x"}')
    assert parsed.record is not None and parsed.record.Label == "1"
    found = {(f.severity, f.field, f.rule) for f in parsed.findings}
    assert ("warning", "Label", "annex-e-b") in found  # a number, not a string
    assert ("error", "ProduceID", "annex-e-b") in found  # missing shall-key
    assert ("warning", "Extra", "annex-e-b") in found  # unknown key
    assert ("warning", "ContentProducer", "annex-e-j") in found  # space
    assert ("warning", "ReservedCode1", "annex-e-b") in found  # missing may-key


def test_label_aigc_value_seen_in_the_wild_is_an_error() -> None:
    parsed = parse_value('{"Label":"AIGC","ContentProducer":"x","ProduceID":"y"}')
    assert ("error", "Label", "annex-e-c") in {(f.severity, f.field, f.rule) for f in parsed.findings}


def test_duplicate_keys_are_reported() -> None:
    parsed = parse_value('{"Label":"1","Label":"2","ContentProducer":"x","ProduceID":"y"}')
    assert parsed.record is not None and parsed.record.Label == "2"
    assert ("error", "Label", "annex-e-b") in {(f.severity, f.field, f.rule) for f in parsed.findings}


@pytest.mark.parametrize("text", ["", "not json", "[1,2]", '"str"', "{" * 100000])
def test_unparseable_values(text: str) -> None:
    parsed = parse_value(text)
    assert parsed.record is None and parsed.findings[0].rule == "json"


def test_canonical_bytes_exclude_integrity_fields() -> None:
    rec = Record.new(PRODUCER, produce_id="abc")
    signed = Record(**{**rec.to_dict(), "ReservedCode1": "deadbeef"})
    assert rec.canonical_bytes() == signed.canonical_bytes()
    assert rec.canonical_bytes() == rec.to_json().encode()
    assert rec.tbs_message_a1() == f'"Label":"1","ContentProducer":"{PRODUCER}","ProduceID":"abc"'.encode()


ascii_value = st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=40)


@given(st.sampled_from(["1", "2", "3"]), ascii_value, ascii_value, ascii_value)
def test_json_roundtrip(label: str, producer: str, produce_id: str, reserved: str) -> None:
    rec = Record(Label=label, ContentProducer=producer, ProduceID=produce_id, ReservedCode1=reserved)
    assert parse_value(rec.to_json()).record == rec
    assert parse_value(rec.to_wrapped_json()).record == rec
