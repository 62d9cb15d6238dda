"""hegui's state: SQLAlchemy 2 models and Alembic migrations; SQLite (``./hegui.db``) by default, PostgreSQL when
``HEGUI_DATABASE_URL`` says so. Schema changes only through the migrations shipped in this package.

Wings add tables by defining models on :class:`Base` (prefix table names with the wing, e.g. ``rules_``), listing
the models module in :data:`MODEL_MODULES`, and adding a revision under ``hegui/store/migrations/versions/`` whose
``down_revision`` is the current head.
"""

from __future__ import annotations

from hegui.extras import require

require("store", "sqlalchemy", "alembic")

from hegui.store.db import (  # noqa: E402 - after the check that names the extra
    DEFAULT_URL,
    alembic_config,
    current_revision,
    database_url,
    dispose_engines,
    engine_for,
    head_revision,
    make_engine,
    masked_url,
    open_store,
    session,
    session_scope,
    upgrade,
)
from hegui.store.models import Base  # noqa: E402

# Modules that define tables on Base; the Alembic environment imports them all before autogenerate.
MODEL_MODULES: tuple[str, ...] = (
    "hegui.store.models",
    "hegui.assess.models",
    "hegui.label.platform.models",
    "hegui.corpus.models",
    "hegui.gateway.models",
    "hegui.web.models",
)

__all__ = [
    "DEFAULT_URL",
    "MODEL_MODULES",
    "Base",
    "alembic_config",
    "current_revision",
    "database_url",
    "dispose_engines",
    "engine_for",
    "head_revision",
    "make_engine",
    "masked_url",
    "open_store",
    "session",
    "session_scope",
    "upgrade",
]
