"""The Art. 9 log of content delivered without an explicit label: record, export (CSV), purge after retention.

Labeling Measures Art. 9: a provider may hand out content without the explicit label when the user asks, the user
agreement states the user's labeling duty, and the provider keeps "提供对象信息等相关日志" for at least six
months. Retention below six months is refused unless the caller forces it (e.g. a court order to delete).
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from hegui.atomic import atomic_output
from hegui.errors import UsageError
from hegui.label.platform.models import Delivery

#: Art. 9 "不少于六个月"
MIN_RETENTION_MONTHS = 6
DEFAULT_RETENTION_MONTHS = 6
CSV_COLUMNS: tuple[str, ...] = (
    "id",
    "delivered_at",
    "recipient",
    "recipient_info",
    "content_id",
    "content_sha256",
    "service",
    "agreement_version",
    "note",
    "retain_until",
)


def add_months(when: dt.datetime, months: int) -> dt.datetime:
    """Calendar months later, clamped to the month's last day (31 Aug + 6 months = 28/29 Feb)."""
    index = when.month - 1 + months
    year, month = when.year + index // 12, index % 12 + 1
    day = min(when.day, calendar.monthrange(year, month)[1])
    return when.replace(year=year, month=month, day=day)


def _utc(when: dt.datetime | None) -> dt.datetime:
    if when is None:
        return dt.datetime.now(dt.UTC)
    if when.tzinfo is None:
        raise UsageError("times must carry a time zone (e.g. 2026-03-01T12:00:00+08:00)")
    return when.astimezone(dt.UTC)


def check_retention(months: int, *, force: bool = False) -> int:
    if months < MIN_RETENTION_MONTHS and not force:
        raise UsageError(
            f"retention of {months} months is below the {MIN_RETENTION_MONTHS} months Art. 9 requires; "
            "pass force only when the law obliges you to delete earlier"
        )
    if months < 0:
        raise UsageError("retention cannot be negative")
    return months


@dataclass(frozen=True)
class DeliveryEntry:
    recipient: str
    content_id: str
    agreement_version: str
    delivered_at: dt.datetime | None = None
    recipient_info: str = ""
    content_sha256: str | None = None
    service: str = ""
    note: str = ""


def log_delivery(
    session: Session,
    entry: DeliveryEntry,
    *,
    retention_months: int = DEFAULT_RETENTION_MONTHS,
    force_retention: bool = False,
) -> Delivery:
    """Record one unlabelled delivery; returns the stored row."""
    for name in ("recipient", "content_id", "agreement_version"):
        if not getattr(entry, name).strip():
            raise UsageError(f"{name} is required for the Art. 9 log")
    if entry.content_sha256 is not None and (
        len(entry.content_sha256) != 64 or any(c not in "0123456789abcdef" for c in entry.content_sha256)
    ):
        raise UsageError("content_sha256 must be 64 lower-case hex digits")
    months = check_retention(retention_months, force=force_retention)
    delivered = _utc(entry.delivered_at)
    row = Delivery(
        delivered_at=delivered,
        recipient=entry.recipient,
        recipient_info=entry.recipient_info,
        content_id=entry.content_id,
        content_sha256=entry.content_sha256,
        service=entry.service,
        agreement_version=entry.agreement_version,
        note=entry.note,
        retain_until=add_months(delivered, months),
    )
    session.add(row)
    session.flush()
    return row


def query(
    session: Session,
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    recipient: str | None = None,
) -> Iterator[Delivery]:
    stmt = select(Delivery).order_by(Delivery.delivered_at, Delivery.id)
    if since is not None:
        stmt = stmt.where(Delivery.delivered_at >= _utc(since))
    if until is not None:
        stmt = stmt.where(Delivery.delivered_at < _utc(until))
    if recipient is not None:
        stmt = stmt.where(Delivery.recipient == recipient)
    yield from session.scalars(stmt.execution_options(yield_per=1000))


def _iso(value: dt.datetime) -> str:
    if value.tzinfo is None:  # SQLite returns naive datetimes; they were stored as UTC
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).isoformat()


def as_dict(row: Delivery) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for column in CSV_COLUMNS:
        value = getattr(row, column)
        out[column] = _iso(value) if isinstance(value, dt.datetime) else value
    return out


def export_csv(session: Session, target: str | os.PathLike[str], **filters: Any) -> int:
    """Write the log (optionally filtered) as CSV (UTF-8 with BOM, so Excel reads Chinese); returns the rows."""
    count = 0
    with (
        atomic_output(Path(target)) as pending,
        open(pending.file.fileno(), "w", encoding="utf-8-sig", newline="", closefd=False) as text,
    ):
        writer = csv.DictWriter(text, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        for row in query(session, **filters):
            writer.writerow({k: ("" if v is None else v) for k, v in as_dict(row).items()})
            count += 1
    return count


def purge(session: Session, *, now: dt.datetime | None = None, dry_run: bool = False) -> int:
    """Delete rows whose retention has passed; returns how many (would be) deleted."""
    cutoff = _utc(now)
    expired = select(func.count()).select_from(Delivery).where(Delivery.retain_until < cutoff)
    count = int(session.scalar(expired) or 0)
    if not dry_run and count:
        session.execute(delete(Delivery).where(Delivery.retain_until < cutoff))
    return count
