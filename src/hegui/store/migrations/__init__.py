"""Alembic migrations of the hegui store (shipped in the package)."""
