"""Cross-border decision properties beyond the YAML boundary cases: monotone in the counts, 以上 / 不满 helpers."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from hegui.rules.crossborder import at_least, mechanism, under
from hegui.rules.parameters import parameter, parameters
from hegui.rules.profile import CrossBorder

SEVERITY = {"no_transfer": 0, "exempt": 1, "scc_or_certification": 2, "security_assessment": 3}
counts = st.integers(min_value=0, max_value=3_000_000)


def test_yi_shang_includes_and_bu_man_excludes() -> None:
    assert at_least(100_000, 100_000) and not under(100_000, 100_000)
    assert under(99_999, 100_000) and not at_least(99_999, 100_000)


@given(non=counts, sens=counts, more_non=counts, more_sens=counts)
def test_more_individuals_never_lower_the_mechanism(
    non: int, sens: int, more_non: int, more_sens: int
) -> None:
    low = mechanism(CrossBorder(pi_count_nonsensitive_ytd=non, pi_count_sensitive_ytd=sens))
    high = mechanism(
        CrossBorder(pi_count_nonsensitive_ytd=non + more_non, pi_count_sensitive_ytd=sens + more_sens)
    )
    assert SEVERITY[high.kind] >= SEVERITY[low.kind]


@given(non=counts, sens=counts)
def test_mechanism_matches_the_thresholds(non: int, sens: int) -> None:
    m = mechanism(CrossBorder(pi_count_nonsensitive_ytd=non, pi_count_sensitive_ytd=sens))
    if non >= 1_000_000 or sens >= 10_000:
        assert m.code == "security_assessment:art7_2"
    elif non >= 100_000 or sens > 0:
        assert m.code == "scc_or_certification:art8"
    elif non > 0:
        assert m.code == "exempt:art5_4"
    else:
        assert m.code == "no_transfer"
    assert m.reasons


@given(non=counts, sens=counts, ciio=st.booleans())
def test_exemptions_take_priority(non: int, sens: int, ciio: bool) -> None:
    cb = CrossBorder(
        is_ciio=ciio, pi_count_nonsensitive_ytd=non + 1, pi_count_sensitive_ytd=sens, necessity_exemption="hr"
    )
    assert mechanism(cb).code == "exempt:art5:hr"


def test_thresholds_come_from_parameters_with_their_marks() -> None:
    assert parameter("crossborder.security_assessment_nonsensitive").value == 1_000_000
    assert parameter("crossborder.security_assessment_sensitive").value == 10_000
    assert parameter("crossborder.standard_contract_nonsensitive").value == 100_000
    assert parameter("filing.algorithm_working_days").mark == "✔"
    assert parameter("labeling.video_opening_label_min_seconds").mark == "✔"  # GB 45438 §5.4, quoted
    assert parameter("crossborder.standard_contract_filing_working_days").mark == "†"
    assert all(p.citation for p in parameters().values())
