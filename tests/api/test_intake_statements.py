"""Single-case intake's statements (issue 17.5): a plain intake writes the case and its history
row in one short transaction (no outer transaction, so no savepoint in production), and a repeat of the same request or a bad
one is answered as before with the shared serializers."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.api.test_api_probes import INTAKE, intake_body

pytestmark = pytest.mark.django_db


def test_a_plain_intake_runs_no_savepoint_and_few_statements(client_as, reference_data):
    client = client_as("integration")
    client.post(INTAKE, intake_body(call_id="700000101"), format="json")  # warm
    with CaptureQueriesContext(connection) as queries:
        response = client.post(INTAKE, intake_body(call_id="700000102"), format="json")
    assert response.status_code == 201, response.content
    sql = [q["sql"] for q in queries.captured_queries]
    # The test runs inside pytest-django's transaction, so the intake's one atomic block
    # shows as one savepoint here (alone in production). Before issue 17.5 there were two: an
    # outer transaction around the reads and the insert's own.
    assert len([s for s in sql if s.upper().startswith("SAVEPOINT")]) == 1
    inserts = [s for s in sql if s.upper().startswith("INSERT")]
    assert len(inserts) == 2  # the case and its "+" history row
    assert len(sql) <= 12, sql


def test_the_shared_serializers_answer_like_fresh_ones(client_as, reference_data):
    client = client_as("integration")
    first = client.post(INTAKE, intake_body(call_id="700000103"), format="json")
    again = client.post(INTAKE, intake_body(call_id="700000103"), format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert set(first.json()) == set(again.json())
    bad = client.post(INTAKE, {**intake_body(call_id="700000104"), "channel": "x"}, format="json")
    assert bad.status_code == 400
    assert "접수 채널" in str(bad.json())
    empty = client.post(INTAKE, {}, format="json")
    assert empty.status_code == 400 and "playbook" in str(empty.json())
