"""Tables of the platform wing: Art. 9 unlabelled-delivery log and Art. 7 app-store label checks.

Labeling Measures Art. 9: content handed out without an explicit label (at the user's request, under a user
agreement that sets out their labeling duty) needs a log of the recipient kept for at least six months. The log
holds what that duty needs and nothing more: who received which content, when, under which agreement version.

Art. 7: an app store checks the labeling materials of an app that offers generative AI; each check is kept as
evidence (the checklist items and their state as the reviewer left them).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from hegui.store.models import Base


class Delivery(Base):
    """One delivery of content without an explicit label (Art. 9)."""

    __tablename__ = "platform_delivery"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    delivered_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    recipient: Mapped[str] = mapped_column(String(200), index=True)  # the account / user identifier
    recipient_info: Mapped[str] = mapped_column(
        Text, default=""
    )  # e.g. verified name or contact, if policy asks
    content_id: Mapped[str] = mapped_column(
        String(200), index=True
    )  # ProduceID or the service's content number
    content_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    service: Mapped[str] = mapped_column(String(200), default="")
    agreement_version: Mapped[str] = mapped_column(String(100))
    note: Mapped[str] = mapped_column(Text, default="")
    retain_until: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class AppStoreCheck(Base):
    """One app-store review of an app's labeling materials (Art. 7)."""

    __tablename__ = "platform_appstore_check"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    app_id: Mapped[str] = mapped_column(String(200), index=True)
    app_name: Mapped[str] = mapped_column(String(300), default="")
    developer: Mapped[str] = mapped_column(String(300), default="")
    app_version: Mapped[str] = mapped_column(String(100), default="")
    provides_aigc: Mapped[bool] = mapped_column(Boolean)
    items: Mapped[dict[str, Any]] = mapped_column(
        JSON
    )  # item id -> {"state": ..., "reference": ..., "note": ...}
    result: Mapped[str] = mapped_column(String(20))  # "complete" | "incomplete" | "not-applicable"
    reviewer: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    checked_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
