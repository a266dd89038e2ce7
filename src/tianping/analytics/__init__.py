"""The analytics layer: Ibis expressions and the engine connection (DuckDB by default, Spark at scale).

It sits between ``core`` and the domains, and is the only package allowed to know which engine runs a
query: domains build backend-neutral Ibis expressions and hand them to :func:`to_arrow`.
"""

from tianping.analytics.engines import (
    Engine,
    EngineName,
    EngineUnavailable,
    append_arrow,
    connect,
    create_table,
    delete_where_equal,
    exclusive,
    has_table,
    materialise,
    register_arrow,
    register_parquet,
    scalar,
    spark_session,
    spark_unavailable_reason,
    table,
    to_arrow,
)

__all__ = [
    "Engine",
    "EngineName",
    "EngineUnavailable",
    "append_arrow",
    "connect",
    "create_table",
    "delete_where_equal",
    "exclusive",
    "has_table",
    "materialise",
    "register_arrow",
    "register_parquet",
    "scalar",
    "spark_session",
    "spark_unavailable_reason",
    "table",
    "to_arrow",
]
