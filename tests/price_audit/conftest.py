from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.analytics.spark_support import shared_spark_session, stop_shared_session


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    yield shared_spark_session()
    stop_shared_session()
