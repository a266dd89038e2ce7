"""Requests append through the process's batching writer, on a really committed database.

The other tests of this directory run every request inside a rolled-back outer transaction, where
appends happen in the request's own session. Here the app runs as in production: each request has
its own unit of work, and appends go to :func:`tianping.evidence.writer.process_writer`, whose own
connection must neither wait for a lock the request holds (an API token's last-use update on
SQLite) nor hide the new entries from what the request reads afterwards (the custody history).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from tests.evidence.evidence_support import POSTGRES_URL, committed_database
from tests.evidence_web.evidence_web_support import CHAT, bearer, make_people, png, receipt_json, submit
from tests.factories import login
from tianping.core.authz import Actor, Role
from tianping.core.db import make_engine, set_engine
from tianping.evidence import service, writer
from tianping.evidence.models import EvidenceEntry
from tianping.evidence.standalone_verifier import verify_receipt

BACKENDS = [pytest.param("sqlite", id="sqlite")]
if POSTGRES_URL:
    BACKENDS.append(pytest.param("postgres", id="postgres", marks=pytest.mark.postgres))

SUBMITTERS = 8
ADMIN = Actor(user_id=None, username="cli:test", roles=frozenset({Role.ADMIN}))


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    with committed_database(str(request.param), tmp_path) as url:
        engine = make_engine(url=url)
        set_engine(engine)
        try:
            yield engine
        finally:
            writer.close_process_writer()
            set_engine(None)
            engine.dispose()


def test_pages_and_api_append_through_the_writer(engine: Engine) -> None:
    from tianping.app import create_app

    with Session(engine) as session:
        people = make_people(session)
        officer_api = bearer(session, people.officer)
        session.commit()
    app = create_app()

    def hand_in(n: int) -> int:
        # no `with`: the application's lifespan (startup/shutdown) is the outer client's
        return submit(TestClient(app, follow_redirects=False), png((n, 40, 200 - n))).leaf_index

    with TestClient(app, follow_redirects=False):
        with ThreadPoolExecutor(4) as pool:
            indices = sorted(pool.map(hand_in, range(SUBMITTERS)))
        assert indices == list(range(SUBMITTERS))
        assert writer.process_writer().appended == SUBMITTERS
    assert writer._process_writer is None, "the application's shutdown closes the process writer"

    with TestClient(app, follow_redirects=False) as client:
        # the API: a bearer token's last-use update must not block the writer
        for _ in range(2):
            assert client.get(f"/api/v1/evidence/{indices[0]}", headers=officer_api).status_code == 200
        hashed = client.post(
            "/api/v1/evidence/hash-registrations",
            json={"sha256": "ab" * 32, "purpose": "摘要登记"},
            headers=officer_api,
        )
        assert hashed.status_code == 201 and verify_receipt(hashed.json()["receipt"]).verified

        # a page that appends (a view) then reads (the custody history) sees its own entry
        csrf = login(client, "ev-officer")
        page = client.get(f"/evidence/{indices[1]}")
        assert page.status_code == 200 and page.text.count('data-action="view"') == 1
        exported = client.post(f"/evidence/{indices[1]}/export", data={"csrf_token": csrf})
        assert exported.status_code == 200
        assert (
            hashlib.sha256(exported.content).hexdigest()
            == receipt_json(client, indices[1])["entry"]["sha256"]
        )
        attached = client.post(f"/evidence/{indices[1]}/attach", data={"csrf_token": csrf, "ticket": "TS-5"})
        assert re.findall(r'data-action="(\w+)"', attached.text) == ["view", "export", "attach"]

        chat = submit(client, CHAT, purpose="report", csrf=csrf, filename="c.txt", content_type="text/plain")
        receipt = receipt_json(client, chat.leaf_index)
        assert verify_receipt(receipt, CHAT).verified

    with Session(engine) as session:
        total = len(session.scalars(select(EvidenceEntry.leaf_index)).all())
        assert total == SUBMITTERS + 2 + 1 + 3 + 1  # hand-ins, API views, digest, view/export/attach, chat
        report = service.audit_store(session=session, actor=ADMIN)
        assert report.ok, report.problems
