"""Security assessment for model filing (TC260-003 / GB/T 45654-2025): banks, runs against any OpenAI-compatible
endpoint, judges, statistics, the clause-by-clause report and the Excel attachments.

Library use::

    from hegui.assess import RunSpec, assess_endpoint, engine_for, starters, write_report

    engine = engine_for()  # $HEGUI_DATABASE_URL, hegui.toml, else ./hegui.db
    run_id, totals, summary = assess_endpoint(engine, RunSpec("http://localhost:8000/v1", "my-model"), starters())
    write_report(engine, run_id, Path("report"))

Names load on first use, so ``import hegui.assess.banks`` stays light.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hegui.assess.banks import Bank, Item, starter, starters
    from hegui.assess.client import ChatParams, Limits, Prices
    from hegui.assess.report import write_report
    from hegui.assess.run import RunSpec, engine_for
    from hegui.assess.service import assess_endpoint, resolve_banks, resume, start
    from hegui.assess.stats import Summary, summarize

_WHERE = {
    "Bank": "banks",
    "Item": "banks",
    "starter": "banks",
    "starters": "banks",
    "ChatParams": "client",
    "Limits": "client",
    "Prices": "client",
    "write_report": "report",
    "RunSpec": "run",
    "engine_for": "run",
    "assess_endpoint": "service",
    "resolve_banks": "service",
    "resume": "service",
    "start": "service",
    "Summary": "stats",
    "summarize": "stats",
}
__all__ = [
    "Bank",
    "ChatParams",
    "Item",
    "Limits",
    "Prices",
    "RunSpec",
    "Summary",
    "assess_endpoint",
    "engine_for",
    "resolve_banks",
    "resume",
    "start",
    "starter",
    "starters",
    "summarize",
    "write_report",
]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(import_module(f"hegui.assess.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'hegui.assess' has no attribute {name!r}")
