"""corpus: source register and source assessments

Revision ID: 202612062100_corpus
Revises: 202612062030_platform_deliveries
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "202612062100_corpus"
down_revision = "202612062030_platform_deliveries"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "corpus_sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("licence", sa.String(length=200), nullable=False),
        sa.Column("documents", sa.JSON(), nullable=False),
        sa.Column("collection", sa.Text(), nullable=False),
        sa.Column("contract", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_corpus_sources")),
        sa.UniqueConstraint("name", name=op.f("uq_corpus_sources_name")),
    )
    op.create_table(
        "corpus_assessments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("scanned", sa.Integer(), nullable=False),
        sa.Column("flagged", sa.Integer(), nullable=False),
        sa.Column("rate", sa.Float(), nullable=False),
        sa.Column("ci_low", sa.Float(), nullable=False),
        sa.Column("ci_high", sa.Float(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("lexicon_digest", sa.String(length=64), nullable=False),
        sa.Column("scan_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["corpus_sources.id"],
            name=op.f("fk_corpus_assessments_source_id_corpus_sources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_corpus_assessments")),
    )
    op.create_index(op.f("ix_corpus_assessments_source_id"), "corpus_assessments", ["source_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_corpus_assessments_source_id"), table_name="corpus_assessments")
    op.drop_table("corpus_assessments")
    op.drop_table("corpus_sources")
