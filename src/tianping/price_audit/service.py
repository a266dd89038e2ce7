"""Audit runs: validate the inputs, run the rules on an engine bucket by bucket, record everything.

A run lives in ``<home>/price_audit/runs/<run_id>/``:

* ``run.json``: the manifest — inputs (paths, SHA-256, rows), parameters, engine and versions, history
  start, bucket count and the buckets already done, counts, output file and its SHA-256, start and end.
  With it a finding can be reproduced later (same inputs, same parameters, same rules version);
* ``input/``: the normalised Parquet of file inputs (the store's parts are read in place);
* ``parts/``: the findings of each finished bucket.

Series are independent under every rule, so a large input is split into ``K`` buckets by a stable hash
of the series key; an interrupted run resumes from the buckets it has not finished
(:func:`resume_audit`). Services never print: progress goes to the ``progress`` callback.
"""

from __future__ import annotations

import csv
import json
import math
import secrets
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.parquet as pq

from tianping import __version__, analytics
from tianping.core.errors import FieldError, NotFound, ValidationFailed
from tianping.core.settings import get_settings
from tianping.price_audit.episodes import prepare
from tianping.price_audit.io import InputKind, NormalisedFile, file_sha256, normalise_file
from tianping.price_audit.rules import (
    OUTPUT_COLUMNS,
    RULES,
    SORT_COLUMNS,
    AuditParams,
    all_findings,
    insufficient_history,
)
from tianping.price_audit.schemas import AUDIT_ZONE
from tianping.price_audit.store import (
    PG_TABLES,
    ImportOutcome,
    ObservationStore,
    PostgresObservationStore,
)

Progress = Callable[[str, int, int], None]
RUN_MANIFEST: Final = "run.json"
OUTPUT_FORMATS: Final = (".csv", ".parquet")

FINDINGS_SCHEMA: Final = pa.schema(
    [
        pa.field("rule_id", pa.string()),
        pa.field("article", pa.string()),
        pa.field("platform", pa.string()),
        pa.field("shop_id", pa.string()),
        pa.field("sku_id", pa.string()),
        pa.field("episode_start", pa.date32()),
        pa.field("observed_at", pa.timestamp("us", tz="UTC")),
        pa.field("strike_price", pa.decimal128(18, 2)),
        pa.field("price", pa.decimal128(18, 2)),
        pa.field("baseline_price", pa.decimal128(18, 2)),
        pa.field("window_start", pa.date32()),
        pa.field("window_end", pa.date32()),
        pa.field("evidence", pa.string()),
        pa.field("detail_zh", pa.string()),
    ]
)
COUNT_NAMES: Final = (
    "observations",
    "duplicates_dropped",
    "transactions",
    "episodes",
    "insufficient_history",
)


@dataclass(frozen=True)
class EngineOptions:
    """How to reach the engine; ``None`` fields fall back to the settings."""

    backend: str = "duckdb"
    spark_master: str | None = None
    spark_session: Any = None  # an existing SparkSession (tests share one)
    postgres_url: str | None = None

    def connect(self, temp_dir: Path) -> analytics.Engine:
        settings = get_settings()
        return analytics.connect(
            self.backend,
            temp_dir=temp_dir,
            memory_limit=settings.price_audit_duckdb_memory_limit,
            spark_master=self.spark_master or settings.price_audit_spark_master,
            spark_session_obj=self.spark_session,
            postgres_url=self.postgres_url or settings.price_audit_postgres_url or _postgres_database_url(),
        )


def _postgres_database_url() -> str | None:
    url = get_settings().resolved_database_url
    return url if url.startswith("postgres") else None


@dataclass
class AuditRun:
    """A finished (or resumed) run: its findings, sorted as the spec says, and its manifest."""

    run_id: str
    run_dir: Path
    manifest: dict[str, Any]
    findings: pa.Table = field(repr=False)

    @property
    def counts(self) -> dict[str, Any]:
        return dict(self.manifest["counts"])

    def rows(self) -> list[dict[str, Any]]:
        return list(self.findings.to_pylist())

    def summary_zh(self) -> str:
        c = self.manifest["counts"]
        by_rule = "，".join(f"{k} {v}" for k, v in c["by_rule"].items() if v)
        return (
            f"价格审计完成（运行 {self.run_id}，引擎 {self.manifest['engine']['name']}）："
            f"观测 {c['observations']:,} 条，去除重复 {c['duplicates_dropped']:,} 条；"
            f"比较期 {c['episodes']:,} 个，其中历史数据不足 {c['insufficient_history']:,} 个；"
            f"涉嫌问题 {c['findings']:,} 条" + (f"（{by_rule}）" if by_rule else "")
        )


# --- locations ------------------------------------------------------------------------------------


def audit_home(home: Path | None = None) -> Path:
    return (home or get_settings().home) / "price_audit"


def observation_store(home: Path | None = None) -> ObservationStore:
    return ObservationStore(audit_home(home) / "store")


def runs_dir(home: Path | None = None) -> Path:
    return audit_home(home) / "runs"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _new_run_id() -> str:
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def _write_manifest(run_dir: Path, manifest: dict[str, Any]) -> None:
    tmp = run_dir / (RUN_MANIFEST + ".tmp")
    tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    tmp.replace(run_dir / RUN_MANIFEST)


def load_manifest(run_id: str, *, home: Path | None = None) -> dict[str, Any]:
    path = runs_dir(home) / run_id / RUN_MANIFEST
    if not run_id or "/" in run_id or not path.exists():
        raise NotFound(f"没有编号为 {run_id} 的审计运行")
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def list_runs(*, home: Path | None = None) -> list[dict[str, Any]]:
    """Manifests of all runs, newest first."""
    root = runs_dir(home)
    if not root.exists():
        return []
    manifests = []
    for path in root.glob(f"*/{RUN_MANIFEST}"):
        manifests.append(json.loads(path.read_text(encoding="utf-8")))
    return sorted(manifests, key=lambda m: m["started_at"], reverse=True)


# --- running --------------------------------------------------------------------------------------


def _check_output(out: Path | None) -> None:
    if out is not None and out.suffix.lower() not in OUTPUT_FORMATS:
        raise ValidationFailed(
            "输出文件格式不支持",
            errors=[FieldError(field="out", message=f"请使用 .csv 或 .parquet 扩展名：{out.name}")],
        )


def _input_record(normalised: NormalisedFile) -> dict[str, Any]:
    return {
        "path": str(normalised.source.resolve()),
        "sha256": normalised.sha256,
        "size_bytes": normalised.size_bytes,
        "rows": normalised.rows,
        "normalised": str(normalised.path),
    }


def run_audit(
    *,
    observations: Path | None,
    transactions: Path | None = None,
    params: AuditParams | None = None,
    engine: EngineOptions | None = None,
    out: Path | None = None,
    buckets: int | None = None,
    progress: Progress | None = None,
    home: Path | None = None,
) -> AuditRun:
    """Audit an observations file (or, with ``observations=None``, the observation store).

    Unusable input raises ``ImportRejected`` (row and column of the first problem) before any engine
    starts; nothing but the run directory is written until the findings are complete.
    """
    params = params or AuditParams()
    engine = engine or EngineOptions()
    _check_output(out)
    if buckets is not None and not 1 <= buckets <= 4096:
        raise ValidationFailed("分桶数有误", errors=[FieldError(field="buckets", message="应为 1 至 4096")])
    run_id = _new_run_id()
    run_dir = runs_dir(home) / run_id
    run_dir.mkdir(parents=True)
    manifest: dict[str, Any] = {
        "run_id": run_id,
        "status": "preparing",
        "started_at": _now(),
        "finished_at": None,
        "tianping_version": __version__,
        "rules": [
            {"id": r.id, "article": r.article, "title": r.title_zh, "parameters": list(r.parameters)}
            for r in RULES
        ],
        "params": params.as_dict(),
        "engine": {"name": engine.backend},
        "inputs": {},
        "buckets": buckets,
        "completed_buckets": [],
        "output": {"path": str(out.resolve()) if out else None},
        "counts": None,
    }
    _write_manifest(run_dir, manifest)
    try:
        manifest["inputs"] = _prepare_inputs(
            run_dir, observations, transactions, engine=engine, progress=progress, home=home
        )
    except BaseException:
        shutil.rmtree(run_dir, ignore_errors=True)  # unusable input is not a run
        raise
    if buckets is None:
        rows = manifest["inputs"]["observations"]["rows"]
        buckets = max(1, math.ceil(rows / get_settings().price_audit_bucket_rows))
    manifest["buckets"] = buckets
    manifest["status"] = "running"
    _write_manifest(run_dir, manifest)
    return _execute(run_dir, manifest, engine, progress=progress, out=out)


def resume_audit(
    run_id: str,
    *,
    engine: EngineOptions | None = None,
    out: Path | None = None,
    progress: Progress | None = None,
    home: Path | None = None,
) -> AuditRun:
    """Finish an interrupted run with its recorded inputs and parameters, skipping finished buckets."""
    manifest = load_manifest(run_id, home=home)
    run_dir = runs_dir(home) / run_id
    if manifest["status"] == "preparing":
        raise ValidationFailed(
            f"审计运行 {run_id} 的输入未通过校验或未准备完成，无法续跑，请重新运行",
            errors=[FieldError(field="resume", message=manifest["status"])],
        )
    _check_output(out)
    if out is None and manifest["output"]["path"]:
        out = Path(manifest["output"]["path"])
    recorded = manifest["engine"]["name"]
    options = engine or EngineOptions(backend=recorded)
    if options.backend != recorded:
        raise ValidationFailed(
            "续跑必须使用原来的引擎",
            errors=[
                FieldError(field="backend", message=f"该运行使用 {recorded}，不能改用 {options.backend}")
            ],
        )
    _verify_inputs(manifest, home=home)
    return _execute(run_dir, manifest, options, progress=progress, out=out)


def _postgres_record(store: PostgresObservationStore, kind: InputKind) -> dict[str, Any]:
    parts = store.parts(kind)
    return {
        "source": "postgres",
        "table": PG_TABLES[kind],
        "parts": [p.number for p in parts],
        "fingerprint": store.fingerprint(kind),
        "files": [],
        "rows": sum(p.rows for p in parts),
    }


def _prepare_inputs(
    run_dir: Path,
    observations: Path | None,
    transactions: Path | None,
    *,
    engine: EngineOptions,
    progress: Progress | None,
    home: Path | None,
) -> dict[str, Any]:
    inputs: dict[str, Any] = {}
    if observations is None and engine.backend == "postgres":
        # Observations kept in PostgreSQL: the run reads exactly the imports listed now.
        connection = engine.connect(run_dir / "tmp")
        try:
            pg = PostgresObservationStore(connection, run_dir / "tmp")
            inputs["observations"] = _postgres_record(pg, InputKind.OBSERVATIONS)
            if not inputs["observations"]["parts"]:
                raise ValidationFailed(
                    "PostgreSQL 中没有观测数据",
                    errors=[
                        FieldError(
                            field="observations",
                            message="请先用 tianping prices import --into postgres 导入观测数据",
                        )
                    ],
                )
            has_tx = bool(pg.parts(InputKind.TRANSACTIONS))
            inputs["transactions"] = (
                _postgres_record(pg, InputKind.TRANSACTIONS) if has_tx and transactions is None else None
            )
        finally:
            connection.close()
        if transactions is not None:
            normalised = normalise_file(
                transactions,
                InputKind.TRANSACTIONS,
                run_dir / "input" / "transactions.parquet",
                progress=progress,
            )
            inputs["transactions"] = {
                "source": "file",
                **_input_record(normalised),
                "files": [str(normalised.path)],
            }
        return inputs
    store = observation_store(home)
    if observations is None:
        parts = store.parts(InputKind.OBSERVATIONS)
        if not parts:
            raise ValidationFailed(
                "观测库为空",
                errors=[
                    FieldError(field="observations", message="请先用 tianping prices import 导入观测数据")
                ],
            )
        inputs["observations"] = {
            "source": "store",
            "fingerprint": store.fingerprint(InputKind.OBSERVATIONS),
            "files": [str(store.root / p.file) for p in parts],
            "rows": sum(p.rows for p in parts),
        }
    else:
        normalised = normalise_file(
            observations,
            InputKind.OBSERVATIONS,
            run_dir / "input" / "observations.parquet",
            progress=progress,
        )
        inputs["observations"] = {
            "source": "file",
            **_input_record(normalised),
            "files": [str(normalised.path)],
        }
    if transactions is not None:
        normalised = normalise_file(
            transactions,
            InputKind.TRANSACTIONS,
            run_dir / "input" / "transactions.parquet",
            progress=progress,
        )
        inputs["transactions"] = {
            "source": "file",
            **_input_record(normalised),
            "files": [str(normalised.path)],
        }
    elif observations is None and store.parts(InputKind.TRANSACTIONS):
        parts = store.parts(InputKind.TRANSACTIONS)
        inputs["transactions"] = {
            "source": "store",
            "fingerprint": store.fingerprint(InputKind.TRANSACTIONS),
            "files": [str(store.root / p.file) for p in parts],
            "rows": sum(p.rows for p in parts),
        }
    else:
        inputs["transactions"] = None
    return inputs


def _verify_inputs(manifest: dict[str, Any], *, home: Path | None) -> None:
    """The files a run read must still be there, unchanged (the store only ever grows)."""
    for name in ("observations", "transactions"):
        record = manifest["inputs"].get(name)
        if record is None:
            continue
        missing = [f for f in record["files"] if not Path(f).exists()]
        if missing:
            raise ValidationFailed(
                "审计运行的输入文件已不存在，无法续跑",
                errors=[FieldError(field=name, message=missing[0])],
            )


def _counts_table(raw: ir.Table, raw_tx: ir.Table | None, frame: Any) -> ir.Table:
    kept = frame.observations
    table = raw.aggregate(observations=raw.count())
    table = table.cross_join(kept.aggregate(kept=kept.count()))
    table = table.cross_join(frame.episodes.aggregate(episodes=frame.episodes.count()))
    short = insufficient_history(frame)
    table = table.cross_join(short.aggregate(insufficient_history=short.count()))
    if raw_tx is not None:
        table = table.cross_join(raw_tx.aggregate(transactions=raw_tx.count()))
    return table


def _input_table(engine: analytics.Engine, record: dict[str, Any], kind: InputKind, name: str) -> ir.Table:
    if record["source"] == "postgres":
        if engine.name is not analytics.EngineName.POSTGRES:
            raise ValidationFailed(
                "该运行的输入保存在 PostgreSQL 中",
                errors=[FieldError(field="backend", message="请使用 --backend postgres")],
            )
        store = PostgresObservationStore(engine, Path("."))
        table: ir.Table = store.table(kind, record["parts"])
        return table
    return analytics.register_parquet(engine, [Path(f) for f in record["files"]], name)


def _materialiser(engine: analytics.Engine) -> Callable[[ir.Table], ir.Table] | None:
    """Spark recomputes a shared sub-plan once per rule unless it is cached; DuckDB and PostgreSQL
    share common table expressions themselves."""
    if engine.name is analytics.EngineName.SPARK:
        return analytics.materialise
    return None


def _execute(
    run_dir: Path,
    manifest: dict[str, Any],
    options: EngineOptions,
    *,
    progress: Progress | None,
    out: Path | None,
) -> AuditRun:
    params = AuditParams.from_dict(manifest["params"])
    k = int(manifest["buckets"])
    parts_dir = run_dir / "parts"
    parts_dir.mkdir(exist_ok=True)
    tag = manifest["run_id"].split("-")[-1]
    engine = options.connect(run_dir.parents[1] / "tmp")
    manifest["engine"] = {
        "name": engine.name.value,
        "description": engine.description,
        "versions": engine.versions,
    }
    try:
        raw = _input_table(
            engine, manifest["inputs"]["observations"], InputKind.OBSERVATIONS, f"tp_obs_{tag}"
        )
        tx_record = manifest["inputs"].get("transactions")
        raw_tx = (
            _input_table(engine, tx_record, InputKind.TRANSACTIONS, f"tp_tx_{tag}") if tx_record else None
        )
        if params.history_start is not None:
            history_start = params.history_start
        elif manifest.get("history_start"):
            history_start = date.fromisoformat(manifest["history_start"])
        else:
            history_start = analytics.scalar(engine, raw.day.min())
        manifest["history_start"] = history_start.isoformat()
        _write_manifest(run_dir, manifest)
        done = set(manifest["completed_buckets"])
        for bucket in range(k):
            if progress is not None:
                progress("审计分桶", len(done), k)
            if bucket in done:
                continue
            obs_b = raw if k == 1 else raw.filter(raw.series_hash % k == bucket)
            tx_b = (
                None
                if raw_tx is None
                else (raw_tx if k == 1 else raw_tx.filter(raw_tx.series_hash % k == bucket))
            )
            frame = prepare(obs_b, tx_b, history_start, materialise=_materialiser(engine))
            findings = analytics.to_arrow(engine, all_findings(frame, params)).cast(FINDINGS_SCHEMA)
            counts_row = analytics.to_arrow(engine, _counts_table(obs_b, tx_b, frame)).to_pylist()[0]
            pq.write_table(findings, parts_dir / f"bucket-{bucket:04d}.parquet")
            counts = {
                "observations": counts_row["observations"],
                "duplicates_dropped": counts_row["observations"] - counts_row["kept"],
                "transactions": counts_row.get("transactions") or 0,
                "episodes": counts_row["episodes"],
                "insufficient_history": counts_row["insufficient_history"],
            }
            (parts_dir / f"bucket-{bucket:04d}.json").write_text(json.dumps(counts), encoding="utf-8")
            done.add(bucket)
            manifest["completed_buckets"] = sorted(done)
            _write_manifest(run_dir, manifest)
        if progress is not None:
            progress("审计分桶", k, k)
    finally:
        engine.close()
    findings = sort_findings(
        pa.concat_tables(pq.read_table(parts_dir / f"bucket-{b:04d}.parquet") for b in range(k)).cast(
            FINDINGS_SCHEMA
        )
    )
    totals = dict.fromkeys(COUNT_NAMES, 0)
    for b in range(k):
        bucket_counts = json.loads((parts_dir / f"bucket-{b:04d}.json").read_text(encoding="utf-8"))
        for name in COUNT_NAMES:
            totals[name] += int(bucket_counts[name])
    by_rule = dict.fromkeys((r.id for r in RULES), 0)
    for rule_id in findings.column("rule_id").to_pylist():
        by_rule[rule_id] += 1
    manifest["counts"] = {**totals, "findings": findings.num_rows, "by_rule": by_rule}
    if out is not None:
        write_findings(findings, out)
        manifest["output"] = {
            "path": str(out.resolve()),
            "sha256": file_sha256(out),
            "rows": findings.num_rows,
        }
    pq.write_table(findings, run_dir / "findings.parquet")
    manifest["status"] = "finished"
    manifest["finished_at"] = _now()
    _write_manifest(run_dir, manifest)
    return AuditRun(run_id=manifest["run_id"], run_dir=run_dir, manifest=manifest, findings=findings)


def load_run(run_id: str, *, home: Path | None = None) -> AuditRun:
    """A finished run with its findings (for pages and reports)."""
    manifest = load_manifest(run_id, home=home)
    run_dir = runs_dir(home) / run_id
    if manifest["status"] != "finished":
        raise NotFound(f"审计运行 {run_id} 尚未完成（{manifest['status']}），可用 --resume 续跑")
    findings = pq.read_table(run_dir / "findings.parquet").cast(FINDINGS_SCHEMA)
    return AuditRun(run_id=run_id, run_dir=run_dir, manifest=manifest, findings=findings)


# --- output ---------------------------------------------------------------------------------------


def sort_findings(findings: pa.Table) -> pa.Table:
    """Sorted by rule_id, platform, shop_id, sku_id, episode_start (then the instant, for a total order)."""
    return findings.sort_by([(c, "ascending") for c in SORT_COLUMNS]).select(list(OUTPUT_COLUMNS))


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(AUDIT_ZONE).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return str(value)


def write_findings(findings: pa.Table, path: Path) -> None:
    """CSV (UTF-8, instants in Asia/Shanghai with their offset) or Parquet, chosen by the extension."""
    _check_output(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".partial")
    if path.suffix.lower() == ".parquet":
        pq.write_table(findings, tmp)
    else:
        with tmp.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(OUTPUT_COLUMNS)
            for batch in findings.to_batches(max_chunksize=10_000):
                columns = [batch.column(name).to_pylist() for name in OUTPUT_COLUMNS]
                for i in range(batch.num_rows):
                    writer.writerow([_csv_value(column[i]) for column in columns])
    tmp.replace(path)


# --- the observation store ------------------------------------------------------------------------


def import_observations(
    sources: list[Path],
    *,
    kind: InputKind = InputKind.OBSERVATIONS,
    into: str = "store",
    postgres_url: str | None = None,
    progress: Progress | None = None,
    home: Path | None = None,
) -> list[ImportOutcome]:
    """Validate and append files to the Parquet store (``into="store"``) or to the PostgreSQL tables
    (``into="postgres"``); a file already imported (same content) adds nothing."""
    if not sources:
        raise ValidationFailed("没有要导入的文件", errors=[FieldError(field="files", message="至少一个文件")])
    if into == "store":
        return observation_store(home).import_files(sources, kind, progress=progress)
    if into != "postgres":
        raise ValidationFailed(
            "导入目标有误", errors=[FieldError(field="into", message="应为 store 或 postgres")]
        )
    work = audit_home(home) / "tmp"
    engine = EngineOptions(backend="postgres", postgres_url=postgres_url).connect(work)
    try:
        return PostgresObservationStore(engine, work).import_files(sources, kind, progress=progress)
    finally:
        engine.close()


def postgres_store_rows(*, postgres_url: str | None = None, home: Path | None = None) -> dict[str, int]:
    """How many observations and transactions the PostgreSQL tables hold (imports listed in the manifest)."""
    work = audit_home(home) / "tmp"
    engine = EngineOptions(backend="postgres", postgres_url=postgres_url).connect(work)
    try:
        store = PostgresObservationStore(engine, work)
        return {kind.value: store.rows(kind) for kind in InputKind}
    finally:
        engine.close()
