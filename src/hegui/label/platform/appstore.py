"""Art. 7: an app store's check of an app's labeling materials, kept as evidence.

Labeling Measures Art. 7: at listing review the store asks whether the app offers generative-AI services and, if
it does, checks its labeling materials. The checklist below is what stores ask for in practice (reference §3.2:
Xiaomi's template and a design document) [secondary]; it is data, easy to extend.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from hegui.errors import UsageError
from hegui.label.platform.models import AppStoreCheck

ItemState = Literal["provided", "missing", "not-applicable"]
ITEM_STATES: tuple[str, ...] = ("provided", "missing", "not-applicable")

#: item id -> (what the store asks for, required)
CHECKLIST: dict[str, tuple[str, bool]] = {
    "explicit-label-scheme": ("Explicit-label scheme (where and how the visible label appears)", True),
    "ui-screenshots": ("Screenshots of the explicit labels in the app's interface", True),
    "implicit-label-description": ("Technical description of the implicit (metadata) label", True),
    "metadata-screenshot": ("Screenshot or dump of a generated file's AIGC metadata", True),
    "algorithm-filing": ("Algorithm filing number (算法备案号)", True),
    "security-assessment": ("Security assessment report", False),
    "commitment-letter": ("Sealed commitment letter (承诺书)", False),
}


def evaluate(provides_aigc: bool, items: dict[str, dict[str, Any]]) -> str:
    """``not-applicable`` (no generative AI), ``complete`` (every required item provided) or ``incomplete``."""
    if not provides_aigc:
        return "not-applicable"
    for item_id, (_, required) in CHECKLIST.items():
        if required and items.get(item_id, {}).get("state") != "provided":
            return "incomplete"
    return "complete"


def record_check(
    session: Session,
    *,
    app_id: str,
    provides_aigc: bool,
    items: dict[str, ItemState | dict[str, Any]] | None = None,
    app_name: str = "",
    developer: str = "",
    app_version: str = "",
    reviewer: str = "",
    note: str = "",
    checked_at: dt.datetime | None = None,
) -> AppStoreCheck:
    """Store one review; items not given are ``missing``. Returns the row (its ``result`` is computed)."""
    if not app_id.strip():
        raise UsageError("app_id is required")
    normalised: dict[str, dict[str, Any]] = {}
    for item_id, value in (items or {}).items():
        if item_id not in CHECKLIST:
            raise UsageError(f"unknown checklist item {item_id!r}; known: {', '.join(CHECKLIST)}")
        entry = {"state": value} if isinstance(value, str) else dict(value)
        if entry.get("state") not in ITEM_STATES:
            raise UsageError(f"item {item_id!r}: state must be one of {', '.join(ITEM_STATES)}")
        normalised[item_id] = entry
    for item_id in CHECKLIST:
        normalised.setdefault(item_id, {"state": "missing"})
    when = checked_at or dt.datetime.now(dt.UTC)
    row = AppStoreCheck(
        app_id=app_id,
        app_name=app_name,
        developer=developer,
        app_version=app_version,
        provides_aigc=provides_aigc,
        items=normalised,
        result=evaluate(provides_aigc, normalised),
        reviewer=reviewer,
        note=note,
        checked_at=when,
    )
    session.add(row)
    session.flush()
    return row


def history(session: Session, app_id: str) -> list[AppStoreCheck]:
    stmt = select(AppStoreCheck).where(AppStoreCheck.app_id == app_id).order_by(AppStoreCheck.checked_at)
    return list(session.scalars(stmt))
