"""docs/rules.md documents every fact, base, computed decision and command (datasette's habit)."""

from __future__ import annotations

from pathlib import Path

from hegui.rules.catalogue import load_catalogue
from hegui.rules.facts import COMPUTED, PROFILE_FACTS

DOC = (Path(__file__).parents[2] / "docs" / "rules.md").read_text(encoding="utf-8")


def test_every_fact_base_and_decision_is_documented() -> None:
    names = [*PROFILE_FACTS, *load_catalogue().bases, *COMPUTED]
    missing = [n for n in names if f"`{n}`" not in DOC]
    assert missing == []


def test_every_command_is_documented() -> None:
    for cmd in ("init", "check", "explain", "status", "evidence add", "evidence mark", "dossier"):
        assert f"hegui rules {cmd}" in DOC, cmd


def test_coverage_numbers_in_the_doc_match_the_catalogue() -> None:
    c = load_catalogue().counts()
    assert f"{c['instruments']} instrument entries" in DOC
    assert f"{c['duties']} duties are encoded" in DOC
    assert f"{c['duties_to_verify']} duties are marked †" in DOC
    assert f"{c['instruments'] - c['instruments_to_verify']} instruments are marked ✔" in DOC
