"""Single-case intake's statements (issue 17.5): a plain intake writes the case and its history
row in one short transaction (no outer transaction, so no savepoint in production), and a repeat of the same request or a bad
one is answered as before with the shared serializers."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.api.test_api_probes import INTAKE, intake_body

pytestmark = pytest.mark.django_db


def test_a_plain_intake_writes_in_one_statement_with_no_lookup_before(client_as, reference_data):
    client = client_as("integration")
    client.post(INTAKE, intake_body(call_id="700000101"), format="json")  # warm
    with CaptureQueriesContext(connection) as queries:
        response = client.post(INTAKE, intake_body(call_id="700000102"), format="json")
    assert response.status_code == 201, response.content
    sql = [q["sql"] for q in queries.captured_queries]
    writes = [s for s in sql if s.upper().startswith(("INSERT", "WITH"))]
    # No SELECT of cases before the write: the unique indexes answer "taken" in the INSERT.
    first_write = sql.index(writes[0])
    assert not [s for s in sql[:first_write] if '"cases_case"' in s], sql[:first_write]
    assert all("ON CONFLICT DO NOTHING" in s for s in writes if '"cases_case"' in s)
    if connection.vendor == "postgresql":
        # The case and its "+" history row in one statement, no transaction around it.
        assert len(writes) == 1 and '"cases_historicalcase"' in writes[0]
        assert not [s for s in sql if s.upper().startswith("SAVEPOINT")]
    else:  # SQLite has no INSERT inside WITH: two INSERTs in one atomic block
        assert len(writes) == 2
        assert len([s for s in sql if s.upper().startswith("SAVEPOINT")]) == 1
    assert len(sql) <= 8, sql
    case_id = response.json()["id"]
    from cases.models import Case

    assert Case.history.filter(id=case_id, history_type="+").count() == 1


def test_a_repeat_writes_nothing_and_answers_the_first_case(client_as, reference_data):
    from cases.models import Case

    client = client_as("integration")
    first = client.post(INTAKE, intake_body(call_id="700000105"), format="json")
    cases, versions = Case.objects.count(), Case.history.count()
    again = client.post(INTAKE, intake_body(call_id="700000105"), format="json")
    assert (first.status_code, again.status_code) == (201, 200)  # the same idempotency key
    assert again.json()["id"] == first.json()["id"]
    assert (Case.objects.count(), Case.history.count()) == (cases, versions)


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
