"""gateway: users, strikes, decisions, complaints

Revision ID: 202612062130_gateway
Revises: 202612062100_corpus
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "202612062130_gateway"
down_revision = "202612062100_corpus"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "gateway_users",
        sa.Column("user_key", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("strikes_total", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("user_key", name=op.f("pk_gateway_users")),
    )
    op.create_table(
        "gateway_strikes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_key", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("risk", sa.String(length=40), nullable=False),
        sa.Column("direction", sa.String(length=10), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("cleared", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_key"],
            ["gateway_users.user_key"],
            name=op.f("fk_gateway_strikes_user_key_gateway_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gateway_strikes")),
    )
    op.create_index("ix_gateway_strikes_user_at", "gateway_strikes", ["user_key", "at"])
    op.create_table(
        "gateway_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("user_key", sa.String(length=200), nullable=False),
        sa.Column("endpoint", sa.String(length=40), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("direction", sa.String(length=10), nullable=False),
        sa.Column("risks", sa.JSON(), nullable=False),
        sa.Column("input_sha256", sa.String(length=64), nullable=False),
        sa.Column("output_sha256", sa.String(length=64), nullable=False),
        sa.Column("input_text", sa.Text(), nullable=True),
        sa.Column("output_text", sa.Text(), nullable=True),
        sa.Column("upstream_status", sa.Integer(), nullable=False),
        sa.Column("added_ms", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gateway_decisions")),
    )
    op.create_index("ix_gateway_decisions_at", "gateway_decisions", ["at"])
    op.create_index("ix_gateway_decisions_user", "gateway_decisions", ["user_key"])
    op.create_table(
        "gateway_complaints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("contact", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gateway_complaints")),
    )


def downgrade() -> None:
    op.drop_table("gateway_complaints")
    op.drop_index("ix_gateway_decisions_user", table_name="gateway_decisions")
    op.drop_index("ix_gateway_decisions_at", table_name="gateway_decisions")
    op.drop_table("gateway_decisions")
    op.drop_index("ix_gateway_strikes_user_at", table_name="gateway_strikes")
    op.drop_table("gateway_strikes")
    op.drop_table("gateway_users")
