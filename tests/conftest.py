"""Test fixtures: real databases (SQLite always, PostgreSQL when configured), per-test rollback.

* ``TIANPING_TEST_POSTGRES_URL`` (e.g. ``postgresql+psycopg://postgres@127.0.0.1:5432/test``): every
  database test also runs on PostgreSQL; an unreachable server FAILS the run, it is never skipped.
* ``TIANPING_TEST_BROWSER=1``: browser tests drive Debian's Chromium through Playwright; a missing
  browser fails the run.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
POSTGRES_URL = os.environ.get("TIANPING_TEST_POSTGRES_URL", "").strip()


@pytest.fixture(scope="session", autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Each test run gets its own data directory and the demo-mode settings."""
    home = tmp_path_factory.mktemp("tianping-home")
    old = {k: os.environ.get(k) for k in ("TIANPING_HOME", "TIANPING_DATABASE_URL", "TIANPING_MODE")}
    os.environ["TIANPING_HOME"] = str(home)
    os.environ["TIANPING_MODE"] = "test"
    os.environ.pop("TIANPING_DATABASE_URL", None)
    from tianping.core.settings import reset_settings_cache

    reset_settings_cache()
    yield home
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    reset_settings_cache()


def _worker() -> str:
    return re.sub(r"\W", "", os.environ.get("PYTEST_XDIST_WORKER", "main")) or "main"


def _fresh_postgres_database() -> str:
    """Create (or recreate) a database of this test worker and return its URL."""
    url = make_url(POSTGRES_URL)
    name = f"tianping_test_{_worker()}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0"))
    except Exception as exc:  # a configured server that does not answer is a failure, not a skip
        pytest.fail(f"TIANPING_TEST_POSTGRES_URL is set but PostgreSQL is unreachable: {exc}", pytrace=False)
    finally:
        admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


_ENGINES: dict[str, Engine] = {}


def _engine_for(backend: str, home: Path) -> Engine:
    if backend not in _ENGINES:
        from tianping.core.db import make_engine
        from tianping.migrate import upgrade

        if backend == "sqlite":
            url = f"sqlite:///{home / f'test-{_worker()}.db'}"
        else:
            url = _fresh_postgres_database()
        upgrade(url)  # the schema comes from the migrations, so they are tested on every run
        _ENGINES[backend] = make_engine(url=url)
    return _ENGINES[backend]


BACKENDS = [pytest.param("sqlite", id="sqlite")]
if POSTGRES_URL:
    BACKENDS.append(pytest.param("postgres", id="postgres", marks=pytest.mark.postgres))


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def db_engine(backend: str, _isolated_home: Path) -> Engine:
    return _engine_for(backend, _isolated_home)


@pytest.fixture
def db_session(db_engine: Engine) -> Iterator[Session]:
    """A session inside an outer transaction that is rolled back after the test.

    Code under test may call ``commit()``: it only releases a SAVEPOINT.
    """
    from tianping.core.db import set_engine

    conn = db_engine.connect()
    outer = conn.begin()
    session = Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)
    set_engine(db_engine)
    try:
        yield session
    finally:
        session.close()
        outer.rollback()
        conn.close()
        set_engine(None)


@pytest.fixture
def app(db_session: Session):  # type: ignore[no-untyped-def]
    from tianping.app import create_app
    from tianping.core.db import request_session

    application = create_app()

    def _override() -> Iterator[Session]:
        try:
            yield db_session
            db_session.commit()
        except BaseException:
            db_session.rollback()
            raise

    application.dependency_overrides[request_session] = _override
    return application


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as c:
        yield c


def shared_path(*parts: str) -> Path:
    """A file under ../shared, or a skip with a clear reason when this clone has none."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"../shared research data not present ({path}); CI provides it")
    return path


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # type: ignore[no-untyped-def]
    """Say in the log how many tests really exercised PostgreSQL, Chromium and ../shared data."""
    passed = terminalreporter.stats.get("passed", [])
    counts = {
        m: sum(1 for r in passed if m in r.keywords) for m in ("postgres", "browser", "spark", "shared_data")
    }
    terminalreporter.write_line(
        "real components exercised: " + ", ".join(f"{name} {n} passed" for name, n in counts.items())
    )
