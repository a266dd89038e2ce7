"""Connecting an Ibis backend, registering inputs on it, and bringing results back as Arrow.

This is the only module that knows engines. Domain code builds Ibis expressions over the tables this
module registers and calls :func:`to_arrow`; it never imports DuckDB, PySpark or psycopg.

* ``duckdb`` (default): embedded, in-memory, spilling to a temporary directory.
* ``spark``: PySpark, local mode (``local[2]``) or a cluster URL (``spark://host:7077``, ``yarn``…).
  The session time zone is UTC so that instants survive the round trip unchanged.
* ``postgres``: a PostgreSQL database reached with a SQLAlchemy-style URL; inputs kept there are used
  in place, small inputs from files are loaded into temporary tables.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa
import sqlglot as sg
from ibis.backends import BaseBackend

SPARK_CONF: dict[str, str] = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.shuffle.partitions": "2",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
}


class EngineName(StrEnum):
    DUCKDB = "duckdb"
    SPARK = "spark"
    POSTGRES = "postgres"


class EngineUnavailable(RuntimeError):
    """The engine cannot run here (library or Java missing, server unreachable); the text says why."""


@dataclass
class Engine:
    """A connected backend and what was used to connect it (recorded with every audit run)."""

    name: EngineName
    backend: BaseBackend
    description: str
    versions: dict[str, str] = field(default_factory=dict)
    owns_session: bool = False

    def close(self) -> None:
        if self.name is EngineName.SPARK:
            if self.owns_session:
                self.backend.disconnect()
            return
        self.backend.disconnect()


def spark_unavailable_reason() -> str | None:
    """Why PySpark cannot start here, or ``None`` when it can (pyspark importable and Java present)."""
    if importlib.util.find_spec("pyspark") is None:
        return "pyspark is not installed (pip install 'tianping[spark]')"
    if shutil.which("java") is None and not _java_home_has_java():
        return "Java is not installed (PySpark needs a JRE 17+ on PATH or in JAVA_HOME)"
    return None


def _java_home_has_java() -> bool:
    home = os.environ.get("JAVA_HOME")
    return home is not None and (Path(home) / "bin" / "java").exists()


def spark_session(
    master: str, *, app_name: str = "tianping-price-audit", conf: dict[str, str] | None = None
) -> Any:
    """Get or create the process's SparkSession (one per JVM) with the settings the rules rely on."""
    reason = spark_unavailable_reason()
    if reason is not None:
        raise EngineUnavailable(reason)
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.master(master).appName(app_name)
    for key, value in {**SPARK_CONF, **(conf or {})}.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def connect(
    backend: str | EngineName = EngineName.DUCKDB,
    *,
    temp_dir: Path | None = None,
    memory_limit: str | None = None,
    threads: int | None = None,
    spark_master: str = "local[2]",
    spark_session_obj: Any = None,
    postgres_url: str | None = None,
) -> Engine:
    """Connect an Ibis backend. ``spark_session_obj`` reuses an existing SparkSession (tests)."""
    name = EngineName(backend)
    if name is EngineName.DUCKDB:
        import duckdb

        config: dict[str, Any] = {}
        if temp_dir is not None:
            temp_dir.mkdir(parents=True, exist_ok=True)
            config["temp_directory"] = str(temp_dir)
        if memory_limit:
            config["memory_limit"] = memory_limit
        if threads:
            config["threads"] = threads
        con = ibis.duckdb.connect(**config)
        return Engine(
            name=name,
            backend=con,
            description="duckdb (embedded)",
            versions={"ibis": ibis.__version__, "duckdb": duckdb.__version__},
        )
    if name is EngineName.SPARK:
        owns = spark_session_obj is None
        session = spark_session(spark_master) if owns else spark_session_obj
        for key in ("spark.sql.session.timeZone",):
            session.conf.set(key, SPARK_CONF[key])
        con = ibis.pyspark.connect(session)
        master = session.sparkContext.master
        return Engine(
            name=name,
            backend=con,
            description=f"spark ({master})",
            versions={"ibis": ibis.__version__, "pyspark": session.version},
            owns_session=owns,
        )
    if not postgres_url:
        raise EngineUnavailable("the postgres engine needs a database URL (postgresql://user@host/db)")
    import psycopg

    try:
        con = ibis.postgres.connect(**_postgres_kwargs(postgres_url))
    except psycopg.OperationalError as exc:
        raise EngineUnavailable(f"PostgreSQL is unreachable: {str(exc).strip().splitlines()[0]}") from None
    server = con.version
    return Engine(
        name=name,
        backend=con,
        description=f"postgres ({_redact(postgres_url)})",
        versions={"ibis": ibis.__version__, "postgres": server},
    )


def _postgres_kwargs(url: str) -> dict[str, Any]:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if not parsed.drivername.startswith("postgres"):
        raise EngineUnavailable(f"not a PostgreSQL URL: {parsed.drivername}")
    kwargs: dict[str, Any] = {
        "host": parsed.host,
        "user": parsed.username,
        "password": parsed.password,
        "database": parsed.database,
    }
    if parsed.port:
        kwargs["port"] = parsed.port
    return {k: v for k, v in kwargs.items() if v is not None}


def _redact(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def register_parquet(engine: Engine, paths: Sequence[Path], name: str) -> ibis.Table:
    """Expose Parquet files (one schema) as the table ``name``."""
    files = [str(p) for p in paths]
    if not files:
        raise ValueError("no Parquet files to register")
    if engine.name is EngineName.DUCKDB:
        return engine.backend.read_parquet(files, table_name=name)
    if engine.name is EngineName.SPARK:
        session = engine.backend._session
        session.read.parquet(*files).createOrReplaceTempView(name)
        return engine.backend.table(name)
    import pyarrow.parquet as pq

    return register_arrow(engine, pa.concat_tables(pq.read_table(f) for f in files), name)


def register_arrow(engine: Engine, table: pa.Table, name: str) -> ibis.Table:
    """Load an Arrow table as a temporary table ``name`` (small inputs; Spark reads files instead)."""
    if engine.name is EngineName.SPARK:
        raise ValueError("Spark reads inputs from Parquet files; use register_parquet")
    if engine.name is EngineName.DUCKDB:
        engine.backend.con.register(name, table)
        return engine.backend.table(name)
    return engine.backend.create_table(name, table, temp=True)


def materialise(table: ibis.Table) -> ibis.Table:
    """Compute ``table`` once and keep it for the following queries (a cached DataFrame on Spark, a
    temporary table elsewhere); released when the returned expression is garbage-collected."""
    return table.cache()


def has_table(engine: Engine, name: str) -> bool:
    return name in engine.backend.list_tables()


def create_table(engine: Engine, name: str, schema: pa.Schema) -> ibis.Table:
    """Create a persistent, empty table (NOT NULL where the Arrow field is not nullable)."""
    return engine.backend.create_table(name, schema=ibis.Schema.from_pyarrow(schema))


def table(engine: Engine, name: str) -> ibis.Table:
    return engine.backend.table(name)


def append_arrow(engine: Engine, name: str, rows: pa.Table) -> None:
    """Append ``rows`` (columns named as the table's) to the persistent table ``name``."""
    if rows.num_rows:
        engine.backend.insert(name, rows)


def _execute(engine: Engine, sql: str) -> None:
    """Run one statement and release its cursor (``raw_sql`` returns a cursor context)."""
    with engine.backend.raw_sql(sql):
        pass


def delete_where_equal(engine: Engine, name: str, column: str, value: int) -> None:
    """``DELETE FROM name WHERE column = value`` (integer value), for clearing a crashed import."""
    quoted = engine.backend.compiler.quoted
    statement = sg.delete(sg.table(name, quoted=quoted)).where(
        sg.column(column, quoted=quoted).eq(sg.exp.Literal.number(int(value)))
    )
    _execute(engine, statement.sql(engine.backend.dialect))


@contextlib.contextmanager
def exclusive(engine: Engine, key: int) -> Iterator[None]:
    """Serialise writers across processes: a PostgreSQL advisory lock (other engines: a no-op)."""
    if engine.name is not EngineName.POSTGRES:
        yield
        return
    _execute(engine, f"SELECT pg_advisory_lock({int(key)})")
    try:
        yield
    finally:
        _execute(engine, f"SELECT pg_advisory_unlock({int(key)})")


def to_arrow(engine: Engine, expr: ibis.Table) -> pa.Table:
    """Execute ``expr`` and return Arrow with the expression's types; timestamps come back UTC-aware."""
    if engine.name is EngineName.SPARK:
        session = engine.backend._session
        sql = engine.backend.compile(expr)
        result = session.sql(sql).toArrow()
    else:
        result = engine.backend.to_pyarrow(expr)
    return _normalise_types(result, expr.schema().to_pyarrow())


def _normalise_types(table: pa.Table, schema: pa.Schema) -> pa.Table:
    columns = []
    for target in schema:
        column = table.column(target.name)
        if pa.types.is_timestamp(target.type) or pa.types.is_timestamp(column.type):
            target_type = pa.timestamp("us", tz="UTC")
            if pa.types.is_timestamp(column.type) and column.type.tz is None:
                # Spark's session zone and our stored instants are UTC: naive values are UTC.
                column = column.cast(pa.timestamp(column.type.unit, tz="UTC"))
            column = column.cast(target_type)
        else:
            column = column.cast(target.type)
        columns.append(column)
    fields = [
        pa.field(f.name, pa.timestamp("us", tz="UTC") if pa.types.is_timestamp(f.type) else f.type)
        for f in schema
    ]
    return pa.Table.from_arrays(columns, schema=pa.schema(fields))


def scalar(engine: Engine, expr: ibis.Scalar) -> Any:
    """Execute a scalar expression (e.g. ``table.day.min()``) and return the Python value."""
    table = to_arrow(engine, expr.name("value").as_table())
    return table.column("value")[0].as_py() if table.num_rows else None
