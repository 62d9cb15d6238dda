"""The YAML case runner itself, tested on deliberately failing fixtures (OpenFisca's habit)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hegui.errors import InputError
from hegui.rules.testing import load_cases, run_case

FIXTURES = Path(__file__).parent / "fixtures"


def test_runner_reports_every_wrong_expectation() -> None:
    (case,) = load_cases(FIXTURES / "failing.yaml")
    problems = run_case(case)
    text = "\n".join(problems)
    assert "FIL-01: expected to apply" in text
    assert "NOPE-99: not a duty id" in text
    assert "LBL-03: expected not to apply" in text and "gai_svc" in text
    assert "filing_path: expected registration, got none" in text
    assert "cbdt_mechanism: expected security_assessment:art7_2, got no_transfer" in text
    assert "ALG-20: expected a deadline" in text
    assert len(problems) == 6


def test_runner_rejects_unknown_keys_with_their_name() -> None:
    with pytest.raises(InputError, match=r"typo in output.*output\.include: unknown key"):
        load_cases(FIXTURES / "bad_key.yaml")


def test_case_with_unknown_fact_is_an_input_error(tmp_path: Path) -> None:
    f = tmp_path / "c.yaml"
    f.write_text("- name: x\n  input: {offerd_to_public: true}\n  output: {}\n", encoding="utf-8")
    (case,) = load_cases(f)
    with pytest.raises(InputError, match="offerd_to_public: unknown fact"):
        run_case(case)


def test_duplicate_yaml_keys_are_rejected(tmp_path: Path) -> None:
    f = tmp_path / "c.yaml"
    f.write_text("- name: x\n  name: y\n  input: {}\n  output: {}\n", encoding="utf-8")
    with pytest.raises(InputError, match="duplicate key 'name'"):
        load_cases(f)
