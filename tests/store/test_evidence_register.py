"""The rules evidence register on both databases: states open / proven / overdue / changed / unproven."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from hegui.errors import InputError, UsageError
from hegui.rules.catalogue import load_catalogue
from hegui.rules.engine import assess
from hegui.rules.evidence import add_evidence, register_view, set_status
from hegui.rules.profile import ServiceProfile
from hegui.store import open_store, session_scope

PROFILE = ServiceProfile(
    name="feed",
    offered_to_public_in_mainland=True,
    algorithm_types={"personalised_push"},  # type: ignore[arg-type]
    public_opinion_or_mobilisation=True,
    launch_date=dt.date(2025, 9, 26),
)


def _states(db_url: str, today: dt.date) -> dict[str, str]:
    engine = open_store(db_url)
    try:
        with session_scope(engine) as s:
            return {r.duty_id: r.state for r in register_view(s, assess(PROFILE), today=today)}
    finally:
        engine.dispose()


def test_register_states(db_url: str, tmp_path: Path) -> None:
    report = tmp_path / "self-assessment.pdf"
    report.write_bytes(b"%PDF-1.7 self assessment")
    policy = tmp_path / "policy.md"
    policy.write_text("algorithm security policy", encoding="utf-8")
    known = set(load_catalogue().duties)
    engine = open_store(db_url)
    try:
        with session_scope(engine) as s:
            item = add_evidence(
                s,
                service="feed",
                duty_id="alg-24",
                location=str(report),
                owner="safety",
                kind="hegui_output",
                known_duties=known,
            )
            assert item.sha256 is not None and len(item.sha256) == 64
            add_evidence(
                s,
                service="feed",
                duty_id="ALG-02",
                location=str(policy),
                owner="legal",
                review_due=dt.date(2025, 12, 31),
            )
            add_evidence(
                s, service="feed", duty_id="ALG-11", location="https://example.cn/algorithm", owner="pm"
            )
            set_status(s, service="feed", duty_id="ALG-19", status="met")
            set_status(
                s, service="feed", duty_id="ALG-10", status="not_applicable", note="no competitors restricted"
            )
            set_status(s, service="feed", duty_id="ALG-10", status="not_applicable", note="upsert works")
    finally:
        engine.dispose()

    before = _states(db_url, dt.date(2025, 11, 1))
    assert before["ALG-24"] == "proven"
    assert before["ALG-02"] == "proven"
    assert before["ALG-11"] == "proven"
    assert before["ALG-19"] == "unproven"  # marked met without evidence
    assert before["ALG-10"] == "not_applicable"
    assert before["ALG-20"] == "overdue"  # 2025-10-16 passed, nothing filed
    assert before["ALG-01"] == "open"

    policy.write_text("algorithm security policy, edited", encoding="utf-8")
    after = _states(db_url, dt.date(2026, 1, 5))
    assert after["ALG-02"] == "overdue"  # review was due 2025-12-31
    report.write_bytes(b"%PDF-1.7 tampered")
    assert _states(db_url, dt.date(2025, 11, 1))["ALG-24"] == "changed"


def test_register_rejects_bad_input(db_url: str, tmp_path: Path) -> None:
    engine = open_store(db_url)
    try:
        with session_scope(engine) as s:
            with pytest.raises(InputError, match="does not exist"):
                add_evidence(s, service="x", duty_id="ALG-01", location=str(tmp_path / "missing.pdf"))
            with pytest.raises(UsageError, match="no duty 'ALG-99'"):
                add_evidence(s, service="x", duty_id="ALG-99", location="https://x", known_duties={"ALG-01"})
            with pytest.raises(UsageError, match="status must be one of"):
                set_status(s, service="x", duty_id="ALG-01", status="done")
    finally:
        engine.dispose()
