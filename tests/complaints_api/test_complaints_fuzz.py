"""Schemathesis over the complaints endpoints only: no generated request may cause a 500."""

from __future__ import annotations

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from sqlalchemy.orm import Session

from tests.complaints_intake.support import make_world
from tests.factories import actor_of, make_user
from tianping.core.authz import Role
from tianping.identity import service

EXAMPLES_PER_OPERATION = 12


@pytest.mark.slow
def test_complaints_endpoints_never_fail_with_500(app: FastAPI, db_session: Session) -> None:
    world = make_world(db_session)
    admin = make_user(db_session, "c_fuzzadmin", Role.ADMIN, org=world.fengtai)
    _, token = service.create_api_token(
        db_session, user_id=admin.id, name="fuzz", actor=actor_of(db_session, admin)
    )
    headers = {"Authorization": f"Bearer {token}"}
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    operations = [
        op
        for op in (result.ok() for result in schema.get_all_operations())
        if op.path.removeprefix("/api/v1").startswith("/complaints")
        and "kpi" not in op.path
        and "reports" not in op.path
    ]
    assert len(operations) >= 15
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
                problems.append(
                    f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:200]}"
                )

        fuzz()
    assert not problems, "\n".join(sorted(set(problems))[:30])
