"""One typed settings object, read from ``TIANPING_*`` environment variables.

Every setting is documented in ``docs/settings.md``; a test fails when one is not.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "tianping-demo-secret-change-me"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TIANPING_", extra="ignore")

    mode: Literal["demo", "development", "test", "production"] = Field(
        default="demo", description="Run mode; production refuses default secrets and insecure cookies."
    )
    home: Path = Field(default=Path("var"), description="Data directory (SQLite file, calendars, uploads).")
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default is an embedded SQLite file under the data directory. "
        "Use postgresql+psycopg://user@host/db for PostgreSQL.",
    )
    secret_key: str = Field(
        default=DEFAULT_SECRET, description="Secret for signing; must be set in production."
    )
    timezone: str = Field(
        default="Asia/Shanghai", description="Zone in which times are shown and days counted."
    )
    session_hours: int = Field(default=12, ge=1, le=24 * 30, description="Lifetime of a web session.")
    cookie_secure: bool = Field(default=False, description="Send the session cookie only over HTTPS.")
    login_max_failures: int = Field(
        default=5, ge=1, description="Failed logins allowed per account and address within the window."
    )
    login_window_minutes: int = Field(default=15, ge=1, description="Window of the login rate limit.")
    import_max_bytes: int = Field(
        default=32 * 1024 * 1024, ge=1024, description="Largest CSV/XLSX file accepted by an import."
    )
    import_max_rows: int = Field(default=500_000, ge=1, description="Most data rows accepted in one import.")
    xlsx_max_uncompressed_bytes: int = Field(
        default=256 * 1024 * 1024, ge=1024, description="Zip-bomb guard: largest unpacked size of an XLSX."
    )
    xlsx_max_ratio: int = Field(default=200, ge=2, description="Zip-bomb guard: largest compression ratio.")
    demo_seed: int = Field(default=20250618, description="Random seed of the demo dataset.")
    demo_entities: int = Field(
        default=6000, ge=100, description="Number of market entities in the demo dataset."
    )
    log_level: str = Field(default="INFO", description="Python logging level.")
    sqlite_cache_mb: int = Field(
        default=64, ge=2, le=4096, description="Embedded SQLite: page cache per connection (MiB)."
    )
    sqlite_mmap_mb: int = Field(
        default=2048,
        ge=0,
        le=65536,
        description="Embedded SQLite: memory-mapped I/O window (MiB; 0 = off). Large statistics scans read "
        "the file without a copy per page; the OS shares the mapped pages between connections.",
    )
    price_audit_spark_master: str = Field(
        default="local[2]",
        description="Spark master of `tianping prices audit --backend spark`: local[N] or a cluster URL "
        "(spark://host:7077, yarn, k8s://…).",
    )
    complaints_triage_min_confidence: float = Field(
        default=0.6,
        ge=0.0,
        le=1.0,
        description="Triage: a predicted category below this confidence goes to the human review queue.",
    )
    complaints_duplicate_window_days: int = Field(
        default=30,
        ge=1,
        description="Triage: tickets from the same complainant about the same business within this many "
        "days, or near-duplicate texts, are linked as one matter.",
    )
    complaints_near_duplicate_threshold: float = Field(
        default=0.8,
        gt=0.0,
        le=1.0,
        description="Triage: similarity (0–1) of two texts above which they are near-duplicates.",
    )
    complaints_odr_reply_workdays: int = Field(
        default=10,
        ge=1,
        description="ODR: working days a platform has to reply to a complaint about it.",
    )
    complaints_due_soon_workdays: int = Field(
        default=2, ge=0, description="Deadlines: a clock due within this many working days is due soon."
    )
    complaints_public_per_hour: int = Field(
        default=10,
        ge=1,
        description="Public complaint form and API: anonymous submissions accepted per network address "
        "per hour.",
    )
    complaints_public_min_count: int = Field(
        default=10,
        ge=1,
        description="Open-data export: a group with fewer tickets than this is suppressed.",
    )
    price_audit_postgres_url: str | None = Field(
        default=None,
        description="PostgreSQL URL of `--backend postgres`; default is the main database when it is "
        "PostgreSQL.",
    )
    price_audit_bucket_rows: int = Field(
        default=20_000_000,
        ge=1000,
        description="Observations per bucket of a price audit; a run is split into this many-row buckets "
        "of series so it can resume after an interruption.",
    )
    price_audit_duckdb_memory_limit: str | None = Field(
        default=None,
        pattern=r"^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$",
        description="Memory limit of the embedded DuckDB engine (e.g. 4GB); default is DuckDB's own "
        "(80% of RAM). It spills to <home>/price_audit/tmp beyond it.",
    )
    evidence_max_bytes: int = Field(
        default=256 * 1024 * 1024, ge=1, description="Largest file accepted into the evidence vault."
    )
    evidence_origin: str = Field(
        default="tianping.invalid/evidence",
        pattern=r"^[A-Za-z0-9._~/:-]{3,120}$",
        description="Origin line of the evidence log's signed checkpoints (schema-less URL naming this "
        "installation, no spaces or '+'); a random log id is appended when a log is created.",
    )
    evidence_public_per_hour: int = Field(
        default=20,
        ge=1,
        description="Public evidence submission: anonymous files accepted per network address per hour.",
    )
    evidence_batch_max: int = Field(
        default=512, ge=1, le=10_000, description="Most evidence submissions committed in one batch."
    )
    evidence_batch_wait_ms: int = Field(
        default=20,
        ge=0,
        le=1000,
        description="Longest time the evidence writer keeps a batch open for more submissions "
        "(it closes earlier once none arrive for 2 ms).",
    )

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.mode == "production":
            if self.secret_key == DEFAULT_SECRET or len(self.secret_key) < 32:
                raise ValueError(
                    "TIANPING_SECRET_KEY must be set to a random value of 32+ characters in production"
                )
            if not self.cookie_secure:
                raise ValueError("TIANPING_COOKIE_SECURE must be true in production")
        return self

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'tianping.db').resolve()}"

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    def ensure_home(self) -> Path:
        self.home.mkdir(parents=True, exist_ok=True)
        return self.home


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def reset_settings_cache() -> None:
    get_settings.cache_clear()
