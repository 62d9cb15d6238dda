"""Training-corpus checks (TC260-003 §5, GB/T 45652): source register, robots.txt evidence, source assessment
against the 5% rule, the manual sample (>= 4,000 at 96%), the technical check (>= 10% at 98%), from a laptop
(process pool) to a cluster (Ray Data), with the same ``scan_batch`` everywhere.

>>> from hegui.corpus import scan, technical_check
>>> run = scan(["corpus/"], sample=0.1)            # doctest: +SKIP
>>> technical_check(run.summary).decision.outcome   # doctest: +SKIP
'conforms'
"""

from __future__ import annotations

from hegui.corpus.annotate import SampleItem, Verdicts, draw, export, read_verdicts
from hegui.corpus.checks import TechnicalCheck, source_decision, technical_check
from hegui.corpus.plan import PLAN, CorpusPlan
from hegui.corpus.readers import ReadOptions, Shard, discover, records
from hegui.corpus.runners import ScanRun, scan
from hegui.corpus.scanner import RecordResult, ScanConfig, Summary, scan_batch, scan_shard

__all__ = [
    "PLAN",
    "CorpusPlan",
    "ReadOptions",
    "RecordResult",
    "SampleItem",
    "ScanConfig",
    "ScanRun",
    "Shard",
    "Summary",
    "TechnicalCheck",
    "Verdicts",
    "discover",
    "draw",
    "export",
    "read_verdicts",
    "records",
    "scan",
    "scan_batch",
    "scan_shard",
    "source_decision",
    "technical_check",
]
