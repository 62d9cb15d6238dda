"""Local accounts with roles, argon2 password hashes, server-side sessions with a CSRF token each, and login
throttling. Service functions over ``hegui.store``; the pages only call these."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select

from hegui.errors import UsageError
from hegui.store import session
from hegui.web.models import WebLoginAttempt, WebSession, WebUser

ROLES = ("admin", "officer", "reviewer", "readonly")
PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": frozenset({"view", "review", "upload", "approve", "export", "manage_users"}),
    "officer": frozenset({"view", "review", "upload", "approve", "export"}),
    "reviewer": frozenset({"view", "review", "upload"}),
    "readonly": frozenset({"view"}),
}
MAX_FAILURES = 5
LOCK_MINUTES = 15
_hasher = PasswordHasher()


@dataclass(frozen=True, slots=True)
class Account:
    id: int
    username: str
    role: str

    def can(self, permission: str) -> bool:
        return permission in PERMISSIONS.get(self.role, frozenset())


@dataclass(frozen=True, slots=True)
class SessionInfo:
    token: str
    csrf: str
    account: Account


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _aware(t: dt.datetime) -> dt.datetime:
    return t if t.tzinfo else t.replace(tzinfo=dt.UTC)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_user(username: str, password: str, role: str, url: str | None = None) -> Account:
    if role not in ROLES:
        raise UsageError(f"unknown role {role!r}; choose from {', '.join(ROLES)}")
    if (
        not username
        or len(username) > 80
        or not username.replace("-", "").replace("_", "").replace(".", "").isalnum()
    ):
        raise UsageError("a username is 1-80 letters, digits, '-', '_' or '.'")
    if len(password) < 10:
        raise UsageError("a password needs at least 10 characters")
    with session(url) as s:
        if s.scalar(select(WebUser).where(WebUser.username == username)) is not None:
            raise UsageError(f"user {username!r} exists already")
        u = WebUser(
            username=username, password_hash=_hasher.hash(password), role=role, active=1, created_at=_now()
        )
        s.add(u)
        s.flush()
        return Account(u.id, u.username, u.role)


def list_users(url: str | None = None) -> list[Account]:
    with session(url) as s:
        return [
            Account(u.id, u.username, u.role) for u in s.scalars(select(WebUser).order_by(WebUser.username))
        ]


class LoginThrottled(Exception):
    def __init__(self, until: dt.datetime) -> None:
        super().__init__(f"too many failed logins; try again after {until:%H:%M} UTC")
        self.until = until


def login(username: str, password: str, client: str, url: str | None = None) -> SessionInfo | None:
    """A new session for good credentials, None for bad ones; raises :class:`LoginThrottled` after
    ``MAX_FAILURES`` failures for the same name from the same address (for ``LOCK_MINUTES``)."""
    key = f"{username[:80]}|{client}"
    now = _now()
    with session(url) as s:
        attempt = s.get(WebLoginAttempt, key)
        if attempt is not None and attempt.locked_until is not None and _aware(attempt.locked_until) > now:
            raise LoginThrottled(_aware(attempt.locked_until))
        user = s.scalar(select(WebUser).where(WebUser.username == username, WebUser.active == 1))
        ok = False
        if user is not None:
            try:
                ok = _hasher.verify(user.password_hash, password)
            except (VerificationError, InvalidHashError):
                ok = False
        else:
            _hasher.hash(password)  # same work for an unknown name: no timing oracle for usernames
        if not ok:
            if attempt is None:
                attempt = WebLoginAttempt(key=key, failures=0)
                s.add(attempt)
            attempt.failures = (attempt.failures or 0) + 1
            if attempt.failures >= MAX_FAILURES:
                attempt.locked_until = now + dt.timedelta(minutes=LOCK_MINUTES)
                attempt.failures = 0
            return None
        assert user is not None
        if attempt is not None:
            s.delete(attempt)
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = _hasher.hash(password)
        token = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        s.add(
            WebSession(token_sha256=_digest(token), user_id=user.id, csrf=csrf, created_at=now, last_seen=now)
        )
        return SessionInfo(token, csrf, Account(user.id, user.username, user.role))


def resume(token: str, idle_minutes: float, url: str | None = None) -> SessionInfo | None:
    """The session of a cookie, if it exists and was used within ``idle_minutes``; touching it renews it."""
    if not token:
        return None
    now = _now()
    with session(url) as s:
        row = s.get(WebSession, _digest(token))
        if row is None:
            return None
        if _aware(row.last_seen) < now - dt.timedelta(minutes=idle_minutes):
            s.delete(row)
            return None
        user = s.get(WebUser, row.user_id)
        if user is None or not user.active:
            return None
        if now - _aware(row.last_seen) > dt.timedelta(seconds=30):
            row.last_seen = now
        return SessionInfo(token, row.csrf, Account(user.id, user.username, user.role))


def logout(token: str, url: str | None = None) -> None:
    with session(url) as s:
        s.execute(delete(WebSession).where(WebSession.token_sha256 == _digest(token)))
