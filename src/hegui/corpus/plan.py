"""The corpus rules of TC260-003 / GB/T 45654-2025 §5 (and GB/T 45652 as reported), in one place.

Sources and confidence (from the project's reference notes on the assessment standard):
- 5% per source: secondary sources of high confidence (draft reports and GB/T summaries). Not yet checked against the
  final GB/T text: UNVERIFIED in the primary text, kept here so it is changed once.
- manual sample >= 4,000 items at >= 96%: high confidence (GB/T 45652 summaries).
- technical sample >= 10% of the corpus at >= 98%: medium-high confidence, UNVERIFIED in the primary text.
Each can be overridden per run (``--threshold`` options) where a later text or an auditor says otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CorpusPlan:
    source_harmful_max: float = 0.05
    manual_sample_min: int = 4000
    manual_pass_min: float = 0.96
    technical_fraction_min: float = 0.10
    technical_pass_min: float = 0.98


PLAN = CorpusPlan()
