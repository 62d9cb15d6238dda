"""platform: Art. 9 unlabelled-delivery log and Art. 7 app-store label checks

Revision ID: 202612062030_platform_deliveries
Revises: 202612062015_assess_runs
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "202612062030_platform_deliveries"
down_revision = "202612062015_assess_runs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "platform_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recipient", sa.String(length=200), nullable=False),
        sa.Column("recipient_info", sa.Text(), nullable=False),
        sa.Column("content_id", sa.String(length=200), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=True),
        sa.Column("service", sa.String(length=200), nullable=False),
        sa.Column("agreement_version", sa.String(length=100), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("retain_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_platform_delivery")),
    )
    for column in ("delivered_at", "recipient", "content_id", "retain_until"):
        op.create_index(op.f(f"ix_platform_delivery_{column}"), "platform_delivery", [column])
    op.create_table(
        "platform_appstore_check",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("app_id", sa.String(length=200), nullable=False),
        sa.Column("app_name", sa.String(length=300), nullable=False),
        sa.Column("developer", sa.String(length=300), nullable=False),
        sa.Column("app_version", sa.String(length=100), nullable=False),
        sa.Column("provides_aigc", sa.Boolean(), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("result", sa.String(length=20), nullable=False),
        sa.Column("reviewer", sa.String(length=200), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_platform_appstore_check")),
    )
    for column in ("app_id", "checked_at"):
        op.create_index(op.f(f"ix_platform_appstore_check_{column}"), "platform_appstore_check", [column])


def downgrade() -> None:
    for column in ("app_id", "checked_at"):
        op.drop_index(op.f(f"ix_platform_appstore_check_{column}"), table_name="platform_appstore_check")
    op.drop_table("platform_appstore_check")
    for column in ("delivered_at", "recipient", "content_id", "retain_until"):
        op.drop_index(op.f(f"ix_platform_delivery_{column}"), table_name="platform_delivery")
    op.drop_table("platform_delivery")
