"""Art. 9 delivery log and Art. 7 app-store checks on SQLite and PostgreSQL, through the Alembic migration."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import inspect

from hegui.errors import UsageError
from hegui.label.platform import appstore, deliveries
from hegui.label.platform.deliveries import DeliveryEntry
from hegui.store import db as store_db
from hegui.store import open_store, session_scope

UTC = dt.UTC
CST = dt.timezone(dt.timedelta(hours=8))


def test_add_months() -> None:
    assert deliveries.add_months(dt.datetime(2026, 8, 31, tzinfo=UTC), 6) == dt.datetime(
        2027, 2, 28, tzinfo=UTC
    )
    assert deliveries.add_months(dt.datetime(2027, 8, 31, tzinfo=UTC), 6) == dt.datetime(
        2028, 2, 29, tzinfo=UTC
    )
    assert deliveries.add_months(dt.datetime(2026, 1, 15, tzinfo=UTC), 6) == dt.datetime(
        2026, 7, 15, tzinfo=UTC
    )


def test_migration_up_and_down(db_url: str) -> None:
    engine = open_store(db_url)
    tables = set(inspect(engine).get_table_names())
    assert {"platform_delivery", "platform_appstore_check"} <= tables
    from alembic.script import ScriptDirectory

    below = ScriptDirectory.from_config(store_db.alembic_config()).get_revision(
        "202612062030_platform_deliveries"
    )
    assert below is not None
    store_db.downgrade(engine, str(below.down_revision))  # back to just before this wing's revision
    assert "platform_delivery" not in set(inspect(engine).get_table_names())
    store_db.upgrade(engine)
    assert "platform_delivery" in set(inspect(engine).get_table_names())
    engine.dispose()


def test_delivery_log_export_purge(db_url: str, tmp_path: Path) -> None:
    engine = open_store(db_url)
    t0 = dt.datetime(2026, 3, 1, 9, 30, tzinfo=CST)
    with session_scope(engine) as s:
        first = deliveries.log_delivery(
            s,
            DeliveryEntry(
                "user-1", "prod-0001", "ua-2026.1", delivered_at=t0, recipient_info="张三", service="chat"
            ),
        )
        assert first.retain_until == deliveries.add_months(t0.astimezone(UTC), 6)
        deliveries.log_delivery(
            s,
            DeliveryEntry("user-2", "prod-0002", "ua-2026.1", delivered_at=t0 + dt.timedelta(days=40)),
            retention_months=12,
        )
        with pytest.raises(UsageError, match="below the 6 months"):
            deliveries.log_delivery(s, DeliveryEntry("user-3", "c", "v"), retention_months=3)
        with pytest.raises(UsageError, match="required"):
            deliveries.log_delivery(s, DeliveryEntry("", "c", "v"))
        with pytest.raises(UsageError, match="time zone"):
            deliveries.log_delivery(s, DeliveryEntry("u", "c", "v", delivered_at=dt.datetime(2026, 1, 1)))
        forced = deliveries.log_delivery(
            s, DeliveryEntry("user-4", "c4", "v", delivered_at=t0), retention_months=1, force_retention=True
        )
        assert forced.id
    out = tmp_path / "log.csv"
    with session_scope(engine) as s:
        assert deliveries.export_csv(s, out) == 3
        assert deliveries.export_csv(s, tmp_path / "one.csv", recipient="user-2") == 1
    rows = list(csv.DictReader(out.read_text("utf-8-sig").splitlines()))
    assert [r["recipient"] for r in rows] == ["user-1", "user-4", "user-2"]
    assert rows[0]["recipient_info"] == "张三"
    assert rows[0]["delivered_at"] == "2026-03-01T01:30:00+00:00"
    assert rows[0]["retain_until"] == "2026-09-01T01:30:00+00:00"
    # Purge: nothing before the first retention ends; exactly the expired rows afterwards.
    with session_scope(engine) as s:
        assert deliveries.purge(s, now=dt.datetime(2026, 8, 31, tzinfo=UTC)) == 1  # the forced 1-month row
        assert deliveries.purge(s, now=dt.datetime(2026, 9, 2, tzinfo=UTC), dry_run=True) == 1
        assert deliveries.purge(s, now=dt.datetime(2026, 9, 2, tzinfo=UTC)) == 1
        remaining = [r.recipient for r in deliveries.query(s)]
    assert remaining == ["user-2"]
    engine.dispose()


def test_appstore_checklist(db_url: str) -> None:
    engine = open_store(db_url)
    with session_scope(engine) as s:
        none = appstore.record_check(s, app_id="com.example.notes", provides_aigc=False)
        assert none.result == "not-applicable"
        partial = appstore.record_check(
            s,
            app_id="com.example.painter",
            provides_aigc=True,
            items={
                "explicit-label-scheme": "provided",
                "ui-screenshots": {"state": "provided", "reference": "a.png"},
            },
            reviewer="li",
        )
        assert partial.result == "incomplete"
        assert partial.items["algorithm-filing"] == {"state": "missing"}
        full = appstore.record_check(
            s,
            app_id="com.example.painter",
            provides_aigc=True,
            items={k: "provided" for k, (_, required) in appstore.CHECKLIST.items() if required},
        )
        assert full.result == "complete"
        with pytest.raises(UsageError, match="unknown checklist item"):
            appstore.record_check(s, app_id="x", provides_aigc=True, items={"nope": "provided"})
        with pytest.raises(UsageError, match="state must be"):
            appstore.record_check(s, app_id="x", provides_aigc=True, items={"ui-screenshots": "yes"})
    with session_scope(engine) as s:
        history = appstore.history(s, "com.example.painter")
        assert [h.result for h in history] == ["incomplete", "complete"]
        assert history[0].items["ui-screenshots"]["reference"] == "a.png"
    engine.dispose()
