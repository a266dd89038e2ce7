"""The migrations build exactly the schema the models describe, on every backend."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine

import tianping.models  # noqa: F401
from tianping.core.db import Base
from tianping.migrate import current_revision, head_revision


def test_database_is_at_head(db_engine: Engine) -> None:
    with db_engine.connect() as conn:
        assert current_revision(conn) == head_revision()


def test_models_match_migrations(db_engine: Engine) -> None:
    with db_engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == [], f"models and migrations differ; write a revision: {diff}"
