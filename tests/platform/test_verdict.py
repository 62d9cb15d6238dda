"""Art. 6 verdicts on real-world forms built byte by byte, and stamping through the label writers."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from PIL import Image

from hegui import label
from hegui.errors import InputError, UsageError
from hegui.label import Record, integrity
from hegui.label.platform import forms, verify_file, verify_many
from hegui.label.platform.stamp import UNKNOWN_PRODUCER
from hegui.label.samples import make_all

PRODUCER = "001191440300708461136T1XGW3"
EARLIER = "001191110102MAD55U9H0F20002"
PLATFORM = "001191110102MACQD9K64020001"


def labelled(tmp_path: Path, record: Record, name: str = "up.png") -> Path:
    path = forms.png_plain(tmp_path / name)
    label.write(path, record)
    return path


def test_confirmed_and_notice(tmp_path: Path) -> None:
    result = verify_file(labelled(tmp_path, Record.new(PRODUCER)))
    assert result["verdict"] == "confirmed"
    assert result["notice"] == "该内容属于人工智能生成合成内容"
    assert result["evidence"]["label_state"] == "valid"
    assert result["evidence"]["integrity_status"] == "unsigned"


def test_confirmed_conflicting_declaration(tmp_path: Path) -> None:
    result = verify_file(labelled(tmp_path, Record.new(PRODUCER)), declared_ai=False)
    assert result["verdict"] == "confirmed"
    assert any("declared the content not AI-generated" in c for c in result["conflicts"])


@pytest.mark.parametrize(
    ("maker", "reason"),
    [
        (forms.png_c2pa, "C2PA manifest (PNG caBX chunk)"),
        (forms.jpeg_c2pa, "C2PA manifest (JPEG APP11 JUMBF)"),
        (forms.png_iptc, "IPTC DigitalSourceType is trainedAlgorithmicMedia"),
        (forms.png_parameters, "PNG text chunk 'parameters'"),
        (forms.jpeg_software, "EXIF Software names 'midjourney'"),
        (forms.png_malformed_label, "malformed"),
    ],
)
def test_suspected_traces(tmp_path: Path, maker: object, reason: str) -> None:
    path = maker(tmp_path / "upload.bin")  # type: ignore[operator]
    result = verify_file(path)
    assert result["verdict"] == "suspected", result["reasons"]
    assert result["notice"] == "该内容疑似为人工智能生成合成内容"
    assert any(reason in r for r in result["reasons"]), result["reasons"]
    # The same file declared by the uploader: possible (Art. 6 (二) comes before (三)).
    assert verify_file(path, declared_ai=True)["verdict"] == "possible"


def test_c2pa_from_a_camera_is_not_a_trace(tmp_path: Path) -> None:
    path = forms.png_c2pa(
        tmp_path / "camera.png", "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture"
    )
    result = verify_file(path)
    assert result["evidence"]["c2pa"]["present"] is True
    assert result["verdict"] == "none"


def test_iptc_term_only_counts_in_xmp(tmp_path: Path) -> None:
    result = verify_file(forms.png_c2pa(tmp_path / "c.png"))
    assert result["evidence"]["iptc_source_type"] is None  # the CBOR key is C2PA evidence, not XMP


def test_visible_text_label(tmp_path: Path) -> None:
    assert verify_file(forms.text_visible(tmp_path / "a.txt"))["verdict"] == "suspected"
    assert (
        verify_file(forms.text_visible(tmp_path / "a.md", "# 标题\n\n本段内容由 AI 合成。\n"))["verdict"]
        == "suspected"
    )
    assert verify_file(forms.text_visible(tmp_path / "b.txt", "人工智能的发展历史。\n"))["verdict"] == "none"


def test_possible_and_none(tmp_path: Path) -> None:
    plain = forms.png_plain(tmp_path / "p.png")
    assert verify_file(plain)["verdict"] == "none"
    assert verify_file(plain)["notice"] is None
    result = verify_file(plain, declared_ai=True)
    assert (result["verdict"], result["notice"]) == ("possible", "该内容可能为人工智能生成合成内容")


def test_earlier_platform_labels(tmp_path: Path) -> None:
    two = Record(
        Label="2",
        ContentProducer=UNKNOWN_PRODUCER,
        ProduceID="x",
        ContentPropagator=EARLIER,
        PropagateID="e1",
    )
    three = dataclasses.replace(two, Label="3")
    assert verify_file(labelled(tmp_path, two, "two.png"))["verdict"] == "possible"
    path3 = labelled(tmp_path, three, "three.png")
    assert verify_file(path3)["verdict"] == "suspected"
    assert verify_file(path3, declared_ai=True)["verdict"] == "possible"


def test_conflicting_labels(tmp_path: Path) -> None:
    path = forms.png_two_labels(tmp_path / "two.png", Record.new(PRODUCER), Record.new(PRODUCER, label="3"))
    result = verify_file(path)
    assert result["verdict"] == "suspected"
    assert result["evidence"]["label_state"] == "duplicated"
    assert result["conflicts"]
    stamped = verify_file(path, platform_code=PLATFORM, do_stamp=True)
    assert stamped["stamp"]["stamped"] is False and "review" in stamped["stamp"]["reason"]


def test_signatures_in_the_verdict(tmp_path: Path) -> None:
    key = integrity.generate_key("sm2", PRODUCER)
    ring = integrity.Keyring.of([key])
    path = forms.png_plain(tmp_path / "s.png")
    signed = integrity.sign_file(path, Record.new(PRODUCER), key, bind_media=True)
    good = verify_file(path, keys=ring)
    assert good["verdict"] == "confirmed"
    assert good["evidence"]["integrity"][0]["status"] == "valid"
    unknown = verify_file(path)
    assert unknown["verdict"] == "confirmed" and unknown["evidence"]["integrity_status"] == "unknown-key"
    # A forger changes the ProduceID but keeps the producer's signature: no longer verified.
    label.write(path, dataclasses.replace(signed, ProduceID="forged"))
    forged = verify_file(path, keys=ring)
    assert forged["verdict"] == "suspected"
    assert any("may be forged" in r for r in forged["reasons"])


def test_stamp_existing_label_keeps_producer_fields(tmp_path: Path) -> None:
    key = integrity.generate_key("ed25519", PRODUCER)
    path = forms.png_plain(tmp_path / "x.png")
    original = integrity.sign_file(path, Record.new(PRODUCER), key)
    pixels = Image.open(path).tobytes()
    platform_key = integrity.generate_key("sm2", PLATFORM)
    result = verify_file(
        path, platform_code=PLATFORM, do_stamp=True, propagate_id="post-1", reserved2="sign", key=platform_key
    )
    assert result["stamp"]["stamped"] and not result["stamp"]["created"]
    scan = label.read(path)
    assert len(scan.labels) == 1 and scan.valid
    rec = scan.labels[0].record
    assert rec is not None
    for name in ("Label", "ContentProducer", "ProduceID", "ReservedCode1"):
        assert getattr(rec, name) == getattr(original, name)
    assert (rec.ContentPropagator, rec.PropagateID) == (PLATFORM, "post-1")
    ring = integrity.Keyring.of([key, platform_key])
    assert [c.status for c in integrity.check_record(rec, ring, path=path)] == ["valid", "valid"]
    assert Image.open(path).tobytes() == pixels


def test_stamp_replaces_earlier_propagator(tmp_path: Path) -> None:
    path = labelled(tmp_path, Record.new(PRODUCER, propagator=EARLIER, propagate_id="e-7"))
    result = verify_file(path, platform_code=PLATFORM, do_stamp=True)
    assert any("earlier propagator" in w for w in result["stamp"]["warnings"])
    rec = label.read(path).labels[0].record
    assert rec is not None and rec.ContentPropagator == PLATFORM and rec.ContentProducer == PRODUCER


@pytest.mark.parametrize(("declared", "expected_label"), [(True, "2"), (None, "3")])
def test_stamp_new_record(tmp_path: Path, declared: bool | None, expected_label: str) -> None:
    path = forms.png_parameters(tmp_path / "gen.png")
    out = tmp_path / "out"
    out.mkdir()
    before = path.read_bytes()
    result = verify_file(path, declared_ai=declared, platform_code=PLATFORM, do_stamp=True, output=out)
    assert result["stamp"]["created"] is True
    assert path.read_bytes() == before  # output= leaves the upload untouched
    rec = label.read(out / path.name).labels[0].record
    assert rec is not None
    assert (rec.Label, rec.ContentProducer, rec.ContentPropagator) == (
        expected_label,
        UNKNOWN_PRODUCER,
        PLATFORM,
    )
    # Re-verifying the stamped file gives the same verdict (the record now carries it).
    again = verify_file(out / path.name, declared_ai=declared)
    assert again["verdict"] == ("possible" if declared else "suspected")


def test_stamp_malformed_replaces_it(tmp_path: Path) -> None:
    path = forms.png_malformed_label(tmp_path / "m.png")
    result = verify_file(path, platform_code=PLATFORM, do_stamp=True)
    assert result["stamp"]["created"] and any("could not be used" in w for w in result["stamp"]["warnings"])
    assert label.read(path).valid


def test_stamp_needs_code_and_none_is_not_stamped(tmp_path: Path) -> None:
    path = forms.png_plain(tmp_path / "n.png")
    assert verify_file(path, platform_code=PLATFORM, do_stamp=True)["stamp"]["stamped"] is False
    with pytest.raises(UsageError):
        verify_file(path, declared_ai=True, do_stamp=True)


def test_every_format_each_way(tmp_path: Path) -> None:
    """Every sample format: unlabelled -> none; labelled -> confirmed; stamping keeps it confirmed."""
    samples = make_all(tmp_path / "s")
    for path in samples:
        first = verify_file(path)
        # The Markdown sample's text mentions "人工智能生成合成内容", which the simple visible-label check counts.
        assert first["verdict"] == "none" or first["evidence"]["visible_label"], path
        label.write(path, Record.new(PRODUCER))
        result = verify_file(path, platform_code=PLATFORM, do_stamp=True)
        assert result["verdict"] == "confirmed", path
        assert result["stamp"]["stamped"], path
        rec = label.read(path).label
        assert rec is not None and rec.record is not None and rec.record.ContentPropagator == PLATFORM
    results = list(verify_many([tmp_path / "s"], jobs=2))
    assert len(results) == len(samples)
    assert {r["verdict"] for r in results} == {"confirmed"}


def test_broken_container_and_missing_file(tmp_path: Path) -> None:
    broken = tmp_path / "broken.png"
    broken.write_bytes(forms.png_bytes()[:40])  # PNG signature and IHDR, then cut off
    result = verify_file(broken)
    assert result["evidence"]["label_state"] == "unreadable"
    assert result["verdict"] == "none"  # a broken file is not an AI trace
    assert any("could not be read" in r for r in result["reasons"])
    with pytest.raises(InputError):
        verify_file(tmp_path / "missing.png")
    errors = list(verify_many([tmp_path / "missing.png"]))
    assert errors[0]["verdict"] is None and "cannot read" in errors[0]["error"]


def test_signed_c2pa_manifest_validated(tmp_path: Path) -> None:
    """A real signed C2PA manifest (c2pa-python): read, validated, and its digital source type used."""
    path = forms.png_c2pa_signed(tmp_path / "signed.png")
    result = verify_file(path)
    c2pa = result["evidence"]["c2pa"]
    assert (c2pa["present"], c2pa["validated"], c2pa["validation_state"]) == (True, True, "Valid")
    assert c2pa["ai_source"] == "trainedAlgorithmicMedia"
    assert c2pa["claim_generator"] == "hegui-test-generator"
    assert result["verdict"] == "suspected"
    # One changed pixel byte breaks the manifest's hard binding: reported, still a trace.
    data = bytearray(path.read_bytes())
    idat = data.index(b"IDAT") + 12
    data[idat] ^= 0x01
    path.write_bytes(bytes(data))
    tampered = verify_file(path)["evidence"]["c2pa"]
    assert tampered["validation_state"] == "Invalid"
    # A camera's signed manifest is evidence but no trace.
    camera = forms.png_c2pa_signed(
        tmp_path / "camera.png", "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture"
    )
    assert verify_file(camera)["verdict"] == "none"


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("本图由AI生成。", True),
        ("内容由 AI 合成\n", True),
        ("AIGC生成内容", True),
        ("以下为人工智能生成合成内容", True),
        ("PAINT生成的图", False),  # "AI" inside a word is not the AI element
        ("人工智能的发展历史。", False),
        ("生成对抗网络", False),
    ],
)
def test_visible_text_forms(tmp_path: Path, text: str, found: bool) -> None:
    result = verify_file(forms.text_visible(tmp_path / "t.txt", text))
    assert bool(result["evidence"]["visible_label"]) is found, result["evidence"]["visible_label"]
