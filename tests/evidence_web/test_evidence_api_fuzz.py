"""Fuzzing the evidence endpoints with entries in the log, so that item, receipt, custody, export
and attach requests reach real rows: no input may cause a 500, every error names detail and code."""

from __future__ import annotations

import io

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from sqlalchemy.orm import Session

from tests.evidence_web.evidence_web_support import CHAT, SCREENSHOT, bearer, make_people
from tests.factories import actor_of
from tianping.core.authz import ANONYMOUS
from tianping.evidence import service
from tianping.evidence.intake import PublicItemIn
from tianping.evidence.schemas import ItemIn

EXAMPLES_PER_OPERATION = 30


@pytest.mark.slow
def test_evidence_endpoints_never_fail_with_a_server_error(app: FastAPI, db_session: Session) -> None:
    people = make_people(db_session)
    service.add_public_item(
        session=db_session,
        actor=ANONYMOUS,
        source=io.BytesIO(SCREENSHOT),
        item_in=PublicItemIn(purpose="complaint", ticket="TS-1"),
        via_writer=False,
    )
    service.add_item(
        session=db_session,
        actor=actor_of(db_session, people.officer),
        source=io.BytesIO(CHAT),
        item_in=ItemIn(purpose="执法检查", case="AJ-1"),
        via_writer=False,
    )
    headers = bearer(db_session, people.admin)
    db_session.commit()
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    operations = [r.ok() for r in schema.get_all_operations()]
    operations = [op for op in operations if "/evidence" in op.path]
    assert len(operations) == 11
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
            if case.path_parameters and "leaf_index" in case.path_parameters:
                case.path_parameters["leaf_index"] %= 3  # mostly real entries
            response = case.call(headers=headers)
            if response.status_code >= 500:
                problems.append(f"{case.method} {case.formatted_path} -> {response.status_code}")
            elif response.status_code >= 400 and "json" in response.headers.get("content-type", ""):
                body = response.json()
                if not ("detail" in body and "code" in body):
                    problems.append(f"{case.method} {case.formatted_path}: error body without detail/code")

        fuzz()
    assert not problems, "\n".join(sorted(set(problems))[:30])
