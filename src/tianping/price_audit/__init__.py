"""Promotion price audit (issue 5): rules R1–R7 of ``spec/price-observations.md`` over price observations.

Public surface for the edges (CLI now, officer pages later):

* :func:`run_audit` / :func:`resume_audit` / :func:`load_run` / :func:`list_runs` — audit runs with
  their findings (an Arrow table in the output schema) and a manifest that makes them reproducible;
* :func:`import_observations` — append validated files to the Parquet observation store;
* :class:`AuditParams`, :data:`RULES` — the thresholds (spec defaults) and the rules with their articles.
"""

from tianping.price_audit.io import InputKind
from tianping.price_audit.rules import RULES, AuditParams, Rule
from tianping.price_audit.service import (
    FINDINGS_SCHEMA,
    AuditRun,
    EngineOptions,
    import_observations,
    list_runs,
    load_run,
    observation_store,
    postgres_store_rows,
    resume_audit,
    run_audit,
    write_findings,
)

__all__ = [
    "FINDINGS_SCHEMA",
    "RULES",
    "AuditParams",
    "AuditRun",
    "EngineOptions",
    "InputKind",
    "Rule",
    "import_observations",
    "list_runs",
    "load_run",
    "observation_store",
    "postgres_store_rows",
    "resume_audit",
    "run_audit",
    "write_findings",
]
