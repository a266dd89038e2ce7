"""API fuzzing: schemathesis generates requests from the OpenAPI document; none may cause a 500.

Driven directly (not through schemathesis' pytest plugin) so that it runs inside the per-test rolled-back
database of ``db_session`` on every backend.
"""

from __future__ import annotations

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from sqlalchemy.orm import Session

from tests.factories import actor_of, make_org, make_user
from tianping.core.authz import Role
from tianping.identity import service
from tianping.identity.models import OrgKind

EXAMPLES_PER_OPERATION = 25


@pytest.mark.slow
def test_no_server_errors(app: FastAPI, db_session: Session) -> None:
    city = make_org(db_session, "北京市市场监督管理局（模糊测试）", OrgKind.CITY_BUREAU)
    admin_user = make_user(db_session, "fuzzadmin", Role.ADMIN, org=city)
    _, token = service.create_api_token(
        db_session, user_id=admin_user.id, name="fuzz", actor=actor_of(db_session, admin_user)
    )
    headers = {"Authorization": f"Bearer {token}"}
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    problems: list[str] = []

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case) -> None:  # type: ignore[no-untyped-def]
            response = case.call(headers=headers)
            if response.status_code >= 500:
                problems.append(f"{case.method} {case.formatted_path} -> {response.status_code}")
            elif response.status_code >= 400 and "json" in response.headers.get("content-type", ""):
                body = response.json()
                if not ("detail" in body and "code" in body):
                    problems.append(f"{case.method} {case.formatted_path}: error body without detail/code")

        fuzz()
    assert not problems, "\n".join(sorted(set(problems))[:30])
