"""rules: evidence register (evidence items per duty, and the team's status per duty)

Revision ID: 0001_rules_evidence
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_rules_evidence"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rules_evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service", sa.String(length=200), nullable=False),
        sa.Column("duty_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("location", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("evidence_date", sa.Date(), nullable=False),
        sa.Column("review_due", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rules_evidence")),
    )
    op.create_index(op.f("ix_rules_evidence_service"), "rules_evidence", ["service"])
    op.create_index(op.f("ix_rules_evidence_duty_id"), "rules_evidence", ["duty_id"])
    op.create_table(
        "rules_duty_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service", sa.String(length=200), nullable=False),
        sa.Column("duty_id", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rules_duty_state")),
        sa.UniqueConstraint("service", "duty_id", name="uq_rules_duty_state_service_duty"),
    )
    op.create_index(op.f("ix_rules_duty_state_service"), "rules_duty_state", ["service"])


def downgrade() -> None:
    op.drop_index(op.f("ix_rules_duty_state_service"), table_name="rules_duty_state")
    op.drop_table("rules_duty_state")
    op.drop_index(op.f("ix_rules_evidence_duty_id"), table_name="rules_evidence")
    op.drop_index(op.f("ix_rules_evidence_service"), table_name="rules_evidence")
    op.drop_table("rules_evidence")
