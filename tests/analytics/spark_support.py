"""One SparkSession per test run, shared by every ``spark`` test.

* PySpark and Java present: the session starts once (local[2], no UI, UTC, 2 shuffle partitions).
* Missing: the tests are skipped with the reason — unless ``TIANPING_TEST_SPARK=1`` (CI sets it), where
  a missing Spark FAILS the run instead of passing silently.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

from tianping.analytics import spark_session, spark_unavailable_reason

SPARK_WANTED = os.environ.get("TIANPING_TEST_SPARK", "") not in ("", "0", "false")
_SESSION: dict[str, Any] = {}


def shared_spark_session() -> Any:
    """The run's SparkSession, started on first use; skips (or fails under TIANPING_TEST_SPARK=1)."""
    if "session" in _SESSION:
        return _SESSION["session"]
    reason = spark_unavailable_reason()
    if reason is not None:
        if SPARK_WANTED:
            pytest.fail(f"TIANPING_TEST_SPARK=1 but Spark cannot start: {reason}", pytrace=False)
        pytest.skip(f"Spark not available here: {reason} (CI sets TIANPING_TEST_SPARK=1)")
    try:
        session = spark_session("local[2]", app_name="tianping-tests")
    except Exception as exc:  # a JVM that does not come up is a failure when Spark is wanted
        if SPARK_WANTED:
            pytest.fail(f"TIANPING_TEST_SPARK=1 but Spark did not start: {exc}", pytrace=False)
        pytest.skip(f"Spark did not start: {exc}")
    session.sparkContext.setLogLevel("ERROR")
    _SESSION["session"] = session
    return session


def stop_shared_session() -> None:
    session = _SESSION.pop("session", None)
    if session is not None:
        session.stop()
