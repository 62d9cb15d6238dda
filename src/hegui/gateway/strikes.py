"""Strikes (Interim Measures Art. 14): count each user's violations over a window, and warn, limit or suspend.

The count lives in the store, so it is exact under concurrent requests and across gateway workers: a strike is
recorded in a transaction that first locks the user's row (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite serialises
writers), inserts the strike, counts the window and sets the state in the same transaction. Reading a user's
state is on every request's path, so each worker caches it for ``state_cache_s`` (one second by default).
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from hegui.errors import UsageError
from hegui.gateway.config import StrikeSettings
from hegui.gateway.models import GatewayStrike, GatewayUser
from hegui.store import session

STATES = ("ok", "warned", "limited", "suspended")


@dataclass(frozen=True, slots=True)
class Standing:
    user_key: str
    state: str
    strikes_in_window: int

    def to_dict(self) -> dict[str, Any]:
        return {"user": self.user_key, "state": self.state, "strikes_in_window": self.strikes_in_window}


def state_for(count: int, settings: StrikeSettings) -> str:
    if count >= settings.suspend_at:
        return "suspended"
    if count >= settings.limit_at:
        return "limited"
    return "warned" if count > 0 else "ok"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class StrikeBook:
    """Records strikes and answers "may this user go on?" for one gateway worker."""

    def __init__(self, settings: StrikeSettings, url: str | None = None) -> None:
        self.settings = settings
        self.url = url
        self._cache: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()
        self._rate: dict[str, list[float]] = {}

    # --------------------------------------------------------------------------------------- hot path

    def cached_state(self, user_key: str) -> str | None:
        """The user's state if this worker's cache holds it fresh, else None (no I/O: safe on the event loop)."""
        with self._lock:
            cached = self._cache.get(user_key)
        if cached is not None and time.monotonic() - cached[0] < self.settings.state_cache_s:
            return cached[1]
        return None

    def state(self, user_key: str) -> str:
        """The user's state, from this worker's cache when it is fresh."""
        now = time.monotonic()
        hit = self.cached_state(user_key)
        if hit is not None:
            return hit
        with session(self.url) as s:
            row = s.get(GatewayUser, user_key)
            state = row.state if row is not None else "ok"
        with self._lock:
            self._cache[user_key] = (now, state)
        return state

    def allow_limited(self, user_key: str) -> bool:
        """Sliding one-minute window for a limited user (per worker)."""
        now = time.monotonic()
        with self._lock:
            recent = [t for t in self._rate.get(user_key, []) if now - t < 60.0]
            if len(recent) >= self.settings.limited_rpm:
                self._rate[user_key] = recent
                return False
            recent.append(now)
            self._rate[user_key] = recent
            return True

    # --------------------------------------------------------------------------------------- writes

    def strike(self, user_key: str, risk: str, *, direction: str, request_id: str) -> Standing:
        """Record one violation and return the user's standing after it (exact under concurrency)."""
        now = _now()
        with session(self.url) as s:
            dialect = s.get_bind().dialect.name
            values = {"user_key": user_key, "state": "ok", "strikes_total": 0, "note": "", "updated_at": now}
            if dialect == "postgresql":
                s.execute(
                    pg_insert(GatewayUser)
                    .values(**values)
                    .on_conflict_do_nothing(index_elements=["user_key"])
                )
                s.execute(select(GatewayUser).where(GatewayUser.user_key == user_key).with_for_update())
            else:
                s.execute(
                    sqlite_insert(GatewayUser)
                    .values(**values)
                    .on_conflict_do_nothing(index_elements=["user_key"])
                )
            s.add(
                GatewayStrike(
                    user_key=user_key,
                    at=now,
                    risk=risk,
                    direction=direction,
                    request_id=request_id,
                    cleared=0,
                )
            )
            s.flush()
            since = now - dt.timedelta(days=self.settings.window_days)
            count = (
                s.scalar(
                    select(func.count())
                    .select_from(GatewayStrike)
                    .where(
                        GatewayStrike.user_key == user_key,
                        GatewayStrike.at >= since,
                        GatewayStrike.cleared == 0,
                    )
                )
                or 0
            )
            state = state_for(int(count), self.settings)
            s.execute(
                update(GatewayUser)
                .where(GatewayUser.user_key == user_key)
                .values(state=state, strikes_total=GatewayUser.strikes_total + 1, updated_at=now)
            )
        with self._lock:
            self._cache[user_key] = (time.monotonic(), state)
        return Standing(user_key, state, int(count))

    def forget(self, user_key: str) -> None:
        with self._lock:
            self._cache.pop(user_key, None)


def standing(user_key: str, settings: StrikeSettings, url: str | None = None) -> Standing:
    with session(url) as s:
        row = s.get(GatewayUser, user_key)
        if row is None:
            raise UsageError(f"no user {user_key!r} has been seen by the gateway")
        since = _now() - dt.timedelta(days=settings.window_days)
        count = (
            s.scalar(
                select(func.count())
                .select_from(GatewayStrike)
                .where(
                    GatewayStrike.user_key == user_key, GatewayStrike.at >= since, GatewayStrike.cleared == 0
                )
            )
            or 0
        )
        return Standing(user_key, row.state, int(count))


def list_users(url: str | None = None, *, state: str | None = None) -> list[dict[str, Any]]:
    with session(url) as s:
        q = select(GatewayUser).order_by(GatewayUser.updated_at.desc())
        if state:
            q = q.where(GatewayUser.state == state)
        return [
            {"user": u.user_key, "state": u.state, "strikes_total": u.strikes_total, "note": u.note,
             "updated_at": u.updated_at.isoformat() if u.updated_at else ""}
            for u in s.scalars(q)
        ]  # fmt: skip


def unblock(user_key: str, note: str, url: str | None = None) -> Standing:
    """Lift a user's limit or suspension after an appeal: the strikes stay on record, set aside (``cleared``),
    with the officer's note; the state returns to ``ok``."""
    if not note.strip():
        raise UsageError("say why the user is unblocked (--note): the decision is part of the record")
    with session(url) as s:
        row = s.get(GatewayUser, user_key)
        if row is None:
            raise UsageError(f"no user {user_key!r} has been seen by the gateway")
        s.execute(update(GatewayStrike).where(GatewayStrike.user_key == user_key).values(cleared=1))
        row.state = "ok"
        row.note = (row.note + "\n" if row.note else "") + f"{_now().isoformat()} unblocked: {note}"
        row.updated_at = _now()
    return Standing(user_key, "ok", 0)
