"""OpenFisca-style YAML test cases: a profile in, expected duties and decisions out.

A case file is a list of cases::

    - name: Chat app on a filed model via API, with group chat
      period: 2025-09-01            # optional: the day the case is judged on (default: today)
      input: {offered_to_public_in_mainland: true, output_modalities: [text], ...}
      output:
        includes: [GAI-17, LBL-03]
        excludes: [FIL-01]
        filing_path: registration
        cbdt_mechanism: no_transfer
        deadlines: {ALG-20: 2025-10-16}
        citations: {ALG-20: "Algorithm Provisions Art. 24(1)"}   # exact citation of a duty
        duty_text: {ALG-20: "10 working days"}                   # a phrase the English duty text contains

Keys are checked strictly so that a typo (``include:``) is an error naming the key, not a silently passing test.
The pytest plugin in ``tests/rules/conftest.py`` collects these files; :func:`run_case` does the work.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hegui.errors import InputError
from hegui.rules.catalogue import Catalogue, load_catalogue
from hegui.rules.engine import assess
from hegui.rules.profile import profile_from_mapping
from hegui.rules.yamlio import load_yaml


class EthicsExpect(BaseModel):
    model_config = ConfigDict(extra="forbid")
    review_required: bool | None = None
    committee_required: bool | None = None
    expert_rereview: bool | None = None
    entrust_other_committee: bool | None = None


class Expect(BaseModel):
    model_config = ConfigDict(extra="forbid")
    includes: list[str] = Field(default_factory=list)
    excludes: list[str] = Field(default_factory=list)
    exactly: list[str] | None = None
    filing_path: str | None = None
    algorithm_filing: bool | None = None
    cbdt_mechanism: str | None = None
    ethics: EthicsExpect | None = None
    deadlines: dict[str, dt.date | None] = Field(default_factory=dict)
    roles_include: list[str] = Field(default_factory=list)
    citations: dict[str, str] = Field(default_factory=dict)
    duty_text: dict[str, str] = Field(default_factory=dict)


class Case(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    period: dt.date | None = None
    keywords: list[str] = Field(default_factory=list)
    input: dict[str, Any]
    output: Expect


def load_cases(path: str | Path) -> list[Case]:
    """Read and validate a case file; errors name the case and the bad key."""
    raw = load_yaml(path)
    if not isinstance(raw, list):
        raise InputError("a case file is a YAML list of cases", path=path)
    cases = []
    for i, body in enumerate(raw):
        try:
            cases.append(Case.model_validate(body))
        except ValidationError as exc:
            name = body.get("name", f"#{i + 1}") if isinstance(body, dict) else f"#{i + 1}"
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc'])}: "
                + (
                    "unknown key (allowed: see hegui.rules.testing)"
                    if e["type"] == "extra_forbidden"
                    else e["msg"]
                )
                for e in exc.errors()
            )
            raise InputError(f"case {name!r}: {problems}", path=path) from None
    return cases


def run_case(case: Case, catalogue: Catalogue | None = None) -> list[str]:
    """Return the mismatches (empty when the case passes); unknown duty ids in expectations are mismatches too."""
    cat = catalogue or load_catalogue()
    data = {"name": case.name, **case.input}
    profile = profile_from_mapping(data, source=f"case {case.name!r}")
    result = assess(profile, cat, as_of=case.period)
    got = set(result.duty_ids)
    out = case.output
    problems: list[str] = []
    for ident in [*out.includes, *out.excludes, *(out.exactly or []), *out.deadlines]:
        if ident not in cat.duties:
            problems.append(f"{ident}: not a duty id in the catalogue")
    for ident in out.includes:
        if ident in cat.duties and ident not in got:
            problems.append(f"{ident}: expected to apply, but it does not")
    for ident in out.excludes:
        if ident in got:
            problems.append(
                f"{ident}: expected not to apply, but it does (because {result_because(result, ident)})"
            )
    if out.exactly is not None and set(out.exactly) != got:
        problems.append(f"duties: expected exactly {sorted(out.exactly)}, got {sorted(got)}")
    if out.filing_path is not None and out.filing_path != result.filing.genai:
        problems.append(f"filing_path: expected {out.filing_path}, got {result.filing.genai}")
    if out.algorithm_filing is not None and out.algorithm_filing != result.filing.algorithm_filing:
        problems.append(
            f"algorithm_filing: expected {out.algorithm_filing}, got {result.filing.algorithm_filing}"
        )
    if out.cbdt_mechanism is not None and out.cbdt_mechanism != result.crossborder.code:
        problems.append(f"cbdt_mechanism: expected {out.cbdt_mechanism}, got {result.crossborder.code}")
    if out.ethics is not None:
        for key, want in out.ethics.model_dump().items():
            have = getattr(result.ethics, key)
            if want is not None and want != have:
                problems.append(f"ethics.{key}: expected {want}, got {have}")
    findings = {f.duty.id: f for f in result.findings}
    for ident, want_date in out.deadlines.items():
        finding = findings.get(ident)
        if finding is None or finding.deadline is None:
            if ident in cat.duties:
                problems.append(f"{ident}: expected a deadline, but the duty does not apply or has none")
            continue
        if finding.deadline.due != want_date:
            problems.append(f"{ident} deadline: expected {want_date}, got {finding.deadline.due}")
    for ident, want in out.citations.items():
        if ident in cat.duties and cat.duties[ident].citation != want:
            problems.append(f"{ident} citation: expected {want!r}, got {cat.duties[ident].citation!r}")
    for ident, fragment in out.duty_text.items():
        if ident in cat.duties and fragment not in cat.duties[ident].duty.en:
            problems.append(f"{ident} text: expected it to mention {fragment!r}")
    for role in out.roles_include:
        if role not in result.roles:
            problems.append(f"roles: expected {role} among {result.roles}")
    return problems


def result_because(result: Any, ident: str) -> str:
    for f in result.findings:
        if f.duty.id == ident:
            return ", ".join(f"{k}={v}" for k, v in f.because.items()) or f.duty.trigger
    return "?"
