"""The catalogue: coverage of reference §1 and §3, schema checks, and failures on unknown facts."""

from __future__ import annotations

import copy
import re
from importlib import resources
from typing import Any

import pytest

from hegui.errors import InputError
from hegui.rules.catalogue import build_catalogue, load_catalogue
from hegui.rules.yamlio import loads_yaml

# Every duty id of reference obligations.md §3 (tables 3.1-3.10 and the §3.7 decision rows), typed out here so
# that a row dropped from the YAML fails this test.
REFERENCE_IDS = (
    [f"ALG-{i:02d}" for i in range(1, 26)]
    + [f"DS-{i:02d}" for i in range(1, 19)]
    + [
        "GAI-04a",
        "GAI-04b",
        "GAI-04c",
        "GAI-04d",
        "GAI-04e",
        "GAI-07",
        "GAI-08",
        "GAI-09a",
        "GAI-09b",
        "GAI-10",
    ]
    + ["GAI-11", "GAI-12", "GAI-13", "GAI-14a", "GAI-14b", "GAI-15", "GAI-17", "GAI-19"]
    + [f"LBL-{i:02d}" for i in range(1, 12)]
    + [f"ETH-{i:02d}" for i in range(1, 9)]
    + ["PI-13", "PI-14", "PI-24", "PI-28", "PI-38", "PI-39", "PI-40", "PI-55", "PI-56", "PI-69"]
    + [f"CB-EX-{i}" for i in range(1, 8)]
    + ["CB-SA-1", "CB-SA-2", "CB-SA-3", "CB-SCC", "CB-ALWAYS", "CB-VALID"]
    + ["CSL-21", "CSL-24", "SA18-03", "NDS-19", "NDS-42", "MIN-74"]
    + [f"QL24-{i}" for i in range(1, 7)]
    + [f"QL25-1.{i}" for i in range(1, 7)]
    + [f"QL25-2.{i}" for i in range(1, 8)]
)


def _raw() -> tuple[Any, Any, list[tuple[str, Any]]]:
    root = resources.files("hegui.rules").joinpath("data")
    inst = loads_yaml(root.joinpath("instruments.yaml").read_text(encoding="utf-8"))
    bases = loads_yaml(root.joinpath("bases.yaml").read_text(encoding="utf-8"))
    files = [
        (e.name, loads_yaml(e.read_text(encoding="utf-8")))
        for e in sorted(root.joinpath("duties").iterdir(), key=lambda e: e.name)
        if e.name.endswith(".yaml")
    ]
    return inst, bases, files


def test_every_reference_duty_is_encoded() -> None:
    cat = load_catalogue()
    missing = [i for i in REFERENCE_IDS if i not in cat.duties]
    assert missing == []
    assert len(cat.duties) >= len(REFERENCE_IDS)


def test_every_coverage_row_has_an_instrument() -> None:
    cat = load_catalogue()
    rows = {i.number for i in cat.instruments.values()}
    assert rows == set(range(1, 33))  # reference rows 1-27, then the instruments added for issue 17 (28-32)


def test_every_instrument_with_duties_role_has_duties_and_notes_roles_have_notes() -> None:
    cat = load_catalogue()
    used = {d.instrument for d in cat.duties.values()}
    for inst in cat.instruments.values():
        if inst.role == "duties":
            assert inst.id in used, inst.id
        if inst.role in ("context", "liability", "sector", "definitions", "legal_basis"):
            assert inst.notes is not None, inst.id


def test_checked_instruments_match_reference_marks() -> None:
    cat = load_catalogue()
    # ✔ in reference §1 / §3.1 / §3.6: fully checked texts.
    assert cat.instruments["algo_rec_2022"].status == "checked"
    assert cat.instruments["pipl"].status == "checked"
    assert all(d.status == "checked" for d in cat.duties.values() if d.instrument == "algo_rec_2022")
    assert all(d.status == "checked" for d in cat.duties.values() if d.instrument == "pipl")
    # † examples: GenAI Art. 8, DS Art. 9, every ethics duty.
    assert cat.duty("GAI-08").mark == "†"
    assert cat.duty("DS-04").mark == "†"
    assert cat.duty("GAI-17").mark == "✔"
    assert all(d.mark == "†" for d in cat.duties.values() if d.instrument == "ethics_review_2023")


def test_every_duty_has_bilingual_text_and_a_citation() -> None:
    for d in load_catalogue().duties.values():
        assert re.search(r"[\u4e00-\u9fff]", d.duty.zh), d.id
        assert d.citation and d.duty.en


def test_unknown_fact_in_a_trigger_fails_loading() -> None:
    inst, bases, files = _raw()
    files = copy.deepcopy(files)
    files[0][1]["duties"][0]["trigger"] = "alg_svc and offered_to_the_moon"
    with pytest.raises(InputError, match=r"trigger names unknown fact\(s\) \['offered_to_the_moon'\]"):
        build_catalogue(inst, bases, files)


def test_unknown_fact_in_a_base_fails_loading() -> None:
    inst, bases, files = _raw()
    bases = dict(bases)
    bases["alg_svc"] = {"expr": "algorithm_kinds", "description": "typo"}
    with pytest.raises(InputError, match="base alg_svc names unknown fact"):
        build_catalogue(inst, bases, files)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("status", "verified", "status"),
        ("binds", ["regulator"], "binds"),
        ("instrument", "no_such_law", "unknown instrument"),
        ("trigger", "__import__('os')", "not allowed in a trigger"),
        ("maps_to", ["ALG-99"], "maps_to names unknown duty"),
    ],
)
def test_schema_rejects_bad_duty_fields(field: str, value: Any, message: str) -> None:
    inst, bases, files = _raw()
    files = copy.deepcopy(files)
    files[0][1]["duties"][0][field] = value
    with pytest.raises(InputError, match=message):
        build_catalogue(inst, bases, files)


def test_duplicate_duty_id_is_rejected() -> None:
    inst, bases, files = _raw()
    files = copy.deepcopy(files)
    files[0][1]["duties"].append(copy.deepcopy(files[0][1]["duties"][0]))
    with pytest.raises(InputError, match="duplicate duty id"):
        build_catalogue(inst, bases, files)


def test_deadline_must_count_from_a_date_fact() -> None:
    inst, bases, files = _raw()
    files = copy.deepcopy(files)
    alg = next(f for name, f in files if name == "alg.yaml")
    duty = next(d for d in alg["duties"] if d["id"] == "ALG-20")
    duty["deadline"]["from_fact"] = "offered_to_public_in_mainland"
    with pytest.raises(InputError, match="not a date fact"):
        build_catalogue(inst, bases, files)


def test_explain_lookup_is_case_insensitive_and_suggests_ids() -> None:
    cat = load_catalogue()
    assert cat.duty("alg-12").id == "ALG-12"
    with pytest.raises(InputError, match="ALG-01"):
        cat.duty("ALG-99")


def test_ethics_rereview_list_has_seven_items_and_no_generative_models() -> None:
    from hegui.rules.engine import ethics_review, rereview_list
    from hegui.rules.profile import ServiceProfile

    listed = rereview_list()
    assert sorted(listed) == list(range(1, 8))
    assert not any("generative" in en.lower() or "生成式" in zh for zh, en in listed.values())
    reasons = ethics_review(ServiceProfile(name="lab", rd_on_expert_review_list={6})).reasons_in("en")
    assert any("item 6" in r and "public-opinion" in r for r in reasons)


def test_because_includes_the_facts_under_not() -> None:
    from hegui.rules.engine import assess
    from hegui.rules.profile import ServiceProfile

    a = assess(ServiceProfile(name="lab", roles={"research_unit"}, rd_activity_in_ethics_scope=True))  # type: ignore[arg-type]
    eth03 = next(f for f in a.findings if f.duty.id == "ETH-03")
    assert eth03.because == {
        "ethics_review_required": True,
        "has_ethics_committee": False,
        "rd_activity_in_ethics_scope": True,
    }


def test_every_fact_role_and_evidence_item_has_words_for_the_reports() -> None:
    """The Chinese report must not fall back to an identifier or an English evidence item."""
    from hegui.rules import words
    from hegui.rules.facts import COMPUTED, PROFILE_FACTS

    cat = load_catalogue()
    for name in [*PROFILE_FACTS, *cat.bases, *COMPUTED]:
        assert words.fact(name, "zh") != name, name
    for role in ("provider", "technical_supporter", "content_platform", "app_store", "pi_handler", "any"):
        assert words.role(role, "zh") != role
    for duty in cat.duties.values():
        zh = words.evidence(duty, "zh")
        assert len(zh) == len(duty.evidence), duty.id
        untranslated = [
            e for e, z in zip(duty.evidence, zh, strict=True) if e == z and re.search("[a-z]{3}", e)
        ]
        assert untranslated == [], (duty.id, untranslated)


def test_every_citation_renders_in_chinese() -> None:
    from hegui.rules.words import duty_citation

    for duty in load_catalogue().duties.values():
        zh = duty_citation(duty, "zh")
        rest = re.sub(r"GB/T|GB|TC260|AI|附录[A-Z]|[✔†⚠]", "", zh)
        assert not re.search("[A-Za-z]", rest), (duty.id, zh)


def test_no_research_note_markers_in_citations() -> None:
    for duty in load_catalogue().duties.values():
        assert "[S" not in duty.citation and "seed" not in duty.citation, duty.id
